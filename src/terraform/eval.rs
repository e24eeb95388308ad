//! Evaluating Terraform expressions over one module: variables (their
//! defaults), locals, string templates with `%{if}`/`%{for}`, `for`
//! expressions, a few pure functions, `count` and `for_each` instances
//! (`count.index`, `each.key`, `each.value`), and references to resources and
//! their instances. A reference's `.id` becomes an id that names the resource
//! exactly (its address), so the linker connects it even when the name is
//! unknown. Whatever Terraform would only know at apply time is `Unknown`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::template::{Directive, Element, Strip, Template};

use crate::limits::{Guard, VALUE_BYTES};
use crate::model::{ArmId, Node, Object, Part, Value};
use crate::source::{FileId, Span};
use crate::terraform::azurerm;

/// References and locals never nest deeper than this.
const MAX_DEPTH: usize = 64;

/// A `resource` or `data` block, or one instance of it.
#[derive(Clone)]
pub struct Decl<'b> {
    /// The address: `azurerm_subnet.pe`, `data.azurerm_subnet.pe`, and for an
    /// instance `azurerm_subnet.pe[0]` or `azurerm_subnet.pe["db"]`.
    pub key: String,
    pub kind: String,
    pub managed: bool,
    pub block: &'b Block,
    pub file: FileId,
    /// Which instance of a `count` or `for_each` block this is.
    pub instance: Option<Instance>,
}

/// A nested block of a resource as plinth reads it: written out, or one
/// instance of a `dynamic` block's `content`, with its iterator bound.
#[derive(Clone)]
pub struct Nested<'b> {
    pub block: &'b Block,
    bound: Vec<(String, Value)>,
}

impl<'b> Nested<'b> {
    /// A resource's own block.
    pub fn top(block: &'b Block) -> Nested<'b> {
        Nested {
            block,
            bound: Vec::new(),
        }
    }
}

/// One instance of a block with `count` (`count.index`) or `for_each`
/// (`each.key`, `each.value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub key: InstanceKey,
    /// `each.value` (null for `count`).
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InstanceKey {
    Index(usize),
    Key(String),
}

impl InstanceKey {
    /// As Terraform prints it after the block's address: `[0]`, `["db"]`.
    pub fn suffix(&self) -> String {
        match self {
            InstanceKey::Index(i) => format!("[{i}]"),
            InstanceKey::Key(k) => format!("[{}]", serde_json::Value::String(k.clone())),
        }
    }
}

/// What `count` or `for_each` makes of a block.
pub enum Expansion {
    /// Neither, or a value not known before apply: the block stays one
    /// declaration that may or may not exist.
    Whole,
    Instances(Vec<Instance>),
    /// More instances than `limits.max_copies`: the block stays whole.
    OverLimit(Option<Span>, usize),
}

impl Decl<'_> {
    pub fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.block.body.get_attribute(key)
    }
}

