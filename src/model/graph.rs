//! Linking: a unit's resources become a graph whose edges are the references
//! between them, with indexes so that every rule costs linear time.
//!
//! A unit is what deploys together — an ARM template with its nested
//! deployments, a Terraform root module with its local modules. Ids that point
//! outside the unit become external resources (not managed here) carrying
//! whatever the id tells: type and name.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use crate::model::id::{ArmId, Part};
use crate::model::resource::{Framework, Origin, Resource};
use crate::model::value::{Node, Object, Truth, Value};
use crate::source::{FileId, Span};

/// What one front-end produced for one unit.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    /// How the unit is named to users: a template path or a module folder.
    pub label: String,
    pub files: Vec<FileId>,
    pub resources: Vec<Resource>,
    /// Explicit parent links the front-end knows structurally (inline and
    /// nested children, Terraform `virtual_network_name = azurerm_virtual_network.x.name`):
    /// child key → parent key.
    pub parents: HashMap<String, String>,
    /// Where resources may be declared that plinth cannot see: a Terraform
    /// module call it does not read, a deployment of a linked template.
    /// Rules that prove something is missing need this empty.
    pub opaque: Vec<Span>,
    /// What the front-end knows about why an opaque place is unseen, beyond
    /// the general note (a Terraform registry module before `terraform init`).
    pub unseen_why: HashMap<Span, String>,
    /// Where computed values came from: a value's span → the spans of the
    /// parameter values and variables that produced it, with labels. Findings
    /// on such a value point there too.
    pub provenance: HashMap<Span, Sources>,
}

/// Where one value came from ([`Unit::provenance`]): at most four sources,
/// most often one or two, kept in the entry itself (a unit notes tens of
/// thousands).
pub type Sources = smallvec::SmallVec<[(Span, Arc<str>); 2]>;

pub type ResourceIdx = usize;

/// A resource that points at another, and the node that does the pointing.
#[derive(Clone, Debug)]
pub struct Referrer {
    pub from: ResourceIdx,
    pub span: Option<Span>,
}

#[derive(Debug)]
pub struct Graph {
    pub label: String,
    pub files: Vec<FileId>,
    /// See [`Unit::opaque`].
    pub opaque: Vec<Span>,
    /// See [`Unit::unseen_why`].
    pub unseen_why: HashMap<Span, String>,
    /// See [`Unit::provenance`].
    pub provenance: HashMap<Span, Sources>,
    resources: Vec<Resource>,
    by_type: HashMap<String, Vec<ResourceIdx>>,
    by_key: HashMap<String, ResourceIdx>,
    by_name: HashMap<(String, String), Vec<ResourceIdx>>,
    parent: Vec<Option<ResourceIdx>>,
    children: Vec<Vec<ResourceIdx>>,
    referrers: Vec<Vec<Referrer>>,
}

