//! The work budget through the real binary, under a memory cap: inputs of a
//! few kilobytes whose loops, fan-out or doubling would need more memory
//! than any machine has stop with a `limit-exceeded` error naming the
//! budget's key, at the place it ran out (exit code 2), and the other files
//! of the run are still checked. Each per-loop limit holds in these inputs;
//! only the budget, counted over the whole unit, stops them. The inputs are
//! generated here: they are hostile and repetitive.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/// The address space the binary may use: far below what any of these
/// inputs would take without the budget, well above what the defaults
/// allow a unit.
const MEMORY_CAP: u64 = 2 * 1024 * 1024 * 1024;

/// Every case must also end quickly: the budget bounds time too.
const TIME_CAP: Duration = Duration::from_secs(60);

/// `plinth check --format json` in `dir` under `MEMORY_CAP` (through
/// `prlimit --as`), with the PG001 bad case copied beside the hostile files
/// so the test sees that the run goes on.
fn check(dir: &Path) -> (i32, Value) {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PG001/arm/bad/main.json");
    std::fs::copy(case, dir.join("good-but-findings.json")).expect("copy");
    let plinth = assert_cmd::cargo::cargo_bin("plinth");
    let started = Instant::now();
    let output = Command::new("prlimit")
        .arg(format!("--as={MEMORY_CAP}"))
        .arg(plinth)
        .current_dir(dir)
        .args(["check", "--ignore", "PGH", "--format", "json", "."])
        .output()
        .expect("prlimit runs plinth");
    let took = started.elapsed();
    assert!(took < TIME_CAP, "took {took:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}), exit {:?}: {stdout}\nstderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "PG001" && f["file"] == "good-but-findings.json"),
        "the other file is still checked: {report:#}"
    );
    (output.status.code().unwrap_or(-1), report)
}

/// The one error about `file`: a limit hit naming `key`.
fn budget_hit<'a>(report: &'a Value, file: &str, key: &str) -> &'a Value {
    let about: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == file)
        .collect();
    assert_eq!(about.len(), 1, "one error about {file}: {report:#}");
    let error = about[0];
    assert_eq!(error["code"], "limit-exceeded", "{error:#}");
    let text = format!("{} {}", error["message"], error["help"]);
    assert!(text.contains(key), "names {key}: {error:#}");
    assert!(error["line"].as_u64().is_some(), "located: {error:#}");
    error
}

/// The errors of the run: each a located limit hit naming `key`, in one of
/// `files` (a module folder is checked as its own unit too, and each unit
/// has its own budget), at least one.
fn budget_hits<'a>(report: &'a Value, files: &[&str], key: &str) -> Vec<&'a Value> {
    let errors: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .collect();
    assert!(!errors.is_empty(), "{report:#}");
    for error in &errors {
        assert_eq!(error["code"], "limit-exceeded", "{error:#}");
        assert!(
            files.iter().any(|f| error["file"] == *f),
            "in {files:?}: {error:#}"
        );
        let text = format!("{} {}", error["message"], error["help"]);
        assert!(text.contains(key), "names {key}: {error:#}");
        assert!(error["line"].as_u64().is_some(), "located: {error:#}");
    }
    errors
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn template(sections: &str) -> String {
    format!(r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0", {sections} }}"#)
}

/// A resource whose property reads `expression`: what makes it evaluated.
fn zone_reading(expression: &str) -> String {
    format!(
        r#""resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
             "name": "z", "location": "global", "properties": {{ "x": "{expression}" }} }} ]"#
    )
}

#[test]
fn arm_variables_doubling_each_other_stop_at_the_value_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut variables = vec![r#""v0": [1, 2, 3, 4]"#.to_string()];
    for i in 1..=60 {
        let previous = i - 1;
        variables.push(format!(
            r#""v{i}": "[concat(variables('v{previous}'), variables('v{previous}'))]""#
        ));
    }
    let text = template(&format!(
        "\"variables\": {{\n{}\n}},\n{}",
        variables.join(",\n"),
        zone_reading("[variables('v60')]")
    ));
    write(dir.path(), "doubling.json", &text);
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = budget_hit(&report, "doubling.json", "max_value_bytes");
    // Where it ran out: one of the doubling variables, not the first.
    let line = error["line"].as_u64().expect("line");
    assert!((3..=63).contains(&line), "{error:#}");
}

#[test]
fn arm_doubling_through_reduce_stops_at_the_value_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doubling = "[reduce(range(0, 60), createArray(1, 2), lambda('acc', 'i', \
                    concat(lambdaVariables('acc'), lambdaVariables('acc'))))]";
    write(
        dir.path(),
        "reduce.json",
        &template(&zone_reading(doubling)),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    budget_hit(&report, "reduce.json", "max_value_bytes");
}

