//! The rule language's built-in functions, in one registry: each entry has
//! the function's name, its arity, a one-line description, and its
//! implementation. The rule checker (`rule.rs`) takes names and arities from
//! here, the evaluator (`eval.rs`) dispatches through it, and a test holds
//! `rules/README.md`'s function reference to the same list.
//!
//! Operators, member access and three-valued logic are the evaluator's; this
//! file holds only what a rule calls by name.

use std::borrow::Cow;

use crate::cidr::Range;
use crate::model::{ResourceIdx, Truth, Value};
use crate::policy::eval::{
    Context, Env, RuleValue, Scalar, elements, is_known, scalar, truth_value,
};
use crate::policy::expr::Expr;

/// One built-in function of the rule language.
pub struct Function {
    pub name: &'static str,
    /// Fewest and most arguments.
    pub arity: (usize, usize),
    /// What it returns, in one line (the reference is `rules/README.md`).
    pub doc: &'static str,
    pub(crate) implementation: Implementation,
}

/// How a function receives its arguments.
#[derive(Clone, Copy)]
pub(crate) enum Implementation {
    /// Given the expressions, to evaluate only what it needs (`if`: the
    /// branch it takes).
    Lazy(for<'g> fn(&mut Context<'g>, &str, &[Expr], &mut Env<'g>) -> RuleValue<'g>),
    /// A quantifier over a list: its second argument may be `x -> condition`,
    /// bound to each element in turn.
    Quantifier,
    /// Given the values of its arguments.
    Strict(for<'g> fn(&mut Context<'g>, &str, &[RuleValue<'g>]) -> RuleValue<'g>),
}

use Implementation::{Lazy, Quantifier, Strict};

const fn function(
    name: &'static str,
    arity: (usize, usize),
    doc: &'static str,
    implementation: Implementation,
) -> Function {
    Function {
        name,
        arity,
        doc,
        implementation,
    }
}

/// Every function a rule may call: one line each, as a table.
#[rustfmt::skip]
pub const FUNCTIONS: &[Function] = &[
    // In the order `unknown function` lists them.
    function("resources", (1, 1), "every resource of an ARM type in the unit", Strict(resources)),
    function("follow", (1, 1), "the resource an id names (maps over lists)", Strict(follow)),
    function("parent", (1, 1), "the parent resource; missing for a top-level one", Strict(parent)),
    function("children", (2, 2), "child resources of a (full or last-segment) type", Strict(children)),
    function("referrers", (1, 2), "resources (of a type) that refer to a resource", Strict(referrers)),
    function("is", (2, 2), "whether a resource (or the resource an id names) is of a type, or of any of a list of types", Strict(is)),
    function("type", (1, 1), "a resource's full ARM type, or the type an id names", Strict(type_of)),
    function("name", (1, 1), "a resource's full ARM name (`vnet/snet`)", Strict(name)),
    function("leaf", (1, 1), "the last segment of a resource's (or an id's) name", Strict(leaf)),
    function("managed", (1, 1), "whether a resource is declared here", Strict(managed)),
    function("known", (1, 1), "true unless the value (or anything in it) is unknown", Strict(known)),
    function("exists", (1, 1), "true if present and not null, `''` or `[]`", Strict(exists)),
    function("first", (1, 1), "the first element of a list, or missing", Strict(first)),
    function("lower", (1, 1), "a string in lower case", Strict(change_case)),
    function("upper", (1, 1), "a string in upper case", Strict(change_case)),
    function("starts_with", (2, 2), "case-insensitive prefix test", Strict(text_test)),
    function("ends_with", (2, 2), "case-insensitive suffix test", Strict(text_test)),
    function("contains", (2, 2), "case-insensitive substring test", Strict(text_test)),
    function("matches", (2, 2), "case-insensitive regular expression search", Strict(pattern_match)),
    function("matches_template", (2, 2), "whole-string match, each `{placeholder}` one DNS label", Strict(pattern_match)),
    function("table", (1, 1), "the rows of a data table", Strict(table)),
    function("any", (2, 2), "whether a condition holds for some element", Quantifier),
    function("all", (2, 2), "whether a condition holds for every element", Quantifier),
    function("none", (2, 2), "whether a condition holds for no element", Quantifier),
    function("count", (1, 2), "the number of elements (where a condition holds)", Quantifier),
    function("filter", (2, 2), "the elements where a condition holds", Quantifier),
    function("if", (3, 3), "the second or third argument, by the first", Lazy(choose)),
    function("complete", (0, 0), "false when the unit may declare resources plinth cannot see", Strict(complete)),
    function("api_version", (1, 1), "the API version a resource is declared with", Strict(api_version)),
    function("before", (2, 2), "whether one resource is declared before another", Strict(before)),
    function("may_be", (2, 2), "whether two declarations may be one resource: one type, certainly one name, scopes not known to differ", Strict(may_be)),
    function("resource_group", (1, 1), "a resource's resource group name", Strict(resource_group)),
    function("ipv4", (1, 1), "a dotted-quad IPv4 address as a number", Strict(ipv4)),
    function("region", (1, 1), "a location normalised for comparison (`westeurope`)", Strict(region)),
    function("prefix_length", (1, 1), "the prefix length of an IPv4 CIDR", Strict(prefix_length)),
    function("port_in", (2, 2), "whether an NSG port spec covers a port", Strict(port_in)),
    function("distinct", (1, 1), "the different values of a list, nested lists flattened", Strict(distinct)),
    function("labels", (1, 1), "the number of dot-separated labels of a DNS name", Strict(labels)),
    function("lookup", (3, 3), "the rows of a table whose column equals a value, by index", Strict(lookup)),
    function("setting", (2, 2), "the running rule's setting from `.plinth.yaml`, else a default", Strict(setting)),
    function("address_count", (1, 1), "the number of addresses of an IPv4 CIDR", Strict(address_count)),
    function("cidr_contains", (2, 2), "whether one IPv4 CIDR (or address) contains another", Strict(cidr_contains)),
];

/// The function called `name`, if the language has one.
pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Whether `name` takes `x -> condition` as its second argument.
pub fn takes_lambda(name: &str) -> bool {
    find(name).is_some_and(|f| matches!(f.implementation, Quantifier))
}

/// `if(cond, a, b)`: only the branch taken is evaluated.
fn choose<'g>(
    cx: &mut Context<'g>,
    _name: &str,
    args: &[Expr],
    env: &mut Env<'g>,
) -> RuleValue<'g> {
    match args.first().map(|c| cx.truth(c, env)) {
        Some(Truth::True) => args
            .get(1)
            .map(|e| cx.eval(e, env))
            .unwrap_or(RuleValue::Missing),
        Some(Truth::False) => args
            .get(2)
            .map(|e| cx.eval(e, env))
            .unwrap_or(RuleValue::Missing),
        _ => RuleValue::Unknown,
    }
}

