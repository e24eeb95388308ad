//! JSON output: a versioned contract, documented in `docs/output-formats.md`.
//!
//! Lines and columns are 1-based and count characters; `end_line` and
//! `end_column` point just past the last character (as SARIF does). Paths are
//! as the user gave them, with `/` separators and no leading `./`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{Finding, Problem, Report, ResourceSummary, Summary, display_path};
use crate::source::{SourceMap, Span};

/// The version of this JSON shape; bumped only on a breaking change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: &'a Summary,
    /// Only with `--show-unknown`, and only when there is something to say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unseen: Vec<JsonUnseen>,
}

#[derive(Serialize)]
struct JsonUnseen {
    message: String,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct Position {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(flatten)]
    position: Position,
    resource: &'a ResourceSummary,
    related: Vec<JsonRelated<'a>>,
    help: Option<&'a str>,
    url: Option<&'a str>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct JsonError<'a> {
    code: &'a str,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    help: Option<&'a str>,
}

fn position(sources: &SourceMap, span: Span) -> Position {
    let file = sources.get(span.file);
    let start = file.line_col(span.start as usize);
    let end = file.line_col(span.end as usize);
    Position {
        file: display_path(&file.path),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn finding<'a>(sources: &SourceMap, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: &f.rule,
        name: &f.name,
        severity: f.severity.as_str(),
        message: &f.message,
        position: position(sources, f.primary.span),
        resource: &f.resource,
        related: f
            .related
            .iter()
            .map(|label| JsonRelated {
                message: &label.text,
                position: position(sources, label.span),
            })
            .collect(),
        help: f.help.as_deref(),
        url: f.url.as_deref(),
        fingerprint: &f.fingerprint,
    }
}

fn error<'a>(sources: &SourceMap, p: &'a Problem) -> JsonError<'a> {
    let at = p.span.map(|span| position(sources, span));
    JsonError {
        code: p.code.as_str(),
        message: &p.message,
        file: at
            .as_ref()
            .map(|a| a.file.clone())
            .or_else(|| p.path.as_deref().map(display_path)),
        line: at.as_ref().map(|a| a.line),
        column: at.as_ref().map(|a| a.column),
        end_line: at.as_ref().map(|a| a.end_line),
        end_column: at.as_ref().map(|a| a.end_column),
        help: p.help.as_deref(),
    }
}

/// The whole report as pretty-printed JSON, with a trailing newline.
pub fn render(report: &Report, sources: &SourceMap) -> String {
    let json = JsonReport {
        version: VERSION,
        findings: report
            .findings
            .iter()
            .map(|f| finding(sources, f))
            .collect(),
        errors: report.problems.iter().map(|p| error(sources, p)).collect(),
        summary: &report.summary,
        unseen: report
            .unseen
            .iter()
            .map(|span| JsonUnseen {
                message: report.unseen_message(*span),
                position: position(sources, *span),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&json).unwrap_or_else(|err| {
        // Serialising plain strings and numbers cannot fail; say so if it ever does.
        let mut fallback = BTreeMap::new();
        fallback.insert("error", err.to_string());
        serde_json::to_string(&fallback).unwrap_or_default()
    });
    text.push('\n');
    text
}
