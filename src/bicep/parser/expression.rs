//! Bicep expressions: lambdas, operators by precedence, member access,
//! indexing, calls, literals, strings with interpolation, arrays (and `for`
//! loops) and objects (with spreads and nested resources).
//!
//! A second `impl` block of [`Parser`]; declarations, decorators, types and
//! the token helpers it uses are in the parent module. It does not lex (see
//! [`crate::bicep::lexer`]).

use super::{Parser, R};
use crate::bicep::lexer::{StrPart, Tok, Token, error};
use crate::bicep::tree::{Expr, ExprKind, Interp, Item, Prop};
use crate::source::Span;

impl Parser<'_> {
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

    pub(super) fn arguments(&mut self) -> R<Vec<Expr>> {
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
