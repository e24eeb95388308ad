//! Logical and comparison functions: `if` (lazily: only the branch taken is
//! evaluated), `true`, `false`, `and`, `or`, `not`, `bool`, `coalesce`,
//! `equals`, `less` and its siblings; and `same_json`, the equality the
//! collection functions share. Not here: strings that differ only in case
//! are not decided by `equals` (ARM's comparison rules differ between
//! functions), and nothing else is compared but numbers and strings.

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::Expr;
use crate::model::Value;

use super::Answer;

/// `if`, which evaluates only the branch taken.
pub(super) fn lazy(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    // Lazily evaluated: only the branch taken may be evaluated.
    match name {
        "if" => Some(match args {
            [c, a, b] => match scope.eval(c, copies) {
                Value::Bool(true) => scope.eval(a, copies),
                Value::Bool(false) => scope.eval(b, copies),
                _ => {
                    let (a, b) = (scope.eval(a, copies), scope.eval(b, copies));
                    if a == b && !a.contains_unknown() {
                        a
                    } else {
                        Value::Unknown
                    }
                }
            },
            _ => Value::Unknown,
        }),
        _ => None,
    }
}

/// The logical and comparison functions of evaluated arguments.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("true", []) => V::Bool(true),
        ("false", []) => V::Bool(false),
        ("coalesce", _) => {
            for a in args.drain(..) {
                match a {
                    V::Null => continue,
                    other => return Some(other),
                }
            }
            V::Null
        }
        ("equals", [a, b]) => equals(a, b),
        ("not", [v]) => truth(v).map_or(V::Unknown, |b| V::Bool(!b)),
        ("and", _) if args.len() >= 2 => {
            if args.iter().any(|a| truth(a) == Some(false)) {
                V::Bool(false)
            } else if args.iter().all(|a| truth(a) == Some(true)) {
                V::Bool(true)
            } else {
                V::Unknown
            }
        }
        ("or", _) if args.len() >= 2 => {
            if args.iter().any(|a| truth(a) == Some(true)) {
                V::Bool(true)
            } else if args.iter().all(|a| truth(a) == Some(false)) {
                V::Bool(false)
            } else {
                V::Unknown
            }
        }
        ("bool", [V::Bool(b)]) => V::Bool(*b),
        ("bool", [V::String(s)]) if s.eq_ignore_ascii_case("true") => V::Bool(true),
        ("bool", [V::String(s)]) if s.eq_ignore_ascii_case("false") => V::Bool(false),
        ("bool", [V::Number(n)]) => V::Bool(*n != 0.0),
        ("less" | "lessorequals" | "greater" | "greaterorequals", [a, b]) => match compare(a, b) {
            Some(order) => V::Bool(match name {
                "less" => order.is_lt(),
                "lessorequals" => order.is_le(),
                "greater" => order.is_gt(),
                _ => order.is_ge(),
            }),
            None => V::Unknown,
        },
        _ => return None,
    })
}

/// ARM's `equals`: deep equality. Strings that differ only in case are not
/// decided, since ARM's comparison rules differ between functions.
fn equals(a: &Value, b: &Value) -> Value {
    if a.contains_unknown() || b.contains_unknown() {
        return Value::Unknown;
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) if x != y && x.eq_ignore_ascii_case(y) => {
            Value::Unknown
        }
        (Value::Id(_), _) | (_, Value::Id(_)) => Value::Unknown,
        _ => Value::Bool(a == b || same_json(a, b)),
    }
}

/// Equality ignoring spans.
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(&p.value, &q.value))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(&v.value, &w.value)))
        }
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}