fn follow_id<'g>(cx: &mut Context<'g>, v: RuleValue<'g>) -> RuleValue<'g> {
    match v {
        RuleValue::Res(_) | RuleValue::Missing | RuleValue::Unknown => v,
        RuleValue::List(items) => {
            RuleValue::List(items.into_iter().map(|i| follow_id(cx, i)).collect())
        }
        other => match scalar(&other) {
            Scalar::Null => RuleValue::Missing,
            Scalar::Id(id) => cx
                .graph
                .resolve(&id)
                .map(RuleValue::Res)
                .unwrap_or(RuleValue::Unknown),
            _ => RuleValue::Unknown,
        },
    }
}

/// `any`, `all`, `none`, `count` and `filter` over a list, with an
/// optional `x -> condition`; Kleene logic throughout.
pub(crate) fn quantifier<'g>(
    cx: &mut Context<'g>,
    name: &str,
    args: &[Expr],
    env: &mut Env<'g>,
) -> RuleValue<'g> {
    let Some(list) = args.first().map(|a| cx.eval(a, env)) else {
        return RuleValue::Unknown;
    };
    let Some(items) = elements(&list) else {
        return RuleValue::Unknown;
    };
    let mut truths = Vec::with_capacity(items.len());
    for item in &items {
        let t = match args.get(1) {
            Some(Expr::Lambda(param, body)) => {
                env.push((param.clone(), item.clone()));
                let t = cx.truth(body, env);
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
                RuleValue::Unknown
            } else {
                let n = truths.iter().filter(|t| **t == Truth::True).count();
                RuleValue::Val(Value::Number(n as f64))
            }
        }
        _ => {
            if truths.contains(&Truth::Unknown) {
                RuleValue::Unknown
            } else {
                RuleValue::List(
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

fn resources<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    match values.first().map_or(Scalar::Null, scalar) {
        Scalar::Str(t) => RuleValue::List(
            graph
                .of_type(&t)
                .iter()
                .map(|&i| RuleValue::Res(i))
                .collect(),
        ),
        _ => RuleValue::Unknown,
    }
}

fn follow<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    follow_id(cx, arg(0))
}

fn parent<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_resource(arg(0), |idx| {
        if graph.get(idx).names.len() < 2 {
            RuleValue::Missing
        } else {
            graph
                .parent(idx)
                .map(RuleValue::Res)
                .unwrap_or(RuleValue::Unknown)
        }
    })
}

fn children<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    let rtype = values.get(1).map_or(Scalar::Null, scalar);
    map_resource(arg(0), |idx| match &rtype {
        Scalar::Str(t) => RuleValue::List(
            graph
                .children(idx)
                .iter()
                .filter(|&&c| type_matches(&graph.get(c).rtype, t))
                .map(|&c| RuleValue::Res(c))
                .collect(),
        ),
        _ => RuleValue::Unknown,
    })
}

