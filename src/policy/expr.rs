//! The rule language's expressions: lexer and parser.
//!
//! ```text
//! or   := and ('or' and)*            cmp  := coal (('=='|'!='|'<'|'<='|'>'|'>='|'in') coal)?
//! and  := not ('and' not)*           coal := sum ('??' sum)*
//! not  := 'not' not | cmp            sum  := post (('+'|'-') post)*
//! post := atom ('.' ident | '[' '*' ']' | '[' or ']')*
//! atom := ident | ident '(' args ')' | string | number | true | false | null | '(' or ')' | '[' list ']'
//! args := (ident '->' or | or) (',' …)*
//! ```
//! Evaluation lives in `eval.rs`; this module only turns text into an [`Expr`].

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<Expr>),
    Var(String),
    Field(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// `x[*]`: every element of a list (or nothing when absent).
    Spread(Box<Expr>),
    Call(String, Vec<Expr>),
    /// `x -> body`, only as a function argument.
    Lambda(String, Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    /// `a ?? b`: `b` when `a` is absent or null (not when unknown).
    Default,
    /// `a + b`: list concatenation, string concatenation or addition.
    Add,
    /// `a - b`: subtraction of numbers.
    Sub,
}

/// A syntax error with its byte offset in the expression text.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Punct(&'static str),
    End,
}

const PUNCT: [&str; 18] = [
    "->", "==", "!=", "<=", ">=", "??", "<", ">", "+", "-", ".", ",", "(", ")", "[", "]", "*", "!",
];

/// Deep enough for any rule a person writes; bounded so hostile rule files
/// cannot overflow the stack.
const MAX_DEPTH: usize = 64;

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut ident = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    ident.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push((Tok::Ident(ident), at));
        } else if c.is_ascii_digit() {
            let mut number = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_ascii_digit() || c == '.' {
                    number.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            let value = number.parse().map_err(|_| SyntaxError {
                offset: at,
                message: format!("`{number}` is not a number"),
            })?;
            tokens.push((Tok::Num(value), at));
        } else if c == '\'' || c == '"' {
            chars.next();
            let mut s = String::new();
            let mut closed = false;
            while let Some((_, d)) = chars.next() {
                if d == '\\' {
                    if let Some((_, e)) = chars.next() {
                        s.push(e);
                    }
                } else if d == c {
                    closed = true;
                    break;
                } else {
                    s.push(d);
                }
            }
            if !closed {
                return Err(SyntaxError {
                    offset: at,
                    message: "unterminated string".into(),
                });
            }
            tokens.push((Tok::Str(s), at));
        } else {
            let rest = &text[at..];
            let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) else {
                return Err(SyntaxError {
                    offset: at,
                    message: format!("unexpected character `{c}`"),
                });
            };
            for _ in 0..p.chars().count() {
                chars.next();
            }
            tokens.push((Tok::Punct(p), at));
        }
    }
    tokens.push((Tok::End, text.len()));
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
}

