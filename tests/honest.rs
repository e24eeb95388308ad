//! Honest runs, through the real binary: the config that applies to each
//! unit is the nearest one, a broken config applies nothing and says every
//! mistake at once, suppressions say what is wrong with them, the baseline
//! says what it did, and a file read by several units is counted and
//! reported once. Every input is generated here into a tempdir.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(case: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(case);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// `plinth check ARGS` in `dir`: exit code, stdout.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// `plinth check --format json ARGS` in `dir`.
fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout) = run(dir, &all);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (code, report)
}

fn list<'a>(report: &'a Value, key: &str) -> Vec<&'a Value> {
    report[key].as_array().expect(key).iter().collect()
}

/// The findings of `rule`, as `file:line`.
fn places(report: &Value, rule: &str) -> Vec<String> {
    list(report, "findings")
        .into_iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| format!("{}:{}", f["file"].as_str().unwrap(), f["line"]))
        .collect()
}

fn errors_with_code<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    list(report, "errors")
        .into_iter()
        .filter(|e| e["code"] == code)
        .collect()
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect(needle) + 1
}

const PG001_TF: &str = "fixtures/PG001/terraform/bad/main.tf";
const PE004_BICEP: &str = "fixtures/PE004/bicep/bad/main.bicep";

#[test]
fn each_checked_path_takes_its_nearest_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(&root.join("tf/main.tf"), &fixture(PG001_TF));
    write(&root.join("cfg/tf/main.tf"), &fixture(PG001_TF));
    write(
        &root.join("cfg/.plinth.yaml"),
        "rules:\n  disable: [PG001]\n",
    );

    // Alone, cfg/tf is checked with cfg/.plinth.yaml …
    let (_, alone) = json(root, &["--select", "PG", "cfg/tf"]);
    assert!(places(&alone, "PG001").is_empty(), "{alone:#}");
    // … and beside another path, too; tf (no config) is checked with the defaults.
    let (code, both) = json(root, &["--select", "PG", "tf", "cfg/tf"]);
    assert_eq!(places(&both, "PG001"), ["tf/main.tf:101"], "{both:#}");
    assert_eq!(code, 1);
    // A config deeper than the checked folder governs the units below it.
    let (_, from_root) = json(root, &["--select", "PG", "."]);
    assert_eq!(
        places(&from_root, "PG001"),
        ["tf/main.tf:101"],
        "{from_root:#}"
    );
}

#[test]
fn a_broken_config_reports_every_mistake_at_once_and_applies_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(&root.join("main.tf"), &fixture(PG001_TF));
    let config = "fial_on: never\nrules:\n  disable: [PG001]\n  severty: {PG002: info}\n  select: [PG0001]\nlimits:\n  max_copy: 3\n  max_nesting: 100000\n";
    write(&root.join(".plinth.yaml"), config);

    let (code, report) = json(root, &["--select", "PG", "."]);
    assert_eq!(code, 2, "{report:#}");
    let errors = errors_with_code(&report, "config-error");
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    // fial_on, severty, PG0001, max_copy, max_nesting: five mistakes, one run.
    assert_eq!(lines, [1, 4, 5, 7, 8], "{report:#}");
    assert!(
        errors[0]["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `fail_on`"),
        "{report:#}"
    );
    // The valid `disable: [PG001]` beside the mistakes does not apply.
    assert_eq!(places(&report, "PG001"), ["main.tf:101"], "{report:#}");
}

#[test]
fn a_config_with_only_an_unknown_rule_id_applies_nothing_either() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(&root.join("main.tf"), &fixture(PG001_TF));
    write(
        &root.join(".plinth.yaml"),
        "rules:\n  disable: [PG001]\n  severity: {PE0004: error}\n",
    );
    let (code, report) = json(root, &["--select", "PG", "."]);
    assert_eq!(code, 2);
    let errors = errors_with_code(&report, "config-error");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert!(errors[0]["message"].as_str().unwrap().contains("PE0004"));
    assert_eq!(places(&report, "PG001"), ["main.tf:101"], "{report:#}");
}

/// main.tf of the PG001 case with `comment` on a line of its own above the
/// finding's line; returns the text and the finding's line after the insert.
fn with_comment_above_pg001(comment: &str) -> (String, usize) {
    let text = fixture(PG001_TF);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(100, comment);
    (lines.join("\n") + "\n", 102)
}

