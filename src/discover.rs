//! Which files to check: walks the given paths honouring `.gitignore` and
//! `--exclude`, and sorts what it finds into inputs for the front-ends.
//! It reads no file contents; deciding whether a JSON file is a template is
//! the loader's job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::report::Problem;

/// One thing to load.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A `.json` file; `explicit` when the user named it on the command line.
    Json { path: PathBuf, explicit: bool },
    /// A folder with `.tf` files: one Terraform module.
    TerraformModule { dir: PathBuf, files: Vec<PathBuf> },
}

/// Finds the inputs under `paths`. A file given explicitly is always an input,
/// whatever the ignore files and excludes say.
pub fn discover(paths: &[PathBuf], exclude: &[String]) -> (Vec<Input>, Vec<Problem>) {
    let mut problems = Vec::new();
    let excludes = match build_globs(exclude) {
        Ok(set) => set,
        Err(problem) => return (Vec::new(), vec![problem]),
    };
    let mut json = Vec::new();
    let mut tf_dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();

    for root in paths {
        if root.is_file() {
            classify(root, true, &mut json, &mut tf_dirs);
            continue;
        }
        if !root.is_dir() {
            problems
                .push(Problem::new("io-error", "no such file or directory").at(root.clone(), None));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    problems.push(Problem::new("io-error", err.to_string()));
                    continue;
                }
            };
            let path = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(path);
            if excludes.is_match(relative) || excludes.is_match(path) {
                continue;
            }
            classify(path, false, &mut json, &mut tf_dirs);
        }
    }

    let mut inputs: Vec<Input> = json;
    inputs.extend(
        tf_dirs
            .into_iter()
            .map(|(dir, files)| Input::TerraformModule { dir, files }),
    );
    inputs.sort();
    inputs.dedup();
    (inputs, problems)
}

fn classify(
    path: &Path,
    explicit: bool,
    json: &mut Vec<Input>,
    tf_dirs: &mut BTreeMap<PathBuf, Vec<PathBuf>>,
) {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("json") | Some("jsonc") => json.push(Input::Json {
            path: path.to_path_buf(),
            explicit,
        }),
        Some("tf") | Some("tfvars") => {
            // A .tf or .tfvars file stands for its whole module folder.
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            let files = tf_dirs.entry(dir.clone()).or_default();
            if explicit {
                files.extend(tf_files_in(&dir));
            } else if path.extension().is_some_and(|e| e == "tf") {
                files.push(path.to_path_buf());
            }
            files.sort();
            files.dedup();
        }
        _ => {}
    }
}

/// The `.tf` files directly in a folder, sorted.
fn tf_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    files
}

fn build_globs(patterns: &[String]) -> Result<GlobSet, Problem> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|err| {
            Problem::new(
                "usage-error",
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
        .map_err(|err| Problem::new("usage-error", format!("invalid --exclude globs: {err}")))
}
