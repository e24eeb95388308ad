//! Quiet by default, honest about what a run checked, right in every message
//! (issue 21): the opt-in hygiene rules, the human format's severity words and
//! display filter, runs that check nothing, the hook, and messages that were
//! wrong. Every input is written by the test into a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn plinth() -> Command {
    let mut cmd = Command::cargo_bin("plinth").expect("the plinth binary");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = plinth().args(args).output().expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}\nstderr: {stderr}"));
    (code, report)
}

fn rules_fired(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule").to_string())
        .collect()
}

fn error_codes(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].as_str().expect("code").to_string())
        .collect()
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A Terraform module with one PostgreSQL server, written with Azure's
/// defaults for everything but `server_settings`: no private endpoint, no
/// firewall rule, no Entra authentication.
fn server_module(dir: &Path, server_settings: &str) -> PathBuf {
    let module = format!(
        r#"terraform {{
  required_providers {{
    azurerm = {{
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }}
  }}
}}

resource "azurerm_resource_group" "rg" {{
  name     = "rg-app"
  location = "westeurope"
}}

resource "azurerm_postgresql_flexible_server" "db" {{
  name                   = "psql-app"
  resource_group_name    = azurerm_resource_group.rg.name
  location               = azurerm_resource_group.rg.location
  version                = "16"
  sku_name               = "B_Standard_B1ms"
  administrator_login    = "pgadmin"
  administrator_password = "not-a-secret"
{server_settings}
}}
"#
    );
    std::fs::write(dir.join("main.tf"), module).expect("write");
    dir.to_path_buf()
}

#[test]
fn hygiene_rules_are_off_by_default_and_one_selector_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = text(&server_module(dir.path(), ""));
    // A server without Entra authentication: PGH003, a warning, used to fail
    // the build by default.
    let (code, report) = json(&[&module]);
    let fired = rules_fired(&report);
    assert!(!fired.iter().any(|r| r.starts_with("PGH")), "{fired:?}");
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(code, i32::from(!fired.is_empty()), "{report:#}");

    let (code, report) = json(&[&module, "--extend-select", "PGH"]);
    assert_eq!(code, 1);
    assert!(rules_fired(&report).contains(&"PGH003".to_string()));
    // The default set stays on beside it.
    assert_eq!(
        rules_fired(&report)
            .iter()
            .filter(|r| !r.starts_with("PGH"))
            .collect::<Vec<_>>(),
        fired.iter().collect::<Vec<_>>()
    );

    std::fs::write(
        dir.path().join(".plinth.yaml"),
        "rules:\n  extend_select: [PGH003]\n",
    )
    .expect("write");
    let (_, report) = json(&[&module]);
    assert!(rules_fired(&report).contains(&"PGH003".to_string()));
    let (_, report) = json(&[&module, "--select", "ALL"]);
    assert!(rules_fired(&report).contains(&"PGH003".to_string()));

    // `plinth rules` says which rules are on by default, and how to turn the others on.
    let (code, rules, _) = run(&["rules"]);
    assert_eq!(code, 0);
    let line = |id: &str| {
        rules
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} missing:\n{rules}"))
            .to_string()
    };
    assert!(line("PGH003").contains(" off "), "{rules}");
    assert!(line("PE004").contains(" on "), "{rules}");
    assert!(rules.contains("--extend-select PGH"), "{rules}");
    let (_, listed, _) = run(&["rules", "--format", "json"]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    let default_of = |id: &str| {
        listed
            .as_array()
            .expect("list")
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["default"].clone())
    };
    assert_eq!(default_of("PGH003"), Some(Value::Bool(false)));
    assert_eq!(default_of("PG001"), Some(Value::Bool(true)));
}

