//! Runs the real `plinth` binary over every rule fixture.
//!
//! Layout: `fixtures/<RULE>/<arm|bicep|terraform>/<case>/`. A case named `bad…` must
//! raise that rule and nothing else; `good…` and `unknown…` cases must raise
//! nothing at all — except the rules a case's `ALSO` file names, which must
//! fire too. Every rule must have `bad`, `good`, `unknown` and
//! `bad-split` cases in every front-end it applies to. The human and JSON renderings of
//! every case are snapshots (`tests/snapshots/`), so any change in what a
//! user sees is a reviewable diff.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const FRONT_ENDS: [&str; 3] = ["arm", "bicep", "terraform"];
const REQUIRED_CASES: [&str; 4] = ["bad", "good", "unknown", "bad-split"];

fn plinth(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("the plinth binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Other rules a case is written to raise too, from its optional `ALSO`
/// file (rule ids separated by whitespace; `#` starts a comment). A fixture
/// for one rule is a realistic template, and a realistic template may well
/// show a second problem; `ALSO` makes that explicit instead of tolerated.
fn also(dir: &Path) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("ALSO");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect()
}

/// `plinth check` of one case. The PostgreSQL hygiene rules (PGH) judge
/// every server's settings; the networking fixtures leave those at their
/// defaults, so PGH is checked in its own fixtures only — where, being
/// opt-in, it must be selected (with every other rule, as before).
fn check_args<'a>(rule: &str, dir: &'a str, format: &'a str) -> Vec<&'a str> {
    let mut args = vec!["check", "--format", format, dir];
    if rule.starts_with("PGH") {
        args.extend(["--select", "ALL"]);
    } else {
        args.extend(["--ignore", "PGH"]);
    }
    args
}

/// Every built-in rule with the inputs it applies to (`arm`, `terraform`).
fn builtin_rules() -> Vec<(String, Vec<String>)> {
    let (code, stdout, stderr) = plinth(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "plinth rules failed: {stderr}");
    let rules: serde_json::Value = serde_json::from_str(&stdout).expect("rules JSON");
    rules
        .as_array()
        .expect("a list of rules")
        .iter()
        .map(|r| {
            let inputs = r["inputs"]
                .as_array()
                .expect("inputs")
                .iter()
                .map(|i| i.as_str().expect("an input").to_string())
                .collect();
            (r["id"].as_str().expect("an id").to_string(), inputs)
        })
        .collect()
}

fn cases() -> Vec<(String, String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/").flatten() {
        let rule_id = rule.file_name().to_string_lossy().into_owned();
        if !rule.path().is_dir() || rule_id == "demo" {
            continue;
        }
        for front_end in FRONT_ENDS {
            let Ok(entries) = std::fs::read_dir(rule.path().join(front_end)) else {
                continue;
            };
            for case in entries.flatten().filter(|c| c.path().is_dir()) {
                let relative = case
                    .path()
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .expect("inside the crate")
                    .to_path_buf();
                cases.push((
                    rule_id.clone(),
                    case.file_name().to_string_lossy().into_owned(),
                    relative,
                ));
            }
        }
    }
    cases.sort();
    cases
}

#[test]
fn every_rule_has_the_required_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut missing = Vec::new();
    for (rule, inputs) in builtin_rules() {
        // A rule about one language's own syntax needs that front-end's only.
        for front_end in FRONT_ENDS.iter().filter(|f| inputs.iter().any(|i| i == *f)) {
            for case in REQUIRED_CASES {
                let dir = root.join(&rule).join(front_end).join(case);
                if !dir.is_dir() {
                    missing.push(format!("fixtures/{rule}/{front_end}/{case}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing fixtures:\n{}",
        missing.join("\n")
    );
}

#[test]
fn fixtures_fire_exactly_where_they_should() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(!cases.is_empty(), "no fixtures found");
    for (rule, case, dir) in &cases {
        let dir_text = dir.to_string_lossy().replace('\\', "/");
        let (code, stdout, stderr) = plinth(&check_args(rule, &dir_text, "json"));
        let report: serde_json::Value = match serde_json::from_str(&stdout) {
            Ok(report) => report,
            Err(err) => {
                failures.push(format!(
                    "{dir_text}: output is not JSON ({err}); stderr: {stderr}"
                ));
                continue;
            }
        };
        let errors = report["errors"].as_array().map(Vec::len).unwrap_or(0);
        if errors > 0 {
            failures.push(format!("{dir_text}: run errors {}", report["errors"]));
            continue;
        }
        let findings: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let fired: BTreeSet<String> = findings
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .map(str::to_string)
            .collect();
        let mut expected = also(dir);
        if expected.contains(rule) {
            failures.push(format!("{dir_text}: ALSO names the rule under test"));
            continue;
        }
        if case.starts_with("bad") {
            expected.insert(rule.clone());
        }
        if fired != expected {
            failures.push(format!(
                "{dir_text}: expected exactly {expected:?} to fire, got {fired:?}"
            ));
            continue;
        }
        // The default fail_on is warning.
        let failing = findings
            .iter()
            .any(|f| matches!(f["severity"].as_str(), Some("error" | "warning")));
        if code != i32::from(failing) {
            failures.push(format!(
                "{dir_text}: exit code {code}, expected {}",
                i32::from(failing)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_output_snapshots() {
    for (rule, _, dir) in cases() {
        let dir_text = dir.to_string_lossy().replace('\\', "/");
        let name = dir_text.trim_start_matches("fixtures/").replace('/', "__");
        let (_, human, _) = plinth(&check_args(&rule, &dir_text, "human"));
        insta::assert_snapshot!(format!("{name}__human"), human);
        let (_, json, _) = plinth(&check_args(&rule, &dir_text, "json"));
        insta::assert_snapshot!(format!("{name}__json"), json);
    }
}
