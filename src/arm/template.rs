//! Resources out of a template: classic `resources` arrays and
//! `languageVersion: 2.0` symbolic-name objects, nested child resources,
//! inline subnets, copy loops, conditions, and nested deployments (how every
//! Bicep module compiles), each becoming resources of the same unit.

use foldhash::HashMap;
use memchr::memmem::Finder;

use std::ops::Range;

use crate::arm::eval::{Copy, ProvenanceLog, Scope};
use crate::arm::symbolic::Symbolic;
use crate::json::{JsonKind, JsonValue};
use crate::limits::Guard;
use crate::model::{ArmId, Framework, Node, Object, Origin, Part, Resource, Truth, Unit, Value};
use crate::source::FileId;

/// What an enclosing deployment or parent passes down.
#[derive(Clone, PartialEq)]
struct Context {
    exists: Truth,
    subscription: Part,
    resource_group: Part,
}

/// A parent resource, for its nested children.
struct Parent {
    key: String,
    rtype: String,
    names: Vec<Part>,
}

/// Members of a resource declaration that are not part of its REST body.
const NOT_BODY: [&str; 6] = [
    "resources",
    "copy",
    "condition",
    "dependsOn",
    "comments",
    "existing",
];

pub struct Builder {
    guard: Guard,
    pub unit: Unit,
    /// The first instance built of each nested deployment in a copy loop,
    /// by the address of its declaration ([`Builder::replay`]).
    built: HashMap<usize, Built>,
    /// How many instances were built again from others ([`Builder::replay`]).
    replayed: usize,
}

/// An instance of a nested deployment in a copy loop whose resources were
/// built: what it was given, and where its resources and opaque places are
/// in the unit.
struct Built {
    supplied: HashMap<String, Node>,
    symbolic: HashMap<String, Symbolic>,
    context: Context,
    depth: usize,
    /// Its resources' key prefix (`….testDeployment[0].properties.template.`).
    prefix: String,
    resources: Range<usize>,
    opaque: Range<usize>,
    /// What building them spent of the unit's budget.
    spent: [u64; 3],
    /// What building them wrote to the unit's provenance.
    provenance: ProvenanceLog,
}

impl Builder {
    pub fn new(file: FileId, label: String, guard: Guard) -> Builder {
        Builder {
            guard,
            unit: Unit {
                label,
                files: vec![file],
                ..Unit::default()
            },
            built: HashMap::default(),
            replayed: 0,
        }
    }

    /// Adds every resource of the root `template`, its parameters bound to
    /// `supplied` (from a parameter file) or else to their defaults.
    pub fn template_with(&mut self, template: &JsonValue, supplied: HashMap<String, Node>) {
        let scope = Scope::new(template, supplied, self.guard.clone());
        let context = Context {
            exists: Truth::True,
            subscription: Part::Unknown,
            resource_group: Part::Unknown,
        };
        self.resources(&scope, template, "", &context, &[], 0);
        // Taken whole when the unit has none yet (its one template, as a
        // rule), not moved entry by entry into another map.
        let provenance = scope.take_provenance();
        if self.unit.provenance.is_empty() {
            self.unit.provenance = provenance;
        } else {
            self.unit.provenance.extend(provenance);
        }
    }

