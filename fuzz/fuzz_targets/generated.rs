//! Expression trees built from the fuzzer's bytes, printed as Terraform or
//! Bicep source: every input is a syntactically plausible expression, so
//! the runs reach the evaluators instead of stopping in the parsers. Each
//! target uses one of the printers, hence `dead_code` allowed.

#![allow(dead_code)]

use libfuzzer_sys::arbitrary::{self, Arbitrary};

#[derive(Arbitrary, Debug)]
pub enum G {
    Int(u16),
    Str(u8),
    Bool(bool),
    Null,
    List(Vec<G>),
    Object(Vec<(u8, G)>),
    Call(u8, Vec<G>),
    Binary(Box<G>, u8, Box<G>),
    Not(Box<G>),
    Conditional(Box<G>, Box<G>, Box<G>),
    Member(Box<G>, u8),
    Index(Box<G>, Box<G>),
    /// `[for x in E : E]`, a Bicep `[for x in E: E]`, or a lambda `x => E` in a call.
    For(Box<G>, Box<G>),
    Splat(Box<G>, u8),
    Loop,
    Input(u8),
    Template(Box<G>),
}

const STRINGS: &[&str] = &[
    "",
    "a",
    "pg-prod",
    "10.0.0.0/16",
    "privatelink.postgres.database.azure.com",
    "x",
    "name",
    "id",
    "ü",
    "1",
    "%s-%d",
    "{0}",
];
const KEYS: &[&str] = &["name", "id", "a", "b", "count", "value", "x"];
const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||",
];
const TERRAFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "base64decode",
    "base64encode",
    "can",
    "ceil",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "endswith",
    "flatten",
    "floor",
    "format",
    "formatlist",
    "index",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "max",
    "merge",
    "min",
    "one",
    "range",
    "regex",
    "replace",
    "reverse",
    "setproduct",
    "slice",
    "sort",
    "split",
    "startswith",
    "strrev",
    "substr",
    "sum",
    "title",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "try",
    "upper",
    "values",
    "zipmap",
    "uuid",
    "timestamp",
    "nosuchfunction",
];
const BICEP_FUNCTIONS: &[&str] = &[
    "concat",
    "contains",
    "empty",
    "first",
    "last",
    "length",
    "union",
    "intersection",
    "range",
    "skip",
    "take",
    "join",
    "split",
    "string",
    "int",
    "bool",
    "json",
    "format",
    "toLower",
    "toUpper",
    "trim",
    "replace",
    "substring",
    "indexOf",
    "startsWith",
    "endsWith",
    "padLeft",
    "uniqueString",
    "guid",
    "base64",
    "uri",
    "cidrSubnet",
    "cidrHost",
    "parseCidr",
    "map",
    "filter",
    "reduce",
    "sort",
    "toObject",
    "mapValues",
    "groupBy",
    "flatten",
    "objectKeys",
    "items",
    "coalesce",
    "min",
    "max",
    "resourceId",
    "subscriptionResourceId",
    "resourceGroup",
    "subscription",
    "tenant",
    "environment",
    "deployment",
    "utcNow",
    "loadTextContent",
    "noSuchFunction",
];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

/// Deeper than this, a literal: the trees stay within the parsers' limits.
const MAX_DEPTH: usize = 24;
/// At most this many items of a list, object or call.
const MAX_ITEMS: usize = 5;

