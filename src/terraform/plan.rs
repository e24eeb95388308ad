//! Terraform plan JSON (`terraform show -json plan.out`) as a third input.
//!
//! A plan knows what the configuration could not: every value Terraform
//! computed before apply. Each planned resource instance (`planned_values`,
//! root and child modules) is written out as an HCL block — known values as
//! literals; values unknown until apply (`after_unknown` in
//! `resource_changes`) as the reference the configuration gives for them
//! (`configuration`'s `expressions`, so `subnet_id = azurerm_subnet.pe.id`
//! still links), or else as unknown — and read by the same front-end as
//! `.tf` files. Every span is then mapped back into the plan file: the
//! member of `values` (or of the configuration's `expressions`) that gave
//! the attribute, or the resource's object.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use crate::json::{JsonKind, JsonValue};
use crate::model::Loaded;
use crate::model::{Node, Unit, Value};
use crate::source::{FileId, SourceMap, Span};
use crate::terraform::azurerm;
use crate::terraform::eval::{Declared, Instance, InstanceKey, Module};

/// Whether a parsed JSON document is a plan: `format_version` and `planned_values`.
pub fn is_plan(root: &JsonValue) -> bool {
    root.get("format_version").is_some() && root.get("planned_values").is_some()
}

/// One planned module instance: its address (`""`, `module.db[0]`) and resources.
struct PlannedModule<'j> {
    address: String,
    resources: Vec<&'j JsonValue>,
}

/// The synthetic HCL text and where each piece of it came from in the plan.
struct Writer {
    text: String,
    /// Synthetic byte range → plan span, for attributes and blocks.
    exact: HashMap<(u32, u32), Span>,
    /// Every entry, ordered by start, for spans inside an attribute.
    ranges: Vec<(u32, u32, Span)>,
}

impl Writer {
    fn record(&mut self, start: usize, plan: Span) {
        let (start, end) = (start as u32, self.text.len() as u32);
        self.exact.insert((start, end), plan);
        self.ranges.push((start, end, plan));
    }

    /// The plan span for a synthetic `span`: the entry that is exactly it, or
    /// the innermost entry around it.
    fn map(&self, span: Span) -> Option<Span> {
        if let Some(plan) = self.exact.get(&(span.start, span.end)) {
            return Some(*plan);
        }
        let upto = self.ranges.partition_point(|(s, _, _)| *s <= span.start);
        self.ranges[..upto]
            .iter()
            .rev()
            .filter(|(s, e, _)| *s <= span.start && span.end <= *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|(_, _, plan)| *plan)
    }
}

/// Loads a plan whose JSON is already parsed (`root`, in `plan_file`).
#[allow(clippy::too_many_lines)] // a plan's steps: modules, configuration, resources
pub fn load(sources: &SourceMap, path: &Path, plan_file: FileId, root: &JsonValue) -> Loaded {
    let mut loaded = Loaded {
        files: 1,
        ..Loaded::default()
    };
    let mut modules = Vec::new();
    if let Some(root_module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned_modules(root_module, &mut modules);
    }
    let unknown_after: HashMap<String, &JsonValue> = root
        .get("resource_changes")
        .map(JsonValue::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let address = c.get("address")?.as_str()?.to_string();
            Some((address, c.get("change")?.get("after_unknown")?))
        })
        .collect();
    let configuration = root.get("configuration").and_then(|c| c.get("root_module"));

    let mut writer = Writer {
        text: String::new(),
        exact: HashMap::new(),
        ranges: Vec::new(),
    };
    // Each module instance's blocks, as ranges of the synthetic text.
    let mut module_blocks: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    for module in &modules {
        let config = module_config(configuration, &module.address);
        let start = writer.text.len();
        for resource in &module.resources {
            let address = resource
                .get("address")
                .and_then(JsonValue::as_str)
                .unwrap_or("");
            write_resource(
                &mut writer,
                resource,
                unknown_after.get(address).copied(),
                config.and_then(|c| resource_config(c, resource)),
            );
        }
        module_blocks.push((module.address.clone(), start..writer.text.len()));
    }
    writer
        .ranges
        .sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));

    let synthetic = sources.add(path.with_extension("json.tf"), writer.text.clone());
    let body = match hcl_edit::parser::parse_body(&writer.text) {
        Ok(body) => body,
        Err(_) => {
            // The writer only writes valid HCL; should it not, the plan says nothing.
            loaded.units.push(Unit {
                label: path.to_string_lossy().into_owned(),
                files: vec![plan_file],
                ..Unit::default()
            });
            return loaded;
        }
    };
    let mut built = Vec::new();
    for (address, range) in &module_blocks {
        let prefix = if address.is_empty() {
            String::new()
        } else {
            format!("{address}.")
        };
        let mut declared = Declared::default();
        for block in body.blocks() {
            let Some(span) = hcl_edit::Span::span(block) else {
                continue;
            };
            if span.start < range.start || span.end > range.end {
                continue;
            }
            let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_string());
            let (Some(kind), Some(name)) = (label(0), label(1)) else {
                continue;
            };
            let mut decl = super::declaration(block, &prefix, kind, name, synthetic);
            if let Some(index) = block.body.get_attribute("__plinth_index") {
                let key = match &index.value {
                    hcl_edit::expr::Expression::Number(n) => {
                        n.value().as_u64().map(|i| InstanceKey::Index(i as usize))
                    }
                    hcl_edit::expr::Expression::String(s) => {
                        Some(InstanceKey::Key(s.value().to_string()))
                    }
                    _ => None,
                };
                if let Some(key) = key {
                    decl.key.push_str(&key.suffix());
                    decl.instance = Some(Instance {
                        key,
                        value: Value::Unknown,
                    });
                }
            }
            declared.decls.push(decl);
        }
        built.push(Module::new(declared, prefix, HashMap::new()));
    }
    let mut unit = Unit {
        label: path.to_string_lossy().into_owned(),
        files: vec![plan_file],
        ..Unit::default()
    };
    for module in &built {
        for decl in &module.decls {
            azurerm::map(module, decl, &mut unit);
        }
    }
    for module in &built {
        azurerm::fold_associations(module, &mut unit);
    }
    remap(&mut unit, synthetic, plan_file, &writer);
    sources.release(synthetic);
    loaded.units.push(unit);
    loaded
}