fn referrers<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    // Without a type: referrers of every type.
    let rtype = match values.get(1) {
        None => Scalar::Str(Cow::Borrowed("")),
        Some(second) => scalar(second),
    };
    map_resource(arg(0), |idx| match &rtype {
        Scalar::Str(t) => {
            let mut from: Vec<ResourceIdx> = graph
                .referrers(idx)
                .iter()
                .map(|r| r.from)
                .filter(|&f| f != idx)
                .filter(|&f| t.is_empty() || type_matches(&graph.get(f).rtype, t))
                .collect();
            from.sort_unstable();
            from.dedup();
            RuleValue::List(from.into_iter().map(RuleValue::Res).collect())
        }
        _ => RuleValue::Unknown,
    })
}

fn is<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    // One type, or a list of types (any of them).
    let types: Option<Vec<String>> = match scalar(&arg(1)) {
        Scalar::Str(t) => Some(vec![t.into_owned()]),
        Scalar::List(items) => items
            .iter()
            .map(|i| match scalar(i) {
                Scalar::Str(t) => Some(t.into_owned()),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    map_type(cx, arg(0), &mut |rtype| match &types {
        Some(types) => RuleValue::Val(Value::Bool(types.iter().any(|t| type_matches(rtype, t)))),
        None => RuleValue::Unknown,
    })
}

/// The type of a resource, or the type an id names whether or not it
/// resolves (`resourceId('Microsoft.Sql/servers', parameters('name'))` names
/// a SQL server whatever the name), passed to `f`; maps over lists.
fn map_type<'g>(
    cx: &Context<'g>,
    v: RuleValue<'g>,
    f: &mut dyn FnMut(&str) -> RuleValue<'g>,
) -> RuleValue<'g> {
    match v {
        RuleValue::Res(idx) => f(&cx.graph.get(idx).rtype),
        RuleValue::Missing => RuleValue::Missing,
        RuleValue::List(items) => {
            RuleValue::List(items.into_iter().map(|i| map_type(cx, i, f)).collect())
        }
        other => match scalar(&other) {
            Scalar::Id(id) => f(&id.rtype),
            Scalar::Null => RuleValue::Missing,
            Scalar::List(items) => {
                RuleValue::List(items.into_iter().map(|i| map_type(cx, i, f)).collect())
            }
            _ => RuleValue::Unknown,
        },
    }
}

