//! Bicep expressions → ARM expression text (or template JSON, where a value
//! stays structured): literals, interpolated strings as `format(…)`,
//! operators as functions, names of parameters, variables, loop items and
//! lambda parameters, members of resources and modules (`reference(…)`),
//! calls, and loops as a property `copy` or `map()` over `range()`.
//!
//! What cannot be known offline becomes `plinthUnknown()`. Resource names
//! and ids are [`super::resource_ids`]; declarations, [`super::declarations`].

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{
    Env, File, INLINE_CHARGE, Loop, MAX_INLINE_DEPTH, Symbol, UNKNOWN, bind_loop, call_quoted,
    expression, is_identifier, j, member, push_call_quoted, quote, string,
};
use crate::arm::expr::push_quoted;
use crate::bicep::tree::{Expr, ExprKind, Interp, Item, Prop};
use crate::json::{JsonKind, JsonValue};
use crate::model::text::with_buffer;

impl<'d> File<'d> {
    /// `[for … in source: body]` as a property `copy` (or variable `copy`)
    /// entry named `name`; `None` for anything else, or a filtered loop.
    pub(super) fn property_loop(&self, name: &str, value: &Expr, env: &Env) -> Option<JsonValue> {
        let ExprKind::For {
            item,
            index,
            source,
            body,
        } = &value.kind
        else {
            return None;
        };
        if matches!(body.kind, ExprKind::If(..)) {
            return None;
        }
        let source_text = self.expr(source, env);
        let mut inner = env.clone();
        bind_loop(
            &mut inner,
            &Loop {
                item: item.clone(),
                index: index.clone(),
                source,
            },
            source_text.clone(),
            call_quoted("copyIndex", name),
        );
        let span = value.span;
        Some(j(
            JsonKind::Object(vec![
                member("name", string(name, span), span),
                member(
                    "count",
                    expression(["length(", &source_text, ")"].concat(), source.span),
                    source.span,
                ),
                member("input", self.value(body, &inner), body.span),
            ]),
            span,
        ))
    }

    /// A value as template JSON: literals stay literal, objects and arrays
    /// stay structured (so findings point inside them), the rest becomes an
    /// expression string.
    pub(super) fn value(&self, e: &Expr, env: &Env) -> JsonValue {
        let span = e.span;
        match &e.kind {
            ExprKind::Null => j(JsonKind::Null, span),
            ExprKind::Bool(b) => j(JsonKind::Bool(*b), span),
            ExprKind::Int(n) => j(JsonKind::Number(*n as f64), span),
            ExprKind::Str(parts) => match parts.as_slice() {
                [Interp::Text(t)] => {
                    // A literal that looks like an expression is escaped.
                    let t = if t.starts_with('[') {
                        ["[", t].concat()
                    } else {
                        t.clone()
                    };
                    string(t, span)
                }
                _ => self.expression_of(e, env),
            },
            ExprKind::Object(props)
                if props
                    .iter()
                    .all(|p| matches!(p, Prop::Pair { .. } | Prop::Resource(_))) =>
            {
                let mut members = Vec::new();
                let mut copies = Vec::new();
                for p in props {
                    if let Prop::Pair { key, value, span } = p {
                        match self.property_loop(key, value, env) {
                            Some(copy) => copies.push(copy),
                            None => {
                                // A name ARM would read as an expression is escaped.
                                let key = if key.starts_with('[') {
                                    ["[", key].concat()
                                } else {
                                    key.clone()
                                };
                                members.push(member(key, self.value(value, env), *span))
                            }
                        }
                    }
                }
                if !copies.is_empty() {
                    members.push(member("copy", j(JsonKind::Array(copies), span), span));
                }
                j(JsonKind::Object(members), span)
            }
            ExprKind::Array(items) if items.iter().all(|i| matches!(i, Item::Value(_))) => j(
                JsonKind::Array(
                    items
                        .iter()
                        .filter_map(|i| match i {
                            Item::Value(v) => Some(self.value(v, env)),
                            Item::Spread(_) => None,
                        })
                        .collect(),
                ),
                span,
            ),
            _ => self.expression_of(e, env),
        }
    }

