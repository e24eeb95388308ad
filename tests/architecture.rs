//! The import rules of ARCHITECTURE.md, checked: every `crate::X` a file
//! under `src/` names is an import of top-level module `X` (an item of the
//! crate root, such as `crate::Loaded`, is an import of `lib`), and each
//! top-level module may import only the modules its rule lists.
//!
//! The imports that break the rules today are listed in `KNOWN_VIOLATIONS`,
//! each with why it is there and what removes it. The test fails on any
//! import not allowed and not listed, and on a listed one that no longer
//! occurs: the list can only shrink. Test code counts like any other (a
//! module's tests import what the module may).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules on top, which may import all: `lib` (the crate root: the
/// pipeline) and `cli` (the command line; the binary, `src/bin/plinth.rs`,
/// only calls it).
const ON_TOP: [&str; 2] = ["lib", "cli"];

/// Each top-level module but those `ON_TOP`, and the modules it may import.
const RULES: &[(&str, &[&str])] = &[
    // Byte spans into files: the one type every stage shares.
    ("span", &[]),
    // CIDR parsing and address arithmetic (std only; on `FLOOR`).
    ("cidr", &[]),
    // The shared vocabulary: Problem, Finding, Label, Severity, RuleInfo.
    ("diagnostic", &["span"]),
    // The one door to the file system: which files may be read, how.
    ("paths", &["span", "diagnostic"]),
    // Files, spans, line/column maps.
    ("source", &["span", "diagnostic", "paths"]),
    // How far plinth reads, and the `limit-exceeded` diagnostic.
    ("limits", &["span", "diagnostic", "paths", "source"]),
    // The neutral model: resources, values, ids, the graph, `Loaded`.
    ("model", &["span", "diagnostic", "source"]),
    // JSON with byte spans (ARM templates, parameter files, plan JSON), and
    // read as the model's `Node`; its errors are the shared
    // `diagnostic::SyntaxError`.
    ("json", &["span", "diagnostic", "source", "model"]),
    // Front-ends: input files → the neutral model. They know nothing of
    // rules or of each other, except that Bicep is lowered onto ARM's
    // template builder and expression evaluator.
    ("arm", FRONT_END),
    (
        "bicep",
        &[
            "span",
            "diagnostic",
            "paths",
            "source",
            "limits",
            "model",
            "json",
            "arm",
        ],
    ),
    ("terraform", FRONT_END),
    // Which front-end reads an input (and JSON sniffing: template or plan).
    (
        "frontend",
        &[
            "span",
            "diagnostic",
            "paths",
            "source",
            "limits",
            "model",
            "json",
            "discover",
            "arm",
            "bicep",
            "terraform",
        ],
    ),
    // The rule language: knows the model, not HCL or JSON.
    (
        "policy",
        &["span", "diagnostic", "paths", "source", "model"],
    ),
    // Findings, suppressions, baseline, output formats: know nothing of Azure.
    ("report", &["span", "diagnostic", "paths", "source"]),
    // `plinth graph`: a unit's private endpoint chains as a report picture.
    (
        "chain",
        &["span", "diagnostic", "source", "model", "report"],
    ),
    // Which rules run.
    ("select", &["diagnostic"]),
    // The `.plinth.yaml` settings.
    (
        "config",
        &[
            "span",
            "diagnostic",
            "paths",
            "source",
            "limits",
            "model",
            "select",
        ],
    ),
    // Which files to read: paths and ignores, never file contents.
    ("discover", &["span", "diagnostic", "paths", "source"]),
    // Fixes as text edits, and `check --fix` (which runs `check`, on top).
    (
        "fix",
        &["span", "diagnostic", "paths", "source", "report", "lib"],
    ),
    // `plinth lsp`: runs the pipeline (`lib`) over the editor's buffers;
    // asks `frontend` which template a parameter file binds.
    (
        "lsp",
        &[
            "span",
            "diagnostic",
            "paths",
            "source",
            "fix",
            "frontend",
            "lib",
        ],
    ),
];

/// Modules every module may import: they import nothing of the crate, so
/// no import of them can make a cycle.
const FLOOR: &[&str] = &["cidr"];