#[test]
fn a_suppression_date_that_is_no_date_is_a_located_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (text, finding) =
        with_comment_above_pg001("    # plinth:ignore PG001 migrating, see NET-7 until=2026-13-45");
    write(&root.join("main.tf"), &text);
    let (code, report) = json(root, &["--select", "PG,SUP", "."]);
    assert_eq!(code, 2, "{report:#}");
    let errors = errors_with_code(&report, "suppression-error");
    assert_eq!(errors.len(), 1, "{report:#}");
    let error = errors[0];
    assert_eq!(error["file"], "main.tf");
    assert_eq!(error["line"], 101);
    let column = text.lines().nth(100).unwrap().find("2026-13-45").unwrap() + 1;
    assert_eq!(error["column"], column);
    assert!(
        error["message"].as_str().unwrap().contains("no month 13"),
        "{error:#}"
    );
    // Not "expired on 0000-01-01", and it does not apply.
    assert!(!report.to_string().contains("0000-01-01"));
    assert_eq!(places(&report, "PG001"), [format!("main.tf:{finding}")]);
    // Nor does 29 February of a year that has none.
    let (text, _) =
        with_comment_above_pg001("    # plinth:ignore PG001 migrating until=2027-02-29");
    write(&root.join("main.tf"), &text);
    let (code, report) = json(root, &["--select", "PG,SUP", "."]);
    assert_eq!(code, 2);
    let errors = errors_with_code(&report, "suppression-error");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("no day 29"),
        "{report:#}"
    );
}

#[test]
fn a_misspelled_rule_id_in_a_suppression_says_which_rule_was_meant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (text, _) = with_comment_above_pg001("    # plinth:ignore PG0001 migrating, see NET-7");
    write(&root.join("main.tf"), &text);
    let (_, report) = json(root, &["--select", "PG,SUP", "."]);
    let unused: Vec<&Value> = list(&report, "findings")
        .into_iter()
        .filter(|f| f["rule"] == "SUP002")
        .collect();
    assert_eq!(unused.len(), 1, "{report:#}");
    let message = unused[0]["message"].as_str().unwrap();
    assert!(
        message.contains("unknown rule `PG0001`") && message.contains("did you mean PG001"),
        "{message}"
    );
}

#[test]
fn require_reason_makes_a_suppression_without_one_an_error_that_does_not_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (text, finding) = with_comment_above_pg001("    # plinth:ignore PG001");
    write(&root.join("main.tf"), &text);
    // Without the setting, it applies (and SUP001 is info).
    let (_, report) = json(root, &["--select", "PG,SUP", "."]);
    assert!(places(&report, "PG001").is_empty(), "{report:#}");
    write(
        &root.join(".plinth.yaml"),
        "suppressions:\n  require_reason: true\n",
    );
    let (code, report) = json(root, &["--select", "PG,SUP", "."]);
    assert_eq!(code, 1);
    assert_eq!(places(&report, "PG001"), [format!("main.tf:{finding}")]);
    let sup: Vec<&Value> = list(&report, "findings")
        .into_iter()
        .filter(|f| f["rule"] == "SUP001")
        .collect();
    assert_eq!(sup.len(), 1, "{report:#}");
    assert_eq!(sup[0]["severity"], "error");
    assert!(sup[0]["message"].as_str().unwrap().contains("requires"));
}

#[test]
fn a_suppression_above_a_nested_bicep_child_resource_covers_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    // The PE004 case with its zone group declared inside the private
    // endpoint, as a child resource, under a suppression.
    let text = fixture(PE004_BICEP);
    let group_at = text
        .find("resource privateDnsZoneGroup")
        .expect("zone group");
    let before = text[..group_at].trim_end();
    let endpoint_end = before.rfind('}').expect("endpoint's closing brace");
    let child = "
  // plinth:ignore PE004 the hub team owns this zone, see NET-42
  resource zoneGroup 'privateDnsZoneGroups@2024-05-01' = {
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: 'postgres'
          properties: {
            privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneName)
          }
        }
      ]
    }
  }
";
    let nested = format!("{}{child}}}\n", &before[..endpoint_end]);
    write(&root.join("main.bicep"), &nested);
    let (code, report) = json(root, &["--select", "PE,SUP", "main.bicep"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(list(&report, "findings").is_empty(), "{report:#}");

    // Without the comment the finding is there, inside the child.
    let bare = nested.replace(
        "// plinth:ignore PE004 the hub team owns this zone, see NET-42",
        "",
    );
    write(&root.join("main.bicep"), &bare);
    let (_, report) = json(root, &["--select", "PE,SUP", "main.bicep"]);
    let line = line_of(&bare, "privateDnsZoneId:");
    assert_eq!(places(&report, "PE004"), [format!("main.bicep:{line}")]);
}

#[test]
fn the_baseline_says_what_it_left_out_and_what_matched_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(&root.join("repo/infra/main.tf"), &fixture(PG001_TF));
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join("ci")).expect("mkdir");
    let (code, _) = run(
        &repo,
        &[
            "--select",
            "PG001",
            "--write-baseline",
            "ci/baseline.json",
            "infra",
        ],
    );
    assert_eq!(code, 1, "writing a baseline still reports");

    // From the same folder: one finding left out, said in the summary.
    let (code, human) = run(
        &repo,
        &[
            "--select",
            "PG001",
            "--baseline",
            "ci/baseline.json",
            "infra",
        ],
    );
    assert_eq!(code, 0, "{human}");
    assert!(
        human.contains("1 finding left out by the baseline"),
        "{human}"
    );
    // From another folder, the paths spelled differently: it still matches.
    let (code, compact) = run(
        &repo.join("infra"),
        &[
            "--select",
            "PG001",
            "--format",
            "compact",
            "--baseline",
            "../ci/baseline.json",
            ".",
        ],
    );
    assert_eq!(code, 0, "{compact}");
    assert!(
        compact.contains("note[baseline] 1 finding left out by the baseline"),
        "{compact}"
    );

    // An entry that matches nothing is counted, not silent.
    let text = std::fs::read_to_string(repo.join("ci/baseline.json")).expect("read");
    let mut baseline: Value = serde_json::from_str(&text).expect("json");
    baseline["findings"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "fingerprint": "0000000000000000",
            "rule": "PG001",
            "file": "gone.tf",
            "message": "fixed since"
        }));
    write(&repo.join("ci/baseline.json"), &baseline.to_string());
    let (code, human) = run(
        &repo,
        &[
            "--select",
            "PG001",
            "--baseline",
            "ci/baseline.json",
            "infra",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        human.contains("1 finding left out by the baseline, 1 of its entries matched nothing"),
        "{human}"
    );
    let (_, report) = json(
        &repo,
        &[
            "--select",
            "PG001",
            "--baseline",
            "ci/baseline.json",
            "infra",
        ],
    );
    assert_eq!(report["summary"]["baselined"], 1);
    assert_eq!(report["summary"]["baseline_stale"], 1);
}

