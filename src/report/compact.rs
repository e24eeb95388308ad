//! Compact output: `path:line:col: severity[RULE] message`, one line each, for
//! editors' problem matchers and grep. Run problems use their code in place
//! of a rule id.
//!
//! Text from the checked tree is escaped (see [`super::escape`]), so a path
//! or name holding a newline cannot start a line of its own.

use crate::report::escape::visible;
use crate::report::{Report, display_path};
use crate::source::{SourceMap, Span};

fn location(sources: &SourceMap, span: Span) -> String {
    let file = sources.get(span.file);
    let at = file.line_col(span.start as usize);
    format!(
        "{}:{}:{}",
        visible(&display_path(&file.path)),
        at.line,
        at.column
    )
}

pub fn render(report: &Report, sources: &SourceMap) -> String {
    let mut out = String::new();
    for p in &report.problems {
        let at = match (p.span, &p.path) {
            (Some(span), _) => location(sources, span),
            (None, Some(path)) => visible(&display_path(path)).into_owned(),
            (None, None) => "plinth".to_string(),
        };
        out.push_str(&format!(
            "{at}: error[{}] {}\n",
            visible(p.code.as_str()),
            one_line(&p.message)
        ));
    }
    for f in &report.findings {
        out.push_str(&format!(
            "{}: {}[{}] {}\n",
            location(sources, f.primary.span),
            f.severity.as_str(),
            visible(&f.rule),
            one_line(&f.message)
        ));
    }
    if let (Some(path), Some(note)) = (
        &report.summary.baseline,
        crate::report::human::baseline_note(report),
    ) {
        out.push_str(&format!("{}: note[baseline] {note}\n", visible(path)));
    }
    for span in &report.unseen {
        out.push_str(&format!(
            "{}: note[unseen] {}\n",
            location(sources, *span),
            visible(&report.unseen_message(*span))
        ));
    }
    out
}

/// Messages are one line in this format, whatever a rule author wrote; the
/// control characters left after joining the lines are escaped.
fn one_line(text: &str) -> String {
    visible(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}
