//! Rule documentation generated from the rules' YAML: `plinth explain` (for a
//! terminal), the same text as Markdown (SARIF's `help.markdown`, which code
//! scanning shows beside an alert) and `plinth rules`. The YAML is the one
//! source; nothing here restates a rule.

use serde::Serialize;

use crate::diagnostic::RuleInfo;
use crate::policy::RuleMeta;

/// The full documentation of one rule, for a terminal.
pub fn explain(rule: &RuleMeta) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} ({}) — {}\n", rule.id, rule.name, rule.title));
    out.push_str(&format!("Severity: {}\n", rule.severity.as_str()));
    if let Some(only) = only_input(rule) {
        out.push_str(&format!("Applies to: {only} only\n"));
    }
    section(&mut out, "What it does", &rule.description);
    section(&mut out, "Why it matters", &rule.rationale);
    for (heading, language, code) in examples(rule) {
        out.push_str(&format!("\n{heading}, {language}:\n"));
        for line in code.trim_end().lines() {
            out.push_str(&format!("    {line}\n"));
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

/// The same documentation as [`explain`], in Markdown: sections become
/// headings, examples fenced code blocks with their language, so code
/// scanning can render it as an alert's help.
pub fn markdown(rule: &RuleMeta) -> String {
    let mut out = format!("**{}** ({}): {}\n", rule.id, rule.name, rule.title);
    if let Some(only) = only_input(rule) {
        out.push_str(&format!("\nApplies to: {only} only.\n"));
    }
    for (heading, text) in [
        ("What it does", &rule.description),
        ("Why it matters", &rule.rationale),
    ] {
        out.push_str(&format!("\n## {heading}\n\n{}\n", text.trim()));
    }
    for (heading, language, code) in examples(rule) {
        let fence = fence_for(code);
        let tag = match language {
            "ARM" => "json",
            "Bicep" => "bicep",
            _ => "hcl",
        };
        out.push_str(&format!(
            "\n## {heading}, {language}\n\n{fence}{tag}\n{}\n{fence}\n",
            code.trim_end()
        ));
    }
    out.push_str(&format!("\n## How to fix\n\n{}\n", rule.remediation.trim()));
    if !rule.links.is_empty() {
        out.push_str("\n## References\n\n");
        for link in &rule.links {
            out.push_str(&format!("- <{link}>\n"));
        }
    }
    out
}

/// A code fence longer than any run of backticks in the code, so an example
/// cannot close its own block.
fn fence_for(code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The one input a rule is limited to, as users name it.
fn only_input(rule: &RuleMeta) -> Option<&'static str> {
    match rule.inputs.as_slice() {
        [only] => Some(match only {
            crate::policy::rule::InputKind::Arm => "ARM templates",
            crate::policy::rule::InputKind::Bicep => "Bicep",
            crate::policy::rule::InputKind::Terraform => "Terraform",
        }),
        _ => None,
    }
}

/// The rule's examples in the order they are documented: bad before good,
/// ARM, Bicep, Terraform; (heading, language, code).
fn examples(rule: &RuleMeta) -> Vec<(&'static str, &'static str, &str)> {
    let mut out = Vec::new();
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
                out.push((heading, language, &**code));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RuleSet;
    use crate::source::SourceMap;

    #[test]
    fn markdown_has_every_section_of_explain_and_fenced_examples() {
        let sources = SourceMap::new();
        let rules = RuleSet::builtin(&sources).unwrap_or_else(|p| panic!("{p:?}"));
        let pg001 = rules.find("PG001").unwrap();
        let text = markdown(pg001);
        assert!(text.starts_with("**PG001** (private-endpoint-on-vnet-integrated-server): "));
        for heading in ["What it does", "Why it matters", "How to fix", "References"] {
            assert!(text.contains(&format!("\n## {heading}\n\n")), "{heading}");
        }
        assert!(text.contains("## Example (bad), Terraform\n\n```hcl\nresource "));
        assert!(text.contains("## Use instead, Bicep\n\n```bicep\n"));
        assert!(text.contains("- <https://learn.microsoft.com/"));
        // Every rule's Markdown opens as many fences as it closes.
        for rule in rules.rules() {
            let fences = markdown(rule)
                .lines()
                .filter(|l| l.starts_with("```"))
                .count();
            assert_eq!(fences % 2, 0, "{}", rule.id);
        }
    }

    #[test]
    fn a_fence_outruns_the_backticks_in_its_code() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