    /// Another declaration's expression (a resource's or module's name, a
    /// loop's source) written out here, as [`Self::expr`] writes it; not
    /// known when it reaches itself (`name: r.name` inside `r`) or when
    /// declarations are inlined deeper than [`MAX_INLINE_DEPTH`], as the ARM
    /// evaluator treats a variable's cycle; nor once the file's
    /// [`super::INLINE_BUDGET`] is spent, which the file reports.
    pub(super) fn inline(&self, e: &Expr, env: &Env) -> String {
        if self.budget_spent(e.span) {
            return UNKNOWN.into();
        }
        let key = std::ptr::from_ref(e) as usize;
        {
            let mut inlining = self.inlining.borrow_mut();
            if inlining.len() >= MAX_INLINE_DEPTH || inlining.contains(&key) {
                return UNKNOWN.into();
            }
            inlining.push(key);
        }
        let text = self.expr(e, env);
        self.inlining.borrow_mut().pop();
        let cost = text.len().saturating_add(INLINE_CHARGE);
        self.inline_budget
            .set(self.inline_budget.get().saturating_sub(cost));
        text
    }

    /// The text a loop item, index or lambda parameter stands for, copied
    /// where the name is read (at `span`), from the same budget as
    /// [`Self::inline`]: a loop over a source that reads the enclosing
    /// loop's item twice doubles its item's text at each level of nesting.
    fn substitute_to(&self, text: &str, span: crate::source::Span, out: &mut String) {
        if self.budget_spent(span) {
            out.push_str(UNKNOWN);
            return;
        }
        self.inline_budget
            .set(self.inline_budget.get().saturating_sub(text.len()));
        out.push_str(text);
    }

    /// Whether the write-out budget is spent; the first place that finds
    /// it so (`span`) is where the file's error points.
    fn budget_spent(&self, span: crate::source::Span) -> bool {
        let spent = self.inline_budget.get() == 0;
        if spent && self.inline_spent_at.get().is_none() {
            self.inline_spent_at.set(Some(span));
        }
        spent
    }

    /// An expression as ARM expression text.
    pub(super) fn expr(&self, e: &Expr, env: &Env) -> String {
        // Written in a buffer the thread keeps, then copied out at its
        // length: one allocation, not one per doubling.
        with_buffer(|out| {
            self.expr_to(e, env, out);
            out.as_str().to_owned()
        })
    }

    /// `e` as a template string holding an ARM expression: `[…]`.
    pub(super) fn expression_of(&self, e: &Expr, env: &Env) -> JsonValue {
        let text = with_buffer(|out| {
            out.push('[');
            self.expr_to(e, env, out);
            out.push(']');
            out.as_str().to_owned()
        });
        string(text, e.span)
    }

