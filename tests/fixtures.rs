//! Runs the `plinth` CLI over every rule fixture.
//!
//! Layout: `fixtures/<RULE>/<arm|bicep|terraform>/<case>/`. A case named `bad…` must
//! raise that rule and nothing else; `good…` and `unknown…` cases must raise
//! nothing at all — except the rules a case's `ALSO` file names, which must
//! fire too. Every rule must have `bad`, `good`, `unknown` and
//! `bad-split` cases in every front-end it applies to. The human and JSON renderings of
//! every case are snapshots (`tests/snapshots/`), so any change in what a
//! user sees is a reviewable diff.
//!
//! Through the real CLI, in-process: each case runs `plinth::cli::run`, which
//! is the binary's own code from the parsed arguments on (`src/bin/plinth.rs`
//! is `plinth::cli::main`, which parses the process's arguments and calls
//! the same `execute`): argument parsing, the config, rule selection, the
//! pipeline, rendering and the exit code. Only the streams are buffers and
//! the terminal is fixed (not a terminal, `NO_COLOR=1`, `COLUMNS=100`), as
//! the process-per-case harness fixed them. The cases run once, in parallel
//! (a thread per core), and every test here reads those runs. That the
//! binary prints the same is checked, not assumed:
//! `the_binary_prints_what_the_in_process_run_prints` spawns the real
//! `plinth` for a sample of cases (every front-end, every kind of case) and
//! requires its exit code, stdout and stderr to equal the in-process run's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

const FRONT_ENDS: [&str; 3] = ["arm", "bicep", "terraform"];
const REQUIRED_CASES: [&str; 4] = ["bad", "good", "unknown", "bad-split"];

/// A run's exit code, stdout and stderr.
type Output = (i32, String, String);

