//! `plinth check --fix` / `--diff`: check, plan every finding's fix, try
//! them on the texts in memory, keep a file's fixes only when checking the
//! fixed text removes the findings they fix, raises nothing new and still
//! parses; then write (or show a diff of) the files kept.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Finding, Problem};
use crate::fix::{Edit, Planned, plan};
use crate::{Options, Run, paths};

/// How far to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// Apply unsafe fixes too (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// Write the fixed files (`--fix`); otherwise only compute them (`--diff`).
    pub write: bool,
}

/// What a fixing run did.
pub struct Outcome {
    /// The check of the texts as they are after the fixes (written or
    /// not): what remains.
    pub run: Run,
    /// The fixes applied (or that `--diff` shows), by file.
    pub applied: Vec<(PathBuf, Planned)>,
    /// Unsafe fixes left out (without `--unsafe-fixes`).
    pub unsafe_left: usize,
    /// Files whose fixes were refused, and why.
    pub refused: Vec<(PathBuf, String)>,
    /// Each fixed file's text before and after, in path order.
    pub files: Vec<(PathBuf, String, String)>,
}

/// The identity of a finding across edits (its fingerprint holds the text
/// that a fix changes).
fn identity(run: &Run, f: &Finding) -> (String, String, String, PathBuf) {
    (
        f.rule.clone(),
        f.resource.address.clone(),
        f.unit.clone(),
        paths::normalize(&run.sources.path(f.primary.span.file)),
    )
}

fn problem_identity(p: &Problem) -> (String, Option<PathBuf>, String) {
    (
        p.code.to_string(),
        p.path.as_deref().map(paths::normalize),
        p.message.clone(),
    )
}

/// One file's fixes: its text before and after, the fixes applied and the
/// findings they fix.
struct FileFix {
    path: PathBuf,
    old: String,
    new: String,
    planned: Vec<Planned>,
    fixed: Vec<Finding>,
}

/// Runs the check, fixes what can be fixed, and checks again.
pub fn fix(options: &Options, mode: Mode) -> Outcome {
    let options = &Options {
        ties: true,
        ..options.clone()
    };
    let before = crate::check(options);
    let (mut files, unsafe_left, mut refused) = plan_files(options, &before, mode);
    let mut after = try_fixes(options, &before, &mut files, &mut refused);
    if mode.write {
        let mut failed = Vec::new();
        for file in &files {
            if let Err(refusal) = paths::write_replacing(&file.path, &file.new) {
                failed.push((file.path.clone(), refusal));
            }
        }
        if !failed.is_empty() {
            // What remains is what is on disk now.
            after = crate::check(options);
            for (path, refusal) in &failed {
                files.retain(|f| &f.path != path);
                refused.push((path.clone(), format!("cannot write: {refusal}")));
                after.report.problems.push(
                    Problem::new(refusal.code(), format!("cannot write the fix: {refusal}"))
                        .at(path.clone(), None),
                );
                after.report.summary.errors += 1;
            }
        }
    }
    let applied = files
        .iter()
        .flat_map(|f| f.planned.iter().map(|p| (f.path.clone(), p.clone())))
        .collect();
    Outcome {
        run: after,
        applied,
        unsafe_left,
        refused,
        files: files.into_iter().map(|f| (f.path, f.old, f.new)).collect(),
    }
}

