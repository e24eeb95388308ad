//! Terraform front-end: the `.tf` files of one folder are one module, and
//! one unit. Parsed with hcl-edit (the hcl-rs project's span-keeping
//! parser); azurerm resources are mapped onto the neutral model.
//!
//! Variables take their values from `TF_VAR_` variables, `terraform.tfvars`,
//! `*.auto.tfvars`, the var files named in the config or with `--var-file`,
//! and `--var`, else from their defaults. Local modules are read with their
//! caller's inputs; `count`/`for_each` instances are expanded when known;
//! plan JSON is read by [`plan`]. Registry and git modules are not read:
//! what they would decide stays unknown.

pub mod azurerm;
pub mod eval;
pub mod plan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::diagnostic::Problem;
use crate::limits::{self, Limits};
use crate::model::Loaded;
use crate::model::{Unit, Value};
use crate::source::{FileId, SourceMap, Span};
use eval::{Decl, Declared, Expansion, Instance, Module};

/// The azurerm provider's major version: exact from `.terraform.lock.hcl`
/// beside the root module, else the highest major its `required_providers`
/// constraint allows (what `terraform init` would pick), else unknown —
/// treated as the newest.
fn azurerm_major(sources: &SourceMap, dir: &Path, root: &[(FileId, Body)]) -> Option<u64> {
    if let Some(text) = lock_file(sources, dir)
        && let Ok(body) = hcl_edit::parser::parse_body(&text)
    {
        let locked = body
            .blocks()
            .filter(|b| b.has_ident("provider"))
            .filter(|b| {
                b.labels
                    .first()
                    .is_some_and(|l| l.as_str().ends_with("hashicorp/azurerm"))
            })
            .find_map(|b| match &b.body.get_attribute("version")?.value {
                Expression::String(v) => major_of(v.value()),
                _ => None,
            });
        if locked.is_some() {
            return locked;
        }
    }
    let constraint = root.iter().find_map(|(_, body)| {
        body.blocks()
            .filter(|b| b.has_ident("terraform"))
            .flat_map(|t| {
                t.body
                    .blocks()
                    .filter(|b| b.has_ident("required_providers"))
            })
            .find_map(
                |providers| match &providers.body.get_attribute("azurerm")?.value {
                    Expression::String(v) => Some(v.value().to_string()),
                    Expression::Object(o) => o.iter().find_map(|(k, v)| {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => i.value().as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                                s.value().to_string()
                            }
                            _ => return None,
                        };
                        match (key.as_str(), v.expr()) {
                            ("version", Expression::String(s)) => Some(s.value().to_string()),
                            _ => None,
                        }
                    }),
                    _ => None,
                },
            )
    })?;
    highest_major(&constraint)
}

fn major_of(version: &str) -> Option<u64> {
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// The highest major version a constraint such as `~> 3.0`, `>= 3.50, < 4.0`
/// or `= 3.117.0` allows; `None` when it has no upper bound.
fn highest_major(constraint: &str) -> Option<u64> {
    let mut highest: Option<u64> = None;
    let mut bound = |major: u64| highest = Some(highest.map_or(major, |h| h.min(major)));
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, version) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", part));
        let components: Vec<u64> = version
            .trim_start_matches('v')
            .split('.')
            .map_while(|c| c.parse().ok())
            .collect();
        let Some(&major) = components.first() else {
            continue;
        };
        match op {
            // `~> 3.0` and `~> 3.1.2` stay within major 3; `~> 3` does not.
            "~>" if components.len() >= 2 => bound(major),
            "=" | "<=" => bound(major),
            "<" if components.iter().skip(1).all(|c| *c == 0) => bound(major.saturating_sub(1)),
            "<" => bound(major),
            _ => {}
        }
    }
    highest
}

/// One module folder's parsed files. Index 0 of a module tree is the root.
struct Folder {
    dir: PathBuf,
    bodies: Vec<(FileId, Body)>,
}

/// What building a module tree collects besides the modules.
struct Build<'s> {
    sources: &'s SourceMap,
    limits: Limits,
    /// The azurerm provider's major version, for the whole configuration.
    major: Option<u64>,
    problems: Vec<Problem>,
    opaque: Vec<Span>,
    /// The work budget of the unit, shared by all its modules.
    guard: limits::Guard,
}

impl Build<'_> {
    /// A limit hit at `span` (none without a span to point at).
    fn hit(&mut self, span: Option<Span>, key: &'static str, limit: usize, message: String) {
        if let Some(span) = span {
            self.problems.push(Limits::problem(
                self.sources,
                &limits::Hit {
                    span,
                    message,
                    key,
                    limit: limit as u64,
                },
            ));
        }
    }
}

/// Arguments of a `module` block that are not inputs of the module.
const META_ARGUMENTS: [&str; 6] = [
    "source",
    "version",
    "providers",
    "depends_on",
    "count",
    "for_each",
];

/// Variable values given from outside the module's files: `TF_VAR_name`
/// environment variables (below every var file, as in Terraform) and
/// `--var name=value` (above them). Values are strings, as Terraform reads
/// them for string variables; a value that starts with `[` or `{` is a list
/// or map plinth does not parse, so unknown.
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub env: Vec<(String, String)>,
    pub cli: Vec<(String, String)>,
}

impl Given {
    /// `TF_VAR_*` from this process's environment.
    pub fn from_env(cli: Vec<(String, String)>) -> Given {
        let env = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|name| (name.to_string(), v)))
            .collect();
        Given { env, cli }
    }

    fn value(text: &str) -> Value {
        if text.trim_start().starts_with(['[', '{']) {
            Value::Unknown
        } else {
            Value::String(text.to_string())
        }
    }
}