/// `plinth ARGS` in-process, from the crate's root (cargo runs tests there;
/// the fixtures' paths, and so the output, are relative to it).
fn plinth(args: &[&str]) -> Output {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let var = |name: &str| match name {
        "NO_COLOR" => Some("1".to_string()),
        "COLUMNS" => Some("100".to_string()),
        _ => None,
    };
    let mut io = plinth::cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
        terminal: false,
        var: &var,
        exiting: false,
    };
    let argv = std::iter::once("plinth").chain(args.iter().copied());
    // A panic is a failed case (the binary would exit 101), not a lost run.
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        i32::from(plinth::cli::run(argv, &mut io))
    }))
    .unwrap_or(101);
    (
        code,
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `plinth ARGS` as a process: the real binary, for the comparison.
fn plinth_process(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("the plinth binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Other rules a case is written to raise too, from its optional `ALSO`
/// file (rule ids separated by whitespace; `#` starts a comment). A fixture
/// for one rule is a realistic template, and a realistic template may well
/// show a second problem; `ALSO` makes that explicit instead of tolerated.
fn also(dir: &Path) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("ALSO");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect()
}

/// `plinth check` of one case. The PostgreSQL hygiene rules (PGH) judge
/// every server's settings; the networking fixtures leave those at their
/// defaults, so PGH is checked in its own fixtures only — where, being
/// opt-in, it must be selected (with every other rule, as before).
fn check_args<'a>(rule: &str, dir: &'a str, format: &'a str) -> Vec<&'a str> {
    let mut args = vec!["check", "--format", format, dir];
    if rule.starts_with("PGH") {
        args.extend(["--select", "ALL"]);
    } else {
        args.extend(["--ignore", "PGH"]);
    }
    args
}

/// Every built-in rule with the inputs it applies to (`arm`, `terraform`).
fn builtin_rules() -> Vec<(String, Vec<String>)> {
    let (code, stdout, stderr) = plinth(&["rules", "--format", "json"]);
    assert_eq!(code, 0, "plinth rules failed: {stderr}");
    let rules: serde_json::Value = serde_json::from_str(&stdout).expect("rules JSON");
    rules
        .as_array()
        .expect("a list of rules")
        .iter()
        .map(|r| {
            let inputs = r["inputs"]
                .as_array()
                .expect("inputs")
                .iter()
                .map(|i| i.as_str().expect("an input").to_string())
                .collect();
            (r["id"].as_str().expect("an id").to_string(), inputs)
        })
        .collect()
}

fn cases() -> Vec<(String, String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut cases = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/").flatten() {
        let rule_id = rule.file_name().to_string_lossy().into_owned();
        if !rule.path().is_dir() || rule_id == "demo" {
            continue;
        }
        for front_end in FRONT_ENDS {
            let Ok(entries) = std::fs::read_dir(rule.path().join(front_end)) else {
                continue;
            };
            for case in entries.flatten().filter(|c| c.path().is_dir()) {
                let relative = case
                    .path()
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .expect("inside the crate")
                    .to_path_buf();
                cases.push((
                    rule_id.clone(),
                    case.file_name().to_string_lossy().into_owned(),
                    relative,
                ));
            }
        }
    }
    cases.sort();
    cases
}

#[test]
fn every_rule_has_the_required_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut missing = Vec::new();
    for (rule, inputs) in builtin_rules() {
        // A rule about one language's own syntax needs that front-end's only.
        for front_end in FRONT_ENDS.iter().filter(|f| inputs.iter().any(|i| i == *f)) {
            for case in REQUIRED_CASES {
                let dir = root.join(&rule).join(front_end).join(case);
                if !dir.is_dir() {
                    missing.push(format!("fixtures/{rule}/{front_end}/{case}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing fixtures:\n{}",
        missing.join("\n")
    );
}

/// One fixture case and what `plinth check` printed for it.
struct CaseRun {
    rule: String,
    case: String,
    dir: PathBuf,
    /// `dir` as given on the command line (forward slashes).
    dir_text: String,
    json: Output,
    human: Output,
}

/// Every case checked once, JSON and human, on a thread per core; in
/// `cases()` order whatever order they finished in.
fn runs() -> &'static [CaseRun] {
    static RUNS: OnceLock<Vec<CaseRun>> = OnceLock::new();
    RUNS.get_or_init(|| {
        assert_eq!(
            std::env::current_dir().expect("a current folder"),
            Path::new(env!("CARGO_MANIFEST_DIR")),
            "the fixture runs read paths relative to the crate's root"
        );
        let cases = cases();
        let next = AtomicUsize::new(0);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut runs: Vec<(usize, CaseRun)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    std::thread::Builder::new()
                        // The binary's main thread's stack.
                        .stack_size(8 * 1024 * 1024)
                        .spawn_scoped(scope, || {
                            let mut done = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some((rule, case, dir)) = cases.get(i) else {
                                    return done;
                                };
                                let dir_text = dir.to_string_lossy().replace('\\', "/");
                                let json = plinth(&check_args(rule, &dir_text, "json"));
                                let human = plinth(&check_args(rule, &dir_text, "human"));
                                done.push((
                                    i,
                                    CaseRun {
                                        rule: rule.clone(),
                                        case: case.clone(),
                                        dir: dir.clone(),
                                        dir_text,
                                        json,
                                        human,
                                    },
                                ));
                            }
                        })
                        .expect("a worker thread")
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a worker"))
                .collect()
        });
        runs.sort_by_key(|(i, _)| *i);
        runs.into_iter().map(|(_, run)| run).collect()
    })
}

#[test]
fn fixtures_fire_exactly_where_they_should() {
    let mut failures = Vec::new();
    let runs = runs();
    assert!(!runs.is_empty(), "no fixtures found");
    for run in runs {
        let CaseRun {
            rule,
            case,
            dir,
            dir_text,
            ..
        } = run;
        let (code, stdout, stderr) = &run.json;
        let code = *code;
        let report: serde_json::Value = match serde_json::from_str(stdout) {
            Ok(report) => report,
            Err(err) => {
                failures.push(format!(
                    "{dir_text}: output is not JSON ({err}); stderr: {stderr}"
                ));
                continue;
            }
        };
        let errors = report["errors"].as_array().map(Vec::len).unwrap_or(0);
        if errors > 0 {
            failures.push(format!("{dir_text}: run errors {}", report["errors"]));
            continue;
        }
        let findings: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let fired: BTreeSet<String> = findings
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .map(str::to_string)
            .collect();
        let mut expected = also(dir);
        if expected.contains(rule) {
            failures.push(format!("{dir_text}: ALSO names the rule under test"));
            continue;
        }
        if case.starts_with("bad") {
            expected.insert(rule.clone());
        }
        if fired != expected {
            failures.push(format!(
                "{dir_text}: expected exactly {expected:?} to fire, got {fired:?}"
            ));
            continue;
        }
        // The default fail_on is warning.
        let failing = findings
            .iter()
            .any(|f| matches!(f["severity"].as_str(), Some("error" | "warning")));
        if code != i32::from(failing) {
            failures.push(format!(
                "{dir_text}: exit code {code}, expected {}",
                i32::from(failing)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture cases failed:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
}

#[test]
fn fixture_output_snapshots() {
    for run in runs() {
        let name = run
            .dir_text
            .trim_start_matches("fixtures/")
            .replace('/', "__");
        insta::assert_snapshot!(format!("{name}__human"), run.human.1);
        insta::assert_snapshot!(format!("{name}__json"), run.json.1);
    }
}

/// The in-process runs stand for the binary's: for a sample of cases —
/// each front-end's `bad`, `bad-split`, `good` and `unknown` case of the
/// first rule that has them, and every 50th case besides — the real
/// `plinth` process prints the same, byte for byte, with the same exit
/// code. So is `plinth rules`, which `every_rule_has_the_required_fixtures`
/// reads in-process.
#[test]
fn the_binary_prints_what_the_in_process_run_prints() {
    let runs = runs();
    let mut sample: Vec<&CaseRun> = Vec::new();
    for front_end in FRONT_ENDS {
        for case in REQUIRED_CASES {
            let first = runs
                .iter()
                .find(|r| r.case == case && r.dir.parent().is_some_and(|p| p.ends_with(front_end)));
            sample.extend(first);
        }
    }
    sample.extend(runs.iter().step_by(50));
    assert!(sample.len() >= 12, "too small a sample: {}", sample.len());
    let mut differences = Vec::new();
    for run in sample {
        for (format, in_process) in [("json", &run.json), ("human", &run.human)] {
            let process = plinth_process(&check_args(&run.rule, &run.dir_text, format));
            if &process != in_process {
                differences.push(format!(
                    "{} --format {format}: the binary gave {process:?}, in-process {in_process:?}",
                    run.dir_text
                ));
            }
        }
    }
    let args = ["rules", "--format", "json"];
    assert_eq!(plinth_process(&args), plinth(&args), "plinth rules");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
