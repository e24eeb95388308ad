//! Prints the ARM template plinth lowers a `.bicep` file into (for debugging
//! the Bicep front-end): `cargo run --example bicep_lower -- main.bicep`.

use plinth::json::{JsonKind, JsonValue};
use plinth::source::SourceMap;

fn json(j: &JsonValue) -> serde_json::Value {
    match &j.kind {
        JsonKind::Null => serde_json::Value::Null,
        JsonKind::Bool(b) => (*b).into(),
        JsonKind::Number(n) => serde_json::json!(n),
        JsonKind::String(s) => s.clone().into(),
        JsonKind::Array(items) => items.iter().map(json).collect(),
        JsonKind::Object(members) => members
            .iter()
            .map(|m| (m.key.clone(), json(&m.value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        JsonKind::Shared(inner) => json(inner),
    }
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bicep_lower FILE.bicep");
        std::process::exit(2);
    };
    let sources = SourceMap::new();
    let path = std::path::PathBuf::from(path);
    let Ok(file) = sources.load(&path) else {
        eprintln!("cannot read {}", path.display());
        std::process::exit(2);
    };
    match plinth::bicep::lower::lower(&sources, &path, file) {
        Ok(lowered) => println!(
            "{}",
            serde_json::to_string_pretty(&json(&lowered.template)).unwrap_or_default()
        ),
        Err(problem) => {
            eprintln!("{}", problem.message);
            std::process::exit(1);
        }
    }
}
