//! Lambda functions: `lambdaVariables` and the higher-order functions
//! `filter`, `map`, `sort`, `reduce`, `toObject`, `mapValues`, `groupBy`,
//! which apply a `lambda(…)` to each element. Not here: user-defined
//! functions (`ns.name(…)`), which the dispatch in `mod.rs` hands to the
//! evaluator (`eval.rs`).

use crate::arm::eval::{Copy, MAX_DEPTH, Scope};
use crate::arm::expr::Expr;
use crate::model::{Node, Object, Value};

use super::{MAX_ELEMENTS, node};

/// `lambdaVariables` and the functions that take a lambda.
pub(super) fn lazy(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    match name {
        "lambdavariables" => {
            let name = args.first().map(|a| scope.eval(a, copies));
            let bindings = scope.lambdas.borrow();
            Some(match name {
                Some(Value::String(n)) => bindings
                    .iter()
                    .rev()
                    .find(|(b, _)| b.eq_ignore_ascii_case(&n))
                    .map_or(Value::Unknown, |(_, v)| v.clone()),
                _ => Value::Unknown,
            })
        }
        "filter" | "map" | "sort" | "reduce" | "toobject" | "mapvalues" | "groupby" => {
            Some(scope.higher_order(name, args, copies))
        }
        _ => None,
    }
}