    /// [`Self::expr`] written at the end of `out`: the text of an
    /// expression's parts is written in place, in the order they are
    /// lowered, not built apart and copied into its parent's (a chain of
    /// calls and members was copied once per level).
    #[allow(clippy::too_many_lines)] // one arm per expression kind: the lowering reads as a table
    pub(super) fn expr_to(&self, e: &Expr, env: &Env, out: &mut String) {
        match &e.kind {
            ExprKind::Null => out.push_str("null()"),
            ExprKind::Bool(b) => {
                let _ = write!(out, "{b}()");
            }
            ExprKind::Int(n) if *n < 0 => {
                let _ = write!(out, "int('{n}')");
            }
            ExprKind::Int(n) => {
                let _ = write!(out, "{n}");
            }
            ExprKind::Str(parts) => {
                let mut text = String::new();
                let mut args = String::new();
                let mut count = 0usize;
                for part in parts {
                    match part {
                        Interp::Text(t) => {
                            // A brace is written twice, as `format()` reads it.
                            for piece in t.split_inclusive(['{', '}']) {
                                text.push_str(piece);
                                if piece.ends_with(['{', '}']) {
                                    text.push_str(&piece[piece.len() - 1..]);
                                }
                            }
                        }
                        Interp::Expr(x) => {
                            let _ = write!(text, "{{{count}}}");
                            if count > 0 {
                                args.push_str(", ");
                            }
                            count += 1;
                            self.expr_to(x, env, &mut args);
                        }
                    }
                }
                if count == 0 {
                    let plain: String = parts
                        .iter()
                        .map(|p| match p {
                            Interp::Text(t) => t.as_str(),
                            Interp::Expr(_) => "",
                        })
                        .collect();
                    push_quoted(out, &plain);
                } else {
                    out.push_str("format(");
                    push_quoted(out, &text);
                    out.push_str(", ");
                    out.push_str(&args);
                    out.push(')');
                }
            }
            ExprKind::Array(items) => {
                let plain = items.iter().all(|i| matches!(i, Item::Value(_)));
                out.push_str(if plain {
                    "createArray("
                } else {
                    "flatten(createArray("
                });
                for (n, i) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    match i {
                        Item::Value(v) if plain => self.expr_to(v, env, out),
                        Item::Value(v) => {
                            out.push_str("createArray(");
                            self.expr_to(v, env, out);
                            out.push(')');
                        }
                        Item::Spread(s) => self.expr_to(s, env, out),
                    }
                }
                out.push_str(if plain { ")" } else { "))" });
            }
            ExprKind::Object(props) => self.object_to(props, env, out),
            ExprKind::Ident(name) => match env.iter().rev().find(|(n, _)| n == name) {
                Some((_, text)) => self.substitute_to(text, e.span, out),
                None => self.ident_to(name, env, out),
            },
            ExprKind::Member(target, name, safe) => self.member_to(target, name, *safe, env, out),
            ExprKind::Index(target, index, safe) => {
                // `r[i].id`, `m[i].outputs` are handled by member(); a bare
                // index into a looped resource is its id.
                if let ExprKind::Ident(sym) = &target.kind
                    && let Some(r) = self.resource(sym)
                {
                    out.push_str(&self.resource_id(r, Some(&self.expr(index, env)), env));
                    return;
                }
                if *safe {
                    out.push_str("tryGet(");
                    self.expr_to(target, env, out);
                    out.push_str(", ");
                    self.expr_to(index, env, out);
                    out.push(')');
                } else {
                    self.expr_to(target, env, out);
                    out.push('[');
                    self.expr_to(index, env, out);
                    out.push(']');
                }
            }
            ExprKind::Call(target, name, args) => {
                self.call_to(target.as_deref(), name, args, env, out);
            }
            ExprKind::Unary(op, x) => {
                out.push_str(if *op == "!" { "not(" } else { "sub(0, " });
                self.expr_to(x, env, out);
                out.push(')');
            }
            ExprKind::Binary(op, a, b) => {
                let Some((open, between, close)) = binary(op) else {
                    // Both sides are written all the same (and charged to
                    // the budget), as for any operator.
                    let mut unused = String::new();
                    self.expr_to(a, env, &mut unused);
                    self.expr_to(b, env, &mut unused);
                    out.push_str(UNKNOWN);
                    return;
                };
                out.push_str(open);
                self.expr_to(a, env, out);
                out.push_str(between);
                self.expr_to(b, env, out);
                out.push_str(close);
            }
            ExprKind::Ternary(c, a, b) => {
                out.push_str("if(");
                self.expr_to(c, env, out);
                out.push_str(", ");
                self.expr_to(a, env, out);
                out.push_str(", ");
                self.expr_to(b, env, out);
                out.push(')');
            }
            ExprKind::Lambda(params, body) => {
                let mut inner = env.clone();
                for p in params {
                    inner.push((p.clone(), call_quoted("lambdaVariables", p)));
                }
                out.push_str("lambda(");
                for (n, p) in params.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    push_quoted(out, p);
                }
                out.push_str(", ");
                self.expr_to(body, &inner, out);
                out.push(')');
            }
            ExprKind::For {
                item,
                index,
                source,
                body,
            } => {
                let n = self.fresh.get();
                self.fresh.set(n + 1);
                let var = format!("__i{n}");
                let i = call_quoted("lambdaVariables", &var);
                let source_text = self.expr(source, env);
                let mut inner = env.clone();
                bind_loop(
                    &mut inner,
                    &Loop {
                        item: item.clone(),
                        index: index.clone(),
                        source,
                    },
                    source_text.clone(),
                    i,
                );
                let range = ["range(0, length(", &source_text, "))"].concat();
                match &body.kind {
                    ExprKind::If(c, b) => {
                        let _ = write!(out, "map(filter({range}, lambda(");
                        push_quoted(out, &var);
                        out.push_str(", ");
                        self.expr_to(c, &inner, out);
                        out.push_str(")), lambda(");
                        push_quoted(out, &var);
                        out.push_str(", ");
                        self.expr_to(b, &inner, out);
                        out.push_str("))");
                    }
                    _ => {
                        let _ = write!(out, "map({range}, lambda(");
                        push_quoted(out, &var);
                        out.push_str(", ");
                        self.expr_to(body, &inner, out);
                        out.push_str("))");
                    }
                }
            }
            ExprKind::If(..) => out.push_str(UNKNOWN),
            ExprKind::NonNull(x) => self.expr_to(x, env, out),
        }
    }

    /// An object as `createObject(k, v, …)`; with spreads, the runs of
    /// members between them and the spread objects merged in order
    /// (`shallowMerge(createArray(…))`).
    fn object_to(&self, props: &[Prop], env: &Env, out: &mut String) {
        let spreads = props.iter().any(|p| matches!(p, Prop::Spread(_)));
        out.push_str(if spreads {
            "shallowMerge(createArray("
        } else {
            "createObject("
        });
        // With spreads: whether a run of members is open, and whether any
        // part of the merge was written. In a run (or the one object):
        // whether a member was written.
        let (mut in_run, mut merged_any, mut member_written) = (!spreads, false, false);
        for p in props {
            let (key, value) = match p {
                Prop::Pair { key, value, .. } => (Err(key), value),
                Prop::Computed { key, value, .. } => (Ok(key), value),
                Prop::Spread(s) => {
                    if in_run {
                        out.push(')');
                        in_run = false;
                    }
                    if merged_any {
                        out.push_str(", ");
                    }
                    self.expr_to(s, env, out);
                    merged_any = true;
                    continue;
                }
                Prop::Resource(_) => continue,
            };
            if !in_run {
                if merged_any {
                    out.push_str(", ");
                }
                out.push_str("createObject(");
                (in_run, merged_any, member_written) = (true, true, false);
            }
            if member_written {
                out.push_str(", ");
            }
            match key {
                Err(name) => push_quoted(out, name),
                Ok(computed) => self.expr_to(computed, env, out),
            }
            out.push_str(", ");
            self.expr_to(value, env, out);
            member_written = true;
        }
        out.push_str(match (spreads, in_run) {
            (true, true) => ")))",
            (true, false) => "))",
            (false, _) => ")",
        });
    }

    fn ident_to(&self, name: &str, env: &Env, out: &mut String) {
        if let Some((_, text)) = env.iter().rev().find(|(n, _)| n == name) {
            out.push_str(text);
            return;
        }
        match self.symbols.get(name) {
            Some(Symbol::Param) => push_call_quoted(out, "parameters", name),
            Some(Symbol::Var) => push_call_quoted(out, "variables", name),
            // A resource used as a value (a `scope:`, a resource parameter): its id.
            Some(Symbol::Resource(r)) => out.push_str(&self.resource_id(r, None, env)),
            _ => out.push_str(UNKNOWN),
        }
    }

    /// `target.name`: resource and module properties first.
    fn member_to(&self, target: &Expr, name: &str, safe: bool, env: &Env, out: &mut String) {
        // `parent::child`
        if self.nested
            && let Some(symbolic) = nested_symbol(target)
        {
            let full = [&symbolic, "::", name].concat();
            if self.resource(&full).is_some() {
                self.ident_to(&full, env, out);
                return;
            }
        }
        let (symbol, index) = match &target.kind {
            ExprKind::Ident(s) => (Some(Cow::Borrowed(s.as_str())), None),
            ExprKind::Index(t, i, _) => match &t.kind {
                ExprKind::Ident(s) => (Some(Cow::Borrowed(s.as_str())), Some(self.expr(i, env))),
                _ => (None, None),
            },
            _ if self.nested => (
                nested_symbol(target)
                    .filter(|s| s.contains("::"))
                    .map(Cow::Owned),
                None,
            ),
            _ => (None, None),
        };
        let bound = symbol
            .as_deref()
            .is_some_and(|s| env.iter().any(|(n, _)| n == s));
        if let Some(s) = symbol.as_deref().filter(|_| !bound) {
            if let Some(r) = self.resource(s).cloned() {
                let reference = |full: bool| match (&index, full) {
                    (Some(i), _) => {
                        format!("reference(format({}, {i}))", quote(&format!("{s}[{{0}}]")))
                    }
                    (None, false) => call_quoted("reference", s),
                    (None, true) => format!("reference({}, {}, 'Full')", quote(s), quote(&r.api)),
                };
                let text = match name {
                    "id" => self.resource_id(&r, index.as_deref(), env),
                    "name" => match (&index, r.looped.as_ref()) {
                        (Some(i), Some(_)) => self
                            .segments(&r, Some(i), env, 0)
                            .pop()
                            .unwrap_or_else(|| UNKNOWN.into()),
                        _ => r
                            .name
                            .map_or_else(|| UNKNOWN.into(), |n| self.inline(n, env)),
                    },
                    "type" => quote(&r.rtype),
                    "apiVersion" => quote(&r.api),
                    "properties" => reference(false),
                    _ => [reference(true).as_str(), ".", name].concat(),
                };
                out.push_str(&text);
                return;
            }
            if let Some(Symbol::Module {
                looped,
                name: deployment_name,
            }) = self.symbols.get(s)
            {
                let text = match name {
                    "outputs" => match (&index, looped) {
                        (Some(i), true) => format!(
                            "reference(format({}, {i})).outputs",
                            quote(&format!("{s}[{{0}}]"))
                        ),
                        _ => [call_quoted("reference", s).as_str(), ".outputs"].concat(),
                    },
                    "name" => {
                        deployment_name.map_or_else(|| UNKNOWN.into(), |n| self.inline(n, env))
                    }
                    _ => UNKNOWN.into(),
                };
                out.push_str(&text);
                return;
            }
        }
        // `m.outputs.x` reads the output's value.
        if let ExprKind::Member(inner, outputs, _) = &target.kind
            && outputs == "outputs"
            && self.is_module(inner)
        {
            self.expr_to(target, env, out);
            out.push('.');
            out.push_str(name);
            out.push_str(".value");
            return;
        }
        self.property_to(target, name, safe, env, out);
    }

    /// `target.name` of any other value: `.name`, `['name']` when it is not
    /// an identifier, `tryGet()` when safe (`.?`).
    fn property_to(&self, target: &Expr, name: &str, safe: bool, env: &Env, out: &mut String) {
        if safe {
            out.push_str("tryGet(");
            self.expr_to(target, env, out);
            out.push_str(", ");
            push_quoted(out, name);
            out.push(')');
        } else if is_identifier(name) {
            self.expr_to(target, env, out);
            out.push('.');
            out.push_str(name);
        } else {
            self.expr_to(target, env, out);
            out.push('[');
            push_quoted(out, name);
            out.push(']');
        }
    }

    fn is_module(&self, e: &Expr) -> bool {
        let s = match &e.kind {
            ExprKind::Ident(s) => s,
            ExprKind::Index(t, _, _) => match &t.kind {
                ExprKind::Ident(s) => s,
                _ => return false,
            },
            _ => return false,
        };
        matches!(self.symbols.get(s), Some(Symbol::Module { .. }))
    }

    /// A call: a user-defined function's as `__bicep.name(…)`, a built-in
    /// as itself, `any(x)` as `x`, and what cannot be known offline
    /// (`loadTextContent()`, `getSecret()`, …) as unknown. Every argument
    /// is written (and charged to the budget) whatever the function.
    fn call_to(
        &self,
        target: Option<&Expr>,
        name: &str,
        args: &[Expr],
        env: &Env,
        out: &mut String,
    ) {
        if let Some(t) = target {
            // `sys.f()`, `az.f()`: the built-in; anything else (a resource's
            // `listKeys()`, an imported namespace) is not known here.
            match &t.kind {
                ExprKind::Ident(ns) if ns == "sys" || ns == "az" => {}
                _ => {
                    out.push_str(UNKNOWN);
                    return;
                }
            }
        }
        let user = matches!(self.symbols.get(name), Some(Symbol::Func)) && target.is_none();
        let start = out.len();
        if user {
            out.push_str("__bicep.");
        }
        out.push_str(name);
        out.push('(');
        // Where the first argument's text is in `out`.
        let mut first = None;
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let at = out.len();
            self.expr_to(a, env, out);
            if i == 0 {
                first = Some(at..out.len());
            }
        }
        out.push(')');
        if user {
            return;
        }
        // Names compared as Bicep does, case ignored.
        const NOT_OFFLINE: [&str; 8] = [
            "loadTextContent",
            "loadJsonContent",
            "loadYamlContent",
            "loadFileAsBase64",
            "readEnvironmentVariable",
            "getSecret",
            "fail",
            "externalInput",
        ];
        if name.eq_ignore_ascii_case("any") {
            // `any(x)` is `x`: the call's own text is taken off around it.
            match first {
                Some(first) => {
                    out.truncate(first.end);
                    out.replace_range(start..first.start, "");
                }
                None => {
                    out.truncate(start);
                    out.push_str("null()");
                }
            }
        } else if NOT_OFFLINE.iter().any(|n| name.eq_ignore_ascii_case(n)) {
            out.truncate(start);
            out.push_str(UNKNOWN);
        }
    }
}