impl Graph {
    pub fn link(unit: Unit) -> Graph {
        // Sized for the declared resources at once (externals may add some):
        // the indexes grew from empty by rehashing.
        let n = unit.resources.len();
        let mut graph = Graph {
            label: unit.label,
            files: unit.files,
            opaque: unit.opaque,
            unseen_why: unit.unseen_why,
            provenance: unit.provenance,
            resources: Vec::with_capacity(n),
            by_type: HashMap::new(),
            by_key: HashMap::with_capacity(n),
            by_name: HashMap::with_capacity(n),
            parent: Vec::with_capacity(n),
            children: Vec::with_capacity(n),
            referrers: Vec::with_capacity(n),
        };
        for resource in unit.resources {
            graph.push(resource);
        }

        // Every id mentioned anywhere resolves to a declared resource or an
        // external one; collect first, since creating externals grows the list.
        let mut mentioned = Vec::new();
        for (idx, resource) in graph.resources.iter().enumerate() {
            walk_ids(&resource.body, &mut |id, span| {
                mentioned.push((idx, id, span))
            });
        }
        let mut edges = Vec::with_capacity(mentioned.len());
        for (from, id, span) in mentioned {
            if let Some(target) = graph.resolve_or_add_external(&id, from, span) {
                edges.push((from, target, span));
            }
        }

        // Parents: explicit links first, then by id; externals get parents too.
        let mut idx = 0;
        while idx < graph.resources.len() {
            let resource = &graph.resources[idx];
            let explicit = unit
                .parents
                .get(&resource.key)
                .and_then(|k| graph.by_key.get(k).copied());
            let parent = match explicit {
                Some(p) => Some(p),
                None => match resource.parent_id() {
                    Some(parent_id) => {
                        let span = Some(resource.span);
                        graph.resolve_or_add_external(&parent_id, idx, span)
                    }
                    None => None,
                },
            };
            graph.parent[idx] = parent.filter(|p| *p != idx);
            idx += 1;
        }
        for idx in 0..graph.resources.len() {
            if let Some(p) = graph.parent[idx] {
                graph.children[p].push(idx);
            }
        }
        for (from, target, span) in edges {
            if from != target {
                graph.referrers[target].push(Referrer { from, span });
            }
        }
        graph
    }

    fn push(&mut self, resource: Resource) -> ResourceIdx {
        let idx = self.resources.len();
        // Most types are met before: looked up without a lower-cased copy.
        let by_type = &mut self.by_type;
        let seen = super::with_lowercase(&resource.rtype, |lower| match by_type.get_mut(lower) {
            Some(list) => {
                list.push(idx);
                true
            }
            None => false,
        });
        if !seen {
            by_type.insert(resource.rtype.to_ascii_lowercase(), vec![idx]);
        }
        self.by_key.entry(resource.key.clone()).or_insert(idx);
        if let Some(name) = crate::model::id::link_name(&resource.names) {
            self.by_name
                .entry((resource.rtype.to_ascii_lowercase(), name))
                .or_default()
                .push(idx);
        }
        self.resources.push(resource);
        self.parent.push(None);
        self.children.push(Vec::new());
        self.referrers.push(Vec::new());
        idx
    }

    fn resolve_or_add_external(
        &mut self,
        id: &ArmId,
        mentioned_by: ResourceIdx,
        span: Option<Span>,
    ) -> Option<ResourceIdx> {
        match self.lookup(id, Some(&self.resources[mentioned_by].key)) {
            Lookup::Found(idx) => Some(idx),
            Lookup::Ambiguous => None,
            Lookup::Missing => {
                let name = id.full_name()?;
                let file = self.resources[mentioned_by].origin.file;
                let span = span.unwrap_or(self.resources[mentioned_by].span);
                let mut body = Object::new();
                body.insert("name", Node::string(name.clone(), Some(span)));
                body.insert("type", Node::string(id.rtype.clone(), Some(span)));
                let external = Resource {
                    rtype: id.rtype.clone(),
                    names: id.names.clone(),
                    subscription: id.subscription.clone(),
                    resource_group: id.resource_group.clone(),
                    api_version: None,
                    body: Node::object(body, Some(span)),
                    origin: Origin {
                        file,
                        framework: Framework::External,
                        address: id.to_string(),
                    },
                    span,
                    key: format!("external:{}", id),
                    managed: false,
                    exists: Truth::True,
                };
                Some(self.push(external))
            }
        }
    }