    fn resources<'t>(
        &mut self,
        scope: &Scope<'t>,
        template: &'t JsonValue,
        prefix: &str,
        context: &Context,
        copies: &[Copy],
        depth: usize,
    ) {
        let Some(resources) = template.get("resources") else {
            return;
        };
        match &resources.kind {
            JsonKind::Array(items) => {
                for (i, r) in items.iter().enumerate() {
                    let key = format!("{prefix}resources[{i}]");
                    self.resource(scope, r, key, None, context, copies, depth);
                }
            }
            JsonKind::Object(members) => {
                for m in members {
                    let key = [prefix, "resources.", &m.key].concat();
                    self.resource(scope, &m.value, key, None, context, copies, depth);
                }
            }
            _ => {}
        }
    }

    /// One declaration, expanded by its copy loop.
    #[allow(clippy::too_many_arguments)]
    fn resource<'t>(
        &mut self,
        scope: &Scope<'t>,
        r: &'t JsonValue,
        key: String,
        parent: Option<&Parent>,
        context: &Context,
        copies: &[Copy],
        depth: usize,
    ) {
        let Some(copy) = r.get("copy") else {
            return self.instance(scope, r, key, parent, context, copies, depth);
        };
        let name = copy
            .get("name")
            .and_then(JsonValue::as_str)
            .unwrap_or("")
            .to_string();
        let count = copy.get("count").map(|c| {
            let value = scope.node(c, c.span, copies).value;
            scope.check_copies(&value, c.span);
            value
        });
        let max = self.guard.limits.max_copies as f64;
        let with = |index: Option<i64>| {
            let mut inner = copies.to_vec();
            inner.push(Copy {
                name: name.clone(),
                resource: true,
                index,
            });
            inner
        };
        match count {
            Some(Value::Number(n)) if n.fract() == 0.0 && (0.0..=max).contains(&n) => {
                // Counted over the unit: copies of copies multiply.
                let at = copy.get("count").map_or(r.span, |c| c.span);
                if !self.guard.spend_instances(n as u64, at) {
                    self.unit.opaque.push(r.span);
                    return;
                }
                for i in 0..n as i64 {
                    self.instance(
                        scope,
                        r,
                        format!("{key}[{i}]"),
                        parent,
                        context,
                        &with(Some(i)),
                        depth,
                    );
                }
            }
            _ => {
                // An unknown count (or one over the cap): one instance that may not exist.
                let context = Context {
                    exists: context.exists.and(Truth::Unknown),
                    ..context.clone()
                };
                self.instance(scope, r, key, parent, &context, &with(None), depth);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_lines)] // a resource's steps in order: condition, name, body, children
    fn instance<'t>(
        &mut self,
        scope: &Scope<'t>,
        r: &'t JsonValue,
        key: String,
        parent: Option<&Parent>,
        context: &Context,
        copies: &[Copy],
        depth: usize,
    ) {
        if !matches!(r.kind, JsonKind::Object(_)) {
            return;
        }
        if self.guard.exhausted() {
            // Past the work budget nothing is evaluated: this resource is
            // a place plinth cannot see, not one that is absent.
            self.unit.opaque.push(r.span);
            return;
        }
        let condition = match r
            .get("condition")
            .map(|c| scope.node(c, c.span, copies).value)
        {
            None | Some(Value::Bool(true)) => Truth::True,
            Some(Value::Bool(false)) => return,
            Some(_) => Truth::Unknown,
        };
        let exists = context.exists.and(condition);

        let Some(short_type) =
            r.get("type")
                .and_then(|t| match scope.node(t, t.span, copies).value {
                    Value::String(s) => Some(s.into_string()),
                    _ => None,
                })
        else {
            // A resource whose type is not known cannot be checked or linked.
            return;
        };
        let rtype = match parent {
            // A nested child's type is relative unless written in full.
            Some(p) if !short_type.contains('.') => format!("{}/{}", p.rtype, short_type),
            _ => short_type,
        };
        let segments = rtype.split('/').count().saturating_sub(1);
        let name_value = r
            .get("name")
            .map_or(Value::Unknown, |n| scope.node(n, n.span, copies).value);
        let symbolic = match (&name_value, r.get("name")) {
            (Value::Unknown, Some(name)) => scope.symbolic_of_unknown_json(name, copies),
            _ => None,
        };
        let own: Vec<Part> = match (&name_value, symbolic) {
            (Value::String(s), _) => s.split('/').map(|p| Part::Known(p.to_string())).collect(),
            // Not known, but the same in every deployment as what else is
            // named by the same expression: the linker ties them.
            (_, Some(symbolic)) => symbolic.parts(),
            _ => vec![
                Part::Unknown;
                segments
                    .saturating_sub(parent.map_or(0, |p| p.names.len()))
                    .max(1)
            ],
        };
        let mut names: Vec<Part> = match parent {
            Some(p) if own.len() < segments => p.names.iter().cloned().chain(own).collect(),
            _ => own,
        };
        if names.len() != segments {
            names = vec![Part::Unknown; segments];
        }
        let full_name = names
            .iter()
            .map(|p| p.known().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|n| n.join("/"));

        let is_deployment = rtype.eq_ignore_ascii_case("Microsoft.Resources/deployments");
        let mut body = Object::new();
        for m in r.members() {
            if NOT_BODY.iter().any(|k| m.key.eq_ignore_ascii_case(k)) {
                continue;
            }
            let mut value = if is_deployment && m.key.eq_ignore_ascii_case("properties") {
                scope.node_without(&m.value, m.span, copies, "template")
            } else {
                scope.node(&m.value, m.span, copies)
            };
            // An extension resource's `scope` as Bicep writes it, a path
            // relative to the deployment (`Microsoft.Network/privateDnsZones/z`),
            // is the id of that resource in the deployment's resource group.
            if m.key.eq_ignore_ascii_case("scope")
                && let Value::String(path) = &value.value
                && let Some(id) = relative_scope(path, context)
            {
                value.value = Value::id(id);
            }
            body.insert(m.key.as_str(), value);
        }
        // An A record whose addresses are read from a private endpoint
        // (`reference(<endpoint>).customDnsConfigs`, or its NIC's
        // `ipConfigurations`) is that endpoint's DNS (`referencedResources`).
        if rtype.eq_ignore_ascii_case("Microsoft.Network/privateDnsZones/A")
            && let Some(records) = r.get("properties").and_then(|p| p.get("aRecords"))
        {
            let endpoints: Vec<Node> = scope
                .referenced_ids(records, copies)
                .into_iter()
                .filter(|id| {
                    id.rtype
                        .eq_ignore_ascii_case("Microsoft.Network/privateEndpoints")
                })
                .map(|id| Node::new(Value::id(id), Some(records.span)))
                .collect();
            if !endpoints.is_empty() {
                body.insert(
                    "referencedResources",
                    Node::new(Value::Array(endpoints), Some(records.span)),
                );
            }
        }
        // A web app's settings name the resources it reads from: its clients'
        // evidence for PE007 (`referencedResources`, a plinth key).
        if rtype.eq_ignore_ascii_case("Microsoft.Web/sites")
            && let Some(site_config) = r.get("properties").and_then(|p| p.get("siteConfig"))
        {
            let ids = scope.referenced_ids(site_config, copies);
            if !ids.is_empty() {
                body.insert(
                    "referencedResources",
                    Node::new(
                        Value::Array(
                            ids.into_iter()
                                .map(|id| Node::new(Value::id(id), Some(site_config.span)))
                                .collect(),
                        ),
                        Some(site_config.span),
                    ),
                );
            }
        }
        let name_span = r.member("name").map(|m| m.span);
        body.insert(
            "name",
            Node::new(full_name.map_or(Value::Unknown, Value::string), name_span),
        );
        body.insert(
            "type",
            Node::new(
                Value::string(rtype.as_str()),
                r.member("type").map(|m| m.span),
            ),
        );
        let api_version = body
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let managed = !matches!(
            r.get("existing").map(|e| &e.kind),
            Some(JsonKind::Bool(true))
        );
        let is_vnet = rtype.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks");

        // What the deployment passes its template, evaluated with its body:
        // its inner scope's parameters, not evaluated again.
        let written_once = |key: &str| {
            r.members()
                .iter()
                .filter(|m| m.key.eq_ignore_ascii_case(key))
                .count()
                == 1
        };
        // Lent from the resource's body, not copied ([`Builder::deployment`]).
        let passes = is_deployment && written_once("properties");
        let resource = Resource {
            rtype: rtype.clone(),
            names: names.clone(),
            subscription: context.subscription.clone(),
            resource_group: context.resource_group.clone(),
            api_version,
            body: Node::object(body, Some(r.span)),
            origin: Origin {
                // A Bicep module's resources come from the module's file.
                file: r.span.file,
                framework: Framework::Arm,
                address: key.clone(),
            },
            span: r.span,
            key: key.clone(),
            managed,
            exists,
        };
        if is_vnet {
            self.inline_subnets(&resource, context);
        }
        self.unit.resources.push(resource);
        let at = self.unit.resources.len() - 1;
        if let Some(p) = parent {
            self.unit.parents.insert(key.clone(), p.key.clone());
        }

        let this = Parent {
            key: key.clone(),
            rtype,
            names,
        };
        let child_context = Context {
            exists,
            ..context.clone()
        };
        for (i, child) in r
            .get("resources")
            .map(JsonValue::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let child_key = format!("{key}.resources[{i}]");
            self.resource(
                scope,
                child,
                child_key,
                Some(&this),
                &child_context,
                copies,
                depth,
            );
        }
        if is_deployment {
            let passed = passes.then_some(at);
            self.deployment(scope, (r, &key, passed), &child_context, copies, depth);
        }
    }

    /// `properties.subnets[]` of a VNet: each a subnet resource of its own.
    fn inline_subnets(&mut self, vnet: &Resource, context: &Context) {
        let Some(Value::Array(subnets)) = vnet.get_path("properties.subnets").map(|n| &n.value)
        else {
            return;
        };
        let vnet_name = vnet.names.first().cloned().unwrap_or(Part::Unknown);
        for (i, subnet) in subnets.iter().enumerate() {
            let name = match subnet.get("name").map(|n| &n.value) {
                Some(Value::String(s)) => Part::Known(s.to_string()),
                _ => Part::Unknown,
            };
            let names = vec![vnet_name.clone(), name];
            let full_name = match (names[0].known(), names[1].known()) {
                (Some(v), Some(s)) => Value::String(format!("{v}/{s}").into()),
                _ => Value::Unknown,
            };
            let mut body = Object::new();
            body.insert(
                "name",
                Node::new(
                    full_name,
                    subnet.get("name").and_then(|n| n.span).or(subnet.span),
                ),
            );
            body.insert(
                "type",
                Node::string("Microsoft.Network/virtualNetworks/subnets", subnet.span),
            );
            if let Some(properties) = subnet.get("properties") {
                body.insert("properties", properties.clone());
            }
            let key = format!("{}.properties.subnets[{i}]", vnet.key);
            let span = subnet.span.unwrap_or(vnet.span);
            self.unit.parents.insert(key.clone(), vnet.key.clone());
            self.unit.resources.push(Resource {
                rtype: "Microsoft.Network/virtualNetworks/subnets".into(),
                names,
                subscription: context.subscription.clone(),
                resource_group: context.resource_group.clone(),
                api_version: vnet.api_version.clone(),
                body: Node::object(body, Some(span)),
                origin: Origin {
                    file: vnet.origin.file,
                    framework: Framework::Arm,
                    address: key.clone(),
                },
                span,
                key,
                managed: vnet.managed,
                exists: vnet.exists,
            });
        }
    }

    /// A nested deployment with an inline template: its resources join the
    /// unit. `passed` is its `properties.parameters` as its body evaluated
    /// them.
    fn deployment<'t>(
        &mut self,
        scope: &Scope<'t>,
        (r, key, passed): (&'t JsonValue, &str, Option<usize>),
        context: &Context,
        copies: &[Copy],
        depth: usize,
    ) {
        let max = self.guard.limits.max_deployment_depth;
        if depth >= max {
            self.guard.hit(
                r.span,
                "max_deployment_depth",
                max as u64,
                format!("nested deployments more than {max} deep: this one is not checked"),
            );
            self.unit.opaque.push(r.span);
            return;
        }
        if !self.guard.spend_module_call(r.span) {
            self.unit.opaque.push(r.span);
            return;
        }
        let Some(properties) = r.get("properties") else {
            return;
        };
        let Some(template) = properties
            .get("template")
            .filter(|t| matches!(t.kind, JsonKind::Object(_)))
        else {
            // `templateLink`: the template is elsewhere, its resources unknown.
            self.unit.opaque.push(r.span);
            return;
        };
        let part = |field: &str| match r.get(field).map(|v| scope.node(v, v.span, copies).value) {
            None => None,
            Some(Value::String(s)) => Some(Part::Known(s.into_string())),
            Some(_) => Some(Part::Unknown),
        };
        let inner_context = Context {
            exists: context.exists,
            subscription: part("subscriptionId").unwrap_or_else(|| context.subscription.clone()),
            resource_group: part("resourceGroup").unwrap_or_else(|| context.resource_group.clone()),
        };
        let prefix = [key, ".properties.template."].concat();
        let inner = properties
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(JsonValue::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        if inner {
            // `properties.parameters` as the deployment's body (resource
            // `passed`) evaluated them: lent to the inner scope, not copied,
            // and given back once its resources are built.
            let mut lent = passed.and_then(|at| {
                let parameters = body_parameters(&mut self.unit.resources[at])?;
                Some((at, std::mem::replace(parameters, Value::Unknown)))
            });
            let (supplied, taken) = match &mut lent {
                Some((_, Value::Object(o))) => {
                    scope.supplied_parameters_from(properties, Some(o), copies)
                }
                _ => scope.supplied_parameters_from(properties, None, copies),
            };
            let symbolic = scope.supplied_symbols(properties, &supplied, copies);
            let mut built = self.inner_instance(
                scope,
                (r, template, &prefix),
                supplied,
                symbolic,
                &inner_context,
                copies,
                depth,
            );
            let mut give_back = |name: &str| match &mut built {
                Ok(inner) => inner.give_back(name),
                Err(supplied) => supplied.remove(name).map(|n| n.value),
            };
            if let Some((at, mut parameters)) = lent {
                if let Value::Object(o) = &mut parameters {
                    // Taken in the order the body's object has them.
                    let mut entries = o.iter_mut();
                    for name in taken {
                        let Some((_, node)) = entries.find(|(key, _)| *key == name) else {
                            break;
                        };
                        if let Value::Object(wrapper) = &mut node.value
                            && let Some(value) = wrapper.get_mut("value")
                            && let Some(given) = give_back(name)
                        {
                            value.value = given;
                        }
                    }
                }
                if let Some(kept) = body_parameters(&mut self.unit.resources[at]) {
                    *kept = parameters;
                }
            }
        } else {
            self.resources(scope, template, &prefix, &inner_context, copies, depth + 1);
        }
    }
}

