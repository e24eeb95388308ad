//! Properties of ARM expression parsing and evaluation that hold for every
//! input, checked on generated ones (proptest): parsing and evaluating never
//! panic and always give the same value; what a template writes is what a
//! printed expression parses back to; string functions agree with their
//! definitions; unknown spreads and is never turned into a guess.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use plinth::arm::eval::Scope;
use plinth::arm::expr::{self, Expr};
use plinth::json::{self, JsonValue};
use plinth::limits::Guard;
use plinth::model::Value;
use plinth::source::FileId;
use proptest::prelude::*;

const TEMPLATE: &str = r#"{
  "parameters": {
    "known": { "type": "string", "defaultValue": "pg-prod" },
    "unknown": { "type": "string" }
  },
  "variables": { "zone": "privatelink.postgres.database.azure.com" }
}"#;

fn template() -> JsonValue {
    json::parse(FileId(0), TEMPLATE, 64)
        .ok()
        .flatten()
        .expect("valid template")
}

fn eval(t: &JsonValue, text: &str) -> Value {
    Scope::new(t, Default::default(), Guard::default()).string_at(text, t.span, &[])
}

/// An ARM string literal for `s`: single quotes, `''` for a quote.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Prints an expression as a template would write it.
fn print(e: &Expr) -> String {
    match e {
        Expr::String(s) => quote(s),
        Expr::Int(n) => n.to_string(),
        Expr::Call(name, args) => format!(
            "{name}({})",
            args.iter().map(print).collect::<Vec<_>>().join(", ")
        ),
        Expr::Member(target, name) => format!("{}.{name}", print(target)),
        Expr::Index(target, index) => format!("{}[{}]", print(target), print(index)),
    }
}

fn expression() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 '\\[\\]().,{}-]{0,12}".prop_map(|s: String| Expr::String(s.into())),
        (0i64..1_000_000).prop_map(Expr::Int),
        Just(Expr::Call(
            "parameters".into(),
            vec![Expr::String("known".into())]
        )),
        Just(Expr::Call(
            "parameters".into(),
            vec![Expr::String("unknown".into())]
        )),
        Just(Expr::Call(
            "variables".into(),
            vec![Expr::String("zone".into())]
        )),
        Just(Expr::Call("resourcegroup".into(), vec![])),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            (
                prop::sample::select(vec![
                    "concat",
                    "format",
                    "tolower",
                    "toupper",
                    "replace",
                    "substring",
                    "length",
                    "split",
                    "if",
                    "equals",
                    "not",
                    "empty",
                    "createarray",
                    "union",
                    "first",
                    "last",
                    "take",
                    "skip",
                    "contains",
                    "coalesce",
                    "string",
                    "json",
                    "add",
                    "range",
                    "padleft",
                    "trim",
                    "guid",
                    "uniquestring",
                    "base64",
                    "uri",
                ]),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(name, args)| Expr::Call(name.into(), args)),
            (inner.clone(), "[a-zA-Z][a-zA-Z0-9]{0,6}")
                .prop_map(|(target, name)| Expr::Member(Box::new(target), name.into())),
            (inner.clone(), inner)
                .prop_map(|(target, index)| Expr::Index(Box::new(target), Box::new(index))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_not_without_panicking(text in "\\PC{0,200}") {
        let _ = expr::parse_within(&text, 64);
        let t = template();
        let first = eval(&t, &format!("[{text}]"));
        let again = eval(&t, &format!("[{text}]"));
        prop_assert_eq!(first, again);
    }

    #[test]
    fn printed_expressions_parse_back(e in expression()) {
        let printed = print(&e);
        prop_assert_eq!(expr::parse(&printed), Some(e), "{}", printed);
    }

    #[test]
    fn evaluation_is_deterministic_and_never_panics(e in expression()) {
        let t = template();
        let text = format!("[{}]", print(&e));
        prop_assert_eq!(eval(&t, &text), eval(&t, &text));
    }

    #[test]
    fn concat_joins_its_strings(parts in prop::collection::vec("\\PC{0,10}", 1..6)) {
        let args: Vec<String> = parts.iter().map(|p| quote(p)).collect();
        let text = format!("[concat({})]", args.join(", "));
        prop_assert_eq!(eval(&template(), &text), Value::string(parts.concat()));
    }

    #[test]
    fn format_places_its_arguments(a in "[a-z0-9.-]{0,10}", b in "[a-z0-9.-]{0,10}") {
        let text = format!("[format('{{1}}/{{0}}', {}, {})]", quote(&a), quote(&b));
        prop_assert_eq!(eval(&template(), &text), Value::string(format!("{b}/{a}")));
    }

    #[test]
    fn case_functions_agree_with_ascii(s in "[ -~]{0,20}") {
        let t = template();
        prop_assert_eq!(
            eval(&t, &format!("[toLower(toUpper({}))]", quote(&s))),
            Value::string(s.to_ascii_lowercase())
        );
        prop_assert_eq!(
            eval(&t, &format!("[length({})]", quote(&s))),
            Value::Number(s.len() as f64)
        );
    }

    #[test]
    fn a_doubled_bracket_is_a_literal(s in "[^\\]]{0,20}") {
        let text = format!("[[{s}]");
        prop_assert_eq!(eval(&template(), &text), Value::string(format!("[{s}]")));
    }

    #[test]
    fn unknown_spreads_through_string_functions(s in "[a-z]{0,10}") {
        let t = template();
        for text in [
            format!("[concat({}, parameters('unknown'))]", quote(&s)),
            format!("[format('{{0}}{{1}}', {}, parameters('unknown'))]", quote(&s)),
            "[toLower(parameters('unknown'))]".to_string(),
            format!("[replace(parameters('unknown'), {}, 'x')]", quote(&s)),
        ] {
            prop_assert_eq!(eval(&t, &text), Value::Unknown, "{}", text);
        }
        // `equals` against an unknown value is unknown, not false.
        let text = format!("[equals(parameters('unknown'), {})]", quote(&s));
        prop_assert_eq!(eval(&t, &text), Value::Unknown);
    }
}
