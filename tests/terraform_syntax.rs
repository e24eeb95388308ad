//! Terraform that Terraform accepts and hcl-edit alone refuses (issue #21),
//! through the real binary: `for` object expressions whose value runs over
//! several lines (the shapes of CAF enterprise-scale's
//! `modules/connectivity/locals.tf` and cloudposse's `terraform-null-label`)
//! and object constructors with duplicate keys. Each module parses, its
//! locals are evaluated, and a finding on a resource declared after the
//! construct is reported at its own line. The modules are written here,
//! modelled on those files, not copied from them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use assert_cmd::Command;
use serde_json::Value;

/// A private DNS zone named by `name`: DNS005 fires when it evaluates to
/// `core.windows.net` (a name Azure reserves), at the line of `name`.
fn zone(name: &str) -> String {
    format!(
        "\nresource \"azurerm_private_dns_zone\" \"z\" {{\n  name                = {name}\n  resource_group_name = \"rg-dns\"\n}}\n"
    )
}

/// `plinth check --format json` on a folder holding `main.tf` = `text`:
/// the exit code and the report.
fn check(text: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), text).expect("write");
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir.path())
        .args(["check", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}"));
    (output.status.code().unwrap_or(-1), report)
}

/// The module parses and evaluates: no error, and DNS005 on the zone's
/// `name` line (1-based), found in `text` itself.
fn zone_finding_at_its_line(text: &str) {
    let line = text
        .lines()
        .position(|l| l.starts_with("  name                = "))
        .expect("the zone's name line")
        + 1;
    let (code, report) = check(text);
    assert_eq!(report["errors"], Value::Array(vec![]), "{report:#}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule"], "DNS005", "{report:#}");
    assert_eq!(findings[0]["line"], line, "{report:#}");
    assert_eq!(findings[0]["column"], 3, "{report:#}");
    assert_eq!(code, 1, "{report:#}");
}

#[test]
fn a_for_object_with_the_arrow_and_operators_ending_lines() {
    // CAF enterprise-scale's shape: `location =>` on its own line, the
    // value an `&&` chain over several lines, with a comment among them.
    let text = format!(
        "locals {{\n  enabled   = true\n  locations = [\"westeurope\", \"northeurope\"]\n  deploy = {{\n    connectivity = {{\n      for location in local.locations :\n      location =>\n      local.enabled && # only where asked\n      contains(\n        [\n          \"westeurope\",\n          \"swedencentral\",\n        ],\n        location\n      )\n    }}\n  }}\n  zone_name = local.deploy.connectivity[\"westeurope\"] ? \"core.windows.net\" : \"example.com\"\n}}\n{}",
        zone("local.zone_name")
    );
    zone_finding_at_its_line(&text);
}

#[test]
fn a_for_object_with_a_conditional_chain_over_lines() {
    // terraform-null-label's shape: `k =>` then `? … :` ending each line.
    let text = format!(
        "locals {{\n  names = [\"zone\", \"other\"]\n  case  = \"lower\"\n  labels = {{ for k in local.names : k => local.case == \"none\" ? k :\n    local.case == \"title\" ? title(k) :\n    local.case == \"upper\" ? upper(k) : \"CORE.windows.net\"\n  }}\n  formatted = {{ for k in local.names : k =>\n    lower(local.labels[k])\n    if k == \"zone\" }}\n}}\n{}",
        zone("local.formatted[\"zone\"]")
    );
    zone_finding_at_its_line(&text);
}

#[test]
fn a_for_object_with_operators_starting_lines_and_a_heredoc() {
    let text = format!(
        "locals {{\n  parts = {{\n    for i, p in [\"core\", \"windows\", \"net\"] : p\n    => i == 0\n    ? p\n    : \".${{p}}\"\n  }}\n  banner = {{ for k in [\"a\"] : k => <<-EOT\n    {{ for x in y : x =>\n    EOT\n  }}\n  zone_name = join(\"\", [for p in [\"core\", \"windows\", \"net\"] : local.parts[p]])\n}}\n{}",
        zone("local.zone_name")
    );
    zone_finding_at_its_line(&text);
}

#[test]
fn duplicate_object_keys_keep_the_last() {
    // Only the last `blob` names a reserved zone: were the first kept,
    // there would be no finding.
    let text = format!(
        "locals {{\n  zones = {{\n    blob  = \"privatelink.blob.core.windows.net\"\n    vault = \"privatelink.vaultcore.azure.net\"\n    blob  = \"core.windows.net\"\n  }}\n  same = {{ a = 1, a = 2 }}\n}}\n{}",
        zone("local.zones[\"blob\"]")
    );
    zone_finding_at_its_line(&text);
}

#[test]
fn what_terraform_refuses_is_still_a_parse_error_at_its_line() {
    // Outside brackets a newline ends the attribute: Terraform refuses `b`,
    // and so does plinth, at `b`'s line, not at the `for` before it.
    let text = "locals {\n  a = { for k in [1] : k => k == 1 ?\n    1 : 2 }\n  b = { c = true &&\n    false }\n}\n";
    let (code, report) = check(text);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["code"], "parse-error", "{report:#}");
    assert_eq!(errors[0]["line"], 4, "{report:#}");
    assert_eq!(code, 2, "{report:#}");
}
