//! Deep input through the real binary: long chains of operators and
//! accesses, which parse into trees as deep as the chain is long, stop with
//! a located error (or simply work) instead of overflowing the stack, and
//! the other files of the run are still checked. The inputs are generated
//! here: 20,000 links each, well past the ~6,000 to ~20,000 that overflowed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/// How many links each hostile chain has.
const LINKS: usize = 20_000;

/// `plinth check --format json .` in `dir`, with the PG001 bad case copied
/// beside the hostile files so the test sees that the run goes on. The exit
/// code is a code, never a signal (a stack overflow aborts) nor 101 (a panic).
fn check(dir: &Path) -> (i32, Value) {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    std::fs::copy(case, dir.join("good-but-findings.json")).expect("copy");
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "--ignore", "PGH", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {:?}\n{stderr}", output.status));
    assert!(matches!(code, 0..=2), "exit code {code}: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}\nstderr: {stderr}"));
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "PG001" && f["file"] == "good-but-findings.json"),
        "the other file is still checked: {report:#}"
    );
    (code, report)
}

/// The one error about `file`: its code, line and column.
fn error_about<'a>(report: &'a Value, file: &str) -> &'a Value {
    let about: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == file)
        .collect();
    assert_eq!(about.len(), 1, "one error about {file}: {report:#}");
    about[0]
}

fn write(dir: &Path, name: &str, text: &str) {
    if let Some(parent) = Path::new(name).parent() {
        std::fs::create_dir_all(dir.join(parent)).expect("mkdir");
    }
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn arm_chains_of_accesses_are_limit_errors_at_the_expression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("property.json", ".b".repeat(LINKS)),
        ("index.json", "[0]".repeat(LINKS)),
        ("key.json", "['b']".repeat(LINKS)),
    ];
    for (file, chain) in &cases {
        write(
            dir.path(),
            file,
            &format!(
                r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0",
  "variables": {{ "a": {{ "b": 1 }} }},
  "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "name": "[variables('a'){chain}]" }} ] }}"#
            ),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "limit-exceeded", "{error:#}");
        assert!(
            error["help"]
                .as_str()
                .expect("help")
                .contains("max_expression_depth"),
            "{error:#}"
        );
        assert_eq!(error["line"], 3, "{error:#}");
    }
}

#[test]
fn arm_chains_within_the_limit_still_evaluate() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 60 accesses deep, under the default depth of 64: the name is known,
    // so the zone's name is checked (an unknown name would stay silent).
    let value =
        "{ \"b\": ".repeat(60) + "\"privatelink.postgres.database.azure.com\"" + &" }".repeat(60);
    write(
        dir.path(),
        "chain.json",
        &format!(
            r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0",
  "variables": {{ "a": {value} }},
  "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
                   "name": "[variables('a'){}]", "location": "global" }} ] }}"#,
            ".b".repeat(60)
        ),
    );
    let (code, report) = check(dir.path());
    assert!(
        report["errors"].as_array().expect("errors").is_empty(),
        "{report:#}"
    );
    assert_eq!(code, 1, "{report:#}");
}

#[test]
fn bicep_chains_of_operators_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("plus.bicep", vec!["1"; LINKS].join(" + ")),
        ("coalesce.bicep", vec!["null"; LINKS].join(" ?? ")),
        ("and.bicep", vec!["true"; LINKS].join(" && ")),
    ];
    for (file, chain) in &cases {
        write(dir.path(), file, &format!("var x = {chain}\n"));
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "parse-error", "{error:#}");
        assert!(
            error["message"]
                .as_str()
                .expect("message")
                .contains("nested too deeply"),
            "{error:#}"
        );
        assert_eq!(error["line"], 1, "{error:#}");
        // Stopped near the start of the chain, not at its end.
        assert!(
            error["column"].as_u64().expect("column") < 2_000,
            "{error:#}"
        );
    }
}

