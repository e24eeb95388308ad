//! `plinth graph` through the real binary: the demo's chains in each format,
//! the README's diagram kept equal to the real output, unknown parts drawn
//! as unknown, hostile names that cannot break out of a Mermaid or DOT
//! label, and a broken file reported (exit 2) while the others are drawn.
//! Hostile inputs are generated here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

/// `plinth graph --format FORMAT ARGS…` in `dir`: exit code, stdout, stderr.
fn graph(dir: &Path, format: &str, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["graph", "--format", format])
        .args(args)
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_demo_in_mermaid_marks_broken_references_with_their_rules() {
    let (code, stdout, stderr) = graph(root(), "mermaid", &["fixtures/demo"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("flowchart LR\n"), "{stdout}");
    for line in [
        "  subgraph u0[\"fixtures/demo/arm/main.json\"]",
        "    u0n0[\"privateEndpoints pe-psql-shop [PE002]\"]:::finding",
        "    u0n4 ==>|\"zone [PE004]\"| u0n5",
        "    u1n0 ==>|\"subnet [PE006]\"| u1n2",
        "    u2n2[\"? subnetId\"]:::unknown",
        "    u2n0 -.->|\"subnet\"| u2n2",
        "    u3n0 ==>|\"target [PG001]\"| u3n1",
        "    u3n14 ==>|\"zone [DNS009]\"| u3n15",
        "  classDef unknown stroke-dasharray: 5 5",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "no line `{line}` in:\n{stdout}"
        );
    }
}

#[test]
fn the_demo_in_dot_and_json() {
    let (code, dot, _) = graph(root(), "dot", &["fixtures/demo"]);
    assert_eq!(code, 0);
    assert!(
        dot.starts_with("digraph plinth {\n  rankdir=LR;\n"),
        "{dot}"
    );
    assert!(dot.ends_with("  }\n}\n"), "{dot}");
    assert!(dot.contains("    u0n4 -> u0n5 [label=\"zone [PE004]\", color=red, penwidth=2];\n"));
    assert!(dot.contains("    u2n2 [label=\"? subnetId\", style=dashed];\n"));

    let (code, text, _) = graph(root(), "json", &["fixtures/demo"]);
    assert_eq!(code, 0);
    let value: Value = serde_json::from_str(&text).expect("JSON");
    let units = value["units"].as_array().expect("units");
    let labels: Vec<&str> = units.iter().map(|u| u["unit"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "fixtures/demo/arm/main.json",
            "fixtures/demo/bicep/main.bicep",
            "fixtures/demo/bicep/modules/database.bicep",
            "fixtures/demo/terraform",
        ]
    );
    let arm = &units[0];
    assert_eq!(arm["nodes"][0]["kind"], "private-endpoint");
    assert_eq!(arm["nodes"][0]["label"], "privateEndpoints pe-psql-shop");
    let zone_edge = arm["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "zone")
        .expect("a zone edge");
    assert_eq!(zone_edge["rules"], json!(["PE004"]));
    assert_eq!(zone_edge["known"], true);
}

/// The README's diagram is what `plinth graph fixtures/demo` prints.
#[test]
fn the_readme_shows_the_demo_graph() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let marker = "<!-- plinth graph fixtures/demo -->\n```mermaid\n";
    let start = readme.find(marker).expect("the demo graph block") + marker.len();
    let end = start + readme[start..].find("```\n").expect("block end");
    let (_, stdout, _) = graph(root(), "mermaid", &["fixtures/demo"]);
    assert_eq!(
        &readme[start..end],
        stdout,
        "README.md's demo graph is stale"
    );
}

/// An endpoint whose name holds quotes, brackets, a newline, HTML and
/// Mermaid's own entity syntax, whose target is an unknown parameter.
fn hostile_template() -> Value {
    let name = "pe\"]\nclick u0n0 call alert(1)\nx[\"<img src=x onerror=alert(1)>#quot;`|\\l";
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"serverId": {"type": "string"}},
        "resources": [
            {
                "type": "Microsoft.Network/virtualNetworks",
                "apiVersion": "2024-05-01",
                "name": "vnet",
                "properties": {"subnets": [{"name": "snet", "properties": {"addressPrefix": "10.0.0.0/24"}}]}
            },
            {
                "type": "Microsoft.Network/privateEndpoints",
                "apiVersion": "2024-05-01",
                "name": name,
                "properties": {
                    "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"},
                    "privateLinkServiceConnections": [{
                        "name": "c",
                        "properties": {"privateLinkServiceId": "[parameters('serverId')]", "groupIds": ["postgresqlServer"]}
                    }]
                }
            }
        ]
    })
}