impl Builder {
    /// Adds the resources of deployment `r`'s instance with inner scope,
    /// `template` given `supplied` and `symbolic`, keyed under `prefix`:
    /// the scope that built them, or `supplied` back when they were
    /// copied from the loop's first instance ([`Builder::replay`]).
    #[allow(clippy::too_many_arguments)]
    fn inner_instance<'t>(
        &mut self,
        scope: &Scope<'t>,
        (r, template, prefix): (&'t JsonValue, &'t JsonValue, &str),
        supplied: HashMap<String, Node>,
        symbolic: HashMap<String, Symbolic>,
        context: &Context,
        copies: &[Copy],
        depth: usize,
    ) -> Result<Scope<'t>, HashMap<String, Node>> {
        // An instance of a copy loop (a Bicep module deployed in a `for`):
        // the same as the first one built when it is given the same, but
        // for its resources' keys.
        let in_loop = copies
            .last()
            .is_some_and(|c| c.resource && c.index.is_some());
        if in_loop && self.replay(scope, r, prefix, &supplied, &symbolic, context, depth) {
            return Err(supplied);
        }
        // The first instance built is kept, not each: a loop whose
        // instances are given different values replays none, and would
        // copy and log each for nothing.
        let first = !self.built.contains_key(&(std::ptr::from_ref(r) as usize));
        let record = (in_loop && first).then(|| (supplied.clone(), symbolic.clone()));
        let (resources, opaque) = (self.unit.resources.len(), self.unit.opaque.len());
        let (hits, spent) = (self.guard.hit_count(), self.guard.spent());
        if record.is_some() {
            scope.start_provenance_log();
        }
        let mut inner = scope.nested(template, supplied, symbolic);
        inner.key_prefix = prefix.to_string();
        self.resources(&inner, template, prefix, context, &[], depth + 1);
        if let Some((supplied, symbolic)) = record {
            let provenance = scope.end_provenance_log();
            // Kept only when building them met no limit: a hit is
            // reported where it is met, once.
            if self.guard.hit_count() == hits && !self.guard.exhausted() {
                let now = self.guard.spent();
                let built = Built {
                    supplied,
                    symbolic,
                    context: context.clone(),
                    depth,
                    prefix: prefix.to_string(),
                    resources: resources..self.unit.resources.len(),
                    opaque: opaque..self.unit.opaque.len(),
                    spent: std::array::from_fn(|i| now[i] - spent[i]),
                    provenance,
                };
                self.built.insert(std::ptr::from_ref(r) as usize, built);
            }
        }
        Ok(inner)
    }

    /// Adds the resources of deployment `r`'s instance with key prefix
    /// `prefix` as copies of the first instance built of `r`, when that one
    /// was given the same parameters (values and where they were written),
    /// symbols and context at the same depth: its template is evaluated in
    /// its own scope, which sees nothing else, so it builds the same
    /// resources but for the instance's key in their keys, ids and symbols.
    /// AVM's tests deploy each module twice this way (`for iteration in [
    /// 'init', 'idem' ]`), a fifth of a Bicep run's work. Its provenance
    /// is written again as evaluating it would write it. Not when a value
    /// or symbol given names either instance's resources (it would be
    /// rewritten too), nor when the unit's budget would not cover the work
    /// again; false when nothing was added.
    #[allow(clippy::too_many_arguments)]
    fn replay(
        &mut self,
        scope: &Scope<'_>,
        r: &JsonValue,
        prefix: &str,
        supplied: &HashMap<String, Node>,
        symbolic: &HashMap<String, Symbolic>,
        context: &Context,
        depth: usize,
    ) -> bool {
        let Some(built) = self.built.get(&(std::ptr::from_ref(r) as usize)) else {
            return false;
        };
        if !replays_on() {
            return false;
        }
        let from = built.prefix.as_str();
        let same = built.depth == depth
            && built.prefix != prefix
            && built.context == *context
            && built.supplied == *supplied
            && built.symbolic == *symbolic;
        if !same {
            return false;
        }
        // Each prefix's searcher built once, for every text looked through.
        let rebase = Rebase {
            from: Finder::new(from),
            to: prefix,
        };
        let to = Finder::new(prefix);
        let has = |s: &str| {
            let s = s.as_bytes();
            rebase.from.find(s).is_some() || to.find(s).is_some()
        };
        let named = symbolic.values().any(|s| s.mentions(&has))
            || supplied.values().any(|n| value_mentions(&n.value, &has));
        if named || !self.guard.spend_again(built.spent) {
            return false;
        }
        // What evaluating it would write where values came from: the same
        // writes, their further sources looked up now.
        scope.replay_provenance(&built.provenance);
        let (resources, opaque) = (built.resources.clone(), built.opaque.clone());
        for at in resources {
            let mut resource = self.unit.resources[at].clone();
            let parent = self
                .unit
                .parents
                .get(&resource.key)
                .map(|p| rebase.text(p).unwrap_or_else(|| p.clone()));
            if let Some(key) = rebase.text(&resource.key) {
                resource.key = key;
            }
            if let Some(address) = rebase.text(&resource.origin.address) {
                resource.origin.address = address;
            }
            for part in resource
                .names
                .iter_mut()
                .chain([&mut resource.subscription, &mut resource.resource_group])
            {
                rebase.part(part);
            }
            rebase.ids(&mut resource.body.value);
            if let Some(parent) = parent {
                self.unit.parents.insert(resource.key.clone(), parent);
            }
            self.unit.resources.push(resource);
        }
        self.unit.opaque.extend_from_within(opaque);
        self.replayed += 1;
        true
    }
}

