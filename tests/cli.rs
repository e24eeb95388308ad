//! The command line as users meet it: arguments, exit codes, output formats,
//! and bad input that must be reported, never crash the run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

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
    let mut args = args.to_vec();
    // These tests are about the command line, not about server settings: the
    // PostgreSQL hygiene rules (PGH), which judge every server's settings,
    // are left out unless a test selects rules itself.
    if args.first() == Some(&"check")
        && !args
            .iter()
            .any(|a| ["--select", "--ignore", "--severity"].contains(a))
    {
        args.extend(["--ignore", "PGH"]);
    }
    let output = plinth().args(&args).output().expect("plinth runs");
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

/// Copies a fixture case into a fresh folder so a test can add broken files beside it.
fn copy_case(case: &str, into: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(case);
    for entry in std::fs::read_dir(from).expect("fixture case").flatten() {
        std::fs::copy(entry.path(), into.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn json_output_follows_the_contract() {
    let (code, report) = json(&["fixtures/PG001/arm/bad"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["version"], 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "PG001");
    assert_eq!(
        finding["name"],
        "private-endpoint-on-vnet-integrated-server"
    );
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["file"], "fixtures/PG001/arm/bad/main.json");
    for key in ["line", "column", "end_line", "end_column"] {
        assert!(
            finding[key].as_u64().is_some_and(|n| n >= 1),
            "{key}: {finding:#}"
        );
    }
    assert!(finding["end_line"].as_u64() >= finding["line"].as_u64());
    assert_eq!(
        finding["resource"]["type"],
        "Microsoft.Network/privateEndpoints"
    );
    assert!(
        finding["resource"]["address"]
            .as_str()
            .is_some_and(|a| !a.is_empty())
    );
    assert!(
        finding["fingerprint"]
            .as_str()
            .is_some_and(|f| f.len() == 16)
    );
    assert!(
        finding["related"].as_array().is_some_and(|r| !r.is_empty()),
        "{finding:#}"
    );
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["summary"]["by_severity"]["error"], 1);
}

#[test]
fn human_output_shows_the_rule_the_snippet_and_a_summary() {
    let (code, stdout, _) = run(&["check", "fixtures/PG001/terraform/bad"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("PG001"), "{stdout}");
    assert!(
        stdout.contains("fixtures/PG001/terraform/bad/main.tf:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("private_connection_resource_id = azurerm_postgresql_flexible_server"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with('.'), "{stdout}");
    assert!(stdout.contains("plinth: 1 finding (1 error)"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "NO_COLOR output has escapes: {stdout}"
    );
}

#[test]
fn compact_output_is_one_line_per_finding() {
    let (code, stdout, _) = run(&["check", "--format", "compact", "fixtures/PG001/arm/bad"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let re = regex::Regex::new(r"^fixtures/PG001/arm/bad/main\.json:\d+:\d+: error\[PG001\] \S")
        .expect("regex");
    assert!(re.is_match(lines[0]), "{stdout}");
}

#[test]
fn fail_on_sets_the_exit_code() {
    // PE002 is a warning.
    let case = "fixtures/PE002/arm/bad";
    assert_eq!(run(&["check", case]).0, 1);
    assert_eq!(run(&["check", "--fail-on", "warning", case]).0, 1);
    assert_eq!(run(&["check", "--fail-on", "error", case]).0, 0);
    assert_eq!(run(&["check", "--fail-on", "never", case]).0, 0);
    assert_eq!(
        run(&["check", "--fail-on", "never", "fixtures/PG001/arm/bad"]).0,
        0
    );
    assert_eq!(run(&["check", "fixtures/PG001/arm/good"]).0, 0);
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(run(&["check", "--bogus"]).0, 2);
    assert_eq!(run(&["check", "--format", "xml", "."]).0, 2);
    assert_eq!(run(&["frobnicate"]).0, 2);
    let (code, stdout, _) = run(&["check", "--exclude", "a[", "fixtures/PG001/arm/good"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("usage-error") && stdout.contains("`a[`"),
        "{stdout}"
    );
}

#[test]
fn a_missing_path_is_a_run_error_and_the_other_paths_still_run() {
    let (code, report) = json(&["no/such/dir", "fixtures/PG001/arm/bad"]);
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0]["code"], "io-error");
    assert_eq!(report["errors"][0]["file"], "no/such/dir");
    assert_eq!(rules_fired(&report), ["PG001"]);
}

#[test]
fn invalid_json_template_is_reported_with_line_and_column_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case("fixtures/PG001/arm/bad", dir.path());
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [ { \"type\": }\n}\n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 2, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["code"], "parse-error");
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("broken.json"))
    );
    assert_eq!(error["line"], 3, "{error:#}");
    assert!(error["column"].as_u64().is_some_and(|c| c > 1));
    assert_eq!(rules_fired(&report), ["PG001"]);
}

#[test]
fn invalid_hcl_is_reported_with_line_and_column_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module = dir.path().join("module");
    let broken = dir.path().join("broken");
    std::fs::create_dir_all(&module).expect("mkdir");
    std::fs::create_dir_all(&broken).expect("mkdir");
    copy_case("fixtures/PG001/terraform/bad", &module);
    std::fs::write(
        broken.join("main.tf"),
        "resource \"azurerm_subnet\" \"x\" {\n  name = \n}\n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 2, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["code"], "parse-error");
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("main.tf"))
    );
    assert!(
        error["line"].as_u64().is_some_and(|l| (2..=3).contains(&l)),
        "{error:#}"
    );
    assert_eq!(rules_fired(&report), ["PG001"]);
}

#[test]
fn other_json_is_skipped_in_a_folder_and_an_error_when_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}").expect("write");
    std::fs::write(dir.path().join("notes.json"), "not json at all").expect("write");
    copy_case("fixtures/PG001/arm/good", dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report["summary"].get("parameter_files").is_none(),
        "{report:#}"
    );
    assert_eq!(report["errors"], serde_json::json!([]));

    // Named, each is an error saying it is not a template: the user asked
    // for it to be checked. `--allow-empty` (the pre-commit hook's, which
    // gets every changed `.json`) skips them as a folder walk does.
    let named = dir
        .path()
        .join("package.json")
        .to_string_lossy()
        .into_owned();
    let broken = dir.path().join("notes.json").to_string_lossy().into_owned();
    let (code, report) = json(&[&named, &broken]);
    assert_eq!(code, 2, "{report:#}");
    let codes: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes, ["not-a-template", "not-a-template"]);
    let (code, report) = json(&["--allow-empty", &named, &broken]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["summary"]["files"], 0);
}

#[test]
fn named_files_report_only_their_own_findings() {
    // PE006's split case has the finding in one file of the module: naming
    // another file of the module loads the whole module but reports nothing.
    let (_, all) = json(&["fixtures/PE006/terraform/bad-split"]);
    let file = all["findings"][0]["file"]
        .as_str()
        .expect("a finding")
        .to_string();
    let (code, named) = json(&[&file]);
    assert_eq!(code, 1);
    assert_eq!(rules_fired(&named), ["PE006"]);
    let other = [
        "main.tf",
        "network.tf",
        "dns.tf",
        "database.tf",
        "variables.tf",
    ]
    .iter()
    .map(|f| format!("fixtures/PE006/terraform/bad-split/{f}"))
    .find(|f| *f != file)
    .expect("another file");
    let (code, report) = json(&[&other]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rules_fired(&report), Vec::<String>::new());
    assert!(report["summary"]["resources"].as_u64() > Some(0));
}

#[test]
fn gitignore_and_exclude_skip_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let skipped = dir.path().join("generated");
    std::fs::create_dir_all(&skipped).expect("mkdir");
    copy_case("fixtures/PG001/arm/bad", &skipped);
    let path = dir.path().to_string_lossy().into_owned();

    assert_eq!(rules_fired(&json(&[&path]).1), ["PG001"]);
    assert_eq!(
        rules_fired(&json(&["--exclude", "generated", &path]).1),
        Vec::<String>::new()
    );
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").expect("write");
    assert_eq!(rules_fired(&json(&[&path]).1), Vec::<String>::new());
    // A file named on the command line is always checked.
    let named = skipped.join("main.json").to_string_lossy().into_owned();
    assert_eq!(rules_fired(&json(&[&named]).1), ["PG001"]);
}

