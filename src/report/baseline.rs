//! Baselines: a file of the fingerprints of findings a team has accepted for
//! now, so plinth fails only on new ones. Fingerprints hold no line numbers,
//! so a baseline survives edits that move or reformat the code around a
//! finding; it does not survive renaming the file or the resource.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::{Problem, Report, display_path};
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

/// The baseline for the findings in `report`, as JSON.
pub fn render(report: &Report, sources: &SourceMap) -> String {
    let mut findings: Vec<Entry> = report
        .findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            file: display_path(&sources.path(f.primary.span.file)),
            message: f.message.clone(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    let file = BaselineFile {
        version: 1,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline's fingerprints; a file that cannot be read or parsed is a
/// problem with its position.
pub fn read(sources: &SourceMap, path: &Path) -> Result<BTreeSet<String>, Problem> {
    let file = sources
        .load(path)
        .map_err(|err| err.problem(path, "baseline", (path, None)))?;
    let source = sources.get(file);
    let parsed: BaselineFile = serde_json::from_str(&source.text).map_err(|err| {
        let offset = offset_of(&source.text, err.line(), err.column());
        Problem::new("usage-error", format!("invalid baseline: {err}"))
            .at(path, Some(Span::new(file, offset, offset)))
    })?;
    Ok(parsed.findings.into_iter().map(|e| e.fingerprint).collect())
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