/// What one module folder declares.
#[derive(Default)]
pub struct Declared<'b> {
    /// Each variable's value expression: from a var file, else its default.
    pub variables: HashMap<String, (Option<&'b Expression>, FileId)>,
    pub locals: HashMap<String, (&'b Expression, FileId)>,
    pub outputs: HashMap<String, (&'b Expression, FileId)>,
    pub decls: Vec<Decl<'b>>,
}

/// Everything declared in one module (one call of it), and the evaluator over it.
pub struct Module<'b> {
    pub variables: HashMap<String, (Option<&'b Expression>, FileId)>,
    pub locals: HashMap<String, (&'b Expression, FileId)>,
    pub outputs: HashMap<String, (&'b Expression, FileId)>,
    pub decls: Vec<Decl<'b>>,
    /// `module.NAME.` for a called module; empty for the root.
    pub prefix: String,
    /// Input values the caller passes (win over var files and defaults).
    pub supplied: HashMap<String, Value>,
    /// Values from `.tfvars.json` files that no later var file overrode.
    pub file_values: HashMap<String, Value>,
    /// The local modules this one calls, by call name.
    pub children: HashMap<String, Module<'b>>,
    /// The azurerm provider's major version when known; defaults that
    /// changed between majors follow it (unknown: the newest).
    pub azurerm_major: Option<u64>,
    /// This module's folder (`path.module`) and the root module's, where
    /// Terraform runs (`path.root`; relative `file()` paths start there).
    pub dir: Option<std::path::PathBuf>,
    pub root_dir: Option<std::path::PathBuf>,
    /// Which files `file()` and `templatefile()` may read, and how much.
    pub confinement: crate::paths::SharedConfinement,
    by_key: HashMap<String, usize>,
    /// Addresses of blocks expanded into instances (`azurerm_subnet.pe`).
    expanded: HashSet<String>,
    cache: RefCell<HashMap<String, Value>>,
    busy: RefCell<HashSet<String>>,
    /// The instance whose attributes are being evaluated.
    current: RefCell<Option<Instance>>,
    /// Variables bound by enclosing `for` expressions and directives, innermost last.
    bound: RefCell<Vec<(String, Value)>>,
    /// The limits, and the work budget of the unit (shared by its modules).
    pub guard: Guard,
}

pub fn span_of(file: FileId, range: Option<std::ops::Range<usize>>) -> Option<Span> {
    range.map(|r| Span::new(file, r.start, r.end))
}

impl<'b> Module<'b> {
    pub fn new(
        declared: Declared<'b>,
        prefix: String,
        supplied: HashMap<String, Value>,
    ) -> Module<'b> {
        let Declared {
            variables,
            locals,
            outputs,
            decls,
        } = declared;
        let by_key = decls
            .iter()
            .enumerate()
            .map(|(i, d)| (d.key.clone(), i))
            .collect();
        Module {
            variables,
            locals,
            outputs,
            decls,
            prefix,
            supplied,
            file_values: HashMap::new(),
            children: HashMap::new(),
            azurerm_major: None,
            dir: None,
            root_dir: None,
            confinement: std::sync::Arc::new(crate::paths::Confinement::unconfined(0)),
            by_key,
            expanded: HashSet::new(),
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
            current: RefCell::new(None),
            bound: RefCell::new(Vec::new()),
            guard: Guard::default(),
        }
    }

    /// What `count` or `for_each` makes of `decl`, at most `max` instances.
    pub fn expansion(&self, decl: &Decl, max: usize) -> Expansion {
        if decl.instance.is_some() {
            return Expansion::Whole;
        }
        if let Some(count) = self.attribute(decl, "count") {
            return match count.value {
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n <= max as f64 => {
                    Expansion::Instances(
                        (0..n as usize)
                            .map(|i| Instance {
                                key: InstanceKey::Index(i),
                                value: Value::Null,
                            })
                            .collect(),
                    )
                }
                Value::Number(n) if n > max as f64 => Expansion::OverLimit(count.span, max),
                _ => Expansion::Whole,
            };
        }
        let Some(for_each) = self.attribute(decl, "for_each") else {
            return Expansion::Whole;
        };
        let instances: Option<Vec<Instance>> = match &for_each.value {
            // A map: its keys, with their values.
            Value::Object(o) => Some(
                o.iter()
                    .map(|(k, v)| Instance {
                        key: InstanceKey::Key(k.to_string()),
                        value: v.value.clone(),
                    })
                    .collect(),
            ),
            // A set of strings: each is its own key and value.
            Value::Array(items) => items
                .iter()
                .map(|item| match &item.value {
                    Value::String(s) => Some(Instance {
                        key: InstanceKey::Key(s.clone()),
                        value: Value::String(s.clone()),
                    }),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        match instances {
            Some(list) if list.len() > max => Expansion::OverLimit(for_each.span, max),
            Some(list) => Expansion::Instances(list),
            None => Expansion::Whole,
        }
    }

    /// Replaces every block with a known `count` or `for_each` by its
    /// instances (none when it is zero or empty). Returns the spans of
    /// `count`/`for_each` values over `max` (those blocks stay whole).
    pub fn expand(&mut self, max: usize) -> Vec<(Option<Span>, usize)> {
        let plans: Vec<Expansion> = self.decls.iter().map(|d| self.expansion(d, max)).collect();
        let mut over = Vec::new();
        let mut decls = Vec::with_capacity(self.decls.len());
        for (decl, plan) in self.decls.iter().zip(plans) {
            match plan {
                Expansion::Whole => decls.push(decl.clone()),
                Expansion::OverLimit(span, limit) => {
                    over.push((span, limit));
                    decls.push(decl.clone());
                }
                Expansion::Instances(instances) => {
                    // Counted over the unit: instances of every module
                    // instance add up.
                    let at = ["count", "for_each"]
                        .iter()
                        .find_map(|k| decl.attribute(k))
                        .and_then(|a| span_of(decl.file, a.span()))
                        .unwrap_or(Span::new(decl.file, 0, 0));
                    if !self.guard.spend_instances(instances.len() as u64, at) {
                        decls.push(decl.clone());
                        continue;
                    }
                    self.expanded.insert(decl.key.clone());
                    for instance in instances {
                        let mut one = decl.clone();
                        one.key = format!("{}{}", decl.key, instance.key.suffix());
                        one.instance = Some(instance);
                        decls.push(one);
                    }
                }
            }
        }
        self.by_key = decls
            .iter()
            .enumerate()
            .map(|(i, d)| (d.key.clone(), i))
            .collect();
        self.decls = decls;
        self.cache.borrow_mut().clear();
        over
    }

    /// `file(path)`: the text of a file, relative to the root module's
    /// folder; unknown when it cannot be read or is too large, and noted
    /// (at the calling file) when it lies outside the paths checked or is
    /// not a regular file — its text never reaches a message.
    fn read(&self, path: &str, at: Option<Span>) -> Option<String> {
        let full = self.root_dir.as_ref()?.join(path);
        match self.confinement.read(&full) {
            Ok(bytes) => crate::paths::decode(bytes).ok(),
            Err(crate::paths::Refusal::Missing) => None,
            Err(refusal) => {
                // The pipeline names the calling file from the span.
                self.confinement.note(refusal.problem(
                    &full,
                    "file read by an expression",
                    (&full, at),
                ));
                None
            }
        }
    }

    /// `templatefile(path, vars)`: the file read as a string template, with
    /// `vars` as its variables.
    fn template_file(
        &self,
        path: &str,
        vars: &Object,
        file: FileId,
        depth: usize,
        at: Option<Span>,
    ) -> Value {
        let Some(text) = self.read(path, at) else {
            return Value::Unknown;
        };
        let Ok(template) = hcl_edit::parser::parse_template(&text) else {
            return Value::Unknown;
        };
        let bindings = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.value.clone()))
            .collect();
        // The template's own variables only: not the caller's `for` ones.
        let current = self.current.borrow().clone();
        self.in_context(current, || {
            self.binding(bindings, || self.template(&template, file, depth + 1))
        })
    }

    /// Evaluates an expression outside any resource: a module call's input.
    pub fn eval_outside(&self, expr: &Expression, file: FileId) -> Value {
        self.in_context(None, || self.eval(expr, file))
    }

    /// Evaluates an expression as `instance` of a block (a module call's
    /// input, for each of its instances).
    pub fn eval_as(&self, instance: Option<Instance>, expr: &Expression, file: FileId) -> Value {
        self.in_context(instance, || self.eval(expr, file))
    }

    /// Drops every cached value (after the children are built).
    pub fn forget(&self) {
        self.cache.borrow_mut().clear();
    }

    /// The value of `output "name"`.
    fn output(&self, name: &str) -> Value {
        let Some((expr, file)) = self.outputs.get(name).copied() else {
            return Value::Unknown;
        };
        self.memo(format!("output.{name}"), || {
            self.in_context(None, || self.eval(expr, file))
        })
    }

    /// Runs `f` with `decl`'s instance current and no `for` variables bound:
    /// how a declaration's own attributes are evaluated.
    pub fn within<T>(&self, decl: &Decl, f: impl FnOnce() -> T) -> T {
        self.in_context(decl.instance.clone(), f)
    }

    fn in_context<T>(&self, instance: Option<Instance>, f: impl FnOnce() -> T) -> T {
        let saved = self.current.replace(instance);
        let saved_bound = std::mem::take(&mut *self.bound.borrow_mut());
        let out = f();
        *self.bound.borrow_mut() = saved_bound;
        self.current.replace(saved);
        out
    }

    /// The value bound to `name` by an enclosing `for`, innermost first.
    fn bound(&self, name: &str) -> Option<Value> {
        self.bound
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// Evaluates `f` with `bindings` added to the `for` variables.
    fn binding<T>(&self, bindings: Vec<(String, Value)>, f: impl FnOnce() -> T) -> T {
        let n = bindings.len();
        self.bound.borrow_mut().extend(bindings);
        let out = f();
        let mut bound = self.bound.borrow_mut();
        let keep = bound.len().saturating_sub(n);
        bound.truncate(keep);
        out
    }

    /// The resources of this module that `block` refers to anywhere
    /// (`azurerm_x.y.<anything>`, `data.azurerm_x.y.<anything>`), as ids:
    /// which resources a web app's settings read from (PE007's clients).
    pub fn referenced_ids(&self, block: &Block) -> Vec<ArmId> {
        use hcl_edit::visit::{Visit, visit_traversal};
        struct Roots(Vec<String>);
        impl Visit for Roots {
            fn visit_traversal(&mut self, node: &hcl_edit::expr::Traversal) {
                if let Some(key) = azurerm::traversal_resource(node) {
                    self.0.push(key);
                }
                visit_traversal(self, node);
            }
        }
        let mut roots = Roots(Vec::new());
        roots.visit_body(&block.body);
        let mut out: Vec<ArmId> = Vec::new();
        for key in roots.0 {
            if let Some(decl) = self.decl(&format!("{}{key}", self.prefix))
                && let Some(id) = self.id_of(decl)
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        out
    }

    pub fn decl(&self, key: &str) -> Option<&Decl<'b>> {
        self.by_key.get(key).map(|i| &self.decls[*i])
    }

    fn memo(&self, key: String, compute: impl FnOnce() -> Value) -> Value {
        if let Some(v) = self.cache.borrow().get(&key) {
            return v.clone();
        }
        if self.busy.borrow().len() > MAX_DEPTH || !self.busy.borrow_mut().insert(key.clone()) {
            return Value::Unknown;
        }
        // A value nested past the evaluation depth (locals wrapping each
        // other one at a time) is unknown, as ARM's are.
        let value = compute();
        let value = if value.nested_deeper(crate::limits::Limits::default().max_evaluation_depth) {
            Value::Unknown
        } else {
            value
        };
        self.busy.borrow_mut().remove(&key);
        self.cache.borrow_mut().insert(key, value.clone());
        value
    }

    /// An attribute of a declaration (of its instance), evaluated, with the
    /// attribute's span.
    pub fn attribute(&self, decl: &Decl, key: &str) -> Option<Node> {
        let attribute = decl.attribute(key)?;
        let value = self.within(decl, || self.eval(&attribute.value, decl.file));
        Some(Node::new(value, span_of(decl.file, attribute.span())))
    }

    /// An attribute of a nested block, evaluated, with the attribute's span
    /// (inside [`Module::within`] its declaration, for `each` and `count`;
    /// with a `dynamic` block's iterator bound).
    pub fn block_attribute(&self, nested: &Nested, file: FileId, key: &str) -> Option<Node> {
        let attribute = nested.block.body.get_attribute(key)?;
        let value = self.binding(nested.bound.clone(), || self.eval(&attribute.value, file));
        Some(Node::new(value, span_of(file, attribute.span())))
    }

    /// The nested blocks named `ident` in `parent`: those written out, and
    /// one per element of each `dynamic "ident"` block's `for_each`, its
    /// `content` with the iterator (`ident`, or the `iterator` argument)
    /// bound to `{ key, value }`. A `dynamic` block whose `for_each` is not
    /// known yields nothing.
    pub fn nested(&self, parent: &Nested<'b>, file: FileId, ident: &str) -> Vec<Nested<'b>> {
        let mut out = Vec::new();
        for block in parent.block.body.blocks() {
            if block.has_ident(ident) {
                out.push(Nested {
                    block,
                    bound: parent.bound.clone(),
                });
                continue;
            }
            let is_dynamic = block.has_ident("dynamic")
                && block.labels.first().is_some_and(|l| l.as_str() == ident);
            if !is_dynamic {
                continue;
            }
            let Some(content) = block.body.blocks().find(|b| b.has_ident("content")) else {
                continue;
            };
            let iterator = match block.body.get_attribute("iterator").map(|a| &a.value) {
                Some(Expression::Variable(v)) => v.value().as_str().to_string(),
                _ => ident.to_string(),
            };
            let Some(for_each) = block.body.get_attribute("for_each") else {
                continue;
            };
            let collection =
                self.binding(parent.bound.clone(), || self.eval(&for_each.value, file));
            let Some(pairs) = self.pairs(collection) else {
                continue;
            };
            for (key, value) in pairs {
                let mut item = Object::new();
                item.insert("key", Node::new(key, None));
                item.insert("value", Node::new(value, None));
                let mut bound = parent.bound.clone();
                bound.push((iterator.clone(), Value::Object(item)));
                out.push(Nested {
                    block: content,
                    bound,
                });
            }
        }
        out
    }

    /// The value of `decl.attr`, for references from elsewhere.
    pub fn reference(&self, decl: &Decl, attr: &str) -> Value {
        self.memo(format!("{}.{attr}", decl.key), || match attr {
            "id" => self.id_of(decl).map_or(Value::Unknown, Value::Id),
            _ => self
                .attribute(decl, attr)
                .map_or(Value::Unknown, |node| node.value),
        })
    }

    /// An `azapi_resource`'s ARM type and API version, from `type = "T@v"`.
    pub fn azapi_type(&self, decl: &Decl) -> Option<(String, Option<String>)> {
        if decl.kind != "azapi_resource" {
            return None;
        }
        match self.reference(decl, "type") {
            Value::String(t) => Some(match t.split_once('@') {
                Some((rtype, version)) => (rtype.to_string(), Some(version.to_string())),
                None => (t, None),
            }),
            _ => None,
        }
    }

    /// An `azapi_resource`'s `parent_id` as an id: a reference, or a written
    /// id (a resource group's too).
    fn azapi_parent(&self, decl: &Decl) -> Option<ArmId> {
        match self.reference(decl, "parent_id") {
            Value::Id(id) => Some(id),
            Value::String(s) => ArmId::parse(&s).or_else(|| {
                let segments: Vec<&str> = s.trim_matches('/').split('/').collect();
                match segments.as_slice() {
                    [subs, subscription, groups, group]
                        if subs.eq_ignore_ascii_case("subscriptions")
                            && groups.eq_ignore_ascii_case("resourceGroups") =>
                    {
                        Some(ArmId {
                            subscription: Part::Known(subscription.to_string()),
                            resource_group: Part::Known(group.to_string()),
                            rtype: "Microsoft.Resources/resourceGroups".into(),
                            names: vec![Part::Known(group.to_string())],
                            local: None,
                        })
                    }
                    _ => None,
                }
            }),
            _ => None,
        }
    }

    /// The ARM id of a declaration, with its address as the local key.
    pub fn id_of(&self, decl: &Decl) -> Option<ArmId> {
        let rtype = match azurerm::arm_type(&decl.kind) {
            Some(rtype) => rtype.to_string(),
            None => self.azapi_type(decl)?.0,
        };
        Some(ArmId {
            subscription: Part::Unknown,
            resource_group: self.resource_group(decl),
            rtype,
            names: self.names(decl),
            local: Some(decl.key.clone()),
        })
    }

    pub fn part(&self, decl: &Decl, attr: &str) -> Part {
        match self.reference(decl, attr) {
            Value::String(s) => Part::Known(s),
            _ => Part::Unknown,
        }
    }

    pub fn resource_group(&self, decl: &Decl) -> Part {
        if decl.kind == "azapi_resource" {
            return match self.azapi_parent(decl) {
                Some(parent)
                    if parent
                        .rtype
                        .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") =>
                {
                    parent.names.first().cloned().unwrap_or(Part::Unknown)
                }
                Some(parent) => parent.resource_group,
                None => Part::Unknown,
            };
        }
        if decl.attribute("resource_group_name").is_some() {
            return self.part(decl, "resource_group_name");
        }
        // Children named by their parent's id share its resource group.
        for parent_attr in ["server_id", "private_dns_zone_id", "virtual_network_id"] {
            if let Some(Value::Id(id)) = self.attribute(decl, parent_attr).map(|n| n.value) {
                return id.resource_group;
            }
        }
        Part::Unknown
    }

    /// One name per ARM type segment, from the attributes that name it.
    pub fn names(&self, decl: &Decl) -> Vec<Part> {
        let own = self.part(decl, "name");
        let leaf_of = |attr: &str| match self.attribute(decl, attr).map(|n| n.value) {
            Some(Value::Id(id)) => id.leaf_name().clone(),
            Some(Value::String(s)) => {
                ArmId::parse(&s).map_or(Part::Unknown, |id| id.leaf_name().clone())
            }
            _ => Part::Unknown,
        };
        match decl.kind.as_str() {
            // A child type's leading names are its parent's (`parent_id`).
            "azapi_resource" => {
                let Some((rtype, _)) = self.azapi_type(decl) else {
                    return vec![own];
                };
                let segments = rtype.split('/').count().saturating_sub(1).max(1);
                let mut names = match self.azapi_parent(decl) {
                    Some(parent)
                        if parent.names.len() == segments - 1
                            && rtype.to_ascii_lowercase().starts_with(&format!(
                                "{}/",
                                parent.rtype.to_ascii_lowercase()
                            )) =>
                    {
                        parent.names
                    }
                    _ => vec![Part::Unknown; segments - 1],
                };
                names.push(own);
                names
            }
            "azurerm_subnet" => vec![self.part(decl, "virtual_network_name"), own],
            "azurerm_private_dns_zone_virtual_network_link" => {
                let zone = if decl.attribute("private_dns_zone_name").is_some() {
                    self.part(decl, "private_dns_zone_name")
                } else {
                    leaf_of("private_dns_zone_id")
                };
                vec![zone, own]
            }
            "azurerm_private_dns_a_record"
            | "azurerm_private_dns_aaaa_record"
            | "azurerm_private_dns_cname_record" => vec![self.part(decl, "zone_name"), own],
            "azurerm_virtual_network_peering" => {
                vec![self.part(decl, "virtual_network_name"), own]
            }
            "azurerm_network_security_rule" => {
                vec![self.part(decl, "network_security_group_name"), own]
            }
            "azurerm_route" => vec![self.part(decl, "route_table_name"), own],
            "azurerm_private_dns_resolver_virtual_network_link" => {
                vec![leaf_of("dns_forwarding_ruleset_id"), own]
            }
            "azurerm_postgresql_flexible_server_firewall_rule"
            | "azurerm_postgresql_flexible_server_configuration"
            | "azurerm_postgresql_flexible_server_database" => vec![leaf_of("server_id"), own],
            _ => vec![own],
        }
    }

    pub fn eval(&self, expr: &Expression, file: FileId) -> Value {
        self.eval_at(expr, file, 0)
    }

    /// The value of `expr`; each value it builds counts against the unit's
    /// work budget, and once that is spent every value is unknown.
    fn eval_at(&self, expr: &Expression, file: FileId, depth: usize) -> Value {
        if depth > MAX_DEPTH || self.guard.exhausted() {
            return Value::Unknown;
        }
        let value = self.eval_unbudgeted(expr, file, depth);
        let at = span_of(file, expr.span()).unwrap_or(Span::new(file, 0, 0));
        if self.guard.spend_values(value.weight(VALUE_BYTES), at) {
            value
        } else {
            Value::Unknown
        }
    }

    fn eval_unbudgeted(&self, expr: &Expression, file: FileId, depth: usize) -> Value {
        let eval = |e: &Expression| self.eval_at(e, file, depth + 1);
        match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n.value().as_f64().map_or(Value::Unknown, Value::Number),
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|e| Node::new(eval(e), span_of(file, e.span())))
                    .collect(),
            ),
            Expression::Object(object) => {
                let mut out = Object::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(e) => match eval(e) {
                            Value::String(s) => s,
                            _ => return Value::Unknown,
                        },
                    };
                    out.insert(
                        key,
                        Node::new(eval(value.expr()), span_of(file, value.expr().span())),
                    );
                }
                Value::Object(out)
            }
            Expression::StringTemplate(template) => self.template(template, file, depth),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template, file, depth),
            Expression::Parenthesis(inner) => eval(inner.inner()),
            Expression::Variable(v) => self.bound(v.value().as_str()).unwrap_or(Value::Unknown),
            Expression::Conditional(c) => match eval(&c.cond_expr) {
                Value::Bool(true) => eval(&c.true_expr),
                Value::Bool(false) => eval(&c.false_expr),
                _ => {
                    let (a, b) = (eval(&c.true_expr), eval(&c.false_expr));
                    if a == b && !a.contains_unknown() {
                        a
                    } else {
                        Value::Unknown
                    }
                }
            },
            Expression::FuncCall(call) => {
                if !call.name.namespace.is_empty() {
                    return Value::Unknown;
                }
                let args: Vec<Value> = call.args.iter().map(eval).collect();
                let name = call.name.name.value().as_str();
                let at = span_of(file, hcl_edit::Span::span(call.as_ref()));
                match (name, args.as_slice()) {
                    ("file", [Value::String(path)]) => {
                        self.read(path, at).map_or(Value::Unknown, Value::String)
                    }
                    ("templatefile", [Value::String(path), Value::Object(vars)]) => {
                        self.template_file(path, vars, file, depth, at)
                    }
                    // Whether a file outside the paths checked exists is
                    // not plinth's to tell.
                    ("fileexists", [Value::String(path)]) => match &self.root_dir {
                        Some(root) if self.confinement.resolve(&root.join(path)).is_ok() => {
                            Value::Bool(self.confinement.is_readable_file(&root.join(path)))
                        }
                        Some(_) => Value::Unknown,
                        None => Value::Unknown,
                    },
                    _ => function(name, args),
                }
            }
            Expression::Traversal(traversal) => {
                self.traversal(&traversal.expr, &traversal.operators, file, depth)
            }
            Expression::UnaryOp(op) => match (op.operator.value(), eval(&op.expr)) {
                (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnaryOperator::Neg, Value::Number(n)) => Value::Number(-n),
                _ => Value::Unknown,
            },
            Expression::BinaryOp(op) => {
                binary(*op.operator.value(), eval(&op.lhs_expr), eval(&op.rhs_expr))
            }
            Expression::ForExpr(for_expr) => self.for_expr(for_expr, file, depth),
        }
    }

    /// The (key, value) pairs a `for` iterates: an array's index and element,
    /// an object's keys and values; `None` when not known.
    fn pairs(&self, collection: Value) -> Option<Vec<(Value, Value)>> {
        match collection {
            Value::Array(items) => Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| (Value::Number(i as f64), n.value))
                    .collect(),
            ),
            Value::Object(o) => Some(
                o.into_entries()
                    .into_iter()
                    .map(|(k, n)| (Value::String(k), n.value))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// `[for k, v in coll : value if cond]` and `{for k, v in coll : key => value}`.
    fn for_expr(&self, e: &hcl_edit::expr::ForExpr, file: FileId, depth: usize) -> Value {
        let eval = |x: &Expression| self.eval_at(x, file, depth + 1);
        let Some(pairs) = self.pairs(eval(&e.intro.collection_expr)) else {
            return Value::Unknown;
        };
        let key_var = e
            .intro
            .key_var
            .as_ref()
            .map(|k| k.value().as_str().to_string());
        let value_var = e.intro.value_var.value().as_str().to_string();
        let mut items = Vec::new();
        let mut object = Object::new();
        for (key, value) in pairs {
            let mut bindings = vec![(value_var.clone(), value)];
            if let Some(k) = &key_var {
                bindings.push((k.clone(), key));
            }
            let step = self.binding(bindings, || {
                let keep = match e.cond.as_ref().map(|c| eval(&c.expr)) {
                    None | Some(Value::Bool(true)) => true,
                    Some(Value::Bool(false)) => false,
                    Some(_) => return None,
                };
                let key = e.key_expr.as_ref().map(&eval);
                Some(keep.then(|| (key, eval(&e.value_expr))))
            });
            match step {
                None => return Value::Unknown,
                Some(None) => {}
                Some(Some((None, value))) => {
                    items.push(Node::new(value, span_of(file, e.value_expr.span())))
                }
                Some(Some((Some(Value::String(k)), value))) if !e.grouping => {
                    if object.get(&k).is_some() {
                        // Terraform refuses duplicate keys without grouping.
                        return Value::Unknown;
                    }
                    object.insert(k, Node::new(value, span_of(file, e.value_expr.span())));
                }
                Some(Some(_)) => return Value::Unknown,
            }
        }
        if e.key_expr.is_some() {
            Value::Object(object)
        } else {
            Value::Array(items)
        }
    }

    /// A string template. Whitespace stripping (`~`) is not modelled: a
    /// template that uses it is unknown.
    fn template(&self, template: &Template, file: FileId, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let mut parts = Vec::new();
        for element in template.iter() {
            match element {
                Element::Literal(s) => parts.push(Value::String(s.value().clone())),
                Element::Interpolation(i) if i.strip == Strip::None => {
                    parts.push(self.eval_at(&i.expr, file, depth + 1))
                }
                Element::Directive(d) => match self.directive(d, file, depth) {
                    Some(value) => parts.push(value),
                    None => return Value::Unknown,
                },
                Element::Interpolation(_) => return Value::Unknown,
            }
        }
        join(parts)
    }

    /// `%{if cond}…%{else}…%{endif}` and `%{for v in coll}…%{endfor}`.
    fn directive(&self, directive: &Directive, file: FileId, depth: usize) -> Option<Value> {
        match directive {
            Directive::If(d) => {
                let stripped = d.if_expr.strip != Strip::None
                    || d.endif_expr.strip != Strip::None
                    || d.else_expr.as_ref().is_some_and(|e| e.strip != Strip::None);
                if stripped {
                    return None;
                }
                match self.eval_at(&d.if_expr.cond_expr, file, depth + 1) {
                    Value::Bool(true) => Some(self.template(&d.if_expr.template, file, depth + 1)),
                    Value::Bool(false) => Some(match &d.else_expr {
                        Some(e) => self.template(&e.template, file, depth + 1),
                        None => Value::String(String::new()),
                    }),
                    _ => None,
                }
            }
            Directive::For(d) => {
                if d.for_expr.strip != Strip::None || d.endfor_expr.strip != Strip::None {
                    return None;
                }
                let pairs =
                    self.pairs(self.eval_at(&d.for_expr.collection_expr, file, depth + 1))?;
                let key_var = d
                    .for_expr
                    .key_var
                    .as_ref()
                    .map(|k| k.value().as_str().to_string());
                let value_var = d.for_expr.value_var.value().as_str().to_string();
                let mut parts = Vec::new();
                for (key, value) in pairs {
                    let mut bindings = vec![(value_var.clone(), value)];
                    if let Some(k) = &key_var {
                        bindings.push((k.clone(), key));
                    }
                    parts.push(self.binding(bindings, || {
                        self.template(&d.for_expr.template, file, depth + 1)
                    }));
                }
                Some(join(parts))
            }
        }
    }

    fn traversal(
        &self,
        root: &Expression,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        depth: usize,
    ) -> Value {
        let Expression::Variable(root) = root else {
            let value = self.eval_at(root, file, depth + 1);
            return self.apply(value, operators, file, depth);
        };
        let attr = |i: usize| match operators.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.value().as_str().to_string()),
            _ => None,
        };
        if let Some(value) = self.bound(root.value().as_str()) {
            return self.apply(value, operators, file, depth);
        }
        match root.value().as_str() {
            "count" => {
                let current = self.current.borrow().clone();
                match (attr(0).as_deref(), current) {
                    (
                        Some("index"),
                        Some(Instance {
                            key: InstanceKey::Index(i),
                            ..
                        }),
                    ) => self.apply(Value::Number(i as f64), &operators[1..], file, depth),
                    _ => Value::Unknown,
                }
            }
            "each" => {
                let current = self.current.borrow().clone();
                match (attr(0).as_deref(), current) {
                    (
                        Some("key"),
                        Some(Instance {
                            key: InstanceKey::Key(k),
                            ..
                        }),
                    ) => self.apply(Value::String(k), &operators[1..], file, depth),
                    (
                        Some("value"),
                        Some(Instance {
                            key: InstanceKey::Key(_),
                            value,
                        }),
                    ) => self.apply(value, &operators[1..], file, depth),
                    _ => Value::Unknown,
                }
            }
            "var" => {
                let Some(name) = attr(0) else {
                    return Value::Unknown;
                };
                if let Some(value) = self.supplied.get(&name).or(self.file_values.get(&name)) {
                    return self.apply(value.clone(), &operators[1..], file, depth);
                }
                let value = match self.variables.get(&name) {
                    Some((Some(default), f)) => {
                        let (default, f) = (*default, *f);
                        self.memo(format!("var.{name}"), || {
                            self.in_context(None, || self.eval_at(default, f, depth + 1))
                        })
                    }
                    _ => Value::Unknown,
                };
                self.apply(value, &operators[1..], file, depth)
            }
            "local" => {
                let Some(name) = attr(0) else {
                    return Value::Unknown;
                };
                let value = match self.locals.get(&name) {
                    Some((e, f)) => {
                        let (e, f) = (*e, *f);
                        self.memo(format!("local.{name}"), || {
                            self.in_context(None, || self.eval_at(e, f, depth + 1))
                        })
                    }
                    None => Value::Unknown,
                };
                self.apply(value, &operators[1..], file, depth)
            }
            "data" => match (attr(0), attr(1)) {
                (Some(kind), Some(name)) => self.resource_ref(
                    &format!("{}data.{kind}.{name}", self.prefix),
                    &operators[2..],
                    file,
                    depth,
                ),
                _ => Value::Unknown,
            },
            // `module.NAME.OUTPUT` (or `module.NAME[KEY].OUTPUT`) of a local
            // module plinth read.
            "module" => {
                let Some(name) = attr(0) else {
                    return Value::Unknown;
                };
                let (key, rest) = match operators.get(1).map(|o| o.value()) {
                    Some(TraversalOperator::Index(index)) => {
                        let suffix = match self.eval_at(index, file, depth + 1) {
                            Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                                InstanceKey::Index(n as usize).suffix()
                            }
                            Value::String(k) => InstanceKey::Key(k).suffix(),
                            _ => return Value::Unknown,
                        };
                        (format!("{name}{suffix}"), &operators[2..])
                    }
                    Some(TraversalOperator::LegacyIndex(i)) => {
                        (format!("{name}[{}]", i.value()), &operators[2..])
                    }
                    _ => (name, &operators[1..]),
                };
                let output = match rest.first().map(|o| o.value()) {
                    Some(TraversalOperator::GetAttr(output)) => output.value().as_str().to_string(),
                    _ => return Value::Unknown,
                };
                match self.children.get(&key) {
                    Some(child) => self.apply(child.output(&output), &rest[1..], file, depth),
                    None => Value::Unknown,
                }
            }
            kind if kind.contains('_') => match attr(0) {
                Some(name) => self.resource_ref(
                    &format!("{}{kind}.{name}", self.prefix),
                    &operators[1..],
                    file,
                    depth,
                ),
                None => Value::Unknown,
            },
            "path" => {
                let dir = match attr(0).as_deref() {
                    Some("module") => self.dir.as_ref(),
                    Some("root" | "cwd") => self.root_dir.as_ref(),
                    _ => None,
                };
                match dir {
                    Some(dir) => self.apply(
                        Value::String(dir.to_string_lossy().into_owned()),
                        &operators[1..],
                        file,
                        depth,
                    ),
                    None => Value::Unknown,
                }
            }
            // self: not known here.
            _ => Value::Unknown,
        }
    }

    fn resource_ref(
        &self,
        key: &str,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        depth: usize,
    ) -> Value {
        if self.expanded.contains(key) {
            // `azurerm_subnet.pe[0].id`, `azurerm_private_dns_zone.z[each.key].id`.
            let suffix = match operators.first().map(|o| o.value()) {
                Some(TraversalOperator::Index(index)) => {
                    match self.eval_at(index, file, depth + 1) {
                        Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                            InstanceKey::Index(n as usize).suffix()
                        }
                        Value::String(k) => InstanceKey::Key(k).suffix(),
                        _ => return Value::Unknown,
                    }
                }
                Some(TraversalOperator::LegacyIndex(i)) => format!("[{}]", i.value()),
                // The whole collection of instances is not modelled.
                _ => return Value::Unknown,
            };
            let Some(decl) = self.decl(&format!("{key}{suffix}")) else {
                return Value::Unknown;
            };
            return match operators.get(1).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(attr)) => {
                    let value = self.reference(decl, attr.value().as_str());
                    self.apply(value, &operators[2..], file, depth)
                }
                _ => Value::Unknown,
            };
        }
        let Some(decl) = self.decl(key) else {
            return Value::Unknown;
        };
        // `azurerm_subnet.pe[0].id` of a block whose instances are unknown:
        // every instance shares the attributes plinth knows.
        let mut rest = operators;
        while let Some(op) = rest.first() {
            match op.value() {
                TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => {
                    rest = &rest[1..]
                }
                _ => break,
            }
        }
        match rest.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(attr)) => {
                let value = self.reference(decl, attr.value().as_str());
                self.apply(value, &rest[1..], file, depth)
            }
            _ => Value::Unknown,
        }
    }

    /// Applies `.attr`, `[index]` and the splats `[*]`, `.*` to a value.
    fn apply(
        &self,
        mut value: Value,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        depth: usize,
    ) -> Value {
        for (i, op) in operators.iter().enumerate() {
            if let TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) = op.value() {
                // `list[*].a[0]` applies everything after it to each element;
                // `list.*.a` only the attribute accesses right after it.
                let rest = &operators[i + 1..];
                let split = match op.value() {
                    TraversalOperator::AttrSplat(_) => rest
                        .iter()
                        .position(|o| !matches!(o.value(), TraversalOperator::GetAttr(_)))
                        .unwrap_or(rest.len()),
                    _ => rest.len(),
                };
                let (each, after) = rest.split_at(split);
                let items = match value {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    Value::Unknown => return Value::Unknown,
                    other => vec![Node::new(other, None)],
                };
                let mapped = items
                    .into_iter()
                    .map(|n| Node::new(self.apply(n.value, each, file, depth + 1), n.span))
                    .collect();
                return self.apply(Value::Array(mapped), after, file, depth + 1);
            }
            value = match (op.value(), value) {
                (TraversalOperator::GetAttr(name), Value::Object(o)) => o
                    .get(name.value().as_str())
                    .map_or(Value::Unknown, |n| n.value.clone()),
                (TraversalOperator::Index(index), target) => {
                    match (self.eval_at(index, file, depth + 1), target) {
                        (Value::Number(i), Value::Array(items)) if i >= 0.0 && i.fract() == 0.0 => {
                            items
                                .get(i as usize)
                                .map_or(Value::Unknown, |n| n.value.clone())
                        }
                        (Value::String(k), Value::Object(o)) => {
                            o.get(&k).map_or(Value::Unknown, |n| n.value.clone())
                        }
                        _ => Value::Unknown,
                    }
                }
                (TraversalOperator::LegacyIndex(i), Value::Array(items)) => items
                    .get(*i.value() as usize)
                    .map_or(Value::Unknown, |n| n.value.clone()),
                _ => Value::Unknown,
            };
        }
        value
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Joins template pieces; an id followed by `/type/name` stays an id.
fn join(parts: Vec<Value>) -> Value {
    if parts.iter().any(Value::contains_unknown) {
        return Value::Unknown;
    }
    let mut parts = parts
        .into_iter()
        .filter(|p| !matches!(p, Value::String(s) if s.is_empty()));
    let Some(first) = parts.next() else {
        return Value::String(String::new());
    };
    let rest: Option<String> = parts.map(|p| text(&p)).collect();
    let Some(rest) = rest else {
        return Value::Unknown;
    };
    match first {
        Value::Id(id) => id.with_suffix(&rest).map_or(Value::Unknown, Value::Id),
        other => text(&other).map_or(Value::Unknown, |t| Value::String(t + &rest)),
    }
}