/// A folder past the walk's first few hundred entries is walked on every
/// core: the same files are found, in the same order, and ignore files and
/// excludes hold as in a small one.
#[test]
fn a_large_folder_is_walked_with_its_ignores_and_excludes() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::large_folder(dir.path());
    for case in ["generated", "kept/a", "kept/b", "skipped"] {
        let into = dir.path().join(case);
        std::fs::create_dir_all(&into).expect("mkdir");
        copy_case("fixtures/PG001/arm/bad", &into);
    }
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let first = json(&["--exclude", "skipped", &path]).1;
    assert_eq!(rules_fired(&first), ["PG001", "PG001"], "{first:#}");
    assert_eq!(first["summary"]["files"], 2, "{first:#}");
    let files: Vec<&str> = first["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(files[0].ends_with("kept/a/main.json"), "{files:?}");
    assert!(files[1].ends_with("kept/b/main.json"), "{files:?}");
    for _ in 0..3 {
        assert_eq!(json(&["--exclude", "skipped", &path]).1, first);
    }
}

#[test]
fn output_is_the_same_every_run() {
    let first = run(&["check", "--format", "json", "fixtures"]);
    let second = run(&["check", "--format", "json", "fixtures"]);
    assert_eq!(first.1, second.1);
}

#[test]
fn rules_lists_every_builtin_rule() {
    let (code, stdout, _) = run(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let rules: Value = serde_json::from_str(&stdout).expect("JSON");
    let ids: Vec<&str> = rules
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for id in ["PG001", "PE002", "PE004", "PE006", "DNS009"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let (code, text, _) = run(&["rules"]);
    assert_eq!(code, 0);
    assert!(
        text.lines()
            .any(|l| l.starts_with("PG001") && l.contains("error")),
        "{text}"
    );
}

#[test]
fn explain_prints_the_rule_docs_by_id_or_name() {
    let (code, by_id, _) = run(&["explain", "PG001"]);
    assert_eq!(code, 0);
    assert!(
        by_id.starts_with("PG001 (private-endpoint-on-vnet-integrated-server)"),
        "{by_id}"
    );
    for section in [
        "What it does:",
        "Why it matters:",
        "How to fix:",
        "https://learn.microsoft.com/",
    ] {
        assert!(by_id.contains(section), "{section} missing:\n{by_id}");
    }
    let (_, by_name, _) = run(&["explain", "private-endpoint-on-vnet-integrated-server"]);
    assert_eq!(by_id, by_name);
    let (code, _, stderr) = run(&["explain", "XX999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("XX999"));
}

#[test]
fn a_broken_user_rule_is_a_run_error_with_its_position_and_builtins_still_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("X001.yaml"),
        "id: X001\nname: broken\nseverity: fatal\ntitle: t\ndescription: d\nrationale: r\nremediation: r\ncheck:\n  - for: p in resources('x')\nreport:\n  at: p\n  message: m\n",
    )
    .expect("write");
    let rules = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&["--rules", &rules, "fixtures/PG001/arm/bad"]);
    assert_eq!(code, 2, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["code"], "rule-error");
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("X001.yaml"))
    );
    assert_eq!(error["line"], 3, "{error:#}");
    assert_eq!(rules_fired(&report), ["PG001"]);
}

