//! Human output: miette graphical reports with source snippets, one per
//! finding and per run problem, then a summary line.
//!
//! A finding's labels in the primary file are drawn on one snippet; labels in
//! other files (a zone declared in `dns.tf`, a server in `database.tf`) become
//! related reports with their own snippet, since a miette report shows one
//! source.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use crate::report::{Finding, Label, Problem, Report, Severity, display_path};
use crate::source::{FileId, SourceMap};

/// Related labels within this many lines of the primary label share its snippet.
const NEAR_LINES: usize = 8;

/// How the terminal wants its output.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// One miette report, built from a finding or a problem.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn named_source(sources: &SourceMap, file: FileId) -> NamedSource<Arc<str>> {
    let file = sources.get(file);
    NamedSource::new(display_path(&file.path), file.text.clone())
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = (label.span.start as usize, label.span.len());
    let text = (!label.text.is_empty()).then(|| label.text.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

fn from_finding(sources: &SourceMap, finding: &Finding) -> Rendered {
    let file = finding.primary.span.file;
    let mut labels = vec![labeled(&finding.primary, true)];
    let mut related = Vec::new();
    let source = sources.get(file);
    let line = |offset: u32| source.line_col(offset as usize).line;
    let primary_line = line(finding.primary.span.start);
    for label in &finding.related {
        // Labels near the primary share its snippet; a far one gets its own,
        // rather than one snippet printing every line in between.
        if label.span.file == file && line(label.span.start).abs_diff(primary_line) <= NEAR_LINES {
            labels.push(labeled(label, false));
        } else {
            related.push(Rendered {
                message: label.text.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: Some(named_source(sources, label.span.file)),
                // The message already says what the label would.
                labels: vec![labeled(
                    &Label {
                        span: label.span,
                        text: String::new(),
                    },
                    true,
                )],
                related: Vec::new(),
            });
        }
    }
    Rendered {
        message: finding.message.clone(),
        code: Some(format!("{} ({})", finding.rule, finding.name)),
        severity: miette_severity(finding.severity),
        help: finding.help.clone(),
        url: finding.url.clone(),
        source: Some(named_source(sources, file)),
        labels,
        related,
    }
}

fn from_problem(sources: &SourceMap, problem: &Problem) -> Rendered {
    let (source, labels) = match problem.span {
        Some(span) => (
            Some(named_source(sources, span.file)),
            vec![labeled(
                &Label {
                    span,
                    text: problem.label.clone().unwrap_or_default(),
                },
                true,
            )],
        ),
        None => (None, Vec::new()),
    };
    let message = match (&problem.path, problem.span) {
        (Some(path), None) => format!("{}: {}", display_path(path), problem.message),
        _ => problem.message.clone(),
    };
    Rendered {
        message,
        code: Some(problem.code.clone()),
        severity: miette::Severity::Error,
        help: problem.help.clone(),
        url: None,
        source,
        labels,
        related: Vec::new(),
    }
}

/// Renders every problem and finding, then the summary line.
pub fn render(report: &Report, sources: &SourceMap, style: Style) -> String {
    let mut out = render_diagnostics(report, sources, style);
    for span in &report.unseen {
        let file = sources.get(span.file);
        let at = file.line_col(span.start as usize);
        out.push_str(&format!(
            "note: {}:{}:{}: {}\n",
            crate::report::display_path(&file.path),
            at.line,
            at.column,
            crate::report::UNSEEN
        ));
    }
    if !report.unseen.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(report));
    out
}

/// Renders every problem and finding, without the summary line.
pub fn render_diagnostics(report: &Report, sources: &SourceMap, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_urls(true);
    let mut out = String::new();
    let rendered = report
        .problems
        .iter()
        .map(|p| from_problem(sources, p))
        .chain(report.findings.iter().map(|f| from_finding(sources, f)));
    for diagnostic in rendered {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &diagnostic);
        out.push('\n');
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `plinth: 2 findings (1 error, 1 warning) in 3 files, 14 resources.`
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut line = format!("plinth: {}", plural(s.findings, "finding", "findings"));
    let counts: Vec<String> = [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ]
    .iter()
    .filter_map(|(severity, one, many)| {
        let n = s.by_severity.get(severity.as_str()).copied().unwrap_or(0);
        (n > 0).then(|| plural(n, one, many))
    })
    .collect();
    if !counts.is_empty() {
        line.push_str(&format!(" ({})", counts.join(", ")));
    }
    line.push_str(&format!(
        " in {}, {}",
        plural(s.files, "file", "files"),
        plural(s.resources, "resource", "resources")
    ));
    if s.errors > 0 {
        line.push_str(&format!(
            "; {}",
            plural(s.errors, "run error", "run errors")
        ));
    }
    line.push_str(".\n");
    line
}
