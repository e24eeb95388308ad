//! The ARM template expression language: `[concat('a', parameters('b'))]`.
//!
//! A string is an expression when it starts with `[` and ends with `]`; a
//! leading `[[` escapes a literal `[`. Inside: function calls (namespaced user
//! functions `ns.fn(...)` too), single-quoted strings with `''` for a quote,
//! integers, `.property` and `[index]` access. Parsing never panics; a string
//! that does not parse is reported as `None` (or the shared [`SyntaxError`])
//! and evaluates to unknown. It does not evaluate (that is `eval.rs`).

use std::borrow::Cow;

use crate::diagnostic::SyntaxError;
use crate::model::Key;

/// Nesting deeper than this is refused rather than risking the stack (the
/// default of `limits.max_expression_depth`).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A string literal: most are short, kept inline ([`Key`]).
    String(Key),
    Int(i64),
    /// A call; `name` is lower-cased (ARM function names are case-insensitive),
    /// and as short as every function's name is, kept inline.
    Call(Key, Vec<Expr>),
    Member(Box<Expr>, Key),
    Index(Box<Expr>, Box<Expr>),
}

/// What a JSON string in a template is.
#[derive(Debug, PartialEq)]
pub enum Template<'a> {
    Literal(&'a str),
    Expression(&'a str),
}

/// `s` as an ARM string literal (a `'` doubled), after `out`.
#[inline]
pub fn push_quoted(out: &mut String, s: &str) {
    out.push('\'');
    for (i, piece) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(piece);
    }
    out.push('\'');
}

pub fn classify(text: &str) -> Template<'_> {
    if text.starts_with("[[") {
        // `[[` is a literal `[`; the rest stays as written.
        return Template::Literal(&text[1..]);
    }
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) => Template::Expression(inner),
        None => Template::Literal(text),
    }
}

