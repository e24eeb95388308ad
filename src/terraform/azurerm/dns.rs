//! Private DNS: zones, their virtual network links and records, and the
//! Private DNS Resolver with its forwarding rulesets and links.

use crate::model::{Node, Object, Unit, Value};

use super::{Family, Mapping, parent_by_reference, put};

const ENDPOINT: &str = "Microsoft.Network/privateEndpoints";

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_private_dns_zone",
            "Microsoft.Network/privateDnsZones",
        ),
        (
            "azurerm_private_dns_zone_virtual_network_link",
            "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        ),
        (
            "azurerm_private_dns_a_record",
            "Microsoft.Network/privateDnsZones/A",
        ),
        (
            "azurerm_private_dns_cname_record",
            "Microsoft.Network/privateDnsZones/CNAME",
        ),
        (
            "azurerm_private_dns_aaaa_record",
            "Microsoft.Network/privateDnsZones/AAAA",
        ),
        (
            "azurerm_private_dns_resolver",
            "Microsoft.Network/dnsResolvers",
        ),
        (
            "azurerm_private_dns_resolver_dns_forwarding_ruleset",
            "Microsoft.Network/dnsForwardingRulesets",
        ),
        (
            "azurerm_private_dns_resolver_virtual_network_link",
            "Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks",
        ),
    ],
    map,
};

