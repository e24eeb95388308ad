//! The evaluator's state over one module: what the module declares
//! (variables with their defaults, locals, outputs, `resource` and `data`
//! blocks), `count` and `for_each` instances (`count.index`, `each.key`,
//! `each.value`), `dynamic` blocks, and what the azurerm mapping asks of a
//! declaration: its attributes, nested blocks, id, names and resource group.
//! Whatever Terraform would only know at apply time is `Unknown`.
//!
//! Evaluating an expression (references, `for`, templates, operators) is in
//! `expr.rs`; the built-in functions are in `functions.rs`;
//! reading the module's files is in `load.rs`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block};

use crate::limits::Guard;
use crate::model::{ArmId, Memo, Node, Object, Part, Value};
use crate::source::{FileId, Span};
use crate::terraform::azurerm;

/// How many rounds of `count` and `for_each` expansion a module gets: a
/// block whose instances depend on another's instances waits one round.
const EXPANSION_PASSES: usize = 4;

/// References and locals never nest deeper than this.
pub(super) const MAX_DEPTH: usize = 64;

/// Nested blocks that Terraform exposes as a set-typed attribute of their
/// resource and that plinth declares as child resources of that type
/// (their key: `azurerm_virtual_network.x/subnet[0]`).
const SET_BLOCKS: &[(&str, &str, &str)] = &[(
    "azurerm_virtual_network",
    "subnet",
    "Microsoft.Network/virtualNetworks/subnets",
)];

/// Arguments of a `resource` block that are Terraform's, not the resource's.
const META_ARGUMENTS: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];

/// The child type of `decl`'s set of `block`s, when it is one of
/// [`SET_BLOCKS`] and not an attribute of the same name.
pub(super) fn set_block(decl: &Decl, block: &str) -> Option<&'static str> {
    if !decl.managed || decl.attribute(block).is_some() {
        return None;
    }
    SET_BLOCKS
        .iter()
        .find(|(kind, b, _)| *kind == decl.kind && *b == block)
        .map(|(_, _, rtype)| *rtype)
}

/// Instances by index (a list) or by key (an object in lexical key order,
/// as Terraform orders a map); unknown when mixed or with gaps.
fn instance_collection(mut indexed: Vec<(usize, Value)>, mut keyed: Vec<(String, Value)>) -> Value {
    match (indexed.is_empty(), keyed.is_empty()) {
        (false, true) => {
            indexed.sort_by_key(|(i, _)| *i);
            if indexed.iter().enumerate().any(|(n, (i, _))| n != *i) {
                return Value::Unknown;
            }
            Value::Array(
                indexed
                    .into_iter()
                    .map(|(_, v)| Node::new(v, None))
                    .collect(),
            )
        }
        (true, false) => {
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            let mut object = Object::new();
            for (k, v) in keyed {
                object.insert(k, Node::new(v, None));
            }
            Value::Object(object)
        }
        // None at all: a list or an object, plinth cannot tell which.
        _ => Value::Unknown,
    }
}

/// Where a reference starts: a resource (with the index after its address,
/// if any), or `each.value`.
enum Root {
    Resource(String, Option<Expression>),
    Each,
}

/// The references of an expression or body, by where they start.
struct Roots(Vec<Root>);

