//! Virtual networks and what hangs off them: subnets (standalone and
//! inline), NSGs and their rules, route tables and routes, network
//! interfaces, peerings, and the subnet associations folded into the
//! subnets they name.

use crate::model::{Node, Object, Part, Resource, Truth, Unit, Value};
use crate::source::FileId;
use crate::terraform::eval::{Decl, Module, Nested};

use super::{
    Family, Mapping, block_span, enabled, exists, full_name, inline_resource, parent_by_reference,
    put,
};

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_virtual_network",
            "Microsoft.Network/virtualNetworks",
        ),
        (
            "azurerm_subnet",
            "Microsoft.Network/virtualNetworks/subnets",
        ),
        (
            "azurerm_network_security_group",
            "Microsoft.Network/networkSecurityGroups",
        ),
        ("azurerm_route_table", "Microsoft.Network/routeTables"),
        (
            "azurerm_application_security_group",
            "Microsoft.Network/applicationSecurityGroups",
        ),
        (
            "azurerm_network_interface",
            "Microsoft.Network/networkInterfaces",
        ),
        (
            "azurerm_virtual_network_peering",
            "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        ),
        (
            "azurerm_network_security_rule",
            "Microsoft.Network/networkSecurityGroups/securityRules",
        ),
        ("azurerm_route", "Microsoft.Network/routeTables/routes"),
    ],
    map,
};

fn map(m: &mut Mapping, unit: &mut Unit) {
    let (module, decl, file, whole) = (m.module, m.decl, m.file, m.whole);
    match decl.kind.as_str() {
        "azurerm_subnet" => {
            subnet_properties(module, &m.top(), file, &mut m.properties);
            parent_by_reference(module, decl, &["virtual_network_name"], unit);
        }
        "azurerm_virtual_network" => {
            if let Some(space) = m.attr("address_space") {
                put(&mut m.properties, "addressSpace.addressPrefixes", space);
            }
            if let Some(dns) = m.attr("dns_servers") {
                put(&mut m.properties, "dhcpOptions.dnsServers", dns);
            }
            let mut inline = Vec::new();
            for (i, subnet) in module.nested(&m.top(), file, "subnet").iter().enumerate() {
                // As in ARM: the VNet lists its inline subnets by name.
                let mut item = Object::new();
                if let Some(name) = module.block_attribute(subnet, file, "name") {
                    item.insert("name", name);
                }
                inline.push(Node::object(item, block_span(file, subnet.block)));
                let child = inline_subnet(module, decl, subnet, i, &m.names, m.exists);
                m.children.push(child);
            }
            if !inline.is_empty() {
                m.properties
                    .insert("subnets", Node::new(Value::Array(inline), whole));
            }
        }
        "azurerm_network_interface" => {
            let mut items = Vec::new();
            for ip in module.nested(&m.top(), file, "ip_configuration") {
                let mut item = Object::new();
                if let Some(name) = module.block_attribute(&ip, file, "name") {
                    item.insert("name", name);
                }
                if let Some(subnet) = module.block_attribute(&ip, file, "subnet_id") {
                    put(&mut item, "properties.subnet.id", subnet);
                }
                items.push(Node::object(item, block_span(file, ip.block)));
            }
            if !items.is_empty() {
                m.properties
                    .insert("ipConfigurations", Node::new(Value::Array(items), whole));
            }
        }
        "azurerm_network_security_group" => {
            inline_items(
                module,
                decl,
                ("security_rule", "securityRules"),
                SECURITY_RULE,
                &mut m.properties,
            );
        }
        "azurerm_network_security_rule" => {
            copy_attributes(module, &m.top(), file, SECURITY_RULE, &mut m.properties);
            parent_by_reference(module, decl, &["network_security_group_name"], unit);
        }
        "azurerm_route_table" => {
            inline_items(module, decl, ("route", "routes"), ROUTE, &mut m.properties);
        }
        "azurerm_route" => {
            copy_attributes(module, &m.top(), file, ROUTE, &mut m.properties);
            parent_by_reference(module, decl, &["route_table_name"], unit);
        }
        "azurerm_virtual_network_peering" => {
            if let Some(remote) = m.attr("remote_virtual_network_id") {
                put(&mut m.properties, "remoteVirtualNetwork.id", remote);
            }
            parent_by_reference(module, decl, &["virtual_network_name"], unit);
        }
        _ => {}
    }
}

