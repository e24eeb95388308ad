//! Template JSON with spans: jsonc-parser's AST (comments and trailing commas
//! allowed, as ARM allows them) turned into an owned tree whose every value
//! and object member knows its byte range; and such a tree read as the
//! model's `Node` (`JsonValue::to_node`), for parameter and var files. Its
//! errors are the shared [`SyntaxError`]; it does not turn them into
//! problems (callers do), evaluate ARM expressions, or know what the JSON
//! means (template, parameters, plan).

use jsonc_parser::ast;

use crate::diagnostic::SyntaxError;
use crate::model::{Node, Object, Value};
use crate::source::{FileId, Span};

/// A JSON value and the byte range it covers.
#[derive(Clone, Debug)]
pub struct JsonValue {
    pub kind: JsonKind,
    pub span: Span,
}

/// What a [`JsonValue`] is.
#[derive(Clone, Debug)]
pub enum JsonKind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<Member>),
}

/// An object member; `span` covers `"key": value`.
#[derive(Clone, Debug)]
pub struct Member {
    pub key: String,
    pub span: Span,
    pub value: JsonValue,
}

impl JsonValue {
    /// The member `key`, compared case-insensitively as ARM does.
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        self.member(key).map(|m| &m.value)
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            JsonKind::Object(members) => members.iter().find(|m| m.key.eq_ignore_ascii_case(key)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.kind {
            JsonKind::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[JsonValue] {
        match &self.kind {
            JsonKind::Array(items) => items,
            _ => &[],
        }
    }

    /// The value as it is written, keeping its spans. `brackets` says what
    /// a string in `[...]` is: an ARM expression (unknown, unless escaped as
    /// `[[`) or plain text.
    pub fn to_node(&self, brackets: Brackets) -> Node {
        let value = match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => Value::Number(*n),
            JsonKind::String(s)
                if brackets == Brackets::Expression
                    && s.starts_with('[')
                    && s.ends_with(']')
                    && !s.starts_with("[[") =>
            {
                Value::Unknown
            }
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(items) => {
                Value::Array(items.iter().map(|j| j.to_node(brackets)).collect())
            }
            JsonKind::Object(members) => {
                let mut object = Object::new();
                for m in members {
                    object.insert(m.key.clone(), m.value.to_node(brackets));
                }
                Value::Object(object)
            }
        };
        Node::new(value, Some(self.span))
    }
}

/// What [`JsonValue::to_node`] makes of a string in brackets (`"[param('x')]"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brackets {
    /// An ARM expression, not evaluated here: unknown (ARM parameter files).
    Expression,
    /// Text like any other (Terraform's JSON var files).
    Text,
}

/// Parses `text` (a whole file), refusing arrays and objects nested deeper
/// than `max_nesting`. jsonc-parser caps nesting at 512 itself, so hostile
/// input cannot overflow the stack in either.
pub fn parse(
    file: FileId,
    text: &str,
    max_nesting: usize,
) -> Result<Option<JsonValue>, SyntaxError> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: true,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        ..Default::default()
    };
    let result =
        jsonc_parser::parse_to_ast(text, &Default::default(), &options).map_err(|err| {
            let range = err.range();
            SyntaxError {
                message: err.kind().to_string(),
                start: range.start,
                end: range.end,
                too_deep: matches!(
                    err.kind(),
                    jsonc_parser::errors::ParseErrorKind::NestingDepthExceeded
                ),
            }
        })?;
    result
        .value
        .map(|v| convert(file, v, max_nesting))
        .transpose()
}

/// The owned tree of `value`, or an error at the first array or object
/// nested `depth_left` levels too deep.
fn convert(
    file: FileId,
    value: ast::Value<'_>,
    depth_left: usize,
) -> Result<JsonValue, SyntaxError> {
    let span = |r: jsonc_parser::common::Range| Span::new(file, r.start, r.end);
    if let ast::Value::Array(ast::Array { range, .. })
    | ast::Value::Object(ast::Object { range, .. }) = &value
        && depth_left == 0
    {
        return Err(SyntaxError::too_deep(
            "arrays and objects nested too deep",
            range.start,
            range.start + 1,
        ));
    }
    let inner = depth_left.saturating_sub(1);
    Ok(match value {
        ast::Value::NullKeyword(n) => JsonValue {
            kind: JsonKind::Null,
            span: span(n.range),
        },
        ast::Value::BooleanLit(b) => JsonValue {
            kind: JsonKind::Bool(b.value),
            span: span(b.range),
        },
        ast::Value::NumberLit(n) => JsonValue {
            kind: JsonKind::Number(n.value.parse().unwrap_or(f64::NAN)),
            span: span(n.range),
        },
        ast::Value::StringLit(s) => JsonValue {
            kind: JsonKind::String(s.value.into_owned()),
            span: span(s.range),
        },
        ast::Value::Array(a) => JsonValue {
            span: span(a.range),
            kind: JsonKind::Array(
                a.elements
                    .into_iter()
                    .map(|v| convert(file, v, inner))
                    .collect::<Result<_, _>>()?,
            ),
        },
        ast::Value::Object(o) => JsonValue {
            span: span(o.range),
            kind: JsonKind::Object(
                o.properties
                    .into_iter()
                    .map(|p| {
                        Ok(Member {
                            span: span(p.range),
                            key: p.name.into_string(),
                            value: convert(file, p.value, inner)?,
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        },
    })
}