impl hcl_edit::visit::Visit for Roots {
    fn visit_traversal(&mut self, node: &hcl_edit::expr::Traversal) {
        use hcl_edit::expr::TraversalOperator;
        if let Some(key) = azurerm::traversal_resource(node) {
            let at = if key.starts_with("data.") { 2 } else { 1 };
            let index = match node.operators.get(at).map(|o| o.value()) {
                Some(TraversalOperator::Index(index)) => Some(index.clone()),
                Some(TraversalOperator::LegacyIndex(i)) => {
                    Some(Expression::from(*i.value() as f64))
                }
                _ => None,
            };
            self.0.push(Root::Resource(key, index));
        } else if let Expression::Variable(root) = &node.expr
            && root.value().as_str() == "each"
            && matches!(
                node.operators.first().map(|o| o.value()),
                Some(TraversalOperator::GetAttr(name)) if name.value().as_str() == "value"
            )
        {
            self.0.push(Root::Each);
        }
        hcl_edit::visit::visit_traversal(self, node);
    }
}

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
    /// The type constraints that declare `optional(…)` attributes, whose
    /// defaults fill in the values the variables receive.
    pub variable_types: HashMap<String, (&'b Expression, FileId)>,
    pub locals: HashMap<String, (&'b Expression, FileId)>,
    pub outputs: HashMap<String, (&'b Expression, FileId)>,
    pub decls: Vec<Decl<'b>>,
}

/// Everything declared in one module (one call of it), and the evaluator over it.
pub struct Module<'b> {
    pub variables: HashMap<String, (Option<&'b Expression>, FileId)>,
    pub variable_types: HashMap<String, (&'b Expression, FileId)>,
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
    /// The lowest azurerm `(major, minor)` the configuration may use.
    pub azurerm_lowest: Option<(u64, u64)>,
    /// This module's folder (`path.module`) and the root module's, where
    /// Terraform runs (`path.root`; relative `file()` paths start there).
    pub dir: Option<std::path::PathBuf>,
    pub root_dir: Option<std::path::PathBuf>,
    /// Which files `file()` and `templatefile()` may read, and how much.
    pub confinement: crate::paths::SharedConfinement,
    by_key: HashMap<String, usize>,
    /// Addresses of blocks expanded into instances (`azurerm_subnet.pe`).
    pub(super) expanded: HashSet<String>,
    memo: Memo,
    /// The instance whose attributes are being evaluated.
    pub(super) current: RefCell<Option<Instance>>,
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
            variable_types,
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
            variable_types,
            locals,
            outputs,
            decls,
            prefix,
            supplied,
            file_values: HashMap::new(),
            children: HashMap::new(),
            azurerm_major: None,
            azurerm_lowest: None,
            dir: None,
            root_dir: None,
            confinement: std::sync::Arc::new(crate::paths::Confinement::unconfined(0)),
            by_key,
            expanded: HashSet::new(),
            memo: Memo::default(),
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
                        key: InstanceKey::Key(s.to_string()),
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
        let mut over = Vec::new();
        // A `for_each` over another block's instances (`for_each =
        // azurerm_private_dns_zone.zones`) is known once that block is
        // expanded: a few passes, each over what the last left whole.
        let mut settled: HashSet<String> = HashSet::new();
        for _ in 0..EXPANSION_PASSES {
            let plans: Vec<Expansion> = self
                .decls
                .iter()
                .map(|d| {
                    if settled.contains(&d.key) {
                        Expansion::Whole
                    } else {
                        self.expansion(d, max)
                    }
                })
                .collect();
            let mut changed = false;
            let mut decls = Vec::with_capacity(self.decls.len());
            for (decl, plan) in self.decls.iter().zip(plans) {
                match plan {
                    Expansion::Whole => decls.push(decl.clone()),
                    Expansion::OverLimit(span, limit) => {
                        over.push((span, limit));
                        settled.insert(decl.key.clone());
                        decls.push(decl.clone());
                    }
                    Expansion::Instances(instances) => {
                        settled.insert(decl.key.clone());
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
                        changed = true;
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
            self.memo.clear();
            if !changed {
                break;
            }
        }
        over
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
        self.memo.clear();
    }

    /// The value of `output "name"`.
    pub(super) fn output(&self, name: &str) -> Value {
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

    pub(super) fn in_context<T>(&self, instance: Option<Instance>, f: impl FnOnce() -> T) -> T {
        let saved = self.current.replace(instance);
        let saved_bound = std::mem::take(&mut *self.bound.borrow_mut());
        let out = f();
        *self.bound.borrow_mut() = saved_bound;
        self.current.replace(saved);
        out
    }

    /// The value bound to `name` by an enclosing `for`, innermost first.
    pub(super) fn bound(&self, name: &str) -> Option<Value> {
        self.bound
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// Evaluates `f` with `bindings` added to the `for` variables.
    pub(super) fn binding<T>(&self, bindings: Vec<(String, Value)>, f: impl FnOnce() -> T) -> T {
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
        use hcl_edit::visit::Visit;
        let mut roots = Roots(Vec::new());
        roots.visit_body(&block.body);
        self.ids_of_roots(roots.0)
    }

    /// The resources an expression refers to, as ids: `azurerm_x.y.…`,
    /// `azurerm_x.y[k].…` (one instance), `data.azurerm_x.y.…`, and
    /// `each.value.…` when `each.value` is an instance with an id (a
    /// `for_each` over a block's instances). Evaluated as the current
    /// declaration (inside [`Module::within`]).
    pub fn ids_in(&self, expr: &Expression, file: FileId) -> Vec<ArmId> {
        use hcl_edit::visit::Visit;
        let mut roots = Roots(Vec::new());
        roots.visit_expr(expr);
        let mut out = Vec::new();
        for root in roots.0 {
            let id = match root {
                Root::Each => match self.current.borrow().as_ref().map(|i| &i.value) {
                    Some(Value::Object(o)) => match o.get("id").map(|n| &n.value) {
                        Some(Value::Id(id)) => Some((**id).clone()),
                        _ => None,
                    },
                    _ => None,
                },
                Root::Resource(key, index) => {
                    let key = format!("{}{key}", self.prefix);
                    let instance = match (self.expanded.contains(&key), index) {
                        (true, Some(index)) => match self.eval(&index, file) {
                            Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                                Some(format!("{key}{}", InstanceKey::Index(n as usize).suffix()))
                            }
                            Value::String(k) => Some(format!(
                                "{key}{}",
                                InstanceKey::Key(k.into_string()).suffix()
                            )),
                            _ => None,
                        },
                        (true, None) => None,
                        (false, _) => Some(key),
                    };
                    instance
                        .and_then(|k| self.decl(&k))
                        .and_then(|decl| self.id_of(decl))
                }
            };
            if let Some(id) = id
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
        out
    }

    fn ids_of_roots(&self, roots: Vec<Root>) -> Vec<ArmId> {
        let mut out: Vec<ArmId> = Vec::new();
        for root in roots {
            let Root::Resource(key, _) = root else {
                continue;
            };
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

    pub(super) fn memo(&self, key: String, compute: impl FnOnce() -> Value) -> Value {
        self.memo.get_or(key, MAX_DEPTH, || {
            // A value nested past the evaluation depth (locals wrapping each
            // other one at a time) is unknown, as ARM's are.
            let value = compute();
            if value.nested_deeper(crate::limits::Limits::default().max_evaluation_depth) {
                Value::Unknown
            } else {
                value
            }
        })
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
        self.nested_all(parent, file, ident).0
    }

    /// [`Module::nested`], and whether that is all of them: false when a
    /// `dynamic` block's `for_each` (or its `content`) is not known.
    pub fn nested_all(
        &self,
        parent: &Nested<'b>,
        file: FileId,
        ident: &str,
    ) -> (Vec<Nested<'b>>, bool) {
        let mut complete = true;
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
                complete = false;
                continue;
            };
            let iterator = match block.body.get_attribute("iterator").map(|a| &a.value) {
                Some(Expression::Variable(v)) => v.value().as_str().to_string(),
                _ => ident.to_string(),
            };
            let Some(for_each) = block.body.get_attribute("for_each") else {
                complete = false;
                continue;
            };
            let collection =
                self.binding(parent.bound.clone(), || self.eval(&for_each.value, file));
            let Some(pairs) = self.pairs(collection) else {
                complete = false;
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
        (out, complete)
    }

    /// The value of `decl.attr`, for references from elsewhere.
    pub fn reference(&self, decl: &Decl, attr: &str) -> Value {
        self.memo(format!("{}.{attr}", decl.key), || match attr {
            "id" => self.id_of(decl).map_or(Value::Unknown, Value::id),
            // A set of blocks is in an order plinth cannot know: only one
            // element can be picked out of it without knowing the order.
            _ if set_block(decl, attr).is_some() => match self.set_elements(decl, attr) {
                Value::Array(items) if items.len() == 1 => Value::Array(items),
                _ => Value::Unknown,
            },
            _ => self
                .attribute(decl, attr)
                .map_or(Value::Unknown, |node| node.value),
        })
    }

    /// The elements of a set of nested blocks that plinth declares as child
    /// resources (a VNet's inline `subnet {}` blocks, `dynamic` ones too):
    /// one object per block with its attributes and the child's `id`, in
    /// source order (not the set's). Unknown when a `dynamic` block's
    /// elements are not known, and when there is no block at all (the
    /// provider then reads the set back from what exists).
    pub(super) fn set_elements(&self, decl: &Decl, block: &str) -> Value {
        let Some(rtype) = set_block(decl, block) else {
            return Value::Unknown;
        };
        self.memo(format!("{}.{block}#set", decl.key), || {
            let (blocks, complete) = self.within(decl, || {
                self.nested_all(&Nested::top(decl.block), decl.file, block)
            });
            if !complete || blocks.is_empty() {
                return Value::Unknown;
            }
            let parent_name = self.names(decl).first().cloned().unwrap_or(Part::Unknown);
            let resource_group = self.resource_group(decl);
            let items = blocks
                .iter()
                .enumerate()
                .map(|(i, nested)| {
                    let mut item = Object::new();
                    for attribute in nested.block.body.attributes() {
                        let key = attribute.key.value().as_str();
                        if let Some(node) =
                            self.within(decl, || self.block_attribute(nested, decl.file, key))
                        {
                            item.insert(key, node);
                        }
                    }
                    let name = match item.get("name").map(|n| &n.value) {
                        Some(Value::String(s)) => Part::Known(s.to_string()),
                        _ => Part::Unknown,
                    };
                    let id = ArmId {
                        subscription: Part::Unknown,
                        resource_group: resource_group.clone(),
                        rtype: rtype.to_string(),
                        names: vec![parent_name.clone(), name],
                        local: Some(format!("{}/{block}[{i}]", decl.key)),
                    };
                    item.insert("id", Node::new(Value::id(id), None));
                    Node::object(item, span_of(decl.file, nested.block.span()))
                })
                .collect();
            Value::Array(items)
        })
    }

    /// A declaration (one instance) as an object, as `azurerm_x.y` (or
    /// `azurerm_x.y["k"]`) without an attribute reads it: its `id` and the
    /// attributes written in it. Attributes only known after apply are
    /// absent, which reads as unknown.
    pub(super) fn instance_object(&self, decl: &Decl) -> Value {
        self.memo(format!("{}#object", decl.key), || {
            let mut object = Object::new();
            if let Some(id) = self.id_of(decl) {
                object.insert("id", Node::new(Value::id(id), None));
            }
            for attribute in decl.block.body.attributes() {
                let key = attribute.key.value().as_str();
                if META_ARGUMENTS.contains(&key) || key == "id" {
                    continue;
                }
                let value = self.reference(decl, key);
                object.insert(key, Node::new(value, span_of(decl.file, attribute.span())));
            }
            for (kind, block, _) in SET_BLOCKS {
                if decl.managed && decl.kind == *kind {
                    let value = self.reference(decl, block);
                    if !matches!(value, Value::Unknown) {
                        object.insert(*block, Node::new(value, None));
                    }
                }
            }
            Value::Object(object)
        })
    }

    /// The instances of a block expanded by `count` (a list, by index) or
    /// `for_each` (an object, by key, in Terraform's lexical key order), as
    /// `azurerm_x.y` without an index reads them.
    pub(super) fn instances(&self, key: &str) -> Value {
        self.memo(format!("{key}#instances"), || {
            let mut indexed = Vec::new();
            let mut keyed = Vec::new();
            for decl in &self.decls {
                let Some(instance) = &decl.instance else {
                    continue;
                };
                if decl.key != format!("{key}{}", instance.key.suffix()) {
                    continue;
                }
                match &instance.key {
                    InstanceKey::Index(i) => indexed.push((*i, self.instance_object(decl))),
                    InstanceKey::Key(k) => keyed.push((k.clone(), self.instance_object(decl))),
                }
            }
            instance_collection(indexed, keyed)
        })
    }

    /// `module.NAME` of a module called with `count` or `for_each`: its
    /// instances' outputs (as [`Module::instances`]); unknown when plinth
    /// built none (a module it does not read, instances not known).
    pub(super) fn module_instances(&self, name: &str) -> Value {
        let mut indexed = Vec::new();
        let mut keyed = Vec::new();
        for (key, child) in &self.children {
            let Some(suffix) = key.strip_prefix(name).filter(|s| s.starts_with('[')) else {
                continue;
            };
            let inner = &suffix[1..suffix.len().saturating_sub(1)];
            if let Ok(i) = inner.parse::<usize>() {
                indexed.push((i, child.outputs_object()));
            } else if let Ok(k) = serde_json::from_str::<String>(inner) {
                keyed.push((k, child.outputs_object()));
            } else {
                return Value::Unknown;
            }
        }
        if indexed.is_empty() && keyed.is_empty() {
            return Value::Unknown;
        }
        instance_collection(indexed, keyed)
    }

    /// Every output of this module, as `module.NAME` without an output reads
    /// them.
    pub(super) fn outputs_object(&self) -> Value {
        let mut names: Vec<&String> = self.outputs.keys().collect();
        names.sort();
        let mut object = Object::new();
        for name in names {
            object.insert(name.clone(), Node::new(self.output(name), None));
        }
        Value::Object(object)
    }

    /// An `azapi_resource`'s ARM type and API version, from `type = "T@v"`.
    pub fn azapi_type(&self, decl: &Decl) -> Option<(String, Option<String>)> {
        if decl.kind != "azapi_resource" {
            return None;
        }
        match self.reference(decl, "type") {
            Value::String(t) => Some(match t.split_once('@') {
                Some((rtype, version)) => (rtype.to_string(), Some(version.to_string())),
                None => (t.into_string(), None),
            }),
            _ => None,
        }
    }

    /// An `azapi_resource`'s `parent_id` as an id: a reference, or a written
    /// id (a resource group's too).
    fn azapi_parent(&self, decl: &Decl) -> Option<ArmId> {
        match self.reference(decl, "parent_id") {
            Value::Id(id) => Some(std::sync::Arc::unwrap_or_clone(id)),
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
            Value::String(s) => Part::Known(s.into_string()),
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
                return std::sync::Arc::unwrap_or_clone(id).resource_group;
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
}

#[cfg(test)]
mod tests {
    use crate::model::{Part, Value};
    use crate::terraform::testing::{load, resource, value};

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
    fn dynamic_blocks_expand_with_their_iterator() {
        let loaded = load(
            r#"
locals {
  subnets = { pe = "10.0.1.0/24", app = "10.0.2.0/24" }
}
variable "unknown" {}
resource "azurerm_virtual_network" "v" {
  name = "vnet"
  dynamic "subnet" {
    for_each = local.subnets
    content {
      name           = "snet-${subnet.key}"
      address_prefix = subnet.value
    }
  }
  dynamic "subnet" {
    for_each = var.unknown
    content {
      name = subnet.key
    }
  }
}
resource "azurerm_subnet" "s" {
  name                 = "snet-db"
  virtual_network_name = "vnet"
  dynamic "delegation" {
    for_each = ["Microsoft.DBforPostgreSQL/flexibleServers"]
    iterator = service
    content {
      name = "delegation-${service.key}"
      service_delegation {
        name = service.value
      }
    }
  }
}
"#,
        );
        let names: Vec<Vec<Part>> = loaded.units[0]
            .resources
            .iter()
            .filter(|r| r.key.starts_with("azurerm_virtual_network.v/"))
            .map(|r| r.names.clone())
            .collect();
        assert_eq!(
            names,
            vec![
                vec![Part::from("vnet"), Part::from("snet-pe")],
                vec![Part::from("vnet"), Part::from("snet-app")],
            ]
        );
        let subnet = resource(&loaded, "azurerm_subnet.s");
        let delegation = subnet
            .get_path("properties.delegations")
            .and_then(|d| match &d.value {
                Value::Array(items) => items.first().cloned(),
                _ => None,
            })
            .expect("one delegation");
        assert_eq!(
            delegation.get("name").map(|n| &n.value),
            Some(&Value::String("delegation-0".into()))
        );
        assert_eq!(
            delegation
                .get_path("properties.serviceName")
                .map(|n| &n.value),
            Some(&Value::String(
                "Microsoft.DBforPostgreSQL/flexibleServers".into()
            ))
        );
    }

    #[test]
    fn azapi_resources_carry_their_type_parent_and_body() {
        let loaded = load(
            r#"
variable "unknown" {}
resource "azapi_resource" "zone" {
  type      = "Microsoft.Network/privateDnsZones@2024-06-01"
  name      = "privatelink.postgres.database.azure.com"
  parent_id = "/subscriptions/s/resourceGroups/rg-dns"
}
resource "azapi_resource" "link" {
  type      = "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01"
  name      = "hub"
  parent_id = azapi_resource.zone.id
  body = jsonencode({ properties = { registrationEnabled = true } })
}
resource "azapi_resource" "opaque" {
  type      = "Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01"
  name      = "spoke"
  parent_id = var.unknown
  body      = var.unknown
}
"#,
        );
        let zone = resource(&loaded, "azapi_resource.zone");
        assert_eq!(zone.rtype, "Microsoft.Network/privateDnsZones");
        assert_eq!(zone.api_version.as_deref(), Some("2024-06-01"));
        assert_eq!(zone.resource_group, Part::from("rg-dns"));
        let link = resource(&loaded, "azapi_resource.link");
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.postgres.database.azure.com"),
                Part::from("hub")
            ]
        );
        assert_eq!(link.resource_group, Part::from("rg-dns"));
        assert_eq!(
            value(link, "properties.registrationEnabled"),
            Some(&Value::Bool(true))
        );
        let opaque = resource(&loaded, "azapi_resource.opaque");
        assert_eq!(opaque.names, vec![Part::Unknown, Part::from("spoke")]);
        assert_eq!(value(opaque, "properties"), Some(&Value::Unknown));
    }

    /// The `local` key of the id at `path` of `r` (a number picks a list
    /// element), `None` when it is no id.
    fn local_of(r: &crate::model::Resource, path: &str) -> Option<String> {
        let mut at = &r.body.value;
        for step in path.split('.') {
            at = match (at, step.parse::<usize>()) {
                (Value::Array(items), Ok(i)) => &items.get(i)?.value,
                (Value::Object(o), _) => &o.get(step)?.value,
                _ => return None,
            };
        }
        match at {
            Value::Id(id) => id.local.clone(),
            _ => None,
        }
    }

    #[test]
    fn inline_subnets_read_back_as_ids_only_where_the_set_order_does_not_matter() {
        let loaded = load(
            r#"
variable "unknown" {}
resource "azurerm_virtual_network" "two" {
  name = "vnet"
  subnet {
    name = "snet-app"
  }
  subnet {
    name = "snet-db"
  }
}
resource "azurerm_virtual_network" "one" {
  name = "vnet-one"
  dynamic "subnet" {
    for_each = toset(["snet-pe"])
    content {
      name = subnet.key
    }
  }
}
resource "azurerm_virtual_network" "unknown" {
  name = "vnet-unknown"
  subnet {
    name = "snet-db"
  }
  dynamic "subnet" {
    for_each = var.unknown
    content {
      name = subnet.key
    }
  }
}
resource "azurerm_virtual_network" "none" {
  name = "vnet-none"
}
resource "azurerm_private_endpoint" "by_name" {
  subnet_id = one([for s in azurerm_virtual_network.two.subnet : s.id if s.name == "snet-db"])
}
resource "azurerm_private_endpoint" "by_position" {
  subnet_id = azurerm_virtual_network.two.subnet.*.id[0]
}
resource "azurerm_private_endpoint" "listed" {
  subnet_id = [for s in azurerm_virtual_network.two.subnet : s.id][1]
}
resource "azurerm_private_endpoint" "keyed" {
  subnet_id = { for s in azurerm_virtual_network.two.subnet : s.name => s.id }["snet-app"]
}
resource "azurerm_private_endpoint" "single" {
  subnet_id = azurerm_virtual_network.one.subnet.*.id[0]
}
resource "azurerm_private_endpoint" "incomplete" {
  subnet_id = one([for s in azurerm_virtual_network.unknown.subnet : s.id if s.name == "snet-db"])
}
resource "azurerm_private_endpoint" "no_blocks" {
  subnet_id = one([for s in azurerm_virtual_network.none.subnet : s.id if s.name == "snet-db"])
}
"#,
        );
        let local = |key: &str| local_of(resource(&loaded, key), "properties.subnet.id");
        assert_eq!(
            local("azurerm_private_endpoint.by_name").as_deref(),
            Some("azurerm_virtual_network.two/subnet[1]")
        );
        assert_eq!(
            local("azurerm_private_endpoint.keyed").as_deref(),
            Some("azurerm_virtual_network.two/subnet[0]")
        );
        assert_eq!(
            local("azurerm_private_endpoint.single").as_deref(),
            Some("azurerm_virtual_network.one/subnet[0]")
        );
        for key in [
            "azurerm_private_endpoint.by_position",
            "azurerm_private_endpoint.listed",
            "azurerm_private_endpoint.incomplete",
            "azurerm_private_endpoint.no_blocks",
        ] {
            assert_eq!(
                value(resource(&loaded, key), "properties.subnet.id"),
                Some(&Value::Unknown),
                "{key}"
            );
        }
        // The id names the subnet resource the VNet's block declares.
        let subnet = resource(&loaded, "azurerm_virtual_network.two/subnet[1]");
        assert_eq!(
            subnet.names,
            vec![Part::from("vnet"), Part::from("snet-db")]
        );
    }

    #[test]
    fn a_block_s_instances_are_a_collection_and_for_each_can_iterate_them() {
        let loaded = load(
            r#"
resource "azurerm_private_dns_zone" "zones" {
  for_each = { pg = "privatelink.postgres.database.azure.com", kv = "privatelink.vaultcore.azure.net" }
  name     = each.value
}
resource "azurerm_private_dns_zone_virtual_network_link" "links" {
  for_each              = azurerm_private_dns_zone.zones
  name                  = "link-${each.key}"
  private_dns_zone_name = each.value.name
}
resource "azurerm_private_endpoint" "pe" {
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = values(azurerm_private_dns_zone.zones)[*].id
  }
}
"#,
        );
        let link = resource(
            &loaded,
            r#"azurerm_private_dns_zone_virtual_network_link.links["kv"]"#,
        );
        assert_eq!(
            link.names,
            vec![
                Part::from("privatelink.vaultcore.azure.net"),
                Part::from("link-kv")
            ]
        );
        // Lexical key order, as Terraform orders a map.
        let group = resource(
            &loaded,
            "azurerm_private_endpoint.pe/private_dns_zone_group",
        );
        let zone = |i: usize| {
            local_of(
                group,
                &format!("properties.privateDnsZoneConfigs.{i}.properties.privateDnsZoneId"),
            )
        };
        assert_eq!(
            zone(0).as_deref(),
            Some(r#"azurerm_private_dns_zone.zones["kv"]"#)
        );
        assert_eq!(
            zone(1).as_deref(),
            Some(r#"azurerm_private_dns_zone.zones["pg"]"#)
        );
    }

    #[test]
    fn counted_instances_are_a_list_unknown_ones_unknown_and_a_plain_block_an_object() {
        let loaded = load(
            r#"
variable "unknown" {}
resource "azurerm_private_dns_zone" "counted" {
  count = 2
  name  = "z${count.index}.example"
}
resource "azurerm_private_dns_zone" "maybe" {
  count = var.unknown
  name  = "maybe.example"
}
resource "azurerm_private_dns_zone" "plain" {
  name = "plain.example"
}
resource "azurerm_private_endpoint" "counted" {
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [for z in azurerm_private_dns_zone.counted : z.id if z.name == "z1.example"]
  }
}
resource "azurerm_private_endpoint" "maybe" {
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = azurerm_private_dns_zone.maybe[*].id
  }
}
resource "azurerm_resource_group" "rg" {
  name     = azurerm_private_dns_zone.plain.name
  location = length(azurerm_private_dns_zone.plain) > 0 ? "westeurope" : "x"
}
"#,
        );
        let counted = resource(
            &loaded,
            "azurerm_private_endpoint.counted/private_dns_zone_group",
        );
        assert_eq!(
            local_of(
                counted,
                "properties.privateDnsZoneConfigs.0.properties.privateDnsZoneId"
            )
            .as_deref(),
            Some("azurerm_private_dns_zone.counted[1]")
        );
        let maybe = resource(
            &loaded,
            "azurerm_private_endpoint.maybe/private_dns_zone_group",
        );
        assert_eq!(
            value(maybe, "properties.privateDnsZoneConfigs"),
            Some(&Value::Unknown)
        );
        let rg = resource(&loaded, "azurerm_resource_group.rg");
        assert_eq!(rg.names, vec![Part::from("plain.example")]);
        assert_eq!(
            value(rg, "location"),
            Some(&Value::String("westeurope".into()))
        );
    }
}
