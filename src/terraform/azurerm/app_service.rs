//! App Service and Functions apps (Linux, Windows, Flex Consumption,
//! Logic Apps Standard, and the deprecated `azurerm_app_service` /
//! `azurerm_function_app`): the subnet of their
//! VNet integration and the resources their configuration reads from.

use crate::model::{ArmId, Node, Unit, Value};

use super::{Family, Mapping};

pub(super) const FAMILY: Family = Family {
    types: &[
        ("azurerm_linux_web_app", "Microsoft.Web/sites"),
        ("azurerm_windows_web_app", "Microsoft.Web/sites"),
        ("azurerm_linux_function_app", "Microsoft.Web/sites"),
        ("azurerm_windows_function_app", "Microsoft.Web/sites"),
        ("azurerm_app_service", "Microsoft.Web/sites"),
        ("azurerm_function_app", "Microsoft.Web/sites"),
        (
            "azurerm_function_app_flex_consumption",
            "Microsoft.Web/sites",
        ),
        ("azurerm_logic_app_standard", "Microsoft.Web/sites"),
    ],
    map,
};

fn map(m: &mut Mapping, _unit: &mut Unit) {
    let whole = m.whole;
    if let Some(subnet) = m.attr("virtual_network_subnet_id") {
        m.properties.insert("virtualNetworkSubnetId", subnet);
    }
    // What the app's configuration reads from (PE007's clients),
    // except the subnet and plan it is placed with.
    let placed: Vec<ArmId> = ["virtual_network_subnet_id", "service_plan_id"]
        .iter()
        .filter_map(|a| match m.attr(a).map(|n| n.value) {
            Some(Value::Id(id)) => Some(std::sync::Arc::unwrap_or_clone(id)),
            _ => None,
        })
        .collect();
    let referenced: Vec<Node> = m
        .module
        .referenced_ids(m.decl.block)
        .into_iter()
        .filter(|id| !placed.contains(id))
        .map(|id| Node::new(Value::id(id), whole))
        .collect();
    if !referenced.is_empty() {
        m.body.insert(
            "referencedResources",
            Node::new(Value::Array(referenced), whole),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource};
    use crate::model::Value;

    #[test]
    fn an_app_lists_what_it_reads_but_not_its_own_subnet() {
        let loaded = load(
            r#"
resource "azurerm_subnet" "apps" {
  name                 = "apps"
  virtual_network_name = "v"
}
resource "azurerm_key_vault" "kv" {
  name = "kv"
}
resource "azurerm_linux_web_app" "app" {
  name                      = "app"
  virtual_network_subnet_id = azurerm_subnet.apps.id
  app_settings = {
    VAULT = azurerm_key_vault.kv.vault_uri
  }
}
"#,
        );
        let app = resource(&loaded, "azurerm_linux_web_app.app");
        assert_eq!(app.rtype, "Microsoft.Web/sites");
        assert!(at(app, "properties.virtualNetworkSubnetId").is_some());
        let Some(Value::Array(referenced)) = at(app, "referencedResources") else {
            panic!("no referencedResources");
        };
        let targets: Vec<String> = referenced
            .iter()
            .filter_map(|n| match &n.value {
                Value::Id(id) => id.local.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(targets, ["azurerm_key_vault.kv"]);
    }
}
