//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice`
//! line per finding, which GitHub shows as annotations on the diff.
//!
//! Escaping follows the runner's rules: in the message `%`, `\r` and `\n`; in
//! properties also `:` and `,`. Other control characters from the checked
//! tree (ESC, BEL, NUL) would reach the log as they are, so they are written
//! as the escapes of [`super::escape`].

use crate::report::{Report, Severity, display_path};
use crate::source::{SourceMap, Span};

fn escape_data(text: &str) -> String {
    let encoded = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::report::escape::visible(&encoded).into_owned()
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn location(sources: &SourceMap, span: Span) -> String {
    let file = sources.get(span.file);
    let start = file.line_col(span.start as usize);
    let end = file.line_col(span.end as usize);
    format!(
        "file={},line={},col={},endLine={},endColumn={}",
        escape_property(&display_path(&file.path)),
        start.line,
        start.column,
        end.line,
        end.column
    )
}

pub fn render(report: &Report, sources: &SourceMap) -> String {
    let mut out = String::new();
    for p in &report.problems {
        let at = match (p.span, &p.path) {
            (Some(span), _) => format!("{},", location(sources, span)),
            (None, Some(path)) => format!("file={},", escape_property(&display_path(path))),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "::error {at}title={}::{}\n",
            escape_property(&format!("plinth {}", p.code)),
            escape_data(&p.message)
        ));
    }
    for f in &report.findings {
        out.push_str(&format!(
            "::{} {},title={}::{}\n",
            command(f.severity),
            location(sources, f.primary.span),
            escape_property(&format!("{} {}", f.rule, f.name)),
            escape_data(&f.message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_per_the_runner_rules() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\u{1b}[31m\u{7}"), "x\\u{1b}[31m\\u{7}");
    }
}