#[test]
fn human_headers_name_the_severity_and_info_has_its_own_mark() {
    let (code, out, _) = run(&["check", "fixtures/demo", "--severity", "PE004=info"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("warning[PE006] (private-endpoint-zone-not-linked)"),
        "{out}"
    );
    assert!(
        out.contains("error[PG001] (private-endpoint-on-vnet-integrated-server)"),
        "{out}"
    );
    assert!(
        out.contains("info[PE004] (private-endpoint-zone-name)"),
        "{out}"
    );
    // The info finding's mark is not the related locations' "Advice" mark.
    let info = &out[out.find("info[PE004]").expect("the info finding")..];
    let info = &info[..info.find("\n\nerror[").unwrap_or(info.len())];
    assert!(
        info.contains("\n  ℹ private endpoint 'pe-psql-shop'"),
        "{info}"
    );
    assert!(
        info.contains("Advice: \n  ☞ the zone is declared here"),
        "{info}"
    );
    assert!(!info.contains("☞ private endpoint"), "{info}");
    assert!(
        out.ends_with(
            "plinth: 6 findings (2 errors, 3 warnings, 1 info) in 8 files, 42 resources.\n"
        ),
        "{out}"
    );
}

#[test]
fn min_severity_hides_findings_but_not_from_the_exit_code() {
    let (code, out, _) = run(&["check", "fixtures/demo", "--min-severity", "error"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[PE004]"), "{out}");
    assert!(!out.contains("warning["), "{out}");
    assert!(
        out.contains("plinth: 6 findings (3 errors, 3 warnings) in 8 files, 42 resources; 3 findings below --min-severity not shown.\n"),
        "{out}"
    );
    // Warnings only, all hidden: still a failing run at the default fail_on.
    let (code, out, _) = run(&[
        "check",
        "fixtures/demo",
        "--select",
        "PE006",
        "--min-severity",
        "error",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("PE006"), "{out}");
    // The machine formats carry every finding.
    let (_, report) = json(&["fixtures/demo", "--min-severity", "error"]);
    assert_eq!(rules_fired(&report).len(), 6);
}

#[test]
fn a_run_with_nothing_to_check_fails_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    let no_iac = dir.path().join("app");
    std::fs::create_dir_all(&empty).expect("mkdir");
    std::fs::create_dir_all(&no_iac).expect("mkdir");
    std::fs::write(no_iac.join("package.json"), r#"{"name": "app"}"#).expect("write");
    std::fs::write(no_iac.join("README.md"), "# app\n").expect("write");
    for folder in [&empty, &no_iac] {
        let (code, out, _) = run(&["check", &text(folder)]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("nothing-to-check"), "{out}");
        assert!(
            out.contains(&format!(
                "{}: nothing to check: no ARM template, Bicep file or Terraform module found",
                text(folder)
            )),
            "{out}"
        );
        let (code, out, _) = run(&["check", "--allow-empty", &text(folder)]);
        assert_eq!(code, 0, "{out}");
    }
}

#[test]
fn a_named_file_plinth_does_not_read_is_an_error_saying_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let package = dir.path().join("package.json");
    let readme = dir.path().join("README.md");
    std::fs::write(&package, r#"{"name": "app", "version": "1.0.0"}"#).expect("write");
    std::fs::write(&readme, "# app\n").expect("write");
    let (code, report) = json(&[&text(&package)]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(error_codes(&report), ["not-a-template"]);
    assert_eq!(report["errors"][0]["file"], text(&package).as_str());
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("not an ARM template"),
        "{report:#}"
    );
    let (code, report) = json(&[&text(&readme)]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(error_codes(&report), ["not-a-template"]);
    assert_eq!(report["errors"][0]["file"], text(&readme).as_str());
}

#[test]
fn an_exported_deployment_is_read_as_its_template() {
    let template =
        std::fs::read_to_string("fixtures/PG001/arm/bad/main.json").expect("the fixture");
    let (_, plain) = json(&["fixtures/PG001/arm/bad"]);
    let line = plain["findings"][0]["line"].as_i64().expect("line");
    let dir = tempfile::tempdir().expect("tempdir");
    let exported = dir.path().join("deployment.json");
    std::fs::write(
        &exported,
        format!("{{\n  \"properties\": {{\n    \"template\": {template}\n  }}\n}}\n"),
    )
    .expect("write");
    let (code, report) = json(&[&text(&exported)]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PG001"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["file"], text(&exported).as_str());
    // Two lines of wrapping above the template: the span moves with them.
    assert_eq!(finding["line"].as_i64(), Some(line + 2), "{report:#}");
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn the_pre_commit_hook_passes_on_a_commit_of_other_json_only() {
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml");
    let field = |name: &str| {
        hooks
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no `{name}:` in the hook"))
            .to_string()
    };
    // pre-commit passes package.json to the hook: its `files` pattern admits every `.json`.
    let files = regex_lite_json(&field("files"));
    assert!(files, "the hook's files pattern no longer admits .json");
    let entry = field("entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("plinth"));
    let args: Vec<&str> = words.collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let package = dir.path().join("package.json");
    std::fs::write(&package, r#"{"name": "app"}"#).expect("write");
    let template = dir.path().join("main.json");
    std::fs::copy("fixtures/PG001/arm/bad/main.json", &template).expect("copy");

    let hook = |files: &[&Path]| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(files.iter().map(|f| text(f)));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run(&all)
    };
    let (code, out, _) = hook(&[&package]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = hook(&[&package, &template]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[PG001]"), "{out}");
    assert!(!out.contains("not-a-template"), "{out}");
}

/// Whether the hook's `files:` regex, `\.(tf|…|json|…)$`, lists `json`.
fn regex_lite_json(pattern: &str) -> bool {
    pattern
        .trim_start_matches("\\.(")
        .trim_end_matches(")$")
        .split('|')
        .any(|ext| ext == "json")
}

#[test]
fn pgh007_is_silent_on_a_server_nothing_can_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = text(&server_module(
        dir.path(),
        "  public_network_access_enabled = false",
    ));
    let (_, report) = json(&[&module, "--select", "PGH007,PG026"]);
    assert_eq!(rules_fired(&report), ["PG026"], "{report:#}");
    // With public access on, it still says the server is reached publicly only.
    let module = text(&server_module(
        dir.path(),
        "  public_network_access_enabled = true",
    ));
    let (_, report) = json(&[&module, "--select", "PGH007"]);
    assert_eq!(rules_fired(&report), ["PGH007"], "{report:#}");
}

#[test]
fn pe004_help_names_the_services_own_zone() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "azurerm_resource_group" "rg" {
  name     = "rg-app"
  location = "westeurope"
}

resource "azurerm_virtual_network" "vnet" {
  name                = "vnet-app"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  address_space       = ["10.1.0.0/16"]
}

resource "azurerm_subnet" "pe" {
  name                 = "snet-pe"
  resource_group_name  = azurerm_resource_group.rg.name
  virtual_network_name = azurerm_virtual_network.vnet.name
  address_prefixes     = ["10.1.1.0/24"]
}

resource "azurerm_storage_account" "data" {
  name                     = "stappdata"
  resource_group_name      = azurerm_resource_group.rg.name
  location                 = azurerm_resource_group.rg.location
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_private_dns_zone" "blob" {
  name                = "privatelink.blob.core.windows.com"
  resource_group_name = azurerm_resource_group.rg.name
}

resource "azurerm_private_dns_zone_virtual_network_link" "blob" {
  name                  = "link-vnet-app"
  resource_group_name   = azurerm_resource_group.rg.name
  private_dns_zone_name = azurerm_private_dns_zone.blob.name
  virtual_network_id    = azurerm_virtual_network.vnet.id
}

resource "azurerm_private_endpoint" "blob" {
  name                = "pe-stappdata-blob"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.pe.id

  private_service_connection {
    name                           = "psc-blob"
    private_connection_resource_id = azurerm_storage_account.data.id
    subresource_names              = ["blob"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.blob.id]
  }
}
"#,
    )
    .expect("write");
    let (_, report) = json(&[&text(dir.path()), "--select", "PE004"]);
    assert_eq!(rules_fired(&report), ["PE004"], "{report:#}");
    let help = report["findings"][0]["help"].as_str().expect("help");
    assert!(help.contains("privatelink.blob.core.windows.net"), "{help}");
    assert!(!help.contains("postgres"), "{help}");
}

#[test]
fn explain_accepts_its_own_example_and_suggests_the_nearest_rule() {
    let (code, help, _) = run(&["explain", "--help"]);
    assert_eq!(code, 0);
    // "A rule id (PG001) or name (some-name)": both examples are accepted.
    for example in help
        .split('(')
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .filter(|s| !s.contains(' '))
    {
        let (code, _, stderr) = run(&["explain", example]);
        assert_eq!(code, 0, "`explain {example}`, from --help: {stderr}");
    }
    let (code, _, stderr) = run(&["explain", "PG020"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean"), "{stderr}");
    assert!(!stderr.contains("DNS009"), "lists every id: {stderr}");
}

#[test]
fn plinth_rules_lists_the_rules_about_suppressions() {
    // They are reported, in SARIF and JUnit too, and `explain` accepts them.
    let (_, rules, _) = run(&["rules"]);
    for id in ["SUP001", "SUP002", "SUP003", "SUP004"] {
        assert!(rules.lines().any(|l| l.starts_with(id)), "{id}:\n{rules}");
        let (code, _, stderr) = run(&["explain", id]);
        assert_eq!(code, 0, "{id}: {stderr}");
    }
}

/// A finding about a resource whose name is not known shows the name as it
/// is written — the ARM expression, the Terraform template — never `?`.
#[test]
fn a_resource_whose_name_is_unknown_is_named_by_its_expression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001");
    let arm = std::fs::read_to_string(root.join("arm/bad/main.json"))
        .expect("arm")
        .replacen(
            "\"parameters\": {",
            "\"parameters\": {\n    \"peName\": { \"type\": \"string\" },",
            1,
        )
        .replace(
            "\"name\": \"[variables('privateEndpointName')]\"",
            "\"name\": \"[parameters('peName')]\"",
        );
    std::fs::create_dir_all(dir.path().join("arm")).expect("mkdir");
    std::fs::write(dir.path().join("arm/main.json"), arm).expect("write");
    let tf = std::fs::read_to_string(root.join("terraform/bad/main.tf"))
        .expect("tf")
        .replace(
            "name                = \"pe-psql-orders-prod\"",
            "name                = \"pe-${var.env}\"",
        )
        + "\nvariable \"env\" {\n  type = string\n}\n";
    std::fs::create_dir_all(dir.path().join("tf")).expect("mkdir");
    std::fs::write(dir.path().join("tf/main.tf"), tf).expect("write");

    let output = Command::cargo_bin("plinth")
        .expect("binary")
        .current_dir(dir.path())
        .args([
            "check", "--select", "PG001", "--format", "json", "arm", "tf",
        ])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    let about = |file: &str| {
        findings
            .iter()
            .find(|f| {
                f["rule"] == "PG001" && f["file"].as_str().is_some_and(|p| p.starts_with(file))
            })
            .unwrap_or_else(|| panic!("PG001 in {file}: {report:#}"))
    };
    let arm = about("arm/");
    assert!(
        arm["message"]
            .as_str()
            .expect("message")
            .contains("private endpoint '[parameters('peName')]'"),
        "{arm:#}"
    );
    assert_eq!(arm["resource"]["name"], "[parameters('peName')]", "{arm:#}");
    let tf = about("tf/");
    assert!(
        tf["message"]
            .as_str()
            .expect("message")
            .contains("private endpoint 'pe-${var.env}'"),
        "{tf:#}"
    );
    assert!(!output.stdout.windows(3).any(|w| w == b"'?'"), "{report:#}");
}
