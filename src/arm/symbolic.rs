//! Symbolic evaluation: the identity of a value that is not known offline
//! but is fixed for one deployment.
//!
//! `[parameters('serverName')]` without a value is unknown, yet the server
//! declared with that name and the private endpoint's
//! `resourceId('Microsoft.Sql/servers', parameters('serverName'))` name the
//! same server in every deployment; so do a zone group named
//! `format('{0}/default', variables('peName'))` and the endpoint named
//! `variables('peName')`. This evaluator gives such values a [`Symbolic`]
//! form — known text and symbols, each symbol the canonical text of what
//! produced it, scoped to its deployment — which becomes a
//! [`Part::Symbolic`] of a resource's name or of an id, where the linker
//! ties equal symbols together.
//!
//! It is used only for names and ids, never for property values: every
//! other part of the evaluator sees `Unknown`, so a symbol can never make a
//! condition, a comparison or a rule decide. Two different symbols are
//! never taken as equal or as different.
//!
//! What has a symbol: a parameter without a value (per deployment scope);
//! members of `resourceGroup()`, `subscription()`, `deployment()` and
//! `tenant()`; and any function of such values that is the same for the
//! same arguments (`format`, `concat`, `toLower`, `uniqueString`, `guid`,
//! `replace`, user functions…). What has none: `copyIndex()` of an unknown
//! instance, lambda variables, `reference()`, `list*()`, `utcNow()`,
//! `newGuid()`, and parameters inside user-defined functions.

use foldhash::HashMap;
use smallvec::{SmallVec, smallvec};
use std::cell::{Cell, RefCell};

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::{self, Expr, FormatPiece, Template};
use crate::json::{JsonKind, JsonValue};
use crate::model::{Key, Part, Value};
use crate::source::Span;

/// A symbolic string longer than this (in bytes of its canonical text) has
/// no identity: strings doubled through variables cannot grow without bound.
const MAX_SYMBOLIC_BYTES: usize = 1024;

/// Variables that build each other symbolically never nest deeper.
const MAX_SYMBOLIC_DEPTH: usize = 64;

/// Functions whose value is not the same for the same arguments, or that
/// read what differs per instance or lives only in Azure.
const NO_IDENTITY: &[&str] = &[
    "copyindex",
    "utcnow",
    "newguid",
    "reference",
    "lambdavariables",
    "lambda",
    "listkeys",
    "listsecrets",
    "listaccountsas",
    "listservicesas",
    "list",
    "pickzones",
];

/// A string of known text and symbols.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbolic(SmallVec<[Piece; 1]>);

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    /// Inline when short, as most names' pieces are (see [`Key`]).
    Text(Key),
    Symbol(Key),
}

impl Symbolic {
    fn text(s: impl Into<Key>) -> Symbolic {
        Symbolic(smallvec![Piece::Text(s.into())])
    }

    fn symbol(s: impl Into<Key>) -> Option<Symbolic> {
        let s = s.into();
        (s.len() <= MAX_SYMBOLIC_BYTES).then(|| Symbolic(smallvec![Piece::Symbol(s)]))
    }

    /// Appends `other`, merging adjacent text.
    fn push(&mut self, other: Symbolic) {
        for piece in other.0 {
            match (self.0.last_mut(), piece) {
                (_, Piece::Text(b)) if b.is_empty() => {}
                (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
                (_, piece) => self.0.push(piece),
            }
        }
    }

    fn bytes(&self) -> usize {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(s) | Piece::Symbol(s) => s.len(),
            })
            .sum()
    }

    fn bounded(self) -> Option<Symbolic> {
        (self.bytes() <= MAX_SYMBOLIC_BYTES).then_some(self)
    }

    /// Whether `has` finds what it looks for in any piece's text.
    pub fn mentions(&self, has: &dyn Fn(&str) -> bool) -> bool {
        self.0.iter().any(|p| match p {
            Piece::Text(s) | Piece::Symbol(s) => has(s),
        })
    }

    /// Whether every piece is known text.
    fn known(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(s) => out.push_str(s),
                Piece::Symbol(_) => return None,
            }
        }
        Some(out)
    }

    /// Canonical text, one-to-one with the pieces: text quoted as ARM
    /// writes string literals, symbols as they are, joined by `+`.
    fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    /// [`Symbolic::canonical`] appended to `out`: no piece is copied on
    /// its own.
    fn write_canonical(&self, out: &mut String) {
        for (i, piece) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('+');
            }
            match piece {
                Piece::Text(s) => expr::push_quoted(out, s),
                Piece::Symbol(s) => out.push_str(s),
            }
        }
    }

    /// The `/`-separated segments, as the name parts of an id: a segment of
    /// text alone is known, any other is a symbol of its canonical text with
    /// its own text lower-cased (names compare case-insensitively; the text
    /// inside a symbol, a function's arguments, does not).
    pub fn parts(&self) -> Vec<Part> {
        // The current segment's pieces, as `push` would merge them: text
        // is joined with the text next to it, empty text left out.
        let mut segment: Vec<(bool, &str)> = Vec::new();
        let mut parts = Vec::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(s) => {
                    for (i, chunk) in s.split('/').enumerate() {
                        if i > 0 {
                            parts.push(segment_part(&segment));
                            segment.clear();
                        }
                        segment.push((false, chunk));
                    }
                }
                Piece::Symbol(s) => segment.push((true, s)),
            }
        }
        parts.push(segment_part(&segment));
        parts
    }
}

