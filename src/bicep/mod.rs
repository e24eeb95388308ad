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

use foldhash::{HashMap, HashMapExt};
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
    // The file as the template's spans name it: its first registration in
    // the run, when the unit shares the run's kept template of it.
    if lowered.root != file {
        sources.release(file);
    }
    let mut builder = crate::arm::template::Builder::new(
        lowered.root,
        path.to_string_lossy().into_owned(),
        guard.clone(),
    );
    // Each file once, though a module deployed twice lists its files twice.
    let mut listed = std::collections::HashSet::new();
    let files: Vec<_> = lowered
        .files
        .into_iter()
        .filter(|f| listed.insert(*f))
        .collect();
    loaded.files += files.len();
    builder.unit.files.extend(files);
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
    ParameterFiles::default().of(template)
}

/// [`parameter_file_of`] for the many Bicep files of a run: each folder is
/// listed once, and each `.bicepparam` in it read once, however many
/// templates the folder holds.
#[derive(Debug, Default)]
pub struct ParameterFiles {
    /// By the folder's path as written (its bytes: a folder spelled two
    /// ways is listed twice, never mistaken), hashed in one piece rather
    /// than a name at a time as `Path` hashes: a run binds every Bicep
    /// file of a repository here before any unit starts.
    folders: HashMap<std::ffi::OsString, Option<Folder>>,
}

#[derive(Debug, Default)]
struct Folder {
    /// The names of its `.bicepparam` entries (files, links, anything).
    names: std::collections::HashSet<std::ffi::OsString>,
    /// The `.bicepparam` files, with the template each `using` names, read
    /// when first asked for.
    parameters: Vec<(PathBuf, Option<Option<String>>)>,
}

impl ParameterFiles {
    /// Takes the folders of `templates`, which a walk found, as the walk saw
    /// them: their `.bicepparam` entries are those of `walked` there (the
    /// ones the walk found), and they are not listed again. A parameter
    /// file the walk left out (ignored, hidden, excluded) binds none of them.
    pub fn walked<'p>(&mut self, templates: impl Iterator<Item = &'p Path>, walked: &[PathBuf]) {
        let mut by_folder: HashMap<&Path, Vec<&PathBuf>> = HashMap::new();
        for path in walked {
            if let Some(dir) = path.parent() {
                by_folder.entry(dir).or_default().push(path);
            }
        }
        for dir in templates.filter_map(Path::parent) {
            if self.folders.contains_key(dir.as_os_str()) {
                continue;
            }
            let mut folder = Folder::default();
            for path in by_folder.get(dir).into_iter().flatten() {
                folder.add((*path).clone());
            }
            self.folders
                .insert(dir.as_os_str().to_owned(), Some(folder));
        }
    }

    /// Lists the folders of `templates` ahead of asking [`Self::of`] for
    /// them, many folders on as many threads as the machine has: a folder
    /// listing is a system call, and a repository has one folder a module.
    pub fn list_folders_of<'p>(&mut self, templates: impl Iterator<Item = &'p Path>) {
        use rayon::prelude::*;
        let mut dirs: Vec<&Path> = templates
            .filter_map(Path::parent)
            .filter(|d| !self.folders.contains_key(d.as_os_str()))
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        // Threads are not started for a few folders (a pre-commit hook's).
        let listed: Vec<(std::ffi::OsString, Option<Folder>)> = if dirs.len() < 16 {
            dirs.iter()
                .map(|d| (d.as_os_str().to_owned(), Folder::list(d)))
                .collect()
        } else {
            dirs.par_iter()
                .map(|d| (d.as_os_str().to_owned(), Folder::list(d)))
                .collect()
        };
        self.folders.extend(listed);
    }

    /// The `.bicepparam` file that binds `template` by default.
    pub fn of(&mut self, template: &Path) -> Option<PathBuf> {
        // A link or a FIFO under the name is found here and refused with a
        // reason when the template's unit reads it.
        let dir = template.parent()?;
        if !self.folders.contains_key(dir.as_os_str()) {
            self.folders
                .insert(dir.as_os_str().to_owned(), Folder::list(dir));
        }
        let folder = self.folders.get_mut(dir.as_os_str())?;
        // Most folders hold no parameter file at all.
        if folder
            .as_ref()
            .is_some_and(|f| f.names.is_empty() && f.parameters.is_empty())
        {
            return None;
        }
        let same_name = template.with_extension("bicepparam");
        let Some(folder) = folder else {
            // Not listed: as the file system answers for the name alone.
            return std::fs::symlink_metadata(&same_name)
                .is_ok()
                .then_some(same_name);
        };
        if same_name
            .file_name()
            .is_some_and(|n| folder.names.contains(n))
        {
            return Some(same_name);
        }
        let name = template.file_name()?.to_str()?;
        let mut candidates = folder.parameters.iter_mut().filter_map(|(path, using)| {
            using
                .get_or_insert_with(|| using_of(path))
                .as_ref()
                .is_some_and(|u| u.ends_with(name))
                .then_some(&*path)
        });
        match (candidates.next(), candidates.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }
}

