//! Adversarial input through the real binary: every limit of `limits:` is
//! hit by a generated file, and each hit is a `limit-exceeded` error with its
//! file, line and column (exit code 2) while the other files are still
//! checked; nothing hangs, overflows the stack or panics. The inputs are
//! generated here rather than committed: they are large and repetitive.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/// `plinth check --format json` in `dir` (its `.plinth.yaml` applies), with
/// the PG001 bad case copied beside the adversarial files so the test sees
/// that the run goes on.
fn check(dir: &Path) -> (i32, Value) {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    std::fs::copy(case, dir.join("good-but-findings.json")).expect("copy");
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "--ignore", "PGH", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "PG001" && f["file"] == "good-but-findings.json"),
        "the other file is still checked: {report:#}"
    );
    (output.status.code().unwrap_or(-1), report)
}

fn errors(report: &Value) -> Vec<&Value> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .collect()
}

/// The one error about `file`, which must be a limit hit naming `key`.
fn limit_hit<'a>(report: &'a Value, file: &str, key: &str) -> &'a Value {
    let about: Vec<&Value> = errors(report)
        .into_iter()
        .filter(|e| e["file"] == file)
        .collect();
    assert_eq!(about.len(), 1, "one error about {file}: {report:#}");
    let error = about[0];
    assert_eq!(error["code"], "limit-exceeded", "{error:#}");
    let text = format!("{} {}", error["message"], error["help"]);
    assert!(text.contains(key), "names {key}: {error:#}");
    error
}

fn template(resources: &str) -> String {
    format!(r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0", "resources": {resources} }}"#)
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn json_nested_100000_deep_is_refused_at_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    write(dir.path(), "deep.json", &template(&deep));
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "deep.json", "max_nesting");
    assert_eq!(error["line"], 1);
    assert!(error["column"].as_u64().expect("column") > 256, "{error:#}");
}

#[test]
fn json_nesting_follows_the_configured_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The copied fixture is 10 deep; a property value 20 deep passes 16.
    write(dir.path(), ".plinth.yaml", "limits:\n  max_nesting: 16\n");
    let value = "[".repeat(20) + &"]".repeat(20);
    write(
        dir.path(),
        "deep.json",
        &template(&format!(
            r#"[{{ "type": "Microsoft.Network/privateDnsZones", "name": "z",
                 "properties": {{ "x": {value} }} }}]"#
        )),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "deep.json", "max_nesting");
    assert_eq!(error["line"], 2, "{error:#}");
}

#[test]
fn hcl_nested_100000_deep_is_refused_and_the_module_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = dir.path().join("tf");
    std::fs::create_dir(&module).expect("mkdir");
    write(
        &module,
        "deep.tf",
        &format!("locals {{\n  x = {}\n}}\n", "[".repeat(100_000)),
    );
    write(
        &module,
        "zone.tf",
        "resource \"azurerm_private_dns_zone\" \"z\" {\n  name = \"privatelink.postgres.database.azure.com\"\n  resource_group_name = \"rg\"\n}\n",
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "tf/deep.tf", "max_nesting");
    assert_eq!(error["line"], 2);
    // The module's other file was still read.
    assert!(report["summary"]["resources"].as_u64().expect("resources") >= 1);
}

#[test]
fn hcl_chains_without_brackets_are_parse_errors_not_crashes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 100_000;
    let cases = [
        ("binary", vec!["1"; n].join(" + ")),
        ("unary", "!".repeat(n) + "true"),
        ("negation", "-".repeat(n) + "1"),
        ("conditional", "true ? 1 : ".repeat(n) + "2"),
        ("traversal", "local.a".to_string() + &".b".repeat(n)),
    ];
    for (name, expression) in &cases {
        let module = dir.path().join(name);
        std::fs::create_dir(&module).expect("mkdir");
        write(
            &module,
            "main.tf",
            &format!("locals {{\n  a = {expression}\n}}\n"),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (name, _) in &cases {
        let file = format!("{name}/main.tf");
        for error in errors(&report)
            .iter()
            .filter(|e| e["file"] == file.as_str())
        {
            assert_eq!(error["code"], "parse-error", "{error:#}");
            assert_eq!(error["line"], 2, "{error:#}");
        }
    }
}

#[test]
fn copy_counts_over_the_limit_are_reported_at_the_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "copies.json",
        &template(
            r#"[{ "type": "Microsoft.Network/privateDnsZones", "name": "[format('z{0}', copyIndex())]",
                  "copy": { "name": "zones",
                            "count": 1000000000 } }]"#,
        ),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "copies.json", "max_copies");
    assert_eq!(error["line"], 3);

    // A lower configured limit applies to property copies too.
    write(dir.path(), ".plinth.yaml", "limits:\n  max_copies: 2\n");
    write(
        dir.path(),
        "copies.json",
        &template(
            r#"[{ "type": "Microsoft.Network/virtualNetworks", "name": "vnet",
                  "properties": { "copy": [ { "name": "subnets", "count": 3,
                                              "input": { "name": "[format('s{0}', copyIndex('subnets'))]" } } ] } }]"#,
        ),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "copies.json", "max_copies");
    assert_eq!(error["line"], 2);
}