/// Loads one Terraform module folder as a unit, with the local modules it
/// calls (`source = "./…"` or `"../…"`), evaluated with the caller's inputs,
/// their resources addressed `module.NAME.…`. `var_files` bind the root's
/// variables, in order (later ones win), as `terraform plan` would.
pub fn load_module(
    sources: &SourceMap,
    dir: &Path,
    files: &[PathBuf],
    var_files: &[PathBuf],
    given: &Given,
    limits: Limits,
) -> Loaded {
    let mut loaded = Loaded::default();
    let mut file_ids = Vec::new();
    let root: Vec<(FileId, Body)> = files
        .iter()
        .filter_map(|path| parse_file(sources, path, &mut loaded, &mut file_ids, limits))
        .collect();
    if root.is_empty() {
        return loaded;
    }
    let values: Vec<VarFile> = var_files
        .iter()
        .filter_map(|path| {
            if path.to_string_lossy().ends_with(".json") {
                json_var_file(sources, path, &mut loaded, &mut file_ids, limits).map(VarFile::Json)
            } else {
                parse_file(sources, path, &mut loaded, &mut file_ids, limits)
                    .map(|(file, body)| VarFile::Hcl(file, body))
            }
        })
        .collect();
    let major = azurerm_major(sources, dir, &root);
    let mut folders = vec![Folder {
        dir: dir.to_path_buf(),
        bodies: root,
    }];
    let calls = read_local_modules(sources, &mut folders, &mut loaded, &mut file_ids, limits);

    let mut build = Build {
        sources,
        limits,
        major,
        problems: Vec::new(),
        opaque: Vec::new(),
        guard: limits::Guard::new(limits),
    };
    let in_var_files: std::collections::HashSet<&str> = values
        .iter()
        .flat_map(|var_file| -> Vec<&str> {
            match var_file {
                VarFile::Hcl(_, body) => {
                    body.attributes().map(|a| a.key.value().as_str()).collect()
                }
                VarFile::Json(values) => values.iter().map(|(k, _)| k.as_str()).collect(),
            }
        })
        .collect();
    let mut supplied = HashMap::new();
    for (name, text) in &given.env {
        if !in_var_files.contains(name.as_str()) {
            supplied.insert(name.clone(), Given::value(text));
        }
    }
    for (name, text) in &given.cli {
        supplied.insert(name.clone(), Given::value(text));
    }
    let module = build_module(
        &folders,
        &calls,
        &[0],
        String::new(),
        supplied,
        &values,
        &mut build,
    );
    loaded.problems.append(&mut build.problems);
    let mut unit = Unit {
        label: dir.to_string_lossy().into_owned(),
        files: file_ids,
        opaque: build.opaque,
        ..Unit::default()
    };
    // Every module's resources first, then the associations, which may
    // point from one module into another.
    let mut all = Vec::new();
    collect(&module, &mut all);
    for m in &all {
        for decl in &m.decls {
            azurerm::map(m, decl, &mut unit);
        }
    }
    for m in &all {
        azurerm::fold_associations(m, &mut unit);
    }
    for hit in build.guard.take() {
        loaded.problems.push(Limits::problem(sources, &hit));
    }
    loaded.units.push(unit);
    loaded
}

fn collect<'m, 'b>(module: &'m Module<'b>, out: &mut Vec<&'m Module<'b>>) {
    out.push(module);
    let mut names: Vec<&String> = module.children.keys().collect();
    names.sort();
    for name in names {
        if let Some(child) = module.children.get(name) {
            collect(child, out);
        }
    }
}

/// The text of `.terraform.lock.hcl` beside the root module, when there is
/// one plinth may read; a link, FIFO or device under that name is noted
/// and not read.
fn lock_file(sources: &SourceMap, dir: &Path) -> Option<String> {
    let path = dir.join(".terraform.lock.hcl");
    let confinement = sources.confinement();
    match confinement.read(&path) {
        Ok(bytes) => crate::paths::decode(bytes).ok(),
        Err(crate::paths::Refusal::Missing) => None,
        Err(refusal) => {
            confinement.note(refusal.problem(&path, "lock file", (&path, None)));
            None
        }
    }
}

/// The local folder a `module` block's `source` names, when it is one, with
/// the span of the `source` value. Its path is normalized lexically
/// (`infra/prod/../modules/db` → `infra/modules/db`), so a module's files
/// have the same paths whether reached from a caller or on their own.
fn local_source(block: &Block, dir: &Path) -> Option<(PathBuf, Option<std::ops::Range<usize>>)> {
    let source = block.body.get_attribute("source")?;
    let Expression::String(s) = &source.value else {
        return None;
    };
    let range = hcl_edit::Span::span(&source.value);
    let s = s.value().as_str();
    (s.starts_with("./") || s.starts_with("../"))
        .then(|| (crate::paths::normalize(&dir.join(s)), range))
}

