//! Loading a Terraform module folder as one unit: reading and parsing its
//! `.tf` files (with a cheap scan for what the parser cannot take), reading
//! the local modules it calls (`source = "./…"`), and building the tree of
//! evaluated modules with their inputs, var files and instances, whose
//! azurerm resources are then mapped onto the neutral model.
//!
//! Var files are read in `vars.rs`, the provider version in
//! `providers.rs`, expressions evaluated in `eval.rs` and
//! `expr.rs`, resources mapped in `azurerm/`. Registry and git
//! modules are read only from Terraform's module cache (`cache.rs`), once
//! `terraform init` has downloaded them; else they are unseen (opaque),
//! unless they are known to declare no resource.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::diagnostic::{Problem, SyntaxError};
use crate::limits::{self, Limits};
use crate::model::Loaded;
use crate::model::{Unit, Value};
use crate::source::{FileId, SourceMap, Span};
use crate::terraform::azurerm;
use crate::terraform::cache;
use crate::terraform::eval::{self, Decl, Declared, Expansion, Instance, Module};
use crate::terraform::hcl_text;
use crate::terraform::providers::azurerm_versions;
use crate::terraform::vars::{Given, VarFile, json_var_file};

/// One module folder's parsed files. Index 0 of a module tree is the root.
struct Folder {
    dir: PathBuf,
    /// The module cache's key of the call that first reached the folder
    /// (`pe.dns`; empty for the root): a cached folder reached through two
    /// calls has the same files, so either call's nested keys find them.
    key: String,
    bodies: Vec<(FileId, Body)>,
}

/// What building a module tree collects besides the modules.
struct Build<'s> {
    sources: &'s SourceMap,
    manifest: &'s cache::Manifest,
    limits: Limits,
    /// The azurerm provider's major version, for the whole configuration.
    major: Option<u64>,
    /// The lowest azurerm `(major, minor)` the configuration may use.
    lowest: Option<(u64, u64)>,
    problems: Vec<Problem>,
    opaque: Vec<Span>,
    /// Registry and git module calls `terraform init` would let plinth read.
    uninitialized: Vec<Span>,
    /// Registry sources the config adds to those without resources.
    without_resources: Vec<String>,
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
    let (major, lowest) = azurerm_versions(sources, dir, &root);
    let manifest = cache::read_manifest(
        sources,
        dir,
        given.data_dir.as_deref(),
        &mut loaded,
        &mut file_ids,
        limits,
    );
    let mut folders = vec![Folder {
        dir: dir.to_path_buf(),
        key: String::new(),
        bodies: root,
    }];
    let calls = read_local_modules(
        sources,
        &mut folders,
        &manifest,
        &mut loaded,
        &mut file_ids,
        limits,
    );

    let mut build = Build {
        sources,
        manifest: &manifest,
        limits,
        major,
        lowest,
        problems: Vec::new(),
        opaque: Vec::new(),
        uninitialized: Vec::new(),
        without_resources: given.without_resources.clone(),
        guard: limits::Guard::new(limits),
    };
    let supplied = supplied_values(given, &values);
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
        unseen_why: build
            .uninitialized
            .into_iter()
            .map(|span| (span, UNINITIALIZED.to_string()))
            .collect(),
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

/// The root's variables given from outside its files: `TF_VAR_` values
/// (below every var file, so only where no var file binds the name) and
/// `--var` values (above them).
fn supplied_values(given: &Given, values: &[VarFile]) -> HashMap<String, Value> {
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
    supplied
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

/// A module call's `source`, when it is a literal string.
fn source_text(block: &Block) -> Option<&str> {
    match &block.body.get_attribute("source")?.value {
        Expression::String(s) => Some(s.value().as_str()),
        _ => None,
    }
}

/// What `--show-unknown` adds at a registry or git module call with no cache.
const UNINITIALIZED: &str = "a registry or git module not in Terraform's module cache: after `terraform init`, plinth reads it from .terraform/modules";

/// Reads every local module folder the tree calls, and every registry or
/// git module Terraform's cache holds for a call, once each (by canonical
/// path), breadth first. Returns (caller folder, call name) → callee folder.
fn read_local_modules(
    sources: &SourceMap,
    folders: &mut Vec<Folder>,
    manifest: &cache::Manifest,
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
                let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                    continue;
                };
                let key = if folders[idx].key.is_empty() {
                    name.clone()
                } else {
                    format!("{}.{name}", folders[idx].key)
                };
                let found = local_source(block, &folders[idx].dir).or_else(|| {
                    let source = source_text(block)?;
                    let range = block
                        .body
                        .get_attribute("source")
                        .and_then(|a| hcl_edit::Span::span(&a.value));
                    Some((manifest.folder(&key, source)?.to_path_buf(), range))
                });
                let Some((dir, range)) = found else {
                    continue;
                };
                wanted.push((name, key, dir, eval::span_of(*file, range)));
            }
        }
        for (name, key, dir, span) in wanted {
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
                    folders.push(Folder { dir, key, bodies });
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
#[allow(clippy::too_many_lines)] // a module's steps: declarations, instances, its calls
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
                        if let Some(ty) = block.body.get_attribute("type")
                            && super::var_types::declares_optional(&ty.value)
                        {
                            declared
                                .variable_types
                                .insert(name.clone(), (&ty.value, *file));
                        }
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
    module.azurerm_lowest = build.lowest;
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
        let key = if folders[idx].key.is_empty() {
            name.clone()
        } else {
            format!("{}.{name}", folders[idx].key)
        };
        let source = source_text(block).unwrap_or_default();
        let cached = build.manifest.folder(&key, source).is_some();
        let max = build.limits.max_deployment_depth;
        if chain.len() > max && (cached || local_source(block, &folders[idx].dir).is_some()) {
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
            // declares is not seen, unless it is known to declare nothing
            // (its outputs stay unknown).
            if cache::declares_no_resources(source, &build.without_resources) {
                continue;
            }
            build.opaque.extend(whole);
            if !cached && local_source(block, &folders[idx].dir).is_none() && !source.is_empty() {
                build.uninitialized.extend(whole);
            }
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
                    crate::diagnostic::Code::ModuleError,
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
pub(super) fn read_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<FileId> {
    let file = match limits::load_file(sources, path, "file", limits) {
        Ok(file) => file,
        Err(problem) => {
            loaded.problems.push(problem);
            return None;
        }
    };
    loaded.files += 1;
    file_ids.push(file);
    Some(file)
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
    // Text hcl-edit refuses is parsed again rewritten where Terraform
    // accepts what hcl-edit does not (same offsets, see `hcl_text`); a
    // remaining error is then about the rest of the file.
    let parsed = hcl_edit::parser::parse_body(&source.text).or_else(|err| {
        match hcl_text::for_hcl_edit(&source.text) {
            Some(text) => hcl_edit::parser::parse_body(&text),
            None => Err(err),
        }
    });
    match parsed {
        Ok(body) => Some((file, body)),
        Err(err) => {
            let offset = err.location().offset().min(source.text.len());
            let end = source.text[offset..]
                .chars()
                .next()
                .map_or(offset, |c| offset + c.len_utf8());
            let message = err.message().lines().next().unwrap_or("syntax error");
            let err = SyntaxError::new(message, offset, end);
            loaded
                .problems
                .push(err.problem("invalid HCL", path, file, source.text.len()));
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
    use crate::model::Part;
    use crate::terraform::testing::{load_tree, resource};

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