/// The three generations of the subnet's private-endpoint policy attribute.
fn network_policies(module: &Module, block: &Nested, file: FileId, properties: &mut Object) {
    let current = module.block_attribute(block, file, "private_endpoint_network_policies");
    let enabled_flag =
        module.block_attribute(block, file, "private_endpoint_network_policies_enabled");
    let enforce = module.block_attribute(
        block,
        file,
        "enforce_private_link_endpoint_network_policies",
    );
    // The legacy attribute's own name and span, for NET002 (Terraform-only
    // facts live under `terraform` in the neutral model).
    let legacy = [
        (
            "private_endpoint_network_policies_enabled",
            enabled_flag.as_ref(),
        ),
        (
            "enforce_private_link_endpoint_network_policies",
            enforce.as_ref(),
        ),
    ]
    .into_iter()
    .find_map(|(name, node)| node.map(|n| Node::string(name, n.span)));
    if let Some(legacy) = legacy {
        let span = legacy.span;
        put(
            properties,
            "terraform.privateEndpointNetworkPolicies",
            legacy,
        );
        // NET002's fix writes the current attribute, which azurerm has
        // from 3.103: whether every version the configuration may use has it.
        if let Some(lowest) = module.azurerm_lowest {
            put(
                properties,
                "terraform.currentPolicyAttribute",
                Node::new(Value::Bool(lowest >= (3, 103)), span),
            );
        }
    }
    let node = match (current, enabled_flag, enforce) {
        (Some(node), _, _) => node,
        (None, Some(flag), _) => enabled(flag, false),
        // `enforce_…_policies = true` meant the policies were *disabled*.
        (None, None, Some(flag)) => enabled(flag, true),
        // 4.x and later default to `Disabled` (the rule's own default for a
        // missing value); 3.x left it computed: whatever Azure chose.
        (None, None, None) if module.azurerm_major == Some(3) => {
            Node::unknown(block_span(file, block.block))
        }
        (None, None, None) => return,
    };
    properties.insert("privateEndpointNetworkPolicies", node);
}

fn delegations(module: &Module, block: &Nested, file: FileId, properties: &mut Object) {
    let mut items = Vec::new();
    for delegation in module.nested(block, file, "delegation") {
        let mut item = Object::new();
        if let Some(name) = module.block_attribute(&delegation, file, "name") {
            item.insert("name", name);
        }
        if let Some(service) = module
            .nested(&delegation, file, "service_delegation")
            .first()
            && let Some(service_name) = module.block_attribute(service, file, "name")
        {
            put(&mut item, "properties.serviceName", service_name);
        }
        items.push(Node::object(item, block_span(file, delegation.block)));
    }
    if !items.is_empty() {
        properties.insert(
            "delegations",
            Node::new(Value::Array(items), block_span(file, block.block)),
        );
    }
}

fn subnet_properties(module: &Module, block: &Nested, file: FileId, properties: &mut Object) {
    for (tf, arm) in [
        ("address_prefixes", "addressPrefixes"),
        ("address_prefix", "addressPrefix"),
    ] {
        if let Some(node) = module.block_attribute(block, file, tf) {
            properties.insert(arm, node);
        }
    }
    for (tf, arm) in [
        ("security_group", "networkSecurityGroup.id"),
        ("route_table_id", "routeTable.id"),
    ] {
        if let Some(node) = module.block_attribute(block, file, tf) {
            put(properties, arm, node);
        }
    }
    delegations(module, block, file, properties);
    network_policies(module, block, file, properties);
}