fn binary(op: BinaryOperator, a: Value, b: Value) -> Value {
    use BinaryOperator as B;
    if a.contains_unknown() || b.contains_unknown() {
        return match (op, &a, &b) {
            (B::And, Value::Bool(false), _) | (B::And, _, Value::Bool(false)) => Value::Bool(false),
            (B::Or, Value::Bool(true), _) | (B::Or, _, Value::Bool(true)) => Value::Bool(true),
            _ => Value::Unknown,
        };
    }
    match (op, &a, &b) {
        (B::Eq, _, _) if !matches!(a, Value::Id(_)) && !matches!(b, Value::Id(_)) => {
            Value::Bool(a == b)
        }
        (B::NotEq, _, _) if !matches!(a, Value::Id(_)) && !matches!(b, Value::Id(_)) => {
            Value::Bool(a != b)
        }
        (B::And, Value::Bool(x), Value::Bool(y)) => Value::Bool(*x && *y),
        (B::Or, Value::Bool(x), Value::Bool(y)) => Value::Bool(*x || *y),
        (B::Plus, Value::Number(x), Value::Number(y)) => Value::Number(x + y),
        (B::Minus, Value::Number(x), Value::Number(y)) => Value::Number(x - y),
        (B::Mul, Value::Number(x), Value::Number(y)) => Value::Number(x * y),
        (B::Div, Value::Number(x), Value::Number(y)) if *y != 0.0 => Value::Number(x / y),
        (B::Mod, Value::Number(x), Value::Number(y)) if *y != 0.0 => Value::Number(x % y),
        (B::Less, Value::Number(x), Value::Number(y)) => Value::Bool(x < y),
        (B::LessEq, Value::Number(x), Value::Number(y)) => Value::Bool(x <= y),
        (B::Greater, Value::Number(x), Value::Number(y)) => Value::Bool(x > y),
        (B::GreaterEq, Value::Number(x), Value::Number(y)) => Value::Bool(x >= y),
        _ => Value::Unknown,
    }
}

