//! Numeric functions: `int`, `float`, `add`, `sub`, `mul`, `div`, `mod`,
//! `min`, `max`. Not here: `copyIndex()` (it reads the copy loop: see
//! `deployment.rs`), `range()` (`array.rs`), comparisons (`logical.rs`).

use crate::model::Value;

use super::Answer;

/// The numeric functions.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("int", [V::Number(n)]) => V::Number(n.trunc()),
        ("int", [V::String(s)]) => s
            .trim()
            .parse::<i64>()
            .map_or(V::Unknown, |n| V::Number(n as f64)),
        ("float", [V::Number(n)]) => V::Number(*n),
        ("float", [V::String(s)]) => s.trim().parse::<f64>().map_or(V::Unknown, V::Number),
        ("add", [V::Number(a), V::Number(b)]) => V::Number(a + b),
        ("sub", [V::Number(a), V::Number(b)]) => V::Number(a - b),
        ("mul", [V::Number(a), V::Number(b)]) => V::Number(a * b),
        ("div", [V::Number(a), V::Number(b)]) if *b != 0.0 => V::Number((a / b).trunc()),
        ("mod", [V::Number(a), V::Number(b)]) if *b != 0.0 => V::Number(a % b),
        ("min" | "max", _) => {
            let numbers: Option<Vec<f64>> = match args.as_slice() {
                [V::Array(items)] => items.iter().map(|i| number(&i.value)).collect(),
                _ => args.iter().map(number).collect(),
            };
            match numbers.filter(|n| !n.is_empty()) {
                Some(n) if name == "min" => V::Number(n.into_iter().fold(f64::INFINITY, f64::min)),
                Some(n) => V::Number(n.into_iter().fold(f64::NEG_INFINITY, f64::max)),
                None => V::Unknown,
            }
        }
        _ => return None,
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        _ => None,
    }
}
