//! Evaluating Terraform expressions over one module: variables (their
//! defaults), locals, string templates, a few pure functions, and references
//! to resources. A reference's `.id` becomes an id that names the resource
//! exactly (its address), so the linker connects it even when the name is
//! unknown. Whatever Terraform would only know at apply time is `Unknown`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::template::{Element, Template};

use crate::model::{ArmId, Node, Object, Part, Value};
use crate::source::{FileId, Span};
use crate::terraform::azurerm;

/// References and locals never nest deeper than this.
const MAX_DEPTH: usize = 64;

/// A `resource` or `data` block.
pub struct Decl<'b> {
    /// `azurerm_subnet.pe`, or `data.azurerm_subnet.pe`.
    pub key: String,
    pub kind: String,
    pub managed: bool,
    pub block: &'b Block,
    pub file: FileId,
}

impl Decl<'_> {
    pub fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.block.body.get_attribute(key)
    }
}

/// Everything declared in one module, and the evaluator over it.
pub struct Module<'b> {
    pub variables: HashMap<String, (Option<&'b Expression>, FileId)>,
    pub locals: HashMap<String, (&'b Expression, FileId)>,
    pub decls: Vec<Decl<'b>>,
    by_key: HashMap<String, usize>,
    cache: RefCell<HashMap<String, Value>>,
    busy: RefCell<HashSet<String>>,
}

pub fn span_of(file: FileId, range: Option<std::ops::Range<usize>>) -> Option<Span> {
    range.map(|r| Span::new(file, r.start, r.end))
}

impl<'b> Module<'b> {
    pub fn new(
        variables: HashMap<String, (Option<&'b Expression>, FileId)>,
        locals: HashMap<String, (&'b Expression, FileId)>,
        decls: Vec<Decl<'b>>,
    ) -> Module<'b> {
        let by_key = decls
            .iter()
            .enumerate()
            .map(|(i, d)| (d.key.clone(), i))
            .collect();
        Module {
            variables,
            locals,
            decls,
            by_key,
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
        }
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
        let value = compute();
        self.busy.borrow_mut().remove(&key);
        self.cache.borrow_mut().insert(key, value.clone());
        value
    }

    /// An attribute of a declaration, evaluated, with the attribute's span.
    pub fn attribute(&self, decl: &Decl, key: &str) -> Option<Node> {
        let attribute = decl.attribute(key)?;
        Some(Node::new(
            self.eval(&attribute.value, decl.file),
            span_of(decl.file, attribute.span()),
        ))
    }

    /// An attribute of a nested block, evaluated, with the attribute's span.
    pub fn block_attribute(&self, block: &Block, file: FileId, key: &str) -> Option<Node> {
        let attribute = block.body.get_attribute(key)?;
        Some(Node::new(
            self.eval(&attribute.value, file),
            span_of(file, attribute.span()),
        ))
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

    /// The ARM id of a declaration, with its address as the local key.
    pub fn id_of(&self, decl: &Decl) -> Option<ArmId> {
        let rtype = azurerm::arm_type(&decl.kind)?;
        Some(ArmId {
            subscription: Part::Unknown,
            resource_group: self.resource_group(decl),
            rtype: rtype.to_string(),
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
            "azurerm_subnet" => vec![self.part(decl, "virtual_network_name"), own],
            "azurerm_private_dns_zone_virtual_network_link" => {
                let zone = if decl.attribute("private_dns_zone_name").is_some() {
                    self.part(decl, "private_dns_zone_name")
                } else {
                    leaf_of("private_dns_zone_id")
                };
                vec![zone, own]
            }
            "azurerm_private_dns_a_record" | "azurerm_private_dns_cname_record" => {
                vec![self.part(decl, "zone_name"), own]
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

    fn eval_at(&self, expr: &Expression, file: FileId, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
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
            Expression::Variable(_) => Value::Unknown,
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
                function(call.name.name.value().as_str(), args)
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
            Expression::ForExpr(_) => Value::Unknown,
        }
    }

    fn template(&self, template: &Template, file: FileId, depth: usize) -> Value {
        let mut parts = Vec::new();
        for element in template.iter() {
            match element {
                Element::Literal(s) => parts.push(Value::String(s.value().clone())),
                Element::Interpolation(i) => parts.push(self.eval_at(&i.expr, file, depth + 1)),
                Element::Directive(_) => return Value::Unknown,
            }
        }
        join(parts)
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
        match root.value().as_str() {
            "var" => {
                let Some(name) = attr(0) else {
                    return Value::Unknown;
                };
                let value = match self.variables.get(&name) {
                    Some((Some(default), f)) => {
                        let (default, f) = (*default, *f);
                        self.memo(format!("var.{name}"), || {
                            self.eval_at(default, f, depth + 1)
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
                        self.memo(format!("local.{name}"), || self.eval_at(e, f, depth + 1))
                    }
                    None => Value::Unknown,
                };
                self.apply(value, &operators[1..], file, depth)
            }
            "data" => match (attr(0), attr(1)) {
                (Some(kind), Some(name)) => {
                    self.resource_ref(&format!("data.{kind}.{name}"), &operators[2..], file, depth)
                }
                _ => Value::Unknown,
            },
            kind if kind.contains('_') => match attr(0) {
                Some(name) => {
                    self.resource_ref(&format!("{kind}.{name}"), &operators[1..], file, depth)
                }
                None => Value::Unknown,
            },
            // count.index, each.key, path.module, module outputs, self: not known here.
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
        let Some(decl) = self.decl(key) else {
            return Value::Unknown;
        };
        // `azurerm_subnet.pe[0].id`: every instance shares the attributes plinth knows.
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

    /// Applies `.attr` and `[index]` to a value.
    fn apply(
        &self,
        mut value: Value,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        depth: usize,
    ) -> Value {
        for op in operators {
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
