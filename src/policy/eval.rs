//! Evaluates rule expressions over a linked graph, in three-valued logic.
//!
//! Values are resources, source nodes (with spans), computed values, lists,
//! `Missing` (known to be absent) and `Unknown`. A property that is absent from
//! a resource declared here is `Missing`; absent from a resource not managed
//! here (existing, data source, external id) it is `Unknown`: we only know
//! what its id tells.

use std::collections::HashMap;

use std::sync::RwLock;

use regex::Regex;

use crate::model::{ArmId, Graph, Node, ResourceIdx, Truth, Value};
use crate::policy::expr::{BinOp, Expr};

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
    indexes: &'g TableIndexes,
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

    fn call(&mut self, name: &str, args: &[Expr], env: &mut Env<'g>) -> V<'g> {
        match name {
            "any" | "all" | "none" | "count" | "filter" => return self.quantifier(name, args, env),
            "if" => {
                return match args.first().map(|c| self.truth(c, env)) {
                    Some(Truth::True) => {
                        args.get(1).map(|e| self.eval(e, env)).unwrap_or(V::Missing)
                    }
                    Some(Truth::False) => {
                        args.get(2).map(|e| self.eval(e, env)).unwrap_or(V::Missing)
                    }
                    _ => V::Unknown,
                };
            }
            _ => {}
        }
        let values: Vec<V<'g>> = args.iter().map(|a| self.eval(a, env)).collect();
        let arg = |i: usize| values.get(i).cloned().unwrap_or(V::Missing);
        let graph = self.graph;
        match name {
            "resources" => match scalar(&arg(0)) {
                S::Str(t) => V::List(graph.of_type(&t).iter().map(|&i| V::Res(i)).collect()),
                _ => V::Unknown,
            },
            "follow" => self.follow(arg(0)),
            "parent" => map_resource(arg(0), |idx| {
                if graph.get(idx).names.len() < 2 {
                    V::Missing
                } else {
                    graph.parent(idx).map(V::Res).unwrap_or(V::Unknown)
                }
            }),
            "children" => {
                let rtype = scalar(&arg(1));
                map_resource(arg(0), |idx| match &rtype {
                    S::Str(t) => V::List(
                        graph
                            .children(idx)
                            .iter()
                            .filter(|&&c| type_matches(&graph.get(c).rtype, t))
                            .map(|&c| V::Res(c))
                            .collect(),
                    ),
                    _ => V::Unknown,
                })
            }
            "referrers" => {
                // Without a type: referrers of every type.
                let rtype = if values.len() < 2 {
                    S::Str(String::new())
                } else {
                    scalar(&arg(1))
                };
                map_resource(arg(0), |idx| match &rtype {
                    S::Str(t) => {
                        let mut from: Vec<ResourceIdx> = graph
                            .referrers(idx)
                            .iter()
                            .map(|r| r.from)
                            .filter(|&f| f != idx)
                            .filter(|&f| t.is_empty() || type_matches(&graph.get(f).rtype, t))
                            .collect();
                        from.sort_unstable();
                        from.dedup();
                        V::List(from.into_iter().map(V::Res).collect())
                    }
                    _ => V::Unknown,
                })
            }
            "is" => {
                // One type, or a list of types (any of them).
                let types: Option<Vec<String>> = match scalar(&arg(1)) {
                    S::Str(t) => Some(vec![t]),
                    S::List(items) => items
                        .iter()
                        .map(|i| match scalar(i) {
                            S::Str(t) => Some(t),
                            _ => None,
                        })
                        .collect(),
                    _ => None,
                };
                map_resource(arg(0), |idx| match &types {
                    Some(types) => V::Val(Value::Bool(
                        types.iter().any(|t| type_matches(&graph.get(idx).rtype, t)),
                    )),
                    None => V::Unknown,
                })
            }
            "type" => map_resource(arg(0), |idx| {
                V::Val(Value::String(graph.get(idx).rtype.clone()))
            }),
            "name" => map_resource(arg(0), |idx| match graph.get(idx).full_name() {
                Some(n) => V::Val(Value::String(n)),
                None => V::Unknown,
            }),
            "leaf" => map_resource(arg(0), |idx| match graph.get(idx).names.last() {
                Some(crate::model::Part::Known(n)) => V::Val(Value::String(n.clone())),
                _ => V::Unknown,
            }),
            "managed" => map_resource(arg(0), |idx| V::Val(Value::Bool(graph.get(idx).managed))),
            "api_version" => map_resource(arg(0), |idx| match &graph.get(idx).api_version {
                Some(v) => V::Val(Value::String(v.clone())),
                None => V::Missing,
            }),
            "resource_group" => map_resource(arg(0), |idx| match &graph.get(idx).resource_group {
                crate::model::Part::Known(rg) => V::Val(Value::String(rg.clone())),
                _ => V::Unknown,
            }),
            "before" => match (&arg(0), &arg(1)) {
                (V::Res(a), V::Res(b)) => V::Val(Value::Bool(a < b)),
                _ => V::Unknown,
            },
            "ipv4" => match scalar(&arg(0)) {
                S::Str(s) => match s.parse::<std::net::Ipv4Addr>() {
                    Ok(ip) => V::Val(Value::Number(f64::from(u32::from(ip)))),
                    Err(_) => V::Missing,
                },
                S::Unknown => V::Unknown,
                _ => V::Missing,
            },
            "distinct" => match arg(0) {
                V::Unknown => V::Unknown,
                list => {
                    // Flattens nested lists (what mapping over lists gives),
                    // then keeps the first of each equal value.
                    let mut flat = Vec::new();
                    let mut stack = vec![list];
                    while let Some(v) = stack.pop() {
                        match elements(&v) {
                            Some(items)
                                if matches!(v, V::List(_)) || matches!(scalar(&v), S::List(_)) =>
                            {
                                stack.extend(items.into_iter().rev());
                            }
                            _ => flat.push(v),
                        }
                    }
                    let mut out: Vec<V<'g>> = Vec::new();
                    for v in flat {
                        if matches!(v, V::Missing) {
                            continue;
                        }
                        match out
                            .iter()
                            .fold(Truth::False, |acc, o| acc.or(self.equals(o, &v)))
                        {
                            Truth::True => {}
                            Truth::False => out.push(v),
                            Truth::Unknown => return V::Unknown,
                        }
                    }
                    V::List(out)
                }
            },
            "port_in" => match (scalar(&arg(0)), arg(1)) {
                (S::Num(port), spec) => port_in(port, &spec),
                (S::Null, _) => V::Missing,
                _ => V::Unknown,
            },
            "address_count" => match scalar(&arg(0)) {
                S::Str(text) => match ipv4_range(&text) {
                    Some((first, last)) => V::Val(Value::Number(f64::from(last - first) + 1.0)),
                    None => V::Missing,
                },
                S::Unknown => V::Unknown,
                _ => V::Missing,
            },
            "cidr_contains" => match (scalar(&arg(0)), scalar(&arg(1))) {
                (S::Str(outer), S::Str(inner)) => match (ipv4_range(&outer), ipv4_range(&inner)) {
                    (Some((a, b)), Some((c, d))) => V::Val(Value::Bool(a <= c && d <= b)),
                    _ => V::Missing,
                },
                (S::Null, _) | (_, S::Null) => V::Missing,
                _ => V::Unknown,
            },
            "region" => match scalar(&arg(0)) {
                S::Str(s) => V::Val(Value::String(
                    s.chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_lowercase(),
                )),
                S::Null => V::Missing,
                _ => V::Unknown,
            },
            "prefix_length" => match scalar(&arg(0)) {
                S::Str(s) => match s.trim().split_once('/') {
                    Some((ip, len)) if ip.parse::<std::net::Ipv4Addr>().is_ok() => {
                        match len.parse::<u8>() {
                            Ok(n) if n <= 32 => V::Val(Value::Number(f64::from(n))),
                            _ => V::Missing,
                        }
                    }
                    _ => V::Missing,
                },
                S::Unknown => V::Unknown,
                _ => V::Missing,
            },
            "known" => V::Val(Value::Bool(is_known(&arg(0)))),
            "complete" => V::Val(Value::Bool(graph.opaque.is_empty())),
            "exists" => truth_value(exists(&arg(0))),
            "first" => match elements(&arg(0)) {
                Some(items) => items.into_iter().next().unwrap_or(V::Missing),
                None => V::Unknown,
            },
            "lower" | "upper" => match scalar(&arg(0)) {
                S::Str(s) => V::Val(Value::String(if name == "lower" {
                    s.to_lowercase()
                } else {
                    s.to_uppercase()
                })),
                S::Null => V::Missing,
                _ => V::Unknown,
            },
            "starts_with" | "ends_with" | "contains" => match (scalar(&arg(0)), scalar(&arg(1))) {
                (S::Str(s), S::Str(p)) => {
                    let (s, p) = (s.to_lowercase(), p.to_lowercase());
                    V::Val(Value::Bool(match name {
                        "starts_with" => s.starts_with(&p),
                        "ends_with" => s.ends_with(&p),
                        _ => s.contains(&p),
                    }))
                }
                (S::Null, S::Str(_)) => V::Val(Value::Bool(false)),
                _ => V::Unknown,
            },
            "matches" | "matches_template" => match (scalar(&arg(0)), scalar(&arg(1))) {
                (S::Str(s), S::Str(p)) => {
                    if name == "matches_template"
                        && let Some(matched) = template_matches(&s, &p)
                    {
                        return V::Val(Value::Bool(matched));
                    }
                    let pattern = if name == "matches" {
                        p
                    } else {
                        template_regex(&p)
                    };
                    match self.regex(&pattern) {
                        Some(re) => V::Val(Value::Bool(re.is_match(&s))),
                        None => V::Unknown,
                    }
                }
                (S::Null, S::Str(_)) => V::Val(Value::Bool(false)),
                _ => V::Unknown,
            },
            // The running rule's setting from `.plinth.yaml`, else the default.
            "setting" => match scalar(&arg(0)) {
                S::Str(key) => match self.settings.and_then(|s| s.get(&key)) {
                    Some(value) => V::Val(value.clone()),
                    None => arg(1),
                },
                _ => V::Unknown,
            },
            // The rows whose `column` equals `value` (case-insensitively), by index.
            "lookup" => match (scalar(&arg(0)), scalar(&arg(1)), scalar(&arg(2))) {
                (S::Str(t), S::Str(column), S::Str(value)) => {
                    match (self.tables.get(&t), self.indexes.get(&t)) {
                        (Some(rows), Some(columns)) => V::List(
                            columns
                                .get(&column.to_ascii_lowercase())
                                .and_then(|c| c.get(&value.to_lowercase()))
                                .into_iter()
                                .flatten()
                                .filter_map(|&i| rows.get(i))
                                .map(|node| V::Node {
                                    node,
                                    managed: true,
                                })
                                .collect(),
                        ),
                        _ => V::Unknown,
                    }
                }
                (S::Str(_), S::Str(_), S::Null) => V::List(Vec::new()),
                _ => V::Unknown,
            },
            "table" => match scalar(&arg(0)) {
                S::Str(t) => match self.tables.get(&t) {
                    Some(rows) => V::List(
                        rows.iter()
                            .map(|node| V::Node {
                                node,
                                managed: true,
                            })
                            .collect(),
                    ),
                    None => V::Unknown,
                },
                _ => V::Unknown,
            },
            _ => V::Unknown,
        }
    }

    fn follow(&mut self, v: V<'g>) -> V<'g> {
        match v {
            V::Res(_) | V::Missing | V::Unknown => v,
            V::List(items) => V::List(items.into_iter().map(|i| self.follow(i)).collect()),
            other => match scalar(&other) {
                S::Null => V::Missing,
                S::Id(id) => self.graph.resolve(&id).map(V::Res).unwrap_or(V::Unknown),
                _ => V::Unknown,
            },
        }
    }

    /// `any`, `all`, `none`, `count` and `filter` over a list, with an
    /// optional `x -> condition`; Kleene logic throughout.
    fn quantifier(&mut self, name: &str, args: &[Expr], env: &mut Env<'g>) -> V<'g> {
        let Some(list) = args.first().map(|a| self.eval(a, env)) else {
            return V::Unknown;
        };
        let Some(items) = elements(&list) else {
            return V::Unknown;
        };
        let mut truths = Vec::with_capacity(items.len());
        for item in &items {
            let t = match args.get(1) {
                Some(Expr::Lambda(param, body)) => {
                    env.push((param.clone(), item.clone()));
                    let t = self.truth(body, env);
                    env.pop();
                    t
                }
                _ if is_known(item) => Truth::True,
                _ => Truth::Unknown,
            };
            truths.push(t);
        }
        match name {
            "any" => truth_value(truths.iter().fold(Truth::False, |a, t| a.or(*t))),
            "all" => truth_value(truths.iter().fold(Truth::True, |a, t| a.and(*t))),
            "none" => truth_value(truths.iter().fold(Truth::False, |a, t| a.or(*t)).negate()),
            "count" => {
                if truths.contains(&Truth::Unknown) {
                    V::Unknown
                } else {
                    let n = truths.iter().filter(|t| **t == Truth::True).count();
                    V::Val(Value::Number(n as f64))
                }
            }
            _ => {
                if truths.contains(&Truth::Unknown) {
                    V::Unknown
                } else {
                    V::List(
                        items
                            .into_iter()
                            .zip(truths)
                            .filter(|(_, t)| *t == Truth::True)
                            .map(|(i, _)| i)
                            .collect(),
                    )
                }
            }
        }
    }

    fn regex(&mut self, pattern: &str) -> Option<&Regex> {
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
enum S<'g> {
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

fn scalar<'g>(v: &V<'g>) -> S<'g> {
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
fn elements<'g>(v: &V<'g>) -> Option<Vec<V<'g>>> {
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

/// Whether an NSG port spec (`*`, `5432`, `5000-6000`, or a list of them)
/// covers `port`; missing when the spec is absent or malformed.
fn port_in<'g>(port: f64, spec: &V<'g>) -> V<'g> {
    let one = |text: &str| -> Option<bool> {
        let text = text.trim();
        if text == "*" {
            return Some(true);
        }
        match text.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
                Some(a <= port && port <= b)
            }
            None => Some(text.parse::<f64>().ok()? == port),
        }
    };
    match scalar(spec) {
        S::Str(text) => one(&text).map_or(V::Missing, |b| V::Val(Value::Bool(b))),
        S::Num(n) => V::Val(Value::Bool(n == port)),
        S::List(items) => {
            let mut any = false;
            for item in &items {
                match scalar(item) {
                    S::Str(text) => match one(&text) {
                        Some(b) => any |= b,
                        None => return V::Missing,
                    },
                    S::Num(n) => any |= n == port,
                    S::Unknown => return V::Unknown,
                    _ => return V::Missing,
                }
            }
            V::Val(Value::Bool(any))
        }
        S::Unknown => V::Unknown,
        _ => V::Missing,
    }
}

