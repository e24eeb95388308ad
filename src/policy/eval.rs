//! Evaluates rule expressions over a linked graph, in three-valued logic.
//!
//! Values are resources, source nodes (with spans), computed values, lists,
//! `Missing` (known to be absent) and `Unknown`. A property that is absent from
//! a resource declared here is `Missing`; absent from a resource not managed
//! here (existing, data source, external id) it is `Unknown`: we only know
//! what its id tells.
//!
//! Operators, member access and truth live here; the functions a rule calls
//! by name are in `functions.rs`.

use std::collections::HashMap;

use std::sync::RwLock;

use regex::Regex;

use crate::model::{ArmId, Graph, Node, ResourceIdx, Truth, Value};
use crate::policy::expr::{BinOp, Expr};
use crate::policy::functions::{self, Implementation};

#[derive(Clone, Debug)]
pub enum V<'g> {
    Res(ResourceIdx),
    /// A node of a resource body or data table; `managed` tells whether an
    /// absent member below it is known to be absent.
    Node {
        node: &'g Node,
        managed: bool,
    },
    Val(Value),
    List(Vec<V<'g>>),
    Missing,
    Unknown,
}

/// Compiled patterns, shared by every unit's evaluation: the same table
/// patterns recur in every unit, and compiling them dominated a run.
#[derive(Default)]
pub struct RegexCache {
    compiled: RwLock<HashMap<String, Option<Regex>>>,
}

impl RegexCache {
    fn get(&self, pattern: &str) -> Option<Regex> {
        let cached = self
            .compiled
            .read()
            .ok()
            .and_then(|map| map.get(pattern).cloned());
        if let Some(regex) = cached {
            return regex;
        }
        let regex = regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .build()
            .ok();
        if let Ok(mut map) = self.compiled.write() {
            map.insert(pattern.to_string(), regex.clone());
        }
        regex
    }
}

/// Per table, per column: lower-cased cell text → the indexes of its rows.
pub type TableIndexes = HashMap<String, HashMap<String, HashMap<String, Vec<usize>>>>;

/// Indexes every column of every table, for `lookup()`.
pub fn index_tables(tables: &HashMap<String, Vec<Node>>) -> TableIndexes {
    let mut indexes = TableIndexes::new();
    for (name, rows) in tables {
        let columns = indexes.entry(name.clone()).or_default();
        for (i, row) in rows.iter().enumerate() {
            if let Value::Object(o) = &row.value {
                for (column, cell) in o.iter() {
                    if let Some(text) = cell.value.as_str() {
                        columns
                            .entry(column.to_ascii_lowercase())
                            .or_default()
                            .entry(text.to_lowercase())
                            .or_default()
                            .push(i);
                    }
                }
            }
        }
    }
    indexes
}

/// What the evaluator can see: the graph, the data tables, and the regex caches.
pub struct Context<'g> {
    pub graph: &'g Graph,
    pub tables: &'g HashMap<String, Vec<Node>>,
    pub(super) indexes: &'g TableIndexes,
    /// The running rule's settings from `.plinth.yaml`.
    pub settings: Option<&'g HashMap<String, Value>>,
    shared: &'g RegexCache,
    regexes: HashMap<String, Option<Regex>>,
}

/// Variables in scope, innermost last.
pub type Env<'g> = Vec<(String, V<'g>)>;

