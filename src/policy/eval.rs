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

use std::borrow::Cow;
use std::collections::HashMap;

use std::sync::{Arc, OnceLock, RwLock};

use regex::Regex;

use crate::model::{ArmId, Graph, Node, ResourceIdx, Truth, Value};
use crate::policy::expr::{BinOp, Expr};
use crate::policy::functions::{self, Implementation};
use crate::source::SourceMap;

/// A value of the rule language at run time: a resource, a node of its
/// body, a computed value, a list of these, or absent or unknown.
#[derive(Clone, Debug)]
pub enum RuleValue<'g> {
    Res(ResourceIdx),
    /// A node of a resource body or data table; `managed` tells whether an
    /// absent member below it is known to be absent.
    Node {
        node: &'g Node,
        managed: bool,
    },
    Val(Value),
    List(Vec<RuleValue<'g>>),
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

/// Per column: lower-cased cell text → the indexes of its rows.
type ColumnIndexes = HashMap<String, HashMap<String, Vec<usize>>>;

/// A built-in data table as build.rs embeds it: each row as JSON, and the
/// index `lookup()` searches — (column, cell) lower-cased, the rows whose
/// string cell it is, sorted by column then cell.
#[derive(Debug)]
pub struct BuiltinTable {
    pub name: &'static str,
    pub rows: &'static [&'static str],
    pub index: &'static [(&'static str, &'static str, &'static [usize])],
}

/// The data tables by name. A built-in table's rows are each read from
/// the JSON build.rs embedded when a rule first reaches them (`lookup()` of
/// one zone reads that zone's row, not the table), and its index comes
/// built: most runs of one small file read a row or two, or none.
#[derive(Clone, Debug, Default)]
pub struct Tables {
    tables: HashMap<String, Table>,
}

#[derive(Clone, Debug)]
enum Table {
    Builtin {
        embedded: &'static BuiltinTable,
        rows: Vec<OnceLock<Node>>,
    },
    /// A table of the user's, read with its rule folder; its columns are
    /// indexed on the first `lookup()`.
    Read {
        rows: Vec<Node>,
        columns: OnceLock<ColumnIndexes>,
    },
}

impl Table {
    fn row(&self, i: usize) -> Option<&Node> {
        match self {
            Table::Builtin { embedded, rows } => {
                let json = embedded.rows.get(i)?;
                Some(rows.get(i)?.get_or_init(|| {
                    // build.rs wrote this JSON from a row it read.
                    let row: serde_json::Value =
                        serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
                    Node::new(Value::from_json(&row), None)
                }))
            }
            Table::Read { rows, .. } => rows.get(i),
        }
    }

    fn len(&self) -> usize {
        match self {
            Table::Builtin { embedded, .. } => embedded.rows.len(),
            Table::Read { rows, .. } => rows.len(),
        }
    }
}

impl Tables {
    /// A built-in table, its rows read on first use.
    pub fn insert_builtin(&mut self, embedded: &'static BuiltinTable) {
        let table = Table::Builtin {
            embedded,
            rows: embedded.rows.iter().map(|_| OnceLock::new()).collect(),
        };
        self.tables.insert(embedded.name.to_string(), table);
    }