#[cfg(test)]
thread_local! {
    /// Set by a test to build every instance ([`Builder::replay`] off), to
    /// compare with what replaying builds.
    pub(crate) static NO_REPLAY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether instances are built again from others: always, but in a test
/// that turns it off to compare with building each.
fn replays_on() -> bool {
    #[cfg(test)]
    {
        !NO_REPLAY.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// One instance's key prefix written as another's, its searcher built
/// once for every text of the resources copied (`str::replace` built one
/// per text).
struct Rebase<'a> {
    from: Finder<'a>,
    to: &'a str,
}

impl Rebase<'_> {
    /// `text` with every occurrence of the prefix replaced, left to right
    /// as `str::replace` does; `None` when it has none.
    fn text(&self, text: &str) -> Option<String> {
        let mut found = self.from.find_iter(text.as_bytes()).peekable();
        found.peek()?;
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for at in found {
            out.push_str(&text[last..at]);
            out.push_str(self.to);
            last = at + self.from.needle().len();
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// `part` rebased wherever its symbol has the prefix.
    fn part(&self, part: &mut Part) {
        if let Part::Symbolic(key) = part
            && let Some(rebased) = self.text(key)
        {
            *part = Part::Symbolic(rebased.into());
        }
    }

    fn id(&self, id: &mut ArmId) {
        if let Some(local) = &mut id.local
            && let Some(rebased) = self.text(local)
        {
            *local = rebased;
        }
        for part in id
            .names
            .iter_mut()
            .chain([&mut id.subscription, &mut id.resource_group])
        {
            self.part(part);
        }
    }

    /// Every id in `value` rebased ([`Rebase::id`]).
    fn ids(&self, value: &mut Value) {
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            match value {
                Value::Id(id) => self.id(std::sync::Arc::make_mut(id)),
                Value::Array(items) => stack.extend(items.iter_mut().map(|n| &mut n.value)),
                Value::Object(o) => stack.extend(o.iter_mut().map(|(_, n)| &mut n.value)),
                _ => {}
            }
        }
    }
}

/// Whether an id in `value` has text that `has` finds in its key or a
/// symbol.
fn value_mentions(value: &Value, has: &dyn Fn(&str) -> bool) -> bool {
    let part = |p: &Part| matches!(p, Part::Symbolic(key) if has(key));
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Id(id)
                if id.local.as_deref().is_some_and(has)
                    || id.names.iter().any(part)
                    || part(&id.subscription)
                    || part(&id.resource_group) =>
            {
                return true;
            }
            Value::Array(items) => stack.extend(items.iter().map(|n| &n.value)),
            Value::Object(o) => stack.extend(o.iter().map(|(_, n)| &n.value)),
            _ => {}
        }
    }
    false
}

