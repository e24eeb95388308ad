//! How the GitHub Action's step (`action/run.sh`) turns its `path` and `args`
//! inputs into `plinth check` arguments: split as a shell would (quotes
//! group and are removed, spaces and newlines separate) without running or
//! expanding anything. A stub plinth records the arguments it gets.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::process::Command;

struct Step {
    code: i32,
    log: String,
    /// The arguments of each plinth run, one Vec per run.
    runs: Vec<Vec<String>>,
    dir: tempfile::TempDir,
}

fn run_step(path: &str, args: &str) -> Step {
    let dir = tempfile::tempdir().expect("tempdir");
    let stub = dir.path().join("plinth");
    let calls = dir.path().join("calls");
    // Each argument NUL-terminated, each run newline-terminated; a JSON
    // summary on stdout so that run.sh reads its counts.
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >>'{calls}'\necho >>'{calls}'\n\
             echo '{{\"summary\":{{\"findings\":0,\"errors\":0,\"files\":0,\"resources\":0}}}}'\n",
            calls = calls.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&stub).status().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join("action/run.sh"))
        .current_dir(dir.path())
        .env("PLINTH", &stub)
        .env("INPUT_PATH", path)
        .env("INPUT_ARGS", args)
        .env("INPUT_CONFIG", "")
        .env("INPUT_SARIF_FILE", dir.path().join("plinth.sarif"))
        .env("HOME", dir.path())
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("bash runs");
    let recorded = std::fs::read_to_string(&calls).unwrap_or_default();
    let runs = recorded
        .split_terminator("\0\n")
        .map(|run| run.split('\0').map(str::to_owned).collect())
        .collect();
    Step {
        code: output.status.code().unwrap_or(-1),
        log: String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
        runs,
        dir,
    }
}

/// What follows `--fail-on <level>` in a run: the inputs' arguments.
fn inputs_of(run: &[String]) -> Vec<&str> {
    let at = run
        .iter()
        .position(|a| a == "--fail-on")
        .expect("--fail-on");
    run[at + 2..].iter().map(String::as_str).collect()
}

#[test]
fn quoted_args_reach_plinth_without_their_quotes() {
    let step = run_step(
        ".",
        r#"--exclude 'examples/**' --rules "my policies" --exclude a\ b"#,
    );
    assert_eq!(step.code, 0, "{}", step.log);
    assert_eq!(step.runs.len(), 3, "{}", step.log);
    for run in &step.runs {
        assert_eq!(
            inputs_of(run),
            [
                "--exclude",
                "examples/**",
                "--rules",
                "my policies",
                "--exclude",
                "a b",
                "--",
                "."
            ]
        );
    }
}

#[test]
fn args_and_paths_may_be_one_per_line() {
    let step = run_step(
        "infra\n'shared modules'\n\nenvs/prod",
        "--exclude\nexamples/**\n",
    );
    assert_eq!(step.code, 0, "{}", step.log);
    assert_eq!(
        inputs_of(&step.runs[0]),
        [
            "--exclude",
            "examples/**",
            "--",
            "infra",
            "shared modules",
            "envs/prod"
        ]
    );
}

#[test]
fn an_empty_path_checks_the_workspace_and_empty_args_add_nothing() {
    let step = run_step(" \n", "");
    assert_eq!(step.code, 0, "{}", step.log);
    assert_eq!(inputs_of(&step.runs[0]), ["--", "."]);
}

#[test]
fn inputs_are_never_run_or_expanded() {
    let step = run_step("$HOME", "$(touch pwned) `touch pwned2` *");
    assert_eq!(step.code, 0, "{}", step.log);
    assert_eq!(
        inputs_of(&step.runs[0]),
        ["$(touch", "pwned)", "`touch", "pwned2`", "*", "--", "$HOME"]
    );
    assert!(!step.dir.path().join("pwned").exists());
    assert!(!step.dir.path().join("pwned2").exists());
}

#[test]
fn an_unmatched_quote_fails_the_step_with_the_input_named() {
    let step = run_step(".", "--exclude 'examples/**");
    assert_eq!(step.code, 2, "{}", step.log);
    assert!(
        step.log
            .contains("input 'args' cannot be split into arguments"),
        "{}",
        step.log
    );
    assert!(step.runs.is_empty(), "plinth must not run: {:?}", step.runs);
}

/// The real binary: the quoted glob excludes (before, the quotes stayed in
/// the glob and it matched nothing), and several paths are all checked.
#[test]
fn a_quoted_exclude_really_excludes_and_several_paths_are_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let output_file = dir.path().join("output");
    let run = |path: &str, args: &str| {
        std::fs::write(&output_file, "").unwrap();
        let output = Command::new("bash")
            .arg(root.join("action/run.sh"))
            .current_dir(root)
            .env("PLINTH", env!("CARGO_BIN_EXE_plinth"))
            .env("INPUT_PATH", path)
            .env("INPUT_FAIL_ON", "never")
            .env("INPUT_ARGS", args)
            .env("INPUT_CONFIG", "")
            .env("INPUT_SARIF_FILE", dir.path().join("plinth.sarif"))
            .env("GITHUB_OUTPUT", &output_file)
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("bash runs");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        std::fs::read_to_string(&output_file).unwrap()
    };
    let all = run("fixtures/demo\nfixtures/PG001/arm/bad", "");
    let demo_only = run("fixtures/demo", "");
    assert_ne!(all, demo_only, "the second path adds findings");
    let excluded = run(
        "fixtures/demo\nfixtures/PG001/arm/bad",
        "--exclude 'fixtures/PG001/**'",
    );
    assert_eq!(
        excluded, demo_only,
        "the quoted glob excludes PG001's folder"
    );
}