impl<'g> Context<'g> {
    pub fn new(
        graph: &'g Graph,
        tables: &'g HashMap<String, Vec<Node>>,
        indexes: &'g TableIndexes,
        shared: &'g RegexCache,
    ) -> Context<'g> {
        Context {
            graph,
            tables,
            indexes,
            settings: None,
            shared,
            regexes: HashMap::new(),
        }
    }

    pub fn eval(&mut self, expr: &Expr, env: &mut Env<'g>) -> V<'g> {
        match expr {
            Expr::Str(s) => V::Val(Value::String(s.clone())),
            Expr::Num(n) => V::Val(Value::Number(*n)),
            Expr::Bool(b) => V::Val(Value::Bool(*b)),
            Expr::Null => V::Val(Value::Null),
            Expr::List(items) => V::List(items.iter().map(|e| self.eval(e, env)).collect()),
            Expr::Var(name) => env
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or(V::Unknown),
            Expr::Field(base, key) => {
                let base = self.eval(base, env);
                self.field(base, key)
            }
            Expr::Index(base, index) => {
                let base = self.eval(base, env);
                let index = self.eval(index, env);
                self.index(base, index)
            }
            Expr::Spread(base) => {
                let base = self.eval(base, env);
                match elements(&base) {
                    Some(items) => V::List(items),
                    None => V::Unknown,
                }
            }
            Expr::Not(inner) => {
                let t = self.truth(inner, env);
                truth_value(t.negate())
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right, env),
            Expr::Call(name, args) => self.call(name, args, env),
            // Lambdas are only evaluated by the functions that take them.
            Expr::Lambda(..) => V::Unknown,
        }
    }

    pub fn truth(&mut self, expr: &Expr, env: &mut Env<'g>) -> Truth {
        let v = self.eval(expr, env);
        truth_of(&v)
    }

    fn binary(&mut self, op: BinOp, left: &Expr, right: &Expr, env: &mut Env<'g>) -> V<'g> {
        match op {
            BinOp::And => {
                let l = self.truth(left, env);
                if l == Truth::False {
                    return truth_value(Truth::False);
                }
                truth_value(l.and(self.truth(right, env)))
            }
            BinOp::Or => {
                let l = self.truth(left, env);
                if l == Truth::True {
                    return truth_value(Truth::True);
                }
                truth_value(l.or(self.truth(right, env)))
            }
            BinOp::Default => {
                let l = self.eval(left, env);
                match scalar(&l) {
                    S::Null => self.eval(right, env),
                    _ => l,
                }
            }
            BinOp::Add => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                add(l, r)
            }
            BinOp::Sub => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                match (scalar(&l), scalar(&r)) {
                    (S::Num(a), S::Num(b)) => V::Val(Value::Number(a - b)),
                    _ => V::Unknown,
                }
            }
            BinOp::Eq | BinOp::Ne => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                let t = self.equals(&l, &r);
                truth_value(if op == BinOp::Eq { t } else { t.negate() })
            }
            BinOp::In => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                match elements(&r) {
                    Some(items) => truth_value(
                        items
                            .iter()
                            .fold(Truth::False, |acc, item| acc.or(self.equals(&l, item))),
                    ),
                    None => V::Unknown,
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                match (scalar(&l), scalar(&r)) {
                    (S::Num(a), S::Num(b)) => V::Val(Value::Bool(match op {
                        BinOp::Lt => a < b,
                        BinOp::Le => a <= b,
                        BinOp::Gt => a > b,
                        _ => a >= b,
                    })),
                    // Strings order case-insensitively: API versions are dates.
                    (S::Str(a), S::Str(b)) => {
                        let ordering = a.to_lowercase().cmp(&b.to_lowercase());
                        V::Val(Value::Bool(match op {
                            BinOp::Lt => ordering.is_lt(),
                            BinOp::Le => ordering.is_le(),
                            BinOp::Gt => ordering.is_gt(),
                            _ => ordering.is_ge(),
                        }))
                    }
                    _ => V::Unknown,
                }
            }
        }
    }

    /// Equality: strings case-insensitively (Azure names, types and zone
    /// names are), resources by identity, ids by what they can name.
    pub fn equals(&self, a: &V<'g>, b: &V<'g>) -> Truth {
        match (scalar(a), scalar(b)) {
            (S::Unknown, _) | (_, S::Unknown) => Truth::Unknown,
            (S::Null, S::Null) => Truth::True,
            (S::Null, _) | (_, S::Null) => Truth::False,
            (S::Res(x), S::Res(y)) => Truth::from_bool(x == y),
            (S::Id(x), S::Id(y)) => match (self.graph.resolve(&x), self.graph.resolve(&y)) {
                (Some(i), Some(j)) => Truth::from_bool(i == j),
                _ if !x.may_equal(&y) => Truth::False,
                _ => Truth::Unknown,
            },
            (S::Res(r), S::Id(id)) | (S::Id(id), S::Res(r)) => match self.graph.resolve(&id) {
                Some(i) => Truth::from_bool(i == r),
                None => Truth::Unknown,
            },
            (S::Str(x), S::Str(y)) => Truth::from_bool(x.eq_ignore_ascii_case(&y)),
            (S::Num(x), S::Num(y)) => Truth::from_bool(x == y),
            (S::Bool(x), S::Bool(y)) => Truth::from_bool(x == y),
            (S::List(x), S::List(y)) => {
                if x.len() != y.len() {
                    return Truth::False;
                }
                x.iter()
                    .zip(&y)
                    .fold(Truth::True, |acc, (p, q)| acc.and(self.equals(p, q)))
            }
            _ => Truth::False,
        }
    }

    fn field(&mut self, base: V<'g>, key: &str) -> V<'g> {
        match base {
            V::Res(idx) => {
                let resource = self.graph.get(idx);
                let body = V::Node {
                    node: &resource.body,
                    managed: resource.managed,
                };
                self.field(body, key)
            }
            V::Node { node, managed } => match &node.value {
                Value::Object(o) => match o.get(key) {
                    Some(child) => V::Node {
                        node: child,
                        managed,
                    },
                    None if managed => V::Missing,
                    None => V::Unknown,
                },
                Value::Array(items) => V::List(
                    items
                        .iter()
                        .map(|n| self.field(V::Node { node: n, managed }, key))
                        .filter(|v| !matches!(v, V::Missing))
                        .collect(),
                ),
                Value::Unknown => V::Unknown,
                _ => V::Missing,
            },
            V::Val(Value::Object(o)) => match o.get(key) {
                Some(child) => V::Val(child.value.clone()),
                None => V::Missing,
            },
            V::List(items) => V::List(
                items
                    .into_iter()
                    .map(|v| self.field(v, key))
                    .filter(|v| !matches!(v, V::Missing))
                    .collect(),
            ),
            V::Unknown => V::Unknown,
            _ => V::Missing,
        }
    }

    fn index(&mut self, base: V<'g>, index: V<'g>) -> V<'g> {
        match scalar(&index) {
            S::Str(key) => self.field(base, &key),
            S::Num(n) if n >= 0.0 && n.fract() == 0.0 => match elements(&base) {
                Some(items) => items.into_iter().nth(n as usize).unwrap_or(V::Missing),
                None => V::Unknown,
            },
            _ => V::Unknown,
        }
    }

    /// A built-in function, through the registry in `functions.rs`.
    fn call(&mut self, name: &str, args: &[Expr], env: &mut Env<'g>) -> V<'g> {
        let Some(function) = functions::find(name) else {
            // The rule checker refuses unknown functions; a rule never gets here.
            return V::Unknown;
        };
        match function.implementation {
            Implementation::Lazy(call) => call(self, name, args, env),
            Implementation::Quantifier => functions::quantifier(self, name, args, env),
            Implementation::Strict(call) => {
                let values: Vec<V<'g>> = args.iter().map(|a| self.eval(a, env)).collect();
                call(self, name, &values)
            }
        }
    }

    pub(super) fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        let shared = self.shared;
        self.regexes
            .entry(pattern.to_string())
            .or_insert_with(|| shared.get(pattern))
            .as_ref()
    }

    /// Renders a value inside a message.
    pub fn display(&self, v: &V<'g>) -> String {
        match v {
            V::Res(idx) => self.graph.get(*idx).display_name(),
            V::Node { node, .. } => node.value.display(),
            V::Val(value) => value.display(),
            V::List(items) => items
                .iter()
                .map(|i| self.display(i))
                .collect::<Vec<_>>()
                .join(", "),
            V::Missing => "(none)".into(),
            V::Unknown => "?".into(),
        }
    }
}