#[test]
fn sarif_output_has_rules_results_and_stable_fingerprints() {
    let (code, stdout, _) = run(&["check", "--format", "sarif", "fixtures/demo"]);
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.len() >= 5);
    // The rules about suppressions have no page of their own.
    let policy_rules = rules
        .iter()
        .filter(|r| !r["id"].as_str().unwrap_or("").starts_with("SUP"));
    for rule in policy_rules {
        let uri = rule["helpUri"].as_str();
        assert!(uri.is_some_and(|u| u.starts_with("https://")), "{rule:#}");
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 6, "{stdout}");
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("fixtures/demo/"))
        );
        assert!(location["region"]["startLine"].as_u64() >= Some(1));
        assert!(result["partialFingerprints"]["plinthFingerprint/v1"].is_string());
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn github_output_is_one_annotation_per_finding() {
    let (code, stdout, _) = run(&["check", "--format", "github", "fixtures/demo"]);
    assert_eq!(code, 1);
    let re = regex::Regex::new(
        r"^::(error|warning) file=fixtures/demo/[^,]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[A-Z]+\d+ [a-z-]+::\S",
    )
    .expect("regex");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(lines.iter().all(|l| re.is_match(l)), "{stdout}");
}

#[test]
fn junit_output_has_a_suite_per_unit_and_a_case_per_rule() {
    let (code, stdout, _) = run(&["check", "--format", "junit", "fixtures/demo"]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    // One per unit: the template, the Bicep file, its module on its own, the Terraform module.
    assert_eq!(stdout.matches("<testsuite ").count(), 4, "{stdout}");
    assert!(
        stdout.contains("<testsuite name=\"fixtures/demo/arm/main.json\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("<testsuite name=\"fixtures/demo/terraform\""),
        "{stdout}"
    );
    assert_eq!(stdout.matches("<failure ").count(), 6, "{stdout}");
    assert!(stdout.contains("name=\"PG001 private-endpoint-on-vnet-integrated-server\""));
}

#[test]
fn a_baseline_hides_known_findings_and_survives_moves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    copy_case("fixtures/PG001/terraform/bad", &project);
    let baseline = dir.path().join("baseline.json");
    let project_text = project.to_string_lossy().into_owned();
    let baseline_text = baseline.to_string_lossy().into_owned();

    let (code, _) = json(&["--write-baseline", &baseline_text, &project_text]);
    assert_eq!(code, 1, "writing a baseline still reports");
    let (code, report) = json(&["--baseline", &baseline_text, &project_text]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["baselined"], 1);

    // Moving the code down and re-indenting it keeps the fingerprint.
    let main = project.join("main.tf");
    let text = std::fs::read_to_string(&main).expect("read");
    let moved: String = text.lines().map(|l| format!("  {l}\n")).collect();
    std::fs::write(&main, format!("\n\n# moved\n{moved}")).expect("write");
    let (code, report) = json(&["--baseline", &baseline_text, &project_text]);
    assert_eq!(code, 0, "{report:#}");

    // A new problem is still reported.
    let other = project.join("zz_other");
    std::fs::create_dir_all(&other).expect("mkdir");
    copy_case("fixtures/DNS009/terraform/bad", &other);
    let (code, report) = json(&["--baseline", &baseline_text, &project_text]);
    assert_eq!(code, 1);
    assert_eq!(rules_fired(&report), ["DNS009"]);

    std::fs::write(&baseline, "{\"version\": 1, \"findings\": [}").expect("write");
    let (code, report) = json(&["--baseline", &baseline_text, &project_text]);
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0]["code"], "usage-error");
    assert_eq!(report["errors"][0]["line"], 1);
}