fn type_of<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_type(cx, arg(0), &mut |rtype| {
        RuleValue::Val(Value::String(rtype.into()))
    })
}

fn name<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_resource(arg(0), |idx| match graph.get(idx).full_name() {
        Some(n) => RuleValue::Val(Value::String(n.into())),
        None => RuleValue::Unknown,
    })
}

fn leaf<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    let known = |part: Option<&crate::model::Part>| match part {
        Some(crate::model::Part::Known(n)) => RuleValue::Val(Value::String(n.as_str().into())),
        _ => RuleValue::Unknown,
    };
    match arg(0) {
        v @ (RuleValue::Res(_) | RuleValue::Missing | RuleValue::List(_)) => {
            map_resource(v, |idx| known(graph.get(idx).names.last()))
        }
        // An id: the resource it names, else the id's own last name.
        other => match scalar(&other) {
            Scalar::Id(id) => match graph.resolve(&id) {
                Some(idx) => known(graph.get(idx).names.last()),
                None => known(id.names.last()),
            },
            _ => RuleValue::Unknown,
        },
    }
}

fn managed<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_resource(arg(0), |idx| {
        RuleValue::Val(Value::Bool(graph.get(idx).managed))
    })
}

fn api_version<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_resource(arg(0), |idx| match &graph.get(idx).api_version {
        Some(v) => RuleValue::Val(Value::String(v.as_str().into())),
        None => RuleValue::Missing,
    })
}

fn resource_group<'g>(
    cx: &mut Context<'g>,
    _name: &str,
    values: &[RuleValue<'g>],
) -> RuleValue<'g> {
    let graph = cx.graph;
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    map_resource(arg(0), |idx| match &graph.get(idx).resource_group {
        crate::model::Part::Known(rg) => RuleValue::Val(Value::String(rg.as_str().into())),
        _ => RuleValue::Unknown,
    })
}

fn before<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (&arg(0), &arg(1)) {
        (RuleValue::Res(a), RuleValue::Res(b)) => RuleValue::Val(Value::Bool(a < b)),
        _ => RuleValue::Unknown,
    }
}

/// `may_be(a, b)`: see [`crate::model::Resource::may_be`]; a resource
/// may always be itself.
fn may_be<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (&arg(0), &arg(1)) {
        (RuleValue::Res(a), RuleValue::Res(b)) => RuleValue::Val(Value::Bool(
            a == b || cx.graph.get(*a).may_be(cx.graph.get(*b)),
        )),
        _ => RuleValue::Unknown,
    }
}

fn ipv4<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(s) => match crate::cidr::ipv4(&s) {
            Some(ip) => RuleValue::Val(Value::Number(f64::from(ip))),
            None => RuleValue::Missing,
        },
        Scalar::Unknown => RuleValue::Unknown,
        _ => RuleValue::Missing,
    }
}

/// The labels of a DNS name; unknown when one is empty (`a..b`), which is
/// no name at all. A count, not a pattern: no regex to compile.
fn labels<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    match values.first().map(scalar) {
        Some(Scalar::Str(s)) if !s.split('.').any(str::is_empty) => {
            RuleValue::Val(Value::Number(s.split('.').count() as f64))
        }
        Some(Scalar::Null) => RuleValue::Missing,
        _ => RuleValue::Unknown,
    }
}

fn distinct<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match arg(0) {
        RuleValue::Unknown => RuleValue::Unknown,
        list => {
            // Flattens nested lists (what mapping over lists gives),
            // then keeps the first of each equal value.
            let mut flat = Vec::new();
            let mut stack = vec![list];
            while let Some(v) = stack.pop() {
                match elements(&v) {
                    Some(items)
                        if matches!(v, RuleValue::List(_))
                            || matches!(scalar(&v), Scalar::List(_)) =>
                    {
                        stack.extend(items.into_iter().rev());
                    }
                    _ => flat.push(v),
                }
            }
            let mut out: Vec<RuleValue<'g>> = Vec::new();
            for v in flat {
                if matches!(v, RuleValue::Missing) {
                    continue;
                }
                match out
                    .iter()
                    .fold(Truth::False, |acc, o| acc.or(cx.equals(o, &v)))
                {
                    Truth::True => {}
                    Truth::False => out.push(v),
                    Truth::Unknown => return RuleValue::Unknown,
                }
            }
            RuleValue::List(out)
        }
    }
}

