//! Which files to check: walks the given paths honouring `.gitignore` and
//! `--exclude`, and sorts what it finds into inputs for the front-ends.
//! It reads no file contents; deciding whether a JSON file is a template is
//! the loader's job.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::diagnostic::{Code, Problem};

/// One thing to load.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A `.json` file; `explicit` when the user named it on the command line.
    /// `parameters` is the parameter file that binds its parameters, if any.
    Json {
        path: PathBuf,
        explicit: bool,
        parameters: Option<PathBuf>,
    },
    /// A `.bicep` file, with the `.bicepparam` file that binds it, if any
    /// (bound by the Bicep front-end, which reads `using` lines: discovery
    /// leaves it `None`).
    Bicep {
        path: PathBuf,
        explicit: bool,
        parameters: Option<PathBuf>,
        /// The Bicep module cache registry modules are read from (set by
        /// the run from `--bicep-cache` or the config: discovery leaves it
        /// `None`).
        cache: Option<PathBuf>,
    },
    /// A `.bicepparam` file named on its own: it stands for the template its
    /// `using` line names, which the front-end dispatch reads and turns into
    /// a [`Input::Bicep`] (see `frontend::bind_bicep_parameters`).
    BicepParameters { path: PathBuf },
    /// A folder with `.tf` files: one Terraform module. `var_files` are the
    /// variable files Terraform would read, in order (later ones win).
    TerraformModule {
        dir: PathBuf,
        files: Vec<PathBuf>,
        var_files: Vec<PathBuf>,
    },
}

impl Input {
    /// Where the input is: its file, or its module's folder.
    pub fn location(&self) -> &Path {
        match self {
            Input::Json { path, .. }
            | Input::Bicep { path, .. }
            | Input::BicepParameters { path } => path,
            Input::TerraformModule { dir, .. } => dir,
        }
    }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub problems: Vec<Problem>,
    /// Files outside the paths asked whose findings are reported all the
    /// same: the template of a parameter file named explicitly, the `.tf`
    /// files of a module whose `.tfvars` file was named.
    pub also_report: Vec<PathBuf>,
    /// Compiled templates (`main.json` beside `main.bicep`) not checked:
    /// their Bicep source is.
    pub compiled_skipped: Vec<PathBuf>,
    /// Each folder walked, with the folders below it the walk entered
    /// (links are not followed, so none is one): the confinement takes them
    /// as checked ([`crate::paths::Confinement::seed`]).
    pub walked: Vec<(PathBuf, Vec<PathBuf>)>,
    /// The `.bicepparam` files the walks found, regular or not: a template
    /// a walk found is bound to one of these or to none
    /// (`frontend::bind_bicep_parameters`).
    pub parameter_files: Vec<PathBuf>,
}

