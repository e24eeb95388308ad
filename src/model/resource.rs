//! A resource in the neutral model: its ARM type, name and id, its body in the
//! ARM REST shape, and where it came from.

use crate::model::id::{ArmId, Part};
use crate::model::value::{Node, Truth};
use crate::source::{FileId, SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framework {
    Arm,
    Terraform,
    TerraformPlan,
    /// Synthesised by the linker for an id that points outside the unit.
    External,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Arm => "arm",
            Framework::Terraform => "terraform",
            Framework::TerraformPlan => "terraform-plan",
            Framework::External => "external",
        }
    }
}

/// Where a resource was declared, in terms a user recognises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    pub framework: Framework,
    /// `azurerm_subnet.pe`, `module.db.azurerm_private_endpoint.pe[0]`,
    /// `resources.peSubnet`, `resources[3]`, `resources[1].properties.subnets[0]`.
    pub address: String,
}

#[derive(Clone, Debug)]
pub struct Resource {
    /// The ARM type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub rtype: String,
    /// One name per type segment after the namespace (`[vnet, snet]`).
    pub names: Vec<Part>,
    pub subscription: Part,
    pub resource_group: Part,
    pub api_version: Option<String>,
    /// The resource in ARM REST shape: `{ name, type, location, sku, properties: {…} }`.
    pub body: Node,
    pub origin: Origin,
    /// The whole declaration (JSON object, Terraform block).
    pub span: Span,
    /// Unique within its unit; what [`ArmId::local`] refers to.
    pub key: String,
    /// False for `existing: true`, Terraform `data` sources, and resources the
    /// linker synthesised from ids that point outside the unit.
    pub managed: bool,
    /// Whether the resource is deployed at all (an ARM `condition`, a Terraform
    /// `count` that may be zero). Findings need it to be `True`.
    pub exists: Truth,
}

impl Resource {
    pub fn id(&self) -> ArmId {
        ArmId {
            subscription: self.subscription.clone(),
            resource_group: self.resource_group.clone(),
            rtype: self.rtype.clone(),
            names: self.names.clone(),
            local: Some(self.key.clone()),
        }
    }

    /// `self.id().parent()`, without a copy of the id.
    pub fn parent_id(&self) -> Option<ArmId> {
        crate::model::id::parent_of(self.whole())
    }

    pub fn is_type(&self, rtype: &str) -> bool {
        self.rtype.eq_ignore_ascii_case(rtype)
    }

    /// Whether `self` and `other` may be one Azure resource: of one type,
    /// with names that are certainly equal, in scopes not known to differ.
    /// A module deployed twice with the same names (Azure Verified Modules'
    /// tests deploy each module twice, the second time to show that nothing
    /// changes) declares each of its resources twice; two declarations are
    /// two resources only when their names or scopes are known to differ.
    pub fn may_be(&self, other: &Resource) -> bool {
        crate::model::id::may_be_one(self.whole(), other.whole(), Part::certainly_equal)
    }

    fn whole(&self) -> crate::model::id::Whole<'_> {
        (
            &self.rtype,
            &self.names,
            &self.subscription,
            &self.resource_group,
        )
    }

    /// The full ARM name, or `None` when any segment is unknown.
    pub fn full_name(&self) -> Option<String> {
        let parts: Option<Vec<&str>> = self.names.iter().map(Part::known).collect();
        parts.map(|p| p.join("/"))
    }

    /// The last name segment (`snet` for `vnet/snet`), for messages; when it
    /// is not known, the name as written ([`Resource::written_name`]), and
    /// `?` only when even that cannot be shown.
    pub fn display_name(&self, sources: &SourceMap) -> String {
        match self.names.last() {
            Some(Part::Known(n)) => n.clone(),
            _ => self
                .written_name(sources)
                .unwrap_or_else(|| "?".to_string()),
        }
    }

    /// The full name when known, else the name as written.
    pub fn full_or_written_name(&self, sources: &SourceMap) -> String {
        self.full_name()
            .or_else(|| self.written_name(sources))
            .unwrap_or_else(|| "?".to_string())
    }

    /// The name's expression as the source writes it — `[parameters('serverName')]`
    /// (ARM), `'psql-${env}'` (Bicep), `"psql-${var.env}"` (Terraform), without
    /// its quotes — for a message about a resource whose name is not known.
    /// `None` when the name has no place in the source (a synthesised
    /// resource), or the text is long or spans lines.
    pub fn written_name(&self, sources: &SourceMap) -> Option<String> {
        written(self.body.get("name")?, sources)
    }

    pub fn get_path(&self, path: &str) -> Option<&Node> {
        self.body.get_path(path)
    }
}