#[test]
fn bicep_chains_of_accesses_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("property.bicep", ".b".repeat(LINKS)),
        ("index.bicep", "[0]".repeat(LINKS)),
        ("nested.bicep", "::b".repeat(LINKS)),
    ];
    for (file, chain) in &cases {
        write(
            dir.path(),
            file,
            &format!("var a = {{}}\nvar x = a{chain}\n"),
        );
    }
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    for (file, _) in &cases {
        let error = error_about(&report, file);
        assert_eq!(error["code"], "parse-error", "{error:#}");
        assert_eq!(error["line"], 2, "{error:#}");
    }
}

#[test]
fn bicep_chains_within_the_limit_still_lower() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 100 operators and 100 accesses: long for real Bicep, under the limit.
    write(
        dir.path(),
        "sum.bicep",
        &format!(
            "var a = {{}}\nvar sum = {}\nvar deep = a{}\noutput o int = sum\n",
            vec!["1"; 100].join(" + "),
            ".?b".repeat(100)
        ),
    );
    let (code, report) = check(dir.path());
    assert!(
        report["errors"].as_array().expect("errors").is_empty(),
        "{report:#}"
    );
    assert_eq!(code, 1, "{report:#}");
}

/// A template with `variables`, `functions` and one zone named `name`.
fn template_with(variables: &Value, functions: &Value, name: &str) -> String {
    serde_json::json!({
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "functions": [{ "namespace": "f", "members": functions }],
        "variables": variables,
        "resources": [{ "type": "Microsoft.Network/privateDnsZones", "name": name }]
    })
    .to_string()
}

/// `[f(f(…x…))]`, `depth` calls of `f` around `x`.
fn wrapped(f: &str, x: &str, depth: usize) -> String {
    format!(
        "[{}{x}{}]",
        format!("{f}(").repeat(depth),
        ")".repeat(depth)
    )
}

/// The error about `file` is a `max_evaluation_depth` hit.
fn evaluation_depth_hit(report: &Value, file: &str) {
    let error = error_about(report, file);
    assert_eq!(error["code"], "limit-exceeded", "{error:#}");
    assert!(
        error["help"]
            .as_str()
            .expect("help")
            .contains("max_evaluation_depth"),
        "{error:#}"
    );
    assert_eq!(error["line"], 1, "{error:#}");
    assert!(error["column"].as_u64().is_some(), "{error:#}");
}

/// 64 variables, each 60 calls around the previous one: every expression
/// and every chain of references is within its own limit (64), but they
/// nest to 3,840 levels when the last one is evaluated.
fn chained_variables() -> String {
    let mut variables = serde_json::Map::new();
    variables.insert("v0".into(), Value::from("z"));
    for i in 1..64 {
        let previous = format!("variables('v{}')", i - 1);
        variables.insert(
            format!("v{i}"),
            wrapped("createArray", &previous, 60).into(),
        );
    }
    template_with(
        &Value::Object(variables),
        &serde_json::json!({}),
        "[string(variables('v63'))]",
    )
}

#[test]
fn arm_evaluation_across_variables_and_functions_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "variables.json", &chained_variables());
    // 60 user functions, each calling the next inside 60 calls.
    let mut functions = serde_json::Map::new();
    for i in 0..60 {
        let inner = if i == 59 {
            "'z'".to_string()
        } else {
            format!("f.g{}()", i + 1)
        };
        functions.insert(
            format!("g{i}"),
            serde_json::json!({ "parameters": [],
                                "output": { "type": "string", "value": wrapped("concat", &inner, 60) } }),
        );
    }
    write(
        dir.path(),
        "functions.json",
        &template_with(
            &serde_json::json!({}),
            &Value::Object(functions),
            "[f.g0()]",
        ),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    evaluation_depth_hit(&report, "variables.json");
    evaluation_depth_hit(&report, "functions.json");
}