/// One segment of [`Symbolic::parts`] from its pieces (`true` for a
/// symbol): known text alone, else the symbol of its canonical text with
/// the text lower-cased.
fn segment_part(pieces: &[(bool, &str)]) -> Part {
    if pieces.iter().all(|(symbol, _)| !symbol) {
        return Part::Known(pieces.iter().map(|(_, text)| *text).collect());
    }
    let mut canonical = String::new();
    let mut text = String::new();
    let mut first = true;
    let mut put = |canonical: &mut String, piece: &str, quoted: bool| {
        if !first {
            canonical.push('+');
        }
        first = false;
        if quoted {
            expr::push_quoted(canonical, &piece.to_lowercase());
        } else {
            canonical.push_str(piece);
        }
    };
    for (symbol, piece) in pieces {
        if *symbol {
            if !text.is_empty() {
                put(&mut canonical, &text, true);
                text.clear();
            }
            put(&mut canonical, piece, false);
        } else {
            text.push_str(piece);
        }
    }
    if !text.is_empty() {
        put(&mut canonical, &text, true);
    }
    Part::symbol(&canonical)
}

/// What a scope keeps for symbolic evaluation.
#[derive(Default)]
pub struct Symbols {
    /// Symbolic values of parameters an enclosing deployment passes (by
    /// lower-cased name), where the value itself is unknown.
    pub supplied: HashMap<String, Symbolic>,
    /// False in a user-defined function's body: its parameters differ per call.
    pub disabled: bool,
    variables: RefCell<HashMap<String, Option<Symbolic>>>,
    /// Declarations' symbolic names, by the name's span: `reference()`
    /// compares every declaration of a type, at each call.
    declared: RefCell<HashMap<Span, Option<Vec<Part>>>>,
    depth: Cell<usize>,
}

impl Symbols {
    /// For a user-defined function's body.
    pub fn disabled() -> Symbols {
        Symbols {
            disabled: true,
            ..Symbols::default()
        }
    }
}

impl<'t> Scope<'t> {
    /// The name parts of a declaration whose name the caller has just
    /// evaluated, without copies, to unknown: once, without evaluating it
    /// again.
    pub fn declared_symbol(&self, name: &'t JsonValue) -> Option<Vec<Part>> {
        if let Some(done) = self.symbols().declared.borrow().get(&name.span) {
            return done.clone();
        }
        let parts = self.symbolic_of_unknown_json(name, &[]).map(|s| s.parts());
        self.symbols()
            .declared
            .borrow_mut()
            .insert(name.span, parts.clone());
        parts
    }

    /// The symbolic form of a JSON string of the template (a literal or an
    /// expression), when it is text or has an identity.
    pub fn symbolic_json(&self, j: &'t JsonValue, copies: &[Copy]) -> Option<Symbolic> {
        self.symbolic_of_string(j, |e| self.symbolic(e, copies))
    }

    /// A literal string's text, or what `of` gives for an expression's parse.
    fn symbolic_of_string(
        &self,
        j: &'t JsonValue,
        of: impl FnOnce(&Expr) -> Option<Symbolic>,
    ) -> Option<Symbolic> {
        let JsonKind::String(s) = &j.kind else {
            return None;
        };
        match expr::classify(s) {
            Template::Literal(text) => Some(Symbolic::text(text)),
            Template::Expression(e) => of(&*self.parse(e).ok()?),
        }
    }