/// Inserts `comment` as a line of its own above 1-based `line` of `file`.
fn insert_line_above(file: &Path, line: usize, comment: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(line - 1, comment);
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
}

fn first_finding(path: &str) -> (String, usize) {
    let (_, report) = json(&[path]);
    let finding = &report["findings"][0];
    (
        finding["file"].as_str().expect("a finding").to_string(),
        finding["line"].as_u64().expect("a line") as usize,
    )
}

#[test]
fn inline_suppressions_silence_a_finding_and_are_checked_themselves() {
    for (case, comment) in [
        (
            "fixtures/PG001/terraform/bad",
            "# plinth:ignore PG001 moving to VNet integration, INFRA-12",
        ),
        (
            "fixtures/PG001/arm/bad",
            "// plinth:ignore PG001 moving to VNet integration, INFRA-12",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_case(case, dir.path());
        let path = dir.path().to_string_lossy().into_owned();
        let (file, line) = first_finding(&path);
        let file = Path::new(&file).to_path_buf();
        let original = std::fs::read_to_string(&file).expect("read");

        insert_line_above(&file, line, comment);
        let (code, report) = json(&[&path]);
        assert_eq!(code, 0, "{case}: {report:#}");
        assert_eq!(rules_fired(&report), Vec::<String>::new(), "{case}");

        std::fs::write(&file, &original).expect("write");
        let bare = comment.split(" moving").next().expect("marker");
        insert_line_above(&file, line, bare);
        let (code, report) = json(&[&path]);
        assert_eq!(code, 0, "{case}: info does not fail the run");
        assert_eq!(rules_fired(&report), ["SUP001"], "{case}");

        std::fs::write(&file, &original).expect("write");
        insert_line_above(&file, line, &format!("{comment} until=2001-01-31"));
        let (code, report) = json(&[&path]);
        assert_eq!(code, 1, "{case}: an expired suppression no longer applies");
        let mut fired = rules_fired(&report);
        fired.sort();
        assert_eq!(fired, ["PG001", "SUP003"], "{case}");

        std::fs::write(&file, &original).expect("write");
        insert_line_above(&file, 1, &comment.replace("PG001", "PE004"));
        let (code, report) = json(&[&path]);
        assert_eq!(code, 1);
        let mut fired = rules_fired(&report);
        fired.sort();
        assert_eq!(fired, ["PG001", "SUP002"], "{case}");
    }
}

#[test]
fn a_suppression_above_the_resource_block_covers_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case("fixtures/PG001/terraform/bad", dir.path());
    let main = dir.path().join("main.tf");
    let text = std::fs::read_to_string(&main).expect("read");
    let block = text
        .lines()
        .position(|l| l.starts_with("resource \"azurerm_private_endpoint\""))
        .expect("the endpoint block")
        + 1;
    insert_line_above(
        &main,
        block,
        "# plinth:ignore PG001 decommissioned next sprint",
    );
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rules_fired(&report), Vec::<String>::new());
}

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join(".plinth.yaml"), text).expect("write config");
}