    pub fn insert(&mut self, name: String, rows: Vec<Node>) {
        let table = Table::Read {
            rows,
            columns: OnceLock::new(),
        };
        self.tables.insert(name, table);
    }

    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys()
    }

    /// A table's rows, in order.
    pub fn get(&self, name: &str) -> Option<Vec<&Node>> {
        let table = self.tables.get(name)?;
        Some((0..table.len()).filter_map(|i| table.row(i)).collect())
    }

    /// The rows of table `name` whose `column` holds the text `cell`, both
    /// compared ignoring case, in order; `None` when there is no such table.
    pub fn lookup(&self, name: &str, column: &str, cell: &str) -> Option<Vec<&Node>> {
        let table = self.tables.get(name)?;
        let (column, cell) = (column.to_ascii_lowercase(), cell.to_lowercase());
        let found: &[usize] = match table {
            Table::Builtin { embedded, .. } => embedded
                .index
                .binary_search_by(|(c, v, _)| (*c, *v).cmp(&(column.as_str(), cell.as_str())))
                .map_or(&[], |at| embedded.index[at].2),
            Table::Read { rows, columns } => columns
                .get_or_init(|| index_rows(rows))
                .get(&column)
                .and_then(|c| c.get(&cell))
                .map_or(&[], Vec::as_slice),
        };
        Some(found.iter().filter_map(|&i| table.row(i)).collect())
    }

    /// How many of a table's rows have been read.
    #[cfg(test)]
    pub fn rows_read(&self, name: &str) -> usize {
        match self.tables.get(name) {
            Some(Table::Builtin { rows, .. }) => rows.iter().filter(|r| r.get().is_some()).count(),
            Some(Table::Read { rows, .. }) => rows.len(),
            None => 0,
        }
    }
}

/// Indexes every column of a table, for `lookup()`.
pub(super) fn index_rows(rows: &[Node]) -> ColumnIndexes {
    let mut columns = ColumnIndexes::new();
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
    columns
}

/// What the evaluator can see: the graph, the data tables, and the regex caches.
pub struct Context<'g> {
    pub graph: &'g Graph,
    pub tables: &'g Tables,
    /// The running rule's settings from `.plinth.yaml`.
    pub settings: Option<&'g HashMap<String, Value>>,
    shared: &'g RegexCache,
    regexes: HashMap<String, Option<Regex>>,
    /// The unit's files, to show a name that is not known as it is written.
    sources: Option<&'g SourceMap>,
}

/// Variables in scope, innermost last.
pub type Env<'g> = Vec<(String, RuleValue<'g>)>;

impl<'g> Context<'g> {
    pub fn new(graph: &'g Graph, tables: &'g Tables, shared: &'g RegexCache) -> Context<'g> {
        Context {
            graph,
            tables,
            settings: None,
            shared,
            regexes: HashMap::new(),
            sources: None,
        }
    }

    /// Lets messages show a resource whose name is not known by the name's
    /// expression as written, instead of `?`.
    pub fn with_sources(mut self, sources: &'g SourceMap) -> Context<'g> {
        self.sources = Some(sources);
        self
    }

    pub fn eval(&mut self, expr: &Expr, env: &mut Env<'g>) -> RuleValue<'g> {
        match expr {
            Expr::Str(s) => RuleValue::Val(Value::String(s.as_str().into())),
            Expr::Num(n) => RuleValue::Val(Value::Number(*n)),
            Expr::Bool(b) => RuleValue::Val(Value::Bool(*b)),
            Expr::Null => RuleValue::Val(Value::Null),
            Expr::List(items) => RuleValue::List(items.iter().map(|e| self.eval(e, env)).collect()),
            Expr::Var(name) => env
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or(RuleValue::Unknown),
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
                    Some(items) => RuleValue::List(items),
                    None => RuleValue::Unknown,
                }
            }
            Expr::Not(inner) => {
                let t = self.truth(inner, env);
                truth_value(t.negate())
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right, env),
            Expr::Call(name, args) => self.call(name, args, env),
            // Lambdas are only evaluated by the functions that take them.
            Expr::Lambda(..) => RuleValue::Unknown,
        }
    }

    pub fn truth(&mut self, expr: &Expr, env: &mut Env<'g>) -> Truth {
        let v = self.eval(expr, env);
        truth_of(&v)
    }

    fn binary(&mut self, op: BinOp, left: &Expr, right: &Expr, env: &mut Env<'g>) -> RuleValue<'g> {
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
                    Scalar::Null => self.eval(right, env),
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
                    (Scalar::Num(a), Scalar::Num(b)) => RuleValue::Val(Value::Number(a - b)),
                    _ => RuleValue::Unknown,
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
                    None => RuleValue::Unknown,
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let l = self.eval(left, env);
                let r = self.eval(right, env);
                match (scalar(&l), scalar(&r)) {
                    (Scalar::Num(a), Scalar::Num(b)) => RuleValue::Val(Value::Bool(match op {
                        BinOp::Lt => a < b,
                        BinOp::Le => a <= b,
                        BinOp::Gt => a > b,
                        _ => a >= b,
                    })),
                    // Strings order case-insensitively: API versions are dates.
                    (Scalar::Str(a), Scalar::Str(b)) => {
                        let ordering = a.to_lowercase().cmp(&b.to_lowercase());
                        RuleValue::Val(Value::Bool(match op {
                            BinOp::Lt => ordering.is_lt(),
                            BinOp::Le => ordering.is_le(),
                            BinOp::Gt => ordering.is_gt(),
                            _ => ordering.is_ge(),
                        }))
                    }
                    _ => RuleValue::Unknown,
                }
            }
        }
    }