#[test]
fn hostile_names_stay_inside_their_mermaid_labels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.json"),
        serde_json::to_string_pretty(&hostile_template()).unwrap(),
    )
    .unwrap();
    let (code, stdout, stderr) = graph(dir.path(), "mermaid", &["."]);
    assert_eq!(code, 0, "{stderr}");
    // Every line is one statement plinth wrote: nothing the name holds
    // starts a line, closes a label or writes HTML.
    let statement = regex::Regex::new(
        r#"^(flowchart LR|  subgraph u\d+\["[^"<>`|\n]*"\]|    u\d+n\d+\["[^"<>`|]*"\](:::(finding|unknown))?|    u\d+n\d+ (-->|-\.->|==>)\|"[^"<>`|]*"\| u\d+n\d+|  end|  classDef .*)$"#,
    )
    .unwrap();
    for line in stdout.lines() {
        assert!(
            statement.is_match(line),
            "unexpected line `{line}` in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("\nclick"), "{stdout}");
    assert!(
        stdout.contains(
            "    u0n0[\"privateEndpoints pe#quot;]\\nclick u0n0 call alert(1)\\nx[#quot;#lt;img src=x onerror=alert(1)#gt;#35;quot;#96;#124;\\l\"]"
        ),
        "{stdout}"
    );
    // The target is a parameter without a value: unknown, shown as written.
    assert!(
        stdout.contains("    u0n1[\"? [parameters('serverId')]\"]:::unknown\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    u0n0 -.->|\"target\"| u0n1\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    u0n0 -->|\"subnet\"| u0n2\n"),
        "{stdout}"
    );
}

#[test]
fn hostile_names_stay_inside_their_dot_strings_and_json_keeps_them_whole() {
    let dir = tempfile::tempdir().unwrap();
    let template = hostile_template();
    std::fs::write(
        dir.path().join("main.json"),
        serde_json::to_string_pretty(&template).unwrap(),
    )
    .unwrap();
    let (code, stdout, _) = graph(dir.path(), "dot", &["."]);
    assert_eq!(code, 0);
    // Inside a quoted DOT string every `"` is escaped and no line breaks.
    let label = regex::Regex::new(r#"^    u0n0 \[label="((?:[^"\\\n]|\\.)*)"\];$"#).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("    u0n0 ["))
        .expect("the endpoint's node");
    let caps = label.captures(line).unwrap_or_else(|| panic!("{line}"));
    assert!(caps[1].contains("\\\\nclick"), "{line}");
    assert!(caps[1].ends_with("\\\\l"), "{line}");
    assert_eq!(stdout.lines().filter(|l| l.contains("click")).count(), 1);

    let (_, text, _) = graph(dir.path(), "json", &["."]);
    let value: Value = serde_json::from_str(&text).expect("JSON");
    let name = template["resources"][1]["name"].as_str().unwrap();
    assert_eq!(
        value["units"][0]["nodes"][0]["label"],
        format!("privateEndpoints {name}")
    );
}

#[test]
fn a_broken_file_is_reported_and_the_others_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.json"),
        serde_json::to_string_pretty(&hostile_template()).unwrap(),
    )
    .unwrap();
    let broken = "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"resources\": [";
    std::fs::write(dir.path().join("broken.json"), broken).unwrap();
    let (code, stdout, stderr) = graph(dir.path(), "mermaid", &["."]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stdout.contains("subgraph u0[\"main.json\"]"), "{stdout}");
}

#[test]
fn a_unit_without_private_endpoints_draws_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut template = hostile_template();
    template["resources"].as_array_mut().unwrap().truncate(1);
    std::fs::write(
        dir.path().join("main.json"),
        serde_json::to_string(&template).unwrap(),
    )
    .unwrap();
    let (code, stdout, _) = graph(dir.path(), "json", &["."]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "{\n  \"units\": []\n}\n");
}

/// `plinth check --format mermaid ARGS…` in `dir`: exit code, stdout, stderr.
fn check_mermaid(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "--format", "mermaid"])
        .args(args)
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The `subgraph` lines of a Mermaid diagram: the units it draws.
fn units(diagram: &str) -> Vec<&str> {
    diagram
        .lines()
        .filter(|l| l.starts_with("  subgraph "))
        .collect()
}