/// Flattens `planned_values.root_module` and its `child_modules`.
fn planned_modules<'j>(module: &'j JsonValue, out: &mut Vec<PlannedModule<'j>>) {
    out.push(PlannedModule {
        address: module
            .get("address")
            .and_then(JsonValue::as_str)
            .unwrap_or("")
            .to_string(),
        resources: module
            .get("resources")
            .map(JsonValue::items)
            .unwrap_or_default()
            .iter()
            .collect(),
    });
    for child in module
        .get("child_modules")
        .map(JsonValue::items)
        .unwrap_or_default()
    {
        planned_modules(child, out);
    }
}

/// The configuration of the module at `address` (`module.a[0].module.b`):
/// `module_calls.a.module.module_calls.b.module`, instance keys dropped.
fn module_config<'j>(root: Option<&'j JsonValue>, address: &str) -> Option<&'j JsonValue> {
    let mut config = root?;
    let mut parts = address.split('.').filter(|p| !p.is_empty());
    while let Some(part) = parts.next() {
        if part != "module" {
            return None;
        }
        let name = parts.next()?;
        let name = name.split('[').next().unwrap_or(name);
        config = config.get("module_calls")?.get(name)?.get("module")?;
    }
    Some(config)
}

/// The configuration block of a planned resource (same mode, type and name).
fn resource_config<'j>(module: &'j JsonValue, resource: &JsonValue) -> Option<&'j JsonValue> {
    let field =
        |j: &JsonValue, key: &str| j.get(key).and_then(JsonValue::as_str).map(str::to_string);
    module.get("resources")?.items().iter().find(|c| {
        ["mode", "type", "name"]
            .iter()
            .all(|k| field(c, k) == field(resource, k))
    })
}

fn write_resource(
    writer: &mut Writer,
    resource: &JsonValue,
    unknown: Option<&JsonValue>,
    config: Option<&JsonValue>,
) {
    let text = |key: &str| resource.get(key).and_then(JsonValue::as_str).unwrap_or("");
    let keyword = if text("mode") == "data" {
        "data"
    } else {
        "resource"
    };
    let start = writer.text.len();
    let _ = writeln!(
        writer.text,
        "{keyword} {} {} {{",
        quote(text("type")),
        quote(text("name"))
    );
    match resource.get("index").map(|i| &i.kind) {
        Some(JsonKind::Number(n)) => {
            let _ = writeln!(writer.text, "  __plinth_index = {n}");
        }
        Some(JsonKind::String(s)) => {
            let _ = writeln!(writer.text, "  __plinth_index = {}", quote(s));
        }
        _ => {}
    }
    let values = resource.get("values");
    let expressions = config.and_then(|c| c.get("expressions"));
    write_body(writer, values, unknown, expressions, resource.span, 1);
    writer.text.push_str("}\n");
    writer.record(start, resource.span);
}

