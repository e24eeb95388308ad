//! Template JSON with spans: jsonc-parser's AST (comments and trailing commas
//! allowed, as ARM allows them) turned into an owned tree whose every value
//! and object member knows its byte range; and such a tree read as the
//! model's `Node` (`JsonValue::to_node`), for parameter and var files. Its
//! errors are the shared [`SyntaxError`]; it does not turn them into
//! problems (callers do), evaluate ARM expressions, or know what the JSON
//! means (template, parameters, plan).

use jsonc_parser::ast;
use std::sync::Arc;

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
    /// A value kept once and shared by the trees that hold it, not copied
    /// into each: a Bicep module's lowered template, deployed by each unit
    /// and each module that calls it. Its own span is the inner value's.
    /// [`JsonValue::get`] and the other readers see through it.
    Shared(Arc<JsonValue>),
}

/// An object member; `span` covers `"key": value`.
#[derive(Clone, Debug)]
pub struct Member {
    pub key: String,
    pub span: Span,
    pub value: JsonValue,
}

impl JsonValue {
    /// `value` as a node of another tree, shared rather than copied.
    pub fn shared(value: &Arc<JsonValue>) -> JsonValue {
        JsonValue {
            span: value.span,
            kind: JsonKind::Shared(Arc::clone(value)),
        }
    }

    /// The value itself: a shared node's inner value, else `self`.
    pub fn resolved(&self) -> &JsonValue {
        let mut value = self;
        while let JsonKind::Shared(inner) = &value.kind {
            value = inner;
        }
        value
    }