/// Reads every local module folder the tree calls, once each (by canonical
/// path), breadth first. Returns (caller folder, call name) → callee folder.
fn read_local_modules(
    sources: &SourceMap,
    folders: &mut Vec<Folder>,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> HashMap<(usize, String), usize> {
    let mut calls = HashMap::new();
    let mut by_dir: HashMap<PathBuf, usize> = HashMap::new();
    if let Ok(root) = folders[0].dir.canonicalize() {
        by_dir.insert(root, 0);
    }
    let mut depth = vec![0usize];
    let mut next = 0;
    while next < folders.len() {
        let idx = next;
        next += 1;
        if depth[idx] >= limits.max_deployment_depth {
            continue;
        }
        let mut wanted = Vec::new();
        for (file, body) in &folders[idx].bodies {
            for block in body.blocks().filter(|b| b.has_ident("module")) {
                let (Some(name), Some((dir, range))) = (
                    block.labels.first().map(|l| l.as_str().to_string()),
                    local_source(block, &folders[idx].dir),
                ) else {
                    continue;
                };
                wanted.push((name, dir, eval::span_of(*file, range)));
            }
        }
        for (name, dir, span) in wanted {
            let Ok(canonical) = dir.canonicalize() else {
                continue; // a missing folder: `terraform init` would fail; unseen
            };
            if let Err(refusal) = sources.confinement().check_folder(&dir) {
                let at = span.map(|s| sources.path(s.file)).unwrap_or(dir.clone());
                loaded
                    .problems
                    .push(refusal.problem(&dir, "module folder", (&at, span)));
                continue;
            }
            let child = match by_dir.get(&canonical) {
                Some(child) => *child,
                None => {
                    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
                        .map(|entries| {
                            entries
                                .flatten()
                                .map(|e| e.path())
                                .filter(|p| {
                                    p.extension().is_some_and(|e| e == "tf")
                                        && std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    paths.sort();
                    let bodies: Vec<(FileId, Body)> = paths
                        .iter()
                        .filter_map(|path| parse_file(sources, path, loaded, file_ids, limits))
                        .collect();
                    folders.push(Folder { dir, bodies });
                    depth.push(depth[idx] + 1);
                    by_dir.insert(canonical, folders.len() - 1);
                    folders.len() - 1
                }
            };
            calls.insert((idx, name), child);
        }
    }
    calls
}

/// Builds the module of `chain`'s last folder (the chain of callers leads to
/// it) with `supplied` inputs, expands its instances, and builds the local
/// modules it calls with the inputs it passes them.
fn build_module<'b>(
    folders: &'b [Folder],
    calls: &HashMap<(usize, String), usize>,
    chain: &[usize],
    prefix: String,
    supplied: HashMap<String, Value>,
    values: &'b [VarFile],
    build: &mut Build<'_>,
) -> Module<'b> {
    let idx = chain.last().copied().unwrap_or(0);
    let mut declared = Declared::default();
    let mut module_blocks = Vec::new();
    for (file, body) in &folders[idx].bodies {
        for block in body.blocks() {
            let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_string());
            match block.ident.value().as_str() {
                "variable" => {
                    if let Some(name) = label(0) {
                        let default = block.body.get_attribute("default").map(|a| &a.value);
                        declared.variables.insert(name, (default, *file));
                    }
                }
                "locals" => {
                    for attribute in block.body.attributes() {
                        declared.locals.insert(
                            attribute.key.value().as_str().to_string(),
                            (&attribute.value, *file),
                        );
                    }
                }
                "output" => {
                    if let (Some(name), Some(value)) = (label(0), block.body.get_attribute("value"))
                    {
                        declared.outputs.insert(name, (&value.value, *file));
                    }
                }
                "resource" | "data" => {
                    if let (Some(kind), Some(name)) = (label(0), label(1)) {
                        declared
                            .decls
                            .push(declaration(block, &prefix, kind, name, *file));
                    }
                }
                "module" => module_blocks.push((block, *file)),
                _ => {}
            }
        }
    }
    // A var file binds only variables the module declares; Terraform warns
    // about the others, and so they change nothing here.
    let mut file_values = HashMap::new();
    for var_file in values {
        match var_file {
            VarFile::Hcl(file, body) => {
                for attribute in body.attributes() {
                    let name = attribute.key.value().as_str();
                    if let Some(slot) = declared.variables.get_mut(name) {
                        *slot = (Some(&attribute.value), *file);
                        file_values.remove(name);
                    }
                }
            }
            VarFile::Json(bound) => {
                for (name, value) in bound {
                    if declared.variables.contains_key(name) {
                        file_values.insert(name.clone(), value.clone());
                    }
                }
            }
        }
    }
    let mut module = Module::new(declared, prefix.clone(), supplied);
    module.file_values = file_values;
    module.azurerm_major = build.major;
    module.dir = Some(folders[idx].dir.clone());
    module.root_dir = Some(folders[0].dir.clone());
    module.guard = build.guard.clone();
    module.confinement = build.sources.confinement();
    for (span, max) in module.expand(build.limits.max_copies) {
        build.hit(
            span,
            "max_copies",
            max,
            format!("more than {max} instances: the block is checked as one that may not exist"),
        );
    }
    for (block, file) in module_blocks {
        let whole = eval::span_of(file, hcl_edit::Span::span(block));
        let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
            continue;
        };
        let instanced = block.body.get_attribute("count").is_some()
            || block.body.get_attribute("for_each").is_some();
        let max = build.limits.max_deployment_depth;
        if chain.len() > max && local_source(block, &folders[idx].dir).is_some() {
            build.opaque.extend(whole);
            build.hit(
                whole,
                "max_deployment_depth",
                max,
                format!("modules nested more than {max} deep: this one is not checked"),
            );
            continue;
        }
        let callee = calls.get(&(idx, name.clone())).copied();
        let Some(callee) = callee else {
            // A registry or git module, or a missing folder: what it
            // declares is not seen.
            build.opaque.extend(whole);
            continue;
        };
        // `count` and `for_each` make one module instance each; when they
        // are not known before apply, what the module declares is not seen.
        let instances: Vec<Option<Instance>> = if instanced {
            let call = Decl {
                key: format!("{prefix}module.{name}"),
                kind: "module".into(),
                managed: false,
                block,
                file,
                instance: None,
            };
            match module.expansion(&call, build.limits.max_copies) {
                Expansion::Instances(list) => list.into_iter().map(Some).collect(),
                Expansion::OverLimit(span, max) => {
                    build.hit(
                        span,
                        "max_copies",
                        max,
                        format!("more than {max} instances: the module is not checked"),
                    );
                    build.opaque.extend(whole);
                    continue;
                }
                Expansion::Whole => {
                    build.opaque.extend(whole);
                    continue;
                }
            }
        } else {
            vec![None]
        };
        if chain.contains(&callee) {
            build.opaque.extend(whole);
            build.problems.push(
                Problem::new(
                    "module-error",
                    format!("module \"{name}\" calls a module that calls it: Terraform refuses the cycle"),
                )
                .at(build.sources.path(file), whole)
                .with_label("the cycle closes here"),
            );
            continue;
        }
        let mut inner = chain.to_vec();
        inner.push(callee);
        // Module calls and their instances count over the unit: a diamond
        // of modules each calling the next ten times makes 10^n calls.
        let at = whole.unwrap_or(Span::new(file, 0, 0));
        if instanced && !build.guard.spend_instances(instances.len() as u64, at) {
            build.opaque.extend(whole);
            continue;
        }
        for instance in instances {
            if !build.guard.spend_module_call(at) {
                build.opaque.extend(whole);
                break;
            }
            let suffix = instance
                .as_ref()
                .map(|i| i.key.suffix())
                .unwrap_or_default();
            let inputs: HashMap<String, Value> = block
                .body
                .attributes()
                .filter(|a| !META_ARGUMENTS.contains(&a.key.value().as_str()))
                .map(|a| {
                    (
                        a.key.value().as_str().to_string(),
                        module.eval_as(instance.clone(), &a.value, file),
                    )
                })
                .collect();
            let child = build_module(
                folders,
                calls,
                &inner,
                format!("{prefix}module.{name}{suffix}."),
                inputs,
                &[],
                build,
            );
            module.children.insert(format!("{name}{suffix}"), child);
        }
    }
    // Values cached before the children existed may have missed their outputs.
    module.forget();
    module
}

/// Registers one file of the unit; a problem, and `None`, when it is too
/// large or cannot be read.
fn read_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<FileId> {
    if let Some(size) = limits::oversized(path, limits) {
        loaded
            .problems
            .push(limits::file_too_big(path, size, limits));
        return None;
    }
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(err) => {
            loaded
                .problems
                .push(err.problem(path, "file", (path, None)));
            return None;
        }
    };
    loaded.files += 1;
    file_ids.push(file);
    Some(file)
}

