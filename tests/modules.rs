//! Registry and git modules through the real binary: Terraform's module
//! cache (`.terraform/modules/modules.json`, or `TF_DATA_DIR`) is read the
//! way `terraform init` left it, with nested keys; without it the module is
//! unseen and `--show-unknown` says `terraform init` would help; helpers
//! known to declare no resource leave a unit complete; a hostile manifest
//! (a folder outside the checked paths, broken JSON, a stale entry) reads
//! nothing it should not and says so. The cache is built in a tempdir from
//! `fixtures/modules/tf-cache/` (a hidden folder is not committed as is).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/modules/tf-cache")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The fixture's root module in `dir/root`, with the cache under
/// `root/<data>/modules` when `data` is given (`.terraform` as `terraform
/// init` writes it).
fn project(dir: &Path, data: Option<&str>) -> std::path::PathBuf {
    let root = dir.join("root");
    copy_dir(&fixture().join("root"), &root);
    if let Some(data) = data {
        let modules = root.join(data).join("modules");
        copy_dir(&fixture().join("cache"), &modules);
        let manifest = modules.join("modules.json");
        let text = std::fs::read_to_string(&manifest).expect("manifest");
        std::fs::write(
            &manifest,
            text.replace(".terraform/modules", &format!("{data}/modules")),
        )
        .expect("write");
    }
    root
}

/// `plinth check --show-unknown --format json .` in `root`.
fn check(root: &Path, env: &[(&str, &str)]) -> (i32, Value) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(root)
        .env_remove("TF_DATA_DIR")
        .envs(env.iter().copied())
        .args(["check", "--show-unknown", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn rules(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn unseen(report: &Value) -> Vec<(String, u64)> {
    // The key is left out when nothing is unseen.
    report["unseen"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|u| {
                    (
                        u["message"].as_str().unwrap_or_default().to_string(),
                        u["line"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_rule_fires_through_modules_read_from_terraforms_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path(), Some(".terraform"));
    let (code, report) = check(&root, &[]);
    // The zone is made by `pe.dns`, a registry module the `pe` registry
    // module calls; the finding points into the cached file.
    assert_eq!(
        rules(&report),
        [(
            "DNS009".to_string(),
            ".terraform/modules/pe.dns/main.tf".to_string()
        )],
        "{report:#}"
    );
    let finding = &report["findings"][0];
    assert!(
        finding.to_string().contains("module.pe.module.dns."),
        "the address names the calls: {finding:#}"
    );
    assert_eq!(code, 1);
    assert_eq!(unseen(&report), [], "nothing is unseen: {report:#}");
}

#[test]
fn without_the_cache_the_module_is_unseen_and_terraform_init_is_suggested() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path(), None);
    let (code, report) = check(&root, &[]);
    assert_eq!(rules(&report), [], "{report:#}");
    assert_eq!(code, 0);
    let unseen = unseen(&report);
    // Only `pe` (line 42): `naming` declares no resource.
    assert_eq!(unseen.len(), 1, "{unseen:?}");
    assert_eq!(unseen[0].1, 42);
    assert!(unseen[0].0.contains("`terraform init`"), "{unseen:?}");
}

#[test]
fn tf_data_dir_is_read_relative_to_the_root_module() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path(), Some("tfdata"));
    let (_, report) = check(&root, &[("TF_DATA_DIR", "tfdata")]);
    assert_eq!(
        rules(&report),
        [(
            "DNS009".to_string(),
            "tfdata/modules/pe.dns/main.tf".to_string()
        )],
        "{report:#}"
    );
    // Without the variable, `.terraform` is looked at, and holds nothing.
    let (_, report) = check(&root, &[]);
    assert_eq!(rules(&report), [], "{report:#}");
}

/// DNS009's bad case with one more module call, of `source`.
fn zone_without_link_and_a_call(dir: &Path, source: &str) -> std::path::PathBuf {
    let root = dir.join("root");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/DNS009/terraform/bad"),
        &root,
    );
    std::fs::write(
        root.join("helper.tf"),
        format!("module \"helper\" {{\n  source = \"{source}\"\n  suffix = [\"orders\"]\n}}\n"),
    )
    .expect("write");
    root
}

#[test]
fn helpers_known_to_declare_no_resource_leave_the_unit_complete() {
    for source in [
        "Azure/naming/azurerm",
        "registry.terraform.io/Azure/regions/azurerm",
        "Azure/avm-utl-regions/azurerm",
        "cloudposse/label/null",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = zone_without_link_and_a_call(dir.path(), source);
        let (code, report) = check(&root, &[]);
        assert_eq!(
            rules(&report),
            [("DNS009".to_string(), "main.tf".to_string())],
            "{source}: {report:#}"
        );
        assert_eq!(code, 1);
        assert_eq!(unseen(&report), [], "{source}");
    }
}

#[test]
fn the_config_adds_modules_without_resources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = zone_without_link_and_a_call(dir.path(), "contoso/tags/azurerm");
    let (_, report) = check(&root, &[]);
    assert_eq!(rules(&report), [], "unknown module: silent: {report:#}");
    std::fs::write(
        root.join(".plinth.yaml"),
        "terraform:\n  modules_without_resources: [contoso/tags/azurerm]\n",
    )
    .expect("write");
    let (_, report) = check(&root, &[]);
    assert_eq!(
        rules(&report),
        [("DNS009".to_string(), "main.tf".to_string())],
        "{report:#}"
    );
}

#[test]
fn a_manifest_pointing_outside_the_checked_paths_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path(), Some(".terraform"));
    // A committed manifest that names a folder beside the checked one.
    copy_dir(&fixture().join("cache/pe"), &dir.path().join("outside"));
    let manifest = root.join(".terraform/modules/modules.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text.replace(
            "\"Dir\":\".terraform/modules/pe\"",
            "\"Dir\":\"../outside\"",
        ),
    )
    .expect("write");
    let (code, report) = check(&root, &[]);
    assert_eq!(code, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["code"], "path-outside");
    assert_eq!(errors[0]["file"], "main.tf");
    assert_eq!(errors[0]["line"], 43);
    assert_eq!(rules(&report), [], "nothing read from outside: {report:#}");
}

#[test]
fn a_broken_or_stale_manifest_reads_nothing_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = project(dir.path(), Some(".terraform"));
    let manifest = root.join(".terraform/modules/modules.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, "{\"Modules\": [").expect("write");
    let (code, report) = check(&root, &[]);
    assert_eq!(code, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["code"], "parse-error");
    assert_eq!(errors[0]["file"], ".terraform/modules/modules.json");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("module manifest")),
        "{report:#}"
    );
    assert_eq!(unseen(&report).len(), 1, "{report:#}");

    // A registry source changed since `terraform init`: Terraform would
    // refuse to plan, and the old download is not read.
    std::fs::write(
        &manifest,
        text.replace("contoso/private-endpoint", "contoso/old-endpoint"),
    )
    .expect("write");
    let (code, report) = check(&root, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rules(&report), [], "{report:#}");
    assert_eq!(unseen(&report).len(), 1, "{report:#}");
}
