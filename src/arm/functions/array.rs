//! Array functions, and the functions ARM shares between arrays, strings
//! and objects (`concat`, `contains`, `empty`, `length`, `first`, `last`,
//! `take`, `skip`, `union`, `intersection`): each name lives in one family.
//! Also `createArray`, `array`, `flatten`, `range`. Not here: the lambda
//! functions over arrays (`filter`, `map`, … in `lambda.rs`), string joining
//! (`join`, and `concat` of strings, in `string.rs`).

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::Expr;
use crate::model::{Node, Object, Value};

use super::logical::same_json;
use super::string::join;
use super::{Answer, MAX_ELEMENTS, node};

/// `length(range(start, count))`, known without building the range.
pub(super) fn lazy(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    // A Bicep loop over `range(start, count)` becomes a copy of
    // `length(range(…))`: its count is known without building the
    // range, so a count past `max_copies` is a located hit rather
    // than a range too large to build, silently unknown.
    if name == "length"
        && let [Expr::Call(inner, range_args)] = args
        && inner == "range"
        && let [_, count] = range_args.as_slice()
        && let Value::Number(n) = scope.eval(count, copies)
        && n >= 0.0
        && n.fract() == 0.0
    {
        return Some(Value::Number(n));
    }
    // Every call is asked here: the name first, the argument's shape only
    // for the three functions that read in place.
    if matches!(name, "length" | "empty" | "tryget")
        && crate::arm::eval::rooted_in_kept(args.first()?)
    {
        return reads_in_place(scope, name, args, copies);
    }
    None
}

fn empty(v: &Value) -> Value {
    match v {
        Value::Null => Value::Bool(true),
        Value::String(s) => Value::Bool(s.is_empty()),
        Value::Array(a) => Value::Bool(a.is_empty()),
        Value::Object(o) => Value::Bool(o.is_empty()),
        _ => Value::Unknown,
    }
}

fn length(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::Number(s.chars().count() as f64),
        Value::Array(a) => Value::Number(a.len() as f64),
        Value::Object(o) => Value::Number(o.len() as f64),
        _ => Value::Unknown,
    }
}

/// `length(x)`, `empty(x)` and `tryGet(x, keys…)` only read `x`: where it
/// is kept (a parameter, a variable, a module's outputs, a member or
/// element of one), it is read there, not copied whole for them.
fn reads_in_place(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    let (first, rest) = args.split_first()?;
    match (name, rest.len()) {
        ("length" | "empty", 0) => {}
        ("tryget", n) if n > 0 => {}
        _ => return None,
    }
    let rest: Vec<Value> = rest.iter().map(|a| scope.eval(a, copies)).collect();
    let answer = |v: &Value| match name {
        "length" => length(v),
        "empty" => empty(v),
        _ => super::object::try_get(v, &rest),
    };
    Some(match scope.read_in_place(first, copies, answer) {
        Some(value) => value,
        // Not kept after all: evaluated, as the function would have it.
        None => answer(&scope.eval(first, copies)),
    })
}

/// The array functions of evaluated arguments.
#[allow(clippy::too_many_lines)] // one arm per array function: the family's table reads best whole
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("concat", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Array(_))) => {
            V::Array(
                args.drain(..)
                    .flat_map(|a| match a {
                        V::Array(items) => items,
                        _ => Vec::new(),
                    })
                    .collect(),
            )
        }
        ("concat", _) => join(std::mem::take(args)),
        ("contains", [V::String(s), V::String(p)]) => V::Bool(s.contains(p.as_str())),
        ("contains", [V::Object(o), V::String(k)]) => V::Bool(o.get(k).is_some()),
        ("contains", [V::Array(items), x])
            if !x.contains_unknown() && !items.iter().any(|i| i.value.contains_unknown()) =>
        {
            V::Bool(items.iter().any(|i| same_json(&i.value, x)))
        }
        ("empty", [v]) => empty(v),
        ("length", [v]) => length(v),
        ("first", [V::String(s)]) => V::String(s.chars().take(1).collect()),
        ("last", [V::String(s)]) => V::String(
            s.chars()
                .last()
                .map(String::from)
                .unwrap_or_default()
                .into(),
        ),
        ("first", [V::Array(a)]) => a.first().map_or(V::Null, |n| n.value.clone()),
        ("last", [V::Array(a)]) => a.last().map_or(V::Null, |n| n.value.clone()),
        ("take", [V::Array(a), V::Number(n)]) => {
            V::Array(a.iter().take(n.max(0.0) as usize).cloned().collect())
        }
        ("skip", [V::Array(a), V::Number(n)]) => {
            V::Array(a.iter().skip(n.max(0.0) as usize).cloned().collect())
        }
        ("take", [V::String(s), V::Number(n)]) => {
            V::String(s.chars().take(n.max(0.0) as usize).collect())
        }
        ("skip", [V::String(s), V::Number(n)]) => {
            V::String(s.chars().skip(n.max(0.0) as usize).collect())
        }
        ("createarray", _) => V::Array(args.drain(..).map(node).collect()),
        ("array", [V::Array(a)]) => V::Array(a.clone()),
        ("array", [v]) => V::Array(vec![node(v.clone())]),
        ("union", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Object(_))) => {
            let mut merged = Object::new();
            for a in args.drain(..) {
                if let V::Object(o) = a {
                    for (k, v) in o.into_entries() {
                        merged.insert(k, v);
                    }
                }
            }
            V::Object(merged)
        }
        ("union", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Array(_))) => {
            if args.iter().any(Value::contains_unknown) {
                return Some(V::Unknown);
            }
            let mut out: Vec<Node> = Vec::new();
            for a in args.drain(..) {
                if let V::Array(items) = a {
                    for item in items {
                        if !out.iter().any(|o| same_json(&o.value, &item.value)) {
                            out.push(item);
                        }
                    }
                }
            }
            V::Array(out)
        }
        ("intersection", [first, rest @ ..])
            if !rest.is_empty() && !args.iter().any(Value::contains_unknown) =>
        {
            match first {
                V::Object(o) => {
                    let mut out = Object::new();
                    for (k, v) in o.iter() {
                        let everywhere = rest.iter().all(|other| match other {
                            V::Object(p) => p.get(k).is_some_and(|w| same_json(&w.value, &v.value)),
                            _ => false,
                        });
                        if everywhere {
                            out.insert(k, v.clone());
                        }
                    }
                    V::Object(out)
                }
                V::Array(items) => {
                    let mut out: Vec<Node> = Vec::new();
                    for item in items {
                        let everywhere = rest.iter().all(|other| match other {
                            V::Array(p) => p.iter().any(|w| same_json(&w.value, &item.value)),
                            _ => false,
                        });
                        if everywhere && !out.iter().any(|o| same_json(&o.value, &item.value)) {
                            out.push(item.clone());
                        }
                    }
                    V::Array(out)
                }
                _ => V::Unknown,
            }
        }
        ("flatten", [V::Array(items)]) => {
            let mut out = Vec::new();
            for item in items {
                match &item.value {
                    V::Array(inner) => out.extend(inner.iter().cloned()),
                    _ => return Some(V::Unknown),
                }
            }
            V::Array(out)
        }
        ("range", [V::Number(start), V::Number(count)])
            if *count >= 0.0 && (*count as usize) <= MAX_ELEMENTS =>
        {
            V::Array(
                (0..*count as i64)
                    .map(|i| node(V::Number(start + i as f64)))
                    .collect(),
            )
        }
        _ => return None,
    })
}
