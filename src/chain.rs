//! The private endpoint chains of a linked unit, as a [`Picture`] for
//! `plinth graph`: each endpoint → its target, its subnet → that subnet's
//! virtual network, its zone groups → their zones → each zone's virtual
//! network links → the linked networks.
//!
//! References are followed with the linker's own accessors
//! (`Graph::resolve`, `parent`, `children`), as the rules follow them, so
//! the picture shows what the rules saw. A reference that does not resolve
//! is drawn as an unknown part, with the expression as written when the
//! source has it. Findings are attached by place: one whose primary or
//! related label lies on a reference marks that edge; otherwise the
//! innermost resource of the picture holding it gets the rule id.
//!
//! It draws no resource outside these chains and decides nothing about
//! them: the rules do.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::diagnostic::Finding;
use crate::model::{Framework, Graph, Node, ResourceIdx, Value};
use crate::report::graph::{Edge, Node as PictureNode, Picture};
use crate::source::{SourceMap, Span};

const ENDPOINT: &str = "Microsoft.Network/privateEndpoints";
const ZONE_GROUP: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";

/// The unit's chains, or `None` when it declares no private endpoint.
pub fn picture(graph: &Graph, findings: &[Finding], sources: &SourceMap) -> Option<Picture> {
    let endpoints: Vec<ResourceIdx> = graph
        .of_type(ENDPOINT)
        .iter()
        .copied()
        .filter(|&i| graph.get(i).origin.framework != Framework::External)
        .collect();
    if endpoints.is_empty() {
        return None;
    }
    let mut drawing = Drawing {
        graph,
        sources,
        nodes: Vec::new(),
        drawn: HashMap::new(),
        edges: Vec::new(),
        edge_keys: HashSet::new(),
    };
    for pe in endpoints {
        drawing.endpoint(pe);
    }
    Some(drawing.finish(findings))
}

struct Drawing<'a> {
    graph: &'a Graph,
    sources: &'a SourceMap,
    /// The picture's nodes, with the resource each draws (none for an unknown part).
    nodes: Vec<(PictureNode, Option<ResourceIdx>)>,
    drawn: HashMap<ResourceIdx, usize>,
    /// Edges, with the span of the reference each draws.
    edges: Vec<(Edge, Option<Span>)>,
    /// The edges drawn, so that drawing one twice costs a look-up.
    edge_keys: HashSet<(usize, usize, String, Option<Span>)>,
}