impl Folder {
    fn list(dir: &Path) -> Option<Folder> {
        let mut folder = Folder::default();
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            folder.add(entry.path());
        }
        Some(folder)
    }

    /// Counts the entry at `path` in, when it is named as a parameter file.
    fn add(&mut self, path: PathBuf) {
        if path.extension().is_some_and(|e| e == "bicepparam") {
            if let Some(name) = path.file_name() {
                self.names.insert(name.to_os_string());
            }
            self.parameters.push((path, None));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A module deployed in a loop, each instance given the output of
    /// another loop's instance of the same module: evaluating that output
    /// between two instances writes where the module's values came from
    /// (another caller's), and evaluating the next instance writes its own
    /// over it. An instance replayed from the one before writes the same:
    /// the unit is the same as when every instance is evaluated.
    #[test]
    fn a_module_instance_replayed_writes_what_evaluating_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("naming.bicep"),
            "param useDashes bool = true\nparam prefix string = 'p'\nvar delimiter = useDashes ? '-' : ''\n\
             resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: '${prefix}${delimiter}x'\n  location: 'global'\n  tags: {\n    d: delimiter\n  }\n}\n\
             output value string = length(delimiter) >= 0 ? 'same' : 'same'\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.bicep"),
            "module other './naming.bicep' = [for i in range(0, 2): {\n  name: 'other${i}'\n  params: {\n    useDashes: false\n  }\n}]\n\
             module loop './naming.bicep' = [for i in range(0, 2): {\n  name: 'loop${i}'\n  params: {\n    prefix: other[i].outputs.value\n  }\n}]\n",
        )
        .unwrap();
        let load = |replay: bool| {
            crate::arm::template::NO_REPLAY.with(|off| off.set(!replay));
            let sources = SourceMap::new();
            let main = dir.path().join("main.bicep");
            let mut loaded = load_bicep_input(&sources, &main, None, None, Limits::default());
            crate::arm::template::NO_REPLAY.with(|off| off.set(false));
            assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
            loaded.units.remove(0)
        };
        let (replayed, evaluated) = (load(true), load(false));
        assert_eq!(replayed.resources.len(), 8);
        assert_eq!(
            format!("{:?}", replayed.resources),
            format!("{:?}", evaluated.resources)
        );
        assert_eq!(replayed.parents, evaluated.parents);
        assert_eq!(replayed.provenance, evaluated.provenance);
        // Where the last instance's tag came from: the default, as
        // evaluating it says, not the other loop's caller.
        let zone = replayed
            .resources
            .iter()
            .rev()
            .find(|r| r.rtype.ends_with("privateDnsZones"));
        let tag = zone
            .and_then(|z| z.get_path("tags.d"))
            .and_then(|n| n.span)
            .expect("a tag with a span");
        let labels: Vec<&str> = replayed.provenance[&tag]
            .iter()
            .map(|(_, label)| &**label)
            .collect();
        assert!(
            labels.contains(&"parameter `useDashes` defaults to this value"),
            "{labels:?}"
        );
    }

    #[test]
    fn a_unit_whose_file_the_run_lowered_as_a_module_shares_its_reading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("zone.bicep"),
            "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: 'privatelink.example'\n  location: 'global'\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("main.bicep"),
            "module z './zone.bicep' = {\n  name: 'z'\n}\n",
        )
        .unwrap();
        let sources = SourceMap::new();
        let zone = crate::paths::normalize(&dir.path().join("zone.bicep"));
        let load = |path: &Path| {
            let mut loaded = load_bicep_input(&sources, path, None, None, Limits::default());
            assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
            loaded.units.remove(0)
        };
        let caller = load(&dir.path().join("main.bicep"));
        let module = caller.files[1];
        let registered = sources.len();
        let own = load(&zone);
        // The zone's unit names its file by the caller's id, the id its
        // resource's span keeps, and lets go of the one it registered.
        assert_eq!(own.files, vec![module]);
        assert!(own.resources.iter().all(|r| r.span.file == module));
        assert_eq!(sources.len(), registered + 1);
        let fresh = crate::source::FileId(registered as u32);
        assert!(sources.get(fresh).text.is_empty());
        assert!(!sources.get(module).text.is_empty());
    }

    #[test]
    fn parameter_files_are_found_per_folder_as_for_each_template_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("two")).unwrap();
        for (file, text) in [
            ("main.bicep", "param a string\n"),
            ("main.bicepparam", "using 'other.bicep'\nparam a = 'x'\n"),
            ("other.bicep", "param a string\n"),
            ("lone.bicep", "param a string\n"),
            ("prod.bicepparam", "using './lone.bicep'\nparam a = 'y'\n"),
            ("two/t.bicep", "param a string\n"),
            ("two/a.bicepparam", "using 't.bicep'\n"),
            ("two/b.bicepparam", "using './t.bicep'\n"),
        ] {
            std::fs::write(root.join(file), text).unwrap();
        }
        let mut files = ParameterFiles::default();
        let expected = [
            ("main.bicep", Some("main.bicepparam")),
            ("other.bicep", Some("main.bicepparam")),
            ("lone.bicep", Some("prod.bicepparam")),
            ("two/t.bicep", None),
            ("absent.bicep", None),
        ];
        for (template, found) in expected {
            let template = root.join(template);
            let alone = parameter_file_of(&template);
            assert_eq!(files.of(&template), alone, "{}", template.display());
            assert_eq!(alone, found.map(|f| root.join(f)), "{}", template.display());
        }
        // Each folder was listed once.
        assert_eq!(files.folders.len(), 2);
    }
}