impl Scope<'_> {
    /// Applies `lambda('a', 'b', body)` to `values` (one per parameter; extra
    /// values, such as an index the lambda does not name, are ignored).
    fn apply(&self, lambda: &Expr, values: &[Value], copies: &[Copy]) -> Value {
        let Expr::Call(name, parts) = lambda else {
            return Value::Unknown;
        };
        let Some((body, params)) = parts.split_last() else {
            return Value::Unknown;
        };
        if name != "lambda" || params.len() > values.len() {
            return Value::Unknown;
        }
        let mut names = Vec::with_capacity(params.len());
        for p in params {
            match p {
                Expr::String(n) => names.push(n.to_string()),
                _ => return Value::Unknown,
            }
        }
        let depth = names.len();
        {
            let mut bindings = self.lambdas.borrow_mut();
            if bindings.len() > MAX_DEPTH {
                return Value::Unknown;
            }
            bindings.extend(names.into_iter().zip(values.iter().cloned()));
        }
        let result = self.shallow(self.eval(body, copies));
        let mut bindings = self.lambdas.borrow_mut();
        let keep = bindings.len().saturating_sub(depth);
        bindings.truncate(keep);
        result
    }

    /// `filter`, `map`, `sort`, `reduce`, `toObject`, `mapValues`, `groupBy`:
    /// known only when the collection and every application are.
    #[allow(clippy::too_many_lines)] // one arm per higher-order function over the same collection
    fn higher_order(&self, name: &str, args: &[Expr], copies: &[Copy]) -> Value {
        use Value as V;
        let Some(collection) = args.first().map(|a| self.eval(a, copies)) else {
            return V::Unknown;
        };
        let items: Vec<Node> = match (&collection, name) {
            (V::Object(o), "mapvalues") => {
                let Some(lambda) = args.get(1) else {
                    return V::Unknown;
                };
                let mut out = Object::new();
                for (k, v) in o.iter() {
                    let mapped = self.apply(lambda, std::slice::from_ref(&v.value), copies);
                    if mapped.contains_unknown() {
                        return V::Unknown;
                    }
                    out.insert(k, node(mapped));
                }
                return V::Object(out);
            }
            (V::Array(items), _) if items.len() <= MAX_ELEMENTS => items.clone(),
            _ => return V::Unknown,
        };
        let index = |i: usize| V::Number(i as f64);
        match (name, args) {
            ("filter", [_, lambda]) => {
                let mut out = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    match self.apply(lambda, &[item.value.clone(), index(i)], copies) {
                        V::Bool(true) => out.push(item),
                        V::Bool(false) => {}
                        _ => return V::Unknown,
                    }
                }
                V::Array(out)
            }
            ("map", [_, lambda]) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(node(self.apply(lambda, &[item.value, index(i)], copies)));
                }
                V::Array(out)
            }
            ("reduce", [_, initial, lambda]) => {
                let mut acc = self.eval(initial, copies);
                for (i, item) in items.into_iter().enumerate() {
                    acc = self.apply(lambda, &[acc, item.value, index(i)], copies);
                    if matches!(acc, V::Unknown) {
                        return V::Unknown;
                    }
                }
                acc
            }
            ("sort", [_, lambda]) => {
                // An insertion sort with the lambda as "a comes before b";
                // any unknown comparison makes the order unknown.
                let mut out: Vec<Node> = Vec::with_capacity(items.len());
                for item in items {
                    let mut at = out.len();
                    for (j, placed) in out.iter().enumerate() {
                        match self.apply(
                            lambda,
                            &[item.value.clone(), placed.value.clone()],
                            copies,
                        ) {
                            V::Bool(true) => {
                                at = j;
                                break;
                            }
                            V::Bool(false) => {}
                            _ => return V::Unknown,
                        }
                    }
                    out.insert(at, item);
                }
                V::Array(out)
            }
            ("toobject", [_, key, rest @ ..]) if rest.len() <= 1 => {
                let mut out = Object::new();
                for item in items {
                    let V::String(k) = self.apply(key, std::slice::from_ref(&item.value), copies)
                    else {
                        return V::Unknown;
                    };
                    let value = match rest.first() {
                        Some(lambda) => node(self.apply(lambda, &[item.value], copies)),
                        None => item,
                    };
                    out.insert(k, value);
                }
                V::Object(out)
            }
            ("groupby", [_, key]) => {
                let mut groups: Vec<(String, Vec<Node>)> = Vec::new();
                for item in items {
                    let V::String(k) = self.apply(key, std::slice::from_ref(&item.value), copies)
                    else {
                        return V::Unknown;
                    };
                    match groups.iter_mut().find(|(g, _)| *g == k) {
                        Some((_, members)) => members.push(item),
                        None => groups.push((k.into_string(), vec![item])),
                    }
                }
                let mut out = Object::new();
                for (k, members) in groups {
                    out.insert(k, node(V::Array(members)));
                }
                V::Object(out)
            }
            _ => V::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::arm::eval::testing::*;
    use crate::model::Value;

    #[test]
    fn lambda_functions_evaluate_as_documented() {
        documented(
            "[filter(json('[{\"name\":\"Evie\",\"age\":5},{\"name\":\"Casper\",\"age\":3}]'), lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))]",
            r#"[{"name":"Evie","age":5}]"#,
        );
        documented(
            "[map(createArray(1, 2, 3), lambda('x', mul(lambdaVariables('x'), 2)))]",
            "[2, 4, 6]",
        );
        documented(
            "[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]",
            r#"["a0", "b1"]"#,
        );
        documented(
            "[reduce(createArray(5, 3, 2), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
            "10",
        );
        documented(
            "[sort(createArray('c', 'a', 'b'), lambda('x', 'y', less(lambdaVariables('x'), lambdaVariables('y'))))]",
            r#"["a", "b", "c"]"#,
        );
        documented(
            "[toObject(json('[{\"name\":\"Evie\",\"age\":5},{\"name\":\"Casper\",\"age\":3}]'), lambda('d', lambdaVariables('d').name), lambda('d', lambdaVariables('d').age))]",
            r#"{"Evie": 5, "Casper": 3}"#,
        );
        documented(
            "[groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
            r#"{"f": ["foo"], "b": ["bar", "baz"]}"#,
        );
        documented(
            "[mapValues(createObject('foo', 'foo'), lambda('val', toUpper(lambdaVariables('val'))))]",
            r#"{"foo": "FOO"}"#,
        );
        // Unknown spreads: an unknown element makes the result unknown.
        assert_eq!(
            eval(
                "[filter(createArray(parameters('nope'), 1), lambda('x', equals(lambdaVariables('x'), 1)))]"
            ),
            Value::Unknown
        );
        assert_eq!(eval("[lambdaVariables('free')]"), Value::Unknown);
    }
}
