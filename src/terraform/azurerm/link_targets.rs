//! Services that rules see only as Private Link targets (a private
//! endpoint's connection names them; PE rules look up their zone by type):
//! their ARM type is all that is mapped.

use crate::model::Unit;

use super::{Family, Mapping};

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_storage_account",
            "Microsoft.Storage/storageAccounts",
        ),
        ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
        ("azurerm_mssql_server", "Microsoft.Sql/servers"),
        (
            "azurerm_cosmosdb_account",
            "Microsoft.DocumentDB/databaseAccounts",
        ),
        ("azurerm_redis_cache", "Microsoft.Cache/redis"),
        (
            "azurerm_container_registry",
            "Microsoft.ContainerRegistry/registries",
        ),
        (
            "azurerm_mysql_flexible_server",
            "Microsoft.DBforMySQL/flexibleServers",
        ),
        ("azurerm_search_service", "Microsoft.Search/searchServices"),
        (
            "azurerm_servicebus_namespace",
            "Microsoft.ServiceBus/namespaces",
        ),
        (
            "azurerm_eventhub_namespace",
            "Microsoft.EventHub/namespaces",
        ),
        (
            "azurerm_cognitive_account",
            "Microsoft.CognitiveServices/accounts",
        ),
        (
            "azurerm_ai_services",
            "Microsoft.CognitiveServices/accounts",
        ),
        (
            "azurerm_app_configuration",
            "Microsoft.AppConfiguration/configurationStores",
        ),
        ("azurerm_eventgrid_topic", "Microsoft.EventGrid/topics"),
        ("azurerm_eventgrid_domain", "Microsoft.EventGrid/domains"),
        (
            "azurerm_eventgrid_namespace",
            "Microsoft.EventGrid/namespaces",
        ),
        ("azurerm_data_factory", "Microsoft.DataFactory/factories"),
        ("azurerm_synapse_workspace", "Microsoft.Synapse/workspaces"),
        (
            "azurerm_synapse_private_link_hub",
            "Microsoft.Synapse/privateLinkHubs",
        ),
        (
            "azurerm_kubernetes_cluster",
            "Microsoft.ContainerService/managedClusters",
        ),
        (
            "azurerm_signalr_service",
            "Microsoft.SignalRService/SignalR",
        ),
        ("azurerm_web_pubsub", "Microsoft.SignalRService/WebPubSub"),
        ("azurerm_batch_account", "Microsoft.Batch/batchAccounts"),
        (
            "azurerm_machine_learning_workspace",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        ("azurerm_iothub", "Microsoft.Devices/IotHubs"),
        ("azurerm_api_management", "Microsoft.ApiManagement/service"),
        (
            "azurerm_databricks_workspace",
            "Microsoft.Databricks/workspaces",
        ),
        ("azurerm_mysql_server", "Microsoft.DBforMySQL/servers"),
        ("azurerm_mariadb_server", "Microsoft.DBforMariaDB/servers"),
        (
            "azurerm_mssql_managed_instance",
            "Microsoft.Sql/managedInstances",
        ),
    ],
    map,
};

/// Nothing beyond the type, name and location every resource gets.
fn map(_m: &mut Mapping, _unit: &mut Unit) {}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};
    use crate::model::Value;

    #[test]
    fn a_link_target_gets_its_arm_type_name_and_location_only() {
        let loaded = load(
            r#"
resource "azurerm_key_vault" "kv" {
  name                          = "kv"
  location                      = "westeurope"
  public_network_access_enabled = false
}
"#,
        );
        let vault = resource(&loaded, "azurerm_key_vault.kv");
        assert_eq!(vault.rtype, "Microsoft.KeyVault/vaults");
        assert_eq!(text(vault, "name"), Some("kv"));
        assert_eq!(text(vault, "location"), Some("westeurope"));
        assert!(matches!(
            at(vault, "properties"),
            Some(Value::Object(o)) if o.is_empty()
        ));
    }
}
