//! Terraform front-end: the `.tf` files of one folder are one module, and
//! one unit. Parsed with hcl-edit (the hcl-rs project's span-keeping
//! parser); azurerm resources are mapped onto the neutral model.
//!
//! Variables take their values from `terraform.tfvars`, `*.auto.tfvars` and
//! the var files named in the config or with `--var-file`, else from their
//! defaults. Not yet (issue #4): child modules, `count`/`for_each`
//! instances, `.tfvars.json`, plan JSON. What they would decide stays unknown.

pub mod azurerm;
pub mod eval;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::Loaded;
use crate::limits::{self, Limits};
use crate::model::Unit;
use crate::report::Problem;
use crate::source::{FileId, SourceMap, Span};
use eval::{Decl, Module};

/// Loads one Terraform module folder as a unit. `var_files` bind its
/// variables, in order (later ones win), as `terraform plan` would.
pub fn load_module(
    sources: &SourceMap,
    dir: &Path,
    files: &[PathBuf],
    var_files: &[PathBuf],
    limits: Limits,
) -> Loaded {
    let mut loaded = Loaded::default();
    let mut file_ids = Vec::new();
    let parsed: Vec<(FileId, Body)> = files
        .iter()
        .filter_map(|path| parse_file(sources, path, &mut loaded, &mut file_ids, limits))
        .collect();
    if parsed.is_empty() {
        return loaded;
    }
    let values: Vec<(FileId, Body)> = var_files
        .iter()
        .filter_map(|path| parse_file(sources, path, &mut loaded, &mut file_ids, limits))
        .collect();

    let mut variables: HashMap<String, (Option<&Expression>, FileId)> = HashMap::new();
    let mut locals: HashMap<String, (&Expression, FileId)> = HashMap::new();
    let mut decls = Vec::new();
    let mut opaque = Vec::new();
    for (file, body) in &parsed {
        for block in body.blocks() {
            let label = |i: usize| block.labels.get(i).map(|l| l.as_str().to_string());
            match block.ident.value().as_str() {
                "variable" => {
                    if let Some(name) = label(0) {
                        let default = block.body.get_attribute("default").map(|a| &a.value);
                        variables.insert(name, (default, *file));
                    }
                }
                "locals" => {
                    for attribute in block.body.attributes() {
                        locals.insert(
                            attribute.key.value().as_str().to_string(),
                            (&attribute.value, *file),
                        );
                    }
                }
                "resource" | "data" => {
                    if let (Some(kind), Some(name)) = (label(0), label(1)) {
                        decls.push(declaration(block, kind, name, *file));
                    }
                }
                // Modules are not read yet: what they declare is unseen.
                "module" => opaque.extend(eval::span_of(*file, hcl_edit::Span::span(block))),
                _ => {}
            }
        }
    }
    // A var file binds only variables the module declares; Terraform warns
    // about the others, and so they change nothing here.
    for (file, body) in &values {
        for attribute in body.attributes() {
            let name = attribute.key.value().as_str();
            if let Some(slot) = variables.get_mut(name) {
                *slot = (Some(&attribute.value), *file);
            }
        }
    }
    let mut module = Module::new(variables, locals, decls);
    for (span, max) in module.expand(limits.max_copies) {
        let Some(span) = span else { continue };
        loaded.problems.push(Limits::problem(
            sources,
            &limits::Hit {
                span,
                message: format!(
                    "more than {max} instances: the block is checked as one that may not exist"
                ),
                key: "max_copies",
                limit: max as u64,
            },
        ));
    }
    let mut unit = Unit {
        label: dir.to_string_lossy().into_owned(),
        files: file_ids,
        opaque,
        ..Unit::default()
    };
    for decl in &module.decls {
        azurerm::map(&module, decl, &mut unit);
    }
    azurerm::fold_associations(&module, &mut unit);
    loaded.units.push(unit);
    loaded
}

