//! The `.plinth.yaml` loader on any file: never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plinth::config::Config;
use plinth::source::SourceMap;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("plinth-fuzz-config-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join(".plinth.yaml");
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