#[test]
fn the_config_file_selects_rules_changes_severities_and_ignores_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = dir.path().join("db");
    let dns = dir.path().join("legacy/dns");
    std::fs::create_dir_all(&pg).expect("mkdir");
    std::fs::create_dir_all(&dns).expect("mkdir");
    copy_case("fixtures/PG001/terraform/bad", &pg);
    copy_case("fixtures/DNS009/terraform/bad", &dns);
    let path = dir.path().to_string_lossy().into_owned();
    let sorted = |report: &Value| {
        let mut fired = rules_fired(report);
        fired.sort();
        fired
    };

    let (code, report) = json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(sorted(&report), ["DNS009", "PG001"]);

    write_config(dir.path(), "rules:\n  disable: [DNS009]\n");
    assert_eq!(sorted(&json(&[&path]).1), ["PG001"]);

    write_config(dir.path(), "rules:\n  select: [DNS009]\n");
    assert_eq!(sorted(&json(&[&path]).1), ["DNS009"]);

    write_config(
        dir.path(),
        "ignore:\n  - rule: DNS009\n    path: \"legacy/**\"\n    reason: old\n",
    );
    assert_eq!(sorted(&json(&[&path]).1), ["PG001"]);

    write_config(
        dir.path(),
        "ignore:\n  - rule: PG001\n    address: \"azurerm_private_endpoint.*\"\n",
    );
    assert_eq!(sorted(&json(&[&path]).1), ["DNS009"]);

    write_config(
        dir.path(),
        "rules:\n  severity:\n    PG001: info\n    DNS009: info\n",
    );
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "info findings do not fail at the default fail_on");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["severity"] == "info")
    );

    write_config(dir.path(), "fail_on: never\n");
    assert_eq!(json(&[&path]).0, 0);
    assert_eq!(
        json(&["--fail-on", "error", &path]).0,
        1,
        "the flag wins over the file"
    );
    assert_eq!(json(&["--no-config", &path]).0, 1);

    write_config(dir.path(), "fail_on: error\nrules:\n  disabel: [PG001]\n");
    let (code, report) = json(&[&path]);
    assert_eq!(code, 2);
    let error = &report["errors"][0];
    assert_eq!(error["code"], "config-error");
    assert_eq!(error["line"], 3, "{error:#}");
    assert_eq!(error["help"], "did you mean `disable`?");
    assert_eq!(
        sorted(&report),
        ["DNS009", "PG001"],
        "the run goes on with defaults"
    );
}

#[test]
fn the_config_file_governs_inline_suppressions() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case("fixtures/PG001/terraform/bad", dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    let (file, line) = first_finding(&path);
    insert_line_above(
        Path::new(&file),
        line,
        "# plinth:ignore PG001 being migrated",
    );
    assert_eq!(rules_fired(&json(&[&path]).1), Vec::<String>::new());

    write_config(dir.path(), "suppressions:\n  inline: false\n");
    assert_eq!(rules_fired(&json(&[&path]).1), ["PG001"]);

    write_config(dir.path(), "suppressions:\n  require_expiry: true\n");
    let mut fired = rules_fired(&json(&[&path]).1);
    fired.sort();
    assert_eq!(fired, ["PG001", "SUP004"]);
}

#[test]
fn init_writes_a_starter_config_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::cargo_bin("plinth").expect("binary");
    cmd.current_dir(dir.path()).arg("init").assert().success();
    let text = std::fs::read_to_string(dir.path().join(".plinth.yaml")).expect("written");
    assert!(text.contains("# fail_on: warning"));
    let mut again = Command::cargo_bin("plinth").expect("binary");
    again.current_dir(dir.path()).arg("init").assert().code(2);
}

#[test]
fn a_bicep_description_on_the_resource_suppresses_in_compiled_json() {
    // Bicep's `@description('…')` on a resource compiles to its `metadata.description`.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case("fixtures/PG001/arm/bad", dir.path());
    let main = dir.path().join("main.json");
    let text = std::fs::read_to_string(&main).expect("read");
    let line = text
        .lines()
        .position(|l| l.contains("\"type\": \"Microsoft.Network/privateEndpoints\""))
        .expect("the endpoint")
        + 2;
    insert_line_above(
        &main,
        line,
        "      \"metadata\": { \"description\": \"plinth:ignore PG001 moving to VNet integration\" },",
    );
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rules_fired(&report), Vec::<String>::new());
}

