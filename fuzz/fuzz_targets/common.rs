//! What the fuzz targets share: a scratch folder per process, and the
//! built-in rules and a template for expressions, built once per process
//! (not per input: a run's setup would dwarf the work under test).

use std::path::PathBuf;
use std::sync::OnceLock;

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

/// The built-in rules and the sources they were read into, loaded once.
#[allow(dead_code)]
pub fn rules() -> &'static (SourceMap, RuleSet) {
    static RULES: OnceLock<(SourceMap, RuleSet)> = OnceLock::new();
    RULES.get_or_init(|| {
        let sources = SourceMap::new();
        let (rules, _) = RuleSet::load(&sources, &[]);
        (sources, rules)
    })
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
