//! Rule documentation generated from the rules' YAML: `plinth explain` and
//! `plinth rules`. The YAML is the one source; nothing here restates a rule.

use serde::Serialize;

use crate::diagnostic::RuleInfo;
use crate::policy::RuleMeta;

/// The full documentation of one rule, for a terminal.
pub fn explain(rule: &RuleMeta) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} ({}) — {}\n", rule.id, rule.name, rule.title));
    out.push_str(&format!("Severity: {}\n", rule.severity.as_str()));
    if rule.inputs.len() == 1 {
        let only = match rule.inputs[0] {
            crate::policy::rule::InputKind::Arm => "ARM templates",
            crate::policy::rule::InputKind::Bicep => "Bicep",
            crate::policy::rule::InputKind::Terraform => "Terraform",
        };
        out.push_str(&format!("Applies to: {only} only\n"));
    }
    section(&mut out, "What it does", &rule.description);
    section(&mut out, "Why it matters", &rule.rationale);
    for (heading, example) in [
        ("Example (bad)", &rule.examples.bad),
        ("Use instead", &rule.examples.good),
    ] {
        for (language, code) in [
            ("ARM", &example.arm),
            ("Bicep", &example.bicep),
            ("Terraform", &example.terraform),
        ] {
            if let Some(code) = code {
                out.push_str(&format!("\n{heading}, {language}:\n"));
                for line in code.trim_end().lines() {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
    section(&mut out, "How to fix", &rule.remediation);
    if !rule.links.is_empty() {
        out.push_str("\nReferences:\n");
        for link in &rule.links {
            out.push_str(&format!("  - {link}\n"));
        }
    }
    out
}

fn section(out: &mut String, heading: &str, text: &str) {
    out.push_str(&format!("\n{heading}:\n"));
    for line in text.trim_end().lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("  {line}\n"));
        }
    }
}

/// Whether a rule runs when nothing is selected (decided by the selection,
/// which the CLI passes in).
pub type OnByDefault<'f> = &'f dyn Fn(&str) -> bool;

/// One line per rule: id, name, severity, whether it runs by default, title;
/// the policy rules, then the rules about `plinth:ignore` comments
/// (`about_suppressions`), which are reported like any other.
pub fn table<'a>(
    rules: impl Iterator<Item = &'a RuleMeta>,
    about_suppressions: &'a [RuleInfo],
    on_by_default: OnByDefault,
) -> String {
    let rows: Vec<Row> = rows(rules, about_suppressions, on_by_default);
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = format!(
        "{:<7} {:<width$}  {:<7}  {:<7}  TITLE\n",
        "ID", "NAME", "LEVEL", "DEFAULT"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<7} {:<width$}  {:<7}  {:<7}  {}\n",
            r.id,
            r.name,
            r.severity,
            if r.default { "on" } else { "off" },
            r.title
        ));
    }
    out
}

/// One rule as listed.
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    name: &'a str,
    severity: &'a str,
    /// Whether the rule runs when nothing is selected.
    default: bool,
    title: &'a str,
    url: Option<&'a str>,
    inputs: Vec<&'static str>,
}

fn rows<'a>(
    rules: impl Iterator<Item = &'a RuleMeta>,
    about_suppressions: &'a [RuleInfo],
    on_by_default: OnByDefault,
) -> Vec<Row<'a>> {
    let policy = rules.map(|r| Row {
        id: &r.id,
        name: &r.name,
        severity: r.severity.as_str(),
        default: on_by_default(&r.id),
        title: &r.title,
        url: r.links.first().map(String::as_str),
        inputs: r.inputs.iter().map(|i| i.as_str()).collect(),
    });
    // About comments in every language, so about no one front-end.
    let mut about_suppressions: Vec<&RuleInfo> = about_suppressions.iter().collect();
    about_suppressions.sort_by(|a, b| a.id.cmp(&b.id));
    let suppressions = about_suppressions.into_iter().map(|r| Row {
        id: &r.id,
        name: &r.name,
        severity: r.severity.as_str(),
        default: on_by_default(&r.id),
        title: &r.title,
        url: r.url.as_deref(),
        inputs: Vec::new(),
    });
    policy.chain(suppressions).collect()
}

/// The rule list as JSON: `[{"id", "name", "severity", "default", "title",
/// "url", "inputs"}]`.
pub fn table_json<'a>(
    rules: impl Iterator<Item = &'a RuleMeta>,
    about_suppressions: &'a [RuleInfo],
    on_by_default: OnByDefault,
) -> String {
    serde_json::to_string_pretty(&rows(rules, about_suppressions, on_by_default))
        .unwrap_or_else(|_| "[]".into())
}
