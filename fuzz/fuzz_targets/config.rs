//! The `.plinth.yaml` loader on any file: never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::config::Config;
use plinth::source::SourceMap;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("config").join(".plinth.yaml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let sources = SourceMap::new();
    if let Ok(config) = Config::load(&sources, &path) {
        let _ = config.unknown_rules(&sources, &["PG001".to_string()]);
        let _ = config.rule_enabled("PG001");
        let _ = config.ignores("PG001", &path, "azurerm_subnet.a");
    }
});
