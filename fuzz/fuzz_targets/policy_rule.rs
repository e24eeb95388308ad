//! The policy loader on any rule file, and a rule that loads run over a unit
//! with a private endpoint, a zone and a server: never a panic or a hang.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;
use plinth::policy::RuleSet;
use plinth::source::SourceMap;

/// A fixture template for loaded rules to run over.
const TEMPLATE: &str = include_str!("../../fixtures/PG001/arm/bad/main.json");

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch("rule");
    let rules_dir = dir.join("rules");
    let _ = std::fs::create_dir_all(&rules_dir);
    let template = dir.join("main.json");
    if std::fs::write(rules_dir.join("rule.yaml"), data).is_err()
        || std::fs::write(&template, TEMPLATE).is_err()
    {
        return;
    }
    let sources = SourceMap::new();
    // Loading still parses the built-in rules each run (RuleSet has no
    // way to add one rule to a loaded set); checking runs the fuzzed rule only.
    let (mut rules, _) = RuleSet::load(&sources, &[rules_dir]);
    let builtin = &common::rules().1;
    rules.retain(|id| builtin.find(id).is_none());
    let loaded = plinth::frontend::load_json_input(&sources, &template, None, Limits::default());
    common::check(loaded.units, &sources, &rules);
});