/// Finds the inputs under `paths`, a large folder walked on as many threads
/// as `threads` says (asked only then: the answer may cost a small run's
/// time). A file given explicitly is always an input, whatever the ignore
/// files and excludes say.
#[allow(clippy::too_many_lines)] // one walk: named files, refused ignore files, folders
pub fn discover(paths: &[PathBuf], exclude: &[String], threads: fn() -> usize) -> Discovered {
    let mut found = Discovered::default();
    let problems = &mut found.problems;
    let excludes = match build_globs(exclude) {
        Ok(set) => set,
        Err(problem) => {
            problems.push(problem);
            return found;
        }
    };
    let mut json = Vec::new();
    let mut tf_dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    // Module folders whose files were all listed (a file of it was named).
    let mut listed: HashSet<PathBuf> = HashSet::new();

    for root in paths {
        let root = &crate::paths::normalize(root);
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_file() => {
                if !is_read(root) {
                    problems.push(not_read(root));
                    continue;
                }
                if let Some(also) = classify(root, true, &mut json, &mut tf_dirs, &mut listed) {
                    found.also_report.push(also);
                }
                continue;
            }
            Ok(meta) if meta.is_dir() => {}
            // A FIFO or a device is never opened, not even to say what it is.
            Ok(meta) => {
                let kind = crate::paths::special_kind(&meta).unwrap_or("not a file");
                problems.push(
                    Problem::new(
                        crate::paths::NOT_REGULAR,
                        format!("not a regular file ({kind}): not checked"),
                    )
                    .at(root.clone(), None),
                );
                continue;
            }
            Err(err) => {
                let message = match err.kind() {
                    std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
                    _ => format!("cannot read: {err}"),
                };
                problems.push(Problem::new(Code::IoError, message).at(root.clone(), None));
                continue;
            }
        }
        // The walker opens `.gitignore` and `.ignore` files itself, blocking
        // on a FIFO and reading a device to its end: a folder (or the root,
        // or a folder above it) with such an ignore file is refused first.
        if let Some(bad) = std::path::absolute(root)
            .ok()
            .and_then(|full| full.ancestors().find_map(unsafe_ignore_file))
        {
            problems.push(ignore_file_refused(&bad));
            continue;
        }
        let refused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let refused_in_walk = refused.clone();
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(true)
            .require_git(false)
            .follow_links(false)
            // `.git/info/exclude` may live wherever a `.git` file points.
            .git_exclude(false)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                match is_dir.then(|| unsafe_ignore_file(entry.path())).flatten() {
                    Some(bad) => {
                        refused_in_walk
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(ignore_file_refused(&bad));
                        false
                    }
                    None => true,
                }
            });
        let mut walked = walk(&mut builder, root, &excludes, &refused, threads);
        walked.errors.sort();
        for err in walked.errors {
            problems.push(Problem::new(Code::IoError, err));
        }
        found
            .walked
            .push((root.clone(), std::mem::take(&mut walked.folders)));
        found.parameter_files.extend(
            walked
                .files
                .iter()
                .chain(&walked.parameter_files)
                .filter(|path| is_parameter_file(path))
                .map(|path| crate::paths::normalize(path)),
        );
        walked.files.sort();
        for path in &walked.files {
            classify(
                &crate::paths::normalize(path),
                false,
                &mut json,
                &mut tf_dirs,
                &mut listed,
            );
        }
        let mut refused = refused.lock().unwrap_or_else(|e| e.into_inner());
        refused.sort_by(|a, b| a.path.cmp(&b.path));
        problems.append(&mut refused);
    }

    let mut inputs: Vec<Input> = json;
    inputs.extend(tf_dirs.into_iter().map(|(dir, mut files)| {
        files.sort();
        files.dedup();
        let var_files = auto_var_files(&dir);
        Input::TerraformModule {
            dir,
            files,
            var_files,
        }
    }));
    found.inputs = settle(inputs, &mut found.compiled_skipped);
    found
}

/// What a walk of one folder found: its files not excluded, and what
/// could not be read, in no order.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    /// The folders below the root it entered.
    folders: Vec<PathBuf>,
    /// Entries named as `.bicepparam` files that are not regular files.
    parameter_files: Vec<PathBuf>,
    errors: Vec<String>,
}

impl Walked {
    fn add(
        &mut self,
        entry: Result<ignore::DirEntry, ignore::Error>,
        root: &Path,
        excludes: &GlobSet,
    ) {
        let entry = match entry {
            Err(err) => return self.errors.push(err.to_string()),
            Ok(entry) => entry,
        };
        let Some(kind) = entry.file_type() else {
            return;
        };
        if kind.is_dir() {
            if entry.depth() > 0 {
                self.folders.push(entry.into_path());
            }
            return;
        }
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(path);
        if excludes.is_match(relative) || excludes.is_match(path) {
            return;
        }
        if kind.is_file() {
            self.files.push(entry.into_path());
        } else if is_parameter_file(path) {
            // A link or a FIFO under a parameter file's name: bound to its
            // template all the same, and refused with a reason when read.
            self.parameter_files.push(entry.into_path());
        }
    }
}

/// Entries a walk takes on one thread before it starts over on as many as
/// the machine has: a small folder is walked without starting a thread (a
/// parallel walk's idle threads wait a millisecond at a time for work, as
/// long as a small folder's whole check), a repository's folders are listed
/// and their ignore files read on every core.
const SERIAL_WALK_ENTRIES: usize = 256;