fn port_in<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (scalar(&arg(0)), arg(1)) {
        (Scalar::Num(port), spec) => port_spec_covers(port, &spec),
        (Scalar::Null, _) => RuleValue::Missing,
        _ => RuleValue::Unknown,
    }
}

fn address_count<'g>(
    _cx: &mut Context<'g>,
    _name: &str,
    values: &[RuleValue<'g>],
) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(text) => match ipv4_range(&text) {
            Some((first, last)) => RuleValue::Val(Value::Number(f64::from(last - first) + 1.0)),
            None => RuleValue::Missing,
        },
        Scalar::Unknown => RuleValue::Unknown,
        _ => RuleValue::Missing,
    }
}

fn cidr_contains<'g>(
    _cx: &mut Context<'g>,
    _name: &str,
    values: &[RuleValue<'g>],
) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (scalar(&arg(0)), scalar(&arg(1))) {
        (Scalar::Str(outer), Scalar::Str(inner)) => {
            match (ipv4_range(&outer), ipv4_range(&inner)) {
                (Some((a, b)), Some((c, d))) => RuleValue::Val(Value::Bool(a <= c && d <= b)),
                _ => RuleValue::Missing,
            }
        }
        (Scalar::Null, _) | (_, Scalar::Null) => RuleValue::Missing,
        _ => RuleValue::Unknown,
    }
}

fn region<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(s) => RuleValue::Val(Value::String(
            s.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
                .into(),
        )),
        Scalar::Null => RuleValue::Missing,
        _ => RuleValue::Unknown,
    }
}

fn prefix_length<'g>(
    _cx: &mut Context<'g>,
    _name: &str,
    values: &[RuleValue<'g>],
) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(s) => match Range::parse_ipv4(s.trim()) {
            Some(range) => RuleValue::Val(Value::Number(f64::from(range.prefix))),
            None => RuleValue::Missing,
        },
        Scalar::Unknown => RuleValue::Unknown,
        _ => RuleValue::Missing,
    }
}

fn known<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    RuleValue::Val(Value::Bool(is_known(&arg(0))))
}

fn complete<'g>(cx: &mut Context<'g>, _name: &str, _values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let graph = cx.graph;
    RuleValue::Val(Value::Bool(graph.opaque.is_empty()))
}

fn exists<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    truth_value(presence(&arg(0)))
}

fn first<'g>(_cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match elements(&arg(0)) {
        Some(items) => items.into_iter().next().unwrap_or(RuleValue::Missing),
        None => RuleValue::Unknown,
    }
}

fn change_case<'g>(_cx: &mut Context<'g>, name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(s) => RuleValue::Val(Value::String(if name == "lower" {
            s.to_lowercase().into()
        } else {
            s.to_uppercase().into()
        })),
        Scalar::Null => RuleValue::Missing,
        _ => RuleValue::Unknown,
    }
}

fn text_test<'g>(_cx: &mut Context<'g>, name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (scalar(&arg(0)), scalar(&arg(1))) {
        (Scalar::Str(s), Scalar::Str(p)) => {
            let (s, p) = (s.to_lowercase(), p.to_lowercase());
            RuleValue::Val(Value::Bool(match name {
                "starts_with" => s.starts_with(&p),
                "ends_with" => s.ends_with(&p),
                _ => s.contains(&p),
            }))
        }
        (Scalar::Null, Scalar::Str(_)) => RuleValue::Val(Value::Bool(false)),
        _ => RuleValue::Unknown,
    }
}

