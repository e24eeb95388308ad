//! Resource groups and management locks (an extension resource on the
//! resource its `scope` names).

use crate::model::Unit;

use super::{Family, Mapping};

pub(super) const FAMILY: Family = Family {
    types: &[
        (
            "azurerm_resource_group",
            "Microsoft.Resources/resourceGroups",
        ),
        ("azurerm_management_lock", "Microsoft.Authorization/locks"),
    ],
    map,
};

fn map(m: &mut Mapping, _unit: &mut Unit) {
    // An extension resource: `scope` names the locked resource, as in ARM.
    if m.decl.kind == "azurerm_management_lock" {
        if let Some(scope) = m.attr("scope") {
            m.body.insert("scope", scope);
        }
        if let Some(level) = m.attr("lock_level") {
            m.properties.insert("level", level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};

    #[test]
    fn a_lock_keeps_its_scope_beside_its_properties() {
        let loaded = load(
            r#"
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "westeurope"
}
resource "azurerm_management_lock" "keep" {
  name       = "keep"
  scope      = azurerm_resource_group.rg.id
  lock_level = "CanNotDelete"
}
"#,
        );
        let rg = resource(&loaded, "azurerm_resource_group.rg");
        assert_eq!(rg.rtype, "Microsoft.Resources/resourceGroups");
        assert_eq!(text(rg, "location"), Some("westeurope"));
        let lock = resource(&loaded, "azurerm_management_lock.keep");
        assert_eq!(lock.rtype, "Microsoft.Authorization/locks");
        assert!(at(lock, "scope").is_some());
        assert_eq!(text(lock, "properties.level"), Some("CanNotDelete"));
    }
}