#[test]
fn arm_values_cannot_grow_deep_one_step_at_a_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each variable wraps the previous one 60 times, and each is evaluated
    // on its own first (a resource names each in turn), so no evaluation is
    // deep, but the values would be 60,000 deep.
    let n = 1_000;
    let mut variables = serde_json::Map::new();
    variables.insert("v0".into(), Value::from("z"));
    for i in 1..n {
        let previous = format!("variables('v{}')", i - 1);
        variables.insert(
            format!("v{i}"),
            wrapped("createArray", &previous, 60).into(),
        );
    }
    let resources: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({ "type": "Microsoft.Network/privateDnsZones", "name": format!("z{i}"),
                                "properties": { "x": format!("[variables('v{i}')]") } })
        })
        .collect();
    let text = serde_json::json!({ "$schema": SCHEMA, "contentVersion": "1.0.0.0",
                                   "variables": variables, "resources": resources })
    .to_string();
    write(dir.path(), "variables.json", &text);
    // A `reduce` wrapping its accumulator 9,000 times.
    write(
        dir.path(),
        "reduce.json",
        &template_with(
            &serde_json::json!({ "r": "[reduce(range(0, 9000), createArray(), lambda('a', 'i', createArray(lambdaVariables('a'))))]" }),
            &serde_json::json!({}),
            "[string(variables('r'))]",
        ),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    // Growing values also spend the work budget (tests/hostile_budget.rs):
    // whichever limit comes first stops the unit, at a located place.
    depth_or_budget_hit(&report, "variables.json");
    depth_or_budget_hit(&report, "reduce.json");
}

/// At least one located `limit-exceeded` error about `file`, each naming the
/// evaluation depth or the value budget.
fn depth_or_budget_hit(report: &Value, file: &str) {
    let about: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == file)
        .collect();
    assert!(!about.is_empty(), "an error about {file}: {report:#}");
    for error in about {
        assert_eq!(error["code"], "limit-exceeded", "{error:#}");
        let help = error["help"].as_str().expect("help");
        assert!(
            help.contains("max_evaluation_depth") || help.contains("max_value_bytes"),
            "{error:#}"
        );
        assert!(error["line"].as_u64().is_some() && error["column"].as_u64().is_some());
    }
}

/// A `.plinth.yaml` in the checked tree may be the attacker's: the depth
/// limits it sets have ceilings, measured against the units' stacks.
#[test]
fn depth_limits_have_a_ceiling_in_the_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (key, ceiling) in [
        ("max_evaluation_depth", 4096),
        ("max_deployment_depth", 256),
    ] {
        write(
            dir.path(),
            ".plinth.yaml",
            &format!("limits:\n  {key}: 1000000\n"),
        );
        config_refused(
            dir.path(),
            &format!("limits.{key} is 1000000; it can be at most {ceiling}"),
        );
    }
}

fn config_refused(dir: &Path, expected: &str) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "."])
        .output()
        .expect("plinth runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains(expected), "{text}");
}

#[test]
fn policy_chains_in_user_rules_are_located_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("and", vec!["true"; LINKS].join(" and ")),
        ("or", vec!["false"; LINKS].join(" or ")),
        ("plus", format!("1{} > 0", " + 1".repeat(LINKS))),
        (
            "coalesce",
            format!("{} == null", vec!["null"; LINKS].join(" ?? ")),
        ),
        ("field", format!("r{} == null", ".a".repeat(LINKS))),
        ("index", format!("r{} == null", "[0]".repeat(LINKS))),
    ];
    for (name, chain) in &cases {
        write(
            dir.path(),
            &format!("rules-{name}/ORG900.yaml"),
            &format!(
                "id: ORG900\nname: deep-{name}\nseverity: error\ntitle: Deep\n\
                 description: Deep.\nrationale: Deep.\nremediation: Deep.\nhelp: Deep.\n\
                 check:\n  - for: r in resources('Microsoft.Network/privateDnsZones')\n  - where: {chain}\n\
                 report:\n  resource: r\n  at: r.name\n  label: deep\n  message: deep\n"
            ),
        );
    }
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad");
    for (name, _) in &cases {
        let output = Command::cargo_bin("plinth")
            .expect("the plinth binary")
            .current_dir(dir.path())
            .args([
                "check",
                "--format",
                "json",
                "--rules",
                &format!("rules-{name}"),
            ])
            .arg(&bad)
            .output()
            .expect("plinth runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let error = error_about(&report, &format!("rules-{name}/ORG900.yaml"));
        assert_eq!(error["code"], "rule-error", "{error:#}");
        assert!(
            error["message"]
                .as_str()
                .expect("message")
                .contains("nests too deeply"),
            "{error:#}"
        );
        assert_eq!(error["line"], 11, "{error:#}");
        // The built-in rules still ran.
        assert!(
            report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .any(|f| f["rule"] == "PG001"),
            "{report:#}"
        );
    }
}

