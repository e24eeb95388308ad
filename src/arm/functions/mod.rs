//! The ARM template function library: the one dispatch every call goes
//! through (`call`), and one file per family of functions as Microsoft Learn
//! groups them — strings, arrays, objects, logical and comparison, numeric,
//! resource ids and `reference()`, deployment and scope, lambdas, CIDR —
//! with the hash behind `uniqueString()` and `guid()` beside them. Not
//! here: the evaluator (scopes, parameters and variables evaluated once,
//! copy loops, budgets, user-defined functions' scopes: `eval.rs`), nor
//! parsing (`expr.rs`). A function no family knows (`utcNow()`, `list*()`,
//! …) is unknown.
//!
//! To add a function, add an arm to its family's
//! - `evaluated` when it needs only its evaluated arguments;
//! - `lazy` when it reads the template (parameters, variables, resources,
//!   `copyIndex`), takes a lambda, or must not evaluate every argument.
//!
//! A new family is a new file whose `lazy` or `evaluated` is listed in
//! `LAZY` or `EVALUATED` below. A name belongs to one family: the families
//! are asked in turn, and the first that knows the name answers.

mod array;
mod cidr;
mod deployment;
mod hash;
mod lambda;
mod logical;
mod numeric;
mod object;
mod resource;
mod string;

pub(super) use deployment::constant;
pub(super) use object::item;
pub(super) use resource::outputs_key;

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::Expr;
use crate::model::{Node, Value};

#[cfg(test)]
pub(crate) use logical::same_json;

/// `range()` and friends never build more than this many elements.
const MAX_ELEMENTS: usize = 10_000;

/// A family's functions that read the template or must not have every
/// argument evaluated first: `Some` value when `name` is one of them.
type Lazy = fn(&Scope<'_>, &str, &[Expr], &[Copy]) -> Option<Value>;

/// What a family's `evaluated` answers: the value when `name` is one of its
/// functions (which may take the arguments out of the list it is given),
/// `None`, the arguments left as they were, when it is not.
type Answer = Option<Value>;

/// The families with functions that see their arguments unevaluated.
const LAZY: &[Lazy] = &[
    logical::lazy,
    deployment::lazy,
    lambda::lazy,
    array::lazy,
    resource::lazy,
];

/// The families with functions of evaluated arguments.
const EVALUATED: &[fn(&str, &mut Vec<Value>) -> Answer] = &[
    logical::evaluated,
    object::evaluated,
    array::evaluated,
    string::evaluated,
    cidr::evaluated,
    deployment::evaluated,
    numeric::evaluated,
    resource::evaluated,
];

/// The value of the call `name(args)` (`name` lower-cased) in `scope`:
/// a family's lazy form, else a user-defined function (`ns.name`) or a
/// family's function of the evaluated arguments.
pub(super) fn call(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Value {
    for lazy in LAZY {
        if let Some(value) = lazy(scope, name, args, copies) {
            return value;
        }
    }
    if name.contains('.') {
        let values = args.iter().map(|a| scope.eval(a, copies)).collect();
        return match scope.functions.get(name) {
            Some(definition) => scope.user_function(definition, values),
            None => Value::Unknown,
        };
    }
    // The list of evaluated arguments is one the thread kept from an
    // earlier call (calls nest: one list per level), not allocated for
    // each call.
    let mut values = ARGUMENTS
        .with(|kept| kept.borrow_mut().pop())
        .unwrap_or_default();
    values.extend(args.iter().map(|a| scope.eval(a, copies)));
    let value = EVALUATED
        .iter()
        .find_map(|evaluated| evaluated(name, &mut values));
    values.clear();
    if values.capacity() <= MAX_KEPT_ARGUMENTS {
        ARGUMENTS.with(|kept| kept.borrow_mut().push(values));
    }
    // reference(), list*(), utcNow(), newGuid(),
    // deployment(), environment(), user functions, and anything else.
    value.unwrap_or(Value::Unknown)
}

/// Argument lists kept longer than this many values are let go.
const MAX_KEPT_ARGUMENTS: usize = 64;

thread_local! {
    /// Argument lists emptied, for the next call on this thread
    /// ([`call`]): as many as calls have nested.
    static ARGUMENTS: std::cell::RefCell<Vec<Vec<Value>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn node(value: Value) -> Node {
    Node::new(value, None)
}

#[cfg(test)]
mod tests {
    use crate::arm::eval::testing::*;
    use crate::model::Value;

    #[test]
    fn array_string_and_deployment_functions_evaluate_as_documented() {
        documented(
            "[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]",
            r#"["two", "three"]"#,
        );
        documented(
            "[intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), createObject('one', 'a', 'two', 'z', 'three', 'c'))]",
            r#"{"one": "a", "three": "c"}"#,
        );
        documented(
            "[flatten(createArray(createArray('one', 'two'), createArray('three'), createArray('four', 'five')))]",
            r#"["one", "two", "three", "four", "five"]"#,
        );
        documented(
            "[shallowMerge(createArray(createObject('one', 'a'), createObject('two', 'b'), createObject('two', 'c')))]",
            r#"{"one": "a", "two": "c"}"#,
        );
        documented("[base64('one, two, three')]", r#""b25lLCB0d28sIHRocmVl""#);
        documented(
            "[base64ToString('b25lLCB0d28sIHRocmVl')]",
            r#""one, two, three""#,
        );
        documented(
            "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
            r#""http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json""#,
        );
        documented(
            "[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')]",
            r#""http://contoso.com/resources/nested/azuredeploy.json""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath', 'myscript.sh')]",
            r#""http://contoso.org/myscript.sh""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath/', 'myscript.sh')]",
            r#""http://contoso.org/firstpath/myscript.sh""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh')]",
            r#""http://contoso.org/firstpath/myscript.sh""#,
        );
        documented(
            "[format('privatelink.blob.{0}', environment().suffixes.storage)]",
            r#""privatelink.blob.core.windows.net""#,
        );
        documented("[environment().name]", r#""AzureCloud""#);
        assert_eq!(eval("[tenant().tenantId]"), Value::Unknown);
        assert_eq!(eval("[deployment().name]"), Value::Unknown);
    }
}
