//! The policy loader on any rule file, and a rule that loads run over a unit
//! with a private endpoint, a zone and a server: never a panic or a hang.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;
use plinth::source::SourceMap;

/// A fixture template for loaded rules to run over.
const TEMPLATE: &str = include_str!("../../fixtures/PG001/arm/bad/main.json");

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let sources = SourceMap::new();
        // The rule is loaded on its own against the built-in tables: no
        // built-in rule is parsed again, no file written per run.
        let (rules, _) = common::rules().1.only(&sources, "rules/rule.yaml", text);
        let loaded = plinth::frontend::load_json_input(&sources, template(), None, Limits::default());
        common::check(loaded.units, &sources, &rules);
    });
});

/// The fixture template, written once per process.
fn template() -> &'static std::path::Path {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = common::scratch("rule").join("main.json");
        let _ = std::fs::write(&path, TEMPLATE);
        path
    })
}
