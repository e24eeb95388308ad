//! What variables and parameters carry, through the real binary: the
//! defaults of `optional(type, default)` attributes in a Terraform
//! variable's type, and a Bicep module's parameters compiled to
//! `[if(…, createObject('value', …), …)]` in a nested deployment. The
//! projects are generated here, small and self-contained.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// `plinth check --format json .` in `dir`: exit code and report.
fn check(dir: &Path) -> (i32, Value) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(dir)
        .args(["check", "--format", "json", "."])
        .output()
        .expect("plinth runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// A module that takes its endpoints as AVM modules do: a map of objects
/// whose group ids and DNS zones are optional, with defaults.
const ENDPOINT_MODULE: &str = r#"
variable "private_endpoints" {
  type = map(object({
    subnet_resource_id            = string
    target_resource_id            = string
    subresource_names             = optional(list(string), ["postgresqlServer"])
    private_dns_zone_resource_ids = optional(set(string), [])
    location                      = optional(string, "westeurope")
  }))
  default = {}
}

resource "azurerm_private_endpoint" "this" {
  for_each            = var.private_endpoints
  name                = "pe-${each.key}"
  location            = each.value.location
  resource_group_name = "rg-orders"
  subnet_id           = each.value.subnet_resource_id

  private_service_connection {
    name                           = "psc-${each.key}"
    private_connection_resource_id = each.value.target_resource_id
    subresource_names              = each.value.subresource_names
    is_manual_connection           = false
  }

  dynamic "private_dns_zone_group" {
    for_each = length(each.value.private_dns_zone_resource_ids) > 0 ? ["default"] : []
    content {
      name                 = "default"
      private_dns_zone_ids = each.value.private_dns_zone_resource_ids
    }
  }
}
"#;

const ROOT: &str = r#"
resource "azurerm_virtual_network" "vnet" {
  name                = "vnet-orders"
  location            = "westeurope"
  resource_group_name = "rg-orders"
  address_space       = ["10.20.0.0/16"]
}

resource "azurerm_subnet" "pe" {
  name                 = "snet-pe"
  resource_group_name  = "rg-orders"
  virtual_network_name = azurerm_virtual_network.vnet.name
  address_prefixes     = ["10.20.1.0/24"]
}

resource "azurerm_postgresql_flexible_server" "db" {
  name                          = "psql-orders"
  resource_group_name           = "rg-orders"
  location                      = "westeurope"
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  public_network_access_enabled = false
}

module "endpoints" {
  source = "./modules/endpoints"
  private_endpoints = {
    db = {
      subnet_resource_id = azurerm_subnet.pe.id
      target_resource_id = azurerm_postgresql_flexible_server.db.id
    }
  }
}
"#;

#[test]
fn an_endpoint_whose_dns_zones_default_to_none_through_an_optional_attribute_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "main.tf", ROOT);
    write(dir.path(), "modules/endpoints/main.tf", ENDPOINT_MODULE);
    let (_, report) = check(dir.path());
    // The caller leaves out the group ids and the zones: the module's
    // defaults make them `postgresqlServer` and none, so the endpoint has
    // no DNS, which is what PE005 reports.
    let found = findings(&report, "PE005");
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(
        found[0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("modules/endpoints/main.tf")),
        "{report:#}"
    );
}

#[test]
fn an_endpoint_given_its_zone_is_not_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = ROOT.replace(
        "target_resource_id = azurerm_postgresql_flexible_server.db.id",
        "target_resource_id = azurerm_postgresql_flexible_server.db.id\n      private_dns_zone_resource_ids = [azurerm_private_dns_zone.pg.id]",
    ) + r#"
resource "azurerm_private_dns_zone" "pg" {
  name                = "privatelink.postgres.database.azure.com"
  resource_group_name = "rg-orders"
}
"#;
    write(dir.path(), "main.tf", &root);
    write(dir.path(), "modules/endpoints/main.tf", ENDPOINT_MODULE);
    let (_, report) = check(dir.path());
    assert!(findings(&report, "PE005").is_empty(), "{report:#}");
}

