//! Bicep front-end: `.bicep` and `.bicepparam` source read natively (issue
//! #8), offline, without the Bicep CLI. A file is lowered into the ARM
//! template `bicep build` would produce (see [`lower`]), so that the ARM
//! evaluator and every rule apply unchanged, and findings point at the Bicep
//! source. Local modules are read and become nested deployments; registry
//! and template-spec modules too when a Bicep module cache the user named
//! holds them ([`registry`]), else they are unseen (unknown).

pub mod lexer;
pub mod lower;
pub mod parser;
pub mod registry;
pub mod syntax;
pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::arm::eval::Scope;
use crate::diagnostic::Problem;
use crate::json::{JsonKind, JsonValue};
use crate::limits::{self, Guard, Limits};
use crate::model::Loaded;
use crate::model::{Node, Value};
use crate::source::{SourceMap, Span};

/// Loads one `.bicep` file as a unit, its parameters bound by `parameters`
/// (a `.bicepparam` file) when given.
pub fn load_bicep_input(
    sources: &SourceMap,
    path: &Path,
    parameters: Option<&Path>,
    cache: Option<&Path>,
    limits: Limits,
) -> Loaded {
    let mut loaded = Loaded::default();
    let file = match limits::load_file(sources, path, "file", limits) {
        Ok(file) => file,
        Err(problem) => {
            loaded.problems.push(problem);
            return loaded;
        }
    };
    loaded.files = 1;
    let lowered = match lower::lower_with(sources, path, file, cache) {
        Ok(lowered) => lowered,
        Err(problem) => {
            loaded.problems.push(problem);
            return loaded;
        }
    };
    loaded.problems.extend(lowered.problems);
    let guard = Guard::new(limits);
    let mut builder = crate::arm::template::Builder::new(
        file,
        path.to_string_lossy().into_owned(),
        guard.clone(),
    );
    loaded.files += lowered.files.len();
    builder.unit.files.extend(lowered.files);
    let supplied = match parameters {
        Some(parameters) => {
            let (bound, problem) = parameter_file(sources, parameters, guard.clone());
            loaded.problems.extend(problem);
            if let Some((file, values)) = bound {
                builder.unit.files.push(file);
                loaded.files += 1;
                values
            } else {
                // A broken parameter file: what it meant to bind is unknown.
                lowered
                    .template
                    .get("parameters")
                    .map(JsonValue::members)
                    .unwrap_or_default()
                    .iter()
                    .map(|m| (m.key.clone(), Node::new(Value::Unknown, None)))
                    .collect()
            }
        }
        None => HashMap::new(),
    };
    builder.template_with(&lowered.template, supplied);
    loaded.units.push(builder.unit);
    for hit in guard.take() {
        loaded.problems.push(Limits::problem(sources, &hit));
    }
    loaded
}

/// The values a `.bicepparam` file binds: `param name = value`, each
/// evaluated on its own (they may call functions, not read the template).
#[allow(clippy::type_complexity)]
fn parameter_file(
    sources: &SourceMap,
    path: &Path,
    guard: Guard,
) -> (
    Option<(crate::source::FileId, HashMap<String, Node>)>,
    Option<Problem>,
) {
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(err) => {
            return (
                None,
                Some(err.problem(path, "parameter file", (path, None))),
            );
        }
    };
    let source = sources.get(file);
    let decls = match parser::parse(file, &source.text) {
        Ok(decls) => decls,
        Err(e) => {
            return (
                None,
                Some(lower::parse_problem(path, file, source.text.len(), &e)),
            );
        }
    };
    // The parameter file, lowered as a template whose parameters' defaults
    // are the values it gives, then read back through the ARM evaluator.
    let template = match lower::lower(sources, path, file) {
        Ok(lowered) => lowered.template,
        Err(problem) => return (None, Some(problem)),
    };
    let empty = JsonValue {
        kind: JsonKind::Object(Vec::new()),
        span: Span::new(file, 0, 0),
    };
    let scope = Scope::new(&empty, HashMap::new(), guard);
    let mut values = HashMap::new();
    for decl in &decls {
        if let tree::DeclKind::Param {
            default: Some(value),
            ..
        } = &decl.kind
        {
            let node = template
                .get("parameters")
                .and_then(|p| p.get(&decl.name))
                .and_then(|p| p.get("defaultValue"))
                .map_or(Node::new(Value::Unknown, Some(value.span)), |d| {
                    scope.node(d, d.span, &[])
                });
            values.insert(decl.name.clone(), node);
        }
    }
    (Some((file, values)), None)
}

/// The `.bicepparam` file that binds `template` by default: `X.bicepparam`
/// beside `X.bicep`, else the only `.bicepparam` in the folder whose `using`
/// names it.
pub fn parameter_file_of(template: &Path) -> Option<PathBuf> {
    // A link or a FIFO under the name is found here and refused with a
    // reason when the template's unit reads it.
    let same_name = template.with_extension("bicepparam");
    if std::fs::symlink_metadata(&same_name).is_ok() {
        return Some(same_name);
    }
    let dir = template.parent()?;
    let name = template.file_name()?.to_str()?;
    let candidates: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "bicepparam"))
        .filter(|p| using_of(p).is_some_and(|u| u.ends_with(name)))
        .collect();
    match candidates.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

/// The template a `.bicepparam` file's `using` names, as written.
pub fn using_of(parameters: &Path) -> Option<String> {
    // Read before any unit is built, so only a regular file, no link, and
    // no more than a `using` line needs (the default max_file_bytes).
    let bytes = crate::paths::read_regular(
        parameters,
        crate::limits::Limits::default().max_file_bytes,
        false,
    )
    .ok()?;
    let text = crate::paths::decode(bytes).ok()?;
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("using")?.trim();
        let quoted = rest.strip_prefix('\'')?;
        Some(quoted.split('\'').next()?.to_string())
    })
}