    /// `from`: the key of the resource that mentions `id`, which decides
    /// between declarations of one name deployed more than once (a module
    /// instantiated twice, as Azure Verified Modules' tests deploy each
    /// module twice for idempotency): the declaration in the mentioning
    /// resource's own deployment, when exactly one is nearest.
    fn lookup(&self, id: &ArmId, from: Option<&str>) -> Lookup {
        if let Some(idx) = id.local.as_ref().and_then(|k| self.by_key.get(k)) {
            return Lookup::Found(*idx);
        }
        // Known names, and symbolic ones: the same symbol is the same name.
        let Some(name) = id.link_name() else {
            return Lookup::Ambiguous;
        };
        let key = (id.rtype.to_ascii_lowercase(), name);
        let candidates: Vec<ResourceIdx> = self
            .by_name
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let r = &self.resources[i];
                r.subscription.may_equal(&id.subscription)
                    && r.resource_group.may_equal(&id.resource_group)
            })
            .collect();
        match candidates.as_slice() {
            [] => Lookup::Missing,
            [one] => Lookup::Found(*one),
            many => {
                // Declared and external twins of one resource are the same thing;
                // two declared resources of one name are genuinely ambiguous.
                let declared: Vec<_> = many
                    .iter()
                    .filter(|&&i| self.resources[i].origin.framework != Framework::External)
                    .collect();
                match declared.as_slice() {
                    [one] => Lookup::Found(**one),
                    _ => {
                        // An `existing` reference (a Bicep module naming its
                        // caller's zone) and the declaration that deploys the
                        // resource are one resource: the deployed one holds it.
                        let deployed: Vec<_> = declared
                            .iter()
                            .filter(|&&&i| self.resources[i].managed)
                            .collect();
                        match deployed.as_slice() {
                            [one] => Lookup::Found(***one),
                            [] => Lookup::Ambiguous,
                            _ => match from {
                                Some(from) => self.nearest(deployed.iter().map(|i| ***i), from),
                                None => Lookup::Ambiguous,
                            },
                        }
                    }
                }
            }
        }
    }

    /// The one candidate whose key shares the longest prefix of whole
    /// deployment segments with `from`; ambiguous when two tie.
    fn nearest(&self, candidates: impl Iterator<Item = ResourceIdx>, from: &str) -> Lookup {
        let shared = |key: &str| {
            key.split('.')
                .zip(from.split('.'))
                .take_while(|(a, b)| a == b)
                .count()
        };
        let mut best: Option<(usize, ResourceIdx)> = None;
        let mut tied = false;
        for idx in candidates {
            let n = shared(&self.resources[idx].key);
            match best {
                Some((m, _)) if n < m => {}
                Some((m, _)) if n == m => tied = true,
                _ => {
                    best = Some((n, idx));
                    tied = false;
                }
            }
        }
        match best {
            Some((_, idx)) if !tied => Lookup::Found(idx),
            _ => Lookup::Ambiguous,
        }
    }

    /// The resource an id names: declared here, external, or `None` when the
    /// id does not determine it (unknown name, ambiguous).
    pub fn resolve(&self, id: &ArmId) -> Option<ResourceIdx> {
        match self.lookup(id, None) {
            Lookup::Found(idx) => Some(idx),
            _ => None,
        }
    }

    pub fn get(&self, idx: ResourceIdx) -> &Resource {
        &self.resources[idx]
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn of_type(&self, rtype: &str) -> &[ResourceIdx] {
        // Rules ask this once per unit and type: no copy lower-cased.
        let found = super::with_lowercase(rtype, |lower| self.by_type.get(lower));
        found.map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn parent(&self, idx: ResourceIdx) -> Option<ResourceIdx> {
        self.parent[idx]
    }

    pub fn children(&self, idx: ResourceIdx) -> &[ResourceIdx] {
        &self.children[idx]
    }

    /// How many references and parent links name a resource declared here.
    /// A fix that lowers it has cut a resource off from something that
    /// named it (a zone renamed where a link still spells the old name).
    pub fn ties(&self) -> usize {
        (0..self.resources.len())
            .filter(|i| self.resources[*i].managed)
            .map(|i| self.referrers[i].len() + self.children[i].len())
            .sum()
    }

    pub fn referrers(&self, idx: ResourceIdx) -> &[Referrer] {
        &self.referrers[idx]
    }
}

enum Lookup {
    Found(ResourceIdx),
    Missing,
    Ambiguous,
}

/// Calls `f` for every resource id inside a value tree.
fn walk_ids(node: &Node, f: &mut impl FnMut(Arc<ArmId>, Option<Span>)) {
    match &node.value {
        Value::Id(id) => f(Arc::clone(id), node.span),
        Value::String(s) if s.starts_with('/') => {
            if let Some(id) = ArmId::parse(s) {
                f(Arc::new(id), node.span)
            }
        }
        Value::Array(items) => items.iter().for_each(|n| walk_ids(n, f)),
        Value::Object(o) => o.iter().for_each(|(_, n)| walk_ids(n, f)),
        _ => {}
    }
}

/// Builds a resource for tests and front-ends: ARM type, full name, body.
pub fn names_of(full_name: &str) -> Vec<Part> {
    full_name
        .split('/')
        .map(|s| Part::Known(s.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(key: &str, rtype: &str, name: &str, body: serde_json::Value) -> Resource {
        Resource {
            rtype: rtype.into(),
            names: names_of(name),
            subscription: Part::Unknown,
            resource_group: Part::Unknown,
            api_version: None,
            body: Node::new(Value::from_json(&body), None),
            origin: Origin {
                file: FileId(0),
                framework: Framework::Arm,
                address: key.into(),
            },
            span: Span::new(FileId(0), 0, 0),
            key: key.into(),
            managed: true,
            exists: Truth::True,
        }
    }

    /// A type is looked up case-insensitively, a long one too.
    #[test]
    fn of_type_ignores_case_at_any_length() {
        let long = format!("Microsoft.Example/{}", "Nested".repeat(30));
        let unit = Unit {
            label: "t".into(),
            resources: vec![
                resource(
                    "a",
                    "Microsoft.Network/privateEndpoints",
                    "pe",
                    serde_json::json!({}),
                ),
                resource("b", &long, "x", serde_json::json!({})),
            ],
            ..Unit::default()
        };
        let graph = Graph::link(unit);
        assert_eq!(graph.of_type("microsoft.network/PRIVATEENDPOINTS").len(), 1);
        assert_eq!(graph.of_type(&long.to_ascii_uppercase()).len(), 1);
        assert!(
            graph
                .of_type("Microsoft.Network/privateEndpoint")
                .is_empty()
        );
    }

    #[test]
    fn links_references_parents_and_externals() {
        let subnet_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/pe";
        let unit = Unit {
            label: "t".into(),
            resources: vec![
                resource(
                    "vnet",
                    "Microsoft.Network/virtualNetworks",
                    "vnet1",
                    serde_json::json!({}),
                ),
                resource(
                    "snet",
                    "Microsoft.Network/virtualNetworks/subnets",
                    "vnet1/pe",
                    serde_json::json!({}),
                ),
                resource(
                    "pe",
                    "Microsoft.Network/privateEndpoints",
                    "pe1",
                    serde_json::json!({"properties": {
                        "subnet": {"id": subnet_id},
                        "privateLinkServiceConnections": [{"properties": {"privateLinkServiceId":
                            "/subscriptions/s/resourceGroups/other/providers/Microsoft.DBforPostgreSQL/flexibleServers/db"}}]
                    }}),
                ),
            ],
            ..Unit::default()
        };
        let graph = Graph::link(unit);
        let snet = graph.resolve(&ArmId::parse(subnet_id).unwrap()).unwrap();
        assert_eq!(graph.get(snet).key, "snet");
        assert_eq!(
            graph.parent(snet).map(|p| graph.get(p).key.as_str()),
            Some("vnet")
        );
        assert_eq!(graph.referrers(snet).len(), 1);
        let servers = graph.of_type("microsoft.dbforpostgresql/flexibleservers");
        assert_eq!(servers.len(), 1);
        assert!(!graph.get(servers[0]).managed);
    }
}
