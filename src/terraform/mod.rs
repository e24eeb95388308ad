//! Terraform front-end: the `.tf` files of one folder are one module, and
//! one unit. Parsed with hcl-edit (the hcl-rs project's span-keeping
//! parser); azurerm resources are mapped onto the neutral model.
//!
//! Variables take their values from `TF_VAR_` variables, `terraform.tfvars`,
//! `*.auto.tfvars`, the var files named in the config or with `--var-file`,
//! and `--var`, else from their defaults. Local modules are read with their
//! caller's inputs; `count`/`for_each` instances are expanded when known;
//! plan JSON is read by [`plan`]. Registry and git modules are read from
//! Terraform's module cache after `terraform init`; without it, what they
//! would decide stays unknown (known helpers without resources aside).
//!
//! The files: `load.rs` reads a module folder and its local modules and
//! builds the unit; `cache.rs` reads `.terraform/modules/modules.json`; `hcl_text.rs` rewrites, for a second parse, what
//! Terraform accepts and hcl-edit refuses; `vars.rs` reads var files and
//! `TF_VAR_`/`--var` values; `var_types.rs` fills in the defaults of
//! `optional(…)` attributes of variable types; `providers.rs` finds the azurerm provider's major version; `eval.rs` holds
//! a module's declarations and instances, `expr.rs` evaluates expressions and
//! `functions.rs` the built-in functions; `azurerm/` maps resources onto
//! the neutral model; `plan.rs` reads plan JSON.

pub mod azurerm;
mod cache;
pub mod eval;
mod expr;
mod functions;
mod hcl_text;
mod load;
pub mod plan;
mod providers;
mod var_types;
mod vars;

pub(crate) use load::declaration;
pub use load::load_module;
pub use vars::Given;

/// What the front-end's tests share: loading a module from text.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    use crate::limits::Limits;
    use crate::model::{Loaded, Resource, Value};
    use crate::source::SourceMap;
    use crate::terraform::{Given, load_module};

    pub fn load(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.tf");
        std::fs::write(&path, text).expect("write");
        load_module(
            &SourceMap::new(),
            dir.path(),
            &[path],
            &[],
            &Given::default(),
            Limits::default(),
        )
    }

    pub fn resource<'a>(loaded: &'a Loaded, key: &str) -> &'a Resource {
        loaded.units[0]
            .resources
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
    }

    pub fn value<'a>(r: &'a Resource, path: &str) -> Option<&'a Value> {
        r.get_path(path).map(|n| &n.value)
    }

    /// Writes `files` (path → text) under a temporary folder and loads `root` in it.
    pub fn load_tree(files: &[(&str, &str)], root: &str) -> (tempfile::TempDir, Loaded) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        let root = dir.path().join(root);
        let tf: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("root")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .collect();
        let loaded = load_module(
            &SourceMap::new(),
            &root,
            &tf,
            &[],
            &Given::default(),
            Limits::default(),
        );
        (dir, loaded)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Part, Value};
    use crate::terraform::testing::{load, resource, value};

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
    fn network_children_and_more_services_are_mapped() {
        let loaded = load(
            r#"
resource "azurerm_virtual_network_peering" "p" {
  name                 = "hub-to-spoke"
  virtual_network_name = "vnet-hub"
}
resource "azurerm_network_security_rule" "r" {
  name                        = "deny-all"
  network_security_group_name = "nsg-pe"
}
resource "azurerm_route" "x" {
  name             = "default"
  route_table_name = "rt-pe"
}
resource "azurerm_app_configuration" "c" { name = "appcs-orders" }
"#,
        );
        let typed = |key: &str| {
            let r = resource(&loaded, key);
            (r.rtype.clone(), r.names.clone())
        };
        assert_eq!(
            typed("azurerm_virtual_network_peering.p"),
            (
                "Microsoft.Network/virtualNetworks/virtualNetworkPeerings".to_string(),
                vec![Part::from("vnet-hub"), Part::from("hub-to-spoke")]
            )
        );
        assert_eq!(
            typed("azurerm_network_security_rule.r").1,
            vec![Part::from("nsg-pe"), Part::from("deny-all")]
        );
        assert_eq!(
            typed("azurerm_route.x").1,
            vec![Part::from("rt-pe"), Part::from("default")]
        );
        assert_eq!(
            typed("azurerm_app_configuration.c").0,
            "Microsoft.AppConfiguration/configurationStores"
        );
    }
}
