//! Registry modules read from a Bicep module cache, through the real binary.
//! The cache is built here in a temporary folder from
//! `fixtures/modules/bicep-cache/` (never from the network), laid out as
//! `bicep restore` lays it out, and the project calling the module is
//! checked with and without it; hostile caches (a link, broken JSON, the
//! runner's home) are generated here too.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// Where `bicep restore` puts `br/public:avm/res/network/private-endpoint:0.1.0`.
const PE_MODULE: &str = "br/mcr.microsoft.com/bicep$avm$res$network$private-endpoint/0.1.0$";

fn fixture(rest: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/modules/bicep-cache")
        .join(rest)
}

/// A temporary folder holding `project/main.bicep` (copied from the
/// fixture) and an empty `cache/`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("project")).expect("project");
    std::fs::create_dir_all(dir.path().join("cache")).expect("cache");
    std::fs::copy(
        fixture("project/main.bicep"),
        dir.path().join("project/main.bicep"),
    )
    .expect("copy main.bicep");
    dir
}

/// Writes `text` as the cached private-endpoint module of `cache`.
fn restore(cache: &Path, text: &str) -> PathBuf {
    let folder = cache.join(PE_MODULE);
    std::fs::create_dir_all(&folder).expect("module folder");
    let main = folder.join("main.json");
    std::fs::write(&main, text).expect("main.json");
    main
}

fn compiled_module() -> String {
    std::fs::read_to_string(fixture("private-endpoint.json")).expect("fixture module")
}

/// `plinth check --format json project` in `dir`, with `args` before the path.
fn check(dir: &Path, args: &[&str], home: Option<&Path>) -> (i32, Value) {
    let mut command = Command::cargo_bin("plinth").expect("the plinth binary");
    command
        .current_dir(dir)
        .args(["check", "--no-config", "--format", "json"])
        .args(args)
        .arg("project");
    if let Some(home) = home {
        command.env("HOME", home).env("USERPROFILE", home);
    }
    let output = command.output().expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_registry_module_in_the_named_cache_is_read_and_its_endpoint_checked() {
    let dir = workspace();
    let main = restore(&dir.path().join("cache"), &compiled_module());
    let (code, report) = check(dir.path(), &["--bicep-cache", "cache"], None);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules(&report), ["PE004"], "{report:#}");
    let finding = &report["findings"][0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("'privatelink.postgres.azure.com'"),
        "{finding:#}"
    );
    // The finding points into the cached module, where the zone is used.
    let file = finding["file"].as_str().unwrap();
    assert!(
        Path::new(file).ends_with(main.strip_prefix(dir.path()).unwrap()),
        "{file}"
    );
    assert_eq!(report["unseen"].as_array().map_or(0, Vec::len), 0);
}

#[test]
fn the_config_key_names_the_cache_relative_to_the_config() {
    let dir = workspace();
    restore(&dir.path().join("cache"), &compiled_module());
    std::fs::write(dir.path().join("plinth.yaml"), "bicep:\n  cache: cache\n").expect("config");
    let mut command = Command::cargo_bin("plinth").expect("the plinth binary");
    let output = command
        .current_dir(dir.path())
        .args([
            "check",
            "--config",
            "plinth.yaml",
            "--format",
            "json",
            "project",
        ])
        .output()
        .expect("plinth runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(rules(&report), ["PE004"], "{report:#}");
}

#[test]
fn without_a_cache_the_module_is_unseen_and_the_rule_silent() {
    let dir = workspace();
    // Bicep's default cache, ~/.bicep, holds the module: plinth does not
    // read it unless it is named (it lies outside the checked roots).
    let home = dir.path().join("home");
    restore(&home.join(".bicep"), &compiled_module());
    let (code, report) = check(dir.path(), &["--show-unknown"], Some(&home));
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report).is_empty(), "{report:#}");
    let unseen = report["unseen"].as_array().expect("unseen");
    assert_eq!(unseen.len(), 1, "{report:#}");
    assert_eq!(unseen[0]["file"], "project/main.bicep");
    assert_eq!(unseen[0]["line"], 66);
    // The same cache, named, is read: only naming it lets plinth in.
    let (code, report) = check(dir.path(), &["--bicep-cache", "home/.bicep"], Some(&home));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules(&report), ["PE004"], "{report:#}");
}

#[test]
fn a_cache_without_the_module_leaves_it_unseen() {
    let dir = workspace();
    let (code, report) = check(
        dir.path(),
        &["--bicep-cache", "cache", "--show-unknown"],
        None,
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(rules(&report).is_empty(), "{report:#}");
    assert_eq!(report["unseen"].as_array().map_or(0, Vec::len), 1);
}

#[cfg(unix)]
#[test]
fn a_link_in_the_cache_is_refused_with_its_path() {
    let dir = workspace();
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, compiled_module()).expect("target");
    let folder = dir.path().join("cache").join(PE_MODULE);
    std::fs::create_dir_all(&folder).expect("module folder");
    std::os::unix::fs::symlink(&elsewhere, folder.join("main.json")).expect("link");
    let (code, report) = check(dir.path(), &["--bicep-cache", "cache"], None);
    assert_eq!(code, 2, "{report:#}");
    assert!(rules(&report).is_empty(), "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("link") && message.contains("main.json"),
        "{message}"
    );
    assert_eq!(errors[0]["file"], "project/main.bicep");
}

#[test]
fn a_broken_cached_module_is_a_located_error_and_the_run_goes_on() {
    let dir = workspace();
    restore(
        &dir.path().join("cache"),
        "{\n  \"resources\": {\n    oops\n",
    );
    // A second project file is still checked.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PE004/bicep/bad/main.bicep"),
        dir.path().join("project/other.bicep"),
    )
    .expect("copy other");
    let (code, report) = check(dir.path(), &["--bicep-cache", "cache"], None);
    assert_eq!(code, 2, "{report:#}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("invalid cached module JSON"),
        "{report:#}"
    );
    assert!(
        errors[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("0.1.0$/main.json"),
        "{report:#}"
    );
    assert_eq!(errors[0]["line"], 3, "{report:#}");
    let others: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"] == "project/other.bicep")
        .collect();
    assert!(
        !others.is_empty(),
        "the other file is still checked: {report:#}"
    );
}

/// A call to one of AVM's utility modules (`avm/utl/…`), which declare no
/// Azure resource, leaves the unit complete even uncached: DNS009 (a zone
/// with no link: something missing, which an unseen module could supply)
/// still fires; a call to any other uncached registry module silences it.
#[test]
fn an_uncached_utility_module_leaves_the_unit_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    let bad = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/DNS009/bicep/bad/main.bicep"),
    )
    .expect("fixture");
    let call = |source: &str| {
        format!(
            "{bad}\nmodule helper '{source}' = {{\n  name: 'helper'\n  params: {{ location: location }}\n}}\n\nvar shown = helper.outputs.value\n"
        )
    };
    std::fs::write(
        project.join("main.bicep"),
        call("br/public:avm/utl/types/avm-common-types:0.5.1"),
    )
    .expect("write");
    let (_, report) = check(dir.path(), &["--select", "DNS009"], None);
    assert_eq!(rules(&report), ["DNS009"], "{report:#}");

    std::fs::write(
        project.join("main.bicep"),
        call("br/public:avm/res/network/private-dns-zone:0.7.0"),
    )
    .expect("write");
    let (_, report) = check(dir.path(), &["--select", "DNS009"], None);
    assert!(rules(&report).is_empty(), "{report:#}");
}