/// A token borrows its text from the expression: only a string with a
/// doubled quote (`'it''s'`) is copied, to undo the escape.
#[derive(Clone, Debug, PartialEq)]
enum Token<'a> {
    Ident(&'a str),
    String(Cow<'a, str>),
    Int(i64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
}

/// Tokens of `text`, read byte by byte: template expressions are ASCII but
/// for their string literals, and a character beyond ASCII is decoded only
/// where one stands (whitespace, or a letter of a name, as Unicode says).
fn lex(text: &str) -> Option<Vec<Token<'_>>> {
    let bytes = text.as_bytes();
    // About one token in four bytes of a call-heavy expression: reserved
    // at once rather than grown.
    let mut tokens = Vec::with_capacity(bytes.len() / 4 + 2);
    let mut i = 0;
    // `i` is always at a character boundary.
    while let Some(&b) = bytes.get(i) {
        let punctuation = match b {
            b'(' => Some(Token::LParen),
            b')' => Some(Token::RParen),
            b'[' => Some(Token::LBracket),
            b']' => Some(Token::RBracket),
            b',' => Some(Token::Comma),
            b'.' => Some(Token::Dot),
            _ => None,
        };
        if let Some(token) = punctuation {
            tokens.push(token);
            i += 1;
            continue;
        }
        match b {
            // ASCII whitespace as `char::is_whitespace` has it.
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => i += 1,
            b'\'' => {
                // Up to the first quote not doubled; `''` is a quote.
                let start = i + 1;
                let mut end = start;
                let mut escaped = false;
                loop {
                    end += bytes[end..].iter().position(|&q| q == b'\'')?;
                    if bytes.get(end + 1) == Some(&b'\'') {
                        escaped = true;
                        end += 2;
                    } else {
                        break;
                    }
                }
                let raw = &text[start..end];
                tokens.push(Token::String(if escaped {
                    Cow::Owned(raw.replace("''", "'"))
                } else {
                    Cow::Borrowed(raw)
                }));
                i = end + 1;
            }
            b if b.is_ascii_digit()
                || (b == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                tokens.push(Token::Int(text[start..i].parse().ok()?));
            }
            b if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {
                let start = i;
                i = name_end(text, i);
                tokens.push(Token::Ident(&text[start..i]));
            }
            b if !b.is_ascii() => {
                let c = text[i..].chars().next()?;
                if c.is_whitespace() {
                    i += c.len_utf8();
                } else if c.is_alphabetic() {
                    let start = i;
                    i = name_end(text, i);
                    tokens.push(Token::Ident(&text[start..i]));
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(tokens)
}

/// Where the name starting at `i` ends: ASCII letters, digits, `_` and `$`
/// read by byte, then, from a character beyond ASCII on, any letter or
/// digit as Unicode says.
fn name_end(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
    {
        i += 1;
    }
    if bytes.get(i).is_some_and(|b| !b.is_ascii()) {
        i += text[i..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .map(char::len_utf8)
            .sum::<usize>();
    }
    i
}

struct Parser<'a, 'b> {
    tokens: &'b [Token<'a>],
    pos: usize,
    depth: usize,
    max_depth: usize,
    too_deep: bool,
}

impl<'a, 'b> Parser<'a, 'b> {
    fn peek(&self) -> Option<&'b Token<'a>> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<&'b Token<'a>> {
        let token = self.tokens.get(self.pos);
        self.pos += 1;
        token
    }

    fn expect(&mut self, token: Token) -> Option<()> {
        (*self.next()? == token).then_some(())
    }

    fn expression(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > self.max_depth {
            self.too_deep = true;
            return None;
        }
        let mut expr = self.primary()?;
        // Each `.name` or `[index]` wraps the tree one level deeper, and the
        // evaluator (and dropping the tree) recurse through every level: a
        // chain counts towards the depth as nesting does.
        let mut links = 0;
        loop {
            if matches!(self.peek(), Some(Token::Dot | Token::LBracket)) {
                links += 1;
                self.depth += 1;
                if self.depth > self.max_depth {
                    self.too_deep = true;
                    return None;
                }
            }
            match self.peek() {
                Some(Token::Dot) => {
                    self.pos += 1;
                    match self.next()? {
                        Token::Ident(name) => expr = Expr::Member(Box::new(expr), Key::from(*name)),
                        _ => return None,
                    }
                }
                Some(Token::LBracket) => {
                    self.pos += 1;
                    let index = self.expression()?;
                    self.expect(Token::RBracket)?;
                    expr = Expr::Index(Box::new(expr), Box::new(index));
                }
                _ => break,
            }
        }
        self.depth -= 1 + links;
        Some(expr)
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.next()? {
            Token::String(s) => Some(Expr::String(Key::from(s.as_ref()))),
            Token::Int(n) => Some(Expr::Int(*n)),
            Token::Ident(name) => {
                let mut name = Key::from(*name);
                name.as_mut_str().make_ascii_lowercase();
                // A user-defined function: `namespace.function(...)`.
                if self.peek() == Some(&Token::Dot)
                    && matches!(self.tokens.get(self.pos + 1), Some(Token::Ident(_)))
                    && self.tokens.get(self.pos + 2) == Some(&Token::LParen)
                {
                    if let Some(Token::Ident(member)) = self.tokens.get(self.pos + 1) {
                        let at = name.len() + 1;
                        name.push('.');
                        name.push_str(member);
                        name.as_mut_str()[at..].make_ascii_lowercase();
                    }
                    self.pos += 2;
                }
                if self.peek() != Some(&Token::LParen) {
                    // Bare `true`, `false` and `null` are accepted as ARM accepts them.
                    return match name.as_str() {
                        "true" | "false" | "null" => Some(Expr::Call(name, Vec::new())),
                        _ => None,
                    };
                }
                self.pos += 1;
                let mut args = Vec::new();
                if self.peek() == Some(&Token::RParen) {
                    self.pos += 1;
                    return Some(Expr::Call(name, args));
                }
                loop {
                    args.push(self.expression()?);
                    match self.next()? {
                        Token::Comma => continue,
                        Token::RParen => break,
                        _ => return None,
                    }
                }
                Some(Expr::Call(name, args))
            }
            _ => None,
        }
    }
}

/// A piece of a `format()` pattern: text (a doubled brace is one brace,
/// and a `}` alone is itself), or a hole's argument number.
pub enum FormatPiece<'a> {
    Text(&'a str),
    Hole(usize),
}

/// Gives `pattern`'s pieces to `piece` in order, until it returns `None`;
/// `None` also for a hole that is not a plain number (`{0:N2}`, `{x}`),
/// whose text a format specifier would change. Read by byte (braces are
/// ASCII): every slice is at character boundaries.
pub fn format_pattern<'a>(
    pattern: &'a str,
    mut piece: impl FnMut(FormatPiece<'a>) -> Option<()>,
) -> Option<()> {
    let mut rest = pattern;
    while let Some(at) = rest.find(['{', '}']) {
        piece(FormatPiece::Text(&rest[..at]))?;
        let brace = rest.as_bytes()[at];
        let after = &rest[at + 1..];
        if after.as_bytes().first() == Some(&brace) || brace == b'}' {
            piece(FormatPiece::Text(&rest[at..=at]))?;
            rest = after.strip_prefix(char::from(brace)).unwrap_or(after);
            continue;
        }
        let (hole, next) = after.split_once('}').unwrap_or((after, ""));
        piece(FormatPiece::Hole(hole.trim().parse().ok()?))?;
        rest = next;
    }
    piece(FormatPiece::Text(rest))
}

/// Parses the text between the outer brackets of an expression.
pub fn parse(text: &str) -> Option<Expr> {
    parse_within(text, MAX_DEPTH).ok()
}

/// Parses the text between the outer brackets of an expression, refusing
/// calls, indexes and accesses nested deeper than `max_depth`. The error
/// covers the whole text (the lexer keeps no offsets) and is `too_deep` when
/// the nesting, not the syntax, is at fault.
pub fn parse_within(text: &str, max_depth: usize) -> Result<Expr, SyntaxError> {
    let invalid = || SyntaxError::new("invalid expression", 0, text.len());
    let tokens = lex(text).ok_or_else(invalid)?;
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
        max_depth,
        too_deep: false,
    };
    match parser.expression() {
        Some(expr) if parser.pos == parser.tokens.len() => Ok(expr),
        _ if parser.too_deep => Err(SyntaxError::too_deep(
            "expression nested too deep",
            0,
            text.len(),
        )),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(name.into(), args)
    }

    #[test]
    fn classifies_literals_and_expressions() {
        assert_eq!(classify("plain"), Template::Literal("plain"));
        assert_eq!(
            classify("[[not an expression]"),
            Template::Literal("[not an expression]")
        );
        assert_eq!(
            classify("[variables('a')]"),
            Template::Expression("variables('a')")
        );
        assert_eq!(classify("[unclosed"), Template::Literal("[unclosed"));
    }

    #[test]
    fn parses_nested_calls_escapes_and_access() {
        assert_eq!(
            parse("concat('it''s', parameters('x'))"),
            Some(call(
                "concat",
                vec![
                    Expr::String("it's".into()),
                    call("parameters", vec![Expr::String("x".into())])
                ]
            ))
        );
        assert_eq!(
            parse("reference('a').outputs.id.value"),
            Some(Expr::Member(
                Box::new(Expr::Member(
                    Box::new(Expr::Member(
                        Box::new(call("reference", vec![Expr::String("a".into())])),
                        "outputs".into()
                    )),
                    "id".into()
                )),
                "value".into()
            ))
        );
        assert_eq!(
            parse("variables('list')[-1]"),
            Some(Expr::Index(
                Box::new(call("variables", vec![Expr::String("list".into())])),
                Box::new(Expr::Int(-1))
            ))
        );
        assert_eq!(
            parse("ToLower( 'A' )"),
            Some(call("tolower", vec![Expr::String("A".into())]))
        );
        assert_eq!(parse("ns.fn(1)"), Some(call("ns.fn", vec![Expr::Int(1)])));
        assert_eq!(parse("true"), Some(call("true", vec![])));
        // Doubled quotes anywhere in a string, non-ASCII names and text.
        for (text, expected) in [
            ("''''", "'"),
            ("'a'''", "a'"),
            ("'''b'", "'b"),
            ("'x''''y'", "x''y"),
            ("''", ""),
            ("'é''ü'", "é'ü"),
        ] {
            assert_eq!(parse(text), Some(Expr::String(expected.into())), "{text}");
        }
        assert_eq!(
            parse("fünf( -12 ,'a')"),
            Some(call("fünf", vec![Expr::Int(-12), Expr::String("a".into())]))
        );
        assert_eq!(parse("'a''"), None);
        // Beyond ASCII: Unicode whitespace between tokens, letters inside
        // and at the start of a name, and a character that is neither.
        assert_eq!(
            parse("concat(\u{a0}'a',\u{2003}1)"),
            Some(call("concat", vec![Expr::String("a".into()), Expr::Int(1)]))
        );
        assert_eq!(parse("aü1_$b(1)"), Some(call("aü1_$b", vec![Expr::Int(1)])));
        // Names are lower-cased, ASCII only, a namespaced user function's
        // both parts; a name longer than the inline 24 bytes too.
        assert_eq!(
            parse("MyNs.DoÜIt('A')"),
            Some(call("myns.doÜit", vec![Expr::String("A".into())]))
        );
        assert_eq!(
            parse("A_Function_Name_Longer_Than_Inline()"),
            Some(call("a_function_name_longer_than_inline", Vec::new()))
        );
        assert_eq!(parse("ü(x)"), None);
        assert_eq!(parse("ü()"), Some(call("ü", vec![])));
        assert_eq!(parse("f(\u{2192})"), None);
        assert_eq!(
            parse("f(1)\u{0b}\u{0c}"),
            Some(call("f", vec![Expr::Int(1)]))
        );
    }

    #[test]
    fn malformed_input_is_none_never_a_panic() {
        for text in [
            "",
            "concat(",
            "concat('a'",
            "'unterminated",
            "a b",
            "f(,)",
            ")",
            "x.",
            "f()[",
            "f()]",
            "#",
            "f(1 2)",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        let deep = "f(".repeat(10_000) + &")".repeat(10_000);
        assert_eq!(parse(&deep), None);
    }
}