fn pattern_match<'g>(cx: &mut Context<'g>, name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (scalar(&arg(0)), scalar(&arg(1))) {
        (Scalar::Str(s), Scalar::Str(p)) => {
            if name == "matches_template"
                && let Some(matched) = template_matches(&s, &p)
            {
                return RuleValue::Val(Value::Bool(matched));
            }
            let pattern = if name == "matches" {
                p
            } else {
                Cow::Owned(template_regex(&p))
            };
            match cx.regex(&pattern) {
                Some(re) => RuleValue::Val(Value::Bool(re.is_match(&s))),
                None => RuleValue::Unknown,
            }
        }
        (Scalar::Null, Scalar::Str(_)) => RuleValue::Val(Value::Bool(false)),
        _ => RuleValue::Unknown,
    }
}

// The running rule's setting from `.plinth.yaml`, else the default.
fn setting<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(key) => match cx.settings.and_then(|s| s.get(key.as_ref())) {
            Some(value) => RuleValue::Val(value.clone()),
            None => arg(1),
        },
        _ => RuleValue::Unknown,
    }
}

// The rows whose `column` equals `value` (case-insensitively), by index.
fn lookup<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match (scalar(&arg(0)), scalar(&arg(1)), scalar(&arg(2))) {
        (Scalar::Str(t), Scalar::Str(column), Scalar::Str(value)) => {
            match cx.tables.lookup(&t, &column, &value) {
                Some(rows) => RuleValue::List(
                    rows.into_iter()
                        .map(|node| RuleValue::Node {
                            node,
                            managed: true,
                        })
                        .collect(),
                ),
                None => RuleValue::Unknown,
            }
        }
        (Scalar::Str(_), Scalar::Str(_), Scalar::Null) => RuleValue::List(Vec::new()),
        _ => RuleValue::Unknown,
    }
}

fn table<'g>(cx: &mut Context<'g>, _name: &str, values: &[RuleValue<'g>]) -> RuleValue<'g> {
    let arg = |i: usize| values.get(i).cloned().unwrap_or(RuleValue::Missing);
    match scalar(&arg(0)) {
        Scalar::Str(t) => match cx.tables.get(&t) {
            Some(rows) => RuleValue::List(
                rows.into_iter()
                    .map(|node| RuleValue::Node {
                        node,
                        managed: true,
                    })
                    .collect(),
            ),
            None => RuleValue::Unknown,
        },
        _ => RuleValue::Unknown,
    }
}

/// Whether an NSG port spec (`*`, `5432`, `5000-6000`, or a list of them)
/// covers `port`; missing when the spec is absent or malformed.
fn port_spec_covers<'g>(port: f64, spec: &RuleValue<'g>) -> RuleValue<'g> {
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
        Scalar::Str(text) => {
            one(&text).map_or(RuleValue::Missing, |b| RuleValue::Val(Value::Bool(b)))
        }
        Scalar::Num(n) => RuleValue::Val(Value::Bool(n == port)),
        Scalar::List(items) => {
            let mut any = false;
            for item in &items {
                match scalar(item) {
                    Scalar::Str(text) => match one(&text) {
                        Some(b) => any |= b,
                        None => return RuleValue::Missing,
                    },
                    Scalar::Num(n) => any |= n == port,
                    Scalar::Unknown => return RuleValue::Unknown,
                    _ => return RuleValue::Missing,
                }
            }
            RuleValue::Val(Value::Bool(any))
        }
        Scalar::Unknown => RuleValue::Unknown,
        _ => RuleValue::Missing,
    }
}

/// An IPv4 address or CIDR as its first and last address.
fn ipv4_range(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let range = if text.contains('/') {
        Range::parse_ipv4(text)?
    } else {
        Range::new(u128::from(crate::cidr::ipv4(text)?), 32, 32)?
    };
    Some((range.network as u32, range.last() as u32))
}

