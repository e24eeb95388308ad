//! The JSON loader and the ARM front-end on any file named like a template,
//! then the whole rule set over what it built: never a panic or a hang.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;
use plinth::model::Graph;
use plinth::policy::RuleSet;
use plinth::source::SourceMap;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("plinth-fuzz-arm-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

/// The built-in rules, loaded once; each input's files are released after.
fn rules() -> &'static (SourceMap, RuleSet) {
    static RULES: OnceLock<(SourceMap, RuleSet)> = OnceLock::new();
    RULES.get_or_init(|| {
        let sources = SourceMap::new();
        let (rules, _) = RuleSet::load(&sources, &[]);
        (sources, rules)
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join("main.json");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let (sources, rules) = rules();
    let loaded = plinth::arm::load_json_input(sources, &path, None, Limits::default());
    for unit in loaded.units {
        let files = unit.files.clone();
        let graph = Graph::link(unit);
        let _ = rules.check(&graph, sources);
        for file in files {
            sources.release(file);
        }
    }
});