/// Every finding's fix, by file, applied to the file's text in memory;
/// how many unsafe fixes were left out; the files refused.
fn plan_files(
    options: &Options,
    before: &Run,
    mode: Mode,
) -> (Vec<FileFix>, usize, Vec<(PathBuf, String)>) {
    let mut unsafe_left = 0;
    let mut by_file: BTreeMap<PathBuf, FileFix> = BTreeMap::new();
    for finding in &before.report.findings {
        let Some(planned) = plan(finding, &before.sources) else {
            continue;
        };
        if !planned.safe && !mode.unsafe_fixes {
            unsafe_left += 1;
            continue;
        }
        let source = before.sources.get(planned.edit.file);
        let path = paths::normalize(&source.path);
        let entry = by_file.entry(path.clone()).or_insert_with(|| FileFix {
            path,
            old: source.text.to_string(),
            new: String::new(),
            planned: Vec::new(),
            fixed: Vec::new(),
        });
        entry.planned.push(planned);
        entry.fixed.push(finding.clone());
    }
    let mut refused = Vec::new();
    // Never write outside the files checked: under a path asked for, read
    // by this run, not through a link.
    by_file.retain(|path, _| {
        let inside = options
            .paths
            .iter()
            .any(|asked| paths::is_within(path, asked));
        let allowed = inside && before.sources.confinement().resolve(path).is_ok();
        if !allowed {
            refused.push((
                path.clone(),
                "the value is written outside the paths checked".to_string(),
            ));
        }
        allowed
    });
    let files = by_file
        .into_values()
        .filter_map(|mut file| {
            // Edits in one file by different units name different FileIds.
            let edits: Vec<Edit> = file
                .planned
                .iter()
                .map(|p| Edit {
                    file: crate::source::FileId(0),
                    ..p.edit.clone()
                })
                .collect();
            let (fixed, applied) = super::apply(&file.old, &edits);
            file.planned.retain(|p| {
                applied
                    .iter()
                    .any(|a| a.start == p.edit.start && a.end == p.edit.end)
            });
            file.new = fixed;
            (file.new != file.old).then_some(file)
        })
        .collect();
    (files, unsafe_left, refused)
}

/// Checks the fixed texts; a file whose fixes leave a fixed finding, raise
/// a new one or a new problem is left as it was (and refused), and the rest
/// tried again. Returns the check of the texts kept.
fn try_fixes(
    options: &Options,
    before: &Run,
    files: &mut Vec<FileFix>,
    refused: &mut Vec<(PathBuf, String)>,
) -> Run {
    let known: HashSet<_> = before
        .report
        .findings
        .iter()
        .map(|f| identity(before, f))
        .collect();
    let known_problems: HashSet<_> = before
        .report
        .problems
        .iter()
        .map(problem_identity)
        .collect();
    loop {
        // The fixed texts over those already given (an editor's buffers).
        let mut overlay: crate::source::Overlay = (*options.overlay).clone();
        overlay.extend(
            files
                .iter()
                .map(|f| (paths::absolute(&f.path), Arc::from(f.new.as_str()))),
        );
        let after = crate::check(&Options {
            overlay: Arc::new(overlay),
            ..options.clone()
        });
        let mut bad: Vec<(PathBuf, String)> = Vec::new();
        // A reference that found a resource declared here must still find
        // one: a renamed zone whose links spell its old name would pass
        // every rule (the links now name a zone outside the unit) and
        // break the deployment.
        let cut: Vec<&crate::Ties> = after
            .ties
            .iter()
            .filter(|now| {
                before
                    .ties
                    .iter()
                    .any(|was| was.unit == now.unit && was.count > now.count)
            })
            .collect();
        for file in files.iter() {
            let in_cut = cut
                .iter()
                .any(|t| t.files.iter().any(|p| paths::normalize(p) == file.path));
            if in_cut {
                bad.push((
                    file.path.clone(),
                    "a reference would no longer find the resource it names".to_string(),
                ));
                continue;
            }
            let fixed_ids: HashSet<_> = file.fixed.iter().map(|f| identity(before, f)).collect();
            let why = after.report.findings.iter().find_map(|f| {
                let id = identity(&after, f);
                if id.3 != file.path {
                    None
                } else if fixed_ids.contains(&id) {
                    Some(format!("{} would still be reported", f.rule))
                } else if !known.contains(&id) {
                    Some(format!("{} would be reported", f.rule))
                } else {
                    None
                }
            });
            let why = why.or_else(|| {
                after.report.problems.iter().find_map(|p| {
                    (p.path.as_deref().map(paths::normalize).as_ref() == Some(&file.path)
                        && !known_problems.contains(&problem_identity(p)))
                    .then(|| format!("the fixed file would not check: {}", p.message))
                })
            });
            if let Some(why) = why {
                bad.push((file.path.clone(), why));
            }
        }
        if bad.is_empty() {
            return after;
        }
        files.retain(|f| !bad.iter().any(|(b, _)| *b == f.path));
        refused.append(&mut bad);
    }
}