/// NSG rule attributes: Terraform name → ARM property (under `properties`).
const SECURITY_RULE: &[(&str, &str)] = &[
    ("access", "access"),
    ("direction", "direction"),
    ("priority", "priority"),
    ("protocol", "protocol"),
    ("source_port_range", "sourcePortRange"),
    ("source_port_ranges", "sourcePortRanges"),
    ("destination_port_range", "destinationPortRange"),
    ("destination_port_ranges", "destinationPortRanges"),
    ("source_address_prefix", "sourceAddressPrefix"),
    ("source_address_prefixes", "sourceAddressPrefixes"),
    ("destination_address_prefix", "destinationAddressPrefix"),
    ("destination_address_prefixes", "destinationAddressPrefixes"),
    (
        "source_application_security_group_ids",
        "sourceApplicationSecurityGroups",
    ),
    (
        "destination_application_security_group_ids",
        "destinationApplicationSecurityGroups",
    ),
];

/// Route attributes: Terraform name → ARM property (under `properties`).
const ROUTE: &[(&str, &str)] = &[
    ("address_prefix", "addressPrefix"),
    ("next_hop_type", "nextHopType"),
    ("next_hop_in_ip_address", "nextHopIpAddress"),
];

/// Copies attributes by the table; ARM lists ids as `[{ id }]`, Terraform as
/// a list of strings (`…_ids`).
fn copy_attributes(
    module: &Module,
    block: &Nested,
    file: FileId,
    table: &[(&str, &str)],
    properties: &mut Object,
) {
    for (tf, arm) in table {
        let Some(node) = module.block_attribute(block, file, tf) else {
            continue;
        };
        let node = if tf.ends_with("_ids") {
            match node.value {
                Value::Array(items) => Node::new(
                    Value::Array(
                        items
                            .into_iter()
                            .map(|id| {
                                let span = id.span;
                                let mut item = Object::new();
                                item.insert("id", id);
                                Node::object(item, span)
                            })
                            .collect(),
                    ),
                    node.span,
                ),
                _ => Node::new(Value::Unknown, node.span),
            }
        } else {
            node
        };
        properties.insert(*arm, node);
    }
}

/// Inline blocks (`security_rule {}`, `route {}`) as ARM's list of
/// `{ name, properties }` under `properties.<key>`.
fn inline_items(
    module: &Module,
    decl: &Decl,
    (block, key): (&str, &str),
    table: &[(&str, &str)],
    properties: &mut Object,
) {
    let file = decl.file;
    let items: Vec<Node> = module
        .nested(&Nested::top(decl.block), file, block)
        .iter()
        .map(|item| named_item(module, item, file, table))
        .collect();
    if !items.is_empty() {
        let whole = block_span(file, decl.block);
        properties.insert(key, Node::new(Value::Array(items), whole));
    }
}

/// An inline block (`security_rule {}`, `route {}`) as ARM's `{ name, properties }`.
fn named_item(module: &Module, block: &Nested, file: FileId, table: &[(&str, &str)]) -> Node {
    let mut item = Object::new();
    if let Some(name) = module.block_attribute(block, file, "name") {
        item.insert("name", name);
    }
    let mut properties = Object::new();
    copy_attributes(module, block, file, table, &mut properties);
    let span = block_span(file, block.block);
    item.insert("properties", Node::object(properties, span));
    Node::object(item, span)
}

fn inline_subnet(
    module: &Module,
    decl: &Decl,
    block: &Nested,
    index: usize,
    vnet_names: &[Part],
    exists: Truth,
) -> Resource {
    let file = decl.file;
    let span = block_span(file, block.block);
    let name = module.block_attribute(block, file, "name");
    let names = vec![
        vnet_names.first().cloned().unwrap_or(Part::Unknown),
        match name.as_ref().map(|n| &n.value) {
            Some(Value::String(s)) => Part::Known(s.to_string()),
            _ => Part::Unknown,
        },
    ];
    let mut properties = Object::new();
    subnet_properties(module, block, file, &mut properties);
    let mut body = Object::new();
    body.insert(
        "name",
        Node::new(full_name(&names), name.and_then(|n| n.span).or(span)),
    );
    body.insert(
        "type",
        Node::string("Microsoft.Network/virtualNetworks/subnets", span),
    );
    body.insert("properties", Node::object(properties, span));
    let key = format!("{}/subnet[{index}]", decl.key);
    inline_resource(
        module,
        decl,
        ("Microsoft.Network/virtualNetworks/subnets", key),
        names,
        body,
        span,
        exists,
    )
}

