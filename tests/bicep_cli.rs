//! Bicep through the real command line: what a user sees when plinth meets
//! `.bicep` files, their parameter files, their compiled twins, their
//! modules, suppression comments and broken source.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn check_json(args: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", "--format", "json", "--ignore", "PGH"])
        .args(args)
        .output()
        .expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    (output.status.code().unwrap_or(-1), report)
}

fn fired(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = f["file"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            (f["rule"].as_str().unwrap_or("").to_string(), file)
        })
        .collect();
    out.sort();
    out
}

fn copy_dir(from: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
    for entry in walk(&from) {
        let target = to.join(entry.strip_prefix(&from).expect("inside"));
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(&entry, target).expect("copy");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

fn text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

#[test]
fn a_finding_in_bicep_points_at_the_bicep_line() {
    let (code, report) = check_json(&["fixtures/PE004/bicep/bad"]);
    assert_eq!(code, 1, "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "PE004");
    assert_eq!(finding["file"], "fixtures/PE004/bicep/bad/main.bicep");
    let source = text(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        "fixtures/PE004/bicep/bad/main.bicep",
    );
    let line = source
        .lines()
        .nth(finding["line"].as_u64().expect("a line") as usize - 1)
        .expect("the line");
    assert!(line.contains("privateDnsZoneId"), "{line}");
    // The zone's declaration and the variable that named it are related labels.
    let related: Vec<&str> = finding["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["message"].as_str())
        .collect();
    assert!(
        related.iter().any(|m| m.contains("privateDnsZoneName")),
        "{related:?}"
    );
}

#[test]
fn the_compiled_json_beside_the_bicep_is_skipped_and_said_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PE004/bicep/bad", dir.path());
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/PE004/arm/bad/main.json"),
        dir.path().join("main.json"),
    )
    .expect("copy");
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
    let skipped = report["summary"]["compiled_skipped"]
        .as_array()
        .expect("listed");
    assert!(
        skipped[0]
            .as_str()
            .is_some_and(|s| s.ends_with("main.json")),
        "{skipped:?}"
    );
    // Named explicitly, the JSON is checked all the same.
    let json = dir.path().join("main.json").to_string_lossy().into_owned();
    let (_, report) = check_json(&[&json]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.json".to_string())]
    );
}

#[test]
fn a_suppression_comment_in_bicep_is_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PE004/bicep/bad", dir.path());
    let source = text(dir.path(), "main.bicep").replace(
        "privateDnsZoneId: resourceId",
        "// plinth:ignore PE004 the legacy zone is migrated in Q3\n          privateDnsZoneId: resourceId",
    );
    std::fs::write(dir.path().join("main.bicep"), source).expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
    assert_eq!(code, 0);
}

/// A module checked on its own and deployed by two callers: three units
/// that read it, most often sharing one reading of it and one lowered
/// template (issue #20).
fn module_and_two_callers(dir: &Path, ignore: bool) {
    copy_dir("fixtures/PE004/bicep/bad", &dir.join("zone"));
    if ignore {
        let source = text(&dir.join("zone"), "main.bicep").replace(
            "privateDnsZoneId: resourceId",
            "// plinth:ignore PE004 the legacy zone is migrated in Q3\n          privateDnsZoneId: resourceId",
        );
        std::fs::write(dir.join("zone/main.bicep"), source).expect("write");
    }
    for caller in ["a", "b"] {
        std::fs::write(
            dir.join(format!("{caller}.bicep")),
            format!("module z './zone/main.bicep' = {{\n  name: '{caller}'\n}}\n"),
        )
        .expect("write");
    }
}

#[test]
fn a_module_shared_by_units_is_reported_once_at_its_line_and_its_suppressions_hold() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().expect("tempdir");
        module_and_two_callers(dir.path(), false);
        let path = dir.path().to_string_lossy().into_owned();
        let (code, report) = check_json(&[&path]);
        assert_eq!(code, 1, "{report:#}");
        // Once, though three units raise it at the same place.
        assert_eq!(
            fired(&report),
            vec![("PE004".to_string(), "main.bicep".to_string())],
            "{report:#}"
        );
        let finding = &report["findings"][0];
        let source = text(dir.path(), "zone/main.bicep");
        let line = source
            .lines()
            .nth(finding["line"].as_u64().expect("a line") as usize - 1)
            .expect("the line");
        assert!(line.contains("privateDnsZoneId"), "{line}");

        let dir = tempfile::tempdir().expect("tempdir");
        module_and_two_callers(dir.path(), true);
        let path = dir.path().to_string_lossy().into_owned();
        let (code, report) = check_json(&[&path]);
        assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn a_bicepparam_file_binds_the_parameters_and_can_be_named_for_its_template() {
    // The zone name comes from the parameter file: wrong there, silent without.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PE004/bicep/bad-parameter-file", dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
    assert!(
        report["summary"]["parameter_files"][0]["parameters"]
            .as_str()
            .is_some_and(|p| p.ends_with("main.bicepparam"))
    );
    // pre-commit passes only the changed file: the parameter file stands for its template.
    let params = dir
        .path()
        .join("main.bicepparam")
        .to_string_lossy()
        .into_owned();
    let (_, report) = check_json(&[&params]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
    // Named beside the folder that holds its template: one input, checked
    // once (the inputs are settled again when a parameter file brings in
    // its template).
    let (_, report) = check_json(&[&path, &params]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
    assert_eq!(report["summary"]["units"], 1, "{report:#}");
    std::fs::remove_file(dir.path().join("main.bicepparam")).expect("remove");
    let (_, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new());
}

#[test]
fn a_parameter_file_the_walk_leaves_out_binds_nothing() {
    // Bound, the zone name in the parameter file is wrong (PE004); left
    // out by the walk, the template is checked without it: silent.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PE004/bicep/bad-parameter-file", dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    std::fs::write(dir.path().join(".gitignore"), "*.bicepparam\n").expect("write");
    let (_, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
    assert!(report["summary"]["parameter_files"].is_null(), "{report:#}");
    std::fs::remove_file(dir.path().join(".gitignore")).expect("remove");
    let (_, report) = check_json(&[&path, "--exclude", "*.bicepparam"]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
    // Read by the walk, it binds.
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
    // A template named on its own has its folder listed, ignore files or not.
    std::fs::write(dir.path().join(".gitignore"), "*.bicepparam\n").expect("write");
    let template = dir.path().join("main.bicep").to_string_lossy().into_owned();
    let (_, report) = check_json(&[&template]);
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
}

#[test]
fn broken_bicep_is_an_error_with_line_and_column_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PE004/bicep/bad", dir.path());
    std::fs::write(
        dir.path().join("broken.bicep"),
        "param location string = 'westeurope'\nresource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {\n  name: 'x' 'y'\n}\n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = check_json(&[&path]);
    assert_eq!(code, 2, "{report:#}");
    let error = &report["errors"][0];
    assert_eq!(error["code"], "parse-error");
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("broken.bicep"))
    );
    assert_eq!(error["line"], 3, "{error:#}");
    assert_eq!(error["column"], 13, "{error:#}");
    assert_eq!(
        fired(&report),
        [("PE004".to_string(), "main.bicep".to_string())]
    );
}

#[test]
fn a_module_that_includes_itself_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.bicep"),
        "module again './main.bicep' = {\n  name: 'again'\n}\n",
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report) = check_json(&[&path]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["errors"][0]["code"], "module-error");
}

#[test]
fn what_a_registry_module_may_deploy_is_not_assumed_missing() {
    // DNS009: a zone without virtual network links. A registry module (not
    // fetched) might link it, so plinth stays silent; without it, it fires.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/DNS009/bicep/bad", dir.path());
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("DNS009".to_string(), "main.bicep".to_string())]
    );
    let source = text(dir.path(), "main.bicep")
        + "\nmodule links 'br/public:avm/res/network/private-dns-zone:0.7.0' = {\n  name: 'links'\n  params: {\n    name: privateDnsZoneName\n  }\n}\n";
    std::fs::write(dir.path().join("main.bicep"), source).expect("write");
    let (_, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
}