#[test]
fn a_parameter_file_beside_the_template_binds_its_parameters() {
    // The template's default zone name is right; its parameter file sets a wrong one.
    let (code, report) = json(&["fixtures/PE004/arm/bad-parameter-file"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PE004"]);
    // The summary says which file fed which template.
    assert_eq!(
        report["summary"]["parameter_files"],
        serde_json::json!([{
            "template": "fixtures/PE004/arm/bad-parameter-file/main.json",
            "parameters": "fixtures/PE004/arm/bad-parameter-file/main.parameters.json"
        }])
    );

    // Without the parameter file, the defaults apply and the template is clean.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "fixtures/PE004/arm/bad-parameter-file/main.json",
        dir.path().join("main.json"),
    )
    .expect("copy");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "{report:#}");

    // Named alone, as pre-commit does when only it changed, the parameter
    // file stands for its template.
    let (code, report) = json(&["fixtures/PE004/arm/bad-parameter-file/main.parameters.json"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PE004"]);
    assert!(
        report["findings"][0]["file"]
            .as_str()
            .expect("path")
            .ends_with("bad-parameter-file/main.json")
    );
}

#[test]
fn a_broken_parameter_file_is_an_error_and_leaves_the_parameters_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case("fixtures/PE004/arm/good-parameter-file", dir.path());
    std::fs::write(
        dir.path().join("main.parameters.json"),
        "{\n  \"parameters\": {\n    \"privateDnsZoneName\": \n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path]);
    assert_eq!(code, 2, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["code"], "parse-error");
    assert!(
        error["file"]
            .as_str()
            .expect("path")
            .ends_with("main.parameters.json")
    );
    assert!(error["line"].as_u64().is_some(), "{error:#}");
    // The template's default (a wrong zone) is not what the file meant to
    // deploy, so nothing is reported on it.
    assert_eq!(rules_fired(&report), Vec::<String>::new());
}

#[test]
fn terraform_var_files_bind_variables() {
    // terraform.tfvars sets a wrong zone name over a right default.
    let (code, report) = json(&["fixtures/PE004/terraform/bad-tfvars"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PE004"]);

    // *.auto.tfvars sets a right zone name over a wrong default.
    assert_eq!(json(&["fixtures/PE004/terraform/good-tfvars"]).0, 0);

    // --var-file is read last and wins.
    let (code, report) = json(&[
        "fixtures/PE004/terraform/good-tfvars",
        "--var-file",
        "fixtures/PE004/terraform/bad-tfvars/terraform.tfvars",
    ]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PE004"]);

    // A changed .tfvars file, named alone, stands for its whole module.
    let (code, report) = json(&["fixtures/PE004/terraform/bad-tfvars/terraform.tfvars"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PE004"]);
}

#[test]
fn the_config_file_names_var_files_and_parameter_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("infra/tf");
    let arm = dir.path().join("infra/arm");
    std::fs::create_dir_all(&tf).expect("mkdir");
    std::fs::create_dir_all(&arm).expect("mkdir");
    copy_case("fixtures/PE004/terraform/good-tfvars", &tf);
    // Rename the auto-loaded files so that only the config can bind them.
    std::fs::rename(tf.join("prod.auto.tfvars"), tf.join("prod.tfvars")).expect("rename");
    copy_case("fixtures/PE004/arm/good-parameter-file", &arm);
    std::fs::rename(
        arm.join("main.parameters.json"),
        arm.join("main.prod.parameters.json"),
    )
    .expect("rename");
    let path = dir.path().to_string_lossy().into_owned();

    // Alone, both use their (wrong) defaults.
    let (code, report) = json(&[&path]);
    assert_eq!(code, 1);
    assert_eq!(rules_fired(&report), ["PE004", "PE004"]);

    write_config(
        dir.path(),
        "terraform:\n  var_files:\n    infra/tf: [infra/tf/prod.tfvars]\n\
         arm:\n  parameter_files:\n    infra/arm/main.json: infra/arm/main.prod.parameters.json\n",
    );
    let (code, report) = json(&[&path]);
    assert_eq!(code, 0, "{report:#}");

    write_config(dir.path(), "terraform:\n  varfiles: {}\n");
    let (code, report) = json(&[&path]);
    assert_eq!(code, 2);
    assert_eq!(report["errors"][0]["help"], "did you mean `var_files`?");
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let report = |threads: &str| {
        let output = plinth()
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", "--format", "json", "fixtures"])
            .output()
            .expect("plinth runs");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let one = report("1");
    assert!(one.contains("\"rule\": \"PG001\""), "{one}");
    for threads in ["2", "7"] {
        assert_eq!(report(threads), one, "{threads} threads");
    }
}

#[test]
fn terraform_variables_from_the_command_line_and_the_environment() {
    const WRONG: &str = "private_dns_zone_name=privatelink.postgres.azure.com";
    const RIGHT: &str = "private_dns_zone_name=privatelink.postgres.database.azure.com";
    let rules_of = |cmd: &mut Command| {
        let output = cmd.output().expect("plinth runs");
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        (output.status.code().unwrap_or(-1), rules_fired(&report))
    };
    // --var wins over every var file (*.auto.tfvars sets the right zone here).
    let good = "fixtures/PE004/terraform/good-tfvars";
    let (code, rules) = rules_of(plinth().args([
        "check", "--ignore", "PGH", "--format", "json", "--var", WRONG, good,
    ]));
    assert_eq!((code, rules), (1, vec!["PE004".to_string()]));
    let bad = "fixtures/PE004/terraform/bad-tfvars";
    let (code, _) = rules_of(plinth().args([
        "check", "--ignore", "PGH", "--format", "json", "--var", RIGHT, bad,
    ]));
    assert_eq!(code, 0, "--var sets the right zone over terraform.tfvars");
    // A var file wins over TF_VAR_...
    let (code, _) = rules_of(
        plinth()
            .env(
                "TF_VAR_private_dns_zone_name",
                "privatelink.postgres.database.azure.com",
            )
            .args(["check", "--ignore", "PGH", "--format", "json", bad]),
    );
    assert_eq!(code, 1, "terraform.tfvars still sets the wrong zone");
    // ...which wins over the default (the right one, without the tfvars file).
    let dir = tempfile::tempdir().expect("tempdir");
    copy_case(bad, dir.path());
    std::fs::remove_file(dir.path().join("terraform.tfvars")).expect("remove");
    let path = dir.path().to_str().expect("UTF-8 path");
    assert_eq!(
        rules_of(plinth().args(["check", "--ignore", "PGH", "--format", "json", path])).0,
        0
    );
    let (code, rules) = rules_of(
        plinth()
            .env(
                "TF_VAR_private_dns_zone_name",
                "privatelink.postgres.azure.com",
            )
            .args(["check", "--ignore", "PGH", "--format", "json", path]),
    );
    assert_eq!((code, rules), (1, vec!["PE004".to_string()]));
    // A malformed --var is a usage error.
    let (code, _, stderr) = run(&["check", "--var", "no-equals-sign", bad]);
    assert_eq!(code, 2);
    assert!(stderr.contains("NAME=VALUE"), "{stderr}");
}

#[test]
fn show_unknown_says_where_plinth_cannot_see() {
    let case = "fixtures/DNS009/terraform/unknown-module";
    let (code, report) = json(&[case]);
    assert_eq!(code, 0, "{report:#}");
    assert!(
        report.get("unseen").is_none(),
        "only when asked: {report:#}"
    );

    let (code, report) = json(&["--show-unknown", case]);
    assert_eq!(code, 0, "notes do not change the exit code");
    let unseen = report["unseen"].as_array().expect("unseen");
    assert_eq!(unseen.len(), 1, "{report:#}");
    assert_eq!(unseen[0]["file"], format!("{case}/main.tf"));
    let module_line = std::fs::read_to_string(format!("{case}/main.tf"))
        .expect("fixture")
        .lines()
        .position(|l| l.starts_with("module \"dns_links\""))
        .expect("the module call")
        + 1;
    assert_eq!(unseen[0]["line"], module_line);

    let (_, stdout, _) = run(&["check", "--format", "compact", "--show-unknown", case]);
    assert!(
        stdout.contains(&format!(
            "{case}/main.tf:{module_line}:1: note[unseen] not read by plinth"
        )),
        "{stdout}"
    );
}

#[test]
fn select_ignore_and_severity_flags_choose_what_is_reported() {
    let both = ["fixtures/PG021/arm/bad", "fixtures/PG022/arm/bad"];
    let with = |flags: &[&str]| {
        let mut args: Vec<&str> = both.to_vec();
        args.extend_from_slice(flags);
        json(&args)
    };
    let (_, report) = with(&[]);
    assert_eq!(rules_fired(&report), ["PG021", "PG022"]);
    // By id, by prefix, by name, comma-separated.
    let (_, report) = with(&["--select", "PG022"]);
    assert_eq!(rules_fired(&report), ["PG022"]);
    let (_, report) = with(&["--select", "PG02"]);
    assert_eq!(rules_fired(&report), ["PG021", "PG022"]);
    let (_, report) = with(&["--select", "DNS,firewall-allows-all-azure"]);
    assert_eq!(rules_fired(&report), ["PG022"]);
    let (_, report) = with(&["--ignore", "firewall-allows-internet,PGH"]);
    assert_eq!(rules_fired(&report), ["PG022"]);
    let (code, report) = with(&["--select", "PG021", "--severity", "PG021=info"]);
    assert_eq!(report["findings"][0]["severity"], "info");
    assert_eq!(code, 0, "an info finding does not fail the run");
}

#[test]
fn an_unknown_rule_selector_is_an_error_with_a_suggestion() {
    let (code, report) = json(&["fixtures/PG021/arm/bad", "--select", "PG0211"]);
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["code"], "usage-error");
    let text = errors[0].to_string();
    assert!(
        text.contains("PG0211") && text.contains("did you mean `PG021`?"),
        "{text}"
    );
    let (code, _, stderr) = run(&["check", "--severity", "PG021=fatal"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("fatal"), "{stderr}");
}

#[test]
fn every_rule_explains_itself_with_examples() {
    let (_, stdout, _) = run(&["rules", "--format", "json"]);
    let rules: Value = serde_json::from_str(&stdout).expect("JSON");
    let mut checked = 0;
    for rule in rules.as_array().expect("list") {
        let id = rule["id"].as_str().expect("id");
        // The suppression pseudo-rules have no policy behind them.
        if id.starts_with("SUP") {
            continue;
        }
        let (code, text, stderr) = run(&["explain", id]);
        assert_eq!(code, 0, "{id}: {stderr}");
        for section in [
            "What it does:",
            "Why it matters:",
            "How to fix:",
            "Example (bad)",
            "Use instead",
            "https://learn.microsoft.com/",
        ] {
            assert!(text.contains(section), "{id}: {section} missing:\n{text}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} rules explained");
}

#[test]
fn the_readme_lists_every_rule_with_its_name_and_severity() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let (_, stdout, _) = run(&["rules", "--format", "json"]);
    let rules: Value = serde_json::from_str(&stdout).expect("JSON");
    for rule in rules.as_array().expect("list") {
        let row = format!(
            "| {} | {} | {} |",
            rule["id"].as_str().expect("id"),
            rule["name"].as_str().expect("name"),
            rule["severity"].as_str().expect("severity")
        );
        assert!(readme.contains(&row), "README.md lacks the row `{row} …`");
    }
}

/// The policies of the tutorial in `rules/README.md`, as a user copies them.
fn tutorial_policies(into: &Path) -> Vec<String> {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md"))
            .expect("rules/README.md");
    let mut ids = Vec::new();
    let tutorial = guide
        .split("## Tutorial")
        .nth(1)
        .expect("a tutorial section");
    for block in tutorial.split("```yaml\n").skip(1) {
        let body = block.split("```").next().expect("a closed block");
        let Some(id) = body.strip_prefix("id: ") else {
            continue;
        };
        let id = id.lines().next().expect("an id line").to_string();
        std::fs::write(into.join(format!("{id}.yaml")), body).expect("write the policy");
        ids.push(id);
    }
    ids
}

#[test]
fn the_tutorial_policies_load_and_fire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ids = tutorial_policies(dir.path());
    assert_eq!(ids, ["ORG001", "PEX001"]);
    let policies = dir.path().to_string_lossy().into_owned();
    // A public-access server without Entra authentication, and a private
    // endpoint subnet without an NSG.
    let (code, report) = json(&[
        "fixtures/PG001/terraform/good",
        "fixtures/PG001/arm/good",
        "--rules",
        &policies,
        "--select",
        "ORG001,PEX001",
    ]);
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(code, 1);
    let mut fired = rules_fired(&report);
    fired.sort();
    assert_eq!(fired, ["ORG001", "ORG001", "PEX001", "PEX001"]);
    // The docs of a user policy, like a built-in's.
    let (code, text, _) = run(&["explain", "ORG001", "--rules", &policies]);
    assert_eq!(code, 0);
    assert!(text.contains("Microsoft Entra authentication"), "{text}");
    // The second subnet of the PE002 fixture has an NSG: silent there.
    let (_, report) = json(&[
        "fixtures/PE002/terraform/good",
        "--rules",
        &policies,
        "--select",
        "PEX001",
    ]);
    assert_eq!(rules_fired(&report), Vec::<String>::new(), "{report}");
}

#[test]
fn a_rule_setting_in_the_config_changes_what_the_rule_accepts() {
    // PG021's good fixture allows 256 addresses: fine under the default /8.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "fixtures/PG021/terraform/good/main.tf",
        dir.path().join("main.tf"),
    )
    .expect("copy");
    std::fs::copy(
        "fixtures/PG021/terraform/good/variables.tf",
        dir.path().join("variables.tf"),
    )
    .expect("copy");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = json(&[&path, "--select", "PG021"]);
    assert_eq!((code, rules_fired(&report)), (0, Vec::<String>::new()));
    write_config(
        dir.path(),
        "rules:\n  settings:\n    PG021: { max_addresses: 64 }\n",
    );
    let (code, report) = json(&[&path, "--select", "PG021"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules_fired(&report), ["PG021"]);
    // A setting for a rule that does not exist is a config error.
    write_config(
        dir.path(),
        "rules:\n  settings:\n    PG0021: { max_addresses: 64 }\n",
    );
    let (code, report) = json(&[&path, "--select", "PG021"]);
    assert_eq!(code, 2, "{report:#}");
}