/// A chain of `links` resources, each named after the one before (`r0` is
/// the Postgres private DNS zone name), and a zone named after the last one
/// with an autoregistering link (DNS001) when its name is known.
fn names_chain(links: usize) -> String {
    let mut text = String::from(
        "resource r0 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {\n  name: 'privatelink.postgres.database.azure.com'\n}\n",
    );
    for i in 1..links {
        let previous = i - 1;
        text.push_str(&format!(
            "resource r{i} 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {{\n  name: r{previous}.name\n}}\n"
        ));
    }
    let last = links - 1;
    text.push_str(&format!(
        r"resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {{
  name: r{last}.name
  location: 'global'
}}
resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {{
  parent: zone
  name: 'link'
  location: 'global'
  properties: {{
    registrationEnabled: true
    virtualNetwork: {{ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v' }}
  }}
}}
"
    ));
    text
}

#[test]
fn bicep_names_that_reach_themselves_are_unknown_not_a_stack_overflow() {
    // Found by fuzzing: `name: privateEndpoint+Name` inside the resource
    // `privateEndpoint` wrote the resource's name inside itself until the
    // stack ran out; so did every name or id reaching its own resource.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "self.bicep",
        r"resource pe 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: pe+Name
  location: 'westeurope'
}
resource a 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: '${b.name}-${b.id}'
}
resource b 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: a.name
  location: a.id
}
resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: zone.name
  location: 'global'
}
resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: link.id
  location: 'global'
  properties: {
    registrationEnabled: true
    virtualNetwork: { id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v' }
  }
}
",
    );
    // A long chain: each name is written out inside the next only so deep.
    write(dir.path(), "long-chain.bicep", &names_chain(LINKS));
    // A short one is followed to its end: the zone's name is known.
    write(dir.path(), "short-chain.bicep", &names_chain(20));
    let (_, report) = check(dir.path());
    // Only the long chain says it stopped: at 32 deep each name costs as
    // much as 32, and the file's budget for written-out names runs out.
    for error in report["errors"].as_array().expect("errors") {
        assert_eq!(error["file"], "long-chain.bicep", "{report:#}");
        assert_eq!(error["code"], "limit-exceeded", "{report:#}");
    }
    let dns001: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "DNS001")
        .map(|f| &f["file"])
        .collect();
    // The zone whose name reaches itself is not known to be Postgres's, and
    // the long chain's end is past the inlining depth: silent, both.
    assert_eq!(dns001, ["short-chain.bicep"], "{report:#}");
}

/// One input (a pre-commit hook's file) is checked on a stack of the units'
/// size, however small the caller's: here a thread of 256 KiB, which
/// evaluating down to `max_evaluation_depth` overflows (the process aborts)
/// unless the check moves to a stack of its own. The depth is then a
/// located limit error, as in a run of many files.
#[test]
fn a_lone_input_is_checked_on_the_units_stack_whatever_the_callers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "variables.json", &chained_variables());
    let path = dir.path().join("variables.json");
    let run = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            plinth::check(&plinth::Options {
                paths: vec![path],
                config: plinth::ConfigChoice::Ignore,
                ..plinth::Options::default()
            })
        })
        .expect("a thread")
        .join()
        .expect("no panic");
    let problems = &run.report.problems;
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let problem = &problems[0];
    assert_eq!(problem.code, plinth::diagnostic::LIMIT_EXCEEDED);
    assert!(
        problem
            .help
            .as_ref()
            .is_some_and(|h| h.contains("max_evaluation_depth")),
        "{problem:#?}"
    );
    assert!(
        problem
            .path
            .as_ref()
            .is_some_and(|p| p.ends_with("variables.json")),
        "{problem:#?}"
    );
}