/// An IPv4 address or CIDR as its first and last address.
fn ipv4_range(text: &str) -> Option<(u32, u32)> {
    let (ip, len) = match text.trim().split_once('/') {
        Some((ip, len)) => (ip, len.parse::<u32>().ok()?),
        None => (text.trim(), 32),
    };
    if len > 32 {
        return None;
    }
    let ip = u32::from(ip.parse::<std::net::Ipv4Addr>().ok()?);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((ip & mask, (ip & mask) | !mask))
}

fn map_resource<'g>(v: V<'g>, mut f: impl FnMut(ResourceIdx) -> V<'g>) -> V<'g> {
    map_resource_dyn(v, &mut f)
}

fn map_resource_dyn<'g>(v: V<'g>, f: &mut dyn FnMut(ResourceIdx) -> V<'g>) -> V<'g> {
    match v {
        V::Res(idx) => f(idx),
        V::Missing => V::Missing,
        V::List(items) => V::List(items.into_iter().map(|i| map_resource_dyn(i, f)).collect()),
        _ => V::Unknown,
    }
}

/// `Microsoft.Network/privateDnsZones/virtualNetworkLinks` matches itself
/// and its last segments (`virtualNetworkLinks`), case-insensitively.
fn type_matches(rtype: &str, wanted: &str) -> bool {
    if rtype.eq_ignore_ascii_case(wanted) {
        return true;
    }
    let (r, w) = (rtype.to_ascii_lowercase(), wanted.to_ascii_lowercase());
    !w.contains('.') && r.ends_with(&format!("/{w}"))
}