/// The attributes and nested blocks of one object of `values`.
fn write_body(
    writer: &mut Writer,
    values: Option<&JsonValue>,
    unknown: Option<&JsonValue>,
    expressions: Option<&JsonValue>,
    whole: Span,
    depth: usize,
) {
    let indent = "  ".repeat(depth);
    let mut keys: Vec<&str> = values
        .map(JsonValue::members)
        .unwrap_or_default()
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    for m in unknown.map(JsonValue::members).unwrap_or_default() {
        if !keys.contains(&m.key.as_str()) {
            keys.push(&m.key);
        }
    }
    for key in keys {
        if !is_identifier(key) {
            continue;
        }
        let member = values.and_then(|v| v.member(key));
        let unknown_here = unknown.and_then(|u| u.get(key));
        let expression = expressions.and_then(|e| e.member(key));
        let start = writer.text.len();
        if matches!(unknown_here.map(|u| &u.kind), Some(JsonKind::Bool(true))) {
            let value = unknown_value(key, expression.map(|e| &e.value));
            let _ = writeln!(writer.text, "{indent}{key} = {value}");
            let at = expression.map_or_else(|| member.map_or(whole, |m| m.span), |e| e.span);
            writer.record(start, at);
            continue;
        }
        let Some(member) = member else {
            continue;
        };
        match &member.value.kind {
            JsonKind::Null => {}
            JsonKind::Array(items)
                if !items.is_empty()
                    && items.iter().all(|i| matches!(i.kind, JsonKind::Object(_))) =>
            {
                // A list of objects: nested blocks, as the provider schema has them.
                for (i, item) in items.iter().enumerate() {
                    let block_start = writer.text.len();
                    let _ = writeln!(writer.text, "{indent}{key} {{");
                    write_body(
                        writer,
                        Some(item),
                        unknown_here.and_then(|u| u.items().get(i)),
                        expression.and_then(|e| e.value.items().get(i)),
                        item.span,
                        depth + 1,
                    );
                    let _ = writeln!(writer.text, "{indent}}}");
                    writer.record(block_start, item.span);
                }
            }
            _ => {
                let _ = writeln!(writer.text, "{indent}{key} = {}", literal(&member.value));
                writer.record(start, member.span);
            }
        }
    }
}