impl Drawing<'_> {
    fn endpoint(&mut self, pe: ResourceIdx) {
        let graph = self.graph;
        let resource = graph.get(pe);
        let from = self.resource(pe, "private-endpoint");
        for connections in [
            "properties.privateLinkServiceConnections",
            "properties.manualPrivateLinkServiceConnections",
        ] {
            for connection in items(resource.get_path(connections)) {
                if let Some(target) = connection.get_path("properties.privateLinkServiceId") {
                    let to = self.reference(target, "target");
                    self.edge(from, to, "target", target.span);
                }
            }
        }
        if let Some(subnet) = resource.get_path("properties.subnet.id") {
            let to = self.reference(subnet, "subnet");
            self.edge(from, to, "subnet", subnet.span);
            if let Some(vnet) = self.drawn_resource(to).and_then(|s| graph.parent(s)) {
                let network = self.resource(vnet, "virtual-network");
                self.edge(to, network, "in", None);
            }
        }
        for &group in graph.children(pe) {
            if !graph.get(group).is_type(ZONE_GROUP) {
                continue;
            }
            let group_node = self.resource(group, "zone-group");
            self.edge(from, group_node, "zone-group", None);
            let configs = graph
                .get(group)
                .get_path("properties.privateDnsZoneConfigs");
            for config in items(configs) {
                let Some(zone_id) = config.get_path("properties.privateDnsZoneId") else {
                    continue;
                };
                let zone = self.reference(zone_id, "dns-zone");
                self.edge(group_node, zone, "zone", zone_id.span);
                if let Some(zone_idx) = self.drawn_resource(zone) {
                    self.links(zone_idx, zone);
                }
            }
        }
    }

    /// A zone's virtual network links and the networks they link.
    fn links(&mut self, zone_idx: ResourceIdx, zone: usize) {
        let graph = self.graph;
        for &link in graph.children(zone_idx) {
            if !graph.get(link).is_type(LINK) {
                continue;
            }
            let already = self.drawn.contains_key(&link);
            let link_node = self.resource(link, "vnet-link");
            if already {
                continue;
            }
            self.edge(zone, link_node, "link", None);
            if let Some(vnet) = graph.get(link).get_path("properties.virtualNetwork.id") {
                let to = self.reference(vnet, "virtual-network");
                self.edge(link_node, to, "vnet", vnet.span);
            }
        }
    }

    /// The node drawing `idx`, added the first time.
    fn resource(&mut self, idx: ResourceIdx, kind: &str) -> usize {
        if let Some(&n) = self.drawn.get(&idx) {
            return n;
        }
        let resource = self.graph.get(idx);
        let short_type = resource.rtype.rsplit('/').next().unwrap_or(&resource.rtype);
        let (label, known) = match resource.full_name() {
            Some(name) => (format!("{short_type} {name}"), true),
            None => (
                format!(
                    "{short_type} ? {}",
                    resource.full_or_written_name(self.sources)
                ),
                false,
            ),
        };
        let n = self.push(kind, label, known, Some(idx));
        self.drawn.insert(idx, n);
        n
    }

    /// The node a reference leads to: the resource it resolves to, or an
    /// unknown part showing the reference as written.
    fn reference(&mut self, id: &Node, kind: &str) -> usize {
        if let Some(idx) = id.value.as_id().and_then(|id| self.graph.resolve(&id)) {
            return self.resource(idx, kind);
        }
        let label = match id.span.and_then(|span| written(self.sources, span)) {
            Some(text) => format!("? {text}"),
            None => "?".to_string(),
        };
        self.push(kind, label, false, None)
    }

    fn push(&mut self, kind: &str, label: String, known: bool, idx: Option<ResourceIdx>) -> usize {
        let n = self.nodes.len();
        let node = PictureNode {
            id: format!("n{n}"),
            kind: kind.to_string(),
            label,
            known,
            rules: Vec::new(),
            marks: Vec::new(),
        };
        self.nodes.push((node, idx));
        n
    }

    fn drawn_resource(&self, n: usize) -> Option<ResourceIdx> {
        self.nodes.get(n).and_then(|(_, idx)| *idx)
    }

    fn edge(&mut self, from: usize, to: usize, kind: &str, span: Option<Span>) {
        let (from_id, to_id) = (format!("n{from}"), format!("n{to}"));
        // A subnet shared by two endpoints lies in its network once.
        if !self.edge_keys.insert((from, to, kind.to_string(), span)) {
            return;
        }
        let known = self.nodes.get(to).is_some_and(|(node, _)| node.known);
        let edge = Edge {
            from: from_id,
            to: to_id,
            kind: kind.to_string(),
            known,
            rules: Vec::new(),
            marks: Vec::new(),
        };
        self.edges.push((edge, span));
    }

    /// The picture, with each finding's rule id on the references and
    /// resources its labels point at.
    fn finish(self, findings: &[Finding]) -> Picture {
        let graph = self.graph;
        // Each part's findings, by rule and primary span (what
        // `Picture::keep_marks` matches the reported findings against).
        type Marks<'f> = BTreeSet<(&'f str, Span)>;
        let mut node_marks: Vec<Marks> = vec![BTreeSet::new(); self.nodes.len()];
        let mut edge_marks: Vec<Marks> = vec![BTreeSet::new(); self.edges.len()];
        for finding in findings {
            let mark = (finding.rule.as_str(), finding.primary.span);
            for label in std::iter::once(&finding.primary).chain(&finding.related) {
                let at = label.span;
                let on_edge = self
                    .edges
                    .iter()
                    .position(|(_, span)| span.is_some_and(|s| overlaps(s, at)));
                if let Some(e) = on_edge {
                    edge_marks[e].insert(mark);
                    continue;
                }
                // The innermost drawn resource holding the label (a zone
                // group declared inside its endpoint holds its own findings).
                let holder = self
                    .nodes
                    .iter()
                    .enumerate()
                    .filter_map(|(n, (_, idx))| idx.map(|i| (n, graph.get(i).span)))
                    .filter(|(_, span)| contains(*span, at))
                    .min_by_key(|(_, span)| span.len());
                if let Some((n, _)) = holder {
                    node_marks[n].insert(mark);
                }
            }
        }
        let rules = |marks: &Marks| -> Vec<String> {
            let ids: BTreeSet<&str> = marks.iter().map(|(rule, _)| *rule).collect();
            ids.into_iter().map(str::to_string).collect()
        };
        let owned = |marks: &Marks| -> Vec<(String, Span)> {
            marks
                .iter()
                .map(|(rule, at)| ((*rule).to_string(), *at))
                .collect()
        };
        let nodes = self
            .nodes
            .into_iter()
            .zip(node_marks)
            .map(|((mut node, _), marks)| {
                node.rules = rules(&marks);
                node.marks = owned(&marks);
                node
            })
            .collect();
        let edges = self
            .edges
            .into_iter()
            .zip(edge_marks)
            .map(|((mut edge, _), marks)| {
                edge.rules = rules(&marks);
                edge.marks = owned(&marks);
                edge
            })
            .collect();
        Picture {
            unit: graph.label.clone(),
            nodes,
            edges,
        }
    }
}

/// The elements of an array value; nothing for anything else.
fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

fn overlaps(a: Span, b: Span) -> bool {
    a.file == b.file && a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1)
}