#[test]
fn a_version_1_baseline_is_still_matched_from_the_folder_that_wrote_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(&root.join("infra/main.tf"), &fixture(PG001_TF));
    let (_, report) = json(root, &["--select", "PG001", "infra"]);
    let finding = &report["findings"][0];
    let old = serde_json::json!({
        "version": 1,
        "findings": [{
            "fingerprint": finding["fingerprint"],
            "rule": "PG001",
            "file": finding["file"],
            "message": finding["message"],
        }]
    });
    write(&root.join("old-baseline.json"), &old.to_string());
    let (code, report) = json(
        root,
        &[
            "--select",
            "PG001",
            "--baseline",
            "old-baseline.json",
            "infra",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["baselined"], 1);
}

#[test]
fn a_file_read_by_several_units_is_reported_and_counted_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    // One local module with a parse error, called by twelve root modules.
    write(
        &root.join("modules/db/main.tf"),
        "resource \"azurerm_resource_group\" \"x\" {\n  name     = \"x\"\n  location = \n}\n",
    );
    for i in 0..12 {
        write(
            &root.join(format!("envs/e{i:02}/main.tf")),
            "module \"db\" {\n  source = \"../../modules/db\"\n}\n",
        );
    }
    let (code, report) = json(root, &["."]);
    assert_eq!(code, 2);
    let parse_errors = errors_with_code(&report, "parse-error");
    assert_eq!(parse_errors.len(), 1, "{report:#}");
    assert_eq!(parse_errors[0]["file"], "modules/db/main.tf");
    assert_eq!(parse_errors[0]["line"], 3);
    assert_eq!(report["summary"]["errors"], 1);
    // Thirteen distinct files, however many units read the module's.
    assert_eq!(report["summary"]["files"], 13, "{report:#}");
}

/// Issue #18: `--show-unknown` says, per private endpoint, which link of its
/// chain stops at something not known, and what would decide it.
#[test]
fn show_unknown_says_where_an_endpoint_chain_stops_and_what_decides_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = |case: &str, show: bool| -> Vec<String> {
        let mut args = vec!["--no-config"];
        if show {
            args.push("--show-unknown");
        }
        let path = root.join("fixtures").join(case);
        let path = path.to_string_lossy().into_owned();
        args.push(&path);
        let (_, report) = json(root, &args);
        report["unseen"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| u["message"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let terraform = notes("PE003/terraform/unknown-path-id", true);
    assert!(
        terraform
            .iter()
            .any(|m| m.contains("its target is not known")
                && m.contains("`--var target_id=…` or `--var-file` decides it")),
        "{terraform:?}"
    );
    let arm = notes("PE004/arm/unknown-symbolic-names", true);
    assert!(
        arm.iter()
            .any(|m| m.contains("no DNS zone group is tied to it")
                && m.contains("parameter `endpointName` has no value")),
        "{arm:?}"
    );
    // A target whose type the id names decides the type rules; what stays
    // unknown is its name, and so its settings.
    let typed = notes("PE003/terraform/bad-path-id", true);
    assert!(
        typed.len() == 1
            && typed[0]
                .contains("its target is a Microsoft.KeyVault/vaults whose name is not known"),
        "{typed:?}"
    );
    // A chain that is whole says nothing; without the flag, nothing either.
    assert_eq!(
        notes("PE004/arm/bad-symbolic-names", true),
        Vec::<String>::new()
    );
    assert_eq!(
        notes("PE003/terraform/unknown-path-id", false),
        Vec::<String>::new()
    );
}
