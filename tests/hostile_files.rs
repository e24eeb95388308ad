//! Hostile trees through the real binary: plinth reads only regular files
//! under the paths it checks (and the files the user named), never through a
//! link, never a FIFO or a device, and says why at the place that asked. A
//! secret outside the checked folder carries a unique marker; no output may
//! contain it. Every tree is generated here, in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

const MARKER: &str = "SECRET-7f3a9c-DO-NOT-PRINT";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// A temporary tree: `repo/` is checked, `secret/` lies outside it and holds
/// files whose text contains the marker (written so that a parser would
/// quote it in an error snippet).
struct Tree {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    secret: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let secret = dir.path().join("secret");
    std::fs::create_dir_all(&repo).expect("repo");
    std::fs::create_dir_all(&secret).expect("secret");
    let text = format!("{MARKER} = {MARKER} {{ {MARKER}\n");
    for name in [
        "marker.txt",
        "leak.bicep",
        "leak.tfvars",
        "leak.yaml",
        "leak.json",
        "leak.bicepparam",
    ] {
        std::fs::write(secret.join(name), &text).expect("secret");
    }
    std::fs::create_dir_all(secret.join("module")).expect("module");
    std::fs::write(secret.join("module/main.tf"), &text).expect("module");
    Tree {
        _dir: dir,
        repo,
        secret,
    }
}

struct Run {
    code: i32,
    /// stdout and stderr together.
    output: String,
}

fn plinth(dir: &Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .args(args)
        .output()
        .expect("plinth runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Runs `plinth check .` in `dir` in every text format, asserts the marker
/// never appears, and returns the JSON report and its exit code.
fn check_all_formats(dir: &Path, extra: &[&str]) -> (i32, Value) {
    for format in ["human", "compact", "github", "sarif", "junit"] {
        let mut args = vec!["check", "--format", format];
        args.extend_from_slice(extra);
        args.push(".");
        let run = plinth(dir, &args);
        assert!(
            !run.output.contains(MARKER),
            "the secret leaked in --format {format}:\n{}",
            run.output
        );
        assert!(run.code == 1 || run.code == 2, "{format}: {}", run.output);
    }
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let run = plinth(dir, &args);
    assert!(!run.output.contains(MARKER), "leaked:\n{}", run.output);
    let report: Value = serde_json::from_str(&run.output)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", run.output));
    (run.code, report)
}

/// The errors with `code`.
fn errors_with<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["code"] == code)
        .collect()
}

/// The files `report` refused as not regular (a link, FIFO or device).
fn refused_files(report: &Value) -> Vec<&str> {
    errors_with(report, "not-regular-file")
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect()
}

fn link(target: &Path, at: &Path) {
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_bicep_module_outside_the_checked_folder_is_not_read() {
    let t = tree();
    let absolute = t.secret.join("leak.bicep");
    std::fs::write(
        t.repo.join("main.bicep"),
        format!(
            "module a '{}' = {{\n  name: 'a'\n}}\nmodule b '../secret/leak.bicep' = {{\n  name: 'b'\n}}\nmodule c '/proc/self/environ' = {{\n  name: 'c'\n}}\n",
            absolute.display()
        ),
    )
    .expect("write");
    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    let outside = errors_with(&report, "path-outside");
    assert_eq!(outside.len(), 3, "{report:#}");
    for (error, line) in outside.iter().zip([1, 4, 7]) {
        assert_eq!(error["file"], "main.bicep");
        assert_eq!(error["line"], line, "{error:#}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("lies outside the paths being checked"),
            "{error:#}"
        );
    }
}

#[test]
fn terraform_file_outside_the_checked_folder_never_reaches_a_message() {
    let t = tree();
    for name in ["main.tf", "variables.tf"] {
        std::fs::copy(fixture("PG001/terraform/bad").join(name), t.repo.join(name)).expect("copy");
    }
    let main = std::fs::read_to_string(t.repo.join("main.tf")).expect("read");
    let secret = t.secret.join("marker.txt");
    let main = main.replace(
        "name                          = \"psql-orders-prod\"",
        &format!(
            "name                          = file(\"{}\")",
            secret.display()
        ),
    );
    assert!(main.contains("file("), "the fixture names the server");
    std::fs::write(t.repo.join("main.tf"), main).expect("write");
    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    let outside = errors_with(&report, "path-outside");
    assert_eq!(outside.len(), 1, "{report:#}");
    assert_eq!(outside[0]["file"], "main.tf");
    assert_eq!(outside[0]["line"], 63, "{:#}", outside[0]);
}

/// Each file plinth finds by name beside an input, linked to the secret.
#[test]
fn linked_tfvars_config_and_parameter_files_are_not_followed() {
    let t = tree();
    // Terraform: terraform.tfvars.
    let tf = t.repo.join("tf");
    std::fs::create_dir_all(&tf).expect("tf");
    std::fs::write(tf.join("main.tf"), "variable \"x\" {}\n").expect("write");
    link(&t.secret.join("leak.tfvars"), &tf.join("terraform.tfvars"));
    // ARM: main.parameters.json beside main.json.
    let arm = t.repo.join("arm");
    std::fs::create_dir_all(&arm).expect("arm");
    std::fs::copy(fixture("PG001/arm/bad/main.json"), arm.join("main.json")).expect("copy");
    link(
        &t.secret.join("leak.json"),
        &arm.join("main.parameters.json"),
    );
    // Bicep: main.bicepparam beside main.bicep.
    let bicep = t.repo.join("bicep");
    std::fs::create_dir_all(&bicep).expect("bicep");
    std::fs::copy(
        fixture("PG001/bicep/bad/main.bicep"),
        bicep.join("main.bicep"),
    )
    .expect("copy");
    link(
        &t.secret.join("leak.bicepparam"),
        &bicep.join("main.bicepparam"),
    );
    // The config found by walking up.
    link(&t.secret.join("leak.yaml"), &t.repo.join(".plinth.yaml"));

    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    let refused: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["code"] == "not-regular-file"
                || e["code"] == "config-error" && {
                    e["message"].as_str().unwrap().contains("symbolic link")
                }
        })
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    for file in [
        ".plinth.yaml",
        "arm/main.parameters.json",
        "bicep/main.bicepparam",
        "tf/terraform.tfvars",
    ] {
        assert!(refused.iter().any(|f| f == file), "{file}: {report:#}");
    }
}