/// A variable file: HCL (`.tfvars`), or JSON (`.tfvars.json`) whose values
/// are literal.
enum VarFile {
    Hcl(FileId, Body),
    Json(Vec<(String, Value)>),
}

/// Reads a `.tfvars.json` file: one object, variable name → value, each
/// value keeping its span. A problem, and `None`, when it cannot be read.
fn json_var_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<Vec<(String, Value)>> {
    let file = read_file(sources, path, loaded, file_ids, limits)?;
    let source = sources.get(file);
    let root = match crate::json::parse(file, &source.text, limits.max_nesting) {
        Ok(Some(root)) => root,
        Ok(None) => return Some(Vec::new()),
        Err(err) => {
            let end = err.end.max(err.start + 1).min(source.text.len());
            let span = Span::new(file, err.start.min(end), end);
            loaded.problems.push(if err.too_deep {
                limits::nested_too_deep(path, span, limits)
            } else {
                Problem::new(
                    "parse-error",
                    format!("invalid JSON in variable file: {}", err.message),
                )
                .at(path, Some(span))
                .with_label(err.message)
            });
            return None;
        }
    };
    Some(
        root.members()
            .iter()
            .map(|m| (m.key.clone(), json_value(&m.value).value))
            .collect(),
    )
}

/// A JSON value as it is written, with its spans.
fn json_value(j: &crate::json::J) -> crate::model::Node {
    use crate::json::JKind;
    let value = match &j.kind {
        JKind::Null => Value::Null,
        JKind::Bool(b) => Value::Bool(*b),
        JKind::Number(n) => Value::Number(*n),
        JKind::String(s) => Value::String(s.clone()),
        JKind::Array(items) => Value::Array(items.iter().map(json_value).collect()),
        JKind::Object(members) => {
            let mut object = crate::model::Object::new();
            for m in members {
                object.insert(m.key.clone(), json_value(&m.value));
            }
            Value::Object(object)
        }
    };
    crate::model::Node::new(value, Some(j.span))
}

/// Reads and parses one `.tf` or `.tfvars` file; a problem, and `None`, when
/// it cannot be read or parsed.
fn parse_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<(FileId, Body)> {
    let file = read_file(sources, path, loaded, file_ids, limits)?;
    let source = sources.get(file);
    match prescan(&source.text, limits) {
        Some(Excess::Nesting(at)) => {
            let span = Span::new(file, at, at + 1);
            loaded
                .problems
                .push(limits::nested_too_deep(path, span, limits));
            return None;
        }
        Some(Excess::ObjectMembers(at)) => {
            let span = Span::new(file, at, at + 1);
            loaded
                .problems
                .push(limits::object_too_large(path, span, limits));
            return None;
        }
        None => {}
    }
    match hcl_edit::parser::parse_body(&source.text) {
        Ok(body) => Some((file, body)),
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
            None
        }
    }
}

pub(crate) fn declaration<'b>(
    block: &'b Block,
    prefix: &str,
    kind: String,
    name: String,
    file: FileId,
) -> Decl<'b> {
    let managed = block.ident.value().as_str() == "resource";
    let key = if managed {
        format!("{prefix}{kind}.{name}")
    } else {
        format!("{prefix}data.{kind}.{name}")
    };
    Decl {
        key,
        kind,
        managed,
        block,
        file,
        instance: None,
    }
}

/// What a cheap scan before parsing found over a limit, and where.
#[derive(Debug, PartialEq)]
enum Excess {
    Nesting(usize),
    ObjectMembers(usize),
}