/// `check --format mermaid` (what the Action's job summary shows) draws the
/// units with a finding on their chains, as `plinth graph` draws them, and
/// exits as `check` does.
#[test]
fn check_in_mermaid_draws_only_the_units_with_findings() {
    let (code, all, _) = graph(root(), "mermaid", &["fixtures/demo"]);
    assert_eq!(code, 0);
    let (code, marked, stderr) = check_mermaid(root(), &["fixtures/demo"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(marked.starts_with("flowchart LR\n"), "{marked}");
    // The Bicep module's endpoint has an unknown subnet and no finding.
    let drawn = units(&marked);
    assert_eq!(
        drawn,
        [
            "  subgraph u0[\"fixtures/demo/arm/main.json\"]",
            "  subgraph u1[\"fixtures/demo/bicep/main.bicep\"]",
            "  subgraph u2[\"fixtures/demo/terraform\"]",
        ],
        "{marked}"
    );
    assert_eq!(units(&all).len(), 4, "{all}");
    // Each unit drawn is the graph's own drawing of it.
    let body = |diagram: &str, label: &str| -> Vec<String> {
        let start = diagram.find(label).expect(label);
        let end = start + diagram[start..].find("\n  end\n").expect("end");
        diagram[start..end]
            .lines()
            .skip(1)
            .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).to_string())
            .map(|l| {
                regex::Regex::new(r"u\d+n")
                    .unwrap()
                    .replace_all(&l, "n")
                    .into_owned()
            })
            .collect()
    };
    for label in [
        "fixtures/demo/arm/main.json",
        "fixtures/demo/bicep/main.bicep",
        "fixtures/demo/terraform",
    ] {
        assert_eq!(body(&marked, label), body(&all, label), "{label}");
    }
    assert!(marked.ends_with("  classDef finding stroke:#d1242f,stroke-width:2px\n"));
}

/// A unit with a private endpoint and no finding: nothing is drawn, not
/// even an empty flowchart.
#[test]
fn check_in_mermaid_prints_nothing_without_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.json"),
        serde_json::to_string_pretty(&hostile_template()).unwrap(),
    )
    .unwrap();
    let (code, drawn, _) = graph(dir.path(), "mermaid", &["."]);
    assert_eq!(code, 0);
    assert_eq!(units(&drawn).len(), 1, "{drawn}");
    let (code, stdout, stderr) = check_mermaid(dir.path(), &["."]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
}

/// The picture shows what is reported: a rule the config disables, or that
/// `--ignore` or a baseline leaves out, marks nothing, and a unit left with
/// no finding is not drawn by `check --format mermaid`.
#[test]
fn the_picture_shows_only_reported_findings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plinth.yaml");
    std::fs::write(&config, "rules:\n  disable: [PE004, PE002]\n").unwrap();
    let config = config.to_str().unwrap();

    let (_, before, _) = graph(root(), "mermaid", &["fixtures/demo"]);
    assert!(before.contains("[PE004]"), "{before}");
    assert!(before.contains("[PE002]"), "{before}");
    let (code, after, stderr) = graph(root(), "mermaid", &["--config", config, "fixtures/demo"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!after.contains("PE004"), "{after}");
    assert!(!after.contains("PE002"), "{after}");
    assert!(after.contains("[PE006]"), "{after}");
    // The ARM endpoint's zone edge is drawn, no longer broken.
    assert!(after.contains("    u0n4 -->|\"zone\"| u0n5\n"), "{after}");
    let (code, json, _) = graph(root(), "json", &["--config", config, "fixtures/demo"]);
    assert_eq!(code, 0);
    assert!(!json.contains("PE004") && !json.contains("marks"), "{json}");

    // The ARM template's findings are PE002 and PE004 only.
    let (_, marked, _) = check_mermaid(root(), &["--ignore", "PE002,PE004", "fixtures/demo"]);
    assert!(!marked.contains("fixtures/demo/arm/main.json"), "{marked}");
    assert_eq!(units(&marked).len(), 2, "{marked}");

    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let (code, _, stderr) = check_mermaid(root(), &["--write-baseline", baseline, "fixtures/demo"]);
    assert_eq!(code, 1, "{stderr}");
    let (code, stdout, stderr) = check_mermaid(root(), &["--baseline", baseline, "fixtures/demo"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
}
