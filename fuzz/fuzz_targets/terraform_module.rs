//! The Terraform front-end on any `.tf` file (and the same bytes as a var
//! file), then the whole rule set over what it built: never a panic or a hang.
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
        let dir = std::env::temp_dir().join(format!("plinth-fuzz-tf-{}", std::process::id()));
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
    let dir = scratch();
    let main = dir.join("main.tf");
    let vars = dir.join("terraform.tfvars");
    if std::fs::write(&main, data).is_err() || std::fs::write(&vars, data).is_err() {
        return;
    }
    let (sources, rules) = rules();
    let loaded = plinth::terraform::load_module(
        sources,
        dir,
        &[main],
        &[vars],
        &plinth::terraform::Given::default(),
        Limits::default(),
    );
    for unit in loaded.units {
        let files = unit.files.clone();
        let graph = Graph::link(unit);
        let _ = rules.check(&graph, sources);
        for file in files {
            sources.release(file);
        }
    }
});
