//! The `.plinth.yaml` loader on any file: never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::config::Config;
use plinth::report::{RuleInfo, Severity};
use plinth::source::SourceMap;

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let path = common::scratch("config").join(".plinth.yaml");
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let sources = SourceMap::new();
        if let Ok(config) = Config::load(&sources, &path) {
            let rules = [RuleInfo {
                id: "PG001".into(),
                name: "private-endpoint-on-vnet-integrated-server".into(),
                severity: Severity::Error,
                title: "".into(),
                description: "".into(),
                remediation: "".into(),
                url: None,
                markdown: None,
            }];
            let _ = config.unknown_rules(&sources, &rules);
            let _ = plinth::select::select(
                &rules,
                config.select.as_deref(),
                &config.extend_select,
                &config.disable,
                &config.severity,
                &plinth::select::Requested::default(),
            );
            let _ = config.ignores("PG001", &rules[0].name, &path, "azurerm_subnet.a");
        }
    });
});