/// Folds NSG and route-table associations into the subnets they name. An
/// association whose subnet cannot be found makes every subnet's NSG (or
/// route table) unknown rather than absent: plinth cannot tell which subnet
/// it attaches to.
pub fn fold_associations(module: &Module, unit: &mut Unit) {
    for decl in &module.decls {
        let (property, attr) = match decl.kind.as_str() {
            "azurerm_subnet_network_security_group_association" => {
                ("networkSecurityGroup", "network_security_group_id")
            }
            "azurerm_subnet_route_table_association" => ("routeTable", "route_table_id"),
            _ => continue,
        };
        let Some(exists) = exists(module, decl) else {
            continue;
        };
        let whole = block_span(decl.file, decl.block);
        let mut target = module
            .attribute(decl, attr)
            .unwrap_or_else(|| Node::unknown(whole));
        if exists != Truth::True {
            target.value = Value::Unknown;
        }
        let subnet_id = module
            .attribute(decl, "subnet_id")
            .and_then(|n| n.value.as_id());
        let found = subnet_id.and_then(|id| {
            unit.resources.iter().position(|r| match &id.local {
                Some(local) => r.key == *local,
                None => {
                    r.is_type("Microsoft.Network/virtualNetworks/subnets")
                        && r.names.len() == id.names.len()
                        && r.names.iter().zip(&id.names).all(|(a, b)| match (a, b) {
                            (Part::Known(a), Part::Known(b)) => a.eq_ignore_ascii_case(b),
                            _ => false,
                        })
                }
            })
        });
        match found {
            Some(idx) => set_property(&mut unit.resources[idx], property, target),
            None => {
                for resource in unit
                    .resources
                    .iter_mut()
                    .filter(|r| r.is_type("Microsoft.Network/virtualNetworks/subnets"))
                {
                    if resource
                        .get_path(&format!("properties.{property}.id"))
                        .is_none()
                    {
                        set_property(resource, property, Node::unknown(None));
                    }
                }
            }
        }
    }
}

