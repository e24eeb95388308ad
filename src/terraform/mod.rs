//! Terraform front-end: the `.tf` files of one folder are one module, and
//! one unit. Parsed with hcl-edit (the hcl-rs project's span-keeping
//! parser); azurerm resources are mapped onto the neutral model.
//!
//! Not yet (issue #4): child modules, `count`/`for_each` instances, tfvars
//! files, plan JSON. What they would decide stays unknown.

pub mod azurerm;
pub mod eval;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::Loaded;
use crate::model::Unit;
use crate::report::Problem;
use crate::source::{FileId, SourceMap, Span};
use eval::{Decl, Module};

/// Brackets nested deeper than this are refused before parsing, so hostile
/// input cannot exhaust the parser's stack.
const MAX_NESTING: usize = 256;

/// Loads one Terraform module folder as a unit.
pub fn load_module(sources: &SourceMap, dir: &Path, files: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    let mut parsed: Vec<(FileId, Body)> = Vec::new();
    let mut file_ids = Vec::new();
    for path in files {
        let file = match sources.load(path) {
            Ok(file) => file,
            Err(err) => {
                loaded
                    .problems
                    .push(Problem::new("io-error", format!("cannot read: {err}")).at(path, None));
                continue;
            }
        };
        loaded.files += 1;
        file_ids.push(file);
        let source = sources.get(file);
        if let Some(at) = too_deep(&source.text) {
            loaded.problems.push(
                Problem::new(
                    "parse-error",
                    format!("brackets nested deeper than {MAX_NESTING}"),
                )
                .at(path, Some(Span::new(file, at, at + 1))),
            );
            continue;
        }
        match hcl_edit::parser::parse_body(&source.text) {
            Ok(body) => parsed.push((file, body)),
            Err(err) => {
                let offset = err.location().offset().min(source.text.len());
                let end = source.text[offset..]
                    .chars()
                    .next()
                    .map_or(offset, |c| offset + c.len_utf8());
                let message = err
                    .message()
                    .lines()
                    .next()
                    .unwrap_or("syntax error")
                    .to_string();
                loaded.problems.push(
                    Problem::new("parse-error", format!("invalid HCL: {message}"))
                        .at(path, Some(Span::new(file, offset, end)))
                        .with_label(message),
                );
            }
        }
    }
    if parsed.is_empty() {
        return loaded;
    }

    let mut variables: HashMap<String, (Option<&Expression>, FileId)> = HashMap::new();
    let mut locals: HashMap<String, (&Expression, FileId)> = HashMap::new();
    let mut decls = Vec::new();
    for (file, body) in &parsed {
        for block in body.blocks() {
            let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_string());
            match block.ident.value().as_str() {
                "variable" => {
                    if let Some(name) = label(0) {
                        let default = block.body.get_attribute("default").map(|a| &a.value);
                        variables.insert(name, (default, *file));
                    }
                }
                "locals" => {
                    for attribute in block.body.attributes() {
                        locals.insert(
                            attribute.key.value().as_str().to_string(),
                            (&attribute.value, *file),
                        );
                    }
                }
                "resource" | "data" => {
                    if let (Some(kind), Some(name)) = (label(0), label(1)) {
                        decls.push(declaration(block, kind, name, *file));
                    }
                }
                _ => {}
            }
        }
    }
    let module = Module::new(variables, locals, decls);
    let mut unit = Unit {
        label: dir.to_string_lossy().into_owned(),
        files: file_ids,
        ..Unit::default()
    };
    for decl in &module.decls {
        azurerm::map(&module, decl, &mut unit);
    }
    azurerm::fold_associations(&module, &mut unit);
    loaded.units.push(unit);
    loaded
}

fn declaration(block: &Block, kind: String, name: String, file: FileId) -> Decl<'_> {
    let managed = block.ident.value().as_str() == "resource";
    let key = if managed {
        format!("{kind}.{name}")
    } else {
        format!("data.{kind}.{name}")
    };
    Decl {
        key,
        kind,
        managed,
        block,
        file,
    }
}

/// The offset where bracket nesting first exceeds the limit, if it does.
/// Brackets inside strings and comments count too: a cheap, safe over-estimate.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
