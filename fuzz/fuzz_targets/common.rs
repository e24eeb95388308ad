//! What the fuzz targets share: a scratch folder per process, and the
//! built-in rules and a template for expressions, built once per process
//! (not per input: a run's setup would dwarf the work under test).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use plinth::json::{self, JsonValue};
use plinth::model::{Graph, Unit};
use plinth::policy::RuleSet;
use plinth::source::{FileId, SourceMap};

/// Runs one input on a thread with the stack plinth gives every unit
/// (`limits::UNIT_STACK_BYTES`, as `plinth check` and the library's `check`
/// do): the depth limits are measured against it, not against libFuzzer's
/// main thread. A panic is still the input's panic.
pub fn on_unit_stack<F: FnOnce() + Send>(work: F) {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .stack_size(plinth::limits::UNIT_STACK_BYTES)
            .spawn_scoped(scope, work)
            .expect("a thread for the input");
        if let Err(panic) = thread.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

/// A folder of this process's own, created once.
#[allow(dead_code)] // not every target writes files
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plinth-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// How many inputs share one [`SourceMap`] before [`rules`] makes a fresh
/// one. A map only grows: each file an input registers keeps a slot, and a
/// file that did not load keeps its text too. Shared by every input, it
/// reached 1.8 GB after 870,000 bicep_source inputs, near libFuzzer's RSS
/// limit; loading the rules again costs milliseconds once in this many.
const INPUTS_PER_MAP: usize = 10_000;

/// The built-in rules and the sources they were read into, loaded once per
/// [`INPUTS_PER_MAP`] inputs.
#[allow(dead_code)]
pub fn rules() -> Arc<(SourceMap, RuleSet)> {
    static RULES: Mutex<(usize, Option<Arc<(SourceMap, RuleSet)>>)> = Mutex::new((0, None));
    let mut state = RULES.lock().unwrap_or_else(|e| e.into_inner());
    state.0 += 1;
    match &state.1 {
        Some(shared) if state.0 % INPUTS_PER_MAP != 0 => Arc::clone(shared),
        _ => {
            let sources = SourceMap::new();
            let (rules, _) = RuleSet::load(&sources, &[]);
            let shared = Arc::new((sources, rules));
            state.1 = Some(Arc::clone(&shared));
            shared
        }
    }
}

/// Links each unit and runs every rule over it, then releases its files.
#[allow(dead_code)]
pub fn check(units: Vec<Unit>, sources: &SourceMap, rules: &RuleSet) {
    for unit in units {
        let files = unit.files.clone();
        let graph = Graph::link(unit);
        let _ = rules.check(&graph, sources);
        for file in files {
            sources.release(file);
        }
    }
}

/// A template with parameters and variables for expressions to reach.
const TEMPLATE: &str = r#"{
  "parameters": {
    "name": { "type": "string", "defaultValue": "pg-prod" },
    "count": { "type": "int", "defaultValue": 3 },
    "unknown": { "type": "string" },
    "list": { "type": "array", "defaultValue": [1, "two", { "three": 3 }] }
  },
  "variables": {
    "zone": "privatelink.postgres.database.azure.com",
    "self": "[variables('self')]",
    "object": { "a": "[parameters('name')]", "b": [true, null] }
  }
}"#;

/// [`TEMPLATE`], parsed once.
#[allow(dead_code)]
pub fn template() -> &'static JsonValue {
    static TEMPLATE_JSON: OnceLock<JsonValue> = OnceLock::new();
    TEMPLATE_JSON.get_or_init(|| match json::parse(FileId(0), TEMPLATE, 64) {
        Ok(Some(j)) => j,
        _ => panic!("the fuzz template is valid JSON"),
    })
}