#[test]
fn a_symbolic_reference_links_even_when_the_name_is_unknown() {
    // PG001: a private endpoint on a VNet-integrated server. The server's name
    // is a parameter without a value; the endpoint names it by symbol
    // (`flexibleServer.id`), so Bicep still says which server it is.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir("fixtures/PG001/bicep/bad", dir.path());
    let source = text(dir.path(), "main.bicep")
        .replace(
            "param serverName string = 'psql-orders-prod'",
            "param serverName string",
        )
        .replace(
            "privateLinkServiceId: resourceId('Microsoft.DBforPostgreSQL/flexibleServers', serverName)",
            "privateLinkServiceId: flexibleServer.id",
        );
    std::fs::write(dir.path().join("main.bicep"), &source).expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("PG001".to_string(), "main.bicep".to_string())],
        "{report:#}"
    );
    // Through resourceId() with the same parameter: the same name in every
    // deployment, so the same server (issue #18).
    let by_id = source.replace(
        "privateLinkServiceId: flexibleServer.id",
        "privateLinkServiceId: resourceId('Microsoft.DBforPostgreSQL/flexibleServers', serverName)",
    );
    std::fs::write(dir.path().join("main.bicep"), &by_id).expect("write");
    let (_, report) = check_json(&[&path]);
    assert_eq!(
        fired(&report),
        [("PG001".to_string(), "main.bicep".to_string())],
        "{report:#}"
    );
    // Through another parameter without a value: it may name another
    // server, so which server is meant is not known: silent.
    let other = by_id
        .replace(
            "resourceId('Microsoft.DBforPostgreSQL/flexibleServers', serverName)",
            "resourceId('Microsoft.DBforPostgreSQL/flexibleServers', otherServerName)",
        )
        .replace(
            "param serverName string",
            "param serverName string\nparam otherServerName string",
        );
    std::fs::write(dir.path().join("main.bicep"), other).expect("write");
    let (_, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
}

