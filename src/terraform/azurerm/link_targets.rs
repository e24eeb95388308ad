//! Services that rules see only as Private Link targets (a private
//! endpoint's connection names them; PE rules look up their zone by type):
//! their ARM type is all that is mapped.
//!
//! The list covers every type of the private DNS zone table
//! (`rules/data/private-dns-zones.yaml`) that the azurerm provider manages;
//! targets with more mapped (PostgreSQL flexible server, App Service) live
//! in their own family. `azapi_resource` needs no entry: it names its ARM
//! type itself. The unit test below holds the zone table, the provider's
//! resources and this mapping together.

use crate::model::Unit;

use super::{Family, Mapping};

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_storage_account",
            "Microsoft.Storage/storageAccounts",
        ),
        (
            "azurerm_storage_sync",
            "Microsoft.StorageSync/storageSyncServices",
        ),
        ("azurerm_disk_access", "Microsoft.Compute/diskAccesses"),
        ("azurerm_elastic_san", "Microsoft.ElasticSan/elasticSans"),
        ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
        (
            "azurerm_key_vault_managed_hardware_security_module",
            "Microsoft.KeyVault/managedHSMs",
        ),
        ("azurerm_mssql_server", "Microsoft.Sql/servers"),
        (
            "azurerm_mssql_managed_instance",
            "Microsoft.Sql/managedInstances",
        ),
        (
            "azurerm_cosmosdb_account",
            "Microsoft.DocumentDB/databaseAccounts",
        ),
        (
            "azurerm_mongo_cluster",
            "Microsoft.DocumentDB/mongoClusters",
        ),
        (
            "azurerm_cosmosdb_postgresql_cluster",
            "Microsoft.DBforPostgreSQL/serverGroupsv2",
        ),
        (
            "azurerm_mysql_flexible_server",
            "Microsoft.DBforMySQL/flexibleServers",
        ),
        ("azurerm_redis_cache", "Microsoft.Cache/redis"),
        ("azurerm_managed_redis", "Microsoft.Cache/redisEnterprise"),
        (
            "azurerm_container_registry",
            "Microsoft.ContainerRegistry/registries",
        ),
        (
            "azurerm_kubernetes_cluster",
            "Microsoft.ContainerService/managedClusters",
        ),
        (
            "azurerm_container_app_environment",
            "Microsoft.App/managedEnvironments",
        ),
        ("azurerm_static_web_app", "Microsoft.Web/staticSites"),
        ("azurerm_search_service", "Microsoft.Search/searchServices"),
        (
            "azurerm_servicebus_namespace",
            "Microsoft.ServiceBus/namespaces",
        ),
        (
            "azurerm_eventhub_namespace",
            "Microsoft.EventHub/namespaces",
        ),
        ("azurerm_relay_namespace", "Microsoft.Relay/namespaces"),
        ("azurerm_eventgrid_topic", "Microsoft.EventGrid/topics"),
        ("azurerm_eventgrid_domain", "Microsoft.EventGrid/domains"),
        (
            "azurerm_eventgrid_namespace",
            "Microsoft.EventGrid/namespaces",
        ),
        (
            "azurerm_eventgrid_partner_namespace",
            "Microsoft.EventGrid/partnerNamespaces",
        ),
        (
            "azurerm_cognitive_account",
            "Microsoft.CognitiveServices/accounts",
        ),
        (
            "azurerm_app_configuration",
            "Microsoft.AppConfiguration/configurationStores",
        ),
        (
            "azurerm_attestation_provider",
            "Microsoft.Attestation/attestationProviders",
        ),
        (
            "azurerm_automation_account",
            "Microsoft.Automation/automationAccounts",
        ),
        (
            "azurerm_bot_service_azure_bot",
            "Microsoft.BotService/botServices",
        ),
        ("azurerm_data_factory", "Microsoft.DataFactory/factories"),
        ("azurerm_synapse_workspace", "Microsoft.Synapse/workspaces"),
        (
            "azurerm_synapse_private_link_hub",
            "Microsoft.Synapse/privateLinkHubs",
        ),
        (
            "azurerm_databricks_workspace",
            "Microsoft.Databricks/workspaces",
        ),
        ("azurerm_kusto_cluster", "Microsoft.Kusto/clusters"),
        ("azurerm_purview_account", "Microsoft.Purview/accounts"),
        (
            "azurerm_hdinsight_hadoop_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_hbase_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_interactive_query_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_kafka_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_spark_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_machine_learning_workspace",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        (
            "azurerm_ai_foundry",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        (
            "azurerm_signalr_service",
            "Microsoft.SignalRService/SignalR",
        ),
        ("azurerm_web_pubsub", "Microsoft.SignalRService/WebPubSub"),
        ("azurerm_batch_account", "Microsoft.Batch/batchAccounts"),
        ("azurerm_iothub", "Microsoft.Devices/IotHubs"),
        (
            "azurerm_iothub_dps",
            "Microsoft.Devices/provisioningServices",
        ),
        (
            "azurerm_iothub_device_update_account",
            "Microsoft.DeviceUpdate/accounts",
        ),
        (
            "azurerm_iotcentral_application",
            "Microsoft.IoTCentral/iotApps",
        ),
        (
            "azurerm_digital_twins_instance",
            "Microsoft.DigitalTwins/digitalTwinsInstances",
        ),
        ("azurerm_api_management", "Microsoft.ApiManagement/service"),
        (
            "azurerm_healthcare_workspace",
            "Microsoft.HealthcareApis/workspaces",
        ),
        ("azurerm_maps_account", "Microsoft.Maps/accounts"),
        (
            "azurerm_video_indexer_account",
            "Microsoft.VideoIndexer/accounts",
        ),
        (
            "azurerm_recovery_services_vault",
            "Microsoft.RecoveryServices/vaults",
        ),
        (
            "azurerm_virtual_desktop_workspace",
            "Microsoft.DesktopVirtualization/workspaces",
        ),
        (
            "azurerm_virtual_desktop_host_pool",
            "Microsoft.DesktopVirtualization/hostPools",
        ),
        ("azurerm_dashboard_grafana", "Microsoft.Dashboard/grafana"),
        ("azurerm_monitor_workspace", "Microsoft.Monitor/accounts"),
        (
            "azurerm_monitor_private_link_scope",
            "Microsoft.Insights/privateLinkScopes",
        ),
        (
            "azurerm_arc_private_link_scope",
            "Microsoft.HybridCompute/privateLinkScopes",
        ),
        (
            "azurerm_resource_management_private_link",
            "Microsoft.Authorization/resourceManagementPrivateLinks",
        ),
        // Removed from the newest azurerm, still read for older providers.
        (
            "azurerm_ai_services",
            "Microsoft.CognitiveServices/accounts",
        ),
        ("azurerm_mysql_server", "Microsoft.DBforMySQL/servers"),
        ("azurerm_mariadb_server", "Microsoft.DBforMariaDB/servers"),
        (
            "azurerm_media_services_account",
            "Microsoft.Media/mediaservices",
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

    /// The azurerm resources that manage a Private Link target type of the
    /// zone table, with the ARM type each manages: facts about the provider
    /// (hashicorp/terraform-provider-azurerm at 69697b7, 2026-08-21), read
    /// from the import id in `website/docs/r/<name>.html.markdown`:
    /// `git show HEAD:website/docs/r/managed_redis.html.markdown | grep 'terraform import'`.
    const PROVIDER_LINK_TARGETS: &[(&str, &str)] = &[
        (
            "azurerm_ai_foundry",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        ("azurerm_api_management", "Microsoft.ApiManagement/service"),
        (
            "azurerm_app_configuration",
            "Microsoft.AppConfiguration/configurationStores",
        ),
        (
            "azurerm_arc_private_link_scope",
            "Microsoft.HybridCompute/privateLinkScopes",
        ),
        (
            "azurerm_attestation_provider",
            "Microsoft.Attestation/attestationProviders",
        ),
        (
            "azurerm_automation_account",
            "Microsoft.Automation/automationAccounts",
        ),
        ("azurerm_batch_account", "Microsoft.Batch/batchAccounts"),
        (
            "azurerm_bot_service_azure_bot",
            "Microsoft.BotService/botServices",
        ),
        (
            "azurerm_cognitive_account",
            "Microsoft.CognitiveServices/accounts",
        ),
        (
            "azurerm_container_app_environment",
            "Microsoft.App/managedEnvironments",
        ),
        (
            "azurerm_container_registry",
            "Microsoft.ContainerRegistry/registries",
        ),
        (
            "azurerm_cosmosdb_account",
            "Microsoft.DocumentDB/databaseAccounts",
        ),
        (
            "azurerm_cosmosdb_postgresql_cluster",
            "Microsoft.DBforPostgreSQL/serverGroupsv2",
        ),
        ("azurerm_dashboard_grafana", "Microsoft.Dashboard/grafana"),
        ("azurerm_data_factory", "Microsoft.DataFactory/factories"),
        (
            "azurerm_databricks_workspace",
            "Microsoft.Databricks/workspaces",
        ),
        (
            "azurerm_digital_twins_instance",
            "Microsoft.DigitalTwins/digitalTwinsInstances",
        ),
        ("azurerm_disk_access", "Microsoft.Compute/diskAccesses"),
        ("azurerm_elastic_san", "Microsoft.ElasticSan/elasticSans"),
        ("azurerm_eventgrid_domain", "Microsoft.EventGrid/domains"),
        (
            "azurerm_eventgrid_namespace",
            "Microsoft.EventGrid/namespaces",
        ),
        (
            "azurerm_eventgrid_partner_namespace",
            "Microsoft.EventGrid/partnerNamespaces",
        ),
        ("azurerm_eventgrid_topic", "Microsoft.EventGrid/topics"),
        (
            "azurerm_eventhub_namespace",
            "Microsoft.EventHub/namespaces",
        ),
        (
            "azurerm_function_app_flex_consumption",
            "Microsoft.Web/sites",
        ),
        (
            "azurerm_hdinsight_hadoop_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_hbase_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_interactive_query_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_kafka_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_hdinsight_spark_cluster",
            "Microsoft.HDInsight/clusters",
        ),
        (
            "azurerm_healthcare_workspace",
            "Microsoft.HealthcareApis/workspaces",
        ),
        (
            "azurerm_iotcentral_application",
            "Microsoft.IoTCentral/iotApps",
        ),
        ("azurerm_iothub", "Microsoft.Devices/IotHubs"),
        (
            "azurerm_iothub_device_update_account",
            "Microsoft.DeviceUpdate/accounts",
        ),
        (
            "azurerm_iothub_dps",
            "Microsoft.Devices/provisioningServices",
        ),
        ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
        (
            "azurerm_key_vault_managed_hardware_security_module",
            "Microsoft.KeyVault/managedHSMs",
        ),
        (
            "azurerm_kubernetes_cluster",
            "Microsoft.ContainerService/managedClusters",
        ),
        ("azurerm_kusto_cluster", "Microsoft.Kusto/clusters"),
        ("azurerm_linux_function_app", "Microsoft.Web/sites"),
        ("azurerm_linux_web_app", "Microsoft.Web/sites"),
        ("azurerm_logic_app_standard", "Microsoft.Web/sites"),
        (
            "azurerm_machine_learning_workspace",
            "Microsoft.MachineLearningServices/workspaces",
        ),
        ("azurerm_managed_redis", "Microsoft.Cache/redisEnterprise"),
        ("azurerm_maps_account", "Microsoft.Maps/accounts"),
        (
            "azurerm_mongo_cluster",
            "Microsoft.DocumentDB/mongoClusters",
        ),
        (
            "azurerm_monitor_private_link_scope",
            "Microsoft.Insights/privateLinkScopes",
        ),
        ("azurerm_monitor_workspace", "Microsoft.Monitor/accounts"),
        (
            "azurerm_mssql_managed_instance",
            "Microsoft.Sql/managedInstances",
        ),
        ("azurerm_mssql_server", "Microsoft.Sql/servers"),
        (
            "azurerm_mysql_flexible_server",
            "Microsoft.DBforMySQL/flexibleServers",
        ),
        (
            "azurerm_postgresql_flexible_server",
            "Microsoft.DBforPostgreSQL/flexibleServers",
        ),
        ("azurerm_purview_account", "Microsoft.Purview/accounts"),
        (
            "azurerm_recovery_services_vault",
            "Microsoft.RecoveryServices/vaults",
        ),
        ("azurerm_redis_cache", "Microsoft.Cache/redis"),
        ("azurerm_relay_namespace", "Microsoft.Relay/namespaces"),
        (
            "azurerm_resource_management_private_link",
            "Microsoft.Authorization/resourceManagementPrivateLinks",
        ),
        ("azurerm_search_service", "Microsoft.Search/searchServices"),
        (
            "azurerm_servicebus_namespace",
            "Microsoft.ServiceBus/namespaces",
        ),
        (
            "azurerm_signalr_service",
            "Microsoft.SignalRService/SignalR",
        ),
        ("azurerm_static_web_app", "Microsoft.Web/staticSites"),
        (
            "azurerm_storage_account",
            "Microsoft.Storage/storageAccounts",
        ),
        (
            "azurerm_storage_sync",
            "Microsoft.StorageSync/storageSyncServices",
        ),
        (
            "azurerm_synapse_private_link_hub",
            "Microsoft.Synapse/privateLinkHubs",
        ),
        ("azurerm_synapse_workspace", "Microsoft.Synapse/workspaces"),
        (
            "azurerm_video_indexer_account",
            "Microsoft.VideoIndexer/accounts",
        ),
        (
            "azurerm_virtual_desktop_host_pool",
            "Microsoft.DesktopVirtualization/hostPools",
        ),
        (
            "azurerm_virtual_desktop_workspace",
            "Microsoft.DesktopVirtualization/workspaces",
        ),
        ("azurerm_web_pubsub", "Microsoft.SignalRService/WebPubSub"),
        ("azurerm_windows_function_app", "Microsoft.Web/sites"),
        ("azurerm_windows_web_app", "Microsoft.Web/sites"),
    ];

    /// Zone-table types the newest provider has no resource for (searched
    /// in `website/docs/r/` by ARM type): reachable from Terraform through
    /// `azapi_resource` only. The last four were removed from azurerm;
    /// their old resources stay mapped for older providers.
    const NOT_IN_PROVIDER: &[&str] = &[
        "Microsoft.FileShares/fileShares",
        "Microsoft.Fabric/privateLinkServicesForFabric",
        "Microsoft.PowerBI/privateLinkServicesForPowerBI",
        "Microsoft.Migrate/assessmentProjects",
        "Microsoft.Migrate/migrateProjects",
        "Microsoft.MachineLearningServices/registries",
        "Microsoft.Media/mediaservices",
        "Microsoft.DBforMySQL/servers",
        "Microsoft.DBforMariaDB/servers",
        "Microsoft.DBforPostgreSQL/servers",
    ];

    /// Every distinct `type:` of the zone table.
    fn zone_table_types() -> Vec<String> {
        let table = include_str!("../../../rules/data/private-dns-zones.yaml");
        let mut types: Vec<String> = table
            .lines()
            .filter_map(|line| line.split("{type: ").nth(1))
            .filter_map(|rest| rest.split(',').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .collect();
        types.sort();
        types.dedup();
        types
    }

    #[test]
    fn every_zone_table_type_the_provider_manages_is_mapped() {
        let types = zone_table_types();
        assert!(types.len() > 50, "the zone table was not read: {types:?}");
        for t in &types {
            let managing: Vec<&str> = PROVIDER_LINK_TARGETS
                .iter()
                .filter(|(_, arm)| arm.eq_ignore_ascii_case(t))
                .map(|(kind, _)| *kind)
                .collect();
            let absent = NOT_IN_PROVIDER.iter().any(|a| a.eq_ignore_ascii_case(t));
            assert!(
                managing.is_empty() == absent,
                "{t}: say which azurerm resource manages it, or that none does"
            );
            for kind in managing {
                let mapped = crate::terraform::azurerm::arm_type(kind);
                assert!(
                    mapped.is_some_and(|m| m.eq_ignore_ascii_case(t)),
                    "{kind} manages {t} but maps to {mapped:?}"
                );
            }
        }
        // And the provider facts name only zone-table types.
        for (kind, arm) in PROVIDER_LINK_TARGETS {
            assert!(
                types.iter().any(|t| t.eq_ignore_ascii_case(arm)),
                "{kind}: {arm} is not in the zone table"
            );
        }
    }

    #[test]
    fn newer_link_targets_get_their_arm_type() {
        let loaded = load(
            r#"
resource "azurerm_managed_redis" "r" {
  name     = "redis"
  location = "westeurope"
}
resource "azurerm_cosmosdb_postgresql_cluster" "c" {
  name     = "pg"
  location = "westeurope"
}
resource "azurerm_monitor_private_link_scope" "s" {
  name = "ampls"
}
resource "azapi_resource" "fs" {
  type = "Microsoft.FileShares/fileShares@2025-06-01-preview"
  name = "share"
}
"#,
        );
        for (address, rtype) in [
            ("azurerm_managed_redis.r", "Microsoft.Cache/redisEnterprise"),
            (
                "azurerm_cosmosdb_postgresql_cluster.c",
                "Microsoft.DBforPostgreSQL/serverGroupsv2",
            ),
            (
                "azurerm_monitor_private_link_scope.s",
                "Microsoft.Insights/privateLinkScopes",
            ),
            ("azapi_resource.fs", "Microsoft.FileShares/fileShares"),
        ] {
            assert_eq!(resource(&loaded, address).rtype, rtype, "{address}");
        }
    }
}