/// Whether the fix `rule` plans as `edit` (in the file at `path`), applied
/// alone, is one `--fix` would keep: its finding goes, nothing new is
/// reported, the file still checks, and every reference still finds what
/// it found. The language server offers only such fixes.
pub fn holds(options: &Options, rule: &str, path: &Path, edit: &Edit) -> bool {
    let options = &Options {
        ties: true,
        ..options.clone()
    };
    let before = crate::check(options);
    let path = paths::normalize(path);
    let same = |planned: &Planned| {
        planned.rule == rule
            && planned.edit.start == edit.start
            && planned.edit.end == edit.end
            && planned.edit.text == edit.text
            && paths::normalize(&before.sources.path(planned.edit.file)) == path
    };
    let Some((finding, planned)) = before.report.findings.iter().find_map(|f| {
        plan(f, &before.sources)
            .filter(same)
            .map(|p| (f.clone(), p))
    }) else {
        return false;
    };
    let absolute = paths::absolute(&path);
    let old = match options.overlay.get(&absolute) {
        Some(text) => text.to_string(),
        None => match before.sources.confinement().read(&absolute) {
            Ok(bytes) => match paths::decode(bytes) {
                Ok(text) => text,
                Err(_) => return false,
            },
            Err(_) => return false,
        },
    };
    let local = Edit {
        file: crate::source::FileId(0),
        ..planned.edit.clone()
    };
    let (new, applied) = super::apply(&old, std::slice::from_ref(&local));
    if applied.is_empty() {
        return false;
    }
    let mut files = vec![FileFix {
        path,
        old,
        new,
        planned: vec![planned],
        fixed: vec![finding],
    }];
    let mut refused = Vec::new();
    try_fixes(options, &before, &mut files, &mut refused);
    !files.is_empty()
}

/// A unified diff of each fixed file, `a/` and `b/` prefixed as git writes them.
pub fn diff(files: &[(PathBuf, String, String)]) -> String {
    let mut out = String::new();
    for (path, old, new) in files {
        let name = crate::diagnostic::display_path(path);
        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// What was fixed, what was refused and what is left, for stderr.
pub fn summary(outcome: &Outcome, mode: Mode) -> String {
    let mut out = String::new();
    let verb = if mode.write { "fixed" } else { "would fix" };
    for (path, planned) in &outcome.applied {
        let kind = if planned.safe { "" } else { " (unsafe)" };
        out.push_str(&format!(
            "{verb} {} in {}: {}{kind}\n",
            planned.rule,
            crate::diagnostic::display_path(path),
            crate::report::escape::visible(&planned.title)
        ));
    }
    for (path, why) in &outcome.refused {
        out.push_str(&format!(
            "not fixed in {}: {}\n",
            crate::diagnostic::display_path(path),
            crate::report::escape::visible(why)
        ));
    }
    let remaining = outcome.run.report.findings.len();
    out.push_str(&format!(
        "{} {} {verb}, {remaining} remaining",
        outcome.applied.len(),
        if outcome.applied.len() == 1 {
            "finding"
        } else {
            "findings"
        },
    ));
    if outcome.unsafe_left > 0 {
        out.push_str(&format!(
            "; {} more with --unsafe-fixes",
            outcome.unsafe_left
        ));
    }
    out.push('\n');
    out
}