fn set_property(resource: &mut Resource, property: &str, id: Node) {
    let span = id.span;
    if let Value::Object(body) = &mut resource.body.value {
        let properties = body.object_mut("properties", span);
        let mut link = Object::new();
        link.insert("id", id);
        properties.insert(property, Node::object(link, span));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};
    use crate::model::Value;

    #[test]
    fn a_vnet_lists_its_inline_subnets_and_declares_each_as_a_child() {
        let loaded = load(
            r#"
resource "azurerm_virtual_network" "hub" {
  name          = "hub"
  address_space = ["10.0.0.0/16"]
  subnet {
    name             = "pe"
    address_prefixes = ["10.0.1.0/24"]
  }
}
"#,
        );
        let vnet = resource(&loaded, "azurerm_virtual_network.hub");
        assert_eq!(vnet.rtype, "Microsoft.Network/virtualNetworks");
        assert_eq!(
            text(vnet, "properties.addressSpace.addressPrefixes.0"),
            Some("10.0.0.0/16")
        );
        assert_eq!(text(vnet, "properties.subnets.0.name"), Some("pe"));
        let subnet = resource(&loaded, "azurerm_virtual_network.hub/subnet[0]");
        assert_eq!(subnet.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(subnet.full_name().as_deref(), Some("hub/pe"));
        assert_eq!(
            text(subnet, "properties.addressPrefixes.0"),
            Some("10.0.1.0/24")
        );
        assert_eq!(
            loaded.units[0].parents.get(&subnet.key).map(String::as_str),
            Some("azurerm_virtual_network.hub")
        );
    }

    #[test]
    fn a_subnet_delegation_maps_to_its_service_name() {
        let loaded = load(
            r#"
resource "azurerm_subnet" "db" {
  name                 = "db"
  virtual_network_name = azurerm_virtual_network.hub.name
  delegation {
    name = "pg"
    service_delegation {
      name = "Microsoft.DBforPostgreSQL/flexibleServers"
    }
  }
}
resource "azurerm_virtual_network" "hub" {
  name = "hub"
}
"#,
        );
        let subnet = resource(&loaded, "azurerm_subnet.db");
        assert_eq!(
            text(subnet, "properties.delegations.0.properties.serviceName"),
            Some("Microsoft.DBforPostgreSQL/flexibleServers")
        );
        assert_eq!(
            loaded.units[0]
                .parents
                .get("azurerm_subnet.db")
                .map(String::as_str),
            Some("azurerm_virtual_network.hub")
        );
    }

    #[test]
    fn nsg_rules_inline_and_standalone_take_arm_property_names() {
        let loaded = load(
            r#"
resource "azurerm_network_security_group" "nsg" {
  name = "nsg"
  security_rule {
    name                   = "deny"
    access                 = "Deny"
    destination_port_range = "5432"
  }
}
resource "azurerm_network_security_rule" "allow" {
  name                                  = "allow"
  network_security_group_name           = azurerm_network_security_group.nsg.name
  access                                = "Allow"
  source_application_security_group_ids = ["/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/applicationSecurityGroups/app"]
}
"#,
        );
        let nsg = resource(&loaded, "azurerm_network_security_group.nsg");
        assert_eq!(
            text(nsg, "properties.securityRules.0.properties.access"),
            Some("Deny")
        );
        assert_eq!(
            text(
                nsg,
                "properties.securityRules.0.properties.destinationPortRange"
            ),
            Some("5432")
        );
        let rule = resource(&loaded, "azurerm_network_security_rule.allow");
        assert_eq!(text(rule, "properties.access"), Some("Allow"));
        // ARM lists ids as `[{ id }]`.
        assert!(at(rule, "properties.sourceApplicationSecurityGroups.0.id").is_some());
        assert_eq!(
            loaded.units[0]
                .parents
                .get("azurerm_network_security_rule.allow")
                .map(String::as_str),
            Some("azurerm_network_security_group.nsg")
        );
    }

    #[test]
    fn routes_map_their_next_hop() {
        let loaded = load(
            r#"
resource "azurerm_route_table" "rt" {
  name = "rt"
  route {
    name                   = "default"
    address_prefix         = "0.0.0.0/0"
    next_hop_type          = "VirtualAppliance"
    next_hop_in_ip_address = "10.0.0.4"
  }
}
"#,
        );
        let table = resource(&loaded, "azurerm_route_table.rt");
        assert_eq!(
            text(table, "properties.routes.0.properties.nextHopIpAddress"),
            Some("10.0.0.4")
        );
    }

    #[test]
    fn a_network_interface_names_its_subnet_per_ip_configuration() {
        let loaded = load(
            r#"
resource "azurerm_network_interface" "nic" {
  name = "nic"
  ip_configuration {
    name      = "primary"
    subnet_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a"
  }
}
"#,
        );
        let nic = resource(&loaded, "azurerm_network_interface.nic");
        assert_eq!(
            text(nic, "properties.ipConfigurations.0.name"),
            Some("primary")
        );
        assert!(at(nic, "properties.ipConfigurations.0.properties.subnet.id").is_some());
    }

    #[test]
    fn an_nsg_association_is_folded_into_its_subnet_and_an_unresolved_one_makes_nsgs_unknown() {
        let loaded = load(
            r#"
resource "azurerm_subnet" "a" {
  name                 = "a"
  virtual_network_name = "v"
}
resource "azurerm_network_security_group" "nsg" {
  name = "nsg"
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.a.id
  network_security_group_id = azurerm_network_security_group.nsg.id
}
"#,
        );
        let subnet = resource(&loaded, "azurerm_subnet.a");
        assert!(matches!(
            at(subnet, "properties.networkSecurityGroup.id"),
            Some(Value::Id(_))
        ));

        let loaded = load(
            r#"
variable "subnet" {}
resource "azurerm_subnet" "a" {
  name                 = "a"
  virtual_network_name = "v"
}
resource "azurerm_subnet_route_table_association" "x" {
  subnet_id      = var.subnet
  route_table_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/routeTables/rt"
}
"#,
        );
        let subnet = resource(&loaded, "azurerm_subnet.a");
        assert_eq!(
            at(subnet, "properties.routeTable.id"),
            Some(&Value::Unknown)
        );
    }
}