#[test]
fn a_local_terraform_module_outside_or_through_a_link_is_not_read() {
    let t = tree();
    std::fs::write(
        t.repo.join("main.tf"),
        "module \"up\" {\n  source = \"../secret/module\"\n}\nmodule \"linked\" {\n  source = \"./linked\"\n}\n",
    )
    .expect("write");
    link(&t.secret.join("module"), &t.repo.join("linked"));
    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    let outside = errors_with(&report, "path-outside");
    assert_eq!(outside.len(), 1, "{report:#}");
    assert_eq!(
        (outside[0]["file"].as_str(), outside[0]["line"].as_u64()),
        (Some("main.tf"), Some(2))
    );
    let linked = errors_with(&report, "not-regular-file");
    assert_eq!(linked.len(), 1, "{report:#}");
    assert_eq!(linked[0]["line"], 5, "{report:#}");
}

#[test]
fn write_baseline_refuses_to_write_through_a_link() {
    let t = tree();
    std::fs::copy(fixture("PG001/arm/bad/main.json"), t.repo.join("main.json")).expect("copy");
    let target = t.secret.join("marker.txt");
    let before = std::fs::read_to_string(&target).expect("read");
    link(&target, &t.repo.join("baseline.json"));
    let run = plinth(
        &t.repo,
        &[
            "check",
            "--format",
            "compact",
            "--write-baseline",
            "baseline.json",
            ".",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(
        run.output.contains("cannot write baseline") && run.output.contains("symbolic link"),
        "{}",
        run.output
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), before);
    // A regular file is replaced whole.
    std::fs::remove_file(t.repo.join("baseline.json")).expect("rm");
    let run = plinth(
        &t.repo,
        &[
            "check",
            "--format",
            "compact",
            "--write-baseline",
            "baseline.json",
            ".",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.output);
    let written = std::fs::read_to_string(t.repo.join("baseline.json")).expect("written");
    assert!(written.contains("fingerprint"), "{written}");
}

#[test]
fn fifos_under_the_names_plinth_looks_for_do_not_block() {
    let t = tree();
    std::fs::copy(
        fixture("PG001/terraform/bad/main.tf"),
        t.repo.join("main.tf"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("PG001/terraform/bad/variables.tf"),
        t.repo.join("variables.tf"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("PG001/bicep/bad/main.bicep"),
        t.repo.join("main.bicep"),
    )
    .expect("copy");
    mkfifo(&t.repo.join(".terraform.lock.hcl"));
    mkfifo(&t.repo.join("main.bicepparam"));
    mkfifo(&t.repo.join("terraform.tfvars"));
    let sub = t.repo.join("sub");
    std::fs::create_dir_all(&sub).expect("sub");
    mkfifo(&sub.join(".gitignore"));
    // Each run would block forever in open() without the fix; the
    // command's timeout fails the test instead.
    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    let refused = refused_files(&report);
    for file in [
        ".terraform.lock.hcl",
        "main.bicepparam",
        "terraform.tfvars",
        "sub/.gitignore",
    ] {
        assert!(refused.contains(&file), "{file}: {report:#}");
    }
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "PG001" && f["file"] == "main.tf"),
        "{report:#}"
    );
}

#[test]
fn a_fifo_gitignore_in_the_checked_folder_itself_does_not_block() {
    let t = tree();
    std::fs::copy(fixture("PG001/arm/bad/main.json"), t.repo.join("main.json")).expect("copy");
    mkfifo(&t.repo.join(".gitignore"));
    let run = plinth(&t.repo, &["check", "--format", "compact", "."]);
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(
        run.output.contains(".gitignore") && run.output.contains("not a regular file (a FIFO)"),
        "{}",
        run.output
    );
}

/// In a folder large enough to be walked on every core, a FIFO ignore file
/// deep inside is refused once, and its folder left out, as in a small one.
#[test]
fn a_fifo_gitignore_deep_in_a_large_folder_is_refused_once() {
    let t = tree();
    crate::large_folder(&t.repo);
    let deep = t.repo.join("pad/d150/deep");
    std::fs::create_dir_all(&deep).expect("mkdir");
    std::fs::copy(fixture("PG001/arm/bad/main.json"), deep.join("main.json")).expect("copy");
    mkfifo(&deep.join(".gitignore"));
    let (code, report) = check_all_formats(&t.repo, &[]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(
        refused_files(&report),
        ["pad/d150/deep/.gitignore"],
        "{report:#}"
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
}

#[test]
fn dev_zero_linked_under_those_names_is_not_read() {
    let t = tree();
    std::fs::copy(
        fixture("PG001/terraform/bad/main.tf"),
        t.repo.join("main.tf"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("PG001/terraform/bad/variables.tf"),
        t.repo.join("variables.tf"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("PG001/bicep/bad/main.bicep"),
        t.repo.join("main.bicep"),
    )
    .expect("copy");
    for name in [
        ".terraform.lock.hcl",
        "main.bicepparam",
        "terraform.tfvars",
        ".gitignore",
    ] {
        link(Path::new("/dev/zero"), &t.repo.join(name));
    }
    let started = std::time::Instant::now();
    let run = plinth(&t.repo, &["check", "--format", "compact", "."]);
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(run.output.contains("symbolic link"), "{}", run.output);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_fifo_or_device_named_on_the_command_line_is_not_a_regular_file() {
    let t = tree();
    mkfifo(&t.repo.join("pipe.json"));
    let run = plinth(
        &t.repo,
        &["check", "--format", "compact", "pipe.json", "/dev/null"],
    );
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(
        run.output.contains("pipe.json") && run.output.contains("not a regular file (a FIFO)"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("/dev/null") && run.output.contains("not a regular file (a device)"),
        "{}",
        run.output
    );
    assert!(!run.output.contains("no such file"), "{}", run.output);
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

#[test]
fn a_utf16_template_is_checked_and_invalid_utf8_is_a_located_error() {
    let t = tree();
    let template = std::fs::read_to_string(fixture("PG001/arm/bad/main.json")).expect("read");
    std::fs::write(t.repo.join("le.json"), utf16(&template, false)).expect("write");
    std::fs::write(t.repo.join("be.json"), utf16(&template, true)).expect("write");
    let mut broken = template.clone().into_bytes();
    let at = template.find("\"resources\"").expect("resources");
    broken.insert(at, 0xFF);
    std::fs::write(t.repo.join("broken.json"), broken).expect("write");
    // Not a template, but named: its bad byte is reported too.
    std::fs::write(t.repo.join("named.json"), b"{\"a\": \"\xC3\"}").expect("write");

    let run = plinth(&t.repo, &["check", "--format", "json", ".", "named.json"]);
    let report: Value = serde_json::from_str(&run.output).expect("json");
    assert_eq!(run.code, 2, "{report:#}");
    for file in ["le.json", "be.json"] {
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "PG001" && f["file"] == file),
            "{file}: {report:#}"
        );
    }
    let undecodable = errors_with(&report, "decode-error");
    assert_eq!(undecodable.len(), 2, "{report:#}");
    let line = template[..at].matches('\n').count() + 1;
    let column = at - template[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    let broken = undecodable
        .iter()
        .find(|e| e["file"] == "broken.json")
        .expect("broken");
    assert_eq!(
        (broken["line"].as_u64(), broken["column"].as_u64()),
        (Some(line as u64), Some(column as u64)),
        "{broken:#}"
    );
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .contains("invalid UTF-8")
    );
    assert!(undecodable.iter().any(|e| e["file"] == "named.json"));
    assert!(report["summary"]["files"].as_u64().unwrap() >= 2);
}

#[test]
fn max_file_bytes_above_one_gibibyte_is_a_config_error() {
    let t = tree();
    std::fs::write(
        t.repo.join(".plinth.yaml"),
        "limits:\n  max_file_bytes: 2147483648\n",
    )
    .expect("write");
    std::fs::copy(fixture("PG001/arm/bad/main.json"), t.repo.join("main.json")).expect("copy");
    let run = plinth(&t.repo, &["check", "--format", "compact", "."]);
    assert_eq!(run.code, 2, "{}", run.output);
    assert!(
        run.output
            .contains("limits.max_file_bytes is 2147483648; it can be at most 1073741824"),
        "{}",
        run.output
    );
}

/// The findings of a JSON report, each as file (without `prefix`), line,
/// column, rule and message.
fn findings(report: &str, prefix: &str) -> Vec<String> {
    let report: Value = serde_json::from_str(report).expect("json");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let file = file
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{file} under {prefix}"));
            format!(
                "{file}:{}:{} {} {}",
                f["line"], f["column"], f["rule"], f["message"]
            )
        })
        .collect()
}

/// The same tree checked from inside, from its parent, through `..` and by
/// absolute path gives the same findings, each once (a local Terraform
/// module's PE004 was reported twice from inside; `../../x` lost a Bicep
/// module).
#[test]
fn the_same_tree_gives_the_same_findings_however_it_is_named() {
    for case in ["PE004/terraform/bad-local-module", "PE007/bicep/bad-split"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("a/repo");
        let deep = dir.path().join("a/b/c");
        std::fs::create_dir_all(&deep).expect("mkdir");
        copy_tree(&fixture(case), &repo);
        let json = |cwd: &Path, path: &str| {
            let run = plinth(cwd, &["check", "--format", "json", path]);
            assert!(run.code == 1, "{case} {path}: {}", run.output);
            run.output
        };
        let inside = findings(&json(&repo, "."), "");
        assert!(!inside.is_empty(), "{case}");
        let mut unique = inside.clone();
        unique.dedup();
        assert_eq!(unique, inside, "{case}: each finding once");
        let absolute = repo.display().to_string();
        for (cwd, path, prefix) in [
            (dir.path().join("a"), "repo", "repo/"),
            (dir.path().join("a"), "./repo/", "repo/"),
            (repo.clone(), "../repo", "../repo/"),
            (deep.clone(), "../../repo", "../../repo/"),
            (repo.clone(), absolute.as_str(), &format!("{absolute}/")),
        ] {
            assert_eq!(
                findings(&json(&cwd, path), prefix),
                inside,
                "{case}: from {} as {path}",
                cwd.display()
            );
        }
        // A Bicep file named through `../..` keeps its modules.
        if case.contains("bicep") {
            let named = findings(&json(&deep, "../../repo/main.bicep"), "../../repo/");
            assert_eq!(named, findings(&json(&repo, "main.bicep"), ""), "{case}");
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The common Terraform layout `envs/prod` → `../../modules/x`: checked inside
/// a git repository, the root reaches the whole work tree, so the module is
/// read and its finding reported; outside any repository the same call
/// leaves the checked folder and is refused. Files beside the repository are
/// never read either way.
#[test]
fn a_module_elsewhere_in_the_same_repository_is_read() {
    let t = tree();
    let case = fixture("PE004/terraform/bad-local-module");
    let prod = t.repo.join("envs/prod");
    std::fs::create_dir_all(&prod).expect("prod");
    let main = std::fs::read_to_string(case.join("main.tf"))
        .expect("main.tf")
        .replace("./modules/database", "../../modules/database");
    std::fs::write(prod.join("main.tf"), main).expect("write");
    std::fs::create_dir_all(t.repo.join("modules/database")).expect("modules");
    std::fs::copy(
        case.join("modules/database/main.tf"),
        t.repo.join("modules/database/main.tf"),
    )
    .expect("copy");
    std::fs::write(
        t.repo.join("envs/prod/leak.tf"),
        "module \"up\" {\n  source = \"../../../secret/module\"\n}\n",
    )
    .expect("write");

    let check = |t: &Tree| {
        let run = plinth(&t.repo, &["check", "--format", "json", "envs/prod"]);
        assert!(!run.output.contains(MARKER), "leaked:\n{}", run.output);
        let report: Value = serde_json::from_str(&run.output)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", run.output));
        (run.code, report)
    };
    // No repository: the module is outside the checked folder.
    let (code, report) = check(&t);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(errors_with(&report, "path-outside").len(), 2, "{report:#}");

    std::fs::create_dir_all(t.repo.join(".git")).expect(".git");
    let (code, report) = check(&t);
    assert_eq!(code, 2, "{report:#}");
    let outside = errors_with(&report, "path-outside");
    assert_eq!(
        outside.len(),
        1,
        "only the call out of the repository: {report:#}"
    );
    assert_eq!(outside[0]["file"], "envs/prod/leak.tf", "{report:#}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"PE004"), "{report:#}");
}
