//! Bicep source → tokens: identifiers, integers, symbols, newlines, and
//! strings with their `${…}` holes already split into tokens, each token with
//! its byte range.
//!
//! Also holds the nesting limit lexing and parsing share; their one error is
//! the shared [`SyntaxError`]. It does not build the syntax tree (its types are
//! in [`super::tree`], the parser in [`super::parser`]) and knows nothing of
//! declarations or expressions.

use crate::diagnostic::SyntaxError;

/// Nesting past this is refused (hostile input must not overflow the stack).
pub(super) const MAX_DEPTH: usize = 128;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    /// A string: literal text and `${…}` holes, each hole its own tokens.
    Str(Vec<StrPart>),
    Sym(&'static str),
    Newline,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(String),
    Hole(Vec<Token>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

pub(super) fn error<T>(
    message: impl Into<String>,
    start: usize,
    end: usize,
) -> Result<T, SyntaxError> {
    Err(SyntaxError::new(message, start, end))
}

/// Longest first.
const SYMBOLS: [&str; 31] = [
    "...", ".?", "??", "==", "!=", "=~", "!~", "<=", ">=", "&&", "||", "=>", "::", "{", "}", "[",
    "]", "(", ")", ",", ":", ".", "?", "=", "<", ">", "+", "-", "*", "/", "%",
];
const SINGLE: [&str; 3] = ["!", "@", "|"];

struct Lexer<'s> {
    text: &'s str,
    pos: usize,
    depth: usize,
}

impl Lexer<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn starts(&self, s: &str) -> bool {
        self.text[self.pos..].starts_with(s)
    }

    /// Tokens until the end, or (inside a `${` hole) until its closing `}`.
    #[allow(clippy::too_many_lines)] // the lexer's one loop, an arm per kind of character
    fn tokens(&mut self, in_hole: bool) -> Result<Vec<Token>, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::too_deep(
                "strings nested too deeply",
                self.pos,
                self.pos + 1,
            ));
        }
        // A file's tokens, about one in every nine bytes of Bicep as
        // written, reserved at once rather than grown (and copied) ten
        // times over; a hole's are few.
        let mut out = if in_hole {
            Vec::new()
        } else {
            Vec::with_capacity(self.text.len() / 6 + 16)
        };
        let mut braces = 0usize;
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    out.push(Token {
                        tok: Tok::Newline,
                        start,
                        end: self.pos,
                    });
                }
                // `#disable-next-line rule`, `#disable-diagnostics`: linter
                // directives, read like comments.
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.starts("//") => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.starts("/*") => match self.text[self.pos + 2..].find("*/") {
                    Some(end) => {
                        let comment = &self.text[self.pos..self.pos + 2 + end];
                        self.pos += end + 4;
                        // A multi-line comment still ends a statement.
                        if comment.contains('\n') {
                            out.push(Token {
                                tok: Tok::Newline,
                                start,
                                end: self.pos,
                            });
                        }
                    }
                    None => return error("unterminated comment", start, self.text.len()),
                },
                b'\'' if self.starts("'''") => {
                    let Some(end) = self.text[self.pos + 3..].find("'''") else {
                        return error("unterminated multi-line string", start, self.text.len());
                    };
                    let mut body = &self.text[self.pos + 3..self.pos + 3 + end];
                    // A leading newline is not part of the value.
                    body = body
                        .strip_prefix("\r\n")
                        .or_else(|| body.strip_prefix('\n'))
                        .unwrap_or(body);
                    self.pos += end + 6;
                    // `''''` closes with extra quotes belonging to the text.
                    let mut text = body.to_string();
                    while self.peek() == Some(b'\'') {
                        text.push('\'');
                        self.pos += 1;
                    }
                    out.push(Token {
                        tok: Tok::Str(vec![StrPart::Text(text)]),
                        start,
                        end: self.pos,
                    });
                }
                b'\'' => {
                    let parts = self.string()?;
                    out.push(Token {
                        tok: Tok::Str(parts),
                        start,
                        end: self.pos,
                    });
                }
                b'0'..=b'9' => {
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    let Ok(n) = self.text[start..self.pos].parse::<i64>() else {
                        return error("integer too large", start, self.pos);
                    };
                    out.push(Token {
                        tok: Tok::Int(n),
                        start,
                        end: self.pos,
                    });
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        self.pos += 1;
                    }
                    out.push(Token {
                        tok: Tok::Ident(self.text[start..self.pos].to_string()),
                        start,
                        end: self.pos,
                    });
                }
                _ => {
                    if in_hole && c == b'}' && braces == 0 {
                        self.pos += 1;
                        self.depth -= 1;
                        return Ok(out);
                    }
                    // Longest first among those starting with this byte.
                    let Some(sym) = SYMBOLS
                        .iter()
                        .chain(SINGLE.iter())
                        .filter(|s| s.as_bytes()[0] == c)
                        .find(|s| self.starts(s))
                    else {
                        let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                        return error(
                            format!("unexpected character `{ch}`"),
                            start,
                            start + ch.len_utf8(),
                        );
                    };
                    if *sym == "{" {
                        braces += 1;
                    } else if *sym == "}" {
                        braces = braces.saturating_sub(1);
                    }
                    self.pos += sym.len();
                    out.push(Token {
                        tok: Tok::Sym(sym),
                        start,
                        end: self.pos,
                    });
                }
            }
        }
        if in_hole {
            return error("unterminated `${` in a string", self.pos, self.pos);
        }
        self.depth -= 1;
        Ok(out)
    }

    /// A `'…'` string with escapes and `${…}` holes; `pos` is at the quote.
    fn string(&mut self) -> Result<Vec<StrPart>, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return error("unterminated string", start, self.text.len());
            };
            match c {
                '\'' => {
                    self.pos += 1;
                    break;
                }
                '\n' => return error("unterminated string", start, self.pos),
                '\\' => {
                    let escaped = self.text[self.pos + 1..].chars().next();
                    self.pos += 1 + escaped.map_or(0, char::len_utf8);
                    match escaped {
                        Some('n') => text.push('\n'),
                        Some('r') => text.push('\r'),
                        Some('t') => text.push('\t'),
                        Some('\\') => text.push('\\'),
                        Some('\'') => text.push('\''),
                        Some('$') => text.push('$'),
                        Some('u') if self.starts("{") => {
                            let Some(close) = self.text[self.pos..].find('}') else {
                                return error("bad unicode escape", start, self.pos);
                            };
                            let hex = &self.text[self.pos + 1..self.pos + close];
                            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) => text.push(ch),
                                None => return error("bad unicode escape", start, self.pos),
                            }
                            self.pos += close + 1;
                        }
                        _ => return error("unknown escape in string", self.pos - 2, self.pos),
                    }
                }
                '$' if self.starts("${") => {
                    self.pos += 2;
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    let hole = self.tokens(true)?;
                    parts.push(StrPart::Hole(hole));
                }
                c => {
                    text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text));
        }
        Ok(parts)
    }
}

pub fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    Lexer {
        text,
        pos: 0,
        depth: 0,
    }
    .tokens(false)
}
