//! SARIF for GitHub's Security tab through the real binary: every rule the
//! driver lists carries what code scanning ranks and shows alerts by
//! (`security-severity`, `precision`, `tags`, `help.markdown`). Validity
//! against the SARIF schema is `tests/integrations/sarif.sh`'s job.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use assert_cmd::Command;
use serde_json::Value;

fn plinth(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn demo_rules() -> Vec<Value> {
    let (code, stdout) = plinth(&["check", "--format", "sarif", "fixtures/demo"]);
    assert_eq!(code, 1, "{stdout}");
    let sarif: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone()
}

#[test]
fn every_rule_has_a_security_severity_matching_its_level_and_a_precision() {
    let rules = demo_rules();
    assert!(rules.len() >= 5);
    for rule in &rules {
        let properties = &rule["properties"];
        let score = properties["security-severity"]
            .as_str()
            .unwrap_or_else(|| panic!("no security-severity: {rule:#}"));
        let expected = match rule["defaultConfiguration"]["level"].as_str() {
            Some("error") => "8.0",
            Some("warning") => "5.0",
            _ => "2.0",
        };
        assert_eq!(score, expected, "{}", rule["id"]);
        assert_eq!(properties["precision"], "very-high", "{}", rule["id"]);
        let tags = properties["tags"].as_array().expect("tags");
        assert!(tags.contains(&Value::from("security")), "{}", rule["id"]);
    }
}

#[test]
fn help_markdown_is_the_explain_text_of_each_rule() {
    for rule in demo_rules() {
        let id = rule["id"].as_str().expect("id");
        let markdown = rule["help"]["markdown"]
            .as_str()
            .unwrap_or_else(|| panic!("no help.markdown: {rule:#}"));
        assert!(rule["help"]["text"].is_string(), "{id}");
        if id.starts_with("SUP") {
            // The rules about suppressions have no YAML: what they find and the fix.
            assert!(markdown.contains("\n## How to fix\n"), "{id}: {markdown}");
            continue;
        }
        let (code, explain) = plinth(&["explain", id]);
        assert_eq!(code, 0, "{explain}");
        for heading in ["What it does", "Why it matters", "How to fix"] {
            assert!(
                markdown.contains(&format!("\n## {heading}\n")),
                "{id}: {heading}"
            );
        }
        // Each line of prose `plinth explain` shows is in the Markdown too.
        for line in explain
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        {
            let line = line.trim().trim_start_matches("- ");
            assert!(
                markdown.contains(line),
                "{id}: {line:?} missing from\n{markdown}"
            );
        }
    }
}
