//! SARIF 2.1.0 output for GitHub code scanning and other SARIF consumers.
//!
//! One run; the driver lists every rule that ran (with descriptions, help as
//! text and Markdown, help URI, default level, and the properties GitHub code
//! scanning ranks alerts by: `security-severity`, `precision`, `tags`). Paths given relative on the command line become
//! URIs relative to `%SRCROOT%` (the working directory), which is what code
//! scanning resolves against the repository; absolute paths become `file://`
//! URIs. `partialFingerprints` carry plinth's own fingerprint, which never
//! includes a line number.

use serde_json::{Value, json};

use crate::report::{Finding, Problem, Report, RuleInfo, Severity, display_path};
use crate::source::{SourceMap, Span};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes what may not appear raw in a URI path.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn artifact(path: &std::path::Path) -> Value {
    let text = display_path(path);
    if path.is_absolute() {
        let text = if text.starts_with('/') {
            text
        } else {
            format!("/{text}")
        };
        json!({ "uri": format!("file://{}", encode_path(&text)) })
    } else {
        json!({ "uri": encode_path(&text), "uriBaseId": SRCROOT })
    }
}

/// SARIF wants messages to be sentences.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

fn physical_location(sources: &SourceMap, span: Span) -> Value {
    let file = sources.get(span.file);
    let start = file.line_col(span.start as usize);
    let end = file.line_col(span.end as usize);
    json!({
        "artifactLocation": artifact(&file.path),
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
            "snippet": { "text": file.slice(span) },
        },
    })
}

/// `private-endpoint-zone-name` → `PrivateEndpointZoneName`, the identifier
/// form SARIF consumers expect for `name`.
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// GitHub ranks code-scanning alerts by `security-severity`, a score from
/// 0.0 to 10.0 (over 9.0 critical, 7.0 high, 4.0 medium, else low). Plinth's
/// severities map onto it: an error is a deployment that fails or traffic
/// that leaves the private path (high), a warning a likely breakage (medium),
/// a note advice (low).
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

/// The rule's help in Markdown: its documentation when it has YAML, else
/// what it finds and how to fix it.
fn help_markdown(info: &RuleInfo) -> String {
    match &info.markdown {
        Some(markdown) => markdown.clone(),
        None => format!(
            "{}\n\n## How to fix\n\n{}\n",
            sentence(&info.description),
            sentence(&info.remediation)
        ),
    }
}

fn rule(info: &RuleInfo) -> Value {
    let mut rule = json!({
        "id": info.id,
        "name": pascal_case(&info.name),
        "shortDescription": { "text": sentence(&info.title) },
        "fullDescription": { "text": sentence(&info.description) },
        "help": { "text": sentence(&info.remediation), "markdown": help_markdown(info) },
        "defaultConfiguration": { "level": level(info.severity) },
        // `precision` very-high: a rule reports only what the templates
        // prove (an unknown value makes no finding, design.md's zero false
        // positives), so code scanning need not hide plinth's alerts.
        "properties": {
            "tags": ["azure", "networking", "security"],
            "precision": "very-high",
            "security-severity": security_severity(info.severity),
        },
    });
    if let Some(url) = &info.url {
        rule["helpUri"] = json!(url);
    }
    rule
}

fn result(sources: &SourceMap, rule_index: Option<usize>, finding: &Finding) -> Value {
    let related: Vec<Value> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let mut location = json!({
                "id": i + 1,
                "physicalLocation": physical_location(sources, label.span),
            });
            if !label.text.is_empty() {
                location["message"] = json!({ "text": sentence(&label.text) });
            }
            location
        })
        .collect();
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        "message": { "text": sentence(&finding.message) },
        "locations": [{
            "physicalLocation": physical_location(sources, finding.primary.span),
            "logicalLocations": [{
                "name": finding.resource.name,
                "fullyQualifiedName": finding.resource.address,
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { "plinthFingerprint/v1": finding.fingerprint },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

fn notification(sources: &SourceMap, problem: &Problem) -> Value {
    let mut notification = json!({
        "level": "error",
        "message": { "text": sentence(&problem.message) },
        "descriptor": { "id": problem.code },
    });
    match (problem.span, &problem.path) {
        (Some(span), _) => {
            notification["locations"] =
                json!([{ "physicalLocation": physical_location(sources, span) }])
        }
        (None, Some(path)) => {
            notification["locations"] =
                json!([{ "physicalLocation": { "artifactLocation": artifact(path) } }])
        }
        (None, None) => {}
    }
    notification
}

/// The working directory as a `file://` URI ending in `/`, for `%SRCROOT%`.
fn srcroot() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let mut text = cwd.to_string_lossy().replace('\\', "/");
    if !text.starts_with('/') {
        text.insert(0, '/');
    }
    if !text.ends_with('/') {
        text.push('/');
    }
    Some(format!("file://{}", encode_path(&text)))
}

pub fn render(report: &Report, sources: &SourceMap) -> String {
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = report.rules.iter().position(|r| r.id == f.rule);
            result(sources, index, f)
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "plinth",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": report.rules.iter().map(rule).collect::<Vec<_>>(),
            }
        },
        "invocations": [{
            "executionSuccessful": report.problems.is_empty(),
            "toolExecutionNotifications":
                report.problems.iter().map(|p| notification(sources, p)).collect::<Vec<_>>(),
        }],
        "results": results,
        "columnKind": "unicodeCodePoints",
    });
    if let Some(home) = option_env!("CARGO_PKG_REPOSITORY").filter(|r| !r.is_empty()) {
        run["tool"]["driver"]["informationUri"] = json!(home);
    }
    if let Some(root) = srcroot() {
        run["originalUriBaseIds"] = json!({ SRCROOT: { "uri": root } });
    }
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(
            pascal_case("private-endpoint-zone-name"),
            "PrivateEndpointZoneName"
        );
        assert_eq!(
            encode_path("infra/my dir/a#b.json"),
            "infra/my%20dir/a%23b.json"
        );
        assert_eq!(sentence("no link"), "no link.");
        assert_eq!(sentence("done."), "done.");
    }

    fn info(severity: Severity, markdown: Option<&str>) -> RuleInfo {
        RuleInfo {
            id: "SUP001".into(),
            name: "suppression-without-reason".into(),
            severity,
            title: "A title".into(),
            description: "What it finds".into(),
            remediation: "Do this".into(),
            url: None,
            markdown: markdown.map(str::to_string),
        }
    }

    #[test]
    fn rules_carry_what_code_scanning_ranks_by() {
        for (severity, score) in [
            (Severity::Error, "8.0"),
            (Severity::Warning, "5.0"),
            (Severity::Info, "2.0"),
        ] {
            let rule = rule(&info(severity, None));
            let properties = &rule["properties"];
            assert_eq!(properties["security-severity"], score);
            assert_eq!(properties["precision"], "very-high");
            // GitHub reads security-severity only from rules tagged security.
            let tags = properties["tags"].as_array().unwrap();
            assert!(tags.contains(&json!("security")));
            let number: f64 = score.parse().unwrap();
            assert!((0.0..=10.0).contains(&number));
        }
    }

    #[test]
    fn help_markdown_is_the_rules_documentation_or_what_it_has() {
        let documented = rule(&info(Severity::Error, Some("## What it does\n")));
        assert_eq!(documented["help"]["markdown"], "## What it does\n");
        assert_eq!(documented["help"]["text"], "Do this.");
        let bare = rule(&info(Severity::Info, None));
        assert_eq!(
            bare["help"]["markdown"],
            "What it finds.\n\n## How to fix\n\nDo this.\n"
        );
    }
}
