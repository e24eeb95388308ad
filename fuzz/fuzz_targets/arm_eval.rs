//! The ARM evaluator on generated expressions: the fuzzer's bytes build an
//! expression tree (calls to the functions plinth implements, literals,
//! member and index access, lambdas, parameters and variables), printed in
//! ARM syntax. Every printed expression must parse, and evaluating it must
//! not panic, hang or run out of memory, and give the same value twice.
#![no_main]

mod common;


use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use plinth::arm::eval::Scope;
use plinth::arm::expr;
use plinth::limits::Guard;

/// Functions plinth evaluates (and a few it does not).
const FUNCTIONS: &[&str] = &[
    "add",
    "and",
    "array",
    "base64",
    "base64ToString",
    "bool",
    "cidrHost",
    "cidrSubnet",
    "coalesce",
    "concat",
    "contains",
    "copyIndex",
    "createArray",
    "createObject",
    "dataUri",
    "dataUriToString",
    "div",
    "empty",
    "endsWith",
    "equals",
    "extensionResourceId",
    "filter",
    "first",
    "flatten",
    "float",
    "format",
    "greater",
    "greaterOrEquals",
    "groupBy",
    "guid",
    "if",
    "indexOf",
    "int",
    "intersection",
    "join",
    "json",
    "last",
    "lastIndexOf",
    "length",
    "less",
    "lessOrEquals",
    "managementGroupResourceId",
    "map",
    "mapValues",
    "max",
    "min",
    "mod",
    "mul",
    "not",
    "null",
    "objectKeys",
    "or",
    "padLeft",
    "parseCidr",
    "range",
    "reduce",
    "reference",
    "replace",
    "resourceGroup",
    "resourceId",
    "shallowMerge",
    "skip",
    "sort",
    "split",
    "startsWith",
    "string",
    "sub",
    "subscription",
    "subscriptionResourceId",
    "substring",
    "take",
    "tenantResourceId",
    "toLower",
    "toObject",
    "toUpper",
    "trim",
    "tryGet",
    "union",
    "uniqueString",
    "uri",
    "uriComponent",
    "uriComponentToString",
    "utcNow",
    "deployment",
    "environment",
    "true",
    "false",
    "noSuchFunction",
];
const STRINGS: &[&str] = &[
    "",
    "a",
    "pg-prod",
    "10.0.0.0/16",
    "{0}-{1}",
    "privatelink.postgres.database.azure.com",
    "Microsoft.Network/privateDnsZones",
    "x",
    "name",
    "properties",
    "[",
    "'",
    "ü",
    "1",
];
const NAMES: &[&str] = &[
    "name", "count", "unknown", "list", "zone", "self", "object", "missing",
];
const LAMBDA_VARS: &[&str] = &["x", "y", "acc"];

#[derive(Arbitrary, Debug)]
enum E {
    Int(u16),
    Str(u8),
    Call(u8, Vec<E>),
    Member(Box<E>, u8),
    Index(Box<E>, Box<E>),
    Lambda(u8, Box<E>),
    Lambda2(Box<E>),
    LambdaVar(u8),
    Parameter(u8),
    Variable(u8),
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

/// ARM syntax for `e`; past `depth` 40 a literal, below the parser's limit.
fn print(e: &E, depth: usize, out: &mut String) {
    if depth > 40 {
        out.push('1');
        return;
    }
    match e {
        E::Int(n) => out.push_str(&n.to_string()),
        E::Str(i) => {
            out.push('\'');
            out.push_str(&pick(STRINGS, *i).replace('\'', "''"));
            out.push('\'');
        }
        E::Call(f, args) => {
            out.push_str(pick(FUNCTIONS, *f));
            out.push('(');
            for (i, a) in args.iter().take(6).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print(a, depth + 1, out);
            }
            out.push(')');
        }
        E::Member(e, k) => {
            print(e, depth + 1, out);
            out.push('.');
            out.push_str(pick(NAMES, *k));
        }
        E::Index(e, i) => {
            print(e, depth + 1, out);
            out.push('[');
            print(i, depth + 1, out);
            out.push(']');
        }
        E::Lambda(v, body) => {
            out.push_str(&format!("lambda('{}', ", pick(LAMBDA_VARS, *v)));
            print(body, depth + 1, out);
            out.push(')');
        }
        E::Lambda2(body) => {
            out.push_str("lambda('acc', 'x', ");
            print(body, depth + 1, out);
            out.push(')');
        }
        E::LambdaVar(v) => out.push_str(&format!("lambdaVariables('{}')", pick(LAMBDA_VARS, *v))),
        E::Parameter(n) => out.push_str(&format!("parameters('{}')", pick(NAMES, *n))),
        E::Variable(n) => out.push_str(&format!("variables('{}')", pick(NAMES, *n))),
    }
}

fuzz_target!(|e: E| {
    common::on_unit_stack(|| {
        let mut text = String::new();
        print(&e, 0, &mut text);
        assert!(
            expr::parse(&text).is_some(),
            "generated ARM syntax parses: {text}"
        );
        let template = common::template();
        let expression = format!("[{text}]");
        let eval = || {
            Scope::new(template, Default::default(), Guard::default()).string_at(
                &expression,
                template.span,
                &[],
            )
        };
        let (first, again) = (eval(), eval());
        assert_eq!(
            format!("{first:?}"),
            format!("{again:?}"),
            "deterministic: {text}"
        );
    });
});
