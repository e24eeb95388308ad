//! Object functions: `null`, `createObject`/`object`, `shallowMerge`,
//! `objectKeys`, `items`, `tryGet`, `json`. Not here: the functions ARM
//! shares between objects, arrays and strings (`contains`, `empty`,
//! `length`, `union`, `intersection`: see `array.rs`), and member access
//! (`a.b`, `a['b']`), which is the evaluator's (`eval.rs`).

use crate::model::{Node, Object, Value};

use super::{Answer, node};

/// One entry of `items()`: `{ key, value }`.
pub(in crate::arm) fn item(key: &str, value: Node) -> Value {
    let mut item = Object::new();
    item.insert("key", node(Value::String(key.into())));
    item.insert("value", value);
    Value::Object(item)
}

/// `tryGet(target, keys…)`: walked where the value is, only what it
/// finds copied.
pub(super) fn try_get(target: &Value, keys: &[Value]) -> Value {
    let mut current = target;
    for key in keys {
        current = match (current, key) {
            (Value::Object(o), Value::String(k)) => o.get(k).map_or(&Value::Null, |n| &n.value),
            (Value::Array(a), Value::Number(i)) if *i >= 0.0 => {
                a.get(*i as usize).map_or(&Value::Null, |n| &n.value)
            }
            (Value::Null, _) => &Value::Null,
            _ => return Value::Unknown,
        };
    }
    current.clone()
}

/// The object functions.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("null", []) => V::Null,
        ("createobject" | "object", _) if args.len().is_multiple_of(2) => {
            let mut object = Object::new();
            for pair in args.chunks(2) {
                match &pair[0] {
                    V::String(k) => object.insert(k.as_str(), node(pair[1].clone())),
                    _ => return Some(V::Unknown),
                }
            }
            V::Object(object)
        }
        ("shallowmerge", [V::Array(items)]) => {
            let mut merged = Object::new();
            for item in items {
                match &item.value {
                    V::Object(o) => {
                        for (k, v) in o.iter() {
                            merged.insert(k, v.clone());
                        }
                    }
                    _ => return Some(V::Unknown),
                }
            }
            V::Object(merged)
        }
        ("objectkeys", [V::Object(o)]) => {
            V::Array(o.iter().map(|(k, _)| node(V::String(k.into()))).collect())
        }
        ("items", [V::Object(o)]) => {
            V::Array(o.iter().map(|(k, v)| node(item(k, v.clone()))).collect())
        }
        ("tryget", [target, keys @ ..]) if !keys.is_empty() => try_get(target, keys),
        ("json", [V::String(s)]) => {
            serde_json::from_str::<serde_json::Value>(s).map_or(V::Unknown, |j| V::from_json(&j))
        }
        _ => return None,
    })
}