/// The files under `root` that `builder` walks to, less `excludes`.
/// Refusals of ignore files go to `refused` (cleared when the walk starts
/// over).
fn walk(
    builder: &mut ignore::WalkBuilder,
    root: &Path,
    excludes: &GlobSet,
    refused: &std::sync::Mutex<Vec<Problem>>,
    threads: fn() -> usize,
) -> Walked {
    let mut walked = Walked::default();
    let mut serial = builder.build();
    for entry in serial.by_ref().take(SERIAL_WALK_ENTRIES) {
        walked.add(entry, root, excludes);
    }
    if serial.next().is_none() {
        return walked;
    }
    drop(serial);
    refused.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let walked = std::sync::Mutex::new(Walked::default());
    builder.threads(threads()).build_parallel().run(|| {
        let walked = &walked;
        Box::new(move |entry| {
            walked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(entry, root, excludes);
            ignore::WalkState::Continue
        })
    });
    walked.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Puts inputs in their order and leaves out the ones that are another
/// seen twice: a template named explicitly and also found by a walk is one
/// input, and `main.json` compiled from a `main.bicep` beside it is not
/// checked unless named (noted in `compiled_skipped`). Idempotent.
pub fn settle(mut inputs: Vec<Input>, compiled_skipped: &mut Vec<PathBuf>) -> Vec<Input> {
    inputs.sort();
    // A template named explicitly and also found by a walk is one input,
    // the named one (`dedup_by` keeps the first: false sorts before true).
    inputs.reverse();
    inputs.dedup_by(|a, b| match (&*a, &*b) {
        (Input::Json { path: pa, .. }, Input::Json { path: pb, .. }) => pa == pb,
        (Input::Bicep { path: pa, .. }, Input::Bicep { path: pb, .. }) => pa == pb,
        _ => a == b,
    });
    inputs.reverse();
    // `main.json` compiled from `main.bicep` beside it: the Bicep is checked
    // (findings on the lines people edit), the JSON not, unless named. (A
    // run with no JSON found by a walk has nothing to leave out: hashing
    // each Bicep path cost as much as the rest of this.)
    if !inputs.iter().any(|i| {
        matches!(
            i,
            Input::Json {
                explicit: false,
                ..
            }
        )
    }) {
        return inputs;
    }
    let bicep: foldhash::HashSet<PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Bicep { path, .. } => Some(path.with_extension("json")),
            _ => None,
        })
        .collect();
    inputs.retain(|i| match i {
        Input::Json {
            path,
            explicit: false,
            ..
        } if bicep.contains(path) => {
            compiled_skipped.push(path.clone());
            false
        }
        _ => true,
    });
    inputs
}

/// Whether `path` is named as a Bicep parameter file.
fn is_parameter_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "bicepparam")
}

