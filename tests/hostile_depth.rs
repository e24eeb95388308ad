//! Deep input through the real binary: long chains of operators and
//! accesses, which parse into trees as deep as the chain is long, stop with
//! a located error (or simply work) instead of overflowing the stack, and
//! the other files of the run are still checked. The inputs are generated
//! here: 20,000 links each, well past the ~6,000 to ~20,000 that overflowed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/// How many links each hostile chain has.
const LINKS: usize = 20_000;

/// `plinth check --format json .` in `dir`, with the PG001 bad case copied
/// beside the hostile files so the test sees that the run goes on. The exit
/// code is a code, never a signal (a stack overflow aborts) nor 101 (a panic).
fn check(dir: &Path) -> (i32, Value) {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    std::fs::copy(case, dir.join("good-but-findings.json")).expect("copy");
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "--ignore", "PGH", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {:?}\n{stderr}", output.status));
    assert!(matches!(code, 0..=2), "exit code {code}: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}\nstderr: {stderr}"));
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "PG001" && f["file"] == "good-but-findings.json"),
        "the other file is still checked: {report:#}"
    );
    (code, report)
}

/// The one error about `file`: its code, line and column.
fn error_about<'a>(report: &'a Value, file: &str) -> &'a Value {
    let about: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == file)
        .collect();
    assert_eq!(about.len(), 1, "one error about {file}: {report:#}");
    about[0]
}

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = Path::new(name).parent() {
        std::fs::create_dir_all(dir.join(parent)).expect("mkdir");
    }
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn arm_chains_of_accesses_are_limit_errors_at_the_expression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("property.json", ".b".repeat(LINKS)),
        ("index.json", "[0]".repeat(LINKS)),
        ("key.json", "['b']".repeat(LINKS)),
    ];
    for (file, chain) in &cases {
        write(
            dir.path(),
            file,
            &format!(
                r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0",
  "variables": {{ "a": {{ "b": 1 }} }},
  "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "name": "[variables('a'){chain}]" }} ] }}"#
            ),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "limit-exceeded", "{error:#}");
        assert!(
            error["help"]
                .as_str()
                .expect("help")
                .contains("max_expression_depth"),
            "{error:#}"
        );
        assert_eq!(error["line"], 3, "{error:#}");
    }
}

#[test]
fn arm_chains_within_the_limit_still_evaluate() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 60 accesses deep, under the default depth of 64: the name is known,
    // so the zone's name is checked (an unknown name would stay silent).
    let value =
        "{ \"b\": ".repeat(60) + "\"privatelink.postgres.database.azure.com\"" + &" }".repeat(60);
    write(
        dir.path(),
        "chain.json",
        &format!(
            r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0",
  "variables": {{ "a": {value} }},
  "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
                   "name": "[variables('a'){}]", "location": "global" }} ] }}"#,
            ".b".repeat(60)
        ),
    );
    let (code, report) = check(dir.path());
    assert!(
        report["errors"].as_array().expect("errors").is_empty(),
        "{report:#}"
    );
    assert_eq!(code, 1, "{report:#}");
}

#[test]
fn bicep_chains_of_operators_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("plus.bicep", vec!["1"; LINKS].join(" + ")),
        ("coalesce.bicep", vec!["null"; LINKS].join(" ?? ")),
        ("and.bicep", vec!["true"; LINKS].join(" && ")),
    ];
    for (file, chain) in &cases {
        write(dir.path(), file, &format!("var x = {chain}\n"));
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "parse-error", "{error:#}");
        assert!(
            error["message"]
                .as_str()
                .expect("message")
                .contains("nested too deeply"),
            "{error:#}"
        );
        assert_eq!(error["line"], 1, "{error:#}");
        // Stopped near the start of the chain, not at its end.
        assert!(
            error["column"].as_u64().expect("column") < 2_000,
            "{error:#}"
        );
    }
}

#[test]
fn bicep_chains_of_accesses_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("property.bicep", ".b".repeat(LINKS)),
        ("index.bicep", "[0]".repeat(LINKS)),
        ("nested.bicep", "::b".repeat(LINKS)),
    ];
    for (file, chain) in &cases {
        write(
            dir.path(),
            file,
            &format!("var a = {{}}\nvar x = a{chain}\n"),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "parse-error", "{error:#}");
        assert_eq!(error["line"], 2, "{error:#}");
    }
}

#[test]
fn bicep_chains_within_the_limit_still_lower() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 100 operators and 100 accesses: long for real Bicep, under the limit.
    write(
        dir.path(),
        "sum.bicep",
        &format!(
            "var a = {{}}\nvar sum = {}\nvar deep = a{}\noutput o int = sum\n",
            vec!["1"; 100].join(" + "),
            ".?b".repeat(100)
        ),
    );
    let (code, report) = check(dir.path());
    assert!(
        report["errors"].as_array().expect("errors").is_empty(),
        "{report:#}"
    );
    assert_eq!(code, 1, "{report:#}");
}