/// Terraform (HCL) syntax for `g`; `var.list`, `var.name`, `local.*` and
/// the loop variable `x` are in scope.
pub fn terraform(g: &G, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        out.push('1');
        return;
    }
    let d = depth + 1;
    match g {
        G::Int(n) => out.push_str(&n.to_string()),
        G::Str(i) => out.push_str(&format!("{:?}", pick(STRINGS, *i))),
        G::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        G::Null => out.push_str("null"),
        G::List(items) => {
            out.push('[');
            for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                terraform(item, d, out);
            }
            out.push(']');
        }
        G::Object(members) => {
            out.push('{');
            for (k, v) in members.iter().take(MAX_ITEMS) {
                out.push_str(&format!(" {} = ", pick(KEYS, *k)));
                terraform(v, d, out);
            }
            out.push_str(" }");
        }
        G::Call(f, args) => {
            out.push_str(pick(TERRAFORM_FUNCTIONS, *f));
            out.push('(');
            for (i, a) in args.iter().take(MAX_ITEMS).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                terraform(a, d, out);
            }
            out.push(')');
        }
        G::Binary(a, op, b) => {
            out.push('(');
            terraform(a, d, out);
            out.push_str(&format!(" {} ", pick(OPERATORS, *op)));
            terraform(b, d, out);
            out.push(')');
        }
        G::Not(a) => {
            out.push_str("!(");
            terraform(a, d, out);
            out.push(')');
        }
        G::Conditional(c, a, b) => {
            out.push('(');
            terraform(c, d, out);
            out.push_str(" ? ");
            terraform(a, d, out);
            out.push_str(" : ");
            terraform(b, d, out);
            out.push(')');
        }
        G::Member(e, k) => {
            out.push('(');
            terraform(e, d, out);
            out.push_str(&format!(").{}", pick(KEYS, *k)));
        }
        G::Index(e, i) => {
            out.push('(');
            terraform(e, d, out);
            out.push_str(")[");
            terraform(i, d, out);
            out.push(']');
        }
        G::For(collection, body) => {
            out.push_str("[for x in ");
            terraform(collection, d, out);
            out.push_str(" : ");
            terraform(body, d, out);
            out.push(']');
        }
        G::Splat(e, k) => {
            out.push('(');
            terraform(e, d, out);
            out.push_str(&format!(")[*].{}", pick(KEYS, *k)));
        }
        G::Loop => out.push('x'),
        G::Input(i) => out.push_str(pick(&["var.list", "var.name", "local.a", "local.b"], *i)),
        G::Template(e) => {
            out.push_str("\"pre-${");
            terraform(e, d, out);
            out.push_str("}\"");
        }
    }
}

/// Bicep syntax for `g`; the parameters `list` and `name`, the variables
/// `a` and `b` and the loop or lambda variable `x` are in scope.
pub fn bicep(g: &G, depth: usize, out: &mut String) {
    if depth > MAX_DEPTH {
        out.push('1');
        return;
    }
    let d = depth + 1;
    match g {
        G::Int(n) => out.push_str(&n.to_string()),
        G::Str(i) => out.push_str(&format!("'{}'", pick(STRINGS, *i))),
        G::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        G::Null => out.push_str("null"),
        G::List(items) => {
            out.push('[');
            for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                bicep(item, d, out);
            }
            out.push(']');
        }
        G::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().take(MAX_ITEMS).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format!(" {}: ", pick(KEYS, *k)));
                bicep(v, d, out);
            }
            out.push_str(" }");
        }
        G::Call(f, args) => {
            out.push_str(pick(BICEP_FUNCTIONS, *f));
            out.push('(');
            for (i, a) in args.iter().take(MAX_ITEMS).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                bicep(a, d, out);
            }
            out.push(')');
        }
        G::Binary(a, op, b) => {
            out.push('(');
            bicep(a, d, out);
            out.push_str(&format!(" {} ", pick(&[OPERATORS, &["??"]].concat(), *op)));
            bicep(b, d, out);
            out.push(')');
        }
        G::Not(a) => {
            out.push_str("!(");
            bicep(a, d, out);
            out.push(')');
        }
        G::Conditional(c, a, b) => {
            out.push('(');
            bicep(c, d, out);
            out.push_str(" ? ");
            bicep(a, d, out);
            out.push_str(" : ");
            bicep(b, d, out);
            out.push(')');
        }
        G::Member(e, k) => {
            out.push('(');
            bicep(e, d, out);
            out.push_str(&format!(").{}", pick(KEYS, *k)));
        }
        G::Index(e, i) => {
            out.push('(');
            bicep(e, d, out);
            out.push_str(")[");
            bicep(i, d, out);
            out.push(']');
        }
        G::For(collection, body) => {
            out.push_str("[for x in ");
            bicep(collection, d, out);
            out.push_str(": ");
            bicep(body, d, out);
            out.push(']');
        }
        G::Splat(e, k) => {
            out.push_str("map(");
            bicep(e, d, out);
            out.push_str(&format!(", x => x.{})", pick(KEYS, *k)));
        }
        G::Loop => out.push('x'),
        G::Input(i) => out.push_str(pick(&["list", "name", "a", "b"], *i)),
        G::Template(e) => {
            out.push_str("'pre-${");
            bicep(e, d, out);
            out.push_str("}'");
        }
    }
}