    /// Equality: strings case-insensitively (Azure names, types and zone
    /// names are), resources by identity, ids by what they can name.
    pub fn equals(&self, a: &RuleValue<'g>, b: &RuleValue<'g>) -> Truth {
        match (scalar(a), scalar(b)) {
            (Scalar::Unknown, _) | (_, Scalar::Unknown) => Truth::Unknown,
            (Scalar::Null, Scalar::Null) => Truth::True,
            (Scalar::Null, _) | (_, Scalar::Null) => Truth::False,
            (Scalar::Res(x), Scalar::Res(y)) => Truth::from_bool(x == y),
            (Scalar::Id(x), Scalar::Id(y)) => {
                match (self.graph.resolve(&x), self.graph.resolve(&y)) {
                    (Some(i), Some(j)) => Truth::from_bool(i == j),
                    _ if !x.may_equal(&y) => Truth::False,
                    _ => Truth::Unknown,
                }
            }
            (Scalar::Res(r), Scalar::Id(id)) | (Scalar::Id(id), Scalar::Res(r)) => {
                match self.graph.resolve(&id) {
                    Some(i) => Truth::from_bool(i == r),
                    None => Truth::Unknown,
                }
            }
            (Scalar::Str(x), Scalar::Str(y)) => Truth::from_bool(x.eq_ignore_ascii_case(&y)),
            (Scalar::Num(x), Scalar::Num(y)) => Truth::from_bool(x == y),
            (Scalar::Bool(x), Scalar::Bool(y)) => Truth::from_bool(x == y),
            (Scalar::List(x), Scalar::List(y)) => {
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

    fn field(&mut self, base: RuleValue<'g>, key: &str) -> RuleValue<'g> {
        match base {
            RuleValue::Res(idx) => {
                let resource = self.graph.get(idx);
                let body = RuleValue::Node {
                    node: &resource.body,
                    managed: resource.managed,
                };
                self.field(body, key)
            }
            RuleValue::Node { node, managed } => match &node.value {
                Value::Object(o) => match o.get(key) {
                    Some(child) => RuleValue::Node {
                        node: child,
                        managed,
                    },
                    None if managed => RuleValue::Missing,
                    None => RuleValue::Unknown,
                },
                Value::Array(items) => RuleValue::List(
                    items
                        .iter()
                        .map(|n| self.field(RuleValue::Node { node: n, managed }, key))
                        .filter(|v| !matches!(v, RuleValue::Missing))
                        .collect(),
                ),
                Value::Unknown => RuleValue::Unknown,
                _ => RuleValue::Missing,
            },
            RuleValue::Val(Value::Object(o)) => match o.get(key) {
                Some(child) => RuleValue::Val(child.value.clone()),
                None => RuleValue::Missing,
            },
            RuleValue::List(items) => RuleValue::List(
                items
                    .into_iter()
                    .map(|v| self.field(v, key))
                    .filter(|v| !matches!(v, RuleValue::Missing))
                    .collect(),
            ),
            RuleValue::Unknown => RuleValue::Unknown,
            _ => RuleValue::Missing,
        }
    }

    fn index(&mut self, base: RuleValue<'g>, index: RuleValue<'g>) -> RuleValue<'g> {
        match scalar(&index) {
            Scalar::Str(key) => self.field(base, &key),
            Scalar::Num(n) if n >= 0.0 && n.fract() == 0.0 => match elements(&base) {
                Some(items) => items
                    .into_iter()
                    .nth(n as usize)
                    .unwrap_or(RuleValue::Missing),
                None => RuleValue::Unknown,
            },
            _ => RuleValue::Unknown,
        }
    }

    /// A built-in function, through the registry in `functions.rs`.
    fn call(&mut self, name: &str, args: &[Expr], env: &mut Env<'g>) -> RuleValue<'g> {
        let Some(function) = functions::find(name) else {
            // The rule checker refuses unknown functions; a rule never gets here.
            return RuleValue::Unknown;
        };
        match function.implementation {
            Implementation::Lazy(call) => call(self, name, args, env),
            Implementation::Quantifier => functions::quantifier(self, name, args, env),
            // Most calls have one to three arguments: evaluated on the
            // stack, without a list allocated for each call.
            Implementation::Strict(call) => match args {
                [] => call(self, name, &[]),
                [a] => {
                    let values = [self.eval(a, env)];
                    call(self, name, &values)
                }
                [a, b] => {
                    let values = [self.eval(a, env), self.eval(b, env)];
                    call(self, name, &values)
                }
                [a, b, c] => {
                    let values = [self.eval(a, env), self.eval(b, env), self.eval(c, env)];
                    call(self, name, &values)
                }
                _ => {
                    let values: Vec<RuleValue<'g>> =
                        args.iter().map(|a| self.eval(a, env)).collect();
                    call(self, name, &values)
                }
            },
        }
    }

    pub(super) fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        let shared = self.shared;
        self.regexes
            .entry(pattern.to_string())
            .or_insert_with(|| shared.get(pattern))
            .as_ref()
    }

    /// A node's expression as the source writes it ([`crate::model::resource::written`]).
    pub fn written(&self, node: &Node) -> Option<String> {
        crate::model::resource::written(node, self.sources?)
    }

    /// Renders a value inside a message.
    pub fn display(&self, v: &RuleValue<'g>) -> String {
        match v {
            RuleValue::Res(idx) => {
                let resource = self.graph.get(*idx);
                match self.sources {
                    Some(sources) => resource.display_name(sources),
                    None => resource.full_name().unwrap_or_else(|| "?".into()),
                }
            }
            RuleValue::Node { node, .. } => node.value.display(),
            RuleValue::Val(value) => value.display(),
            RuleValue::List(items) => items
                .iter()
                .map(|i| self.display(i))
                .collect::<Vec<_>>()
                .join(", "),
            RuleValue::Missing => "(none)".into(),
            RuleValue::Unknown => "?".into(),
        }
    }
}

/// A scalar view of a value, for comparisons.
pub(super) enum Scalar<'a, 'g> {
    /// Borrowed from the value it was read from.
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
    Res(ResourceIdx),
    Id(Arc<ArmId>),
    List(Vec<RuleValue<'g>>),
    Unknown,
    Other,
}

pub(super) fn scalar<'a, 'g>(v: &'a RuleValue<'g>) -> Scalar<'a, 'g> {
    let value = match v {
        RuleValue::Res(idx) => return Scalar::Res(*idx),
        RuleValue::Missing => return Scalar::Null,
        RuleValue::Unknown => return Scalar::Unknown,
        RuleValue::List(items) => return Scalar::List(items.clone()),
        RuleValue::Node { node, .. } => &node.value,
        RuleValue::Val(value) => value,
    };
    match value {
        Value::Null => Scalar::Null,
        Value::Unknown => Scalar::Unknown,
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => Scalar::Num(*n),
        Value::Id(id) => Scalar::Id(Arc::clone(id)),
        Value::String(s) => match ArmId::parse(s) {
            Some(id) => Scalar::Id(Arc::new(id)),
            None => Scalar::Str(Cow::Borrowed(s)),
        },
        Value::Array(items) => Scalar::List(
            items
                .iter()
                .map(|n| RuleValue::Val(n.value.clone()))
                .collect(),
        ),
        Value::Object(_) => Scalar::Other,
    }
}

/// The elements of a list-like value; `None` when that is unknown.
pub(super) fn elements<'g>(v: &RuleValue<'g>) -> Option<Vec<RuleValue<'g>>> {
    match v {
        RuleValue::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    RuleValue::Node { node, managed } => match &node.value {
                        Value::Array(inner) => out.extend(inner.iter().map(|n| RuleValue::Node {
                            node: n,
                            managed: *managed,
                        })),
                        _ => out.push(item.clone()),
                    },
                    RuleValue::List(inner) => out.extend(inner.iter().cloned()),
                    _ => out.push(item.clone()),
                }
            }
            Some(out)
        }
        RuleValue::Node { node, managed } => match &node.value {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|n| RuleValue::Node {
                        node: n,
                        managed: *managed,
                    })
                    .collect(),
            ),
            Value::Null => Some(Vec::new()),
            Value::Unknown => None,
            _ => Some(vec![v.clone()]),
        },
        RuleValue::Val(Value::Array(items)) => Some(
            items
                .iter()
                .map(|n| RuleValue::Val(n.value.clone()))
                .collect(),
        ),
        RuleValue::Missing | RuleValue::Val(Value::Null) => Some(Vec::new()),
        RuleValue::Unknown | RuleValue::Val(Value::Unknown) => None,
        other => Some(vec![other.clone()]),
    }
}

