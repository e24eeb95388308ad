//! `plinth check --fix` / `--diff` over every `bad…` case of the rules that
//! declare a fix, in every front-end: each case is copied to a temporary
//! folder; `--diff` is snapshotted (the fixed text, as a reviewable diff);
//! `--fix` writes it; the re-check must show the fixed findings gone,
//! nothing new, and every file still parsing. A case whose value is not a
//! literal plinth can rewrite must be left byte for byte as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXABLE: [&str; 9] = [
    "DNS001", "DNS005", "NET002", "PE002", "PE003", "PE004", "PG002", "PG007", "PG024",
];
const FRONT_ENDS: [&str; 3] = ["arm", "bicep", "terraform"];

fn plinth(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the plinth binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn files(dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.insert(
                path.clone(),
                std::fs::read_to_string(&path).unwrap_or_default(),
            );
        }
    }
}

/// Rule ids of the findings, with how often each fires, and the problems.
fn check_json(dir: &Path) -> (BTreeMap<String, usize>, Vec<serde_json::Value>) {
    let (_, stdout, stderr) = plinth(dir, &["check", "--format", "json", "--ignore", "PGH", "."]);
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let mut rules = BTreeMap::new();
    for f in json["findings"].as_array().unwrap() {
        *rules
            .entry(f["rule"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    (rules, json["errors"].as_array().unwrap().clone())
}

#[test]
fn fixes_remove_their_findings_and_nothing_else_changes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut fixed_somewhere: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for rule in FIXABLE {
        for front_end in FRONT_ENDS {
            let cases = root.join(rule).join(front_end);
            let Ok(entries) = std::fs::read_dir(&cases) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("bad"))
                .collect();
            names.sort();
            for case in names {
                let temp = tempfile::tempdir().unwrap();
                let dir = temp.path().join("case");
                copy_dir(&cases.join(&case), &dir);
                let (before_rules, before_problems) = check_json(&dir);
                assert!(before_problems.is_empty(), "{rule}/{front_end}/{case}");
                let mut before_files = BTreeMap::new();
                files(&dir, &mut before_files);

                // Safe fixes; where there are none, unsafe ones (a value in a
                // variable, a zone whose cloud is not known).
                let mut flags = vec!["check", "--ignore", "PGH"];
                let (mut diff_code, mut diff, _) =
                    plinth(&dir, &[&flags[..], &["--diff", "."]].concat());
                let mut snapshot = format!("{rule}__{front_end}__{case}");
                if diff.is_empty() {
                    flags.push("--unsafe-fixes");
                    (diff_code, diff, _) = plinth(&dir, &[&flags[..], &["--diff", "."]].concat());
                    snapshot.push_str("__unsafe");
                }
                let (_, _, fixed) = plinth(&dir, &[&flags[..], &["--fix", "."]].concat());
                let (after_rules, after_problems) = check_json(&dir);
                let mut after_files = BTreeMap::new();
                files(&dir, &mut after_files);
                let label = format!("{rule}/{front_end}/{case}");

                if diff.is_empty() {
                    assert_eq!(diff_code, 0, "{label}");
                    assert_eq!(
                        before_files, after_files,
                        "{label}: --fix changed files --diff did not show"
                    );
                    continue;
                }
                assert_eq!(diff_code, 1, "{label}: --diff exits 1 when there is a fix");
                *fixed_somewhere.entry((rule, front_end)).or_insert(0) += 1;
                insta::assert_snapshot!(snapshot, diff);
                assert!(fixed.contains(&format!("fixed {rule}")), "{label}: {fixed}");
                assert!(after_problems.is_empty(), "{label}: {after_problems:?}");
                assert!(
                    after_rules.get(rule).copied().unwrap_or(0) < before_rules[rule],
                    "{label}: {rule} still fires after --fix: {after_rules:?}"
                );
                for (other, n) in &after_rules {
                    assert!(
                        before_rules.get(other).is_some_and(|b| b >= n),
                        "{label}: {other} is new after --fix"
                    );
                }
                // The diff is what was written.
                let changed: Vec<_> = after_files
                    .iter()
                    .filter(|(p, t)| before_files.get(*p) != Some(t))
                    .collect();
                assert!(!changed.is_empty(), "{label}: --fix wrote nothing");
            }
        }
    }
    // Every fixable rule is fixed in each front-end that has its construct.
    for rule in FIXABLE {
        for front_end in FRONT_ENDS {
            if !root.join(rule).join(front_end).is_dir() {
                continue;
            }
            assert!(
                fixed_somewhere.contains_key(&(rule, front_end)),
                "no {front_end} case of {rule} was fixed"
            );
        }
    }
}

#[test]
fn unsafe_fixes_wait_for_the_flag() {
    // The value is a module's literal: other callers of the module read it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG024/bicep/bad-split");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("case");
    copy_dir(&root, &dir);
    let (code, diff, stderr) = plinth(&dir, &["check", "--diff", "--ignore", "PGH", "."]);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("1 more with --unsafe-fixes"), "{stderr}");
    let (code, diff, _) = plinth(
        &dir,
        &["check", "--diff", "--unsafe-fixes", "--ignore", "PGH", "."],
    );
    assert_eq!(code, 1);
    assert!(
        diff.contains("+      publicNetworkAccess: 'Disabled'"),
        "{diff}"
    );
    let (code, _, stderr) = plinth(
        &dir,
        &["check", "--fix", "--unsafe-fixes", "--ignore", "PGH", "."],
    );
    assert_eq!(code, 0, "nothing remains: {stderr}");
    assert!(stderr.contains("(unsafe)"), "{stderr}");
}

