//! Output on hostile trees, through the real binary: a finding or error far
//! into a line of a minified template is printed (no panic in the snippet
//! renderer) at the same line and column in every format, and names,
//! paths and values holding newlines or control characters can neither
//! forge a line (a GitHub `::error` workflow command) nor reach the
//! terminal as control bytes. The inputs are generated here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const FORMATS: [&str; 6] = ["human", "compact", "github", "json", "sarif", "junit"];

/// `plinth check --format FORMAT .` in `dir`: exit code, stdout, stderr.
fn check(dir: &Path, format: &str) -> (i32, String, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .args(["check", "--format", format, "."])
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn pg001_bad() -> Value {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    serde_json::from_str(&std::fs::read_to_string(case).expect("fixture")).expect("JSON")
}

/// 1-based character column of byte offset `at` in one-line `text`.
fn column(text: &str, at: usize) -> usize {
    text[..at].chars().count() + 1
}

#[test]
fn findings_and_errors_far_into_a_minified_line_are_printed_at_their_column_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The PG001 bad case minified onto one line, with 70,000 two-byte
    // characters before its resources (so byte and character columns differ).
    let mut template = pg001_bad();
    template["parameters"]["padding"] =
        serde_json::json!({ "type": "string", "defaultValue": "é".repeat(70_000) });
    let minified = serde_json::to_string(&template).expect("JSON");
    assert!(!minified.contains('\n'));
    std::fs::write(dir.path().join("minified.json"), &minified).expect("write");
    let finding_at = column(
        &minified,
        minified.find("\"privateLinkServiceId\"").unwrap(),
    );
    assert!(finding_at > 65_535);
    // A parse error 100,000 characters into a line.
    let broken = format!(
        r#"{{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0","pad":"{}","resources":[{{,}}]}}"#,
        "y".repeat(100_000)
    );
    std::fs::write(dir.path().join("broken.json"), &broken).expect("write");
    let error_at = column(&broken, broken.find("{,}").unwrap() + 1);
    // Another file, whose finding must survive.
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    std::fs::copy(case, dir.path().join("other.json")).expect("copy");

    let finding = format!("minified.json:1:{finding_at}");
    let error = format!("broken.json:1:{error_at}");
    for format in FORMATS {
        let (code, stdout, stderr) = check(dir.path(), format);
        assert_eq!(
            code, 2,
            "{format}: exit 2 for the parse error, not a panic\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        match format {
            "human" | "compact" | "junit" => {
                for place in [&finding, &error, &"other.json:165:15".to_string()] {
                    assert!(stdout.contains(place.as_str()), "{format}: {place}");
                }
            }
            "github" => {
                for place in [
                    format!("file=minified.json,line=1,col={finding_at},"),
                    format!("file=broken.json,line=1,col={error_at},"),
                    "file=other.json,line=165,col=15,".to_string(),
                ] {
                    assert!(stdout.contains(&place), "{format}: {place}");
                }
            }
            "json" => {
                let report: Value = serde_json::from_str(&stdout).expect("JSON");
                let at = |list: &str, file: &str, rule: Option<&str>| {
                    report[list]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|v| v["file"] == file)
                        .filter(|v| rule.is_none_or(|r| v["rule"] == r))
                        .map(|v| (v["line"].as_u64().unwrap(), v["column"].as_u64().unwrap()))
                        .collect::<Vec<_>>()
                };
                let pg001 = Some("PG001");
                assert_eq!(
                    at("findings", "minified.json", pg001),
                    [(1, finding_at as u64)]
                );
                assert_eq!(at("errors", "broken.json", None), [(1, error_at as u64)]);
                assert_eq!(at("findings", "other.json", pg001), [(165, 15)]);
            }
            "sarif" => {
                let log: Value = serde_json::from_str(&stdout).expect("SARIF");
                let columns: Vec<(String, u64)> = log["runs"][0]["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let at = &r["locations"][0]["physicalLocation"];
                        (
                            at["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                            at["region"]["startColumn"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                assert!(
                    columns.contains(&("minified.json".into(), finding_at as u64)),
                    "{columns:?}"
                );
                assert!(columns.contains(&("other.json".into(), 15)), "{columns:?}");
            }
            _ => unreachable!(),
        }
    }
    // The human format shows a window of the long line, not all of it.
    let (_, human, _) = check(dir.path(), "human");
    assert!(human.lines().all(|l| l.chars().count() < 1_000), "{human}");
    assert!(
        human.contains("╰── targets a VNet-integrated server"),
        "{human}"
    );
    assert!(human.contains("╰── Unexpected token in object"), "{human}");
}

/// A folder whose name is a GitHub workflow command.
const FORGED_DIR: &str = "x\n::error file=evil.tf,line=7::FORGED";

/// What is visible of the hostile names in the human and compact formats.
const SHOWN: [&str; 3] = [
    "x\\n::error file=evil.tf,line=7::FORGED/main.json",
    "'x\\u{1b}[31mRED\\u{7}\\u{0}'",
    "bell\\u{7}\\u{1b}[2J.json",
];

#[test]
fn hostile_names_and_values_cannot_forge_lines_or_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forged = dir.path().join(FORGED_DIR);
    std::fs::create_dir(&forged).expect("mkdir");
    // A finding whose message names a private endpoint with ESC, BEL, NUL.
    let mut template = pg001_bad();
    template["variables"]["privateEndpointName"] = Value::String("x\u{1b}[31mRED\u{7}\0".into());
    std::fs::write(
        forged.join("main.json"),
        serde_json::to_string_pretty(&template).unwrap(),
    )
    .expect("write");
    // A file named with BEL and ESC whose parse error points at raw control
    // bytes (shown in the snippet).
    std::fs::write(
        dir.path().join("bell\u{7}\u{1b}[2J.json"),
        "{\"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n\
         \"x\": \"\u{1b}[2J\u{7}\", \"resources\": [{,}]}\n",
    )
    .expect("write");

    for format in FORMATS {
        let (code, stdout, stderr) = check(dir.path(), format);
        assert_eq!(code, 2, "{format}: {stdout}\n{stderr}");
        let raw: Vec<char> = stdout
            .chars()
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
            .collect();
        assert!(raw.is_empty(), "{format}: raw control characters {raw:?}");
        for line in stdout.lines() {
            if format == "github" {
                assert!(
                    ["::error ", "::warning ", "::notice "]
                        .iter()
                        .any(|c| line.starts_with(c))
                        && !line.starts_with("::error file=evil.tf"),
                    "{format}: {line}"
                );
            } else {
                assert!(!line.trim_start().starts_with("::"), "{format}: {line}");
            }
        }
        assert!(stdout.contains("FORGED"), "{format}: the finding is there");
        if format == "human" || format == "compact" {
            for shown in SHOWN {
                assert!(stdout.contains(shown), "{format}: {shown}\n{stdout}");
            }
        }
    }
    let (_, compact, _) = check(dir.path(), "compact");
    assert!(
        compact.contains(" error[PG001] private endpoint 'x\\u{1b}[31mRED"),
        "{compact}"
    );
    let (_, human, _) = check(dir.path(), "human");
    assert!(human.contains(r#""x": "?[2J?", "resources""#), "{human}");
    // The Action's job summary diagram (`--format mermaid`): the finding's
    // chain is drawn, the names cannot leave their labels.
    let (_, mermaid, stderr) = check(dir.path(), "mermaid");
    assert!(mermaid.contains("PG001"), "{mermaid}\n{stderr}");
    assert!(
        !mermaid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t')),
        "{mermaid}"
    );
    assert!(
        mermaid.lines().all(|l| !l.trim_start().starts_with("::")),
        "{mermaid}"
    );
}

/// `--show-unknown` quotes the source where an endpoint's chain stops: a
/// control character written there is escaped, never printed.
#[test]
fn show_unknown_notes_escape_the_source_they_quote() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        "variable \"y\" {}\n\
         resource \"azurerm_private_endpoint\" \"pe\" {\n  name = \"pe\"\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  \
         subnet_id = \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s\"\n  \
         private_service_connection {\n    name = \"c\"\n    private_connection_resource_id = \"\u{1b}[31mred${var.y}\"\n    is_manual_connection = false\n  }\n}\n",
    )
    .expect("write");
    for format in ["human", "compact"] {
        let output = Command::cargo_bin("plinth")
            .expect("the plinth binary")
            .args(["check", "--no-config", "--show-unknown", "--format", format])
            .arg(dir.path())
            .output()
            .expect("plinth runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("its target is not known"),
            "{format}: {stdout}"
        );
        assert!(!stdout.contains('\u{1b}'), "{format}: {stdout:?}");
    }
}