/// What a front-end may import: the floor, the model and the JSON reader.
const FRONT_END: &[&str] = &[
    "span",
    "diagnostic",
    "paths",
    "source",
    "limits",
    "model",
    "json",
];

/// Imports against the rules that are known and being removed (issue #16).
/// Each is `(from, to, why)`.
#[rustfmt::skip]
const KNOWN_VIOLATIONS: &[(&str, &str, &str)] = &[
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `lib.rs` declares.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read lib.rs");
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_string)
        })
        .collect()
}

/// The top-level module a file belongs to (`src/arm/eval.rs` → `arm`).
fn owner(file: &Path) -> String {
    let relative = file.strip_prefix(src()).expect("under src");
    let first = relative
        .components()
        .next()
        .expect("a path")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The identifiers right after `crate::` in `code`, including each of a
/// grouped `crate::{a, b::c}`.
fn crate_references(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `plinth_crate::` or `$crate::` are not this crate's paths.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// from → to → the files that import it.
fn imports() -> BTreeMap<(String, String), BTreeSet<String>> {
    let modules = declared_modules();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = owner(&file);
        let text = std::fs::read_to_string(&file).expect("read source");
        // Comments may name paths (`[`crate::model`]`) without importing them.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for name in crate_references(&code) {
            let to = if modules.contains(&name) {
                name
            } else {
                "lib".to_string()
            };
            if to != from {
                let shown = file.strip_prefix(src()).unwrap_or(&file);
                out.entry((from.clone(), to))
                    .or_default()
                    .insert(shown.display().to_string());
            }
        }
    }
    out
}

fn allowed(from: &str, to: &str) -> bool {
    ON_TOP.contains(&from)
        || FLOOR.contains(&to)
        || RULES
            .iter()
            .any(|(module, may)| *module == from && may.contains(&to))
}

#[test]
fn every_module_has_an_import_rule() {
    let ruled: BTreeSet<&str> = RULES.iter().map(|(m, _)| *m).collect();
    for module in declared_modules() {
        assert!(
            ruled.contains(module.as_str()) || ON_TOP.contains(&module.as_str()),
            "module `{module}` has no rule in tests/architecture.rs (and ARCHITECTURE.md): say what it may import"
        );
    }
}

#[test]
fn no_module_imports_against_the_rules() {
    let found = imports();
    assert!(
        found.keys().any(|(from, _)| from == "policy"),
        "the scan found no imports at all: is src/ where it was?"
    );
    let new: Vec<String> = found
        .iter()
        .filter(|((from, to), _)| {
            !allowed(from, to)
                && !KNOWN_VIOLATIONS
                    .iter()
                    .any(|(f, t, _)| f == from && t == to)
        })
        .map(|((from, to), files)| {
            format!(
                "{from} imports {to} (in {}): against ARCHITECTURE.md's import rules",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(new.is_empty(), "{}", new.join("\n"));
}

#[test]
fn every_known_violation_still_occurs() {
    let found = imports();
    let gone: Vec<String> = KNOWN_VIOLATIONS
        .iter()
        .filter(|(from, to, _)| !found.contains_key(&(from.to_string(), to.to_string())))
        .map(|(from, to, why)| {
            format!("{from} no longer imports {to} ({why}): remove it from KNOWN_VIOLATIONS and ARCHITECTURE.md")
        })
        .collect();
    assert!(gone.is_empty(), "{}", gone.join("\n"));
}

#[test]
fn a_known_violation_is_not_also_allowed() {
    for (from, to, _) in KNOWN_VIOLATIONS {
        assert!(
            !allowed(from, to),
            "{from} → {to} is allowed by RULES and listed as a violation"
        );
    }
}

#[test]
fn the_scanner_reads_plain_grouped_and_root_references() {
    assert_eq!(
        crate_references("use crate::model::{Node, Value};\nlet x = crate::arm::json::parse(1);"),
        ["model", "arm"]
    );
    assert_eq!(
        crate_references("use crate::{Loaded, limits::Limits};"),
        ["Loaded", "limits"]
    );
    assert!(crate_references("$crate::x; other_crate::y").is_empty());
}