fn is_known(v: &V) -> bool {
    match v {
        V::Unknown => false,
        V::Node { node, .. } => !node.value.contains_unknown(),
        V::Val(value) => !value.contains_unknown(),
        V::List(items) => items.iter().all(is_known),
        _ => true,
    }
}

/// Present and not null, empty string or empty list.
fn exists(v: &V) -> Truth {
    match scalar(v) {
        S::Unknown => Truth::Unknown,
        S::Null => Truth::False,
        S::Str(s) => Truth::from_bool(!s.is_empty()),
        S::List(items) => {
            if items.iter().any(is_known) {
                Truth::True
            } else if items.is_empty() {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        _ => Truth::True,
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

fn truth_value<'g>(t: Truth) -> V<'g> {
    match t {
        Truth::True => V::Val(Value::Bool(true)),
        Truth::False => V::Val(Value::Bool(false)),
        Truth::Unknown => V::Unknown,
    }
}

/// `privatelink.{regionName}.azmk8s.io` → an anchored regex where each
/// placeholder matches one DNS label.
/// `matches_template` without a regex, for templates whose placeholders are
/// whole labels (followed by `.` or the end, as every zone template is): a
/// placeholder matches one label of letters, digits and hyphens. `None` for
/// other templates, which go through `template_regex`.
fn template_matches(text: &str, template: &str) -> Option<bool> {
    let mut rest = text.as_bytes();
    let mut pattern = template.as_bytes();
    while !pattern.is_empty() {
        if pattern[0] == b'{' {
            let close = pattern.iter().position(|&b| b == b'}')?;
            pattern = &pattern[close + 1..];
            if pattern.first().is_some_and(|&b| b != b'.') {
                return None;
            }
            let label = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                .count();
            if label == 0 {
                return Some(false);
            }
            rest = &rest[label..];
        } else {
            let literal = pattern
                .iter()
                .position(|&b| b == b'{')
                .unwrap_or(pattern.len());
            let (head, tail) = pattern.split_at(literal);
            if rest.len() < head.len() || !rest[..head.len()].eq_ignore_ascii_case(head) {
                return Some(false);
            }
            rest = &rest[head.len()..];
            pattern = tail;
        }
    }
    Some(rest.is_empty())
}

fn template_regex(template: &str) -> String {
    let mut out = String::from("^");
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&regex::escape(&rest[..open]));
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str("[a-z0-9-]+");
                rest = &rest[open + close + 1..];
            }
            None => {
                out.push_str(&regex::escape(&rest[open..]));
                rest = "";
            }
        }
    }
    out.push_str(&regex::escape(rest));
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_label_per_placeholder() {
        let re = Regex::new(&template_regex("privatelink.{regionName}.azmk8s.io")).unwrap();
        assert!(re.is_match("privatelink.eastus.azmk8s.io"));
        assert!(!re.is_match("privatelink.east.us.azmk8s.io"));
        assert!(!re.is_match("privatelinkxeastus.azmk8s.io"));
    }

    #[test]
    fn the_fast_template_matcher_agrees_with_the_regex() {
        let templates = [
            "privatelink.{regionName}.azmk8s.io",
            "privatelink.postgres.database.azure.com",
            "{subzone}.privatelink.{regionName}.azmk8s.io",
            "privatelink.{dnsPrefix}.database.windows.net",
            "{partitionId}",
        ];
        let names = [
            "privatelink.eastus.azmk8s.io",
            "PrivateLink.EastUS.azmk8s.io",
            "privatelink.east.us.azmk8s.io",
            "privatelinkxeastus.azmk8s.io",
            "privatelink..azmk8s.io",
            "a-b.privatelink.westeurope.azmk8s.io",
            "privatelink.postgres.database.azure.com",
            "privatelink.postgres.database.azure.com.evil",
            "privatelink.abc123.database.windows.net",
            "x",
            "",
        ];
        for template in templates {
            let re = regex::RegexBuilder::new(&template_regex(template))
                .case_insensitive(true)
                .build()
                .unwrap();
            for name in names {
                assert_eq!(
                    template_matches(name, template),
                    Some(re.is_match(name)),
                    "{name} against {template}"
                );
            }
        }
        // A placeholder inside a label goes to the regex.
        assert_eq!(template_matches("1-x", "{n}-x"), None);
    }

    #[test]
    fn relative_types_match_their_last_segments() {
        assert!(type_matches(
            "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "virtualNetworkLinks"
        ));
        assert!(!type_matches(
            "Microsoft.Network/privateDnsZones",
            "virtualNetworkLinks"
        ));
    }
}