/// A value's expression as the source writes it, without the member's key
/// (`"privateLinkServiceId": "[resourceId(…)]"` → `[resourceId(…)]`) and
/// quotes; `None` when the value has no place in the source, or its text is
/// long or spans lines. Callers escape it before printing.
pub fn written(node: &Node, sources: &SourceMap) -> Option<String> {
    const LONGEST: usize = 120;
    let span = node.span?;
    let source = sources.get(span.file);
    let mut text = source.slice(span).trim();
    // A JSON member's span starts at its key (`"name": "[…]"`); an HCL
    // attribute's or a Bicep property's at its name (`name = "…"`, `name: '…'`).
    let key_end = if let Some(rest) = text.strip_prefix('"') {
        rest.find('"').map(|i| i + 2)
    } else {
        text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    };
    if let Some(end) = key_end {
        let rest = text[end..].trim_start();
        if let Some(value) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) {
            text = value.trim();
        }
    }
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| text.strip_prefix(*q)?.strip_suffix(*q))
        .unwrap_or(text);
    (!unquoted.is_empty() && unquoted.chars().count() <= LONGEST && !unquoted.contains('\n'))
        .then(|| unquoted.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::Value;

    fn endpoint(names: Vec<Part>, resource_group: Part) -> Resource {
        Resource {
            rtype: "Microsoft.Network/privateEndpoints".into(),
            names,
            subscription: Part::Unknown,
            resource_group,
            api_version: None,
            body: Node::new(Value::Unknown, None),
            origin: Origin {
                file: FileId(0),
                framework: Framework::Arm,
                address: "resources.pe".into(),
            },
            span: Span::new(FileId(0), 0, 0),
            key: "pe".into(),
            managed: true,
            exists: Truth::True,
        }
    }

    fn known(s: &str) -> Part {
        Part::Known(s.into())
    }

    #[test]
    fn one_name_in_scopes_not_known_to_differ_may_be_one_resource() {
        let a = endpoint(vec![known("pe-db")], known("rg"));
        // A module deployed again: the same name in the same resource group,
        // or in one that is not known.
        assert!(a.may_be(&endpoint(vec![known("PE-DB")], known("RG"))));
        assert!(a.may_be(&endpoint(vec![known("pe-db")], Part::Unknown)));
        let symbol = Part::symbol("parameters('name')");
        let b = endpoint(vec![symbol.clone()], Part::Unknown);
        assert!(b.may_be(&endpoint(vec![symbol], Part::Unknown)));
    }

    #[test]
    fn names_or_scopes_that_differ_or_are_unknown_are_two_declarations() {
        let a = endpoint(vec![known("pe-db")], known("rg"));
        assert!(!a.may_be(&endpoint(vec![known("pe-db-2")], known("rg"))));
        assert!(!a.may_be(&endpoint(vec![known("pe-db")], known("rg-2"))));
        // Unknown names are not taken as one: the rule decides as before.
        assert!(!a.may_be(&endpoint(vec![Part::Unknown], known("rg"))));
        let u = endpoint(vec![Part::Unknown], known("rg"));
        assert!(!u.may_be(&endpoint(vec![Part::Unknown], known("rg"))));
        let mut network = endpoint(vec![known("pe-db")], known("rg"));
        network.rtype = "Microsoft.Network/virtualNetworks".into();
        assert!(!a.may_be(&network));
    }

    #[test]
    fn a_parent_id_is_the_ids_parent() {
        let mut subnet = endpoint(vec![known("vnet"), known("snet")], known("rg"));
        subnet.rtype = "Microsoft.Network/virtualNetworks/subnets".into();
        let parent = subnet.parent_id().expect("a parent");
        assert_eq!(Some(parent), subnet.id().parent());
        assert_eq!(
            subnet.parent_id().map(|p| p.rtype),
            Some("Microsoft.Network/virtualNetworks".into())
        );
        let top = endpoint(vec![known("pe")], known("rg"));
        assert_eq!(top.parent_id(), None);
        assert_eq!(top.id().parent(), None);
    }
}