#[test]
fn fixes_are_never_written_through_a_link() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/DNS001/terraform/bad");
    let temp = tempfile::tempdir().unwrap();
    let outside = temp.path().join("outside");
    copy_dir(&root, &outside);
    let dir = temp.path().join("case");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&outside).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let before = std::fs::read_to_string(outside.join("main.tf")).unwrap();
    let (code, _, _) = plinth(&dir, &["check", "--fix", "--ignore", "PGH", "."]);
    assert_ne!(code, 0);
    assert_eq!(
        std::fs::read_to_string(outside.join("main.tf")).unwrap(),
        before
    );
}

#[test]
fn a_rename_that_would_strand_a_reference_is_refused() {
    // The zone is named once as a literal and read through its symbol,
    // but a second link spells its name: renaming the zone alone passes
    // every rule (the link would name a zone outside the unit) and breaks
    // the deployment, so the fix is refused and nothing is written.
    for front_end in ["bicep", "terraform"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/PE004")
            .join(front_end)
            .join("bad-zone-named-twice");
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("case");
        copy_dir(&root, &dir);
        let mut before = BTreeMap::new();
        files(&dir, &mut before);
        let (code, _, stderr) = plinth(
            &dir,
            &["check", "--fix", "--unsafe-fixes", "--ignore", "PGH", "."],
        );
        assert_eq!(code, 1, "{front_end}: {stderr}");
        assert!(
            stderr.contains("a reference would no longer find the resource it names"),
            "{front_end}: {stderr}"
        );
        let mut after = BTreeMap::new();
        files(&dir, &mut after);
        assert_eq!(before, after, "{front_end}");
    }
}

#[test]
fn zone_renames_are_safe_only_where_the_cloud_is_known() {
    // PE004's bad Terraform case deploys to a literal location; with the
    // location unknown the public cloud's zone is likely, not sure.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PE004/terraform/bad");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("case");
    copy_dir(&root, &dir);
    let (code, diff, _) = plinth(&dir, &["check", "--diff", "--ignore", "PGH", "."]);
    assert_eq!(code, 1);
    assert!(
        diff.contains("+  name                = \"privatelink.postgres.database.azure.com\""),
        "{diff}"
    );
    let variables = dir.join("variables.tf");
    let text = std::fs::read_to_string(&variables).unwrap();
    std::fs::write(&variables, text.replace("default = \"westeurope\"", "")).unwrap();
    let (code, diff, stderr) = plinth(&dir, &["check", "--diff", "--ignore", "PGH", "."]);
    assert_eq!((code, diff.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("1 more with --unsafe-fixes"), "{stderr}");
}
