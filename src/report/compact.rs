//! Compact output: `path:line:col: severity[RULE] message`, one line each, for
//! editors' problem matchers and grep. Run problems use their code in place
//! of a rule id.

use crate::report::{Report, display_path};
use crate::source::{SourceMap, Span};

fn location(sources: &SourceMap, span: Span) -> String {
    let file = sources.get(span.file);
    let at = file.line_col(span.start as usize);
    format!("{}:{}:{}", display_path(&file.path), at.line, at.column)
}

pub fn render(report: &Report, sources: &SourceMap) -> String {
    let mut out = String::new();
    for p in &report.problems {
        let at = match (p.span, &p.path) {
            (Some(span), _) => location(sources, span),
            (None, Some(path)) => display_path(path),
            (None, None) => "plinth".to_string(),
        };
        out.push_str(&format!(
            "{at}: error[{}] {}\n",
            p.code,
            one_line(&p.message)
        ));
    }
    for f in &report.findings {
        out.push_str(&format!(
            "{}: {}[{}] {}\n",
            location(sources, f.primary.span),
            f.severity.as_str(),
            f.rule,
            one_line(&f.message)
        ));
    }
    for span in &report.unseen {
        out.push_str(&format!(
            "{}: note[unseen] {}\n",
            location(sources, *span),
            crate::report::UNSEEN
        ));
    }
    out
}

/// Messages are one line in this format, whatever a rule author wrote.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