fn add<'g>(l: RuleValue<'g>, r: RuleValue<'g>) -> RuleValue<'g> {
    let is_list =
        |v: &RuleValue| matches!(v, RuleValue::List(_)) || matches!(scalar(v), Scalar::List(_));
    if is_list(&l) || is_list(&r) {
        let part = |v: RuleValue<'g>| match elements(&v) {
            Some(items) => items,
            None => vec![RuleValue::Unknown],
        };
        let mut items = part(l);
        items.extend(part(r));
        return RuleValue::List(items);
    }
    match (scalar(&l), scalar(&r)) {
        (Scalar::Num(a), Scalar::Num(b)) => RuleValue::Val(Value::Number(a + b)),
        (Scalar::Str(a), Scalar::Str(b)) => RuleValue::Val(Value::string([&*a, &*b].concat())),
        _ => RuleValue::Unknown,
    }
}

pub(super) fn is_known(v: &RuleValue) -> bool {
    match v {
        RuleValue::Unknown => false,
        RuleValue::Node { node, .. } => !node.value.contains_unknown(),
        RuleValue::Val(value) => !value.contains_unknown(),
        RuleValue::List(items) => items.iter().all(is_known),
        _ => true,
    }
}

pub fn truth_of(v: &RuleValue) -> Truth {
    match scalar(v) {
        Scalar::Unknown => Truth::Unknown,
        Scalar::Null => Truth::False,
        Scalar::Bool(b) => Truth::from_bool(b),
        _ => Truth::True,
    }
}

pub(super) fn truth_value<'g>(t: Truth) -> RuleValue<'g> {
    match t {
        Truth::True => RuleValue::Val(Value::Bool(true)),
        Truth::False => RuleValue::Val(Value::Bool(false)),
        Truth::Unknown => RuleValue::Unknown,
    }
}
