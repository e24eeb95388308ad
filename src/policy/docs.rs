//! Rule documentation generated from the rules' YAML: `plinth explain` and
//! `plinth rules`. The YAML is the one source; nothing here restates a rule.

use serde::Serialize;

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

/// One line per rule: id, name, severity, title.
pub fn table<'a>(rules: impl Iterator<Item = &'a RuleMeta>) -> String {
    let rules: Vec<&RuleMeta> = rules.collect();
    let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    rules
        .iter()
        .map(|r| {
            format!(
                "{:<7} {:<width$}  {:<7}  {}\n",
                r.id,
                r.name,
                r.severity.as_str(),
                r.title
            )
        })
        .collect()
}

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    name: &'a str,
    severity: &'a str,
    title: &'a str,
    url: Option<&'a str>,
    inputs: Vec<&'static str>,
}

/// The rule list as JSON: `[{"id", "name", "severity", "title", "url", "inputs"}]`.
pub fn table_json<'a>(rules: impl Iterator<Item = &'a RuleMeta>) -> String {
    let rows: Vec<RuleJson> = rules
        .map(|r| RuleJson {
            id: &r.id,
            name: &r.name,
            severity: r.severity.as_str(),
            title: &r.title,
            url: r.links.first().map(String::as_str),
            inputs: r.inputs.iter().map(|i| i.as_str()).collect(),
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into())
}
