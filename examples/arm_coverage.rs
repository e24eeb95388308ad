//! How much of real-world templates the ARM front-end can see: over every
//! `.json` template under a folder, the resources declared, the resources
//! read, and how many of those have a fully known type and name.
//!
//!     cargo run --release --example arm_coverage -- DIR [--fill-parameters]
//!
//! With `--fill-parameters`, every root parameter without a default gets one
//! (a string made from its name, 1, false, [] or {} by type) before the
//! template is read, as a deployment would supply them: what is still unknown
//! then is what the template leaves to Azure (`resourceGroup().id`,
//! `reference()`, `utcNow()`…) or what the front-end cannot evaluate.
//!
//! "Declared" counts resource declarations in the JSON (nested children and
//! the resources of inline nested templates included, copy loops once);
//! "read" counts what the front-end made of them (copy loops expanded, inline
//! subnets not counted, conditions that are false dropped).

use std::path::Path;

use plinth::limits::Limits;
use plinth::model::Framework;
use plinth::source::SourceMap;

fn declarations(j: &serde_json::Value) -> usize {
    let own = |r: &serde_json::Value| {
        let children = r.get("resources").map_or(0, declarations);
        let nested = r
            .get("properties")
            .and_then(|p| p.get("template"))
            .map_or(0, |t| t.get("resources").map_or(0, declarations));
        1 + children + nested
    };
    match j {
        serde_json::Value::Array(items) => items.iter().map(own).sum(),
        serde_json::Value::Object(members) => members.values().map(own).sum(),
        _ => 0,
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: arm_coverage DIR");
        std::process::exit(2);
    };
    let fill = std::env::args().any(|a| a == "--fill-parameters");
    let scratch = std::env::temp_dir().join(format!("arm-coverage-{}", std::process::id()));
    if std::fs::create_dir_all(&scratch).is_err() {
        eprintln!("cannot create {}", scratch.display());
        std::process::exit(2);
    }
    let verbose = std::env::var_os("VERBOSE").is_some();
    let (mut templates, mut errors, mut declared, mut read, mut known) = (0, 0, 0, 0, 0);
    for entry in ignore::WalkBuilder::new(&dir)
        .hidden(false)
        .build()
        .flatten()
    {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !text.contains("eploymentTemplate.json") {
            continue;
        }
        let filled;
        let loaded = if fill {
            let Some(template) = filled_template(&text) else {
                continue;
            };
            filled = scratch.join("template.json");
            if std::fs::write(&filled, template).is_err() {
                continue;
            }
            load(&filled)
        } else {
            load(path)
        };
        if loaded.units.is_empty() {
            continue;
        }
        templates += 1;
        errors += loaded.problems.len();
        if let Ok(j) =
            serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}'))
        {
            declared += j.get("resources").map_or(0, declarations);
        }
        for unit in &loaded.units {
            for r in &unit.resources {
                if r.origin.framework != Framework::Arm || r.key.contains(".properties.subnets[") {
                    continue;
                }
                read += 1;
                if r.full_name().is_some() {
                    known += 1;
                } else if verbose {
                    println!("unknown name: {} {}", path.display(), r.origin.address);
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let share = |n: usize, d: usize| {
        if d == 0 {
            0.0
        } else {
            100.0 * n as f64 / d as f64
        }
    };
    println!(
        "{templates} templates, {errors} errors; {declared} resources declared, {read} read, \
         {known} with type and name fully known ({:.1}% of read, {:.1}% of declared)",
        share(known, read),
        share(known, declared)
    );
}

/// The template with a default for every parameter that has none.
fn filled_template(text: &str) -> Option<String> {
    let mut j: serde_json::Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    let definitions = j.get("definitions").cloned().unwrap_or_default();
    if let Some(serde_json::Value::Object(parameters)) = j.get_mut("parameters") {
        for (name, p) in parameters.iter_mut() {
            let Some(p) = p.as_object_mut() else { continue };
            if p.contains_key("defaultValue") {
                continue;
            }
            // A `$ref` to `#/definitions/NAME` takes that definition's type.
            let referenced = p
                .get("$ref")
                .and_then(|r| r.as_str())
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .and_then(|d| definitions.get(d));
            let kind = p
                .get("type")
                .or_else(|| referenced.and_then(|d| d.get("type")))
                .and_then(|t| t.as_str())
                .unwrap_or("string")
                .to_ascii_lowercase();
            let nullable = p.get("nullable").and_then(|n| n.as_bool()) == Some(true);
            let value = match kind.as_str() {
                // Bicep leaves an optional parameter out: it is null.
                _ if nullable => serde_json::Value::Null,
                "int" => serde_json::json!(1),
                "bool" => serde_json::json!(false),
                "array" => serde_json::json!([]),
                "object" | "secureobject" => serde_json::json!({}),
                _ => serde_json::json!(format!("p-{}", name.to_ascii_lowercase())),
            };
            p.insert("defaultValue".into(), value);
        }
    }
    serde_json::to_string(&j).ok()
}

fn load(path: &Path) -> plinth::Loaded {
    plinth::frontend::load_json_input(&SourceMap::new(), path, None, Limits::default())
}