    /// The symbolic form of `e`: its value when that is known text (or a
    /// number or boolean, as text), else its identity when it has one.
    pub fn symbolic(&self, e: &Expr, copies: &[Copy]) -> Option<Symbolic> {
        self.symbolic_within(|| match self.eval(e, copies) {
            Value::String(s) => Some(Symbolic::text(s)),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(Symbolic::text((n as i64).to_string()))
            }
            Value::Bool(b) => Some(Symbolic::text(b.to_string())),
            Value::Unknown => self.symbolic_unknown(e, copies),
            _ => None,
        })
    }

    /// [`Scope::symbolic`] of `e` that the caller has just evaluated, with
    /// these `copies`, to unknown: its identity, without evaluating it again.
    pub fn symbolic_of_unknown(&self, e: &Expr, copies: &[Copy]) -> Option<Symbolic> {
        self.symbolic_within(|| self.symbolic_unknown(e, copies))
    }

    /// [`Scope::symbolic_json`] of a template value the caller has just
    /// evaluated, with these `copies`, to unknown.
    pub fn symbolic_of_unknown_json(&self, j: &'t JsonValue, copies: &[Copy]) -> Option<Symbolic> {
        self.symbolic_of_string(j, |e| self.symbolic_of_unknown(e, copies))
    }

    /// What `f` finds, within the symbolic depth limit, bounded.
    fn symbolic_within(&self, f: impl FnOnce() -> Option<Symbolic>) -> Option<Symbolic> {
        let symbols = self.symbols();
        if symbols.disabled || symbols.depth.get() >= MAX_SYMBOLIC_DEPTH {
            return None;
        }
        symbols.depth.set(symbols.depth.get() + 1);
        let out = f();
        symbols.depth.set(symbols.depth.get() - 1);
        out.and_then(Symbolic::bounded)
    }

    fn symbolic_unknown(&self, e: &Expr, copies: &[Copy]) -> Option<Symbolic> {
        match e {
            Expr::Call(f, args) => self.symbolic_call(f, args, copies),
            Expr::Member(target, field) => self.symbolic_member(target, field, copies),
            Expr::Index(target, index) => {
                let key = match self.eval(index, copies) {
                    Value::String(s) => s.into_string(),
                    Value::Number(n) if n.fract() == 0.0 && n >= 0.0 => {
                        // `split(name, '/')[k]`: a segment of a symbolic name.
                        if let Expr::Call(f, args) = &**target
                            && f == "split"
                            && let [whole, separator] = args.as_slice()
                            && matches!(self.eval(separator, copies), Value::String(s) if s == "/")
                        {
                            let whole = self.symbolic(whole, copies)?;
                            return whole.parts().get(n as usize).map(part_symbolic)?;
                        }
                        (n as i64).to_string()
                    }
                    _ => return None,
                };
                self.symbolic_member(target, &key, copies)
            }
            Expr::String(_) | Expr::Int(_) => None,
        }
    }

    fn symbolic_call(&self, f: &str, args: &[Expr], copies: &[Copy]) -> Option<Symbolic> {
        match (f, args) {
            ("parameters", [Expr::String(name)]) => self.parameter_symbol(name),
            ("variables", [Expr::String(name)]) => self.variable_symbol(name, copies),
            ("format", [format, rest @ ..]) => {
                let Value::String(format) = self.eval(format, copies) else {
                    return None;
                };
                self.symbolic_format(&format, rest, copies)
            }
            ("concat", _) => {
                let mut out = Symbolic(SmallVec::new());
                for a in args {
                    out.push(self.symbolic(a, copies)?);
                }
                Some(out)
            }
            ("string", [x]) => self.symbolic(x, copies),
            _ if NO_IDENTITY.contains(&f) || f.starts_with("list") => None,
            _ => {
                // A function of values fixed for the deployment is fixed too.
                let mut call = format!("{f}(");
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        call.push(',');
                    }
                    self.symbolic(a, copies)?.write_canonical(&mut call);
                }
                call.push(')');
                Symbolic::symbol(call)
            }
        }
    }

    /// `target.field`: a member of a scope function (`resourceGroup().id`),
    /// of a variable's object, or of any value with an identity.
    fn symbolic_member(&self, target: &Expr, field: &str, copies: &[Copy]) -> Option<Symbolic> {
        let field = field.to_ascii_lowercase();
        if let Expr::Call(f, args) = target
            && args.is_empty()
        {
            // The deployment's own scope; a nested deployment's is its own
            // (it may target another resource group or subscription).
            let scoped = match f.as_str() {
                "resourcegroup" | "subscription" | "deployment" => self.key_prefix.as_str(),
                "tenant" => "",
                _ => return self.symbolic_of_member(target, &field, copies),
            };
            return Symbolic::symbol([scoped, f.as_str(), "().", &field].concat());
        }
        if let Expr::Call(f, args) = target
            && f == "variables"
            && let [Expr::String(name)] = args.as_slice()
            && let Some(definition) = self.variable_definition(name)
            && let JsonKind::Object(members) = &definition.kind
        {
            let member = members
                .iter()
                .find(|m| m.key.eq_ignore_ascii_case(&field))?;
            return self.symbolic_json(&member.value, copies);
        }
        self.symbolic_of_member(target, &field, copies)
    }

    fn symbolic_of_member(&self, target: &Expr, field: &str, copies: &[Copy]) -> Option<Symbolic> {
        let whole = self.symbolic(target, copies)?;
        if whole.known().is_some() {
            // A member of known text is not a value.
            return None;
        }
        Symbolic::symbol([whole.canonical().as_ref(), ".", field].concat())
    }

    /// `format('{0}-pe', x)`: the format's text around its arguments'.
    fn symbolic_format(&self, format: &str, args: &[Expr], copies: &[Copy]) -> Option<Symbolic> {
        let mut out = Symbolic(SmallVec::new());
        let mut text = String::new();
        expr::format_pattern(format, |piece| {
            match piece {
                FormatPiece::Text(t) => text.push_str(t),
                FormatPiece::Hole(n) => {
                    out.push(Symbolic::text(std::mem::take(&mut text)));
                    out.push(self.symbolic(args.get(n)?, copies)?);
                }
            }
            Some(())
        })?;
        out.push(Symbolic::text(text));
        Some(out)
    }

    fn parameter_symbol(&self, name: &str) -> Option<Symbolic> {
        let lower = name.to_ascii_lowercase();
        if let Some(symbolic) = self.symbols().supplied.get(&lower) {
            return Some(symbolic.clone());
        }
        if !self.declares_parameter(&lower) {
            return None;
        }
        Symbolic::symbol([self.key_prefix.as_str(), "parameters('", &lower, "')"].concat())
    }

    fn variable_symbol(&self, name: &str, copies: &[Copy]) -> Option<Symbolic> {
        let lower = name.to_ascii_lowercase();
        let symbols = self.symbols();
        if let Some(done) = symbols.variables.borrow().get(&lower) {
            return done.clone();
        }
        // A cycle, met again while being computed, has no identity.
        symbols.variables.borrow_mut().insert(lower.clone(), None);
        let out = self
            .variable_definition(&lower)
            .and_then(|d| self.symbolic_json(d, copies));
        symbols.variables.borrow_mut().insert(lower, out.clone());
        out
    }
}

