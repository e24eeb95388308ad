//! The azurerm provider mapped onto the neutral model's ARM shapes, as
//! `docs/neutral-model.md` specifies: each resource block becomes a resource
//! of the ARM type it manages, its attributes placed where ARM keeps them,
//! each value carrying the span of the attribute it came from.
//!
//! With no provider version information the newest azurerm is assumed.

use hcl_edit::Span as _;
use hcl_edit::structure::Block;

use crate::model::{ArmId, Framework, Node, Object, Origin, Part, Resource, Truth, Unit, Value};
use crate::source::{FileId, Span};
use crate::terraform::eval::{Decl, Module, Nested, span_of};

/// azurerm resource type → the ARM type it manages. Types not listed here
/// are not modelled; references to them are unknown.
const TYPES: &[(&str, &str)] = &[
    (
        "azurerm_resource_group",
        "Microsoft.Resources/resourceGroups",
    ),
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
    ("azurerm_management_lock", "Microsoft.Authorization/locks"),
    (
        "azurerm_network_interface",
        "Microsoft.Network/networkInterfaces",
    ),
    (
        "azurerm_private_endpoint",
        "Microsoft.Network/privateEndpoints",
    ),
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
    ("azurerm_linux_web_app", "Microsoft.Web/sites"),
    ("azurerm_windows_web_app", "Microsoft.Web/sites"),
    (
        "azurerm_cognitive_account",
        "Microsoft.CognitiveServices/accounts",
    ),
    (
        "azurerm_ai_services",
        "Microsoft.CognitiveServices/accounts",
    ),
    ("azurerm_linux_function_app", "Microsoft.Web/sites"),
    ("azurerm_windows_function_app", "Microsoft.Web/sites"),
    ("azurerm_app_service", "Microsoft.Web/sites"),
    ("azurerm_function_app", "Microsoft.Web/sites"),
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
    (
        "azurerm_postgresql_server",
        "Microsoft.DBforPostgreSQL/servers",
    ),
    ("azurerm_mysql_server", "Microsoft.DBforMySQL/servers"),
    ("azurerm_mariadb_server", "Microsoft.DBforMariaDB/servers"),
    (
        "azurerm_mssql_managed_instance",
        "Microsoft.Sql/managedInstances",
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
];

pub fn arm_type(kind: &str) -> Option<&'static str> {
    TYPES.iter().find(|(k, _)| *k == kind).map(|(_, t)| *t)
}

/// Sets `path` (dotted) in `object`, creating objects on the way.
fn put(object: &mut Object, path: &str, node: Node) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else {
        return;
    };
    let mut target = object;
    for key in keys {
        target = target.object_mut(key, node.span);
    }
    target.insert(last, node);
}

fn block_span(file: FileId, block: &Block) -> Option<Span> {
    span_of(file, block.span())
}

/// `true` → `Enabled`, `false` → `Disabled` (inverted when `invert`).
fn enabled(node: Node, invert: bool) -> Node {
    let value = match node.value {
        Value::Bool(b) => Value::String(if b != invert { "Enabled" } else { "Disabled" }.into()),
        _ => Value::Unknown,
    };
    Node::new(value, node.span)
}

