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

/// The job summary's Mermaid block: what lies between ```mermaid and ```.
fn summary_diagram(summary: &str) -> Option<&str> {
    let start = summary.find("\n```mermaid\n")? + "\n```mermaid\n".len();
    let end = start + summary[start..].find("```\n")?;
    Some(&summary[start..end])
}

#[test]
fn the_summary_draws_the_chains_of_the_units_with_findings() {
    let step = run_action("fixtures/demo", "warning");
    assert_eq!(step.code, 1, "{}", step.log);
    let diagram = summary_diagram(&step.summary).unwrap_or_else(|| panic!("{}", step.summary));
    let expected = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", "mermaid", "fixtures/demo"])
        .output()
        .expect("plinth runs");
    assert_eq!(diagram, String::from_utf8_lossy(&expected.stdout));
    // The three units with findings; the Bicep module has none.
    let units: Vec<&str> = diagram
        .lines()
        .filter(|l| l.starts_with("  subgraph "))
        .collect();
    assert_eq!(units.len(), 3, "{diagram}");
    assert!(!diagram.contains("database.bicep"), "{diagram}");
    assert!(diagram.contains("==>|\"zone [PE004]\"|"), "{diagram}");
    assert!(!step.summary.contains("not drawn"), "{}", step.summary);
}

#[test]
fn a_clean_run_has_no_diagram() {
    // A private endpoint whose chain is whole: drawn by `plinth graph`,
    // absent from the summary.
    let dir = tempfile::tempdir().expect("tempdir");
    let template = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"serverId": {"type": "string"}},
        "resources": [
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "vnet",
             "properties": {"subnets": [{"name": "snet", "properties": {"addressPrefix": "10.0.0.0/24"}}]}},
            {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01", "name": "pe",
             "properties": {
                "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"},
                "privateLinkServiceConnections": [{"name": "c",
                    "properties": {"privateLinkServiceId": "[parameters('serverId')]", "groupIds": ["postgresqlServer"]}}]}}
        ]
    });
    std::fs::write(dir.path().join("main.json"), template.to_string()).unwrap();
    let graph = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(["graph", "--format", "mermaid"])
        .arg(dir.path())
        .output()
        .expect("plinth runs");
    assert!(String::from_utf8_lossy(&graph.stdout).contains("  subgraph u0["));

    let clean = run_action(dir.path().to_str().unwrap(), "warning");
    assert_eq!(clean.code, 0, "{}", clean.log);
    assert!(clean.outputs.contains("findings=0\n"), "{}", clean.outputs);
    assert!(clean.summary.starts_with("## plinth"), "{}", clean.summary);
    assert!(!clean.summary.contains("mermaid"), "{}", clean.summary);
}

/// Many units with findings: the diagram keeps whole units within 50,000
/// characters and 500 edges (what Mermaid draws by default) and says how
/// many it left out.
#[test]
fn the_summary_diagram_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read(root.join("fixtures/demo/arm/main.json")).unwrap();
    let copies = 120;
    for i in 0..copies {
        let unit = dir.path().join(format!("unit-{i:03}"));
        std::fs::create_dir(&unit).unwrap();
        std::fs::write(unit.join("main.json"), &template).unwrap();
    }
    let step = run_action(dir.path().to_str().unwrap(), "warning");
    assert_eq!(step.code, 1, "{}", step.log);
    let diagram = summary_diagram(&step.summary).unwrap_or_else(|| panic!("{}", step.summary));
    assert!(diagram.len() <= 50_000, "{} bytes", diagram.len());
    assert!(diagram.starts_with("flowchart LR\n"), "{diagram}");
    assert!(diagram.ends_with("stroke-width:2px\n"), "{diagram}");
    let drawn = diagram
        .lines()
        .filter(|l| l.starts_with("  subgraph "))
        .count();
    let ends = diagram.lines().filter(|l| *l == "  end").count();
    assert_eq!(drawn, ends, "whole units only");
    let edges = diagram
        .lines()
        .filter(|l| regex::Regex::new(r"^    u\d+n\d+ ").unwrap().is_match(l))
        .count();
    assert!(edges <= 500, "{edges} edges");
    assert!(drawn > 10 && drawn < copies, "{drawn} units drawn");
    let left = format!(
        "{} more units with findings are not drawn here",
        copies - drawn
    );
    assert!(step.summary.contains(&left), "{}", step.summary);
}

/// The findings table is kept to 500 rows (with the diagram, well under
/// GitHub's 1 MiB a step's summary may hold) and says how many it left out.
#[test]
fn the_summary_table_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Two findings each (PE002, PE004).
    let template = std::fs::read(root.join("fixtures/demo/arm/main.json")).unwrap();
    for i in 0..260 {
        let unit = dir.path().join(format!("unit-{i:03}"));
        std::fs::create_dir(&unit).unwrap();
        std::fs::write(unit.join("main.json"), &template).unwrap();
    }
    let step = run_action(dir.path().to_str().unwrap(), "warning");
    assert_eq!(step.code, 1, "{}", step.log);
    assert!(step.outputs.contains("findings=520"), "{}", step.outputs);
    let rows = step
        .summary
        .lines()
        .filter(|l| l.starts_with("| error |") || l.starts_with("| warning |"))
        .count();
    assert_eq!(rows, 500);
    assert!(
        step.summary
            .contains("20 more findings are not listed here (the table is kept to 500 rows)"),
        "{}",
        step.summary
    );
    assert!(
        step.summary.len() < 1024 * 1024,
        "{} bytes",
        step.summary.len()
    );
}