/// A scalar view of a value, for comparisons.
pub(super) enum S<'g> {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Res(ResourceIdx),
    Id(ArmId),
    List(Vec<V<'g>>),
    Unknown,
    Other,
}

pub(super) fn scalar<'g>(v: &V<'g>) -> S<'g> {
    let value = match v {
        V::Res(idx) => return S::Res(*idx),
        V::Missing => return S::Null,
        V::Unknown => return S::Unknown,
        V::List(items) => return S::List(items.clone()),
        V::Node { node, .. } => &node.value,
        V::Val(value) => value,
    };
    match value {
        Value::Null => S::Null,
        Value::Unknown => S::Unknown,
        Value::Bool(b) => S::Bool(*b),
        Value::Number(n) => S::Num(*n),
        Value::Id(id) => S::Id(id.clone()),
        Value::String(s) => match ArmId::parse(s) {
            Some(id) => S::Id(id),
            None => S::Str(s.clone()),
        },
        Value::Array(items) => S::List(items.iter().map(|n| V::Val(n.value.clone())).collect()),
        Value::Object(_) => S::Other,
    }
}

/// The elements of a list-like value; `None` when that is unknown.
pub(super) fn elements<'g>(v: &V<'g>) -> Option<Vec<V<'g>>> {
    match v {
        V::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    V::Node { node, managed } => match &node.value {
                        Value::Array(inner) => out.extend(inner.iter().map(|n| V::Node {
                            node: n,
                            managed: *managed,
                        })),
                        _ => out.push(item.clone()),
                    },
                    V::List(inner) => out.extend(inner.iter().cloned()),
                    _ => out.push(item.clone()),
                }
            }
            Some(out)
        }
        V::Node { node, managed } => match &node.value {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|n| V::Node {
                        node: n,
                        managed: *managed,
                    })
                    .collect(),
            ),
            Value::Null => Some(Vec::new()),
            Value::Unknown => None,
            _ => Some(vec![v.clone()]),
        },
        V::Val(Value::Array(items)) => {
            Some(items.iter().map(|n| V::Val(n.value.clone())).collect())
        }
        V::Missing | V::Val(Value::Null) => Some(Vec::new()),
        V::Unknown | V::Val(Value::Unknown) => None,
        other => Some(vec![other.clone()]),
    }
}

