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

    pub fn is_type(&self, rtype: &str) -> bool {
        self.rtype.eq_ignore_ascii_case(rtype)
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
