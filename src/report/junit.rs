//! JUnit XML, for CI systems that read test reports: one test suite per
//! unit (template, Terraform module), one test case per rule, failing with
//! the rule's findings in that unit. Run problems are test cases with an
//! `<error>` in a suite of their own.

use std::path::Path;

use crate::report::{Report, display_path};
use crate::source::SourceMap;

/// Escapes text for XML attributes and content, dropping characters XML 1.0
/// forbids. Line breaks are character references, so no text from the
/// checked tree starts a line of its own (a CI log reading `::error` lines
/// as workflow commands would take it for one).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn location(sources: &SourceMap, span: crate::source::Span) -> String {
    let file = sources.get(span.file);
    let at = file.line_col(span.start as usize);
    format!("{}:{}:{}", display_path(&file.path), at.line, at.column)
}

pub fn render(report: &Report, sources: &SourceMap) -> String {
    let mut suites = String::new();
    let mut total_tests = 0;
    let mut total_failures = 0;
    for unit in &report.units {
        let name = display_path(Path::new(unit));
        let mut cases = String::new();
        let mut failures = 0;
        for rule in &report.rules {
            let found: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.unit == *unit && f.rule == rule.id)
                .collect();
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}\"",
                escape(&name),
                escape(&rule.id),
                escape(&rule.name)
            ));
            if found.is_empty() {
                cases.push_str("/>\n");
                continue;
            }
            failures += 1;
            let body: Vec<String> = found
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}[{}] {}",
                        location(sources, f.primary.span),
                        f.severity.as_str(),
                        f.rule,
                        f.message
                    )
                })
                .collect();
            cases.push_str(&format!(
                ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(found[0].severity.as_str()),
                escape(&format!("{} finding(s): {}", found.len(), found[0].message)),
                body.iter()
                    .map(|line| escape(line))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        total_tests += report.rules.len();
        total_failures += failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n{cases}  </testsuite>\n",
            escape(&name),
            report.rules.len()
        ));
    }
    if !report.problems.is_empty() {
        let mut cases = String::new();
        for p in &report.problems {
            let at = match (p.span, &p.path) {
                (Some(span), _) => location(sources, span),
                (None, Some(path)) => display_path(path),
                (None, None) => "plinth".to_string(),
            };
            cases.push_str(&format!(
                "    <testcase classname=\"plinth\" name=\"{}\">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>\n",
                escape(&at),
                escape(p.code.as_str()),
                escape(&p.message),
                escape(&format!("{at}: {}", p.message))
            ));
        }
        suites.push_str(&format!(
            "  <testsuite name=\"plinth run errors\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">\n{cases}  </testsuite>\n",
            n = report.problems.len()
        ));
        total_tests += report.problems.len();
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"plinth\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{}\">\n{suites}</testsuites>\n",
        report.problems.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape("a<b & 'c' \"d\"\u{1}"),
            "a&lt;b &amp; &apos;c&apos; &quot;d&quot;"
        );
    }
}