/// The evaluated `properties.parameters` in a deployment's body.
fn body_parameters(deployment: &mut Resource) -> Option<&mut Value> {
    let Value::Object(body) = &mut deployment.body.value else {
        return None;
    };
    let Value::Object(properties) = &mut body.get_mut("properties")?.value else {
        return None;
    };
    Some(&mut properties.get_mut("parameters")?.value)
}

/// `Microsoft.Network/privateDnsZones/z` (namespace, then type and name
/// pairs) as an id in the deployment's subscription and resource group.
fn relative_scope(path: &str, context: &Context) -> Option<ArmId> {
    if path.starts_with('/') {
        return ArmId::parse(path);
    }
    let segments: Vec<&str> = path.split('/').collect();
    let (namespace, rest) = segments.split_first()?;
    if !namespace.contains('.') || rest.is_empty() || rest.len() % 2 != 0 {
        return None;
    }
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let names = rest
        .iter()
        .skip(1)
        .step_by(2)
        .map(|n| Part::Known((*n).to_string()))
        .collect();
    Some(ArmId {
        subscription: context.subscription.clone(),
        resource_group: context.resource_group.clone(),
        rtype: format!("{namespace}/{}", types.join("/")),
        names,
        local: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebase_replaces_what_str_replace_replaces() {
        let cases = [
            ("m[0].properties.template.", "m[0].properties.template.r"),
            ("m[0].properties.template.", "x"),
            (
                "m[0].properties.template.",
                "m[0].properties.template.m[0].properties.template.r",
            ),
            ("aa", "aaaaa"),
            ("ab", "xabyabzab"),
            ("é.", "é.é.ü"),
        ];
        for (from, text) in cases {
            let rebase = Rebase {
                from: Finder::new(from),
                to: "m[1].properties.template.",
            };
            let expected = text.replace(from, rebase.to);
            let got = rebase.text(text);
            assert_eq!(got.as_deref().unwrap_or(text), expected, "{from} in {text}");
            assert_eq!(got.is_some(), text.contains(from), "{from} in {text}");
        }
    }
    use crate::json;
    use crate::limits::Limits;
    use crate::source::SourceMap;

    /// A module deployed in a loop: three instances given the same
    /// parameters (one unknown, named by a symbol), each with a VNet named
    /// from it (inline subnet: a parent), an endpoint whose subnet id is
    /// tied to the VNet's key, tags from a variable (provenance), a module
    /// in a loop of its own, and a linked template (opaque); then a loop
    /// whose parameter is an id naming its own first instance's resource.
    const TEMPLATE: &str = r#"{
      "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "parameters": { "unknown": { "type": "string" } },
      "resources": [
        { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
          "name": "[format('dep-{0}', copyIndex())]",
          "copy": { "name": "dep", "count": 3 },
          "properties": {
            "expressionEvaluationOptions": { "scope": "inner" },
            "mode": "Incremental",
            "parameters": { "name": { "value": "[parameters('unknown')]" }, "fixed": { "value": "x" } },
            "template": {
              "parameters": { "name": { "type": "string" }, "fixed": { "type": "string" } },
              "variables": { "v": "[concat(parameters('fixed'), '-v')]" },
              "resources": [
                { "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01",
                  "name": "[format('{0}-vnet', parameters('name'))]",
                  "tags": { "t": "[variables('v')]" },
                  "properties": { "subnets": [ { "name": "snet", "properties": { "addressPrefix": "10.0.0.0/24" } } ] } },
                { "type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01",
                  "name": "[format('{0}-pe', parameters('name'))]",
                  "properties": { "subnet": { "id": "[plinthResourceId('resources[0]', resourceId('Microsoft.Network/virtualNetworks/subnets', format('{0}-vnet', parameters('name')), 'snet'))]" } } },
                { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                  "name": "[format('inner-{0}', copyIndex())]",
                  "copy": { "name": "inner", "count": 2 },
                  "properties": {
                    "expressionEvaluationOptions": { "scope": "inner" },
                    "parameters": { "n": { "value": "[variables('v')]" } },
                    "template": {
                      "parameters": { "n": { "type": "string" } },
                      "resources": [
                        { "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
                          "name": "[parameters('n')]", "location": "global" } ] } } },
                { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
                  "name": "linked",
                  "properties": { "templateLink": { "uri": "https://example.com/t.json" } } }
              ] } } },
        { "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01",
          "name": "[format('own-{0}', copyIndex())]",
          "copy": { "name": "own", "count": 2 },
          "properties": {
            "expressionEvaluationOptions": { "scope": "inner" },
            "parameters": { "id": { "value": "[plinthResourceId('resources[1][0].properties.template.resources[0]', resourceId('Microsoft.Network/virtualNetworks', 'n'))]" } },
            "template": {
              "parameters": { "id": { "type": "string" } },
              "resources": [
                { "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01",
                  "name": "[last(split(parameters('id'), '/'))]" } ] } } }
      ]
    }"#;

    fn build(replays: bool) -> Builder {
        let sources = SourceMap::new();
        let file = sources.add(std::path::PathBuf::from("main.json"), TEMPLATE);
        let root = json::parse(file, TEMPLATE, 256)
            .expect("JSON")
            .expect("a value");
        NO_REPLAY.with(|off| off.set(!replays));
        let mut builder = Builder::new(file, "main.json".into(), Guard::new(Limits::default()));
        builder.template_with(&root, HashMap::default());
        NO_REPLAY.with(|off| off.set(false));
        builder
    }

    /// Built again from the first instance, the module's later instances
    /// are what evaluating each builds: resources, their keys, the ids
    /// and symbols in them, parents, opaque places and provenance.
    #[test]
    fn instances_built_again_are_what_evaluating_each_builds() {
        let (replayed, evaluated) = (build(true), build(false));
        // dep[1] and dep[2], and inner[1] in dep[0]; not own[1], whose
        // parameter names own[0]'s resource.
        assert_eq!((replayed.replayed, evaluated.replayed), (3, 0));
        let (a, b) = (&replayed.unit, &evaluated.unit);
        assert_eq!(format!("{:?}", a.resources), format!("{:?}", b.resources));
        assert_eq!(a.parents, b.parents);
        assert_eq!(a.opaque, b.opaque);
        assert_eq!(a.provenance, b.provenance);
        // What the test is about is there: three instances of each module
        // resource, keyed by their own instance, ids and symbols too.
        let keys: Vec<&str> = a.resources.iter().map(|r| r.key.as_str()).collect();
        for i in 0..3 {
            let endpoint = format!("resources[0][{i}].properties.template.resources[1]");
            assert!(keys.contains(&endpoint.as_str()), "{keys:?}");
            let pe = a
                .resources
                .iter()
                .find(|r| r.key == endpoint)
                .expect("endpoint");
            let Some(Value::Id(subnet)) = pe.get_path("properties.subnet.id").map(|n| &n.value)
            else {
                panic!("no subnet id in {pe:?}");
            };
            assert_eq!(
                subnet.local.as_deref(),
                Some(format!("resources[0][{i}].properties.template.resources[0]").as_str())
            );
            assert!(
                matches!(&pe.names[0], Part::Symbolic(s) if s.contains("parameters('unknown')"))
            );
            let zone = format!(
                "resources[0][{i}].properties.template.resources[2][1].properties.template.resources[0]"
            );
            assert!(keys.contains(&zone.as_str()), "{keys:?}");
        }
        assert_eq!(a.parents.len(), 3);
        assert_eq!(a.opaque.len(), 3);
    }

    #[test]
    fn work_done_again_is_spent_again_or_not_at_all() {
        let guard = Guard::new(Limits {
            max_instances: 10,
            ..Limits::default()
        });
        assert!(guard.spend_instances(4, crate::source::Span::new(FileId(0), 0, 1)));
        let before = guard.spent();
        assert!(guard.spend_again([0, 5, 0]));
        assert_eq!(guard.spent()[1], before[1] + 5);
        assert!(!guard.spend_again([0, 2, 0]));
        assert_eq!(guard.spent()[1], 9);
        assert_eq!(guard.hit_count(), 0);
    }
}
