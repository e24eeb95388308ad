//! Azure Database for PostgreSQL: the flexible server (network mode,
//! public access with its version-dependent default, authentication, high
//! availability, SKU tier) and its firewall rules, configurations and
//! databases; the retired single server is a Private Link target only.

use crate::model::{Node, Unit, Value};
use crate::terraform::eval::Nested;

use super::{Family, Mapping, enabled, put};

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_postgresql_flexible_server",
            "Microsoft.DBforPostgreSQL/flexibleServers",
        ),
        (
            "azurerm_postgresql_flexible_server_firewall_rule",
            "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
        ),
        (
            "azurerm_postgresql_flexible_server_configuration",
            "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
        ),
        (
            "azurerm_postgresql_flexible_server_database",
            "Microsoft.DBforPostgreSQL/flexibleServers/databases",
        ),
        (
            "azurerm_postgresql_server",
            "Microsoft.DBforPostgreSQL/servers",
        ),
    ],
    map,
};

fn map(m: &mut Mapping, _unit: &mut Unit) {
    match m.decl.kind.as_str() {
        "azurerm_postgresql_flexible_server" => flexible_server(m),
        "azurerm_postgresql_flexible_server_firewall_rule" => {
            for (tf, arm) in [
                ("start_ip_address", "startIpAddress"),
                ("end_ip_address", "endIpAddress"),
            ] {
                if let Some(node) = m.attr(tf) {
                    m.properties.insert(arm, node);
                }
            }
        }
        "azurerm_postgresql_flexible_server_configuration" => {
            if let Some(value) = m.attr("value") {
                m.properties.insert("value", value);
            }
        }
        _ => {}
    }
}

fn flexible_server(m: &mut Mapping) {
    let (module, decl, file, whole) = (m.module, m.decl, m.file, m.whole);
    let attr = |key: &str| module.attribute(decl, key);
    let properties = &mut m.properties;
    let delegated = attr("delegated_subnet_id");
    let public = match attr("public_network_access_enabled") {
        Some(flag) => enabled(flag, false),
        // Computed (read-only) before 3.105: whatever Azure chose.
        None if module.azurerm_major.is_some_and(|m| m < 4) => Node::unknown(whole),
        // `Default: true` since 3.105, even with a delegated subnet
        // (where the API then rejects the server: PG007).
        None => Node::string("Enabled", whole),
    };
    if let Some(mode) = attr("create_mode") {
        properties.insert("createMode", mode);
    }
    if let Some(flag) = attr("geo_redundant_backup_enabled") {
        put(
            properties,
            "backup.geoRedundantBackup",
            enabled(flag, false),
        );
    }
    if let Some(delegated) = delegated {
        put(properties, "network.delegatedSubnetResourceId", delegated);
    }
    if let Some(zone) = attr("private_dns_zone_id") {
        put(properties, "network.privateDnsZoneArmResourceId", zone);
    }
    put(properties, "network.publicNetworkAccess", public);
    if let Some(version) = attr("version") {
        properties.insert("version", version);
    }
    let top = Nested::top(decl.block);
    if let Some(auth) = module.nested(&top, file, "authentication").first() {
        for (tf, arm) in [
            (
                "active_directory_auth_enabled",
                "authConfig.activeDirectoryAuth",
            ),
            ("password_auth_enabled", "authConfig.passwordAuth"),
        ] {
            if let Some(flag) = module.block_attribute(auth, file, tf) {
                put(properties, arm, enabled(flag, false));
            }
        }
    }
    if let Some(ha) = module.nested(&top, file, "high_availability").first()
        && let Some(mode) = module.block_attribute(ha, file, "mode")
    {
        put(properties, "highAvailability.mode", mode);
    }
    if let Some(sku) = attr("sku_name") {
        let tier = match sku.value.as_str().and_then(|s| s.split('_').next()) {
            Some("B") => Value::String("Burstable".into()),
            Some("GP") => Value::String("GeneralPurpose".into()),
            Some("MO") => Value::String("MemoryOptimized".into()),
            _ => Value::Unknown,
        };
        put(&mut m.body, "sku.tier", Node::new(tier, sku.span));
        put(&mut m.body, "sku.name", sku);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};
    use crate::model::Value;

    #[test]
    fn a_flexible_server_maps_network_auth_and_sku_tier() {
        let loaded = load(
            r#"
resource "azurerm_postgresql_flexible_server" "db" {
  name                = "db"
  version             = "16"
  sku_name            = "GP_Standard_D2s_v3"
  delegated_subnet_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/db"
  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }
  high_availability {
    mode = "ZoneRedundant"
  }
}
"#,
        );
        let db = resource(&loaded, "azurerm_postgresql_flexible_server.db");
        assert_eq!(db.rtype, "Microsoft.DBforPostgreSQL/flexibleServers");
        assert!(at(db, "properties.network.delegatedSubnetResourceId").is_some());
        // The provider's default since 3.105, even with a delegated subnet.
        assert_eq!(
            text(db, "properties.network.publicNetworkAccess"),
            Some("Enabled")
        );
        assert_eq!(
            text(db, "properties.authConfig.activeDirectoryAuth"),
            Some("Enabled")
        );
        assert_eq!(
            text(db, "properties.authConfig.passwordAuth"),
            Some("Disabled")
        );
        assert_eq!(
            text(db, "properties.highAvailability.mode"),
            Some("ZoneRedundant")
        );
        assert_eq!(text(db, "sku.tier"), Some("GeneralPurpose"));
        assert_eq!(text(db, "sku.name"), Some("GP_Standard_D2s_v3"));
        assert_eq!(text(db, "properties.version"), Some("16"));
    }

    #[test]
    fn public_access_is_unknown_before_azurerm_4_when_not_written() {
        let loaded = load(
            r#"
terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
  }
}
resource "azurerm_postgresql_flexible_server" "db" {
  name = "db"
}
"#,
        );
        let db = resource(&loaded, "azurerm_postgresql_flexible_server.db");
        assert_eq!(
            at(db, "properties.network.publicNetworkAccess"),
            Some(&Value::Unknown)
        );
    }

    #[test]
    fn a_firewall_rule_maps_its_address_range() {
        let loaded = load(
            r#"
resource "azurerm_postgresql_flexible_server_firewall_rule" "all" {
  name             = "all"
  start_ip_address = "0.0.0.0"
  end_ip_address   = "255.255.255.255"
}
"#,
        );
        let rule = resource(
            &loaded,
            "azurerm_postgresql_flexible_server_firewall_rule.all",
        );
        assert_eq!(text(rule, "properties.startIpAddress"), Some("0.0.0.0"));
        assert_eq!(
            text(rule, "properties.endIpAddress"),
            Some("255.255.255.255")
        );
    }
}
