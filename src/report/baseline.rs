//! Baselines: a file of the fingerprints of findings a team has accepted for
//! now, so plinth fails only on new ones. Fingerprints hold no line numbers,
//! so a baseline survives edits that move or reformat the code around a
//! finding; it does not survive renaming the file or the resource.
//!
//! The file paths inside fingerprints are relative to the baseline file's
//! folder (version 2), so the same baseline matches whichever folder plinth
//! runs from. Version 1 baselines, whose paths were relative to the working
//! directory of the run that wrote them, are still read and matched that way.
//! Entries that match no finding are counted (stale), never silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Code;
use crate::report::{Finding, Problem, Report, display_path};
use crate::source::{SourceMap, Span};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// One accepted finding; `rule`, `file` and `message` are for people reading
/// the file, only `fingerprint` is matched.
#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: String,
    rule: String,
    file: String,
    message: String,
}

/// The version written: paths relative to the baseline file's folder.
const VERSION: u32 = 2;

/// The baseline for the findings in `report`, as JSON, to be written at
/// `path`: its fingerprints and file names are relative to `path`'s folder.
pub fn render(report: &Report, sources: &SourceMap, path: &Path) -> String {
    let base = folder_of(path);
    let mut findings: Vec<Entry> = report
        .findings
        .iter()
        .map(|f| Entry {
            fingerprint: fingerprint(sources, f, Some(&base)),
            rule: f.rule.clone(),
            file: display_path(&relative_to(&sources.path(f.primary.span.file), &base)),
            message: f.message.clone(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    let file = BaselineFile {
        version: VERSION,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// A baseline as read: its fingerprints, and the folder their paths are
/// relative to (`None`: the working directory, for version 1).
pub struct Baseline {
    pub fingerprints: BTreeSet<String>,
    base: Option<PathBuf>,
}

impl Baseline {
    /// The fingerprint `finding` has in this baseline's terms.
    pub fn fingerprint_of(&self, sources: &SourceMap, finding: &Finding) -> String {
        fingerprint(sources, finding, self.base.as_deref())
    }
}

/// A finding's fingerprint with its file's path relative to `base` (the
/// working directory when `None`, as in the JSON report).
fn fingerprint(sources: &SourceMap, finding: &Finding, base: Option<&Path>) -> String {
    match base {
        None => finding.fingerprint.clone(),
        Some(base) => {
            let path = sources.path(finding.primary.span.file);
            crate::report::fingerprint_at(
                sources,
                finding,
                &display_path(&relative_to(&path, base)),
            )
        }
    }
}

/// The folder of a file, absolute (lexically: no link is followed).
fn folder_of(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    crate::paths::normalize(absolute.parent().unwrap_or(Path::new("/")))
}

/// `path` relative to the absolute folder `base`, with `..` where it lies
/// outside it.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let path = crate::paths::normalize(&absolute);
    let mut ups = PathBuf::new();
    let mut folder = base;
    loop {
        if let Ok(rest) = path.strip_prefix(folder) {
            return ups.join(rest);
        }
        match folder.parent() {
            Some(parent) => {
                ups.push("..");
                folder = parent;
            }
            None => return path,
        }
    }
}

/// Reads a baseline; a file that cannot be read or parsed is a problem with
/// its position.
pub fn read(sources: &SourceMap, path: &Path) -> Result<Baseline, Problem> {
    let file = sources
        .load(path)
        .map_err(|err| err.problem(path, "baseline", (path, None)))?;
    let source = sources.get(file);
    let parsed: BaselineFile = serde_json::from_str(&source.text).map_err(|err| {
        let offset = offset_of(&source.text, err.line(), err.column());
        Problem::new(Code::UsageError, format!("invalid baseline: {err}"))
            .at(path, Some(Span::new(file, offset, offset)))
    })?;
    if parsed.version == 0 || parsed.version > VERSION {
        return Err(Problem::new(
            Code::UsageError,
            format!(
                "baseline version {} is not one this plinth reads (1 or {VERSION})",
                parsed.version
            ),
        )
        .at(path, None));
    }
    Ok(Baseline {
        fingerprints: parsed.findings.into_iter().map(|e| e.fingerprint).collect(),
        base: (parsed.version >= 2).then(|| folder_of(path)),
    })
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}
