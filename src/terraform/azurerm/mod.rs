//! The azurerm provider mapped onto the neutral model's ARM shapes, as
//! `docs/neutral-model.md` specifies: each resource block becomes a resource
//! of the ARM type it manages, its attributes placed where ARM keeps them,
//! each value carrying the span of the attribute it came from.
//!
//! This file holds what every service family shares: the dispatch from a
//! block's type to its family, the resource each mapping fills in, and the
//! small helpers (dotted `put`, `Enabled`/`Disabled`, `count`/`for_each`
//! existence, parents named by reference). Each family — one file per
//! service — lists the azurerm types it manages with their ARM types and
//! maps their attributes. It does not evaluate expressions (that is
//! `terraform::eval`) nor load modules.
//!
//! With no provider version information the newest azurerm is assumed.

mod app_service;
mod azapi;
mod dns;
mod link_targets;
mod management;
mod network;
mod postgresql;
mod private_endpoint;

pub use network::fold_associations;

use hcl_edit::Span as _;
use hcl_edit::structure::Block;

use crate::model::{Framework, Node, Object, Origin, Part, Resource, Truth, Unit, Value};
use crate::source::{FileId, Span};
use crate::terraform::eval::{Decl, Module, Nested, span_of};

/// azurerm resource type → the ARM type it manages, for one service family.
type Types = &'static [(&'static str, &'static str)];

/// One service family: the types it manages and how their attributes map.
struct Family {
    types: Types,
    /// Fills in the properties (and body, children, parents) of a
    /// declaration of one of `types`.
    map: fn(&mut Mapping, &mut Unit),
}

/// Every family. A type listed in none is not modelled; references to it
/// are unknown.
const FAMILIES: &[Family] = &[
    management::FAMILY,
    network::FAMILY,
    private_endpoint::FAMILY,
    dns::FAMILY,
    postgresql::FAMILY,
    app_service::FAMILY,
    link_targets::FAMILY,
];

pub fn arm_type(kind: &str) -> Option<&'static str> {
    FAMILIES
        .iter()
        .flat_map(|f| f.types.iter())
        .find(|(k, _)| *k == kind)
        .map(|(_, t)| *t)
}

/// One declaration being mapped: what a family reads, and what it fills in.
struct Mapping<'m, 'b> {
    module: &'m Module<'b>,
    decl: &'m Decl<'b>,
    file: FileId,
    /// The whole block: the span of values that have no attribute of their own.
    whole: Option<Span>,
    names: Vec<Part>,
    exists: Truth,
    /// The ARM body beside `properties` (`name`, `type`, `location`, `sku` …).
    body: Object,
    properties: Object,
    /// Resources declared inline (a VNet's subnets, an endpoint's zone group).
    children: Vec<Resource>,
    /// An azapi body that is not known: so is every property.
    body_unknown: bool,
}

impl<'b> Mapping<'_, 'b> {
    /// The evaluated attribute `key` of the resource's own block.
    fn attr(&self, key: &str) -> Option<Node> {
        self.module.attribute(self.decl, key)
    }

    /// The resource's own block, for its nested blocks.
    fn top(&self) -> Nested<'b> {
        Nested::top(self.decl.block)
    }
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

fn full_name(names: &[Part]) -> Value {
    names
        .iter()
        .map(|p| p.known().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .map_or(Value::Unknown, |n| Value::String(n.join("/").into()))
}

/// Maps one declaration (and its inline children) into `unit`.
pub fn map(module: &Module, decl: &Decl, unit: &mut Unit) {
    module.within(decl, || map_within(module, decl, unit));
}

fn map_within(module: &Module, decl: &Decl, unit: &mut Unit) {
    let family = FAMILIES
        .iter()
        .find(|f| f.types.iter().any(|(k, _)| *k == decl.kind));
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
    let mut mapping = Mapping {
        module,
        decl,
        file,
        whole,
        names,
        exists,
        body,
        properties: Object::new(),
        children: Vec::new(),
        body_unknown: false,
    };
    match family {
        Some(family) => (family.map)(&mut mapping, unit),
        None if decl.kind == "azapi_resource" => azapi::map(&mut mapping),
        None => {}
    }
    let Mapping {
        names,
        mut body,
        properties,
        children,
        body_unknown,
        ..
    } = mapping;
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

/// A resource declared inline in another block (a VNet's `subnet {}`, an
/// endpoint's `private_dns_zone_group {}`), keyed under its declaration.
fn inline_resource(
    module: &Module,
    decl: &Decl,
    (rtype, key): (&str, String),
    names: Vec<Part>,
    body: Object,
    span: Option<Span>,
    exists: Truth,
) -> Resource {
    let file = decl.file;
    Resource {
        rtype: rtype.into(),
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

/// Records the parent named by a reference such as
/// `virtual_network_name = azurerm_virtual_network.hub.name`.
fn parent_by_reference(module: &Module, decl: &Decl, attrs: &[&str], unit: &mut Unit) {
    for attr in attrs {
        let Some(attribute) = decl.attribute(attr) else {
            continue;
        };
        if let Value::Id(id) = module.eval(&attribute.value, decl.file)
            && let Some(local) = std::sync::Arc::unwrap_or_clone(id).local
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

/// What the families' tests share: a module loaded from HCL text (the
/// front-end's `testing`), and the mapped resources looked up by address and
/// by path.
#[cfg(test)]
mod testing {
    use crate::model::{Node, Resource, Value};
    pub use crate::terraform::testing::{load, resource};

    /// The value at a dotted path of the resource's ARM body, where a
    /// number picks a list element (`properties.routes.0.name`).
    pub fn at<'a>(r: &'a Resource, path: &str) -> Option<&'a Value> {
        path.split('.')
            .try_fold(&r.body, |node: &'a Node, key| {
                match (&node.value, key.parse()) {
                    (Value::Array(items), Ok(i)) => items.get::<usize>(i),
                    _ => node.get(key),
                }
            })
            .map(|n| &n.value)
    }

    /// The string at `path`, for terse assertions.
    pub fn text<'a>(r: &'a Resource, path: &str) -> Option<&'a str> {
        at(r, path).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_azurerm_type_belongs_to_one_family() {
        let mut seen = std::collections::HashSet::new();
        for (kind, _) in FAMILIES.iter().flat_map(|f| f.types.iter()) {
            assert!(seen.insert(kind), "{kind} is listed twice");
        }
    }

    #[test]
    fn an_unlisted_type_is_not_modelled() {
        let loaded = testing::load(
            r#"
resource "azurerm_logic_app_workflow" "w" {
  name = "w"
}
resource "azurerm_storage_account" "s" {
  name = "s"
}
"#,
        );
        let keys: Vec<&str> = loaded.units[0]
            .resources
            .iter()
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(keys, ["azurerm_storage_account.s"]);
    }

    #[test]
    fn count_zero_drops_the_resource_and_unknown_count_makes_it_uncertain() {
        let loaded = testing::load(
            r#"
variable "n" {}
resource "azurerm_storage_account" "gone" {
  count = 0
  name = "gone"
}
resource "azurerm_storage_account" "maybe" {
  count = var.n
  name = "maybe"
}
"#,
        );
        assert!(
            !loaded.units[0]
                .resources
                .iter()
                .any(|r| r.key.starts_with("azurerm_storage_account.gone"))
        );
        let maybe = testing::resource(&loaded, "azurerm_storage_account.maybe");
        assert_eq!(maybe.exists, Truth::Unknown);
    }
}