/// A deployment nesting `depth` more inside it, each with one DNS zone.
fn nested(depth: usize) -> String {
    let mut inner = template(r#"[{ "type": "Microsoft.Network/privateDnsZones", "name": "z" }]"#);
    for level in 0..depth {
        inner = template(&format!(
            r#"[{{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d{level}",
                  "properties": {{ "mode": "Incremental", "template": {inner} }} }}]"#
        ));
    }
    inner
}

#[test]
fn deployments_nested_past_the_limit_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "deep.json", &nested(20));
    write(dir.path(), "fine.json", &nested(10));
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    limit_hit(&report, "deep.json", "max_deployment_depth");
    assert!(errors(&report).iter().all(|e| e["file"] != "fine.json"));

    write(
        dir.path(),
        ".plinth.yaml",
        "limits:\n  max_deployment_depth: 32\n",
    );
    let (_, report) = check(dir.path());
    assert!(errors(&report).is_empty(), "{report:#}");
}

#[test]
fn expressions_nested_past_the_limit_are_reported_and_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, depth) in [("deep.json", 100), ("very-deep.json", 100_000)] {
        let name = "concat(".repeat(depth) + "'z'" + &")".repeat(depth);
        write(
            dir.path(),
            file,
            &template(&format!(
                r#"[{{ "type": "Microsoft.Network/privateDnsZones", "name": "[{name}]" }}]"#
            )),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    limit_hit(&report, "deep.json", "max_expression_depth");
    limit_hit(&report, "very-deep.json", "max_expression_depth");
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Over the limit, but the copied fixture (7 KB) is under it.
    write(
        dir.path(),
        ".plinth.yaml",
        "limits:\n  max_file_bytes: 16384\n",
    );
    let padding = " ".repeat(20_000);
    write(dir.path(), "big.json", &(template("[]") + &padding));
    // Big JSON that is not a template is skipped silently, as any other.
    write(dir.path(), "data.json", &format!("{{ \"a\": 1 }}{padding}"));
    let module = dir.path().join("tf");
    std::fs::create_dir(&module).expect("mkdir");
    write(&module, "big.tf", &format!("locals {{}}\n{padding}"));
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    for file in ["big.json", "tf/big.tf"] {
        let error = limit_hit(&report, file, "max_file_bytes");
        assert!(error["line"].is_null(), "no position in an unread file");
    }
    assert!(errors(&report).iter().all(|e| e["file"] != "data.json"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).expect("symlink");
    std::os::unix::fs::symlink(sub.join("self"), sub.join("self")).expect("symlink");
    let (code, report) = check(dir.path());
    assert_eq!(code, 1, "{report:#}");
    assert!(errors(&report).is_empty(), "{report:#}");
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn reference_cycles_end_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "cycle.json",
        &format!(
            r#"{{ "$schema": "{SCHEMA}",
                  "variables": {{ "a": "[variables('b')]", "b": "[concat(variables('a'), 'x')]" }},
                  "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "name": "[variables('a')]" }} ] }}"#
        ),
    );
    let module = dir.path().join("tf");
    std::fs::create_dir(&module).expect("mkdir");
    write(
        &module,
        "main.tf",
        "locals {\n  a = local.b\n  b = \"${local.a}x\"\n}\nresource \"azurerm_private_dns_zone\" \"z\" {\n  name = local.a\n  resource_group_name = \"rg\"\n}\n",
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 1, "{report:#}");
    assert!(errors(&report).is_empty(), "{report:#}");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(1));
}

#[test]
fn huge_hcl_objects_are_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = dir.path().join("tf");
    std::fs::create_dir(&module).expect("mkdir");
    let members: String = (0..100_000)
        .map(|i| format!("    k{i} = \"{i}\"\n"))
        .collect();
    write(
        &module,
        "main.tf",
        &format!(
            "resource \"azurerm_private_dns_zone\" \"z\" {{\n  name = \"z\"\n  tags = {{\n{members}  }}\n}}\n"
        ),
    );
    // A block body as long is fine: only object expressions are limited.
    let long = dir.path().join("long");
    std::fs::create_dir(&long).expect("mkdir");
    write(&long, "main.tf", &format!("locals {{\n{members}}}\n"));
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = limit_hit(&report, "tf/main.tf", "max_object_members");
    assert_eq!(error["line"], 10_004, "{error:#}");
    assert!(errors(&report).iter().all(|e| e["file"] != "long/main.tf"));
}
