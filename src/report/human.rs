//! Human output: miette graphical reports with source snippets, one per
//! finding and per run problem, then a summary line.
//!
//! A finding's labels in the primary file are drawn on one snippet; labels in
//! other files (a zone declared in `dns.tf`, a server in `database.tf`) become
//! related reports with their own snippet, since a miette report shows one
//! source. A label on a line too long for a terminal (a minified template)
//! also gets a report of its own, with a window into that line (see
//! [`super::snippet`]).
//!
//! A finding's header names its severity as a word and its rule by id and
//! name (`warning[PE006] (private-endpoint-zone-group)`), so the level reads
//! without colour. An info finding is marked `ℹ`, not miette's `☞`, which
//! marks the related locations ("Advice") of every finding.
//!
//! Text from the checked tree (paths, names and values in messages and
//! labels) is escaped with [`super::escape`], so it cannot forge a line or
//! reach the terminal as control characters; the colours are plinth's own.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use crate::report::escape::{visible, visible_keeping_lines};
use crate::report::snippet::{self, Snippet};
use crate::report::{Finding, Label, Problem, Report, Severity, display_path};
use crate::source::{FileId, SourceMap};

/// The mark of an info finding; related locations keep miette's advice mark.
const INFO_MARK: &str = "ℹ";

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
    source: Option<Snippet>,
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

fn named_source(sources: &SourceMap, file: FileId) -> Snippet {
    let file: Arc<_> = sources.get(file);
    Snippet::new(visible(&display_path(&file.path)).into_owned(), file)
}

/// The label as drawn, and whether it lies on a long line (and so needs a
/// snippet of its own).
fn labeled(sources: &SourceMap, label: &Label, primary: bool) -> (LabeledSpan, bool) {
    let (span, long) = snippet::fit(&sources.get(label.span.file), label.span);
    let text = (!label.text.is_empty()).then(|| visible(&label.text).into_owned());
    let labeled = if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    };
    (labeled, long)
}

fn from_finding(sources: &SourceMap, finding: &Finding) -> Rendered {
    let file = finding.primary.span.file;
    let (primary, primary_long) = labeled(sources, &finding.primary, true);
    let mut labels = vec![primary];
    let mut related = Vec::new();
    let source = sources.get(file);
    let line = |offset: u32| source.line_col(offset as usize).line;
    let primary_line = line(finding.primary.span.start);
    for label in &finding.related {
        // Labels near the primary share its snippet; a far one gets its own,
        // rather than one snippet printing every line in between, and so
        // does one where either is on a long line (one window, one label).
        let (shared, long) = labeled(sources, label, false);
        if label.span.file == file
            && !long
            && !primary_long
            && line(label.span.start).abs_diff(primary_line) <= NEAR_LINES
        {
            labels.push(shared);
        } else {
            related.push(Rendered {
                message: visible(&label.text).into_owned(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: Some(named_source(sources, label.span.file)),
                // The message already says what the label would.
                labels: vec![
                    labeled(
                        sources,
                        &Label {
                            span: label.span,
                            text: String::new(),
                        },
                        true,
                    )
                    .0,
                ],
                related: Vec::new(),
            });
        }
    }
    Rendered {
        message: visible(&finding.message).into_owned(),
        code: Some(
            visible(&format!(
                "{}[{}] ({})",
                finding.severity.as_str(),
                finding.rule,
                finding.name
            ))
            .into_owned(),
        ),
        severity: miette_severity(finding.severity),
        help: finding.help.as_deref().map(visible_keeping_lines),
        url: finding.url.as_deref().map(|u| visible(u).into_owned()),
        source: Some(named_source(sources, file)),
        labels,
        related,
    }
}

fn from_problem(sources: &SourceMap, problem: &Problem) -> Rendered {
    let (source, labels) = match problem.span {
        Some(span) => (
            Some(named_source(sources, span.file)),
            vec![
                labeled(
                    sources,
                    &Label {
                        span,
                        text: problem.label.clone().unwrap_or_default(),
                    },
                    true,
                )
                .0,
            ],
        ),
        None => (None, Vec::new()),
    };
    let message = match (&problem.path, problem.span) {
        (Some(path), None) => format!("{}: {}", display_path(path), problem.message),
        _ => problem.message.clone(),
    };
    Rendered {
        message: visible(&message).into_owned(),
        code: Some(visible(problem.code.as_str()).into_owned()),
        severity: miette::Severity::Error,
        help: problem.help.as_deref().map(visible_keeping_lines),
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
            visible(&crate::report::display_path(&file.path)),
            at.line,
            at.column,
            visible(&report.unseen_message(*span))
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
    let mut info_theme = theme.clone();
    info_theme.characters.advice = INFO_MARK.to_string();
    let themed = |theme| {
        GraphicalReportHandler::new_themed(theme)
            .with_width(style.width)
            .with_links(false)
            .with_urls(true)
    };
    let handler = themed(theme);
    let info_handler = themed(info_theme);
    let mut out = String::new();
    // Writing into a String cannot fail.
    for problem in &report.problems {
        let _ = handler.render_report(&mut out, &from_problem(sources, problem));
        out.push('\n');
    }
    for finding in &report.findings {
        let mut diagnostic = from_finding(sources, finding);
        if finding.severity == Severity::Info {
            // miette draws related reports with their parent's handler: the
            // finding takes the info mark, its related locations are drawn
            // as miette draws them ("Advice:" and its mark) by the other.
            let related = std::mem::take(&mut diagnostic.related);
            let _ = info_handler.render_report(&mut out, &diagnostic);
            for location in &related {
                out.push_str("\nAdvice: \n");
                let _ = handler.render_report(&mut out, location);
            }
        } else {
            let _ = handler.render_report(&mut out, &diagnostic);
        }
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
    if s.hidden > 0 {
        line.push_str(&format!(
            "; {} below --min-severity not shown",
            plural(s.hidden, "finding", "findings")
        ));
    }
    if let Some(note) = baseline_note(report) {
        line.push_str(&format!("; {note}"));
    }
    line.push_str(".\n");
    line
}

/// What the baseline did, when one was given: how many findings it left out
/// and how many of its entries matched nothing (run from another folder,
/// or the findings were fixed).
pub fn baseline_note(report: &Report) -> Option<String> {
    let s = &report.summary;
    s.baseline.as_ref()?;
    let mut note = format!(
        "{} left out by the baseline",
        plural(s.baselined, "finding", "findings")
    );
    if s.baseline_stale > 0 {
        note.push_str(&format!(
            ", {} of its entries matched nothing",
            s.baseline_stale
        ));
    }
    Some(note)
}
