//! Evaluating one Terraform expression in a module: literals, operators,
//! conditionals, string templates with `%{if}`/`%{for}`, `for` expressions,
//! splats, and references to variables, locals, outputs, `count`/`each`,
//! module outputs and resources and their instances. A reference's `.id`
//! becomes an id that names the resource exactly (its address), so the
//! linker connects it even when the name is unknown. Each value built counts
//! against the unit's work budget.
//!
//! What the module declares and its instances are in `eval.rs`; the
//! built-in functions a call evaluates are in `functions.rs`.

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Strip, Template};

use crate::limits::VALUE_BYTES;
use crate::model::{Key, Node, Object, TextRules, Value};
use crate::source::{FileId, Span};
use crate::terraform::eval::{Instance, InstanceKey, MAX_DEPTH, Module, span_of};
use crate::terraform::functions::function;

impl<'b> Module<'b> {
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
            Expression::String(s) => Value::String(s.value().as_str().into()),
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
                        ObjectKey::Ident(ident) => Key::from(ident.value().as_str()),
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
                        self.read(path, at).map_or(Value::Unknown, Value::string)
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
    pub(super) fn pairs(&self, collection: Value) -> Option<Vec<(Value, Value)>> {
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
        // A set of blocks in an order plinth cannot know: what comes out
        // must not depend on it (an object, or a list of at most one).
        let set = self.set_collection(&e.intro.collection_expr, file, depth);
        let unordered = set.is_some();
        let collection = set.unwrap_or_else(|| eval(&e.intro.collection_expr));
        let Some(pairs) = self.pairs(collection) else {
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
        } else if unordered && items.len() > 1 {
            Value::Unknown
        } else {
            Value::Array(items)
        }
    }

    /// The elements of a set of nested blocks written as the collection of
    /// a `for`: `azurerm_virtual_network.x.subnet` (or of one instance,
    /// `azurerm_virtual_network.x["k"].subnet`).
    fn set_collection(&self, expr: &Expression, file: FileId, depth: usize) -> Option<Value> {
        let Expression::Traversal(t) = expr else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        let kind = root.value().as_str();
        if !kind.contains('_') {
            return None;
        }
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (name, suffix, block) = match ops.as_slice() {
            [
                TraversalOperator::GetAttr(name),
                TraversalOperator::GetAttr(block),
            ] => (name, String::new(), block),
            [
                TraversalOperator::GetAttr(name),
                TraversalOperator::Index(index),
                TraversalOperator::GetAttr(block),
            ] => {
                let suffix = match self.eval_at(index, file, depth + 1) {
                    Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                        InstanceKey::Index(n as usize).suffix()
                    }
                    Value::String(k) => InstanceKey::Key(k.into_string()).suffix(),
                    _ => return None,
                };
                (name, suffix, block)
            }
            _ => return None,
        };
        let key = format!("{}{kind}.{}{suffix}", self.prefix, name.value().as_str());
        let decl = self.decl(&key)?;
        let block = block.value().as_str();
        crate::terraform::eval::set_block(decl, block)?;
        Some(self.set_elements(decl, block))
    }

    /// A string template. Whitespace stripping (`~`) is not modelled: a
    /// template that uses it is unknown.
    pub(super) fn template(&self, template: &Template, file: FileId, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let mut parts = Vec::new();
        for element in template.iter() {
            match element {
                Element::Literal(s) => parts.push(Value::String(s.value().as_str().into())),
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
                        None => Value::String(String::new().into()),
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

    #[allow(clippy::too_many_lines)] // one arm per reference root (count, each, var, local, …)
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
                    ) => self.apply(Value::String(k.into()), &operators[1..], file, depth),
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
                // A type with optional attributes fills in what the value
                // lacks, whichever source it came from.
                if let Some((ty, type_file)) = self.variable_types.get(&name) {
                    let (ty, type_file) = (*ty, *type_file);
                    let value = self.memo(format!("var.{name}"), || {
                        let given = self.supplied.get(&name).or(self.file_values.get(&name));
                        let value = match (given, self.variables.get(&name)) {
                            (Some(value), _) => value.clone(),
                            (None, Some((Some(e), f))) => {
                                let (e, f) = (*e, *f);
                                self.in_context(None, || self.eval_at(e, f, depth + 1))
                            }
                            (None, _) => Value::Unknown,
                        };
                        self.with_optional_defaults(value, ty, type_file, depth + 1)
                    });
                    return self.apply(value, &operators[1..], file, depth);
                }
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
                            Value::String(k) => InstanceKey::Key(k.into_string()).suffix(),
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
                    Some(TraversalOperator::GetAttr(output)) => Some(output.value().as_str()),
                    _ => None,
                };
                match (self.children.get(&key), output) {
                    (Some(child), Some(output)) => {
                        self.apply(child.output(output), &rest[1..], file, depth)
                    }
                    // `module.m` or `module.m["k"]` as a whole: its outputs.
                    (Some(child), None) => self.apply(child.outputs_object(), rest, file, depth),
                    // `module.m` of a module with instances: all of them
                    // (`values(module.m)[*].id`, `for k, m in module.m`).
                    (None, None) if rest.len() == operators.len() - 1 => {
                        self.apply(self.module_instances(&key), rest, file, depth)
                    }
                    _ => Value::Unknown,
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
                        Value::String(dir.to_string_lossy().into_owned().into()),
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
                        Value::String(k) => InstanceKey::Key(k.into_string()).suffix(),
                        _ => return Value::Unknown,
                    }
                }
                Some(TraversalOperator::LegacyIndex(i)) => format!("[{}]", i.value()),
                // `azurerm_x.y.attr` of a block with instances: Terraform
                // refuses it.
                Some(TraversalOperator::GetAttr(_)) => return Value::Unknown,
                // The collection of instances: `for_each = azurerm_x.y`,
                // `values(azurerm_x.y)[*].id`, `azurerm_x.y[*].id`.
                _ => return self.apply(self.instances(key), operators, file, depth),
            };
            let Some(decl) = self.decl(&format!("{key}{suffix}")) else {
                return Value::Unknown;
            };
            return match operators.get(1).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(attr)) => {
                    let value = self.reference(decl, attr.value().as_str());
                    self.apply(value, &operators[2..], file, depth)
                }
                _ => self.apply(self.instance_object(decl), &operators[1..], file, depth),
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
            // `azurerm_x.y` as a whole object, when it has no instances.
            _ if rest.len() == operators.len()
                && decl.attribute("count").is_none()
                && decl.attribute("for_each").is_none() =>
            {
                self.apply(self.instance_object(decl), rest, file, depth)
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

/// How Terraform writes values as text (`true`) and joins template pieces:
/// empty pieces are dropped, and an id followed by `/type/name` stays an id.
const TERRAFORM_TEXT: TextRules = TextRules {
    bools: ("true", "false"),
    known_ids_as_text: false,
    skip_empty: true,
};

pub(super) fn text(v: &Value) -> Option<String> {
    TERRAFORM_TEXT.text(v)
}

/// Joins template pieces (see [`TERRAFORM_TEXT`]).
fn join(parts: Vec<Value>) -> Value {
    TERRAFORM_TEXT.join(parts)
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

#[cfg(test)]
mod tests {
    use crate::model::{Part, Value};
    use crate::terraform::testing::{load, resource, value};

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
}