    /// The member `key`, compared case-insensitively as ARM does (a shared
    /// value is given as its inner value).
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        self.member(key).map(|m| m.value.resolved())
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        match &self.resolved().kind {
            JsonKind::Object(members) => members.iter().find(|m| m.key.eq_ignore_ascii_case(key)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.resolved().kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.resolved().kind {
            JsonKind::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[JsonValue] {
        match &self.resolved().kind {
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
            JsonKind::String(s) => Value::String(s.as_str().into()),
            JsonKind::Array(items) => {
                Value::Array(items.iter().map(|j| j.to_node(brackets)).collect())
            }
            JsonKind::Object(members) => {
                let mut object = Object::new();
                for m in members {
                    object.insert(m.key.as_str(), m.value.to_node(brackets));
                }
                Value::Object(object)
            }
            JsonKind::Shared(inner) => return inner.to_node(brackets),
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
    match direct::parse(file, text, max_nesting) {
        Some(tree) => Ok(tree),
        None => full(file, text, max_nesting),
    }
}

/// [`parse`] through jsonc-parser's AST: every extension it allows, every
/// error with its message.
fn full(file: FileId, text: &str, max_nesting: usize) -> Result<Option<JsonValue>, SyntaxError> {
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

/// Straight from jsonc-parser's scanner to the owned tree, for the JSON
/// nearly every template is: standard JSON with comments and trailing
/// commas. Building jsonc-parser's AST first and converting it allocated
/// every value twice (issue #20). Anything else — a syntax error, a JSON5
/// extension, nesting past the limit — gives `None`, and [`parse`] reads the
/// text with the full parser, so every error and its message comes from
/// one place.
mod direct {
    use jsonc_parser::tokens::Token;
    use jsonc_parser::{Scanner, ScannerOptions};

    use super::{JsonKind, JsonValue, Member};
    use crate::source::{FileId, Span};

    type Scanned<'a> = (Token<'a>, usize, usize);

    /// The nesting jsonc-parser's own parser refuses past.
    const JSONC_MAX_DEPTH: usize = 512;

    pub fn parse(file: FileId, text: &str, max_nesting: usize) -> Option<Option<JsonValue>> {
        // The strictest scanner: JSON5's extensions fail here and go to
        // the full parser, which knows which of them are refused.
        let options = ScannerOptions {
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        let mut scanner = Scanner::new(text, &options);
        let Some(first) = next(&mut scanner)? else {
            return Some(None);
        };
        // jsonc-parser stops at 512 levels whatever the limit; so does this
        // recursion, whatever a config raises `max_nesting` to.
        let tree = value(&mut scanner, file, first, max_nesting.min(JSONC_MAX_DEPTH))?;
        match next(&mut scanner)? {
            None => Some(Some(tree)),
            Some(_) => None,
        }
    }

    /// The next token that is not a comment; `Some(None)` at the end,
    /// `None` at a scanning error.
    fn next<'a>(scanner: &mut Scanner<'a>) -> Option<Option<Scanned<'a>>> {
        loop {
            match scanner.scan() {
                Err(_) => return None,
                Ok(None) => return Some(None),
                Ok(Some(Token::CommentLine(_) | Token::CommentBlock(_))) => {}
                Ok(Some(token)) => {
                    return Some(Some((token, scanner.token_start(), scanner.token_end())));
                }
            }
        }
    }

    fn value<'a>(
        scanner: &mut Scanner<'a>,
        file: FileId,
        (token, start, end): Scanned<'a>,
        depth_left: usize,
    ) -> Option<JsonValue> {
        let span = |end: usize| Span::new(file, start, end);
        let kind = match token {
            Token::Null => JsonKind::Null,
            Token::Boolean(b) => JsonKind::Bool(b),
            Token::Number(n) => JsonKind::Number(n.parse().ok()?),
            Token::String(s) => JsonKind::String(s.into_owned()),
            Token::OpenBracket if depth_left > 0 => {
                let mut items = Vec::new();
                loop {
                    let token = next(scanner)??;
                    if token.0 == Token::CloseBracket {
                        return Some(JsonValue {
                            kind: JsonKind::Array(items),
                            span: span(token.2),
                        });
                    }
                    items.push(value(scanner, file, token, depth_left - 1)?);
                    match next(scanner)?? {
                        (Token::Comma, ..) => {}
                        (Token::CloseBracket, _, close) => {
                            return Some(JsonValue {
                                kind: JsonKind::Array(items),
                                span: span(close),
                            });
                        }
                        _ => return None,
                    }
                }
            }
            Token::OpenBrace if depth_left > 0 => {
                let mut members = Vec::new();
                loop {
                    let (key, key_start, _) = next(scanner)??;
                    let key = match key {
                        Token::CloseBrace => {
                            return Some(JsonValue {
                                kind: JsonKind::Object(members),
                                span: span(scanner.token_end()),
                            });
                        }
                        Token::String(key) => key.into_owned(),
                        _ => return None,
                    };
                    let (Token::Colon, ..) = next(scanner)?? else {
                        return None;
                    };
                    let first = next(scanner)??;
                    let member = value(scanner, file, first, depth_left - 1)?;
                    members.push(Member {
                        key,
                        span: Span::new(file, key_start, member.span.end as usize),
                        value: member,
                    });
                    match next(scanner)?? {
                        (Token::Comma, ..) => {}
                        (Token::CloseBrace, _, close) => {
                            return Some(JsonValue {
                                kind: JsonKind::Object(members),
                                span: span(close),
                            });
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        };
        Some(JsonValue {
            kind,
            span: span(end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct path reads what the full parser reads, spans included.
    fn same(text: &str) {
        let direct = direct::parse(FileId(0), text, 512);
        let full = full(FileId(0), text, 512);
        // `None`: left to the full parser (an error or an extension).
        if let Some(tree) = direct {
            assert_eq!(
                format!("{:?}", Ok::<_, SyntaxError>(tree)),
                format!("{full:?}"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_direct_path_reads_what_the_full_parser_reads() {
        for text in [
            "",
            "// only a comment",
            "{}",
            "[]",
            r#"{"a": 1, "b": [true, false, null, -1.5e3, "x\n\u00e9"], "c": {"d": {}},}"#,
            "[1, 2,]",
            "{\n  // c\n  \"a\": /* b */ 1\n}",
            r#"{"a": 1 "b": 2}"#,
            "[1,,2]",
            "{'a': 1}",
            "[0x10]",
            "[+1]",
            "{a: 1}",
            "[1] [2]",
            "[",
            "[NaN]",
        ] {
            same(text);
        }
        // Every JSON fixture.
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "json") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut files,
        );
        assert!(files.len() > 100);
        let mut direct = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            same(&text);
            direct += usize::from(direct::parse(FileId(0), &text, 512).is_some());
        }
        assert!(direct > 100, "the direct path read {direct} fixtures");
    }

    /// The same over a corpus of real templates (never committed):
    /// `PLINTH_JSON_CORPUS=/tmp/plinth-real/arm cargo test --lib -- --ignored json_corpus`.
    #[test]
    #[ignore = "needs PLINTH_JSON_CORPUS, a folder of real JSON"]
    fn json_corpus() {
        fn walk(dir: &std::path::Path, seen: &mut usize) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, seen);
                } else if path.extension().is_some_and(|e| e == "json") {
                    same(&std::fs::read_to_string(&path).unwrap_or_default());
                    *seen += 1;
                }
            }
        }
        let mut seen = 0;
        let dir = std::env::var("PLINTH_JSON_CORPUS").unwrap_or_default();
        walk(std::path::Path::new(&dir), &mut seen);
        assert!(seen > 0, "no JSON under {dir:?}");
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_the_full_parser() {
        let text = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(direct::parse(FileId(0), &text, 5).is_none());
        assert!(parse(FileId(0), &text, 5).is_err());
        assert!(parse(FileId(0), &text, 10).is_ok());
        // A limit raised past jsonc-parser's own 512 does not deepen the
        // direct path's recursion: the full parser decides.
        let deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
        assert!(direct::parse(FileId(0), &deep, 100_000).is_none());
        assert!(parse(FileId(0), &deep, 100_000).is_err());
    }
}
