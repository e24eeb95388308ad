//! The Bicep front-end agrees with the ARM one: every `fixtures/*/bicep/<case>`
//! is the Bicep source of `fixtures/*/arm/<case>`, and plinth must read the
//! same resources (type, full name, whether they are certainly deployed)
//! from both, and raise the same findings on the same resources.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

use plinth::Loaded;
use plinth::limits::Limits;
use plinth::model::Truth;
use plinth::source::SourceMap;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Bicep cases with their ARM twins.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for rule in std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .flatten()
    {
        // The demo project is not a pair of twins.
        if rule.file_name() == "demo" {
            continue;
        }
        let Ok(cases) = std::fs::read_dir(rule.path().join("bicep")) else {
            continue;
        };
        for case in cases.flatten().filter(|c| c.path().is_dir()) {
            let arm = rule.path().join("arm").join(case.file_name());
            out.push((case.path(), arm));
        }
    }
    out.sort();
    out
}

/// `(type, name, deployed)` of every resource a load read, sorted.
fn resources(loaded: &Loaded) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = loaded
        .units
        .iter()
        .flat_map(|u| &u.resources)
        // `existing` declarations are how Bicep names what a template path
        // string names in ARM: only what is deployed is compared.
        .filter(|r| r.managed)
        .map(|r| {
            (
                r.rtype.to_ascii_lowercase(),
                r.full_name()
                    .unwrap_or_else(|| "?".into())
                    .to_ascii_lowercase(),
                match r.exists {
                    Truth::True => "yes",
                    Truth::False => "no",
                    Truth::Unknown => "maybe",
                }
                .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn with_extension(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    path.is_file().then_some(path)
}

#[test]
fn bicep_and_its_arm_twin_read_the_same_resources() {
    let pairs = pairs();
    assert!(
        pairs.len() > 200,
        "expected the Bicep fixtures, found {}",
        pairs.len()
    );
    let mut differences = Vec::new();
    for (bicep, arm) in &pairs {
        let sources = SourceMap::new();
        let b = plinth::bicep::load_bicep_input(
            &sources,
            &bicep.join("main.bicep"),
            with_extension(bicep, "main.bicepparam").as_deref(),
            None,
            Limits::default(),
        );
        let a = plinth::frontend::load_json_input(
            &sources,
            &arm.join("main.json"),
            with_extension(arm, "main.parameters.json").as_deref(),
            Limits::default(),
        );
        assert!(
            b.problems.is_empty(),
            "{}: {:?}",
            bicep.display(),
            b.problems
        );
        let (rb, ra) = (resources(&b), resources(&a));
        if rb != ra {
            differences.push(format!(
                "{}\n  bicep: {rb:?}\n  arm:   {ra:?}",
                bicep.display()
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// `(rule, resource type, resource name)` of every finding of `plinth check DIR`.
fn findings(dir: &Path) -> Vec<(String, String, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(["check", "--format", "json"])
        .arg(dir)
        .current_dir(root())
        .output()
        .expect("plinth runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(report["errors"], serde_json::json!([]), "{}", dir.display());
    let mut out: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["resource"]["type"].as_str().unwrap_or("").to_string(),
                f["resource"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn bicep_and_its_arm_twin_raise_the_same_findings() {
    let mut differences = Vec::new();
    for (bicep, arm) in pairs() {
        let (fb, fa) = (findings(&bicep), findings(&arm));
        if fb != fa {
            differences.push(format!(
                "{}\n  bicep: {fb:?}\n  arm:   {fa:?}",
                bicep.display()
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn the_bicep_examples_in_the_rule_docs_parse() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("rules")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let yaml: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for kind in ["bad", "good"] {
            if let Some(code) = yaml["examples"][kind]["bicep"].as_str() {
                if let Err(e) = plinth::bicep::syntax::parse(plinth::source::FileId(0), code) {
                    panic!(
                        "{} ({kind}): {} at {:?}",
                        path.display(),
                        e.message,
                        &code[e.start..]
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} Bicep examples found");
}