/// The pure built-in functions plinth evaluates; every other one is unknown.
fn function(name: &str, args: Vec<Value>) -> Value {
    use Value as V;
    if args.iter().any(Value::contains_unknown) && name != "coalesce" && name != "try" {
        return V::Unknown;
    }
    match (name, args.as_slice()) {
        ("lower", [V::String(s)]) => V::String(s.to_lowercase()),
        ("upper", [V::String(s)]) => V::String(s.to_uppercase()),
        ("lower" | "upper", [V::Id(id)]) => V::Id(id.clone()),
        ("trimspace", [V::String(s)]) => V::String(s.trim().to_string()),
        ("tostring", [V::Id(id)]) => V::Id(id.clone()),
        ("tostring", [v]) => text(v).map_or(V::Unknown, V::String),
        ("tolist" | "toset", [V::Array(items)]) => V::Array(items.clone()),
        ("length", [V::Array(items)]) => V::Number(items.len() as f64),
        ("length", [V::Object(o)]) => V::Number(o.len() as f64),
        ("length", [V::String(s)]) => V::Number(s.chars().count() as f64),
        ("join", [V::String(sep), V::Array(items)]) => {
            let parts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            parts.map_or(V::Unknown, |p| V::String(p.join(sep)))
        }
        ("concat", _) if args.iter().all(|a| matches!(a, V::Array(_))) => V::Array(
            args.into_iter()
                .flat_map(|a| match a {
                    V::Array(items) => items,
                    _ => Vec::new(),
                })
                .collect(),
        ),
        ("element", [V::Array(items), V::Number(i)]) if !items.is_empty() && *i >= 0.0 => {
            items[(*i as usize) % items.len()].value.clone()
        }
        ("lookup", [V::Object(o), V::String(k), rest @ ..]) => match (o.get(k), rest) {
            (Some(n), _) => n.value.clone(),
            (None, [default]) => default.clone(),
            _ => V::Unknown,
        },
        ("coalesce", _) => {
            for a in args {
                match a {
                    V::Null => continue,
                    V::String(s) if s.is_empty() => continue,
                    other => return other,
                }
            }
            V::Unknown
        }
        ("format", [V::String(pattern), rest @ ..]) => format(pattern, rest),
        ("replace", [V::String(s), V::String(old), V::String(new)])
            if !old.is_empty() && !is_regex(old) =>
        {
            V::String(s.replace(old.as_str(), new))
        }
        ("split", [V::String(sep), V::String(s)]) if !sep.is_empty() => V::Array(
            s.split(sep.as_str())
                .map(|p| Node::string(p, None))
                .collect(),
        ),
        ("startswith", [V::String(s), V::String(p)]) => V::Bool(s.starts_with(p.as_str())),
        ("endswith", [V::String(s), V::String(p)]) => V::Bool(s.ends_with(p.as_str())),
        ("strcontains", [V::String(s), V::String(p)]) => V::Bool(s.contains(p.as_str())),
        ("trimprefix", [V::String(s), V::String(p)]) => {
            V::String(s.strip_prefix(p.as_str()).unwrap_or(s).to_string())
        }
        ("trimsuffix", [V::String(s), V::String(p)]) => {
            V::String(s.strip_suffix(p.as_str()).unwrap_or(s).to_string())
        }
        ("substr", [V::String(s), V::Number(offset), V::Number(length)])
            if *offset >= 0.0 && offset.fract() == 0.0 && length.fract() == 0.0 =>
        {
            let chars = s.chars().skip(*offset as usize);
            V::String(if *length < 0.0 {
                chars.collect()
            } else {
                chars.take(*length as usize).collect()
            })
        }
        ("contains", [V::Array(items), needle]) if !matches!(needle, V::Id(_)) => {
            V::Bool(items.iter().any(|i| i.value == *needle))
        }
        // Terraform orders a map's keys lexically, and values by key.
        ("keys", [V::Object(o)]) => {
            let mut keys: Vec<&str> = o.iter().map(|(k, _)| k).collect();
            keys.sort_unstable();
            V::Array(keys.into_iter().map(|k| Node::string(k, None)).collect())
        }
        ("values", [V::Object(o)]) => {
            let mut entries: Vec<(&str, &Node)> = o.iter().collect();
            entries.sort_unstable_by_key(|(k, _)| *k);
            V::Array(entries.into_iter().map(|(_, v)| v.clone()).collect())
        }
        ("one", [V::Array(items)]) => match items.as_slice() {
            [] => V::Null,
            [only] => only.value.clone(),
            _ => V::Unknown,
        },
        ("distinct", [V::Array(items)]) => {
            let mut out: Vec<Node> = Vec::new();
            for item in items {
                if !out.iter().any(|o| o.value == item.value) {
                    out.push(item.clone());
                }
            }
            V::Array(out)
        }
        ("compact", [V::Array(items)]) => V::Array(
            items
                .iter()
                .filter(|i| !matches!(&i.value, V::Null) && i.value != V::String(String::new()))
                .cloned()
                .collect(),
        ),
        ("flatten", [V::Array(items)]) => {
            fn flat(items: &[Node], out: &mut Vec<Node>) {
                for item in items {
                    match &item.value {
                        Value::Array(inner) => flat(inner, out),
                        _ => out.push(item.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(items, &mut out);
            V::Array(out)
        }
        ("zipmap", [V::Array(keys), V::Array(values)]) if keys.len() == values.len() => {
            let mut object = Object::new();
            for (k, v) in keys.iter().zip(values) {
                match &k.value {
                    V::String(k) => object.insert(k.clone(), v.clone()),
                    _ => return V::Unknown,
                }
            }
            V::Object(object)
        }
        ("tomap", [V::Object(o)]) => V::Object(o.clone()),
        ("range", _) => range(&args),
        ("min" | "max", [_, ..]) => {
            let numbers: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a {
                    V::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            let Some(numbers) = numbers else {
                return V::Unknown;
            };
            let pick = if name == "min" { f64::min } else { f64::max };
            numbers
                .into_iter()
                .reduce(pick)
                .map_or(V::Unknown, V::Number)
        }
        ("abs", [V::Number(n)]) => V::Number(n.abs()),
        ("jsondecode", [V::String(s)]) => serde_json::from_str::<serde_json::Value>(s)
            .map_or(V::Unknown, |json| V::from_json(&json)),
        ("yamldecode", [V::String(s)]) => serde_yaml::from_str::<serde_json::Value>(s)
            .map_or(V::Unknown, |json| V::from_json(&json)),
        ("jsonencode", [v]) => to_json(v).map_or(V::Unknown, |json| V::String(json.to_string())),
        ("regex", [V::String(pattern), V::String(s)]) => {
            regex_match(pattern, s, false).unwrap_or(V::Unknown)
        }
        ("regexall", [V::String(pattern), V::String(s)]) => {
            regex_match(pattern, s, true).unwrap_or(V::Unknown)
        }
        ("cidrsubnet", [V::String(prefix), V::Number(bits), V::Number(num)]) => {
            cidr::subnet(prefix, *bits, *num).map_or(V::Unknown, V::String)
        }
        ("cidrhost", [V::String(prefix), V::Number(num)]) => {
            cidr::host(prefix, *num).map_or(V::Unknown, V::String)
        }
        ("cidrnetmask", [V::String(prefix)]) => cidr::netmask(prefix).map_or(V::Unknown, V::String),
        ("cidrsubnets", [V::String(prefix), bits @ ..]) => {
            let bits: Option<Vec<f64>> = bits
                .iter()
                .map(|b| match b {
                    V::Number(n) => Some(*n),
                    _ => None,
                })
                .collect();
            bits.and_then(|bits| cidr::subnets(prefix, &bits))
                .map_or(V::Unknown, |list| {
                    V::Array(list.into_iter().map(|s| Node::string(s, None)).collect())
                })
        }
        ("base64encode", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(base64::engine::general_purpose::STANDARD.encode(s))
        }
        ("base64decode", [V::String(s)]) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::String)
        }
        ("formatlist", [V::String(pattern), rest @ ..]) => formatlist(pattern, rest),
        // An error and an unknown look alike here: only a known first
        // argument is certainly what `try` returns.
        ("try", [first, ..]) if !first.contains_unknown() => first.clone(),
        ("can", [value]) if !value.contains_unknown() => V::Bool(true),
        ("tonumber", [V::Number(n)]) => V::Number(*n),
        ("tonumber", [V::String(s)]) => s.trim().parse().map_or(V::Unknown, V::Number),
        ("tobool", [V::Bool(b)]) => V::Bool(*b),
        ("tobool", [V::String(s)]) => match s.as_str() {
            "true" => V::Bool(true),
            "false" => V::Bool(false),
            _ => V::Unknown,
        },
        ("coalescelist", _) => args
            .iter()
            .find(|a| matches!(a, V::Array(items) if !items.is_empty()))
            .cloned()
            .unwrap_or(V::Unknown),
        ("reverse", [V::Array(items)]) => V::Array(items.iter().rev().cloned().collect()),
        ("slice", [V::Array(items), V::Number(from), V::Number(to)])
            if *from >= 0.0 && from <= to && (*to as usize) <= items.len() =>
        {
            V::Array(items[*from as usize..*to as usize].to_vec())
        }
        ("sort", [V::Array(items)]) => {
            let texts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            match texts {
                Some(mut texts) => {
                    texts.sort();
                    V::Array(texts.into_iter().map(|t| Node::string(t, None)).collect())
                }
                None => V::Unknown,
            }
        }
        ("merge", _) if args.iter().all(|a| matches!(a, V::Object(_))) => {
            let mut merged = Object::new();
            for a in args {
                if let V::Object(o) = a {
                    for (k, v) in o.into_entries() {
                        merged.insert(k, v);
                    }
                }
            }
            V::Object(merged)
        }
        _ => V::Unknown,
    }
}

/// A known, plain value as JSON (what `jsonencode` writes); `None` when
/// any of it is unknown or an id.
fn to_json(value: &Value) -> Option<serde_json::Value> {
    Some(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            serde_json::Value::Number((*n as i64).into())
        }
        Value::Number(n) => serde_json::Number::from_f64(*n).map(serde_json::Value::Number)?,
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| to_json(&i.value))
                .collect::<Option<_>>()?,
        ),
        Value::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| Some((k.to_string(), to_json(&v.value)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// `regex` (the first match) and `regexall` (every match): the matched text
/// when the pattern has no groups, a list of the groups when they are
/// unnamed, an object when they are named. `None`: no match for `regex`
/// (an error in Terraform), or a pattern the regex crate refuses.
fn regex_match(pattern: &str, text: &str, all: bool) -> Option<Value> {
    let re = regex::Regex::new(pattern).ok()?;
    let named: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let one = |caps: regex::Captures| -> Value {
        let group = |i: usize| {
            caps.get(i)
                .map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
        };
        if named.is_empty() {
            group(0)
        } else if named.iter().all(Option::is_some) {
            let mut object = Object::new();
            for (i, name) in named.iter().enumerate() {
                object.insert(name.unwrap_or_default(), Node::new(group(i + 1), None));
            }
            Value::Object(object)
        } else {
            Value::Array(
                (1..=named.len())
                    .map(|i| Node::new(group(i), None))
                    .collect(),
            )
        }
    };
    if all {
        Some(Value::Array(
            re.captures_iter(text)
                .take(1024)
                .map(|c| Node::new(one(c), None))
                .collect(),
        ))
    } else {
        re.captures(text).map(one)
    }
}

/// IPv4 address arithmetic for `cidrsubnet`, `cidrhost` and `cidrnetmask`
/// (IPv6 prefixes are left unknown).
mod cidr {
    use std::net::Ipv4Addr;

    fn parse(prefix: &str) -> Option<(u32, u32)> {
        let (addr, len) = prefix.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        let len: u32 = len.parse().ok()?;
        (len <= 32).then_some((u32::from(addr), len))
    }

    fn mask(len: u32) -> u32 {
        if len == 0 { 0 } else { u32::MAX << (32 - len) }
    }

    pub fn subnet(prefix: &str, bits: f64, num: f64) -> Option<String> {
        let (addr, len) = parse(prefix)?;
        if bits < 0.0 || num < 0.0 || bits.fract() != 0.0 || num.fract() != 0.0 || bits > 32.0 {
            return None;
        }
        let (bits, num) = (bits as u32, num as u64);
        let new_len = len + bits;
        if new_len > 32 || num >= 1u64 << bits {
            return None;
        }
        let network = u64::from(addr & mask(len));
        let subnet = network + (num << (32 - new_len));
        Some(format!("{}/{new_len}", Ipv4Addr::from(subnet as u32)))
    }

    pub fn host(prefix: &str, num: f64) -> Option<String> {
        let (addr, len) = parse(prefix)?;
        let size = if len == 0 {
            u64::from(u32::MAX) + 1
        } else {
            1u64 << (32 - len)
        };
        if num.fract() != 0.0 || num.abs() >= size as f64 {
            return None;
        }
        let network = u64::from(addr & mask(len));
        let host = if num < 0.0 {
            size - (-num) as u64
        } else {
            num as u64
        };
        Some(Ipv4Addr::from((network + host) as u32).to_string())
    }

    /// `cidrsubnets(prefix, newbits...)`: consecutive subnets, each aligned
    /// to its own size, as Terraform allocates them.
    pub fn subnets(prefix: &str, bits: &[f64]) -> Option<Vec<String>> {
        let (addr, len) = parse(prefix)?;
        let network = u64::from(addr & mask(len));
        let end = network + (1u64 << (32 - len));
        let mut next = network;
        let mut out = Vec::new();
        for b in bits {
            if *b < 1.0 || b.fract() != 0.0 || f64::from(len) + b > 32.0 {
                return None;
            }
            let new_len = len + *b as u32;
            let size = 1u64 << (32 - new_len);
            let start = next.div_ceil(size) * size;
            if start + size > end {
                return None;
            }
            out.push(format!("{}/{new_len}", Ipv4Addr::from(start as u32)));
            next = start + size;
        }
        Some(out)
    }

    pub fn netmask(prefix: &str) -> Option<String> {
        let (_, len) = parse(prefix)?;
        Some(Ipv4Addr::from(mask(len)).to_string())
    }
}

/// `range(end)`, `range(start, end)`, `range(start, end, step)`, at most
/// 1,024 elements (Terraform's own cap).
fn range(args: &[Value]) -> Value {
    let numbers: Option<Vec<f64>> = args
        .iter()
        .map(|a| match a {
            Value::Number(n) => Some(*n),
            _ => None,
        })
        .collect();
    let (start, end, step) = match numbers.as_deref() {
        Some([end]) => (0.0, *end, 1.0),
        Some([start, end]) => (*start, *end, if start <= end { 1.0 } else { -1.0 }),
        Some([start, end, step]) => (*start, *end, *step),
        _ => return Value::Unknown,
    };
    if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
        return Value::Unknown;
    }
    let mut out = Vec::new();
    let mut n = start;
    while (step > 0.0 && n < end) || (step < 0.0 && n > end) {
        if out.len() >= 1024 {
            return Value::Unknown;
        }
        out.push(Node::new(Value::Number(n), None));
        n += step;
    }
    Value::Array(out)
}

/// `formatlist(spec, …)`: `format` over the elements of the list arguments
/// (all of one length; other arguments repeat).
fn formatlist(pattern: &str, args: &[Value]) -> Value {
    let lengths: Vec<usize> = args
        .iter()
        .filter_map(|a| match a {
            Value::Array(items) => Some(items.len()),
            _ => None,
        })
        .collect();
    let Some(&n) = lengths.first() else {
        return Value::Unknown;
    };
    if lengths.iter().any(|l| *l != n) {
        return Value::Unknown;
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = args
            .iter()
            .map(|a| match a {
                Value::Array(items) => items[i].value.clone(),
                other => other.clone(),
            })
            .collect();
        match format(pattern, &row) {
            Value::String(s) => out.push(Node::string(s, None)),
            _ => return Value::Unknown,
        }
    }
    Value::Array(out)
}

/// `format("%s-%d", …)` with the plain verbs; anything fancier is unknown.
fn format(pattern: &str, args: &[Value]) -> Value {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => match args.next().and_then(text) {
                Some(t) => out.push_str(&t),
                None => return Value::Unknown,
            },
            _ => return Value::Unknown,
        }
    }
    Value::String(out)
}

/// `replace` treats `/…/` as a regular expression, which plinth does not evaluate.
fn is_regex(pattern: &str) -> bool {
    pattern.len() > 1 && pattern.starts_with('/') && pattern.ends_with('/')
}
