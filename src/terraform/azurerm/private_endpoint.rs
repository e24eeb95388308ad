//! Private endpoints: their subnet, their connections (automatic and
//! manual) to the Private Link target, and the inline DNS zone group
//! declared as the child resource ARM has.

use crate::model::{Node, Object, Part, Resource, Truth, Unit, Value};
use crate::terraform::eval::{Decl, Module, Nested};

use super::{Family, Mapping, block_span, full_name, inline_resource, put};

const ZONE_GROUP: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";

pub(super) const FAMILY: Family = Family {
    types: &[(
        "azurerm_private_endpoint",
        "Microsoft.Network/privateEndpoints",
    )],
    map,
};

fn map(m: &mut Mapping, _unit: &mut Unit) {
    let (module, decl, file, whole) = (m.module, m.decl, m.file, m.whole);
    if let Some(subnet) = m.attr("subnet_id") {
        put(&mut m.properties, "subnet.id", subnet);
    }
    let mut automatic = Vec::new();
    let mut manual = Vec::new();
    let top = m.top();
    for connection in module.nested(&top, file, "private_service_connection") {
        let connection = &connection;
        let mut item = Object::new();
        if let Some(name) = module.block_attribute(connection, file, "name") {
            item.insert("name", name);
        }
        if let Some(target) =
            module.block_attribute(connection, file, "private_connection_resource_id")
        {
            put(&mut item, "properties.privateLinkServiceId", target);
        }
        if let Some(groups) = module.block_attribute(connection, file, "subresource_names") {
            put(&mut item, "properties.groupIds", groups);
        }
        let node = Node::object(item, block_span(file, connection.block));
        match module
            .block_attribute(connection, file, "is_manual_connection")
            .map(|n| n.value)
        {
            Some(Value::Bool(true)) => manual.push(node),
            _ => automatic.push(node),
        }
    }
    for (key, list) in [
        ("privateLinkServiceConnections", automatic),
        ("manualPrivateLinkServiceConnections", manual),
    ] {
        if !list.is_empty() {
            m.properties
                .insert(key, Node::new(Value::Array(list), whole));
        }
    }
    if let Some(group) = module.nested(&top, file, "private_dns_zone_group").first() {
        let child = zone_group(module, decl, group, &m.names, m.exists);
        m.children.push(child);
    }
}

fn zone_group(
    module: &Module,
    decl: &Decl,
    group: &Nested,
    pe_names: &[Part],
    exists: Truth,
) -> Resource {
    let file = decl.file;
    let span = block_span(file, group.block);
    let group_name = match module.block_attribute(group, file, "name").map(|n| n.value) {
        Some(Value::String(s)) => Part::Known(s.into_string()),
        _ => Part::Unknown,
    };
    let names = vec![
        pe_names.first().cloned().unwrap_or(Part::Unknown),
        group_name,
    ];
    let mut properties = Object::new();
    if let Some(ids) = module.block_attribute(group, file, "private_dns_zone_ids") {
        let configs = match ids.value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|id| {
                        let span = id.span;
                        let mut config = Object::new();
                        put(&mut config, "properties.privateDnsZoneId", id);
                        Node::object(config, span)
                    })
                    .collect(),
            ),
            _ => Value::Unknown,
        };
        properties.insert("privateDnsZoneConfigs", Node::new(configs, ids.span));
    }
    let mut body = Object::new();
    body.insert("name", Node::new(full_name(&names), span));
    body.insert("type", Node::string(ZONE_GROUP, span));
    body.insert("properties", Node::object(properties, span));
    let key = format!("{}/private_dns_zone_group", decl.key);
    inline_resource(module, decl, (ZONE_GROUP, key), names, body, span, exists)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};

    const VAULT: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv";
    const ZONE: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net";

    #[test]
    fn connections_split_by_approval_and_the_zone_group_becomes_a_child() {
        let loaded = load(&format!(
            r#"
resource "azurerm_private_endpoint" "kv" {{
  name      = "kv-pe"
  subnet_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
  private_service_connection {{
    name                           = "auto"
    private_connection_resource_id = "{VAULT}"
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }}
  private_service_connection {{
    name                           = "manual"
    private_connection_resource_id = "{VAULT}"
    is_manual_connection           = true
  }}
  private_dns_zone_group {{
    name                 = "default"
    private_dns_zone_ids = ["{ZONE}"]
  }}
}}
"#
        ));
        let pe = resource(&loaded, "azurerm_private_endpoint.kv");
        assert_eq!(pe.rtype, "Microsoft.Network/privateEndpoints");
        assert!(at(pe, "properties.subnet.id").is_some());
        assert_eq!(
            text(
                pe,
                "properties.privateLinkServiceConnections.0.properties.privateLinkServiceId"
            ),
            Some(VAULT)
        );
        assert_eq!(
            text(
                pe,
                "properties.privateLinkServiceConnections.0.properties.groupIds.0"
            ),
            Some("vault")
        );
        assert_eq!(
            text(pe, "properties.manualPrivateLinkServiceConnections.0.name"),
            Some("manual")
        );
        let group = resource(
            &loaded,
            "azurerm_private_endpoint.kv/private_dns_zone_group",
        );
        assert_eq!(group.rtype, super::ZONE_GROUP);
        assert_eq!(group.full_name().as_deref(), Some("kv-pe/default"));
        assert_eq!(
            text(
                group,
                "properties.privateDnsZoneConfigs.0.properties.privateDnsZoneId"
            ),
            Some(ZONE)
        );
        assert_eq!(
            loaded.units[0].parents.get(&group.key).map(String::as_str),
            Some("azurerm_private_endpoint.kv")
        );
    }
}