/// The ARM function text around the two sides of a binary operator:
/// before the left, between the sides, after the right.
fn binary(op: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match op {
        "==" => ("equals(", ", ", ")"),
        "!=" => ("not(equals(", ", ", "))"),
        "=~" => ("equals(toLower(", "), toLower(", "))"),
        "!~" => ("not(equals(toLower(", "), toLower(", ")))"),
        "<" => ("less(", ", ", ")"),
        "<=" => ("lessOrEquals(", ", ", ")"),
        ">" => ("greater(", ", ", ")"),
        ">=" => ("greaterOrEquals(", ", ", ")"),
        "&&" => ("and(", ", ", ")"),
        "||" => ("or(", ", ", ")"),
        "+" => ("add(", ", ", ")"),
        "-" => ("sub(", ", ", ")"),
        "*" => ("mul(", ", ", ")"),
        "/" => ("div(", ", ", ")"),
        "%" => ("mod(", ", ", ")"),
        "??" => ("coalesce(", ", ", ")"),
        _ => return None,
    })
}

/// `a::b::c` written as nested `::` members → `a::b` for target `a::b`.
/// Walks down the chain first and builds the name only when it ends in an
/// identifier: member() asks this at every link of a chain, so building the
/// text of every prefix on the way (as a recursion would) made a chain of
/// accesses take time quadratic in its length, and cubic in bytes copied.
fn nested_symbol(e: &Expr) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    let mut at = e;
    loop {
        match &at.kind {
            ExprKind::Ident(root) => {
                let mut symbol = root.clone();
                for name in names.iter().rev() {
                    symbol.push_str("::");
                    symbol.push_str(name);
                }
                return Some(symbol);
            }
            ExprKind::Member(target, name, _) => {
                names.push(name.as_str());
                at = target;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use foldhash::{HashMap, HashMapExt};

    use crate::arm::eval::Scope;
    use crate::bicep::lower::lower;
    use crate::limits::Guard;
    use crate::model::Value;
    use crate::source::SourceMap;

    const UNKNOWN_CALL: &str = super::UNKNOWN;

    /// `text`, written as `main.bicep`, lowered.
    fn lowered(text: &str) -> crate::bicep::lower::Lowered {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.bicep");
        std::fs::write(&path, text).expect("write");
        let sources = SourceMap::new();
        let file = sources.load(&path).expect("load");
        lower(&sources, &path, file).unwrap_or_else(|p| panic!("{}", p.message))
    }

    /// Lowers `text` and evaluates each `(variable, expected JSON)` through
    /// the ARM evaluator, comparing JSON values.
    fn evaluates(text: &str, expected: &[(&str, serde_json::Value)]) {
        let lowered = lowered(text);
        for (name, want) in expected {
            // The text outlives the scope: a scope keeps its parses by address.
            let text = ["[variables('", name, "')]"].concat();
            let scope = Scope::new(&lowered.template, HashMap::new(), Guard::default());
            let got = scope.string_at(&text, lowered.template.span, &[]);
            let want = Value::from_json(want);
            assert!(
                crate::arm::eval::same_json(&got, &want),
                "{name}: got {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn expressions_evaluate_as_bicep_defines_them() {
        evaluates(
            r#"
var negative = -5
var difference = 10 - negative
var interpolated = 'x${1 + 2}y'
var braces = 'a{0}${1}'
var escaped = 'it\'s'
var bracketed = '[not an expression]'
var ternary = contains(['a'], 'a') ? 'yes' : 'no'
var safe = {a: 1}.?b ?? 'none'
var doubled = [for i in range(0, 3): i * 2]
var indexed = [for (x, i) in ['a', 'b']: '${i}-${x}']
var filtered = [for x in [1, 2, 3]: if (x > 1) x]
var mapped = map([1, 2], x => x + 1)
var merged = {...{a: 1}, b: 2}
var spread = [...[1], 2]
var nested = {
  items: [for i in range(0, 2): {
    v: i
  }]
}
var caseless = 'ABC' =~ 'abc'
func double(n int) int => n * 2
var called = double(21)
"#,
            &[
                ("negative", serde_json::json!(-5)),
                ("difference", serde_json::json!(15)),
                ("interpolated", serde_json::json!("x3y")),
                ("braces", serde_json::json!("a{0}1")),
                ("escaped", serde_json::json!("it's")),
                ("bracketed", serde_json::json!("[not an expression]")),
                ("ternary", serde_json::json!("yes")),
                ("safe", serde_json::json!("none")),
                ("doubled", serde_json::json!([0, 2, 4])),
                ("indexed", serde_json::json!(["0-a", "1-b"])),
                ("filtered", serde_json::json!([2, 3])),
                ("mapped", serde_json::json!([2, 3])),
                ("merged", serde_json::json!({"a": 1, "b": 2})),
                ("spread", serde_json::json!([1, 2])),
                ("nested", serde_json::json!({"items": [{"v": 0}, {"v": 1}]})),
                ("caseless", serde_json::json!(true)),
                ("called", serde_json::json!(42)),
            ],
        );
    }

    #[test]
    fn a_nested_resource_is_read_through_its_parent_and_members_otherwise() {
        let text = "resource vnet 'Microsoft.Network/virtualNetworks@2023-04-01' = {\n  name: 'hub'\n  resource snet 'subnets' = {\n    name: 'pe'\n  }\n}\nvar id = vnet::snet.id\nvar name = vnet::snet.name\nvar o = { a: 1 }\nvar member = o.a\nvar call = ANY(o)\n";
        let (texts, problems) = lowered_variables(text, &["id", "name", "member", "call"]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            texts[0].contains("Microsoft.Network/virtualNetworks/subnets"),
            "{texts:?}"
        );
        assert!(texts[0].contains("'pe'"), "{texts:?}");
        assert_eq!(texts[1], "['pe']");
        assert_eq!(texts[2], "[variables('o').a]");
        assert_eq!(texts[3], "[variables('o')]");
        // Without a nested resource, a member is only a member.
        let (texts, _) =
            lowered_variables("var o = { a: { b: 1 } }\nvar member = o.a.b\n", &["member"]);
        assert_eq!(texts[0], "[variables('o').a.b]");
    }

    #[test]
    fn what_bicep_cannot_know_offline_is_unknown() {
        let lowered = lowered(
            "var text = loadTextContent('x.txt')\nvar env = readEnvironmentVariable('X')\nimport { y } from 'types.bicep'\nvar imported = y\n",
        );
        for name in ["text", "env", "imported"] {
            let text = ["[variables('", name, "')]"].concat();
            let scope = Scope::new(&lowered.template, HashMap::new(), Guard::default());
            let got = scope.string_at(&text, lowered.template.span, &[]);
            assert_eq!(got, Value::Unknown, "{name}");
        }
    }

    /// Lowers `text` (written as `main.bicep`), then the lowered text of
    /// each variable in `names` and the problems lowering reported.
    fn lowered_variables(text: &str, names: &[&str]) -> (Vec<String>, Vec<String>) {
        let lowered = lowered(text);
        let variables = lowered.template.get("variables").expect("variables");
        let texts = names
            .iter()
            .map(|n| {
                variables
                    .get(n)
                    .and_then(|v| v.as_str())
                    .expect(n)
                    .to_string()
            })
            .collect();
        let problems = lowered.problems.iter().map(|p| p.message.clone()).collect();
        (texts, problems)
    }

    /// Each kind of expression is written as ARM text in place, parts in
    /// the order they are lowered: objects with and without spreads,
    /// arrays with spreads, `any()`, calls not known offline, operators.
    #[test]
    fn expressions_are_written_as_arm_text() {
        let (texts, problems) = lowered_variables(
            "param p object\nparam n int\n\
             var plain = union({ a: 1, 'b-c': p.x }, {})\n\
             var spread = { ...p, a: 1, b: n, ...p.y, c: 2 }\n\
             var lead = { a: 1, ...p }\n\
             var items = [1, ...p.list, 'x{y}']\n\
             var anyOf = any(p.z)\n\
             var anyNone = any()\n\
             var secret = loadTextContent('f.txt')\n\
             var ops = !(n < 2) || n % 3 == -1 ? p.?q : p[n]\n\
             var text = 'a${n}b{${p.x}}'\n",
            &[
                "plain", "spread", "lead", "items", "anyOf", "anyNone", "secret", "ops", "text",
            ],
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            texts,
            [
                "[union(createObject('a', 1, 'b-c', parameters('p').x), createObject())]",
                "[shallowMerge(createArray(parameters('p'), createObject('a', 1, 'b', \
                 parameters('n')), parameters('p').y, createObject('c', 2)))]",
                "[shallowMerge(createArray(createObject('a', 1), parameters('p')))]",
                "[flatten(createArray(createArray(1), parameters('p').list, createArray('x{y}')))]",
                "[parameters('p').z]",
                "[null()]",
                &format!("[{UNKNOWN_CALL}]"),
                "[if(or(not(less(parameters('n'), 2)), equals(mod(parameters('n'), 3), \
                 sub(0, 1))), tryGet(parameters('p'), 'q'), parameters('p')[parameters('n')])]",
                "[format('a{0}b{{{1}}}', parameters('n'), parameters('p').x)]",
            ]
        );
    }

    #[test]
    fn a_name_that_reaches_itself_is_unknown_not_a_stack_overflow() {
        // Each of these recursed until the stack ran out (found by fuzzing:
        // `name: privateEndpoint+Name` inside `privateEndpoint`).
        let (texts, problems) = lowered_variables(
            r"
resource selfName 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: selfName.name
}
resource selfId 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${selfId.id}'
}
resource a 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: b.name
}
resource b 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: '${a.name}-${a.id}'
}
resource looped 'Microsoft.Network/privateEndpoints@2024-05-01' = [for i in range(0, length(looped[0].name)): {
  name: 'pe-${looped[i].name}'
}]
module m './main.bicep' = {
  name: m.name
}
var selfNameText = selfName.name
var selfIdText = selfId.id
var cycleText = b.name
var loopedText = looped[1].name
var moduleText = m.name
var fine = resourceId('x', 'y')
",
            &[
                "selfNameText",
                "selfIdText",
                "cycleText",
                "loopedText",
                "moduleText",
                "fine",
            ],
        );
        for (name, text) in ["selfName", "selfId", "cycle", "looped", "module"]
            .iter()
            .zip(&texts)
        {
            assert!(text.contains(UNKNOWN_CALL), "{name}: {text}");
        }
        // The cycle stops where it closes: `a`'s name is `b`'s, unknown.
        assert!(texts[2].starts_with("[format("), "{}", texts[2]);
        assert_eq!(texts[5], "[resourceId('x', 'y')]");
        // A cycle is unknown, as an ARM variable's cycle is: not a limit hit.
        assert!(problems.iter().all(|p| !p.contains("KiB")), "{problems:?}");
    }

    #[test]
    fn names_doubling_along_a_chain_stop_at_the_inline_budget() {
        // Each name reads the one before twice: resource 22's name would be
        // 4 MiB of text, 40's four terabytes. Lowering stops at the budget
        // and says so; what it wrote stays bounded.
        // `early` is lowered first, before the budget is spent.
        let mut text = String::from(
            "var early = r3.name\nresource r0 'Microsoft.Network/privateEndpoints@2024-05-01' = {\n  name: 'x'\n}\n",
        );
        for i in 1..=22 {
            let p = i - 1;
            text.push_str(&format!(
                "resource r{i} 'Microsoft.Network/privateEndpoints@2024-05-01' = {{\n  name: '${{r{p}.name}}${{r{p}.name}}'\n}}\n"
            ));
        }
        text.push_str("var late = r22.name\n");
        let (texts, problems) = lowered_variables(&text, &["early", "late"]);
        assert!(!texts[0].contains(UNKNOWN_CALL), "{}", texts[0]);
        assert!(texts[1].contains(UNKNOWN_CALL));
        assert!(
            texts[1].len() < 2 * super::super::INLINE_BUDGET,
            "{}",
            texts[1].len()
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("1024 KiB"), "{problems:?}");
    }

    #[test]
    fn loop_items_doubling_through_nested_loops_stop_at_the_inline_budget() {
        // Each loop's source reads the enclosing loop's item twice, and the
        // item is written out where it is read: 30 levels were 2^30 copies
        // (16 GB in a minute before the run was killed). 20 levels would
        // write 60 MB: without the budget this fails, and soon.
        let mut body = String::from("a20");
        for i in (1..=20).rev() {
            let outer = i - 1;
            body = format!("[for a{i} in concat([a{outer}], [a{outer}]): {body}]");
        }
        let text = format!(
            "var early = length([for a in ['q']: [for b in concat([a], [a]): b]])\nvar x = [for a0 in ['q']: {body}]\n"
        );
        let (texts, problems) = lowered_variables(&text, &["early"]);
        assert!(!texts[0].contains(UNKNOWN_CALL), "{}", texts[0]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("1024 KiB"), "{problems:?}");
    }
}