/// Whether the declaration is deployed: `count = 0` or an empty `for_each` drop it.
fn exists(module: &Module, decl: &Decl) -> Option<Truth> {
    if let Some(count) = module.attribute(decl, "count") {
        return match count.value {
            Value::Number(0.0) => None,
            Value::Number(_) => Some(Truth::True),
            _ => Some(Truth::Unknown),
        };
    }
    if let Some(for_each) = module.attribute(decl, "for_each") {
        return match for_each.value {
            Value::Array(a) if a.is_empty() => None,
            Value::Object(o) if o.is_empty() => None,
            Value::Array(_) | Value::Object(_) => Some(Truth::True),
            _ => Some(Truth::Unknown),
        };
    }
    Some(Truth::True)
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
        put(
            properties,
            "terraform.privateEndpointNetworkPolicies",
            legacy,
        );
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

/// Gives every node without a span `span` (values decoded from a string).
fn set_spans(node: &mut Node, span: Option<Span>) {
    if node.span.is_none() {
        node.span = span;
    }
    match &mut node.value {
        Value::Array(items) => {
            for item in items {
                set_spans(item, span);
            }
        }
        Value::Object(o) => o.for_each_node_mut(|n| set_spans(n, span)),
        _ => {}
    }
}

fn full_name(names: &[Part]) -> Value {
    names
        .iter()
        .map(|p| p.known().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .map_or(Value::Unknown, |n| Value::String(n.join("/")))
}

/// Maps one declaration (and its inline children) into `unit`.
pub fn map(module: &Module, decl: &Decl, unit: &mut Unit) {
    module.within(decl, || map_within(module, decl, unit));
}

fn map_within(module: &Module, decl: &Decl, unit: &mut Unit) {
    // `azapi_resource` names its ARM type itself (`type = "T@apiVersion"`).
    let (rtype, api_version) = match arm_type(&decl.kind) {
        Some(rtype) => (rtype.to_string(), None),
        None => match module.azapi_type(decl) {
            Some(typed) => typed,
            None => return,
        },
    };
    let rtype = rtype.as_str();
    let Some(exists) = exists(module, decl) else {
        return;
    };
    let file = decl.file;
    let whole = block_span(file, decl.block);
    let names = module.names(decl);
    let mut body = Object::new();
    let name_span = module
        .attribute(decl, "name")
        .and_then(|n| n.span)
        .or(whole);
    body.insert("name", Node::new(full_name(&names), name_span));
    body.insert("type", Node::string(rtype, whole));
    if let Some(location) = module.attribute(decl, "location") {
        body.insert("location", location);
    }
    let attr = |key: &str| module.attribute(decl, key);
    let mut properties = Object::new();
    let mut children = Vec::new();
    // An azapi body that is not known: so is every property.
    let mut body_unknown = false;

    match decl.kind.as_str() {
        "azurerm_postgresql_flexible_server" => {
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
                    &mut properties,
                    "backup.geoRedundantBackup",
                    enabled(flag, false),
                );
            }
            if let Some(delegated) = delegated {
                put(
                    &mut properties,
                    "network.delegatedSubnetResourceId",
                    delegated,
                );
            }
            if let Some(zone) = attr("private_dns_zone_id") {
                put(&mut properties, "network.privateDnsZoneArmResourceId", zone);
            }
            put(&mut properties, "network.publicNetworkAccess", public);
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
                        put(&mut properties, arm, enabled(flag, false));
                    }
                }
            }
            if let Some(ha) = module.nested(&top, file, "high_availability").first()
                && let Some(mode) = module.block_attribute(ha, file, "mode")
            {
                put(&mut properties, "highAvailability.mode", mode);
            }
            if let Some(sku) = attr("sku_name") {
                let tier = match sku.value.as_str().and_then(|s| s.split('_').next()) {
                    Some("B") => Value::String("Burstable".into()),
                    Some("GP") => Value::String("GeneralPurpose".into()),
                    Some("MO") => Value::String("MemoryOptimized".into()),
                    _ => Value::Unknown,
                };
                put(&mut body, "sku.tier", Node::new(tier, sku.span));
                put(&mut body, "sku.name", sku);
            }
        }
        "azurerm_postgresql_flexible_server_firewall_rule" => {
            for (tf, arm) in [
                ("start_ip_address", "startIpAddress"),
                ("end_ip_address", "endIpAddress"),
            ] {
                if let Some(node) = attr(tf) {
                    properties.insert(arm, node);
                }
            }
        }
        "azurerm_postgresql_flexible_server_configuration" => {
            if let Some(value) = attr("value") {
                properties.insert("value", value);
            }
        }
        "azurerm_private_endpoint" => {
            if let Some(subnet) = attr("subnet_id") {
                put(&mut properties, "subnet.id", subnet);
            }
            let mut automatic = Vec::new();
            let mut manual = Vec::new();
            let top = Nested::top(decl.block);
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
                if let Some(groups) = module.block_attribute(connection, file, "subresource_names")
                {
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
                    properties.insert(key, Node::new(Value::Array(list), whole));
                }
            }
            if let Some(group) = module.nested(&top, file, "private_dns_zone_group").first() {
                children.push(zone_group(module, decl, group, &names, exists));
            }
        }
        "azurerm_private_dns_zone_virtual_network_link" => {
            if let Some(vnet) = attr("virtual_network_id") {
                put(&mut properties, "virtualNetwork.id", vnet);
            }
            let registration = attr("registration_enabled")
                .unwrap_or_else(|| Node::new(Value::Bool(false), whole));
            properties.insert("registrationEnabled", registration);
            if let Some(policy) = attr("resolution_policy") {
                properties.insert("resolutionPolicy", policy);
            }
            parent_by_reference(
                module,
                decl,
                &["private_dns_zone_name", "private_dns_zone_id"],
                unit,
            );
        }
        "azurerm_private_dns_a_record" => {
            if let Some(records) = attr("records") {
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
                properties.insert("aRecords", Node::new(value, records.span));
            }
            if let Some(ttl) = attr("ttl") {
                properties.insert("ttl", ttl);
            }
            parent_by_reference(module, decl, &["zone_name"], unit);
        }
        "azurerm_virtual_network" => {
            if let Some(space) = attr("address_space") {
                put(&mut properties, "addressSpace.addressPrefixes", space);
            }
            if let Some(dns) = attr("dns_servers") {
                put(&mut properties, "dhcpOptions.dnsServers", dns);
            }
            let top = Nested::top(decl.block);
            let mut inline = Vec::new();
            for (i, subnet) in module.nested(&top, file, "subnet").iter().enumerate() {
                // As in ARM: the VNet lists its inline subnets by name.
                let mut item = Object::new();
                if let Some(name) = module.block_attribute(subnet, file, "name") {
                    item.insert("name", name);
                }
                inline.push(Node::object(item, block_span(file, subnet.block)));
                children.push(inline_subnet(module, decl, subnet, i, &names, exists));
            }
            if !inline.is_empty() {
                properties.insert("subnets", Node::new(Value::Array(inline), whole));
            }
        }
        "azurerm_network_interface" => {
            let top = Nested::top(decl.block);
            let mut items = Vec::new();
            for ip in module.nested(&top, file, "ip_configuration") {
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
                properties.insert("ipConfigurations", Node::new(Value::Array(items), whole));
            }
        }
        "azurerm_linux_web_app"
        | "azurerm_windows_web_app"
        | "azurerm_linux_function_app"
        | "azurerm_windows_function_app"
        | "azurerm_app_service"
        | "azurerm_function_app" => {
            if let Some(subnet) = attr("virtual_network_subnet_id") {
                properties.insert("virtualNetworkSubnetId", subnet);
            }
            // What the app's configuration reads from (PE007's clients),
            // except the subnet and plan it is placed with.
            let placed: Vec<ArmId> = ["virtual_network_subnet_id", "service_plan_id"]
                .iter()
                .filter_map(|a| match attr(a).map(|n| n.value) {
                    Some(Value::Id(id)) => Some(id),
                    _ => None,
                })
                .collect();
            let referenced: Vec<Node> = module
                .referenced_ids(decl.block)
                .into_iter()
                .filter(|id| !placed.contains(id))
                .map(|id| Node::new(Value::Id(id), whole))
                .collect();
            if !referenced.is_empty() {
                body.insert(
                    "referencedResources",
                    Node::new(Value::Array(referenced), whole),
                );
            }
        }
        "azurerm_network_security_group" => {
            inline_items(
                module,
                decl,
                ("security_rule", "securityRules"),
                SECURITY_RULE,
                &mut properties,
            );
        }
        "azurerm_network_security_rule" => {
            copy_attributes(
                module,
                &Nested::top(decl.block),
                file,
                SECURITY_RULE,
                &mut properties,
            );
            parent_by_reference(module, decl, &["network_security_group_name"], unit);
        }
        "azurerm_route_table" => {
            inline_items(module, decl, ("route", "routes"), ROUTE, &mut properties);
        }
        "azurerm_route" => {
            copy_attributes(
                module,
                &Nested::top(decl.block),
                file,
                ROUTE,
                &mut properties,
            );
            parent_by_reference(module, decl, &["route_table_name"], unit);
        }
        "azurerm_virtual_network_peering" => {
            if let Some(remote) = attr("remote_virtual_network_id") {
                put(&mut properties, "remoteVirtualNetwork.id", remote);
            }
            parent_by_reference(module, decl, &["virtual_network_name"], unit);
        }
        // An extension resource: `scope` names the locked resource, as in ARM.
        "azurerm_management_lock" => {
            if let Some(scope) = attr("scope") {
                body.insert("scope", scope);
            }
            if let Some(level) = attr("lock_level") {
                properties.insert("level", level);
            }
        }
        "azurerm_private_dns_resolver" | "azurerm_private_dns_resolver_virtual_network_link" => {
            if let Some(vnet) = attr("virtual_network_id") {
                put(&mut properties, "virtualNetwork.id", vnet);
            }
        }
        "azurerm_subnet" => {
            subnet_properties(module, &Nested::top(decl.block), file, &mut properties);
            parent_by_reference(module, decl, &["virtual_network_name"], unit);
        }
        // The body is the ARM resource's own JSON: its `properties` are
        // taken as they are (a `jsonencode`d body is decoded first).
        "azapi_resource" => match attr("body").map(|b| (b.value, b.span)) {
            Some((Value::Object(o), _)) => {
                if let Some(Node {
                    value: Value::Object(p),
                    ..
                }) = o.get("properties")
                {
                    properties = p.clone();
                }
            }
            Some((Value::String(text), span)) => {
                if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
                    && let Value::Object(o) = Value::from_json(&json)
                    && let Some(Node {
                        value: Value::Object(p),
                        ..
                    }) = o.get("properties")
                {
                    properties = p.clone();
                    // Decoded values have no spans of their own: the body's.
                    properties.for_each_node_mut(|n| set_spans(n, span));
                }
            }
            Some(_) => body_unknown = true,
            None => {}
        },
        _ => {}
    }
    let properties = if body_unknown {
        Node::unknown(whole)
    } else {
        Node::object(properties, whole)
    };
    body.insert("properties", properties);

    unit.resources.push(Resource {
        rtype: rtype.to_string(),
        names,
        subscription: Part::Unknown,
        resource_group: module.resource_group(decl),
        api_version,
        body: Node::object(body, whole),
        origin: Origin {
            file,
            framework: Framework::Terraform,
            address: decl.key.clone(),
        },
        span: whole.unwrap_or(Span::new(file, 0, 0)),
        key: decl.key.clone(),
        managed: decl.managed,
        exists,
    });
    for child in children {
        unit.parents.insert(child.key.clone(), decl.key.clone());
        unit.resources.push(child);
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

/// Records the parent named by a reference such as
/// `virtual_network_name = azurerm_virtual_network.hub.name`.
fn parent_by_reference(module: &Module, decl: &Decl, attrs: &[&str], unit: &mut Unit) {
    for attr in attrs {
        let Some(attribute) = decl.attribute(attr) else {
            continue;
        };
        if let Value::Id(id) = module.eval(&attribute.value, decl.file)
            && let Some(local) = id.local
        {
            unit.parents.insert(decl.key.clone(), local);
            return;
        }
        if let Some(parent) = referenced_resource(&attribute.value) {
            unit.parents.insert(decl.key.clone(), parent);
            return;
        }
    }
}

/// `azurerm_x.y.name` (or `data.azurerm_x.y.name`) → `azurerm_x.y`.
fn referenced_resource(expr: &hcl_edit::expr::Expression) -> Option<String> {
    match expr {
        hcl_edit::expr::Expression::Traversal(t) => traversal_resource(t),
        _ => None,
    }
}

/// The resource a traversal starts from: `azurerm_x.y.…` → `azurerm_x.y`,
/// `data.azurerm_x.y.…` → `data.azurerm_x.y`.
pub(crate) fn traversal_resource(t: &hcl_edit::expr::Traversal) -> Option<String> {
    use hcl_edit::expr::{Expression, TraversalOperator};
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let names: Vec<&str> = t
        .operators
        .iter()
        .map_while(|o| match o.value() {
            TraversalOperator::GetAttr(name) => Some(name.value().as_str()),
            _ => None,
        })
        .collect();
    match (root.value().as_str(), names.as_slice()) {
        ("data", [kind, name, ..]) => Some(format!("data.{kind}.{name}")),
        (kind, [name, ..]) if kind.starts_with("azurerm_") => Some(format!("{kind}.{name}")),
        _ => None,
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
        Some(Value::String(s)) => Part::Known(s),
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
    body.insert(
        "type",
        Node::string(
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
            span,
        ),
    );
    body.insert("properties", Node::object(properties, span));
    let key = format!("{}/private_dns_zone_group", decl.key);
    Resource {
        rtype: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups".into(),
        names,
        subscription: Part::Unknown,
        resource_group: module.resource_group(decl),
        api_version: None,
        body: Node::object(body, span),
        origin: Origin {
            file,
            framework: Framework::Terraform,
            address: key.clone(),
        },
        span: span.unwrap_or(Span::new(file, 0, 0)),
        key,
        managed: decl.managed,
        exists,
    }
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
            Some(Value::String(s)) => Part::Known(s.clone()),
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
    Resource {
        rtype: "Microsoft.Network/virtualNetworks/subnets".into(),
        names,
        subscription: Part::Unknown,
        resource_group: module.resource_group(decl),
        api_version: None,
        body: Node::object(body, span),
        origin: Origin {
            file,
            framework: Framework::Terraform,
            address: key.clone(),
        },
        span: span.unwrap_or(Span::new(file, 0, 0)),
        key,
        managed: decl.managed,
        exists,
    }
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