/// Scans for what the parser cannot take safely: brackets nested deeper than
/// `max_nesting` (its stack), and object expressions (`{ k = v, … }`, a `{`
/// after `=`, `:`, `(`, `[`, `,` or `?`) with more than `max_object_members`
/// members (hcl-edit's parser is quadratic in them: 100,000 take 23 s).
/// Brackets, `=` and `:` inside strings and comments count too: a cheap,
/// safe over-estimate.
fn prescan(text: &str, limits: Limits) -> Option<Excess> {
    // One frame per open bracket: whether it opens an object expression,
    // and how many `=`/`:` it holds directly.
    let mut frames: Vec<(bool, usize)> = Vec::new();
    let mut previous = b'\n';
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                let object =
                    b == b'{' && matches!(previous, b'=' | b':' | b'(' | b'[' | b',' | b'?');
                frames.push((object, 0));
                if frames.len() > limits.max_nesting {
                    return Some(Excess::Nesting(i));
                }
            }
            b')' | b']' | b'}' => {
                frames.pop();
            }
            b'=' | b':' => {
                if let Some((true, members)) = frames.last_mut() {
                    *members += 1;
                    if *members > limits.max_object_members {
                        return Some(Excess::ObjectMembers(i));
                    }
                }
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            previous = b;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Part, Resource, Value};

    fn load(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.tf");
        std::fs::write(&path, text).expect("write");
        load_module(
            &SourceMap::new(),
            dir.path(),
            &[path],
            &[],
            &Given::default(),
            Limits::default(),
        )
    }

    fn resource<'a>(loaded: &'a Loaded, key: &str) -> &'a Resource {
        loaded.units[0]
            .resources
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
    }

    fn value<'a>(r: &'a Resource, path: &str) -> Option<&'a Value> {
        r.get_path(path).map(|n| &n.value)
    }

    #[test]
    fn all_three_generations_of_the_subnet_policy_attribute() {
        let loaded = load(
            r#"
resource "azurerm_subnet" "a" {
  name = "a"
  virtual_network_name = "v"
  private_endpoint_network_policies = "Disabled"
}
resource "azurerm_subnet" "b" {
  name = "b"
  virtual_network_name = "v"
  private_endpoint_network_policies_enabled = true
}
resource "azurerm_subnet" "c" {
  name = "c"
  virtual_network_name = "v"
  enforce_private_link_endpoint_network_policies = true
}
resource "azurerm_subnet" "d" {
  name = "d"
  virtual_network_name = "v"
}
"#,
        );
        let policy = |key| {
            value(
                resource(&loaded, key),
                "properties.privateEndpointNetworkPolicies",
            )
            .cloned()
        };
        assert_eq!(
            policy("azurerm_subnet.a"),
            Some(Value::String("Disabled".into()))
        );
        assert_eq!(
            policy("azurerm_subnet.b"),
            Some(Value::String("Enabled".into()))
        );
        assert_eq!(
            policy("azurerm_subnet.c"),
            Some(Value::String("Disabled".into()))
        );
        assert_eq!(policy("azurerm_subnet.d"), None);
        assert_eq!(
            resource(&loaded, "azurerm_subnet.a").names,
            vec![Part::from("v"), Part::from("a")]
        );
    }

    #[test]
    fn references_become_ids_with_the_address_and_unknowns_stay_unknown() {
        let loaded = load(
            r#"
variable "zone" {}
variable "prefix" { default = "pe" }
locals { name = "${var.prefix}-db" }
resource "azurerm_private_dns_zone" "z" { name = var.zone }
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_private_endpoint" "pe" {
  name      = local.name
  subnet_id = azurerm_subnet.s.id
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.z.id]
  }
}
"#,
        );
        let pe = resource(&loaded, "azurerm_private_endpoint.pe");
        assert_eq!(pe.names, vec![Part::from("pe-db")]);
        let Some(Value::Id(subnet)) = value(pe, "properties.subnet.id") else {
            panic!("an id");
        };
        assert_eq!(subnet.local.as_deref(), Some("azurerm_subnet.s"));
        assert_eq!(subnet.names, vec![Part::from("vnet"), Part::from("snet")]);

        let group = resource(
            &loaded,
            "azurerm_private_endpoint.pe/private_dns_zone_group",
        );
        assert_eq!(
            group.rtype,
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
        );
        assert_eq!(
            loaded.units[0].parents.get(&group.key).map(String::as_str),
            Some("azurerm_private_endpoint.pe")
        );
        let Some(Value::Array(configs)) = value(group, "properties.privateDnsZoneConfigs") else {
            panic!("configs");
        };
        let Some(Value::Id(zone)) = configs[0]
            .get_path("properties.privateDnsZoneId")
            .map(|n| &n.value)
        else {
            panic!("a zone id");
        };
        assert_eq!(
            zone.names,
            vec![Part::Unknown],
            "a variable without a default"
        );
        assert_eq!(zone.local.as_deref(), Some("azurerm_private_dns_zone.z"));
    }

    #[test]
    fn associations_fold_into_their_subnet_or_make_every_subnet_unknown() {
        let known = load(
            r#"
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_network_security_group" "n" { name = "nsg" }
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
"#,
        );
        let subnet = resource(&known, "azurerm_subnet.s");
        assert!(
            matches!(value(subnet, "properties.networkSecurityGroup.id"), Some(Value::Id(id)) if id.names == vec![Part::from("nsg")])
        );

        let unknown = load(
            r#"
variable "subnet_id" {}
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = var.subnet_id
  network_security_group_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
}
"#,
        );
        let subnet = resource(&unknown, "azurerm_subnet.s");
        assert_eq!(
            value(subnet, "properties.networkSecurityGroup.id"),
            Some(&Value::Unknown)
        );
    }

    #[test]
    fn count_zero_drops_and_unknown_count_may_not_exist() {
        let loaded = load(
            r#"
variable "n" {}
resource "azurerm_private_dns_zone" "gone" {
  count = 0
  name  = "a"
}
resource "azurerm_private_dns_zone" "maybe" {
  count = var.n
  name  = "b"
}
"#,
        );
        assert!(
            loaded.units[0]
                .resources
                .iter()
                .all(|r| r.key != "azurerm_private_dns_zone.gone")
        );
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.maybe").exists,
            crate::model::Truth::Unknown
        );
    }

    #[test]
    fn count_and_for_each_make_instances_with_their_own_values() {
        let loaded = load(
            r#"
variable "zones" {
  default = { pg = "privatelink.postgres.database.azure.com", kv = "privatelink.vaultcore.azure.net" }
}
resource "azurerm_private_dns_zone" "z" {
  for_each            = var.zones
  name                = each.value
  resource_group_name = "rg-${each.key}"
}
resource "azurerm_private_dns_zone" "set" {
  for_each = toset(["a.example", "b.example"])
  name     = each.key
}
resource "azurerm_private_dns_zone_virtual_network_link" "l" {
  count                 = 2
  name                  = "link-${count.index}"
  private_dns_zone_name = azurerm_private_dns_zone.z[count.index == 0 ? "pg" : "kv"].name
  resource_group_name   = "rg"
  virtual_network_id    = "x"
}
"#,
        );
        let pg = resource(&loaded, r#"azurerm_private_dns_zone.z["pg"]"#);
        assert_eq!(
            pg.names,
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        assert_eq!(pg.resource_group, Part::from("rg-pg"));
        assert_eq!(pg.origin.address, r#"azurerm_private_dns_zone.z["pg"]"#);
        let b = resource(&loaded, r#"azurerm_private_dns_zone.set["b.example"]"#);
        assert_eq!(b.names, vec![Part::from("b.example")]);
        let link = resource(
            &loaded,
            "azurerm_private_dns_zone_virtual_network_link.l[1]",
        );
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.vaultcore.azure.net"),
                Part::from("link-1")
            ]
        );
        assert!(
            loaded.units[0]
                .resources
                .iter()
                .all(|r| r.key != "azurerm_private_dns_zone.z")
        );
    }

    #[test]
    fn unknown_instances_stay_whole_and_unknown() {
        let loaded = load(
            r#"
variable "zones" {}
resource "azurerm_private_dns_zone" "z" {
  for_each = var.zones
  name     = each.value
}
resource "azurerm_private_dns_zone" "mixed" {
  for_each = toset(["a", var.zones])
  name     = each.key
}
resource "azurerm_private_dns_zone" "plain" {
  name = "${each.key}-${count.index}"
}
"#,
        );
        for key in [
            "azurerm_private_dns_zone.z",
            "azurerm_private_dns_zone.mixed",
        ] {
            let r = resource(&loaded, key);
            assert_eq!(r.exists, crate::model::Truth::Unknown, "{key}");
            assert_eq!(r.names, vec![Part::Unknown], "{key}");
        }
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.plain").names,
            vec![Part::Unknown]
        );
    }

    #[test]
    fn too_many_instances_are_a_limit_hit() {
        let loaded = load(
            "resource \"azurerm_private_dns_zone\" \"z\" {\n  count = 100000\n  name  = \"z${count.index}\"\n}\n",
        );
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert_eq!(loaded.problems[0].code, "limit-exceeded");
        let r = resource(&loaded, "azurerm_private_dns_zone.z");
        assert_eq!(r.names, vec![Part::Unknown]);
    }

    #[test]
    fn for_expressions_and_template_directives() {
        let loaded = load(
            r#"
locals {
  servers = { audit = "pg", billing = "kv", web = "pg" }
  pg      = [for name, kind in local.servers : "psql-${name}" if kind == "pg"]
  upper   = { for name, kind in local.servers : upper(name) => kind }
  joined  = "%{for n in local.pg}${n};%{endfor}"
  chosen  = "%{if length(local.pg) == 2}two%{else}other%{endif}"
  unknown = [for x in var.nothing : x]
  strip   = "a ${~ "b"}"
}
resource "azurerm_private_dns_zone" "a" { name = local.pg[1] }
resource "azurerm_private_dns_zone" "b" { name = local.upper["BILLING"] }
resource "azurerm_private_dns_zone" "c" { name = local.joined }
resource "azurerm_private_dns_zone" "d" { name = local.chosen }
resource "azurerm_private_dns_zone" "e" { name = local.unknown[0] }
resource "azurerm_private_dns_zone" "f" { name = local.strip }
"#,
        );
        let name = |key: &str| resource(&loaded, key).names.clone();
        assert_eq!(
            name("azurerm_private_dns_zone.a"),
            vec![Part::from("psql-web")]
        );
        assert_eq!(name("azurerm_private_dns_zone.b"), vec![Part::from("kv")]);
        assert_eq!(
            name("azurerm_private_dns_zone.c"),
            vec![Part::from("psql-audit;psql-web;")]
        );
        assert_eq!(name("azurerm_private_dns_zone.d"), vec![Part::from("two")]);
        assert_eq!(name("azurerm_private_dns_zone.e"), vec![Part::Unknown]);
        assert_eq!(name("azurerm_private_dns_zone.f"), vec![Part::Unknown]);
    }

    #[test]
    fn collection_and_string_functions() {
        let loaded = load(
            r#"
locals {
  m    = { b = "2", a = "1" }
  list = [{ n = "x" }, { n = "y" }]
}
resource "azurerm_private_dns_zone" "a" { name = join(",", keys(local.m)) }
resource "azurerm_private_dns_zone" "b" { name = join(",", values(local.m)) }
resource "azurerm_private_dns_zone" "c" { name = startswith("snet-pe", "snet") ? "yes" : "no" }
resource "azurerm_private_dns_zone" "d" { name = substr("privatelink", 0, 7) }
resource "azurerm_private_dns_zone" "e" { name = join("", flatten([["a"], [["b"]], "c"])) }
resource "azurerm_private_dns_zone" "f" { name = zipmap(["k"], ["v"])["k"] }
resource "azurerm_private_dns_zone" "g" { name = join("-", range(3)) }
resource "azurerm_private_dns_zone" "h" { name = one(distinct(["x", "x"])) }
resource "azurerm_private_dns_zone" "i" { name = contains(["a"], var.unknown) ? "y" : "n" }
resource "azurerm_private_dns_zone" "j" { name = length(range(0, 100000)) }
resource "azurerm_private_dns_zone" "k" { name = join(",", local.list[*].n) }
resource "azurerm_private_dns_zone" "l" { name = join(",", local.list.*.n) }
resource "azurerm_private_dns_zone" "m" { name = try(local.list[0].n, "fallback") }
resource "azurerm_private_dns_zone" "n" { name = try(var.unknown, "fallback") }
resource "azurerm_private_dns_zone" "o" { name = join(",", sort(reverse(["b", "c", "a"]))) }
resource "azurerm_private_dns_zone" "p" { name = tostring(tonumber("42") + 1) }
"#,
        );
        let name = |key: &str| {
            resource(&loaded, &format!("azurerm_private_dns_zone.{key}"))
                .names
                .clone()
        };
        assert_eq!(name("a"), vec![Part::from("a,b")]);
        assert_eq!(name("b"), vec![Part::from("1,2")]);
        assert_eq!(name("c"), vec![Part::from("yes")]);
        assert_eq!(name("d"), vec![Part::from("private")]);
        assert_eq!(name("e"), vec![Part::from("abc")]);
        assert_eq!(name("f"), vec![Part::from("v")]);
        assert_eq!(name("g"), vec![Part::from("0-1-2")]);
        assert_eq!(name("h"), vec![Part::from("x")]);
        assert_eq!(name("i"), vec![Part::Unknown]);
        assert_eq!(name("j"), vec![Part::Unknown]);
        assert_eq!(name("k"), vec![Part::from("x,y")]);
        assert_eq!(name("l"), vec![Part::from("x,y")]);
        assert_eq!(name("m"), vec![Part::from("x")]);
        assert_eq!(name("n"), vec![Part::Unknown]);
        assert_eq!(name("o"), vec![Part::from("a,b,c")]);
        assert_eq!(name("p"), vec![Part::from("43")]);
    }

    /// Writes `files` (path → text) under a temporary folder and loads `root` in it.
    fn load_tree(files: &[(&str, &str)], root: &str) -> (tempfile::TempDir, Loaded) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        let root = dir.path().join(root);
        let tf: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("root")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .collect();
        let loaded = load_module(
            &SourceMap::new(),
            &root,
            &tf,
            &[],
            &Given::default(),
            Limits::default(),
        );
        (dir, loaded)
    }

    #[test]
    fn local_modules_take_inputs_and_give_outputs() {
        let (_dir, loaded) = load_tree(
            &[
                (
                    "env/main.tf",
                    r#"
module "zone" {
  source = "../modules/zone"
  name   = "privatelink.postgres.database.azure.com"
}
module "link" {
  source  = "../modules/link"
  zone    = module.zone.name
  network = "hub"
}
module "remote" {
  source = "example/thing/azurerm"
}
module "many" {
  source = "../modules/zone"
  count  = 2
  name   = "z${count.index}"
}
resource "azurerm_private_dns_zone" "copy" { name = "${module.many[1].name}-copy" }
"#,
                ),
                (
                    "modules/zone/main.tf",
                    r#"
variable "name" {}
resource "azurerm_private_dns_zone" "this" { name = var.name }
output "name" { value = azurerm_private_dns_zone.this.name }
"#,
                ),
                (
                    "modules/link/main.tf",
                    r#"
variable "zone" {}
variable "network" { default = "spoke" }
resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  name                  = "link-${var.network}"
  private_dns_zone_name = var.zone
  resource_group_name   = "rg"
  virtual_network_id    = "x"
}
"#,
                ),
            ],
            "env",
        );
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let zone = resource(&loaded, "module.zone.azurerm_private_dns_zone.this");
        assert_eq!(
            zone.names,
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        let link = resource(
            &loaded,
            "module.link.azurerm_private_dns_zone_virtual_network_link.this",
        );
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.postgres.database.azure.com"),
                Part::from("link-hub")
            ]
        );
        // The registry module is not read; the module with two instances is,
        // twice, each instance with its own inputs.
        assert_eq!(loaded.units[0].opaque.len(), 1);
        assert_eq!(loaded.units[0].resources.len(), 5);
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.copy").names,
            vec![Part::from("z1-copy")]
        );
        assert_eq!(
            resource(&loaded, "module.many[1].azurerm_private_dns_zone.this").names,
            vec![Part::from("z1")]
        );
        assert_eq!(loaded.units[0].files.len(), 3);
    }

    #[test]
    fn module_cycles_and_depth_are_reported() {
        let (_dir, loaded) = load_tree(
            &[
                ("a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\n"),
                ("b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\n"),
            ],
            "a",
        );
        let codes: Vec<&str> = loaded.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["module-error"]);
        assert_eq!(loaded.units[0].opaque.len(), 1);

        let mut files = Vec::new();
        for level in 0..20 {
            files.push((
                format!("m{level}/main.tf"),
                format!("module \"next\" {{\n  source = \"../m{}\"\n}}\n", level + 1),
            ));
        }
        files.push(("m20/main.tf".into(), String::new()));
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let (_dir, loaded) = load_tree(&files, "m0");
        let codes: Vec<&str> = loaded.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["limit-exceeded"]);
    }

    #[test]
    fn provider_constraints_give_the_highest_major_allowed() {
        assert_eq!(highest_major("~> 3.0"), Some(3));
        assert_eq!(highest_major("~> 3.117.0"), Some(3));
        assert_eq!(highest_major("~> 3"), None);
        assert_eq!(highest_major(">= 3.50, < 4.0"), Some(3));
        assert_eq!(highest_major(">= 3.50, < 4.1"), Some(4));
        assert_eq!(highest_major("= 3.1.0"), Some(3));
        assert_eq!(highest_major("3.1.0"), Some(3));
        assert_eq!(highest_major(">= 3.0"), None);
        assert_eq!(highest_major("<= 4.2, != 4.1"), Some(4));
        assert_eq!(highest_major("nonsense"), None);
    }

    #[test]
    fn files_decoders_regex_and_cidr_functions() {
        let (_dir, loaded) = load_tree(
            &[
                (
                    "env/main.tf",
                    r#"
locals {
  net  = yamldecode(file("${path.module}/network.yaml"))
  json = jsondecode("{\"zone\": \"privatelink.postgres.database.azure.com\"}")
}
resource "azurerm_private_dns_zone" "a" { name = local.net.zone }
resource "azurerm_private_dns_zone" "b" { name = local.json.zone }
resource "azurerm_private_dns_zone" "c" { name = cidrsubnet("10.20.0.0/16", 8, 2) }
resource "azurerm_private_dns_zone" "d" { name = cidrhost("10.20.1.0/24", 5) }
resource "azurerm_private_dns_zone" "e" { name = cidrnetmask("10.20.0.0/16") }
resource "azurerm_private_dns_zone" "f" { name = regex("^snet-(.*)$", "snet-pe")[0] }
resource "azurerm_private_dns_zone" "g" { name = regex("(?P<kind>[a-z]+)-", "pe-1").kind }
resource "azurerm_private_dns_zone" "h" { name = jsonencode({ a = 1 }) }
resource "azurerm_private_dns_zone" "i" { name = file("missing.txt") }
resource "azurerm_private_dns_zone" "j" { name = fileexists("network.yaml") ? "yes" : "no" }
resource "azurerm_private_dns_zone" "k" { name = cidrsubnet("10.20.0.0/16", 8, 256) }
resource "azurerm_private_dns_zone" "l" { name = join(",", cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)) }
resource "azurerm_private_dns_zone" "m" { name = base64decode(base64encode("zone")) }
resource "azurerm_private_dns_zone" "n" { name = join(",", formatlist("%s-%s", ["a", "b"], "x")) }
resource "azurerm_private_dns_zone" "o" { name = templatefile("zone.tftpl", { service = "postgres", parts = ["database", "azure", "com"] }) }
"#,
                ),
                (
                    "env/network.yaml",
                    "zone: privatelink.blob.core.windows.net\n",
                ),
                (
                    "env/zone.tftpl",
                    "privatelink.${service}%{ for p in parts }.${p}%{ endfor }",
                ),
            ],
            "env",
        );
        let name = |key: &str| {
            resource(&loaded, &format!("azurerm_private_dns_zone.{key}"))
                .names
                .clone()
        };
        assert_eq!(
            name("a"),
            vec![Part::from("privatelink.blob.core.windows.net")]
        );
        assert_eq!(
            name("b"),
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        assert_eq!(name("c"), vec![Part::from("10.20.2.0/24")]);
        assert_eq!(name("d"), vec![Part::from("10.20.1.5")]);
        assert_eq!(name("e"), vec![Part::from("255.255.0.0")]);
        assert_eq!(name("f"), vec![Part::from("pe")]);
        assert_eq!(name("g"), vec![Part::from("pe")]);
        assert_eq!(name("h"), vec![Part::from("{\"a\":1}")]);
        assert_eq!(name("i"), vec![Part::Unknown]);
        assert_eq!(name("j"), vec![Part::from("yes")]);
        assert_eq!(name("k"), vec![Part::Unknown]);
        assert_eq!(
            name("l"),
            vec![Part::from(
                "10.1.0.0/20,10.1.16.0/20,10.1.32.0/24,10.1.48.0/20"
            )]
        );
        assert_eq!(name("m"), vec![Part::from("zone")]);
        assert_eq!(name("n"), vec![Part::from("a-x,b-x")]);
        assert_eq!(
            name("o"),
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
    }

    #[test]
    fn json_and_hcl_var_files_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let main = write(
            "main.tf",
            "variable \"a\" {}\nvariable \"b\" {}\nresource \"azurerm_private_dns_zone\" \"z\" { name = \"${var.a}-${var.b}\" }\n",
        );
        let hcl = write("terraform.tfvars", "a = \"hcl\"\nb = \"hcl\"\n");
        let json = write("x.auto.tfvars.json", "{ \"a\": \"json\", \"b\": \"json\" }");
        let last = write("last.tfvars", "b = \"last\"\n");
        let loaded = load_module(
            &SourceMap::new(),
            dir.path(),
            &[main],
            &[hcl, json, last],
            &Given::default(),
            Limits::default(),
        );
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.z").names,
            vec![Part::from("json-last")]
        );
    }

    #[test]
    fn network_children_and_more_services_are_mapped() {
        let loaded = load(
            r#"
resource "azurerm_virtual_network_peering" "p" {
  name                 = "hub-to-spoke"
  virtual_network_name = "vnet-hub"
}
resource "azurerm_network_security_rule" "r" {
  name                        = "deny-all"
  network_security_group_name = "nsg-pe"
}
resource "azurerm_route" "x" {
  name             = "default"
  route_table_name = "rt-pe"
}
resource "azurerm_app_configuration" "c" { name = "appcs-orders" }
"#,
        );
        let typed = |key: &str| {
            let r = resource(&loaded, key);
            (r.rtype.clone(), r.names.clone())
        };
        assert_eq!(
            typed("azurerm_virtual_network_peering.p"),
            (
                "Microsoft.Network/virtualNetworks/virtualNetworkPeerings".to_string(),
                vec![Part::from("vnet-hub"), Part::from("hub-to-spoke")]
            )
        );
        assert_eq!(
            typed("azurerm_network_security_rule.r").1,
            vec![Part::from("nsg-pe"), Part::from("deny-all")]
        );
        assert_eq!(
            typed("azurerm_route.x").1,
            vec![Part::from("rt-pe"), Part::from("default")]
        );
        assert_eq!(
            typed("azurerm_app_configuration.c").0,
            "Microsoft.AppConfiguration/configurationStores"
        );
    }

    #[test]
    fn dynamic_blocks_expand_with_their_iterator() {
        let loaded = load(
            r#"
locals {
  subnets = { pe = "10.0.1.0/24", app = "10.0.2.0/24" }
}
variable "unknown" {}
resource "azurerm_virtual_network" "v" {
  name = "vnet"
  dynamic "subnet" {
    for_each = local.subnets
    content {
      name           = "snet-${subnet.key}"
      address_prefix = subnet.value
    }
  }
  dynamic "subnet" {
    for_each = var.unknown
    content {
      name = subnet.key
    }
  }
}
resource "azurerm_subnet" "s" {
  name                 = "snet-db"
  virtual_network_name = "vnet"
  dynamic "delegation" {
    for_each = ["Microsoft.DBforPostgreSQL/flexibleServers"]
    iterator = service
    content {
      name = "delegation-${service.key}"
      service_delegation {
        name = service.value
      }
    }
  }
}
"#,
        );
        let names: Vec<Vec<Part>> = loaded.units[0]
            .resources
            .iter()
            .filter(|r| r.key.starts_with("azurerm_virtual_network.v/"))
            .map(|r| r.names.clone())
            .collect();
        assert_eq!(
            names,
            vec![
                vec![Part::from("vnet"), Part::from("snet-pe")],
                vec![Part::from("vnet"), Part::from("snet-app")],
            ]
        );
        let subnet = resource(&loaded, "azurerm_subnet.s");
        let delegation = subnet
            .get_path("properties.delegations")
            .and_then(|d| match &d.value {
                Value::Array(items) => items.first().cloned(),
                _ => None,
            })
            .expect("one delegation");
        assert_eq!(
            delegation.get("name").map(|n| &n.value),
            Some(&Value::String("delegation-0".into()))
        );
        assert_eq!(
            delegation
                .get_path("properties.serviceName")
                .map(|n| &n.value),
            Some(&Value::String(
                "Microsoft.DBforPostgreSQL/flexibleServers".into()
            ))
        );
    }

    #[test]
    fn azapi_resources_carry_their_type_parent_and_body() {
        let loaded = load(
            r#"
variable "unknown" {}
resource "azapi_resource" "zone" {
  type      = "Microsoft.Network/privateDnsZones@2024-06-01"
  name      = "privatelink.postgres.database.azure.com"
  parent_id = "/subscriptions/s/resourceGroups/rg-dns"
}
resource "azapi_resource" "link" {
  type      = "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01"
  name      = "hub"
  parent_id = azapi_resource.zone.id
  body = jsonencode({ properties = { registrationEnabled = true } })
}
resource "azapi_resource" "opaque" {
  type      = "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01"
  name      = "spoke"
  parent_id = var.unknown
  body      = var.unknown
}
"#,
        );
        let zone = resource(&loaded, "azapi_resource.zone");
        assert_eq!(zone.rtype, "Microsoft.Network/privateDnsZones");
        assert_eq!(zone.api_version.as_deref(), Some("2024-06-01"));
        assert_eq!(zone.resource_group, Part::from("rg-dns"));
        let link = resource(&loaded, "azapi_resource.link");
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.postgres.database.azure.com"),
                Part::from("hub")
            ]
        );
        assert_eq!(link.resource_group, Part::from("rg-dns"));
        assert_eq!(
            value(link, "properties.registrationEnabled"),
            Some(&Value::Bool(true))
        );
        let opaque = resource(&loaded, "azapi_resource.opaque");
        assert_eq!(opaque.names, vec![Part::Unknown, Part::from("spoke")]);
        assert_eq!(value(opaque, "properties"), Some(&Value::Unknown));
    }

    #[test]
    fn a_broken_file_is_a_problem_and_the_module_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("a.tf");
        let bad = dir.path().join("b.tf");
        std::fs::write(
            &good,
            "resource \"azurerm_private_dns_zone\" \"z\" { name = \"z\" }\n",
        )
        .expect("write");
        std::fs::write(&bad, "resource \"x\" \"y\" {\n  name = \n}\n").expect("write");
        let deep = dir.path().join("c.tf");
        std::fs::write(&deep, "x = ".to_string() + &"[".repeat(100_000)).expect("write");
        let loaded = load_module(
            &SourceMap::new(),
            dir.path(),
            &[good, bad, deep],
            &[],
            &Given::default(),
            Limits::default(),
        );
        let codes: Vec<&str> = loaded.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["parse-error", "limit-exceeded"]);
        assert!(loaded.problems.iter().all(|p| p.span.is_some()));
        assert_eq!(loaded.units[0].resources.len(), 1);
    }
}