fn part_symbolic(part: &Part) -> Option<Symbolic> {
    match part {
        Part::Known(s) => Some(Symbolic::text(s.clone())),
        // The segment's canonical text is its key, less the mark.
        Part::Symbolic(key) => Symbolic::symbol(key.trim_start_matches('\u{1}')),
        Part::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use foldhash::{HashMap, HashMapExt};

    use super::*;
    use crate::arm::eval::testing::template;
    use crate::limits::Guard;

    /// The name parts of `expression` in a template with parameters `p`
    /// and `q` (no values) and the variables given.
    fn parts_in(variables: &str, expression: &str) -> Option<Vec<Part>> {
        let t = template(&format!(
            r#"{{"parameters": {{"p": {{"type": "string"}}, "q": {{"type": "string"}}}},
                "variables": {variables}}}"#
        ));
        let scope = Scope::new(&t, HashMap::new(), Guard::default());
        let inner = expression.strip_prefix('[')?.strip_suffix(']')?;
        let e = expr::parse(inner)?;
        scope.symbolic(&e, &[]).map(|s| s.parts())
    }

    fn same(a: &str, b: &str) -> bool {
        let vars = r#"{"pe": "[format('{0}-pe', parameters('p'))]", "loop": "[variables('loop2')]",
                       "loop2": "[variables('loop')]", "names": {"server": "[parameters('p')]"}}"#;
        let (a, b) = (parts_in(vars, a), parts_in(vars, b));
        a.is_some() && a == b
    }

    #[test]
    fn the_same_expression_over_the_same_unknowns_is_the_same_name() {
        assert!(same("[parameters('p')]", "[parameters('P')]"));
        assert!(same(
            "[variables('pe')]",
            "[format('{0}-pe', parameters('p'))]"
        ));
        assert!(same(
            "[variables('pe')]",
            "[concat(parameters('p'), '-PE')]"
        ));
        assert!(same("[variables('names').server]", "[parameters('p')]"));
        assert!(same(
            "[uniqueString(resourceGroup().id)]",
            "[uniqueString(resourceGroup().id)]"
        ));
        assert!(same(
            "[split(format('{0}/default', variables('pe')), '/')[0]]",
            "[variables('pe')]"
        ));
    }

    /// Text in a symbolic name is written as ARM quotes it, a quote doubled
    /// and the text lower-cased: `it's` and `its` are different names.
    #[test]
    fn text_in_a_symbolic_name_is_quoted_as_arm_writes_it() {
        let parts = parts_in("{}", "[concat(parameters('p'), '-It''S', parameters('q'))]");
        assert_eq!(
            parts,
            Some(vec![Part::symbol(
                "parameters('p')+'-it''s'+parameters('q')"
            )])
        );
        assert!(!same(
            "[concat(parameters('p'), 'it''s')]",
            "[concat(parameters('p'), 'its')]"
        ));
    }

    #[test]
    fn a_format_reads_its_escaped_braces_and_text_as_written() {
        // `{{` and `}}` are braces, a lone `}` is text, text beyond ASCII is
        // kept whole: the same name as the concatenation.
        assert!(same(
            "[format('{{x}}-{0}}-é{1}ü', parameters('p'), 'q')]",
            "[concat('{x}-', parameters('p'), '}-éqü')]"
        ));
        assert!(same(
            "[format('{ 0 }.ß', parameters('p'))]",
            "[concat(parameters('p'), '.ß')]"
        ));
        // An index with no closing brace still names its argument.
        assert!(same(
            "[format('a{0', parameters('p'))]",
            "[concat('a', parameters('p'))]"
        ));
        assert!(parts_in("{}", "[format('{x}', parameters('p'))]").is_none());
        assert!(parts_in("{}", "[format('{1}', parameters('p'))]").is_none());
    }

    #[test]
    fn different_or_instance_dependent_unknowns_have_no_shared_identity() {
        assert!(!same("[parameters('p')]", "[parameters('q')]"));
        // `toLower` changes what `uniqueString` hashes: not the same value.
        assert!(!same(
            "[uniqueString(toLower(parameters('p')))]",
            "[uniqueString(parameters('p'))]"
        ));
        assert!(!same("[uniqueString('A')]", "[uniqueString('a')]"));
        assert!(parts_in("{}", "[format('{0}', copyIndex())]").is_none());
        assert!(parts_in("{}", "[utcNow()]").is_none());
        assert!(parts_in("{}", "[reference('x').name]").is_none());
        // A variable cycle, and an undeclared parameter, have no identity.
        assert!(!same("[variables('loop')]", "[variables('loop')]"));
        assert!(parts_in("{}", "[parameters('undeclared')]").is_none());
        // A format specifier changes the text: no identity.
        assert!(parts_in("{}", "[format('{0:D3}', parameters('p'))]").is_none());
    }

    #[test]
    fn symbols_do_not_grow_without_bound() {
        let mut variables = String::from(r#"{"v0": "[parameters('p')]""#);
        for i in 1..40 {
            variables.push_str(&format!(
                r#", "v{i}": "[concat(variables('v{}'), variables('v{}'))]""#,
                i - 1,
                i - 1
            ));
        }
        variables.push('}');
        assert!(parts_in(&variables, "[variables('v39')]").is_none());
    }

    #[test]
    fn parts_split_text_and_keep_symbols() {
        let mut s = Symbolic::symbol("parameters('pe')").unwrap();
        s.push(Symbolic::text("-x/default"));
        let parts = s.parts();
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[0], Part::Symbolic(_)));
        assert_eq!(parts[1], Part::Known("default".into()));
        let mut t = Symbolic::symbol("parameters('pe')").unwrap();
        t.push(Symbolic::text("-x"));
        assert_eq!(t.parts()[0], parts[0]);
    }

    #[test]
    fn a_segments_symbol_is_its_canonical_text_with_the_text_lower_cased() {
        let mut s = Symbolic::symbol("parameters('Pe')").unwrap();
        s.push(Symbolic::text("-X"));
        s.push(Symbolic::text("Y/Z"));
        s.push(Symbolic::symbol("variables('V')").unwrap());
        s.push(Symbolic::text("/"));
        s.push(Symbolic::text(""));
        assert_eq!(
            s.parts(),
            vec![
                Part::symbol("parameters('Pe')+'-xy'"),
                Part::symbol("'z'+variables('V')"),
                Part::Known(String::new()),
            ]
        );
        // Known text alone keeps its case.
        assert_eq!(
            Symbolic::text("Vnet/Snet").parts(),
            vec![Part::Known("Vnet".into()), Part::Known("Snet".into())]
        );
    }
}