#[test]
fn arm_self_calling_user_function_stops_at_the_value_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `x.grow(n)` calls itself twice with n - 1, down to 0: 2^60 calls, and
    // a result of 2^60 elements, within the call depth of 64.
    let body = "[if(equals(parameters('n'), 0), createArray(1), \
                concat(x.grow(sub(parameters('n'), 1)), x.grow(sub(parameters('n'), 1))))]";
    let functions = format!(
        r#""functions": [ {{ "namespace": "x", "members": {{ "grow": {{
             "parameters": [ {{ "name": "n", "type": "int" }} ],
             "output": {{ "type": "array", "value": "{body}" }} }} }} }} ]"#
    );
    write(
        dir.path(),
        "function.json",
        &template(&format!("{functions},\n{}", zone_reading("[x.grow(60)]"))),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    budget_hit(&report, "function.json", "max_value_bytes");
}

/// A nested deployment copied `count` times, whose inner template holds
/// `inner`.
fn copied_deployment(count: usize, inner: &str) -> String {
    format!(
        r#"{{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
             "name": "[concat('d', copyIndex())]",
             "copy": {{ "name": "d", "count": {count} }},
             "properties": {{ "mode": "Incremental",
               "expressionEvaluationOptions": {{ "scope": "inner" }},
               "template": {{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0",
                 "resources": [ {inner} ] }} }} }}"#
    )
}

#[test]
fn arm_copies_800_by_800_by_800_through_nested_deployments_stop_at_the_instance_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zones = r#"{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
                     "name": "[concat('z', copyIndex())]", "location": "global",
                     "copy": { "name": "z", "count": 800 } }"#;
    let text = template(&format!(
        "\"resources\": [ {} ]",
        copied_deployment(800, &copied_deployment(800, zones))
    ));
    write(dir.path(), "copies.json", &text);
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    budget_hit(&report, "copies.json", "max_instances");
}

const ZONE_TF: &str = "resource \"azurerm_private_dns_zone\" \"z\" {\n  name = \"privatelink.postgres.database.azure.com\"\n  resource_group_name = \"rg\"\n}\n";

#[test]
fn terraform_nested_for_1000_cubed_stops_at_the_value_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "tf/main.tf",
        "locals {\n  r = range(1000)\n  cube = [for a in local.r : [for b in local.r : [for c in local.r : c]]]\n}\n\
         resource \"azurerm_private_dns_zone\" \"z\" {\n  name = length(local.cube) > 0 ? \"a\" : \"b\"\n  resource_group_name = \"rg\"\n}\n",
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = budget_hit(&report, "tf/main.tf", "max_value_bytes");
    assert_eq!(error["line"], 3, "{error:#}");
}

#[test]
fn terraform_module_count_800_by_800_by_800_stops_at_the_instance_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "tf/main.tf",
        "module \"a\" {\n  source = \"./a\"\n  count = 800\n}\n",
    );
    write(
        dir.path(),
        "tf/a/main.tf",
        "module \"b\" {\n  source = \"../b\"\n  count = 800\n}\n",
    );
    write(
        dir.path(),
        "tf/b/main.tf",
        &ZONE_TF.replace("{\n", "{\n  count = 800\n"),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    // The hit is where the count ran out: b's, in the units of the root
    // and of a (b alone makes 800).
    for error in budget_hits(&report, &["tf/b/main.tf"], "max_instances") {
        assert_eq!(error["line"], 2, "{error:#}");
    }
}

#[test]
fn terraform_module_diamond_stops_at_the_module_call_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nine folders, each calling the next ten times: 10^8 calls, no count.
    for level in 0..8 {
        let calls: String = (0..10)
            .map(|i| format!("module \"m{i}\" {{\n  source = \"../m{}\"\n}}\n", level + 1))
            .collect();
        write(dir.path(), &format!("tf/m{level}/main.tf"), &calls);
    }
    write(dir.path(), "tf/m8/main.tf", ZONE_TF);
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let files: Vec<String> = (0..9).map(|l| format!("tf/m{l}/main.tf")).collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    budget_hits(&report, &files, "max_module_calls");
}

#[test]
fn bicep_strings_doubling_through_interpolation_stop_at_the_value_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("var s0 = 'abcdefgh'\n");
    for i in 1..=60 {
        let previous = i - 1;
        text.push_str(&format!("var s{i} = '${{s{previous}}}${{s{previous}}}'\n"));
    }
    text.push_str(
        "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: 'z'\n  location: 'global'\n  tags: {\n    x: s60\n  }\n}\n",
    );
    write(dir.path(), "strings.bicep", &text);
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = budget_hit(&report, "strings.bicep", "max_value_bytes");
    let line = error["line"].as_u64().expect("line");
    assert!((2..=61).contains(&line), "{error:#}");
}