#[test]
fn an_id_out_of_a_module_ties_to_the_module_declaration_not_a_namesake_in_the_caller() {
    // Both files declare a zone with the symbolic name `zone`; the endpoint
    // uses the module's (through its output). Only the module's zone name
    // decides PE004.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("modules")).expect("mkdir");
    let main = |caller_zone: &str| {
        format!(
            r#"resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {{
  name: '{caller_zone}'
  location: 'global'
}}

module dns './modules/dns.bicep' = {{
  name: 'dns'
}}

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {{
  name: 'psql-a'
  location: 'westeurope'
  properties: {{ network: {{ publicNetworkAccess: 'Disabled' }} }}
}}

resource pe 'Microsoft.Network/privateEndpoints@2024-05-01' = {{
  name: 'pe-a'
  location: 'westeurope'
  properties: {{
    subnet: {{ id: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' }}
    privateLinkServiceConnections: [
      {{
        name: 'c'
        properties: {{
          privateLinkServiceId: server.id
          groupIds: ['postgresqlServer']
        }}
      }}
    ]
  }}
  resource group 'privateDnsZoneGroups' = {{
    name: 'default'
    properties: {{
      privateDnsZoneConfigs: [
        {{
          name: 'pg'
          properties: {{ privateDnsZoneId: dns.outputs.zoneId }}
        }}
      ]
    }}
  }}
}}
"#
        )
    };
    let module = |zone: &str| {
        format!(
            "resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {{\n  name: '{zone}'\n  location: 'global'\n}}\n\noutput zoneId string = zone.id\n"
        )
    };
    let path = dir.path().join("main.bicep").to_string_lossy().into_owned();
    let (right, wrong) = (
        "privatelink.postgres.database.azure.com",
        "privatelink.postgres.azure.com",
    );
    for (caller, callee, expected) in [(wrong, right, 0), (right, wrong, 1)] {
        std::fs::write(dir.path().join("main.bicep"), main(caller)).expect("write");
        std::fs::write(dir.path().join("modules/dns.bicep"), module(callee)).expect("write");
        let (_, report) = check_json(&["--select", "PE004", &path]);
        assert_eq!(
            report["findings"].as_array().map(Vec::len),
            Some(expected),
            "caller {caller}, module {callee}: {report:#}"
        );
    }
}