/// Reads and parses one `.tf` or `.tfvars` file; a problem, and `None`, when
/// it cannot be read or parsed.
fn parse_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<(FileId, Body)> {
    if let Some(size) = limits::oversized(path, limits) {
        loaded
            .problems
            .push(limits::file_too_big(path, size, limits));
        return None;
    }
    let file = match sources.load(path) {
        Ok(file) => file,
        Err(err) => {
            loaded
                .problems
                .push(Problem::new("io-error", format!("cannot read: {err}")).at(path, None));
            return None;
        }
    };
    loaded.files += 1;
    file_ids.push(file);
    let source = sources.get(file);
    match prescan(&source.text, limits) {
        Some(Excess::Nesting(at)) => {
            let span = Span::new(file, at, at + 1);
            loaded
                .problems
                .push(limits::nested_too_deep(path, span, limits));
            return None;
        }
        Some(Excess::ObjectMembers(at)) => {
            let span = Span::new(file, at, at + 1);
            loaded
                .problems
                .push(limits::object_too_large(path, span, limits));
            return None;
        }
        None => {}
    }
    match hcl_edit::parser::parse_body(&source.text) {
        Ok(body) => Some((file, body)),
        Err(err) => {
            let offset = err.location().offset().min(source.text.len());
            let end = source.text[offset..]
                .chars()
                .next()
                .map_or(offset, |c| offset + c.len_utf8());
            let message = err
                .message()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_string();
            loaded.problems.push(
                Problem::new("parse-error", format!("invalid HCL: {message}"))
                    .at(path, Some(Span::new(file, offset, end)))
                    .with_label(message),
            );
            None
        }
    }
}

fn declaration(block: &Block, kind: String, name: String, file: FileId) -> Decl<'_> {
    let managed = block.ident.value().as_str() == "resource";
    let key = if managed {
        format!("{kind}.{name}")
    } else {
        format!("data.{kind}.{name}")
    };
    Decl {
        key,
        kind,
        managed,
        block,
        file,
        instance: None,
    }
}

/// What a cheap scan before parsing found over a limit, and where.
#[derive(Debug, PartialEq)]
enum Excess {
    Nesting(usize),
    ObjectMembers(usize),
}