fn add<'g>(l: V<'g>, r: V<'g>) -> V<'g> {
    let is_list = |v: &V| matches!(v, V::List(_)) || matches!(scalar(v), S::List(_));
    if is_list(&l) || is_list(&r) {
        let part = |v: V<'g>| match elements(&v) {
            Some(items) => items,
            None => vec![V::Unknown],
        };
        let mut items = part(l);
        items.extend(part(r));
        return V::List(items);
    }
    match (scalar(&l), scalar(&r)) {
        (S::Num(a), S::Num(b)) => V::Val(Value::Number(a + b)),
        (S::Str(a), S::Str(b)) => V::Val(Value::String(a + &b)),
        _ => V::Unknown,
    }
}

pub(super) fn is_known(v: &V) -> bool {
    match v {
        V::Unknown => false,
        V::Node { node, .. } => !node.value.contains_unknown(),
        V::Val(value) => !value.contains_unknown(),
        V::List(items) => items.iter().all(is_known),
        _ => true,
    }
}

pub fn truth_of(v: &V) -> Truth {
    match scalar(v) {
        S::Unknown => Truth::Unknown,
        S::Null => Truth::False,
        S::Bool(b) => Truth::from_bool(b),
        _ => Truth::True,
    }
}

pub(super) fn truth_value<'g>(t: Truth) -> V<'g> {
    match t {
        Truth::True => V::Val(Value::Bool(true)),
        Truth::False => V::Val(Value::Bool(false)),
        Truth::Unknown => V::Unknown,
    }
}