/// What to write for a value unknown until apply, from the configuration's
/// expression for it: the resource attribute it references, when that is
/// all it references (`azurerm_subnet.pe.id`); for a list attribute
/// (`…_ids`), every such reference, plus an unknown element if it also
/// references anything else; otherwise unknown.
fn unknown_value(key: &str, expression: Option<&JsonValue>) -> String {
    const UNKNOWN: &str = "var.__plinth_unknown";
    let references: Vec<&str> = expression
        .and_then(|e| e.get("references"))
        .map(JsonValue::items)
        .unwrap_or_default()
        .iter()
        .filter_map(JsonValue::as_str)
        .collect();
    let is_attribute = |r: &&str| {
        let root = r.split(['.', '[']).next().unwrap_or("");
        let dots = r.matches('.').count();
        hcl_edit::parser::parse_expr(r).is_ok()
            && ((root.contains('_') && dots >= 2) || (root == "data" && dots >= 3))
    };
    // `x.id` comes with `x` itself (and `x["a"].id` with `x["a"]` and `x`);
    // a reference is "other" when no listed attribute reference extends it.
    let attributes: Vec<&str> = references.iter().copied().filter(is_attribute).collect();
    let others = references.iter().any(|r| {
        !is_attribute(r)
            && !attributes.iter().any(|a| {
                a.strip_prefix(r)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
    });
    if key.ends_with("_ids") {
        let mut items: Vec<&str> = attributes;
        if others || items.is_empty() {
            items.push(UNKNOWN);
        }
        return format!("[{}]", items.join(", "));
    }
    match attributes.as_slice() {
        [only] if !others => only.to_string(),
        _ => UNKNOWN.to_string(),
    }
}

/// A JSON value as an HCL literal.
fn literal(j: &JsonValue) -> String {
    match &j.resolved().kind {
        JsonKind::Null => "null".into(),
        JsonKind::Bool(b) => b.to_string(),
        JsonKind::Number(n) if n.is_finite() => n.to_string(),
        JsonKind::Number(_) => "null".into(),
        JsonKind::String(s) => quote(s),
        JsonKind::Array(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        JsonKind::Object(members) => format!(
            "{{ {} }}",
            members
                .iter()
                .map(|m| format!("{} = {}", quote(&m.key), literal(&m.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        // `resolved` saw through it: a plan has none.
        JsonKind::Shared(_) => "null".into(),
    }
}

/// An HCL quoted string: escapes, and `${`/`%{` kept literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Moves every span in the synthetic file to where it came from in the plan.
fn remap(unit: &mut Unit, synthetic: FileId, plan: FileId, writer: &Writer) {
    let map = |span: Span| -> Span {
        if span.file != synthetic {
            return span;
        }
        writer.map(span).unwrap_or_else(|| Span::new(plan, 0, 0))
    };
    for resource in &mut unit.resources {
        resource.span = map(resource.span);
        resource.origin.file = plan;
        remap_node(&mut resource.body, &map);
    }
}

fn remap_node(node: &mut Node, map: &impl Fn(Span) -> Span) {
    if let Some(span) = node.span {
        node.span = Some(map(span));
    }
    match &mut node.value {
        Value::Array(items) => {
            for item in items {
                remap_node(item, map);
            }
        }
        Value::Object(object) => object.for_each_node_mut(|n| remap_node(n, map)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::model::Part;

    /// The plan's unit, as the front-end dispatch (`frontend`) hands a
    /// parsed plan over.
    fn load_plan(text: &str) -> Loaded {
        let sources = SourceMap::new();
        let path = std::path::Path::new("plan.json");
        let file = sources.add(path.to_path_buf(), text);
        let root = crate::json::parse(file, text, Limits::default().max_nesting)
            .expect("JSON")
            .expect("a value");
        load(&sources, path, file, &root)
    }

    const PLAN: &str = r#"{
  "format_version": "1.2",
  "planned_values": { "root_module": {
    "resources": [
      { "address": "azurerm_subnet.pe[\"a\"]", "mode": "managed", "type": "azurerm_subnet",
        "name": "pe", "index": "a",
        "values": { "name": "snet-a", "virtual_network_name": "vnet", "resource_group_name": "rg",
                    "address_prefixes": ["10.0.1.0/24"], "delegation": [] } }
    ],
    "child_modules": [ { "address": "module.dns", "resources": [
      { "address": "module.dns.azurerm_private_dns_zone.z", "mode": "managed",
        "type": "azurerm_private_dns_zone", "name": "z",
        "values": { "name": "quote\"d ${x}", "resource_group_name": "rg" } }
    ] } ]
  } },
  "resource_changes": [
    { "address": "azurerm_subnet.pe[\"a\"]",
      "change": { "after_unknown": { "id": true, "private_endpoint_network_policies": true } } }
  ],
  "configuration": { "root_module": { "resources": [
    { "address": "azurerm_subnet.pe", "mode": "managed", "type": "azurerm_subnet", "name": "pe",
      "expressions": { "private_endpoint_network_policies": { "references": ["var.policy"] } } }
  ] } }
}"#;

    #[test]
    fn unknown_after_apply_is_unknown_not_a_default() {
        let loaded = load_plan(PLAN);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let unit = &loaded.units[0];
        let subnet = unit
            .resources
            .iter()
            .find(|r| r.key == r#"azurerm_subnet.pe["a"]"#)
            .expect("the instance, addressed as Terraform does");
        assert_eq!(subnet.names, vec![Part::from("vnet"), Part::from("snet-a")]);
        let policy = subnet
            .get_path("properties.privateEndpointNetworkPolicies")
            .expect("present");
        assert_eq!(policy.value, Value::Unknown);
        // Spans point into the plan, at the configuration's expression.
        let span = policy.span.expect("a span");
        assert_eq!(span.file, unit.files[0]);
        let zone = unit
            .resources
            .iter()
            .find(|r| r.key == "module.dns.azurerm_private_dns_zone.z")
            .expect("the child module's zone");
        assert_eq!(zone.names, vec![Part::from("quote\"d ${x}")]);
    }

    #[test]
    fn unknown_values_render_references_only_when_they_are_all_there_is() {
        let refs = |r: &[&str]| {
            let list: Vec<String> = r
                .iter()
                .map(|s| serde_json::Value::String(s.to_string()).to_string())
                .collect();
            let text = format!("{{ \"references\": [{}] }}", list.join(","));
            crate::json::parse(FileId(0), &text, 16)
                .ok()
                .flatten()
                .expect("JSON")
        };
        let one = refs(&["azurerm_subnet.pe.id", "azurerm_subnet.pe"]);
        assert_eq!(
            unknown_value("subnet_id", Some(&one)),
            "azurerm_subnet.pe.id"
        );
        let mixed = refs(&["var.x", "azurerm_subnet.pe.id", "azurerm_subnet.pe"]);
        assert_eq!(
            unknown_value("subnet_id", Some(&mixed)),
            "var.__plinth_unknown"
        );
        assert_eq!(
            unknown_value("private_dns_zone_ids", Some(&mixed)),
            "[azurerm_subnet.pe.id, var.__plinth_unknown]"
        );
        assert_eq!(unknown_value("subnet_id", None), "var.__plinth_unknown");
        let indexed = refs(&[
            "azurerm_subnet.pe[\"a\"].id",
            "azurerm_subnet.pe[\"a\"]",
            "azurerm_subnet.pe",
        ]);
        assert_eq!(
            unknown_value("subnet_id", Some(&indexed)),
            "azurerm_subnet.pe[\"a\"].id"
        );
    }
}
