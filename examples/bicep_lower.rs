//! Prints the ARM template plinth lowers a `.bicep` file into (for debugging
//! the Bicep front-end): `cargo run --example bicep_lower -- main.bicep`.

use plinth::json::{J, JKind};
use plinth::source::SourceMap;

fn json(j: &J) -> serde_json::Value {
    match &j.kind {
        JKind::Null => serde_json::Value::Null,
        JKind::Bool(b) => (*b).into(),
        JKind::Number(n) => serde_json::json!(n),
        JKind::String(s) => s.clone().into(),
        JKind::Array(items) => items.iter().map(json).collect(),
        JKind::Object(members) => members
            .iter()
            .map(|m| (m.key.clone(), json(&m.value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
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