#[test]
fn a_nested_child_is_deployed_only_with_its_parent() {
    // DNS001: autoregistration on a privatelink zone's link. The link is
    // nested in a zone deployed only if a parameter says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.bicep");
    let template = |parameter: &str, parent: &str| {
        format!(
            r#"{parameter}

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {parent}
  name: 'privatelink.postgres.database.azure.com'
  location: 'global'

  resource link 'virtualNetworkLinks' = {{
    name: 'link-app'
    location: 'global'
    properties: {{
      registrationEnabled: true
      virtualNetwork: {{
        id: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-app'
      }}
    }}
  }}
}}{close}
"#,
            close = if parent.starts_with('[') { "]" } else { "" }
        )
    };
    let cases = [
        ("param deployDns bool = true", "if (deployDns) {", 1),
        ("param deployDns bool = false", "if (deployDns) {", 0),
        ("param deployDns bool", "if (deployDns) {", 0),
        ("param names array", "[for n in names: {", 0),
        ("param unused string = ''", "{", 1),
    ];
    for (parameter, parent, expected) in cases {
        std::fs::write(&path, template(parameter, parent)).expect("write");
        let file = path.to_string_lossy().into_owned();
        let (_, report) = check_json(&["--select", "DNS001", &file]);
        assert_eq!(
            report["findings"].as_array().map(Vec::len),
            Some(expected),
            "{parameter} / {parent}: {report:#}"
        );
        assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    }
}

/// Issue #18, as Azure Verified Modules write it: a subnet id read back out
/// of a module (`vnet.properties.subnets[0].id` through an output), and a
/// zone group in a module named from the endpoint's name, which is a
/// parameter without a value.
#[test]
fn ids_read_back_and_names_passed_through_modules_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("modules")).expect("mkdir");
    let network = |subnet_name: &str| {
        format!(
            "param subnetName string = '{subnet_name}'\n\
             resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {{\n  name: 'nsg-pe'\n  location: 'westeurope'\n}}\n\
             resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {{\n  name: 'vnet-app'\n  location: 'westeurope'\n  properties: {{\n    addressSpace: {{ addressPrefixes: ['10.0.0.0/16'] }}\n    subnets: [\n      {{\n        name: subnetName\n        properties: {{\n          addressPrefix: '10.0.1.0/24'\n          networkSecurityGroup: {{ id: nsg.id }}\n          privateEndpointNetworkPolicies: 'Disabled'\n        }}\n      }}\n    ]\n  }}\n}}\n\
             output subnetId string = vnet.properties.subnets[0].id\n"
        )
    };
    let zone_group = "param endpointName string\n\
        resource group 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {\n  name: '${endpointName}/default'\n  properties: {\n    privateDnsZoneConfigs: [\n      {\n        name: 'vault'\n        properties: {\n          privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', 'privatelink.blob.core.windows.net')\n        }\n      }\n    ]\n  }\n}\n";
    let main = |endpoint_name: &str| {
        format!(
            "param peName string\nparam otherName string\n\
             module net 'modules/network.bicep' = {{\n  name: 'net'\n}}\n\
             resource pe 'Microsoft.Network/privateEndpoints@2024-05-01' = {{\n  name: peName\n  location: 'westeurope'\n  properties: {{\n    subnet: {{ id: net.outputs.subnetId }}\n    privateLinkServiceConnections: [\n      {{\n        name: 'vault'\n        properties: {{\n          privateLinkServiceId: resourceId('Microsoft.KeyVault/vaults', 'kv-app')\n          groupIds: ['vault']\n        }}\n      }}\n    ]\n  }}\n}}\n\
             module dns 'modules/zone-group.bicep' = {{\n  name: 'dns'\n  params: {{ endpointName: {endpoint_name} }}\n}}\n"
        )
    };
    let path = dir.path().to_string_lossy().into_owned();
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("modules/zone-group.bicep", zone_group);

    // The subnet the module declares, read back; the zone group named by
    // the endpoint's own name: both tie, and both faults are found.
    write("modules/network.bicep", &network("snet-pe"));
    write("main.bicep", &main("pe.name"));
    let (_, report) = check_json(&[&path]);
    let mut rules: Vec<String> = fired(&report).into_iter().map(|(r, _)| r).collect();
    rules.sort();
    assert_eq!(rules, ["PE002", "PE004"], "{report:#}");

    // Another parameter without a value may name another endpoint, and a
    // subnet whose name is not known has no id to read back: silent.
    write("modules/network.bicep", &network("").replace(" = ''", ""));
    write("main.bicep", &main("otherName"));
    let (_, report) = check_json(&[&path]);
    assert_eq!(fired(&report), Vec::<(String, String)>::new(), "{report:#}");
}