#[test]
fn bicep_module_loops_fanning_out_stop_at_the_instance_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let module_loop = |file: &str| {
        format!("module m '{file}' = [for i in range(0, 800): {{\n  name: 'm${{i}}'\n}}]\n")
    };
    write(dir.path(), "main.bicep", &module_loop("one.bicep"));
    write(dir.path(), "one.bicep", &module_loop("two.bicep"));
    write(
        dir.path(),
        "two.bicep",
        "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = [for i in range(0, 800): {\n  name: 'z${i}'\n  location: 'global'\n}]\n",
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    budget_hits(
        &report,
        &["main.bicep", "one.bicep", "two.bicep"],
        "max_instances",
    );
    // Where the count ran out: the resource loop of the innermost module.
    assert!(
        report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["file"] == "two.bicep" && e["line"] == 1),
        "{report:#}"
    );
}

#[test]
fn bicep_loop_over_a_hundred_million_hits_the_copy_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "range.bicep",
        "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = [for i in range(0, 100000000): {\n  name: 'z${i}'\n  location: 'global'\n}]\n",
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = budget_hit(&report, "range.bicep", "max_copies");
    assert_eq!(error["line"], 1, "{error:#}");
}

#[test]
fn a_full_copy_loop_over_a_long_parameter_stays_within_the_default_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    // ARM's largest loop (800) over an 800-element array of objects, each
    // element read three times: far more than real templates do.
    let items: Vec<String> = (0..800)
        .map(|i| format!(r#"{{ "name": "zone{i}.example.com", "tag": "t{i}", "n": {i} }}"#))
        .collect();
    let text = template(&format!(
        r#""parameters": {{ "zones": {{ "type": "array", "defaultValue": [ {} ] }} }},
           "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
             "name": "[parameters('zones')[copyIndex()].name]", "location": "global",
             "copy": {{ "name": "z", "count": "[length(parameters('zones'))]" }},
             "tags": {{ "t": "[parameters('zones')[copyIndex()].tag]",
                        "n": "[string(parameters('zones')[copyIndex()].n)]" }} }} ]"#,
        items.join(",\n")
    ));
    write(dir.path(), "zones.json", &text);
    let (code, report) = check(dir.path());
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    assert_eq!(code, 1, "findings only in the other file");
    assert!(report["summary"]["resources"].as_u64().expect("resources") >= 800);
}

#[test]
fn the_budget_follows_the_configured_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".plinth.yaml",
        "limits:\n  max_module_calls: 5\n  max_instances: 100\n",
    );
    // Six calls of a module, each with 10 zones: the sixth call is one too
    // many; 101 zones in another module are one instance too many.
    let calls: String = (0..6)
        .map(|i| format!("module \"m{i}\" {{\n  source = \"../zones\"\n}}\n"))
        .collect();
    write(dir.path(), "tf/calls/main.tf", &calls);
    write(
        dir.path(),
        "tf/zones/main.tf",
        &ZONE_TF.replace("{\n", "{\n  count = 10\n"),
    );
    write(
        dir.path(),
        "tf/many/main.tf",
        &ZONE_TF.replace("{\n", "{\n  count = 101\n"),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2);
    let error = budget_hit(&report, "tf/calls/main.tf", "max_module_calls");
    assert_eq!(error["line"], 16, "the sixth call: {error:#}");
    let error = budget_hit(&report, "tf/many/main.tf", "max_instances");
    assert_eq!(error["line"], 2, "{error:#}");
}

#[test]
fn bicep_loop_items_doubling_through_nested_loops_stop_at_the_lowering_budget() {
    // Each loop's source reads the enclosing loop's item twice; the item is
    // written out where it is read, so its text doubled at every level:
    // 30 levels took 16 GB in a minute before the lowering budgeted it.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut body = String::from("a30");
    for i in (1..=30).rev() {
        let outer = i - 1;
        body = format!("[for a{i} in concat([a{outer}], [a{outer}]): {body}]");
    }
    write(
        dir.path(),
        "loops.bicep",
        &format!(
            "var x = [for a0 in ['q']: {body}]\nresource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {{\n  name: 'z'\n  location: 'global'\n  tags: {{\n    x: string(x)\n  }}\n}}\n"
        ),
    );
    let (code, report) = check(dir.path());
    assert_eq!(code, 2, "{report:#}");
    let errors: Vec<&Value> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["file"] == "loops.bicep")
        .collect();
    assert!(
        errors.iter().any(|e| e["code"] == "limit-exceeded"
            && e["message"].as_str().is_some_and(|m| m.contains("KiB"))),
        "{report:#}"
    );
    assert!(
        errors.iter().all(|e| e["line"].as_u64().is_some()),
        "{report:#}"
    );
}
