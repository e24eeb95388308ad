//! Bicep source → syntax tree, with a byte span on every node.
//!
//! Hand-written rather than a grammar crate: the language is small, the
//! parser must never panic on any input, and it must say where a file stops
//! making sense (line and column), which a recovering grammar does not.
//! Newlines end statements and separate object properties and array items;
//! inside parentheses they are insignificant. Types are parsed and kept only
//! as far as lowering needs them (a parameter's nullability).

use crate::source::{FileId, Span};

/// Nesting past this is refused (hostile input must not overflow the stack).
const MAX_DEPTH: usize = 128;

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

#[derive(Debug)]
pub struct SyntaxError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

fn error<T>(message: impl Into<String>, start: usize, end: usize) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        message: message.into(),
        start,
        end,
    })
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
    fn tokens(&mut self, in_hole: bool) -> Result<Vec<Token>, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return error("strings nested too deeply", self.pos, self.pos + 1);
        }
        let mut out = Vec::new();
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
                    let Some(sym) = SYMBOLS.iter().chain(SINGLE.iter()).find(|s| self.starts(s))
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

// ---------------------------------------------------------------- syntax tree

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Str(Vec<Interp>),
    Array(Vec<Item>),
    Object(Vec<Prop>),
    Ident(String),
    /// `a.b`, `a.?b` (safe), `a::b` (nested resource).
    Member(Box<Expr>, String, bool),
    /// `a[i]`, `a[?i]`.
    Index(Box<Expr>, Box<Expr>, bool),
    /// `f(x)`, `ns.f(x)`, `resource.method(x)`.
    Call(Option<Box<Expr>>, String, Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Lambda(Vec<String>, Box<Expr>),
    /// `[for (item, index) in source: body]`; the body may be an `If`.
    For {
        item: Option<String>,
        index: Option<String>,
        source: Box<Expr>,
        body: Box<Expr>,
    },
    /// `if (condition) { … }`, in resource and module bodies.
    If(Box<Expr>, Box<Expr>),
    /// `x!`
    NonNull(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Interp {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum Item {
    Value(Expr),
    Spread(Expr),
}

#[derive(Clone, Debug)]
pub enum Prop {
    /// `key: value`; `span` covers both.
    Pair {
        key: String,
        value: Expr,
        span: Span,
    },
    Spread(Expr),
    /// `'${name}': value`: a key computed from an interpolated string.
    Computed {
        key: Expr,
        value: Expr,
        span: Span,
    },
    /// A nested child resource declared in its parent's body.
    Resource(Box<Decl>),
}

#[derive(Clone, Debug)]
pub struct Decorator {
    pub name: String,
    pub args: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub enum DeclKind {
    Param {
        nullable: bool,
        default: Option<Expr>,
    },
    Var(Expr),
    Output(Expr),
    Resource {
        type_string: String,
        existing: bool,
        body: Expr,
    },
    Module {
        path: String,
        body: Expr,
    },
    Func {
        params: Vec<String>,
        body: Expr,
    },
    TargetScope(Expr),
    /// `using './main.bicep'` in a `.bicepparam` file.
    Using(String),
    /// `type`, `import`, `metadata`, `extension`, `assert`: nothing to lower.
    Other,
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub name: String,
    pub name_span: Span,
    pub decorators: Vec<Decorator>,
    pub kind: DeclKind,
    pub span: Span,
}

// -------------------------------------------------------------------- parser

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    file: FileId,
    depth: usize,
    /// Inside `(…)`: newlines are insignificant.
    parens: usize,
    end: usize,
}

type R<T> = Result<T, SyntaxError>;

impl<'t> Parser<'t> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn skip_newlines(&mut self) {
        while matches!(
            self.tokens.get(self.pos),
            Some(Token {
                tok: Tok::Newline,
                ..
            })
        ) {
            self.pos += 1;
        }
    }

    /// The next significant token (newlines skipped inside parentheses).
    fn peek(&mut self) -> Option<&'t Token> {
        if self.parens > 0 {
            self.skip_newlines();
        }
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&'t Token> {
        self.tokens.get(self.pos + n)
    }

    fn next(&mut self) -> R<&'t Token> {
        match self.peek() {
            Some(t) => {
                self.pos += 1;
                Ok(t)
            }
            None => error("unexpected end of file", self.end, self.end),
        }
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.end)
    }

    fn is_sym(&mut self, s: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Sym(x), .. }) if *x == s)
    }

    fn is_ident(&mut self, s: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Ident(x), .. }) if x == s)
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> R<&'t Token> {
        let t = self.next()?;
        match &t.tok {
            Tok::Sym(x) if *x == s => Ok(t),
            _ => error(format!("expected `{s}`"), t.start, t.end),
        }
    }

    fn ident(&mut self) -> R<(String, Span)> {
        let t = self.next()?;
        match &t.tok {
            Tok::Ident(name) => Ok((name.clone(), self.span(t.start, t.end))),
            _ => error("expected a name", t.start, t.end),
        }
    }

    fn literal_string(&mut self) -> R<String> {
        let t = self.next()?;
        match &t.tok {
            Tok::Str(parts) => match parts.as_slice() {
                [StrPart::Text(s)] => Ok(s.clone()),
                _ => error("expected a string without interpolation", t.start, t.end),
            },
            _ => error("expected a string", t.start, t.end),
        }
    }

    fn deeper(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let at = self.tokens.get(self.pos).map_or(self.end, |t| t.start);
            return error("expression nested too deeply", at, at + 1);
        }
        Ok(())
    }

    // ------------------------------------------------------------ statements

    fn file(&mut self) -> R<Vec<Decl>> {
        let mut decls = Vec::new();
        loop {
            self.skip_newlines();
            if self.pos >= self.tokens.len() {
                return Ok(decls);
            }
            let decl = self.declaration()?;
            decls.push(decl);
            match self.tokens.get(self.pos) {
                None
                | Some(Token {
                    tok: Tok::Newline, ..
                }) => {}
                Some(t) => {
                    return error("expected a new line after the declaration", t.start, t.end);
                }
            }
        }
    }

    fn decorators(&mut self) -> R<Vec<Decorator>> {
        let mut out = Vec::new();
        while self.is_sym("@") {
            self.pos += 1;
            let (mut name, _) = self.ident()?;
            if self.eat(".") {
                name = self.ident()?.0; // `sys.description`
            }
            let mut args = Vec::new();
            if self.is_sym("(") {
                args = self.arguments()?;
            }
            out.push(Decorator { name, args });
            self.skip_newlines();
        }
        Ok(out)
    }

    fn declaration(&mut self) -> R<Decl> {
        let decorators = self.decorators()?;
        let start = self.peek().map_or(self.end, |t| t.start);
        let (keyword, keyword_span) = self.ident()?;
        let other = |p: &mut Parser, name: String, name_span: Span| -> R<Decl> {
            p.skip_rest_of_statement()?;
            Ok(Decl {
                name,
                name_span,
                decorators: Vec::new(),
                kind: DeclKind::Other,
                span: p.span(start, p.last_end()),
            })
        };
        let kind;
        let (name, name_span);
        match keyword.as_str() {
            "targetScope" => {
                self.expect("=")?;
                (name, name_span) = (keyword.clone(), keyword_span);
                kind = DeclKind::TargetScope(self.expression()?);
            }
            "using" => {
                (name, name_span) = (keyword.clone(), keyword_span);
                kind = if self.is_ident("none") {
                    self.pos += 1;
                    DeclKind::Using(String::new())
                } else {
                    DeclKind::Using(self.literal_string()?)
                };
                // `using './main.bicep' with { … }` (extensions): ignored.
                if self.is_ident("with") {
                    self.skip_rest_of_statement()?;
                }
            }
            "param" => {
                (name, name_span) = self.ident()?;
                let mut nullable = false;
                if !self.is_sym("=") {
                    nullable = self.type_expression()?;
                }
                let default = if self.eat("=") {
                    Some(self.expression()?)
                } else {
                    None
                };
                kind = DeclKind::Param { nullable, default };
            }
            "var" => {
                (name, name_span) = self.ident()?;
                if !self.is_sym("=") {
                    self.type_expression()?;
                }
                self.expect("=")?;
                kind = DeclKind::Var(self.expression()?);
            }
            "output" => {
                (name, name_span) = self.ident()?;
                if self.is_ident("resource") {
                    self.pos += 1;
                    self.literal_string()?;
                } else {
                    self.type_expression()?;
                }
                self.expect("=")?;
                kind = DeclKind::Output(self.expression()?);
            }
            "resource" => {
                (name, name_span) = self.ident()?;
                let type_string = self.literal_string()?;
                let existing = self.is_ident("existing");
                if existing {
                    self.pos += 1;
                }
                self.expect("=")?;
                let body = self.body()?;
                kind = DeclKind::Resource {
                    type_string,
                    existing,
                    body,
                };
            }
            "module" => {
                (name, name_span) = self.ident()?;
                let path = self.literal_string()?;
                self.expect("=")?;
                let body = self.body()?;
                kind = DeclKind::Module { path, body };
            }
            "func" => {
                (name, name_span) = self.ident()?;
                self.expect("(")?;
                self.parens += 1;
                let mut params = Vec::new();
                while !self.is_sym(")") {
                    params.push(self.ident()?.0);
                    self.type_expression()?;
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect(")")?;
                self.parens -= 1;
                self.type_expression()?;
                self.expect("=>")?;
                // The body may start on the next line.
                self.skip_newlines();
                kind = DeclKind::Func {
                    params,
                    body: self.expression()?,
                };
            }
            "type" if matches!(self.peek_at(1).map(|t| &t.tok), Some(Tok::Sym("="))) => {
                (name, name_span) = self.ident()?;
                self.expect("=")?;
                self.type_expression()?;
                kind = DeclKind::Other;
            }
            "type" | "import" | "metadata" | "extension" | "provider" | "assert" => {
                return other(self, keyword, keyword_span);
            }
            _ => {
                return error(
                    format!("expected a declaration, found `{keyword}`"),
                    keyword_span.start as usize,
                    keyword_span.end as usize,
                );
            }
        }
        Ok(Decl {
            name,
            name_span,
            decorators,
            kind,
            span: self.span(start, self.last_end()),
        })
    }

    /// Skips to the end of the statement, over balanced brackets.
    fn skip_rest_of_statement(&mut self) -> R<()> {
        let mut depth = 0usize;
        while let Some(t) = self.tokens.get(self.pos) {
            match &t.tok {
                Tok::Newline if depth == 0 => return Ok(()),
                Tok::Sym("{" | "[" | "(") => depth += 1,
                Tok::Sym("}" | "]" | ")") => {
                    if depth == 0 {
                        return error("unbalanced bracket", t.start, t.end);
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A resource or module body: an object, `if (c) {…}`, or a loop.
    fn body(&mut self) -> R<Expr> {
        if self.is_ident("if") {
            return self.if_body();
        }
        self.expression()
    }

    fn if_body(&mut self) -> R<Expr> {
        let start = self.next()?.start;
        self.expect("(")?;
        self.parens += 1;
        let condition = self.expression()?;
        self.expect(")")?;
        self.parens -= 1;
        let body = self.expression()?;
        Ok(Expr {
            span: self.span(start, self.last_end()),
            kind: ExprKind::If(Box::new(condition), Box::new(body)),
        })
    }

    /// A type; returns whether it is nullable (`T?`, or a union with `null`).
    fn type_expression(&mut self) -> R<bool> {
        self.deeper()?;
        let mut nullable = false;
        // A union may start on the next line, each member after a `|`.
        if self.newlines_then("|") {
            self.skip_newlines();
            self.pos += 1;
        }
        loop {
            nullable |= self.type_primary()?;
            loop {
                if self.is_sym("[")
                    && matches!(
                        self.peek_at(1),
                        Some(Token {
                            tok: Tok::Sym("]"),
                            ..
                        })
                    )
                {
                    self.pos += 2;
                } else if self.eat("?") {
                    nullable = true;
                } else if self.eat(".") {
                    self.ident()?; // `ns.type`, `type.property`
                } else if self.is_sym("[") {
                    // `type[*]`, `type['key']`: index into a type.
                    self.pos += 1;
                    while !self.eat("]") {
                        self.next()?;
                    }
                } else {
                    break;
                }
            }
            if !self.newlines_then("|") {
                break;
            }
            self.skip_newlines();
            self.pos += 1;
        }
        self.depth -= 1;
        Ok(nullable)
    }

    /// Whether the next token after any newlines is the symbol `s`.
    fn newlines_then(&self, s: &str) -> bool {
        let mut i = self.pos;
        while matches!(self.tokens.get(i).map(|t| &t.tok), Some(Tok::Newline)) {
            i += 1;
        }
        matches!(self.tokens.get(i).map(|t| &t.tok), Some(Tok::Sym(x)) if *x == s)
    }

    fn type_primary(&mut self) -> R<bool> {
        let t = self.next()?;
        match &t.tok {
            Tok::Ident(name) if name == "null" => Ok(true),
            Tok::Ident(name) if name == "resource" => {
                self.literal_string()?;
                Ok(false)
            }
            Tok::Ident(_) => {
                // `resourceInput<'type@version'>`: a generic type's arguments.
                if self.eat("<") {
                    let mut depth = 1usize;
                    while depth > 0 {
                        match &self.next()?.tok {
                            Tok::Sym("<") => depth += 1,
                            Tok::Sym(">") => depth -= 1,
                            _ => {}
                        }
                    }
                }
                Ok(false)
            }
            Tok::Str(_) | Tok::Int(_) => Ok(false),
            Tok::Sym("-") => {
                self.next()?;
                Ok(false)
            }
            Tok::Sym("(") => {
                self.parens += 1;
                let n = self.type_expression()?;
                self.expect(")")?;
                self.parens -= 1;
                Ok(n)
            }
            Tok::Sym("{") => {
                loop {
                    self.skip_newlines();
                    if self.eat("}") {
                        break;
                    }
                    self.decorators()?;
                    let key = self.next()?;
                    if !matches!(key.tok, Tok::Ident(_) | Tok::Str(_) | Tok::Sym("*")) {
                        return error("expected a property name", key.start, key.end);
                    }
                    self.expect(":")?;
                    self.type_expression()?;
                    self.eat(",");
                }
                Ok(false)
            }
            Tok::Sym("[") => {
                loop {
                    self.skip_newlines();
                    if self.eat("]") {
                        break;
                    }
                    self.decorators()?;
                    self.type_expression()?;
                    self.eat(",");
                }
                Ok(false)
            }
            _ => error("expected a type", t.start, t.end),
        }
    }

    // ----------------------------------------------------------- expressions

    pub fn expression(&mut self) -> R<Expr> {
        self.deeper()?;
        let start = self.peek().map_or(self.end, |t| t.start);
        // A lambda: `x => …` or `(a, b) => …`.
        if let Some(params) = self.lambda_params() {
            self.skip_newlines();
            let body = self.expression()?;
            self.depth -= 1;
            return Ok(Expr {
                span: self.span(start, self.last_end()),
                kind: ExprKind::Lambda(params, Box::new(body)),
            });
        }
        let condition = self.binary(0)?;
        // A ternary may put `?` and `:` at the start of the following lines.
        let mut ahead = self.pos;
        while matches!(self.tokens.get(ahead).map(|t| &t.tok), Some(Tok::Newline)) {
            ahead += 1;
        }
        let result = if matches!(self.tokens.get(ahead).map(|t| &t.tok), Some(Tok::Sym("?"))) {
            self.pos = ahead + 1;
            self.parens += 1;
            let a = self.expression()?;
            self.expect(":")?;
            self.parens -= 1;
            let b = self.expression()?;
            Expr {
                span: self.span(start, self.last_end()),
                kind: ExprKind::Ternary(Box::new(condition), Box::new(a), Box::new(b)),
            }
        } else {
            condition
        };
        self.depth -= 1;
        Ok(result)
    }

    fn lambda_params(&mut self) -> Option<Vec<String>> {
        let save = self.pos;
        let t = self.peek()?;
        match &t.tok {
            Tok::Ident(name) => {
                if matches!(
                    self.peek_at(1),
                    Some(Token {
                        tok: Tok::Sym("=>"),
                        ..
                    })
                ) {
                    self.pos += 2;
                    return Some(vec![name.clone()]);
                }
                None
            }
            Tok::Sym("(") => {
                let mut i = self.pos + 1;
                let mut names = Vec::new();
                loop {
                    match self.tokens.get(i).map(|t| &t.tok) {
                        Some(Tok::Newline) => i += 1,
                        Some(Tok::Ident(n)) => {
                            names.push(n.clone());
                            i += 1;
                            // An optional type after the name (`(x string) => …`).
                            if let Some(Tok::Ident(_)) = self.tokens.get(i).map(|t| &t.tok) {
                                i += 1;
                            }
                            match self.tokens.get(i).map(|t| &t.tok) {
                                Some(Tok::Sym(",")) => i += 1,
                                Some(Tok::Sym(")")) => {}
                                _ => break,
                            }
                        }
                        Some(Tok::Sym(")")) => {
                            if matches!(
                                self.tokens.get(i + 1).map(|t| &t.tok),
                                Some(Tok::Sym("=>"))
                            ) {
                                self.pos = i + 2;
                                return Some(names);
                            }
                            break;
                        }
                        _ => break,
                    }
                }
                self.pos = save;
                None
            }
            _ => None,
        }
    }

    fn binary(&mut self, min: u8) -> R<Expr> {
        let start = self.peek().map_or(self.end, |t| t.start);
        let mut left = self.unary()?;
        // Each operator wraps the tree one level deeper (`1 + 1 + 1` is
        // `(1 + 1) + 1`), and lowering and dropping the tree recurse through
        // every level: a chain counts towards the depth as nesting does.
        let mut links = 0;
        while let Some(Token {
            tok: Tok::Sym(op), ..
        }) = self.peek()
        {
            let precedence = match *op {
                "??" => 1,
                "||" => 2,
                "&&" => 3,
                "==" | "!=" | "=~" | "!~" => 4,
                "<" | "<=" | ">" | ">=" => 5,
                "+" | "-" => 6,
                "*" | "/" | "%" => 7,
                _ => break,
            };
            if precedence < min {
                break;
            }
            self.pos += 1;
            links += 1;
            self.deeper()?;
            let right = self.binary(precedence + 1)?;
            left = Expr {
                span: self.span(start, self.last_end()),
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
        self.depth -= links;
        Ok(left)
    }

    fn unary(&mut self) -> R<Expr> {
        let start = self.peek().map_or(self.end, |t| t.start);
        for op in ["!", "-"] {
            if self.eat(op) {
                self.deeper()?;
                let operand = self.unary()?;
                self.depth -= 1;
                return Ok(Expr {
                    span: self.span(start, self.last_end()),
                    kind: ExprKind::Unary(op, Box::new(operand)),
                });
            }
        }
        self.postfix()
    }

    fn postfix(&mut self) -> R<Expr> {
        let start = self.peek().map_or(self.end, |t| t.start);
        let mut e = self.primary()?;
        // Like an operator chain, each access is one level deeper.
        let mut links = 0;
        // A newline ends a postfix chain: `.member` cannot start a line.
        while let Some(t) = self.tokens.get(self.pos) {
            if matches!(t.tok, Tok::Sym("." | ".?" | "::" | "[" | "!")) {
                links += 1;
                self.deeper()?;
            }
            let kind = match &t.tok {
                Tok::Sym(op @ ("." | ".?" | "::")) => {
                    self.pos += 1;
                    let (name, _) = self.member_name()?;
                    if *op == "." && self.is_sym("(") {
                        let args = self.arguments()?;
                        ExprKind::Call(Some(Box::new(e)), name, args)
                    } else {
                        ExprKind::Member(Box::new(e), name, *op == ".?")
                    }
                }
                Tok::Sym("[") => {
                    self.pos += 1;
                    self.parens += 1;
                    let safe = self.eat("?");
                    let index = self.expression()?;
                    self.expect("]")?;
                    self.parens -= 1;
                    ExprKind::Index(Box::new(e), Box::new(index), safe)
                }
                Tok::Sym("!") => {
                    // `x!` (non-null), not `x != y`.
                    self.pos += 1;
                    ExprKind::NonNull(Box::new(e))
                }
                _ => break,
            };
            e = Expr {
                span: self.span(start, self.last_end()),
                kind,
            };
        }
        self.depth -= links;
        Ok(e)
    }

    fn member_name(&mut self) -> R<(String, Span)> {
        let t = self.next()?;
        match &t.tok {
            Tok::Ident(name) => Ok((name.clone(), self.span(t.start, t.end))),
            _ => error("expected a property name", t.start, t.end),
        }
    }

    fn arguments(&mut self) -> R<Vec<Expr>> {
        self.expect("(")?;
        self.parens += 1;
        let mut args = Vec::new();
        while !self.is_sym(")") {
            args.push(self.expression()?);
            if !self.eat(",") {
                break;
            }
        }
        self.expect(")")?;
        self.parens -= 1;
        Ok(args)
    }

    fn primary(&mut self) -> R<Expr> {
        self.deeper()?;
        let t = self.next()?;
        let kind = match &t.tok {
            Tok::Int(n) => ExprKind::Int(*n),
            Tok::Str(parts) => {
                let mut out = Vec::new();
                for part in parts {
                    match part {
                        StrPart::Text(s) => out.push(Interp::Text(s.clone())),
                        StrPart::Hole(tokens) => {
                            let mut inner = Parser {
                                tokens,
                                pos: 0,
                                file: self.file,
                                depth: self.depth,
                                parens: 1,
                                end: t.end,
                            };
                            let e = inner.expression()?;
                            if let Some(extra) = inner.peek() {
                                return error("unexpected token in `${…}`", extra.start, extra.end);
                            }
                            out.push(Interp::Expr(e));
                        }
                    }
                }
                ExprKind::Str(out)
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                _ if matches!(
                    self.tokens.get(self.pos).map(|n| &n.tok),
                    Some(Tok::Sym("("))
                ) =>
                {
                    let args = self.arguments()?;
                    ExprKind::Call(None, name.clone(), args)
                }
                _ => ExprKind::Ident(name.clone()),
            },
            Tok::Sym("(") => {
                self.parens += 1;
                let e = self.expression()?;
                self.expect(")")?;
                self.parens -= 1;
                self.depth -= 1;
                return Ok(Expr {
                    span: self.span(t.start, self.last_end()),
                    kind: e.kind,
                });
            }
            Tok::Sym("[") => self.array()?,
            Tok::Sym("{") => self.object()?,
            _ => return error("expected a value", t.start, t.end),
        };
        self.depth -= 1;
        Ok(Expr {
            span: self.span(t.start, self.last_end()),
            kind,
        })
    }

    /// After `[`: a loop or a list of items.
    fn array(&mut self) -> R<ExprKind> {
        let outer_parens = self.parens;
        self.parens = 0;
        self.skip_newlines();
        if self.is_ident("for") {
            self.pos += 1;
            let (item, index) = if self.eat("(") {
                self.parens += 1;
                let item = self.ident()?.0;
                let index = if self.eat(",") {
                    Some(self.ident()?.0)
                } else {
                    None
                };
                self.expect(")")?;
                self.parens -= 1;
                (Some(item), index)
            } else {
                (Some(self.ident()?.0), None)
            };
            if !self.is_ident("in") {
                let at = self.peek().map_or(self.end, |t| t.start);
                return error("expected `in`", at, at + 1);
            }
            self.pos += 1;
            self.parens += 1;
            let source = self.expression()?;
            self.expect(":")?;
            self.parens -= 1;
            self.skip_newlines();
            let body = if self.is_ident("if") {
                self.if_body()?
            } else {
                self.expression()?
            };
            self.skip_newlines();
            self.expect("]")?;
            self.parens = outer_parens;
            return Ok(ExprKind::For {
                item,
                index,
                source: Box::new(source),
                body: Box::new(body),
            });
        }
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat("]") {
                break;
            }
            if self.eat("...") {
                items.push(Item::Spread(self.expression()?));
            } else {
                items.push(Item::Value(self.expression()?));
            }
            self.eat(",");
            match self.tokens.get(self.pos).map(|t| &t.tok) {
                Some(Tok::Newline | Tok::Sym("]")) => {}
                Some(_)
                    if matches!(
                        self.tokens.get(self.pos - 1).map(|t| &t.tok),
                        Some(Tok::Sym(","))
                    ) => {}
                _ => {
                    let at = self.tokens.get(self.pos).map_or(self.end, |t| t.start);
                    return error("expected a new line or `]` after an array item", at, at + 1);
                }
            }
        }
        self.parens = outer_parens;
        Ok(ExprKind::Array(items))
    }

    /// After `{`: properties, spreads and nested resources.
    fn object(&mut self) -> R<ExprKind> {
        let outer_parens = self.parens;
        self.parens = 0;
        let mut props = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat("}") {
                break;
            }
            let decorators = self.decorators()?;
            let Some(t) = self.peek() else {
                return error("unterminated object", self.end, self.end);
            };
            let start = t.start;
            if self.eat("...") {
                props.push(Prop::Spread(self.expression()?));
            } else if matches!(&t.tok, Tok::Ident(k) if k == "resource")
                && matches!(self.peek_at(1).map(|t| &t.tok), Some(Tok::Ident(_)))
                && matches!(self.peek_at(2).map(|t| &t.tok), Some(Tok::Str(_)))
            {
                let mut decl = self.declaration()?;
                decl.decorators = decorators;
                props.push(Prop::Resource(Box::new(decl)));
            } else {
                let t = self.next()?;
                let key = match &t.tok {
                    Tok::Ident(k) => Some(k.clone()),
                    Tok::Str(parts) => match parts.as_slice() {
                        [StrPart::Text(s)] => Some(s.clone()),
                        _ => None,
                    },
                    _ => return error("expected a property name", t.start, t.end),
                };
                let computed = match key {
                    Some(_) => None,
                    None => {
                        // Parse the interpolated key again as an expression.
                        self.pos -= 1;
                        Some(self.primary()?)
                    }
                };
                self.expect(":")?;
                let value = self.expression()?;
                let span = self.span(start, self.last_end());
                props.push(match (key, computed) {
                    (Some(key), _) => Prop::Pair { key, span, value },
                    (None, Some(key)) => Prop::Computed { key, value, span },
                    (None, None) => return error("expected a property name", t.start, t.end),
                });
            }
            self.eat(",");
            match self.tokens.get(self.pos).map(|t| &t.tok) {
                Some(Tok::Newline | Tok::Sym("}")) => {}
                Some(_)
                    if matches!(
                        self.tokens.get(self.pos - 1).map(|t| &t.tok),
                        Some(Tok::Sym(","))
                    ) => {}
                _ => {
                    let at = self.tokens.get(self.pos).map_or(self.end, |t| t.start);
                    return error("expected a new line or `}` after a property", at, at + 1);
                }
            }
        }
        self.parens = outer_parens;
        Ok(ExprKind::Object(props))
    }
}

/// Parses a whole `.bicep` or `.bicepparam` file.
pub fn parse(file: FileId, text: &str) -> Result<Vec<Decl>, SyntaxError> {
    let tokens = lex(text)?;
    Parser {
        tokens: &tokens,
        pos: 0,
        file,
        depth: 0,
        parens: 0,
        end: text.len(),
    }
    .file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(text: &str) -> Vec<Decl> {
        match parse(FileId(0), text) {
            Ok(decls) => decls,
            Err(e) => panic!(
                "{} at {}..{}: {:?}",
                e.message,
                e.start,
                e.end,
                &text[e.start..]
            ),
        }
    }

    #[test]
    fn declarations_of_every_kind() {
        let decls = parses(
            r#"
targetScope = 'resourceGroup'
metadata name = 'x'
import { naming } from './types.bicep'
type zoneName = 'a' | 'b'
@description('The location')
param location string = resourceGroup().location
param tags object?
param names string[] = [
  'a'
  'b'
]
var zone = 'privatelink.${environment().suffixes.sqlServerHostname}'
func prefix(name string) string => 'pl-${name}'
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] }
    subnets: [for (s, i) in names: {
      name: s
      properties: { addressPrefix: cidrSubnet('10.0.0.0/16', 24, i) }
    }]
  }
  resource pe 'subnets' existing = {
    name: 'pe'
  }
}
resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for n in names: if (n != 'b') {
  name: n
  location: 'global'
}]
module db './db.bicep' = if (!empty(location)) {
  name: 'db'
  params: {
    subnetId: vnet::pe.id
    ...tags
  }
}
output id string = vnet.id
output x string? = tags.?name ?? 'none'
"#,
        );
        let kinds: Vec<&str> = decls
            .iter()
            .map(|d| match &d.kind {
                DeclKind::Param { .. } => "param",
                DeclKind::Var(_) => "var",
                DeclKind::Output(_) => "output",
                DeclKind::Resource { .. } => "resource",
                DeclKind::Module { .. } => "module",
                DeclKind::Func { .. } => "func",
                DeclKind::TargetScope(_) => "targetScope",
                DeclKind::Using(_) => "using",
                DeclKind::Other => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "targetScope",
                "other",
                "other",
                "other",
                "param",
                "param",
                "param",
                "var",
                "func",
                "resource",
                "resource",
                "module",
                "output",
                "output"
            ]
        );
        assert!(matches!(
            &decls[5].kind,
            DeclKind::Param {
                nullable: true,
                default: None
            }
        ));
    }

    #[test]
    fn strings_escape_and_interpolate() {
        let decls = parses("var a = 'it\\'s ${x}-${'y${z}'}'\nvar b = '''\nraw ${x}\n'''\n");
        let DeclKind::Var(Expr {
            kind: ExprKind::Str(parts),
            ..
        }) = &decls[0].kind
        else {
            panic!("{:?}", decls[0].kind);
        };
        assert!(matches!(&parts[0], Interp::Text(t) if t == "it's "));
        assert_eq!(parts.len(), 4);
        let DeclKind::Var(Expr {
            kind: ExprKind::Str(raw),
            ..
        }) = &decls[1].kind
        else {
            panic!();
        };
        assert!(matches!(&raw[..], [Interp::Text(t)] if t == "raw ${x}\n"));
    }

    #[test]
    fn operators_lambdas_and_ternaries() {
        parses(
            "var a = x ? y : z\nvar b = map(xs, x => x.name)\nvar c = reduce(xs, 0, (cur, next) => cur + next)\nvar d = !empty(a) && b == c || c =~ 'X'\nvar e = a!.b[?0]\n",
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for text in [
            "param",
            "var a = ",
            "resource x 'y' = {",
            "var a = '${",
            "var a = [1 2]",
            "@",
            "var a = ((((",
            "var a = 'unterminated",
        ] {
            assert!(parse(FileId(0), text).is_err(), "{text}");
        }
        let deep = format!("var a = {}1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(parse(FileId(0), &deep).is_err());
    }
}