/// An ARM template as `bicep build` writes a module call whose parameters
/// are conditional: each parameter's whole `{ "value": … }` wrapper is one
/// `[if(…, createObject('value', …), createObject('value', …))]`.
fn compiled_module_call(with_dns: &str) -> String {
    let server = "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', 'psql-orders')]";
    let zone =
        "[resourceId('Microsoft.Network/privateDnsZones', 'privatelink.postgres.azure.com')]";
    let template = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": { "withDns": { "type": "string", "defaultValue": with_dns } },
        "resources": [
            {
                "type": "Microsoft.Network/virtualNetworks",
                "apiVersion": "2024-05-01",
                "name": "vnet-orders",
                "location": "westeurope",
                "properties": {
                    "addressSpace": { "addressPrefixes": ["10.20.0.0/16"] },
                    "subnets": [{ "name": "snet-pe", "properties": { "addressPrefix": "10.20.1.0/24" } }]
                }
            },
            {
                "type": "Microsoft.DBforPostgreSQL/flexibleServers",
                "apiVersion": "2024-08-01",
                "name": "psql-orders",
                "location": "westeurope",
                "properties": { "version": "16", "network": { "publicNetworkAccess": "Disabled" } }
            },
            {
                "type": "Microsoft.Network/privateDnsZones",
                "apiVersion": "2024-06-01",
                "name": "privatelink.postgres.azure.com",
                "location": "global"
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "endpoint",
                "properties": {
                    "expressionEvaluationOptions": { "scope": "inner" },
                    "mode": "Incremental",
                    "parameters": {
                        "serverId": format!("[createObject('value', {})]", &server[1..server.len() - 1]),
                        "zoneGroup": format!(
                            "[if(equals(parameters('withDns'), 'yes'), createObject('value', createObject('zoneId', {})), createObject('value', null()))]",
                            &zone[1..zone.len() - 1]
                        )
                    },
                    "template": {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                        "contentVersion": "1.0.0.0",
                        "parameters": {
                            "serverId": { "type": "string" },
                            "zoneGroup": { "type": "object", "nullable": true }
                        },
                        "resources": [
                            {
                                "type": "Microsoft.Network/privateEndpoints",
                                "apiVersion": "2024-05-01",
                                "name": "pe-psql-orders",
                                "location": "westeurope",
                                "properties": {
                                    "subnet": { "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-orders', 'snet-pe')]" },
                                    "privateLinkServiceConnections": [{
                                        "name": "psc",
                                        "properties": {
                                            "privateLinkServiceId": "[parameters('serverId')]",
                                            "groupIds": ["postgresqlServer"]
                                        }
                                    }]
                                }
                            },
                            {
                                "condition": "[not(empty(parameters('zoneGroup')))]",
                                "type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
                                "apiVersion": "2024-05-01",
                                "name": "pe-psql-orders/default",
                                "properties": {
                                    "privateDnsZoneConfigs": [{
                                        "name": "postgres",
                                        "properties": { "privateDnsZoneId": "[parameters('zoneGroup').zoneId]" }
                                    }]
                                },
                                "dependsOn": ["[resourceId('Microsoft.Network/privateEndpoints', 'pe-psql-orders')]"]
                            }
                        ]
                    }
                }
            }
        ]
    });
    serde_json::to_string_pretty(&template).expect("json")
}

#[test]
fn a_compiled_conditional_module_parameter_carries_its_value_into_the_module() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "main.json", &compiled_module_call("yes"));
    let (_, report) = check(dir.path());
    // The zone group the condition passes in names a wrongly named zone.
    assert_eq!(findings(&report, "PE004").len(), 1, "{report:#}");
    assert!(findings(&report, "PE005").is_empty(), "{report:#}");
}

#[test]
fn a_compiled_conditional_module_parameter_that_passes_null_leaves_the_endpoint_without_dns() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "main.json", &compiled_module_call("no"));
    let (_, report) = check(dir.path());
    assert!(findings(&report, "PE004").is_empty(), "{report:#}");
    assert_eq!(findings(&report, "PE005").len(), 1, "{report:#}");
}