/// The source text at `span`, as one short line: for an unknown reference,
/// what the template or module writes there. A JSON member's span starts at
/// its key and an HCL attribute's at its name; both are cut off.
fn written(sources: &SourceMap, span: Span) -> Option<String> {
    const LONGEST: usize = 120;
    let source = sources.get(span.file);
    let mut text = source.slice(span).trim();
    if let Some((key, value)) = text.split_once([':', '=']) {
        let key = key.trim();
        let is_key = (key.starts_with('"') && key.ends_with('"') && key.len() >= 2)
            || key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_key && !key.is_empty() {
            text = value.trim();
        }
    }
    let text = text.trim_matches('"');
    (!text.is_empty() && text.chars().count() <= LONGEST && !text.contains('\n'))
        .then(|| text.to_string())
}

/// With `--show-unknown`: for each private endpoint declared here, each
/// link of its chain that stops at something not known, at the reference
/// that stops it, with what would decide it. A target whose type the id
/// names counts as known for the rules that need only the type; the ones
/// that read its settings are named.
pub fn breaks(graph: &Graph, sources: &SourceMap) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let orphan_groups: Vec<ResourceIdx> = graph
        .of_type(ZONE_GROUP)
        .iter()
        .copied()
        .filter(|&g| graph.parent(g).is_none())
        .collect();
    for &pe in graph.of_type(ENDPOINT) {
        let resource = graph.get(pe);
        if resource.origin.framework == Framework::External {
            continue;
        }
        let name = resource.full_or_written_name(sources);
        let mut say = |node: &Node, what: String| {
            if let Some(span) = node.span {
                let decider = decider(node, sources);
                out.push((span, format!("private endpoint '{name}': {what}{decider}")));
            }
        };
        for connections in [
            "properties.privateLinkServiceConnections",
            "properties.manualPrivateLinkServiceConnections",
        ] {
            for connection in items(resource.get_path(connections)) {
                let Some(target) = connection.get_path("properties.privateLinkServiceId") else {
                    continue;
                };
                match target.value.as_id() {
                    None => say(
                        target,
                        "its target is not known, so the rules about the target's type, group ids and DNS zone stay silent".into(),
                    ),
                    Some(id) if graph.resolve(&id).is_none() => say(
                        target,
                        format!(
                            "its target is a {} whose name is not known, so the rules that read the target's settings stay silent",
                            id.rtype
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(subnet) = resource.get_path("properties.subnet.id")
            && subnet
                .value
                .as_id()
                .and_then(|id| graph.resolve(&id))
                .is_none()
        {
            say(
                subnet,
                "its subnet is not known, so the rules about the subnet and its network stay silent"
                    .into(),
            );
        }
        let groups: Vec<ResourceIdx> = graph
            .children(pe)
            .iter()
            .copied()
            .filter(|&g| graph.get(g).is_type(ZONE_GROUP))
            .collect();
        if groups.is_empty()
            && let Some(&orphan) = orphan_groups.first()
            && let Some(group_name) = graph.get(orphan).body.get("name")
        {
            say(
                group_name,
                "no DNS zone group is tied to it, and this zone group's endpoint is not known: it may be this endpoint's".into(),
            );
        }
        for group in groups {
            for config in items(
                graph
                    .get(group)
                    .get_path("properties.privateDnsZoneConfigs"),
            ) {
                let Some(zone) = config.get_path("properties.privateDnsZoneId") else {
                    continue;
                };
                if zone
                    .value
                    .as_id()
                    .and_then(|id| graph.resolve(&id))
                    .is_none()
                {
                    say(
                        zone,
                        "its private DNS zone is not known, so the rules about the zone's name and links stay silent".into(),
                    );
                }
            }
        }
    }
    out
}

/// What would decide an unknown reference, from the way it is written.
fn decider(node: &Node, sources: &SourceMap) -> String {
    let Some(text) = node.span.and_then(|span| written(sources, span)) else {
        return String::new();
    };
    let after = |marker: &str| -> Option<String> {
        let start = text.find(marker)? + marker.len();
        let name: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    let why = if let Some(p) = after("parameters('") {
        format!("parameter `{p}` has no value here: a parameter file (or a default) decides it")
    } else if let Some(v) = after("var.") {
        format!("variable `{v}` has no value: `--var {v}=…` or `--var-file` decides it")
    } else if text.contains("module.") || text.contains(".outputs") {
        "it is a module's output plinth cannot read (`plinth check --show-unknown` lists unread modules)".into()
    } else if text.contains("data.") {
        "it is read from Azure (a data source)".into()
    } else if text.contains("reference(") || text.contains("list") {
        "it is read from Azure at deployment".into()
    } else {
        "it is not known offline (a parameter or variable without a value, or what Azure returns)"
            .into()
    };
    format!(" — `{text}`: {why}")
}
