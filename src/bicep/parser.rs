//! Bicep tokens → syntax tree: declarations, decorators and types here,
//! expressions in `parser/expression.rs`.
//!
//! Hand-written rather than a grammar crate: the language is small, the
//! parser must never panic on any input, and it must say where a file stops
//! making sense (line and column), which a recovering grammar does not.
//! Newlines end statements and separate object properties and array items;
//! inside parentheses they are insignificant. Types are parsed and kept only
//! as far as lowering needs them (a parameter's nullability). Tokenizing is
//! [`super::lexer`]; the tree's types are [`super::tree`]; giving the tree a
//! meaning is [`super::lower`].

mod expression;

use crate::bicep::lexer::{MAX_DEPTH, StrPart, Tok, Token, error, lex};
use crate::bicep::tree::{Decl, DeclKind, Decorator, Expr, ExprKind};
use crate::diagnostic::SyntaxError;
use crate::source::{FileId, Span};

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
            return Err(SyntaxError::too_deep(
                "expression nested too deeply",
                at,
                at + 1,
            ));
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

    #[allow(clippy::too_many_lines)] // one arm per declaration keyword
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
    use crate::bicep::tree::Interp;

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