fn map_resource<'g>(
    v: RuleValue<'g>,
    mut f: impl FnMut(ResourceIdx) -> RuleValue<'g>,
) -> RuleValue<'g> {
    map_resource_dyn(v, &mut f)
}

fn map_resource_dyn<'g>(
    v: RuleValue<'g>,
    f: &mut dyn FnMut(ResourceIdx) -> RuleValue<'g>,
) -> RuleValue<'g> {
    match v {
        RuleValue::Res(idx) => f(idx),
        RuleValue::Missing => RuleValue::Missing,
        RuleValue::List(items) => {
            RuleValue::List(items.into_iter().map(|i| map_resource_dyn(i, f)).collect())
        }
        _ => RuleValue::Unknown,
    }
}

/// `Microsoft.Network/privateDnsZones/virtualNetworkLinks` matches itself
/// and its last segments (`virtualNetworkLinks`), case-insensitively.
fn type_matches(rtype: &str, wanted: &str) -> bool {
    if rtype.eq_ignore_ascii_case(wanted) {
        return true;
    }
    // `…/{wanted}` compared as bytes: no copy lower-cased.
    let (r, w) = (rtype.as_bytes(), wanted.as_bytes());
    !wanted.contains('.')
        && r.len() > w.len()
        && r[r.len() - w.len() - 1] == b'/'
        && r[r.len() - w.len()..].eq_ignore_ascii_case(w)
}

/// Present and not null, empty string or empty list.
fn presence(v: &RuleValue) -> Truth {
    match scalar(v) {
        Scalar::Unknown => Truth::Unknown,
        Scalar::Null => Truth::False,
        Scalar::Str(s) => Truth::from_bool(!s.is_empty()),
        Scalar::List(items) => {
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
    use regex::Regex;

    /// The functions `rules/README.md` documents: each `name(` in the first
    /// column of the table under `## Functions`.
    fn documented() -> Vec<String> {
        let readme = include_str!("../../rules/README.md");
        let section = readme
            .split("\n## Functions\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("rules/README.md has a `## Functions` section");
        let call = Regex::new(r"`([a-z_0-9]+)\(").unwrap();
        section
            .lines()
            .filter_map(|line| line.strip_prefix("| "))
            .filter_map(|row| row.split(" | ").next())
            .flat_map(|cell| {
                call.captures_iter(cell)
                    .map(|c| c[1].to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_readme_documents_exactly_the_registry() {
        let documented = documented();
        for f in FUNCTIONS {
            assert!(
                documented.iter().any(|d| d == f.name),
                "`{}` is in the registry but not in rules/README.md's function table",
                f.name
            );
        }
        for d in &documented {
            assert!(
                find(d).is_some(),
                "rules/README.md documents `{d}`, which the registry does not have"
            );
        }
    }

    #[test]
    fn every_function_is_registered_once_with_a_doc_and_a_sane_arity() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(
                FUNCTIONS[..i].iter().all(|g| g.name != f.name),
                "`{}` is registered twice",
                f.name
            );
            assert!(!f.doc.is_empty(), "`{}` has no doc", f.name);
            assert!(f.arity.0 <= f.arity.1, "`{}`: min above max", f.name);
        }
    }

    #[test]
    fn only_the_quantifiers_take_a_lambda() {
        let lambdas: Vec<&str> = FUNCTIONS
            .iter()
            .map(|f| f.name)
            .filter(|name| takes_lambda(name))
            .collect();
        assert_eq!(lambdas, ["any", "all", "none", "count", "filter"]);
    }

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
        // Case ignored; whole segments only; a type with a dot is whole.
        assert!(type_matches("Microsoft.Network/privateDnsZones/A", "a"));
        assert!(!type_matches("Microsoft.Network/privateDnsZones/AAAA", "a"));
        assert!(!type_matches(
            "virtualNetworkLinks",
            "virtualNetworkLinks/x"
        ));
        assert!(!type_matches(
            "Microsoft.Network/x/links",
            "network/x/links"
        ));
        assert!(!type_matches(
            "Microsoft.Network/é/links",
            "Network/é/links"
        ));
    }
}