/// Scans for what the parser cannot take safely: brackets nested deeper than
/// `max_nesting` (its stack), and object expressions (`{ k = v, … }`, a `{`
/// after `=`, `:`, `(`, `[`, `,` or `?`) with more than `max_object_members`
/// members (hcl-edit's parser is quadratic in them: 100,000 take 23 s).
/// Brackets, `=` and `:` inside strings and comments count too: a cheap,
/// safe over-estimate.
fn prescan(text: &str, limits: Limits) -> Option<Excess> {
    // One frame per open bracket: whether it opens an object expression,
    // and how many `=`/`:` it holds directly.
    let mut frames: Vec<(bool, usize)> = Vec::new();
    let mut previous = b'\n';
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                let object =
                    b == b'{' && matches!(previous, b'=' | b':' | b'(' | b'[' | b',' | b'?');
                frames.push((object, 0));
                if frames.len() > limits.max_nesting {
                    return Some(Excess::Nesting(i));
                }
            }
            b')' | b']' | b'}' => {
                frames.pop();
            }
            b'=' | b':' => {
                if let Some((true, members)) = frames.last_mut() {
                    *members += 1;
                    if *members > limits.max_object_members {
                        return Some(Excess::ObjectMembers(i));
                    }
                }
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            previous = b;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Part, Resource, Value};

    fn load(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.tf");
        std::fs::write(&path, text).expect("write");
        load_module(
            &SourceMap::new(),
            dir.path(),
            &[path],
            &[],
            Limits::default(),
        )
    }

    fn resource<'a>(loaded: &'a Loaded, key: &str) -> &'a Resource {
        loaded.units[0]
            .resources
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
    }

    fn value<'a>(r: &'a Resource, path: &str) -> Option<&'a Value> {
        r.get_path(path).map(|n| &n.value)
    }

    #[test]
    fn all_three_generations_of_the_subnet_policy_attribute() {
        let loaded = load(
            r#"
resource "azurerm_subnet" "a" {
  name = "a"
  virtual_network_name = "v"
  private_endpoint_network_policies = "Disabled"
}
resource "azurerm_subnet" "b" {
  name = "b"
  virtual_network_name = "v"
  private_endpoint_network_policies_enabled = true
}
resource "azurerm_subnet" "c" {
  name = "c"
  virtual_network_name = "v"
  enforce_private_link_endpoint_network_policies = true
}
resource "azurerm_subnet" "d" {
  name = "d"
  virtual_network_name = "v"
}
"#,
        );
        let policy = |key| {
            value(
                resource(&loaded, key),
                "properties.privateEndpointNetworkPolicies",
            )
            .cloned()
        };
        assert_eq!(
            policy("azurerm_subnet.a"),
            Some(Value::String("Disabled".into()))
        );
        assert_eq!(
            policy("azurerm_subnet.b"),
            Some(Value::String("Enabled".into()))
        );
        assert_eq!(
            policy("azurerm_subnet.c"),
            Some(Value::String("Disabled".into()))
        );
        assert_eq!(policy("azurerm_subnet.d"), None);
        assert_eq!(
            resource(&loaded, "azurerm_subnet.a").names,
            vec![Part::from("v"), Part::from("a")]
        );
    }

    #[test]
    fn references_become_ids_with_the_address_and_unknowns_stay_unknown() {
        let loaded = load(
            r#"
variable "zone" {}
variable "prefix" { default = "pe" }
locals { name = "${var.prefix}-db" }
resource "azurerm_private_dns_zone" "z" { name = var.zone }
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_private_endpoint" "pe" {
  name      = local.name
  subnet_id = azurerm_subnet.s.id
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.z.id]
  }
}
"#,
        );
        let pe = resource(&loaded, "azurerm_private_endpoint.pe");
        assert_eq!(pe.names, vec![Part::from("pe-db")]);
        let Some(Value::Id(subnet)) = value(pe, "properties.subnet.id") else {
            panic!("an id");
        };
        assert_eq!(subnet.local.as_deref(), Some("azurerm_subnet.s"));
        assert_eq!(subnet.names, vec![Part::from("vnet"), Part::from("snet")]);

        let group = resource(
            &loaded,
            "azurerm_private_endpoint.pe/private_dns_zone_group",
        );
        assert_eq!(
            group.rtype,
            "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
        );
        assert_eq!(
            loaded.units[0].parents.get(&group.key).map(String::as_str),
            Some("azurerm_private_endpoint.pe")
        );
        let Some(Value::Array(configs)) = value(group, "properties.privateDnsZoneConfigs") else {
            panic!("configs");
        };
        let Some(Value::Id(zone)) = configs[0]
            .get_path("properties.privateDnsZoneId")
            .map(|n| &n.value)
        else {
            panic!("a zone id");
        };
        assert_eq!(
            zone.names,
            vec![Part::Unknown],
            "a variable without a default"
        );
        assert_eq!(zone.local.as_deref(), Some("azurerm_private_dns_zone.z"));
    }

    #[test]
    fn associations_fold_into_their_subnet_or_make_every_subnet_unknown() {
        let known = load(
            r#"
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_network_security_group" "n" { name = "nsg" }
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = azurerm_subnet.s.id
  network_security_group_id = azurerm_network_security_group.n.id
}
"#,
        );
        let subnet = resource(&known, "azurerm_subnet.s");
        assert!(
            matches!(value(subnet, "properties.networkSecurityGroup.id"), Some(Value::Id(id)) if id.names == vec![Part::from("nsg")])
        );

        let unknown = load(
            r#"
variable "subnet_id" {}
resource "azurerm_subnet" "s" {
  name = "snet"
  virtual_network_name = "vnet"
}
resource "azurerm_subnet_network_security_group_association" "a" {
  subnet_id                 = var.subnet_id
  network_security_group_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
}
"#,
        );
        let subnet = resource(&unknown, "azurerm_subnet.s");
        assert_eq!(
            value(subnet, "properties.networkSecurityGroup.id"),
            Some(&Value::Unknown)
        );
    }

    #[test]
    fn count_zero_drops_and_unknown_count_may_not_exist() {
        let loaded = load(
            r#"
variable "n" {}
resource "azurerm_private_dns_zone" "gone" {
  count = 0
  name  = "a"
}
resource "azurerm_private_dns_zone" "maybe" {
  count = var.n
  name  = "b"
}
"#,
        );
        assert!(
            loaded.units[0]
                .resources
                .iter()
                .all(|r| r.key != "azurerm_private_dns_zone.gone")
        );
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.maybe").exists,
            crate::model::Truth::Unknown
        );
    }

    #[test]
    fn count_and_for_each_make_instances_with_their_own_values() {
        let loaded = load(
            r#"
variable "zones" {
  default = { pg = "privatelink.postgres.database.azure.com", kv = "privatelink.vaultcore.azure.net" }
}
resource "azurerm_private_dns_zone" "z" {
  for_each            = var.zones
  name                = each.value
  resource_group_name = "rg-${each.key}"
}
resource "azurerm_private_dns_zone" "set" {
  for_each = toset(["a.example", "b.example"])
  name     = each.key
}
resource "azurerm_private_dns_zone_virtual_network_link" "l" {
  count                 = 2
  name                  = "link-${count.index}"
  private_dns_zone_name = azurerm_private_dns_zone.z[count.index == 0 ? "pg" : "kv"].name
  resource_group_name   = "rg"
  virtual_network_id    = "x"
}
"#,
        );
        let pg = resource(&loaded, r#"azurerm_private_dns_zone.z["pg"]"#);
        assert_eq!(
            pg.names,
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        assert_eq!(pg.resource_group, Part::from("rg-pg"));
        assert_eq!(pg.origin.address, r#"azurerm_private_dns_zone.z["pg"]"#);
        let b = resource(&loaded, r#"azurerm_private_dns_zone.set["b.example"]"#);
        assert_eq!(b.names, vec![Part::from("b.example")]);
        let link = resource(
            &loaded,
            "azurerm_private_dns_zone_virtual_network_link.l[1]",
        );
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.vaultcore.azure.net"),
                Part::from("link-1")
            ]
        );
        assert!(
            loaded.units[0]
                .resources
                .iter()
                .all(|r| r.key != "azurerm_private_dns_zone.z")
        );
    }

    #[test]
    fn unknown_instances_stay_whole_and_unknown() {
        let loaded = load(
            r#"
variable "zones" {}
resource "azurerm_private_dns_zone" "z" {
  for_each = var.zones
  name     = each.value
}
resource "azurerm_private_dns_zone" "mixed" {
  for_each = toset(["a", var.zones])
  name     = each.key
}
resource "azurerm_private_dns_zone" "plain" {
  name = "${each.key}-${count.index}"
}
"#,
        );
        for key in [
            "azurerm_private_dns_zone.z",
            "azurerm_private_dns_zone.mixed",
        ] {
            let r = resource(&loaded, key);
            assert_eq!(r.exists, crate::model::Truth::Unknown, "{key}");
            assert_eq!(r.names, vec![Part::Unknown], "{key}");
        }
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.plain").names,
            vec![Part::Unknown]
        );
    }

    #[test]
    fn too_many_instances_are_a_limit_hit() {
        let loaded = load(
            "resource \"azurerm_private_dns_zone\" \"z\" {\n  count = 100000\n  name  = \"z${count.index}\"\n}\n",
        );
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert_eq!(loaded.problems[0].code, "limit-exceeded");
        let r = resource(&loaded, "azurerm_private_dns_zone.z");
        assert_eq!(r.names, vec![Part::Unknown]);
    }

    #[test]
    fn for_expressions_and_template_directives() {
        let loaded = load(
            r#"
locals {
  servers = { audit = "pg", billing = "kv", web = "pg" }
  pg      = [for name, kind in local.servers : "psql-${name}" if kind == "pg"]
  upper   = { for name, kind in local.servers : upper(name) => kind }
  joined  = "%{for n in local.pg}${n};%{endfor}"
  chosen  = "%{if length(local.pg) == 2}two%{else}other%{endif}"
  unknown = [for x in var.nothing : x]
  strip   = "a ${~ "b"}"
}
resource "azurerm_private_dns_zone" "a" { name = local.pg[1] }
resource "azurerm_private_dns_zone" "b" { name = local.upper["BILLING"] }
resource "azurerm_private_dns_zone" "c" { name = local.joined }
resource "azurerm_private_dns_zone" "d" { name = local.chosen }
resource "azurerm_private_dns_zone" "e" { name = local.unknown[0] }
resource "azurerm_private_dns_zone" "f" { name = local.strip }
"#,
        );
        let name = |key: &str| resource(&loaded, key).names.clone();
        assert_eq!(
            name("azurerm_private_dns_zone.a"),
            vec![Part::from("psql-web")]
        );
        assert_eq!(name("azurerm_private_dns_zone.b"), vec![Part::from("kv")]);
        assert_eq!(
            name("azurerm_private_dns_zone.c"),
            vec![Part::from("psql-audit;psql-web;")]
        );
        assert_eq!(name("azurerm_private_dns_zone.d"), vec![Part::from("two")]);
        assert_eq!(name("azurerm_private_dns_zone.e"), vec![Part::Unknown]);
        assert_eq!(name("azurerm_private_dns_zone.f"), vec![Part::Unknown]);
    }

    #[test]
    fn collection_and_string_functions() {
        let loaded = load(
            r#"
locals {
  m = { b = "2", a = "1" }
}
resource "azurerm_private_dns_zone" "a" { name = join(",", keys(local.m)) }
resource "azurerm_private_dns_zone" "b" { name = join(",", values(local.m)) }
resource "azurerm_private_dns_zone" "c" { name = startswith("snet-pe", "snet") ? "yes" : "no" }
resource "azurerm_private_dns_zone" "d" { name = substr("privatelink", 0, 7) }
resource "azurerm_private_dns_zone" "e" { name = join("", flatten([["a"], [["b"]], "c"])) }
resource "azurerm_private_dns_zone" "f" { name = zipmap(["k"], ["v"])["k"] }
resource "azurerm_private_dns_zone" "g" { name = join("-", range(3)) }
resource "azurerm_private_dns_zone" "h" { name = one(distinct(["x", "x"])) }
resource "azurerm_private_dns_zone" "i" { name = contains(["a"], var.unknown) ? "y" : "n" }
resource "azurerm_private_dns_zone" "j" { name = length(range(0, 100000)) }
"#,
        );
        let name = |key: &str| {
            resource(&loaded, &format!("azurerm_private_dns_zone.{key}"))
                .names
                .clone()
        };
        assert_eq!(name("a"), vec![Part::from("a,b")]);
        assert_eq!(name("b"), vec![Part::from("1,2")]);
        assert_eq!(name("c"), vec![Part::from("yes")]);
        assert_eq!(name("d"), vec![Part::from("private")]);
        assert_eq!(name("e"), vec![Part::from("abc")]);
        assert_eq!(name("f"), vec![Part::from("v")]);
        assert_eq!(name("g"), vec![Part::from("0-1-2")]);
        assert_eq!(name("h"), vec![Part::from("x")]);
        assert_eq!(name("i"), vec![Part::Unknown]);
        assert_eq!(name("j"), vec![Part::Unknown]);
    }

    #[test]
    fn a_broken_file_is_a_problem_and_the_module_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("a.tf");
        let bad = dir.path().join("b.tf");
        std::fs::write(
            &good,
            "resource \"azurerm_private_dns_zone\" \"z\" { name = \"z\" }\n",
        )
        .expect("write");
        std::fs::write(&bad, "resource \"x\" \"y\" {\n  name = \n}\n").expect("write");
        let deep = dir.path().join("c.tf");
        std::fs::write(&deep, "x = ".to_string() + &"[".repeat(100_000)).expect("write");
        let loaded = load_module(
            &SourceMap::new(),
            dir.path(),
            &[good, bad, deep],
            &[],
            Limits::default(),
        );
        let codes: Vec<&str> = loaded.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["parse-error", "limit-exceeded"]);
        assert!(loaded.problems.iter().all(|p| p.span.is_some()));
        assert_eq!(loaded.units[0].resources.len(), 1);
    }
}
