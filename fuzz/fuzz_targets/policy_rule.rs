//! The policy loader on any rule file, and a rule that loads run over a unit
//! with a private endpoint, a zone and a server: never a panic or a hang.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plinth::model::Graph;
use plinth::policy::RuleSet;
use plinth::source::SourceMap;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("plinth-fuzz-rule-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

/// A fixture template for loaded rules to run over.
const TEMPLATE: &str = include_str!("../../fixtures/PG001/arm/bad/main.json");

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let rules_dir = dir.join("rules");
    let _ = std::fs::create_dir_all(&rules_dir);
    let template = dir.join("main.json");
    if std::fs::write(rules_dir.join("rule.yaml"), data).is_err()
        || std::fs::write(&template, TEMPLATE).is_err()
    {
        return;
    }
    let sources = SourceMap::new();
    let (rules, _) = RuleSet::load(&sources, &[rules_dir]);
    let loaded =
        plinth::arm::load_json_input(&sources, &template, None, plinth::limits::Limits::default());
    for unit in loaded.units {
        let graph = Graph::link(unit);
        let _ = rules.check(&graph, &sources);
    }
});