/// Whether a file's name is one plinth reads (as [`classify`] sorts them).
fn is_read(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".json", ".jsonc", ".bicep", ".bicepparam", ".tf", ".tfvars"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

/// A file named on the command line whose kind plinth does not read: the
/// README promises a named file is always checked, so it is not skipped.
fn not_read(path: &Path) -> Problem {
    Problem::new(
        Code::NotATemplate,
        "named on the command line but not a file plinth reads \
         (.json, .jsonc, .bicep, .bicepparam, .tf, .tfvars): not checked",
    )
    .at(path.to_path_buf(), None)
}

/// Sorts one file into `json` or `tf_dirs`. Returns a file to report on
/// beyond the paths asked, when naming this one stands for another.
fn classify(
    path: &Path,
    explicit: bool,
    json: &mut Vec<Input>,
    tf_dirs: &mut BTreeMap<PathBuf, Vec<PathBuf>>,
    listed: &mut HashSet<PathBuf>,
) -> Option<PathBuf> {
    let mut extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tfvars.json"))
    {
        extension = Some("tfvars".into());
    }
    match extension.as_deref() {
        Some("json") | Some("jsonc") => {
            // `main.parameters.json` named on its own (pre-commit passes only
            // what changed) stands for its template `main.json`.
            if explicit && let Some(template) = template_of(path) {
                json.push(Input::Json {
                    path: template.clone(),
                    explicit: true,
                    parameters: Some(path.to_path_buf()),
                });
                return Some(template);
            }
            json.push(Input::Json {
                path: path.to_path_buf(),
                explicit,
                parameters: parameter_file_of(path),
            });
            None
        }
        Some("bicep") => {
            json.push(Input::Bicep {
                path: path.to_path_buf(),
                explicit,
                parameters: None,
                cache: None,
            });
            None
        }
        // A `.bicepparam` file named on its own stands for its template;
        // found by a walk, it is read with the template it binds.
        Some("bicepparam") if explicit => {
            json.push(Input::BicepParameters {
                path: path.to_path_buf(),
            });
            None
        }
        Some("tf") | Some("tfvars") => {
            // A .tf or .tfvars file stands for its whole module folder.
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            let files = tf_dirs.entry(dir.clone()).or_default();
            let is_tf = path.extension().is_some_and(|e| e == "tf");
            // Sorted and deduplicated once, when discovery ends: doing it at
            // every file made a module of n files take time in n².
            if explicit {
                // Many files of one module named at once (pre-commit passes
                // each changed file) list the folder once, not once each.
                if listed.insert(dir.clone()) {
                    files.extend(tf_files_in(&dir));
                }
            } else if is_tf {
                files.push(path.to_path_buf());
            }
            // A changed `.tfvars` file changes what the whole module means.
            (explicit && !is_tf).then_some(dir)
        }
        _ => None,
    }
}

/// An ignore file in `dir` the walker would open that is not a regular
/// file (a FIFO, a device, a link).
fn unsafe_ignore_file(dir: &Path) -> Option<PathBuf> {
    [".gitignore", ".ignore"].iter().find_map(|name| {
        let path = dir.join(name);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        (!meta.is_file()).then_some(path)
    })
}

fn ignore_file_refused(path: &Path) -> Problem {
    let kind = std::fs::symlink_metadata(path)
        .ok()
        .and_then(|m| crate::paths::special_kind(&m))
        .unwrap_or("not a file");
    Problem::new(
        crate::paths::NOT_REGULAR,
        format!("ignore file is not a regular file ({kind}): its folder is not checked"),
    )
    .at(path, None)
    .with_help("plinth never opens links, FIFOs or devices; make it a regular file or remove it")
}

/// Whether there is something at `path` (a link or a FIFO too): found here,
/// it is refused with a reason when read.
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

/// `X.parameters.json` → `X.json`, when that template file exists.
pub fn template_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".parameters.json")?;
    let template = path.with_file_name(format!("{stem}.json"));
    template.is_file().then_some(template)
}

/// `X.json` → `X.parameters.json`, when that parameter file exists: the
/// convention of Azure's quickstarts and of `az deployment … --parameters`.
fn parameter_file_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".parameters.json") {
        return None;
    }
    let stem = name.strip_suffix(".json")?;
    let parameters = path.with_file_name(format!("{stem}.parameters.json"));
    present(&parameters).then_some(parameters)
}

/// The variable files Terraform reads by itself, in its order:
/// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` and
/// `*.auto.tfvars.json` in lexical order.
fn auto_var_files(dir: &Path) -> Vec<PathBuf> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            present(p)
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                })
        })
        .collect();
    auto.sort();
    let mut files: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .map(|name| dir.join(name))
        .filter(|p| present(p))
        .collect();
    files.extend(auto);
    files
}

/// The `.tf` files directly in a folder, sorted.
fn tf_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
                && p.extension().is_some_and(|e| e == "tf")
        })
        .collect();
    files.sort();
    files
}

fn build_globs(patterns: &[String]) -> Result<GlobSet, Problem> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|err| {
            Problem::new(
                Code::UsageError,
                format!("invalid --exclude glob `{pattern}`: {err}"),
            )
        })?;
        builder.add(glob);
        // `--exclude modules` also excludes everything below it.
        if let Ok(glob) = Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))) {
            builder.add(glob);
        }
    }
    builder
        .build()
        .map_err(|err| Problem::new(Code::UsageError, format!("invalid --exclude globs: {err}")))
}
