//! The GitHub Action's main step (`action/run.sh`), run locally as the runner
//! would: inputs in `INPUT_*`, and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY`
//! pointed at temporary files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::process::Command;

struct Step {
    code: i32,
    log: String,
    outputs: String,
    summary: String,
    sarif: serde_json::Value,
}

fn run_action(path: &str, fail_on: &str) -> Step {
    let dir = tempfile::tempdir().expect("tempdir");
    let output_file = dir.path().join("output");
    let summary_file = dir.path().join("summary");
    let sarif_file = dir.path().join("plinth.sarif");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join("action/run.sh"))
        .current_dir(root)
        .env("PLINTH", env!("CARGO_BIN_EXE_plinth"))
        .env("INPUT_PATH", path)
        .env("INPUT_FAIL_ON", fail_on)
        .env("INPUT_FORMAT", "github")
        .env("INPUT_SARIF_FILE", &sarif_file)
        .env("INPUT_ARGS", "--exclude nothing-matches-this")
        .env("INPUT_CONFIG", "")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .output()
        .expect("bash runs");
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Step {
        code: output.status.code().unwrap_or(-1),
        log: String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
        outputs: read(&output_file),
        summary: read(&summary_file),
        sarif: serde_json::from_str(&read(&sarif_file)).unwrap_or_default(),
    }
}

#[test]
fn the_action_annotates_summarises_and_fails_on_findings() {
    let step = run_action("fixtures/demo", "warning");
    assert_eq!(step.code, 1, "{}", step.log);
    let annotations: Vec<&str> = step.log.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 6, "{}", step.log);
    assert!(
        annotations
            .iter()
            .any(|a| a.starts_with("::error file=fixtures/demo/"))
    );
    assert!(step.outputs.contains("findings=6\n"), "{}", step.outputs);
    assert!(step.outputs.contains("errors=0\n"), "{}", step.outputs);
    assert!(step.outputs.contains("sarif-file="), "{}", step.outputs);
    assert!(step.summary.starts_with("## plinth"), "{}", step.summary);
    for rule in ["PG001", "PE002", "PE004", "PE006", "DNS009"] {
        assert!(
            step.summary.contains(&format!("[{rule}]")),
            "{rule}: {}",
            step.summary
        );
    }
    let results = step.sarif["runs"][0]["results"].as_array().map(Vec::len);
    assert_eq!(results, Some(6));
}

#[test]
fn the_action_passes_when_nothing_reaches_fail_on() {
    let step = run_action("fixtures/demo", "never");
    assert_eq!(step.code, 0, "{}", step.log);
    assert!(step.outputs.contains("findings=6\n"));

    let clean = run_action("fixtures/PGH003/terraform/good", "warning");
    assert_eq!(clean.code, 0, "{}", clean.log);
    assert!(clean.outputs.contains("findings=0\n"), "{}", clean.outputs);
    assert!(!clean.summary.contains("| severity |"), "{}", clean.summary);
}