fn map(m: &mut Mapping, unit: &mut Unit) {
    let (module, decl, whole) = (m.module, m.decl, m.whole);
    match decl.kind.as_str() {
        "azurerm_private_dns_zone_virtual_network_link" => {
            if let Some(vnet) = m.attr("virtual_network_id") {
                put(&mut m.properties, "virtualNetwork.id", vnet);
            }
            let registration = m
                .attr("registration_enabled")
                .unwrap_or_else(|| Node::new(Value::Bool(false), whole));
            m.properties.insert("registrationEnabled", registration);
            if let Some(policy) = m.attr("resolution_policy") {
                m.properties.insert("resolutionPolicy", policy);
            }
            parent_by_reference(
                module,
                decl,
                &["private_dns_zone_name", "private_dns_zone_id"],
                unit,
            );
        }
        "azurerm_private_dns_a_record" => {
            if let Some(records) = m.attr("records") {
                let value = match records.value {
                    Value::Array(items) => Value::Array(
                        items
                            .into_iter()
                            .map(|ip| {
                                let span = ip.span;
                                let mut record = Object::new();
                                record.insert("ipv4Address", ip);
                                Node::object(record, span)
                            })
                            .collect(),
                    ),
                    _ => Value::Unknown,
                };
                m.properties
                    .insert("aRecords", Node::new(value, records.span));
            }
            if let Some(ttl) = m.attr("ttl") {
                m.properties.insert("ttl", ttl);
            }
            // The endpoints whose address the record holds, when its
            // `records` name them (`azurerm_private_endpoint.pe.
            // private_service_connection[0].private_ip_address`): the
            // record is that endpoint's DNS, as a zone group would be.
            if let Some(records) = decl.attribute("records") {
                let endpoints: Vec<Node> = module
                    .ids_in(&records.value, m.file)
                    .into_iter()
                    .filter(|id| id.rtype.eq_ignore_ascii_case(ENDPOINT))
                    .map(|id| Node::new(Value::id(id), whole))
                    .collect();
                if !endpoints.is_empty() {
                    m.body.insert(
                        "referencedResources",
                        Node::new(Value::Array(endpoints), whole),
                    );
                }
            }
            parent_by_reference(module, decl, &["zone_name"], unit);
        }
        "azurerm_private_dns_resolver" | "azurerm_private_dns_resolver_virtual_network_link" => {
            if let Some(vnet) = m.attr("virtual_network_id") {
                put(&mut m.properties, "virtualNetwork.id", vnet);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};
    use crate::model::Value;

    #[test]
    fn a_zone_link_defaults_to_no_registration_and_names_its_zone_as_parent() {
        let loaded = load(
            r#"
resource "azurerm_private_dns_zone" "kv" {
  name = "privatelink.vaultcore.azure.net"
}
resource "azurerm_private_dns_zone_virtual_network_link" "hub" {
  name                  = "hub"
  private_dns_zone_name = azurerm_private_dns_zone.kv.name
  virtual_network_id    = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/hub"
}
"#,
        );
        let zone = resource(&loaded, "azurerm_private_dns_zone.kv");
        assert_eq!(zone.rtype, "Microsoft.Network/privateDnsZones");
        let link = resource(&loaded, "azurerm_private_dns_zone_virtual_network_link.hub");
        assert_eq!(
            link.rtype,
            "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
        );
        assert_eq!(
            at(link, "properties.registrationEnabled"),
            Some(&Value::Bool(false))
        );
        assert!(at(link, "properties.virtualNetwork.id").is_some());
        assert_eq!(
            loaded.units[0].parents.get(&link.key).map(String::as_str),
            Some("azurerm_private_dns_zone.kv")
        );
    }

    #[test]
    fn an_a_record_lists_its_addresses_as_arm_records() {
        let loaded = load(
            r#"
resource "azurerm_private_dns_a_record" "db" {
  name      = "db"
  zone_name = "privatelink.postgres.database.azure.com"
  records   = ["10.0.1.4"]
  ttl       = 300
}
"#,
        );
        let record = resource(&loaded, "azurerm_private_dns_a_record.db");
        assert_eq!(record.rtype, "Microsoft.Network/privateDnsZones/A");
        assert_eq!(
            text(record, "properties.aRecords.0.ipv4Address"),
            Some("10.0.1.4")
        );
        assert_eq!(at(record, "properties.ttl"), Some(&Value::Number(300.0)));
    }

    #[test]
    fn an_a_record_names_the_endpoints_whose_address_it_holds() {
        let loaded = load(
            r#"
variable "ip" {}
resource "azurerm_private_endpoint" "one" {
  name = "pe-one"
}
resource "azurerm_private_endpoint" "many" {
  for_each = toset(["a", "b"])
  name     = "pe-${each.key}"
}
resource "azurerm_network_interface" "vm" {
  name = "nic-vm"
}
resource "azurerm_private_dns_a_record" "one" {
  name      = "one"
  zone_name = "privatelink.postgres.database.azure.com"
  records   = [azurerm_private_endpoint.one.private_service_connection[0].private_ip_address]
}
resource "azurerm_private_dns_a_record" "instance" {
  name      = "b"
  zone_name = "privatelink.postgres.database.azure.com"
  records   = azurerm_private_endpoint.many["b"].custom_dns_configs[0].ip_addresses
}
resource "azurerm_private_dns_a_record" "each" {
  for_each  = azurerm_private_endpoint.many
  name      = each.key
  zone_name = "privatelink.postgres.database.azure.com"
  records   = [each.value.private_service_connection[0].private_ip_address]
}
resource "azurerm_private_dns_a_record" "vm" {
  name      = "vm"
  zone_name = "privatelink.postgres.database.azure.com"
  records   = [azurerm_network_interface.vm.private_ip_address]
}
resource "azurerm_private_dns_a_record" "unknown" {
  name      = "x"
  zone_name = "privatelink.postgres.database.azure.com"
  records   = [var.ip]
}
"#,
        );
        let endpoints = |key: &str| -> Vec<String> {
            match at(resource(&loaded, key), "referencedResources") {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|n| match &n.value {
                        Value::Id(id) => id.local.clone(),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        assert_eq!(
            endpoints("azurerm_private_dns_a_record.one"),
            ["azurerm_private_endpoint.one"]
        );
        assert_eq!(
            endpoints("azurerm_private_dns_a_record.instance"),
            [r#"azurerm_private_endpoint.many["b"]"#]
        );
        assert_eq!(
            endpoints(r#"azurerm_private_dns_a_record.each["a"]"#),
            [r#"azurerm_private_endpoint.many["a"]"#]
        );
        assert!(endpoints("azurerm_private_dns_a_record.vm").is_empty());
        assert!(endpoints("azurerm_private_dns_a_record.unknown").is_empty());
    }

    #[test]
    fn a_resolver_names_its_virtual_network() {
        let loaded = load(
            r#"
resource "azurerm_private_dns_resolver" "r" {
  name               = "r"
  virtual_network_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/hub"
}
"#,
        );
        let resolver = resource(&loaded, "azurerm_private_dns_resolver.r");
        assert_eq!(resolver.rtype, "Microsoft.Network/dnsResolvers");
        assert!(at(resolver, "properties.virtualNetwork.id").is_some());
    }
}