/// Parses one expression.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    let mut parser = Parser {
        tokens: lex(text)?,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.peek() {
        Tok::End => Ok(expr),
        other => Err(parser.error(format!("unexpected {}", describe(other)))),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::End => "end of expression".into(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos.min(self.tokens.len() - 1)].0
    }

    fn offset(&self) -> usize {
        self.tokens[self.pos.min(self.tokens.len() - 1)].1
    }

    fn next(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        tok
    }

    fn error(&self, message: String) -> SyntaxError {
        SyntaxError {
            offset: self.offset(),
            message,
        }
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.next();
            true
        } else {
            false
        }
    }

    fn eat_keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(i) if i == k) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), SyntaxError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.error(format!("expected `{p}`, found {}", describe(self.peek()))))
        }
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, SyntaxError>,
    ) -> Result<T, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nests too deeply".into()));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// One more link of a chain (`a and b and c`, `a.b.c`): each wraps the
    /// tree one level deeper, and evaluating and dropping it recurse through
    /// every level, so a chain counts towards the depth as nesting does.
    /// The caller gives the links back with `unlink` when the chain ends.
    fn link(&mut self, links: &mut usize) -> Result<(), SyntaxError> {
        *links += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("expression nests too deeply".into()));
        }
        Ok(())
    }

    fn unlink<T>(&mut self, links: usize, value: T) -> Result<T, SyntaxError> {
        self.depth -= links;
        Ok(value)
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.nested(|p| {
            let mut left = p.and()?;
            let mut links = 0;
            while p.eat_keyword("or") {
                p.link(&mut links)?;
                left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(p.and()?));
            }
            p.unlink(links, left)
        })
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.not()?;
        let mut links = 0;
        while self.eat_keyword("and") {
            self.link(&mut links)?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(self.not()?));
        }
        self.unlink(links, left)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat_keyword("not") || self.eat_punct("!") {
            return self.nested(|p| Ok(Expr::Not(Box::new(p.not()?))));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.coalesce()?;
        let op = match self.peek() {
            Tok::Punct("==") => BinOp::Eq,
            Tok::Punct("!=") => BinOp::Ne,
            Tok::Punct("<") => BinOp::Lt,
            Tok::Punct("<=") => BinOp::Le,
            Tok::Punct(">") => BinOp::Gt,
            Tok::Punct(">=") => BinOp::Ge,
            Tok::Ident(k) if k == "in" => BinOp::In,
            _ => return Ok(left),
        };
        self.next();
        let right = self.coalesce()?;
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn coalesce(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.sum()?;
        let mut links = 0;
        while self.eat_punct("??") {
            self.link(&mut links)?;
            left = Expr::Binary(BinOp::Default, Box::new(left), Box::new(self.sum()?));
        }
        self.unlink(links, left)
    }

    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.postfix()?;
        let mut links = 0;
        loop {
            let op = if self.eat_punct("+") {
                BinOp::Add
            } else if self.eat_punct("-") {
                BinOp::Sub
            } else {
                return self.unlink(links, left);
            };
            self.link(&mut links)?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.postfix()?));
        }
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut expr = self.atom()?;
        let mut links = 0;
        loop {
            if matches!(self.peek(), Tok::Punct("." | "[")) {
                self.link(&mut links)?;
            }
            if self.eat_punct(".") {
                match self.next() {
                    Tok::Ident(name) => expr = Expr::Field(Box::new(expr), name),
                    other => {
                        return Err(self.error(format!(
                            "expected a property name after `.`, found {}",
                            describe(&other)
                        )));
                    }
                }
            } else if self.eat_punct("[") {
                if self.eat_punct("*") {
                    self.expect("]")?;
                    expr = Expr::Spread(Box::new(expr));
                } else {
                    let index = self.or()?;
                    self.expect("]")?;
                    expr = Expr::Index(Box::new(expr), Box::new(index));
                }
            } else {
                return self.unlink(links, expr);
            }
        }
    }

    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        match self.next() {
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Punct("(") => {
                let inner = self.or()?;
                self.expect(")")?;
                Ok(inner)
            }
            Tok::Punct("[") => {
                let mut items = Vec::new();
                if !self.eat_punct("]") {
                    loop {
                        items.push(self.or()?);
                        if self.eat_punct("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(Expr::List(items))
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "null" => Ok(Expr::Null),
                "and" | "or" | "not" | "in" => {
                    self.pos -= 1;
                    Err(self.error(format!("unexpected keyword `{name}`")))
                }
                _ if self.eat_punct("(") => {
                    let mut args = Vec::new();
                    if !self.eat_punct(")") {
                        loop {
                            args.push(self.argument()?);
                            if self.eat_punct(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    Ok(Expr::Call(name, args))
                }
                _ => Ok(Expr::Var(name)),
            },
            other => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.error(format!("expected a value, found {}", describe(&other))))
            }
        }
    }

    fn argument(&mut self) -> Result<Expr, SyntaxError> {
        if let (Tok::Ident(name), Some((Tok::Punct("->"), _))) =
            (self.peek().clone(), self.tokens.get(self.pos + 1))
        {
            self.pos += 2;
            let body = self.or()?;
            return Ok(Expr::Lambda(name, Box::new(body)));
        }
        self.or()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_calls_and_lambdas() {
        let e = parse("none(links, l -> follow(l.properties.virtualNetwork.id) == vnet)").unwrap();
        let Expr::Call(name, args) = e else { panic!() };
        assert_eq!(name, "none");
        assert!(matches!(&args[1], Expr::Lambda(p, _) if p == "l"));
    }

    #[test]
    fn precedence_of_default_and_comparison() {
        let e =
            parse("s.policy ?? 'Disabled' in ['Enabled', 'RouteTableEnabled'] and not x").unwrap();
        let Expr::Binary(BinOp::And, left, right) = e else {
            panic!()
        };
        assert!(matches!(*left, Expr::Binary(BinOp::In, _, _)));
        assert!(matches!(*right, Expr::Not(_)));
    }

    #[test]
    fn spread_and_index() {
        let e =
            parse("pe.properties.privateLinkServiceConnections[*].properties.groupIds[0]").unwrap();
        assert!(matches!(e, Expr::Index(_, _)));
    }

    #[test]
    fn errors_say_where() {
        let err = parse("follow(x.").unwrap_err();
        assert_eq!(err.offset, 9);
        assert!(parse("a b").is_err());
        assert!(parse("'open").is_err());
        let deep = format!("{}x{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).is_err());
    }
}
