//! Evaluating template values and expressions into the neutral model's
//! values. Whatever the template alone does not determine — a parameter
//! without a default, `reference()`, `utcNow()`, a function not implemented
//! here — is `Unknown`, and unknown spreads: nothing is ever guessed.
//!
//! This file is the evaluator: a template's `Scope` (its parameters,
//! variables, user-defined functions and nested deployments), the memo that
//! evaluates each once and guards against cycles, copy loops, provenance,
//! and the budgets every value counts against. Not here: the functions a
//! call reaches, which are in `functions/` (one dispatch, one file per
//! family), nor parsing (`expr.rs`).

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use crate::arm::expr::{self, Expr, Template};
use crate::arm::functions;
pub use crate::arm::provenance::{Provenance, ProvenanceLog};
use crate::arm::provenance::{Record, Step};
use crate::arm::symbolic::{Symbolic, Symbols};
use crate::diagnostic::SyntaxError;
use crate::json::{JsonKind, JsonValue, Member};
use crate::limits::{Guard, VALUE_BYTES};
use crate::model::{ArmId, Key, Memo, Node, Object, Value};
use crate::source::Span;

/// Equality ignoring spans (the Bicep lowering's tests compare with it).
#[cfg(test)]
pub(crate) use crate::arm::functions::same_json;

/// Variables and parameters referring to each other never recurse deeper.
pub(super) const MAX_DEPTH: usize = 64;

/// One active copy loop: its name, whether it is a resource loop (what a bare
/// `copyIndex()` means), and the index when known.
#[derive(Clone, Debug)]
pub struct Copy {
    pub name: String,
    pub resource: bool,
    pub index: Option<i64>,
}

/// The parameters and variables visible to expressions in one template (a
/// nested deployment with inner scope has its own).
pub struct Scope<'t> {
    parameters: HashMap<Caseless<'t>, &'t JsonValue>,
    /// Values given from outside: by a parameter file, or by the enclosing
    /// deployment's `parameters` (spans in that file or template).
    supplied: HashMap<String, Node>,
    /// Shared with the scopes of nested deployments.
    provenance: Rc<RefCell<Record>>,
    variables: HashMap<Caseless<'t>, &'t JsonValue>,
    /// Variables defined by `"copy": [{ "name", "count", "input" }]` in the
    /// variables section: name → that loop.
    variable_copies: HashMap<Caseless<'t>, &'t JsonValue>,
    memo: Memo,
    /// `lambdaVariables('x')` bindings of the lambdas being applied, innermost last.
    pub(super) lambdas: RefCell<Vec<(String, Value)>>,
    /// This template's nested deployments with an inline template and inner
    /// scope (Bicep modules), with their symbolic names in languageVersion 2.0:
    /// what `reference(<deployment>).outputs` reads.
    pub(super) deployments: Vec<(Option<&'t str>, &'t JsonValue)>,
    /// The other resources declared at the top of this template, for
    /// `reference()` of what the template itself sets.
    pub(super) declared: Vec<(Option<&'t str>, &'t JsonValue)>,
    /// How many `reference()`s into nested deployments led here.
    pub(super) reference_depth: usize,
    /// User-defined functions (`functions[].members`), by lower-cased
    /// `namespace.name`: Bicep's `func` declarations compile to them.
    pub(super) functions: Rc<HashMap<String, &'t JsonValue>>,
    /// How many user-defined function calls are being evaluated.
    function_depth: usize,
    /// The key prefix of this template's resources in the unit (empty at
    /// the root; `resources.db.properties.template.` in a nested deployment):
    /// what `plinthResourceId()` ties an id to.
    pub key_prefix: String,
    pub(super) guard: Guard,
    /// The template string being evaluated: where a work budget hit points.
    at: Cell<Span>,
    /// Symbolic evaluation's state (`symbolic.rs`).
    symbols: Symbols,
    /// A nested deployment's scope: every parameter value comes from the
    /// enclosing template, none from a deployer.
    from_caller: bool,
    /// Expressions parsed so far, by text: each is parsed once however often
    /// it is evaluated. Shared with nested scopes and function bodies.
    parsed: Rc<ParseCache>,
    /// Makes `Scope` invariant in `'t`: a `Scope<'t>` cannot be used as a
    /// scope of shorter-lived text, so everything `parse` caches by address
    /// lives as long as the cache.
    invariant: PhantomData<Cell<&'t ()>>,
}

/// Each expression text parsed once (within one unit's expression depth
/// limit, the same for every scope that shares it), and the outcome kept:
/// the tree, or the error (a too-deep one is still noted at each place that
/// evaluates it). Keyed by where the text lies, its address and length:
/// hashing the text itself was a tenth of a reference-heavy unit's time, and
/// a copy of it would hold as much memory again as the template's
/// expressions. Every text parsed is borrowed from the template for `'t`
/// ([`Scope::parse`]), which outlives every scope that shares the cache: an
/// address cannot be freed and reused for other text while it is in use.
/// A text is kept parsed from its second evaluation on (`None` marks one
/// met once): most of a large ARM template's expressions are evaluated
/// once, and keeping all their trees raised its peak memory by a seventh.
type ParseCache = RefCell<HashMap<(usize, usize), Option<Parsed>>>;
type Parsed = Result<Rc<Expr>, Rc<SyntaxError>>;

/// The parses of expression texts this thread's units met, by text, up to
/// a budget (then dropped whole and begun again). A module that many units
/// deploy (Azure Verified Modules' tests and patterns) has the same texts in
/// each unit's copy of its template, at other addresses than the unit's
/// [`ParseCache`] knows: each unit parsed them all again.
struct TextParses {
    /// The expression depth limit the parses were made within.
    depth: usize,
    /// An estimate of what the kept parses hold.
    bytes: usize,
    parses: HashMap<Box<str>, Parsed>,
}

/// Texts kept parsed a thread, their bytes and 64 more each: the units
/// that deploy the same module mostly come together. On AVM Bicep 256 KiB
/// saved as many parses as 1 MiB, and 64 KiB a tenth fewer; the run's peak
/// memory stayed within its run-to-run spread (77–82 MiB).
const TEXT_PARSES_BYTES: usize = 256 << 10;

thread_local! {
    static TEXT_PARSES: RefCell<TextParses> = RefCell::new(TextParses {
        depth: 0,
        bytes: 0,
        parses: HashMap::new(),
    });
}

/// `e` parsed within `depth`, or the parse this thread already made of the
/// same text.
fn parse_by_text(e: &str, depth: usize) -> Parsed {
    TEXT_PARSES.with(|cell| {
        let mut kept = cell.borrow_mut();
        if kept.depth == depth
            && let Some(done) = kept.parses.get(e)
        {
            return done.clone();
        }
        let out = expr::parse_within(e, depth).map(Rc::new).map_err(Rc::new);
        let cost = e.len() + 64;
        if cost > TEXT_PARSES_BYTES {
            return out;
        }
        if kept.depth != depth || kept.bytes + cost > TEXT_PARSES_BYTES {
            kept.parses.clear();
            kept.bytes = 0;
            kept.depth = depth;
        }
        kept.bytes += cost;
        kept.parses.insert(e.into(), out.clone());
        out
    })
}

/// A name as ARM compares names, ASCII case ignored: a key borrowed from
/// the template, looked up without lower-casing a copy of it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caseless<'a>(pub &'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl std::hash::Hash for Caseless<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Lower-cased a chunk at a time on the stack; ended as `str` ends
        // its hash, so that no name's bytes are a prefix of another's.
        let mut chunk = [0u8; 32];
        for part in self.0.as_bytes().chunks(chunk.len()) {
            let lower = &mut chunk[..part.len()];
            lower.copy_from_slice(part);
            lower.make_ascii_lowercase();
            state.write(lower);
        }
        state.write_u8(0xff);
    }
}

/// What `f` makes of `kind` followed by `name` lower-cased (`p:name`,
/// `v:name`: the memo's key of a parameter or variable), built in a buffer
/// the thread keeps: reading a kept value allocates nothing but its copy.
/// The buffer is taken while `f` runs, so `f` may call this again.
fn named_key<T>(kind: &str, name: &str, f: impl FnOnce(&str) -> T) -> T {
    thread_local! {
        static KEY: Cell<String> = const { Cell::new(String::new()) };
    }
    let mut key = KEY.take();
    key.clear();
    key.push_str(kind);
    key.push_str(name);
    key.make_ascii_lowercase();
    let out = f(&key);
    KEY.set(key);
    out
}

impl<'t> Scope<'t> {
    /// `supplied` are parameter values given by an enclosing deployment.
    pub fn new(
        template: &'t JsonValue,
        supplied: HashMap<String, Node>,
        guard: Guard,
    ) -> Scope<'t> {
        let by_name = |section: &str| {
            template
                .get(section)
                .map(|s| {
                    s.members()
                        .iter()
                        .map(|m| (Caseless(&m.key), &m.value))
                        .collect()
                })
                .unwrap_or_default()
        };
        Scope {
            parameters: by_name("parameters"),
            supplied: supplied
                .into_iter()
                .map(|(mut k, v)| {
                    k.make_ascii_lowercase();
                    (k, v)
                })
                .collect(),
            variables: by_name("variables"),
            variable_copies: template
                .get("variables")
                .and_then(|v| v.get("copy"))
                .map(JsonValue::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|spec| {
                    let name = spec.get("name").and_then(JsonValue::as_str)?;
                    Some((Caseless(name), spec))
                })
                .collect(),
            provenance: Rc::default(),
            memo: Memo::default(),
            lambdas: RefCell::new(Vec::new()),
            deployments: nested_deployments(template),
            declared: top_level_resources(template)
                .into_iter()
                .filter(|(_, r)| {
                    r.get("type")
                        .and_then(JsonValue::as_str)
                        .is_some_and(|t| !t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
                })
                .collect(),
            reference_depth: 0,
            functions: Rc::new(user_functions(template)),
            function_depth: 0,
            key_prefix: String::new(),
            guard,
            at: Cell::new(template.span),
            symbols: Symbols::default(),
            from_caller: false,
            parsed: Rc::default(),
            invariant: PhantomData,
        }
    }

    /// The parse of expression text `e` (between the outer brackets), once.
    /// `e` lives in the template (`'t`): its address names it.
    pub(super) fn parse(&self, e: &'t str) -> Parsed {
        let at = (e.as_ptr() as usize, e.len());
        let seen = match self.parsed.borrow().get(&at) {
            Some(Some(done)) => return done.clone(),
            Some(None) => true,
            None => false,
        };
        let out = parse_by_text(e, self.guard.limits.max_expression_depth);
        self.parsed
            .borrow_mut()
            .insert(at, seen.then(|| out.clone()));
        out
    }

    pub(super) fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// Whether this template declares parameter `lower` (lower-cased).
    pub(super) fn declares_parameter(&self, lower: &str) -> bool {
        self.parameters.contains_key(&Caseless(lower))
    }

    /// The definition of variable `name` (not a variable copy loop).
    pub(super) fn variable_definition(&self, name: &str) -> Option<&'t JsonValue> {
        self.variables.get(&Caseless(name)).copied()
    }

    /// Calls the user-defined function `definition` (a `members` entry):
    /// its body sees only its own parameters, bound to `args`, and the other
    /// user functions; an argument count that does not match is unknown.
    pub(super) fn user_function(&self, definition: &'t JsonValue, args: Vec<Value>) -> Value {
        if self.function_depth >= MAX_DEPTH {
            return Value::Unknown;
        }
        let declared = definition
            .get("parameters")
            .map(JsonValue::items)
            .unwrap_or_default();
        if declared.len() != args.len() {
            return Value::Unknown;
        }
        let mut supplied = HashMap::new();
        for (p, value) in declared.iter().zip(args) {
            let Some(name) = p.get("name").and_then(JsonValue::as_str) else {
                return Value::Unknown;
            };
            supplied.insert(name.to_ascii_lowercase(), Node::new(value, None));
        }
        let Some(body) = definition.get("output").and_then(|o| o.get("value")) else {
            return Value::Unknown;
        };
        let scope = Scope {
            parameters: HashMap::new(),
            supplied,
            provenance: Rc::clone(&self.provenance),
            variables: HashMap::new(),
            variable_copies: HashMap::new(),
            memo: Memo::default(),
            lambdas: RefCell::new(Vec::new()),
            deployments: Vec::new(),
            declared: Vec::new(),
            reference_depth: self.reference_depth,
            functions: Rc::clone(&self.functions),
            function_depth: self.function_depth + 1,
            key_prefix: self.key_prefix.clone(),
            guard: self.guard.clone(),
            at: Cell::new(body.span),
            symbols: Symbols::disabled(),
            from_caller: true,
            parsed: Rc::clone(&self.parsed),
            invariant: PhantomData,
        };
        self.shallow(scope.node(body, body.span, &[]).value)
    }

    /// The scope of a nested deployment's `template`, fed `supplied` by this
    /// one; it shares the limits and the provenance record.
    /// `symbolic` are the symbolic forms of the supplied values that are
    /// unknown ([`Scope::supplied_symbols`]).
    pub fn nested(
        &self,
        template: &'t JsonValue,
        supplied: HashMap<String, Node>,
        symbolic: HashMap<String, Symbolic>,
    ) -> Scope<'t> {
        let mut inner = Scope::new(template, supplied, self.guard.clone());
        inner.provenance = Rc::clone(&self.provenance);
        inner.from_caller = true;
        inner.parsed = Rc::clone(&self.parsed);
        inner.symbols.supplied = symbolic
            .into_iter()
            .map(|(mut k, v)| {
                k.make_ascii_lowercase();
                (k, v)
            })
            .collect();
        inner
    }

    /// Where the values of this scope's expressions (and its nested
    /// deployments') came from.
    pub fn take_provenance(&self) -> Provenance {
        std::mem::take(&mut self.provenance.borrow_mut().map)
    }

    /// Starts a log of what is written to the unit's provenance from here
    /// on ([`Record::start_log`]).
    pub fn start_provenance_log(&self) {
        self.provenance.borrow_mut().start_log();
    }

    /// The provenance written since [`Scope::start_provenance_log`].
    pub fn end_provenance_log(&self) -> ProvenanceLog {
        self.provenance.borrow_mut().end_log()
    }

    /// Writes `log` to the unit's provenance again ([`Record::replay`]).
    pub fn replay_provenance(&self, log: &ProvenanceLog) {
        self.provenance.borrow_mut().replay(log);
    }

    /// Records which parameters and variables the expression at `span` read.
    /// Runs for every expression evaluated to a known value.
    fn note_sources(&self, span: Span, e: &Expr) {
        self.provenance.borrow_mut().note(span, |step| {
            self.sources_in(e, step);
        });
    }

    /// The sources `e` read, given to `step` in order: the expression's own
    /// calls first, then its arguments and targets, the last first; false
    /// once `step` wants no more. Recursion as deep as the expression,
    /// which evaluating it already went through.
    fn sources_in(&self, e: &Expr, step: &mut dyn FnMut(Step<'_>) -> bool) -> bool {
        match e {
            Expr::Call(f, args) if f == "parameters" || f == "variables" => {
                if let [Expr::String(name)] = args.as_slice() {
                    let source = if f == "variables" {
                        self.variables
                            .get(&Caseless(name))
                            .or_else(|| self.variable_copies.get(&Caseless(name)))
                            .map(|v| (v.span, "variable", "is defined here"))
                    } else if let Some(node) = named_key("", name, |lower| self.supplied.get(lower))
                    {
                        node.span.map(|s| (s, "parameter", "is given this value"))
                    } else {
                        self.parameters
                            .get(&Caseless(name))
                            .and_then(|p| p.get("defaultValue"))
                            .map(|d| (d.span, "parameter", "defaults to this value"))
                    };
                    // The source, and where its value came from in turn.
                    if let Some((at, what, how)) = source
                        && !(step(Step::Source(at, what, name, how)) && step(Step::Further(at)))
                    {
                        return false;
                    }
                }
                args.iter().rev().all(|a| self.sources_in(a, step))
            }
            Expr::Call(_, args) => args.iter().rev().all(|a| self.sources_in(a, step)),
            Expr::Member(target, _) => self.sources_in(target, step),
            Expr::Index(target, index) => {
                self.sources_in(index, step) && self.sources_in(target, step)
            }
            Expr::String(_) | Expr::Int(_) => true,
        }
    }

    /// Notes a copy count over `max_copies` (its instances are then one
    /// instance that may not exist: nothing past the cap is guessed).
    pub fn check_copies(&self, count: &Value, span: Span) {
        let max = self.guard.limits.max_copies;
        if let Value::Number(n) = count
            && *n > max as f64
        {
            self.guard.hit(
                span,
                "max_copies",
                max as u64,
                format!("copy count {n} is over the limit of {max}: instances not checked"),
            );
        }
    }

    /// Evaluates `key` once, guarding against cycles and runaway depth.
    pub(super) fn memo(&self, key: String, compute: impl FnOnce() -> Value) -> Value {
        self.memo_as(key, compute, Value::clone)
    }

    /// [`Scope::memo`], given as `out` makes it of the value where it is
    /// kept ([`Memo::get_or_as`]).
    pub(super) fn memo_as<T>(
        &self,
        key: String,
        compute: impl FnOnce() -> Value,
        out: fn(&Value) -> T,
    ) -> T {
        self.memo
            .get_or_as(key, MAX_DEPTH, || self.shallow(compute()), out)
    }

    pub(super) fn parameter(&self, name: &str) -> Value {
        self.parameter_as(name, Value::clone)
    }

    /// The value of parameter `name`, given as `out` makes it of the value
    /// where it is kept: `|_| ()` evaluates it once, to be read in place.
    fn parameter_as<T>(&self, name: &str, out: fn(&Value) -> T) -> T {
        // Read where it is kept, when it is: a value already computed (or
        // given) is copied without building its name again.
        let kept = named_key("p:", name, |key| {
            let lower = &key[2..];
            match self.supplied.get(lower) {
                Some(v) if !self.supplied_null_for_default(&v.value, lower) => Some(out(&v.value)),
                _ => self.memo.read(key, out),
            }
        });
        if let Some(value) = kept {
            return value;
        }
        let name = name.to_ascii_lowercase();
        let definition = self.parameters.get(&Caseless(&name)).copied();
        let default = definition.and_then(|d| d.get("defaultValue"));
        if let Some(v) = self.supplied.get(&name)
            && !self.supplied_null_for_default(&v.value, &name)
        {
            return out(&v.value);
        }
        let Some(definition) = definition else {
            return out(&Value::Unknown);
        };
        let compute = || match default {
            Some(default) => self.node(default, default.span, &[]).value,
            // A nested deployment's parameters all come from its caller: a
            // nullable one the caller leaves out is null.
            None if self.from_caller
                && matches!(
                    definition.get("nullable").map(|n| &n.kind),
                    Some(JsonKind::Bool(true))
                ) =>
            {
                Value::Null
            }
            None => Value::Unknown,
        };
        self.memo_as(["p:", name.as_str()].concat(), compute, out)
    }

    /// Null given for a parameter with a default is the default: how Bicep
    /// passes an optional value the caller leaves out (`name: tryGet(config,
    /// 'name')` to `param name string = 'default'`). `lower`: the name
    /// lower-cased.
    fn supplied_null_for_default(&self, given: &Value, lower: &str) -> bool {
        matches!(given, Value::Null)
            && self
                .parameters
                .get(&Caseless(lower))
                .is_some_and(|d| d.get("defaultValue").is_some())
    }

    pub(super) fn variable(&self, name: &str) -> Value {
        self.variable_as(name, Value::clone)
    }

    /// The value of variable `name`, given as `out` makes it of the value
    /// where it is kept ([`Scope::parameter_as`]).
    fn variable_as<T>(&self, name: &str, out: fn(&Value) -> T) -> T {
        if let Some(value) = named_key("v:", name, |key| self.memo.read(key, out)) {
            return value;
        }
        let name = name.to_ascii_lowercase();
        if let Some(spec) = self.variable_copies.get(&Caseless(&name)).copied() {
            // A variable copy loop: the array of its evaluated inputs.
            let compute = || {
                let mut object = Object::new();
                self.property_copy(spec, &mut object, &[]);
                object.get_mut(&name).map_or(Value::Unknown, |n| {
                    std::mem::replace(&mut n.value, Value::Unknown)
                })
            };
            return self.memo_as(["v:", name.as_str()].concat(), compute, out);
        }
        let Some(definition) = self.variables.get(&Caseless(&name)).copied() else {
            return out(&Value::Unknown);
        };
        let compute = || self.node(definition, definition.span, &[]).value;
        self.memo_as(["v:", name.as_str()].concat(), compute, out)
    }

    /// A template value with its span; `span` is the member's span when the
    /// value is an object member. Property `copy` loops are expanded.
    pub fn node(&self, j: &'t JsonValue, span: Span, copies: &[Copy]) -> Node {
        // Every value built counts against the unit's budget; strings are
        // counted by `string_at`.
        if !matches!(j.kind, JsonKind::String(_)) && !self.guard.spend_values(VALUE_BYTES, span) {
            return Node::new(Value::Unknown, Some(span));
        }
        let value = match &j.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n) => Value::Number(*n),
            JsonKind::String(s) => self.string_at(s, span, copies),
            JsonKind::Array(items) => {
                Value::Array(items.iter().map(|i| self.node(i, i.span, copies)).collect())
            }
            JsonKind::Object(members) => self.object(members.iter(), copies),
            JsonKind::Shared(inner) => return self.node(inner, span, copies),
        };
        Node::new(value, Some(span))
    }

    /// [`Scope::node`] of an object without its member `skip`: a
    /// deployment's `properties` without the nested `template`, whose
    /// resources are evaluated in their own scope (`Builder::deployment`).
    /// Evaluated here as well, in the caller's scope, it was work thrown
    /// away, repeated at every level of nesting.
    pub fn node_without(&self, j: &'t JsonValue, span: Span, copies: &[Copy], skip: &str) -> Node {
        let JsonKind::Object(members) = &j.kind else {
            return self.node(j, span, copies);
        };
        if !self.guard.spend_values(VALUE_BYTES, span) {
            return Node::new(Value::Unknown, Some(span));
        }
        let kept = members.iter().filter(|m| !m.key.eq_ignore_ascii_case(skip));
        Node::new(self.object(kept, copies), Some(span))
    }

    /// An object's members evaluated, property `copy` loops expanded.
    fn object(&self, members: impl Iterator<Item = &'t Member>, copies: &[Copy]) -> Value {
        let mut object = Object::with_capacity(members.size_hint().0);
        let mut keys_known = true;
        for m in members {
            if m.key.eq_ignore_ascii_case("copy") && matches!(m.value.kind, JsonKind::Array(_)) {
                for spec in m.value.items() {
                    self.property_copy(spec, &mut object, copies);
                }
                continue;
            }
            // ARM evaluates expressions in property names too
            // (`"[format('privatelink.blob.{0}', …)]": "blob"`).
            let key = match expr::classify(&m.key) {
                Template::Literal(k) => Key::from(k),
                Template::Expression(_) => match self.string_at(&m.key, m.span, copies) {
                    Value::String(k) => Key::from(k),
                    _ => {
                        keys_known = false;
                        continue;
                    }
                },
            };
            object.insert(key, self.node(&m.value, m.span, copies));
        }
        // An object with a name not known is not known as a whole: its keys
        // cannot be listed, nor a member looked up.
        if keys_known {
            Value::Object(object)
        } else {
            Value::Unknown
        }
    }

    /// `"copy": [{ "name": "subnets", "count": 3, "input": {…} }]` inside properties.
    fn property_copy(&self, spec: &'t JsonValue, object: &mut Object, copies: &[Copy]) {
        let Some(name) = spec.get("name").and_then(JsonValue::as_str) else {
            return;
        };
        let count = spec.get("count").map(|c| {
            let value = self.node(c, c.span, copies).value;
            self.check_copies(&value, c.span);
            value
        });
        let max = self.guard.limits.max_copies as f64;
        let value = match (count, spec.get("input")) {
            (Some(Value::Number(n)), Some(input))
                if n.fract() == 0.0 && (0.0..=max).contains(&n) =>
            {
                Value::Array(
                    (0..n as i64)
                        .map(|i| {
                            let mut inner = copies.to_vec();
                            inner.push(Copy {
                                name: name.to_string(),
                                resource: false,
                                index: Some(i),
                            });
                            self.node(input, input.span, &inner)
                        })
                        .collect(),
                )
            }
            _ => Value::Unknown,
        };
        object.insert(name, Node::new(value, Some(spec.span)));
    }

    /// A JSON string at `span`: a literal, or an expression to evaluate.
    /// An expression nested past `max_expression_depth` is unknown, and noted.
    pub fn string_at(&self, text: &'t str, span: Span, copies: &[Copy]) -> Value {
        match expr::classify(text) {
            Template::Literal(s) => {
                if self.guard.spend_values(VALUE_BYTES + s.len() as u64, span) {
                    Value::String(s.into())
                } else {
                    Value::Unknown
                }
            }
            Template::Expression(e) => {
                let max = self.guard.limits.max_expression_depth;
                match self.parse(e) {
                    Ok(parsed) => {
                        let outer = self.at.replace(span);
                        let value = self.eval(&parsed, copies);
                        self.at.set(outer);
                        if value != Value::Unknown {
                            self.note_sources(span, &parsed);
                        }
                        if self.guard.depth_refused() {
                            let max = self.guard.limits.max_evaluation_depth;
                            self.guard.hit(
                                span,
                                "max_evaluation_depth",
                                max as u64,
                                format!(
                                    "evaluation nested deeper than {max} (expressions within variables, functions and lambdas that use each other): its value is not known"
                                ),
                            );
                        }
                        value
                    }
                    Err(err) if err.too_deep => {
                        self.guard.hit(
                            span,
                            "max_expression_depth",
                            max as u64,
                            format!("expression nested deeper than {max}: its value is not known"),
                        );
                        Value::Unknown
                    }
                    Err(_) => Value::Unknown,
                }
            }
        }
    }

    /// The value of `e`. Every level counts towards the unit's
    /// `max_evaluation_depth`: an expression is within `max_expression_depth`
    /// on its own, but variables, functions and lambdas evaluate each other
    /// inside it, and the stack holds them all. Each value it builds (every
    /// call's result, every copy of a variable read) counts against the
    /// unit's budget, and once that is spent every value is unknown.
    pub fn eval(&self, e: &Expr, copies: &[Copy]) -> Value {
        if self.guard.exhausted() || !self.guard.descend() {
            return Value::Unknown;
        }
        let value = self.eval_within(e, copies);
        self.guard.ascend();
        if self
            .guard
            .spend_values(value.weight(VALUE_BYTES), self.at.get())
        {
            value
        } else {
            Value::Unknown
        }
    }

    /// `value`, or unknown (noted) when it is nested deeper than
    /// `max_evaluation_depth`: what a variable, function or lambda returns
    /// is checked, so that values cannot grow deeper one call at a time
    /// (`v2` wrapping `v1`, a `reduce` wrapping its accumulator) until
    /// dropping or reading them overflows the stack.
    pub(super) fn shallow(&self, value: Value) -> Value {
        if value.nested_deeper(self.guard.limits.max_evaluation_depth) {
            self.guard.refuse_depth();
            Value::Unknown
        } else {
            value
        }
    }

    fn eval_within(&self, e: &Expr, copies: &[Copy]) -> Value {
        match e {
            Expr::String(s) => Value::String(s.clone()),
            Expr::Int(n) => Value::Number(*n as f64),
            Expr::Member(target, name) => self
                .read_in_place(target, copies, |v| member(v, name))
                .unwrap_or_else(|| member(&self.eval(target, copies), name)),
            Expr::Index(target, index) => {
                let index = self.eval(index, copies);
                if let Some(picked) = self.element_in_place(target, &index, copies) {
                    return picked;
                }
                let target = self.eval(target, copies);
                match index {
                    Value::Number(n) => match target {
                        Value::Array(items) if n >= 0.0 && n.fract() == 0.0 => items
                            .get(n as usize)
                            .map_or(Value::Unknown, |node| node.value.clone()),
                        _ => Value::Unknown,
                    },
                    Value::String(key) => member(&target, &key),
                    _ => Value::Unknown,
                }
            }
            Expr::Call(name, args) => functions::call(self, name, args, copies),
        }
    }

    /// `target[index]` without building `target` when it is a `range()` or
    /// a variable or parameter (read where it is kept): a loop's
    /// `range(0, n)[copyIndex()]` or `variables('list')[copyIndex()]` would
    /// otherwise copy the whole array for each instance, quadratic work
    /// that the budget would count.
    fn element_in_place(&self, target: &Expr, index: &Value, copies: &[Copy]) -> Option<Value> {
        let pick = |v: &Value| element_ref(v, index).clone();
        if let Expr::Call(f, args) = target
            && f == "range"
            && let [start, count] = args.as_slice()
        {
            let (Value::Number(start), Value::Number(count), Value::Number(n)) =
                (self.eval(start, copies), self.eval(count, copies), index)
            else {
                return None;
            };
            let valid = |x: f64| x.fract() == 0.0 && x >= 0.0;
            return Some(if valid(*n) && valid(count) && *n < count {
                Value::Number(start + n)
            } else {
                Value::Unknown
            });
        }
        if let Some(object) = items_of_kept(target) {
            // `items(x)[i]`: the one entry, built where `x` is kept.
            return self.read_in_place(object, copies, |v| entry_value(v, index));
        }
        self.read_in_place(target, copies, pick)
    }

    /// The text `arg` gives: as written when it is a literal (nearly every
    /// `parameters('x')`), else evaluated; `None` when it is not text.
    pub(super) fn text_of<'e>(&self, arg: &'e Expr, copies: &[Copy]) -> Option<Cow<'e, str>> {
        match arg {
            Expr::String(text) => Some(Cow::Borrowed(text)),
            _ => match self.eval(arg, copies) {
                Value::String(text) => Some(Cow::Owned(text.into_string())),
                _ => None,
            },
        }
    }

    /// `pick` applied to the value of `target` where it is kept, when
    /// `target` is `variables('x')` or `parameters('x')`, `coalesce()` of
    /// one of them and more (Bicep's `x ?? []`, read at every instance of a
    /// loop over it), or a member or element of any of these, however deep
    /// (`coalesce(parameters('x'), createArray())[copyIndex()].name`): no
    /// copy of the whole value, nor of the element on the way.
    pub(super) fn read_in_place(
        &self,
        target: &Expr,
        copies: &[Copy],
        pick: impl FnOnce(&Value) -> Value,
    ) -> Option<Value> {
        let mut pick = Some(pick);
        self.read_chain(target, copies, &mut |v| {
            pick.take().map_or(Value::Unknown, |p| p(v))
        })
    }

    /// [`Scope::read_in_place`], one step of the chain at a time (`dyn`: a
    /// chain is as long as the expression).
    fn read_chain(
        &self,
        target: &Expr,
        copies: &[Copy],
        pick: &mut dyn FnMut(&Value) -> Value,
    ) -> Option<Value> {
        match target {
            // `items(x)[i].value…` and `.key`, Bicep's loop over an
            // object's entries: the entry's parts read where `x` is kept,
            // not every entry built for every instance.
            Expr::Member(inner, name)
                if let Expr::Index(items, index) = &**inner
                    && let Some(object) = items_of_kept(items) =>
            {
                let index = self.eval(index, copies);
                self.read_chain(object, copies, &mut |v| match entry(v, &index) {
                    Some((key, _)) if name.eq_ignore_ascii_case("key") => {
                        pick(&Value::String(key.into()))
                    }
                    Some((_, value)) if name.eq_ignore_ascii_case("value") => pick(&value.value),
                    _ => pick(&Value::Unknown),
                })
            }
            Expr::Index(items, index) if let Some(object) = items_of_kept(items) => {
                let index = self.eval(index, copies);
                self.read_chain(object, copies, &mut |v| pick(&entry_value(v, &index)))
            }
            Expr::Member(inner, name) if rooted_in_kept(inner) => {
                self.read_chain(inner, copies, &mut |v| pick(member_ref(v, name)))
            }
            Expr::Index(inner, index) if rooted_in_kept(inner) => {
                let index = self.eval(index, copies);
                self.read_chain(inner, copies, &mut |v| pick(element_ref(v, &index)))
            }
            Expr::Call(f, args) if f == "coalesce" && rooted_in_kept(target) => {
                let (first, rest) = args.split_first()?;
                // The first argument where it is kept; when it is null, the
                // rest, as `coalesce` gives them.
                let read = self.read_kept(first, copies, |v| match v {
                    Value::Null => None,
                    v => Some(pick(v)),
                })?;
                Some(match read {
                    Some(value) => value,
                    None => {
                        let rest = if rest.is_empty() {
                            Value::Null
                        } else {
                            functions::call(self, f, rest, copies)
                        };
                        pick(&rest)
                    }
                })
            }
            _ => self.read_kept(target, copies, |v| pick(v)),
        }
    }

    /// What `read` makes of the value of `target` where it is kept, when
    /// `target` is `variables('x')` or `parameters('x')`.
    fn read_kept<T>(
        &self,
        target: &Expr,
        copies: &[Copy],
        read: impl FnOnce(&Value) -> T,
    ) -> Option<T> {
        let Expr::Call(f, args) = target else {
            return None;
        };
        if args.is_empty() {
            return functions::constant(f).map(read);
        }
        if f == "reference" {
            // A nested deployment's outputs, as `reference()` reads them.
            let deployment = self.deployment_named(args.first()?)?;
            if self.reference_depth >= self.guard.limits.max_deployment_depth {
                return Some(read(&Value::Unknown));
            }
            let key = functions::outputs_key(deployment, None);
            if !self.memo.contains(&key) {
                self.deployment_outputs_as(deployment, None, |_| ());
            }
            return self.memo.read(&key, read);
        }
        let [arg] = args.as_slice() else {
            return None;
        };
        let is_parameter = match f.as_str() {
            "parameters" => true,
            "variables" => false,
            _ => return None,
        };
        let name = self.text_of(arg, copies)?;
        let name = name.as_ref();
        let kind = if is_parameter { "p:" } else { "v:" };
        // As `parameter()` reads it: a given null stands for the default.
        if is_parameter
            && let Some(node) = named_key(kind, name, |key| {
                let lower = &key[2..];
                self.supplied
                    .get(lower)
                    .filter(|node| !self.supplied_null_for_default(&node.value, lower))
            })
        {
            return Some(read(&node.value));
        }
        if !named_key(kind, name, |key| self.memo.contains(key)) {
            // Evaluated once and kept; read in place from then on.
            if is_parameter {
                self.parameter_as(name, |_| ());
            } else {
                self.variable_as(name, |_| ());
            }
        }
        named_key(kind, name, |key| self.memo.read(key, read))
    }
}

impl Scope<'_> {
    /// The resource ids named anywhere in `j`'s expressions (`resourceId()`
    /// and friends, also inside `reference()`): which resources a web app's
    /// settings read from (PE007's clients). Only ids that evaluate fully.
    pub fn referenced_ids(&self, j: &JsonValue, copies: &[Copy]) -> Vec<ArmId> {
        fn walk_expr(scope: &Scope<'_>, e: &Expr, copies: &[Copy], out: &mut Vec<ArmId>) {
            match e {
                Expr::Call(name, args) => {
                    if matches!(
                        name.as_str(),
                        "resourceid"
                            | "subscriptionresourceid"
                            | "tenantresourceid"
                            | "extensionresourceid"
                    ) {
                        if let Value::Id(id) = scope.eval(e, copies)
                            && !out.contains(&id)
                        {
                            out.push(std::sync::Arc::unwrap_or_clone(id));
                        }
                        return;
                    }
                    // `reference('<symbolic name>')` (Bicep, languageVersion
                    // 2.0) of a resource declared here: that resource.
                    if name == "reference"
                        && let Some(Expr::String(_)) = args.first()
                        && let Some(id) = scope.declared_resource_id(&args[0], copies)
                        && !out.contains(&id)
                    {
                        out.push(id);
                    }
                    for a in args {
                        walk_expr(scope, a, copies, out);
                    }
                }
                Expr::Member(inner, _) => walk_expr(scope, inner, copies, out),
                Expr::Index(inner, index) => {
                    walk_expr(scope, inner, copies, out);
                    walk_expr(scope, index, copies, out);
                }
                Expr::String(_) | Expr::Int(_) => {}
            }
        }
        let mut out = Vec::new();
        let mut stack = vec![j];
        while let Some(node) = stack.pop() {
            match &node.kind {
                JsonKind::String(text) => {
                    if let Template::Expression(inner) = expr::classify(text)
                        && let Some(e) = expr::parse(inner)
                    {
                        walk_expr(self, &e, copies, &mut out);
                    }
                }
                JsonKind::Array(items) => stack.extend(items.iter()),
                JsonKind::Object(members) => stack.extend(members.iter().map(|m| &m.value)),
                JsonKind::Shared(inner) => stack.push(inner),
                _ => {}
            }
        }
        out
    }
}

/// The resources declared at the top of `template`, with their symbolic
/// names in languageVersion 2.0.
fn top_level_resources(template: &JsonValue) -> Vec<(Option<&str>, &JsonValue)> {
    let Some(resources) = template.get("resources") else {
        return Vec::new();
    };
    match &resources.kind {
        JsonKind::Array(items) => items.iter().map(|r| (None, r)).collect(),
        // languageVersion 2.0: resources keyed by symbolic name.
        JsonKind::Object(members) => members
            .iter()
            .map(|m| (Some(m.key.as_str()), &m.value))
            .collect(),
        _ => Vec::new(),
    }
}

/// The nested deployments of `template` whose outputs can be evaluated: an
/// inline template and inner expression scope (copy loops included: their
/// instances are referred to by index or by evaluated name).
fn nested_deployments(template: &JsonValue) -> Vec<(Option<&str>, &JsonValue)> {
    top_level_resources(template)
        .into_iter()
        .filter(|(_, r)| {
            r.get("type")
                .and_then(JsonValue::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
                && r.get("properties")
                    .and_then(|p| p.get("template"))
                    .is_some_and(|t| matches!(t.kind, JsonKind::Object(_)))
                && r.get("properties")
                    .and_then(|p| p.get("expressionEvaluationOptions"))
                    .and_then(|o| o.get("scope"))
                    .and_then(JsonValue::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("inner"))
        })
        .collect()
}

impl<'t> Scope<'t> {
    /// The parameter values a nested deployment's `properties.parameters`
    /// give its template, evaluated in this (the calling) scope.
    pub fn supplied_parameters(
        &self,
        properties: &'t JsonValue,
        copies: &[Copy],
    ) -> HashMap<String, Node> {
        properties
            .get("parameters")
            .map(JsonValue::members)
            .unwrap_or_default()
            .iter()
            .map(|m| (m.key.clone(), self.supplied_parameter(&m.value, copies)))
            .collect()
    }

    /// [`Scope::supplied_parameters`], taking each `{ "value": … }` from
    /// `passed`, the deployment's `properties.parameters` as its body
    /// already evaluated them, instead of evaluating it again. Parameters
    /// with a name that is an expression, `copy`, or written twice are all
    /// evaluated as before, and so is a wrapper that is not a plain `value`.
    ///
    /// Also returns the names whose values were taken out of `passed`
    /// (each left unknown there), for the caller to put back.
    pub fn supplied_parameters_from(
        &self,
        properties: &'t JsonValue,
        passed: Option<&mut Object>,
        copies: &[Copy],
    ) -> (HashMap<String, Node>, Vec<&'t str>) {
        let members = properties
            .get("parameters")
            .map(JsonValue::members)
            .unwrap_or_default();
        // Only where the body's objects have exactly the members written
        // (see [`plain`]).
        let passed = match passed {
            Some(o) if plain(properties.members()) && plain(members) => o,
            _ => return (self.supplied_parameters(properties, copies), Vec::new()),
        };
        let mut out = HashMap::new();
        let mut taken = Vec::new();
        for m in members {
            let node = match self.passed_value(m, passed) {
                Some(node) => {
                    taken.push(m.key.as_str());
                    node
                }
                None => self.supplied_parameter(&m.value, copies),
            };
            out.insert(m.key.clone(), node);
        }
        (out, taken)
    }

    /// The value this scope was given for parameter `name`, taken out of
    /// it: once its resources are built, nothing reads it.
    pub fn give_back(&mut self, name: &str) -> Option<Value> {
        named_key("", name, |lower| self.supplied.remove(lower)).map(|n| n.value)
    }

    /// Parameter `m`'s `{ "value": … }` as the deployment's body evaluated
    /// it (taken out of `passed`), with its provenance moved from the
    /// member to the value, where reading the value alone records it.
    fn passed_value(&self, m: &'t Member, passed: &mut Object) -> Option<Node> {
        let JsonKind::Object(written) = &m.value.kind else {
            return None;
        };
        if !plain(written) {
            return None;
        }
        let written = m.value.member("value")?;
        let Value::Object(wrapper) = &mut passed.get_mut(&m.key)?.value else {
            return None;
        };
        let value = wrapper.get_mut("value")?;
        self.provenance
            .borrow_mut()
            .copy(written.span, written.value.span);
        let value = std::mem::replace(&mut value.value, Value::Unknown);
        Some(Node::new(value, Some(written.value.span)))
    }

    /// The symbolic forms of the parameter values a deployment passes that
    /// are unknown but have an identity here (`{ "value": "[parameters('x')]" }`).
    pub fn supplied_symbols(
        &self,
        properties: &'t JsonValue,
        supplied: &HashMap<String, Node>,
        copies: &[Copy],
    ) -> HashMap<String, Symbolic> {
        let mut out = HashMap::new();
        for m in properties
            .get("parameters")
            .map(JsonValue::members)
            .unwrap_or_default()
        {
            let unknown = supplied
                .get(&m.key)
                .is_some_and(|n| matches!(n.value, Value::Unknown));
            if let (true, Some(value)) = (unknown, m.value.get("value"))
                && let Some(symbolic) = self.symbolic_json(value, copies)
            {
                out.insert(m.key.clone(), symbolic);
            }
        }
        out
    }

    /// One parameter value a deployment passes: `{ "value": … }`, or an
    /// expression that builds that wrapper, as Bicep compiles a module's
    /// conditional parameter: `"[if(c, createObject('value', a),
    /// createObject('value', b))]"`. A Key Vault `reference`, or a
    /// wrapper not known, is unknown.
    fn supplied_parameter(&self, wrapper: &'t JsonValue, copies: &[Copy]) -> Node {
        if let Some(v) = wrapper.get("value") {
            return self.node(v, v.span, copies);
        }
        if wrapper.as_str().is_none() {
            return Node::new(Value::Unknown, None);
        }
        match self.node(wrapper, wrapper.span, copies).value {
            Value::Object(built) => match built.get("value") {
                Some(node) => Node::new(node.value.clone(), node.span.or(Some(wrapper.span))),
                None => Node::new(Value::Unknown, Some(wrapper.span)),
            },
            _ => Node::new(Value::Unknown, Some(wrapper.span)),
        }
    }
}

/// Whether an object's members evaluate to exactly the members written:
/// no name that is an expression or `copy` (either may evaluate to a name
/// written too), none written twice.
fn plain(members: &[Member]) -> bool {
    members.iter().enumerate().all(|(i, m)| {
        matches!(expr::classify(&m.key), Template::Literal(k) if k == m.key)
            && !m.key.eq_ignore_ascii_case("copy")
            && !members[..i]
                .iter()
                .any(|o| o.key.eq_ignore_ascii_case(&m.key))
    })
}

/// `"functions": [{ "namespace": "ns", "members": { "name": {…} } }]`.
fn user_functions(template: &JsonValue) -> HashMap<String, &JsonValue> {
    let mut out = HashMap::new();
    for group in template
        .get("functions")
        .map(JsonValue::items)
        .unwrap_or_default()
    {
        let Some(namespace) = group.get("namespace").and_then(JsonValue::as_str) else {
            continue;
        };
        for m in group
            .get("members")
            .map(JsonValue::members)
            .unwrap_or_default()
        {
            out.insert(
                format!("{namespace}.{}", m.key).to_ascii_lowercase(),
                &m.value,
            );
        }
    }
    out
}

fn member(target: &Value, name: &str) -> Value {
    member_ref(target, name).clone()
}

/// What [`member`] gives, where it is.
fn member_ref<'v>(target: &'v Value, name: &str) -> &'v Value {
    match target {
        Value::Object(o) => o.get(name).map_or(&Value::Unknown, |n| &n.value),
        _ => &Value::Unknown,
    }
}

/// `target[index]`, where it is: an array's element by position, an
/// object's member by name.
fn element_ref<'v>(target: &'v Value, index: &Value) -> &'v Value {
    match (target, index) {
        (Value::Array(items), Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => items
            .get(*n as usize)
            .map_or(&Value::Unknown, |node| &node.value),
        (_, Value::String(key)) => member_ref(target, key),
        _ => &Value::Unknown,
    }
}

/// `x` of `items(x)`, when [`Scope::read_in_place`] reads `x` in place.
fn items_of_kept(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Call(f, args) if f == "items" => match args.as_slice() {
            [object] if rooted_in_kept(object) => Some(object),
            _ => None,
        },
        _ => None,
    }
}

/// Entry `index` of `items(object)`, where the object keeps it: what
/// `items(object)[index]` holds, or `None` where that is unknown.
fn entry<'v>(object: &'v Value, index: &Value) -> Option<(&'v str, &'v Node)> {
    match (object, index) {
        (Value::Object(o), Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => {
            o.iter().nth(*n as usize)
        }
        _ => None,
    }
}

/// `items(object)[index]`, built from the object where it is kept.
fn entry_value(object: &Value, index: &Value) -> Value {
    entry(object, index).map_or(Value::Unknown, |(key, value)| {
        functions::item(key, value.clone())
    })
}

/// Whether `e` reads a kept value, or a member or element of one, that
/// [`Scope::read_in_place`] can read without a copy: `parameters('x')`,
/// `variables('x')`, `coalesce()` whose first argument is one of them,
/// `reference()` of a nested deployment, and the functions whose value is
/// the same everywhere (`resourceGroup()`, `environment()`, …).
pub(super) fn rooted_in_kept(e: &Expr) -> bool {
    let kept = |e: &Expr| {
        matches!(e, Expr::Call(f, args)
            if (f == "parameters" || f == "variables") && args.len() == 1)
    };
    match e {
        Expr::Call(f, args) if args.is_empty() => functions::constant(f).is_some(),
        Expr::Call(f, args) if f == "coalesce" => args.first().is_some_and(kept),
        // A nested deployment's outputs, when `reference()` names one.
        Expr::Call(f, args) if f == "reference" => !args.is_empty(),
        Expr::Index(inner, _) if items_of_kept(inner).is_some() => true,
        Expr::Member(inner, _) | Expr::Index(inner, _) => rooted_in_kept(inner),
        e => kept(e),
    }
}

/// What the tests of the evaluator and of the function library share.
#[cfg(test)]
pub(super) mod testing {
    use foldhash::{HashMap, HashMapExt};

    use super::{Scope, same_json};
    use crate::json::{self, JsonValue};
    use crate::limits::Guard;
    use crate::model::Value;
    use crate::source::FileId;

    pub(crate) fn template(text: &str) -> JsonValue {
        json::parse(FileId(0), text, 256)
            .ok()
            .flatten()
            .expect("valid JSON")
    }

    pub(crate) fn eval_in(t: &JsonValue, expression: &str) -> Value {
        Scope::new(t, HashMap::new(), Guard::default()).string_at(expression, t.span, &[])
    }

    pub(crate) fn eval(expression: &str) -> Value {
        eval_in(&template("{}"), expression)
    }

    pub(crate) fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    /// Expected values are the examples of Microsoft Learn's "Lambda
    /// functions", "Array functions", "String functions" and "Deployment
    /// functions" pages for ARM templates.
    pub(crate) fn documented(expression: &str, expected: &str) {
        let expected = Value::from_json(&serde_json::from_str(expected).expect("expected JSON"));
        let got = eval(expression);
        assert!(
            same_json(&got, &expected),
            "{expression}: got {}, expected {}",
            got.display(),
            expected.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::eval::testing::*;

    #[test]
    fn a_text_parsed_again_is_the_same_tree_and_a_depth_limit_is_kept() {
        let text = "concat(parameters('a'), tolower(variables('b')))";
        let first = parse_by_text(text, 64).expect("parses");
        // Another copy of the same text (another unit's template) gets the
        // tree already made.
        let copy = text.to_string();
        let again = parse_by_text(&copy, 64).expect("parses");
        assert!(Rc::ptr_eq(&first, &again));
        // A lower depth limit is not answered from parses made within a
        // higher one.
        let shallow = parse_by_text(&copy, 2).expect_err("too deep at 2");
        assert!(shallow.too_deep);
        assert!(parse_by_text(text, 64).is_ok());
        // The budget bounds what is kept: texts past it start it afresh,
        // and each still parses.
        for i in 0..(TEXT_PARSES_BYTES / 64 + 10) {
            assert!(parse_by_text(&format!("add({i}, 1)"), 64).is_ok());
        }
        TEXT_PARSES.with(|cell| assert!(cell.borrow().bytes <= TEXT_PARSES_BYTES));
    }

    /// `[{outer}{kept}{rest}]`, read in place, equals the same with `kept`
    /// copied whole first (`createArray(kept)[0]` is never read in place).
    fn reads_as_copied(t: &JsonValue, outer: &str, kept: &str, rest: &str) {
        let read = format!("[{outer}{kept}{rest}]");
        let copied = format!("[{outer}createArray({kept})[0]{rest}]");
        assert_eq!(eval_in(t, &read), eval_in(t, &copied), "{read}");
    }

    /// A member or element of a kept value read in place (no copy of the
    /// whole) gives what evaluating the whole and then picking gives:
    /// `createArray(x)[0]` is never read in place, so it is the reference.
    #[test]
    fn reading_in_place_gives_what_copying_gives() {
        let list = template(
            r#"{"parameters": {
                  "none": {"type": "array", "defaultValue": null},
                  "list": {"type": "array", "defaultValue": [{"name": "a", "tags": {"k": "v"}}, {"name": "b"}]},
                  "map": {"type": "object", "defaultValue": {"x": [1, 2], "Y": "z"}},
                  "unknown": {"type": "array"}},
                "variables": {"pairs": [["p", "q"], ["r"]]}}"#,
        );
        for (kept, path) in [
            ("coalesce(parameters('list'), createArray())", "[1].name"),
            ("coalesce(parameters('list'), createArray())", "[0].tags.k"),
            (
                "coalesce(parameters('list'), createArray())",
                "[0].tags.missing",
            ),
            ("coalesce(parameters('list'), createArray())", "[5].name"),
            ("coalesce(parameters('list'), createArray())", "['name']"),
            ("coalesce(parameters('none'), createArray('d'))", "[0]"),
            (
                "coalesce(parameters('none'), parameters('list'))",
                "[0].name",
            ),
            ("coalesce(parameters('none'))", "[0]"),
            ("coalesce(parameters('unknown'), createArray('d'))", "[0]"),
            ("coalesce(parameters('map'), createObject())", ".x[1]"),
            ("coalesce(parameters('map'), createObject())", "['y']"),
            ("parameters('map')", ".x[0]"),
            ("parameters('list')", "[0]['tags'].k"),
            ("variables('pairs')", "[0][1]"),
            ("variables('pairs')", "[1][1]"),
            ("variables('pairs')", "[copyIndex()][0]"),
            ("items(parameters('map'))", "[0]"),
            ("items(parameters('map'))", "[1].key"),
            ("items(parameters('map'))", "[0].value[1]"),
            ("items(parameters('map'))", "[0].Value"),
            ("items(parameters('map'))", "[1].other"),
            ("items(parameters('map'))", "[2].key"),
            ("items(parameters('map'))", "['key']"),
            (
                "items(coalesce(parameters('none'), parameters('map')))",
                "[1].value",
            ),
            ("items(parameters('list'))", "[0].key"),
            ("items(parameters('unknown'))", "[0].value"),
        ] {
            reads_as_copied(&list, "", kept, path);
        }
        // Functions that only read their first argument.
        for (function, kept, more) in [
            ("length", "coalesce(parameters('list'), createArray())", ""),
            ("length", "parameters('list')[0].name", ""),
            ("length", "parameters('unknown')", ""),
            ("length", "variables('pairs')", ""),
            ("empty", "coalesce(parameters('none'), createArray())", ""),
            ("empty", "parameters('map').x", ""),
            ("tryGet", "parameters('list')", ", 0, 'tags', 'k'"),
            ("tryGet", "parameters('list')", ", 1, 'tags', 'k'"),
            ("tryGet", "parameters('map')", ", 'x', 5"),
            ("tryGet", "parameters('map')", ", 'Y', 'z'"),
            (
                "tryGet",
                "coalesce(parameters('none'), parameters('map'))",
                ", 'x', 0",
            ),
        ] {
            reads_as_copied(&list, &format!("{function}("), kept, &format!("{more})"));
        }
        assert_eq!(
            eval_in(
                &list,
                "[coalesce(parameters('list'), createArray())[1].name]"
            ),
            Value::String("b".into())
        );
        assert_eq!(
            eval_in(&list, "[coalesce(parameters('none'), createArray('d'))[0]]"),
            Value::String("d".into())
        );
    }

    /// `reference()` of a nested deployment read in place gives what
    /// copying its outputs and then picking gives.
    #[test]
    fn reading_a_modules_outputs_in_place_gives_what_copying_gives() {
        let t = template(
            r#"{"resources": {"dns": {"type": "Microsoft.Resources/deployments", "name": "dns",
                "properties": {"expressionEvaluationOptions": {"scope": "inner"},
                  "parameters": {"zone": {"value": "privatelink.blob.core.windows.net"}},
                  "template": {"parameters": {"zone": {"type": "string"}},
                    "outputs": {"zoneName": {"type": "string", "value": "[parameters('zone')]"},
                                "ids": {"type": "array", "value": "[createArray('a', 'b')]"}}}}}}}"#,
        );
        for (kept, path) in [
            ("reference('dns')", ".outputs.zoneName.value"),
            ("reference('dns')", ".outputs.ids.value[1]"),
            ("reference('dns')", ".outputs.missing.value"),
            ("reference('other')", ".outputs.zoneName.value"),
        ] {
            reads_as_copied(&t, "", kept, path);
        }
        assert_eq!(
            eval_in(&t, "[reference('dns').outputs.zoneName.value]"),
            Value::String("privatelink.blob.core.windows.net".into())
        );
    }

    /// A null given for a parameter with a default stands for the default
    /// (how Bicep passes an optional value left out) however the parameter
    /// is read: whole, a member or element in place, or by a function that
    /// reads it in place.
    #[test]
    fn a_given_null_reads_as_the_default_in_place_too() {
        let t = template(
            r#"{"parameters": {
                  "cfg": {"type": "object", "defaultValue": {"name": "d", "list": [1, 2, 3]}}}}"#,
        );
        let mut supplied = HashMap::new();
        supplied.insert("cfg".to_string(), Node::new(Value::Null, None));
        let read = |expression: &str| {
            Scope::new(&t, supplied.clone(), Guard::default()).string_at(expression, t.span, &[])
        };
        assert_eq!(read("[parameters('cfg').name]"), Value::String("d".into()));
        assert_eq!(read("[parameters('cfg')['list'][2]]"), Value::Number(3.0));
        assert_eq!(read("[length(parameters('cfg').list)]"), Value::Number(3.0));
        assert_eq!(read("[empty(parameters('cfg'))]"), Value::Bool(false));
        assert_eq!(
            read("[tryGet(parameters('cfg'), 'name')]"),
            Value::String("d".into())
        );
        assert_eq!(
            read("[coalesce(parameters('cfg'), createObject()).name]"),
            Value::String("d".into())
        );
    }

    /// An element of `x ?? []` is read where `x` is kept: the whole is not
    /// copied through `coalesce()` for it, so a budget that holds the value
    /// once (not three times) still knows the element.
    #[test]
    fn an_element_of_a_coalesced_parameter_is_read_without_copying_the_whole() {
        let items: Vec<String> = (0..100).map(|i| format!("\"item-{i:04}\"")).collect();
        let t = template(&format!(
            r#"{{"parameters": {{"big": {{"type": "array", "defaultValue": [{}]}}}}}}"#,
            items.join(", ")
        ));
        // The default evaluated once: a value per element and the array,
        // and the bytes of the strings.
        let once = crate::limits::VALUE_BYTES * 101 + 100 * 9;
        let limits = crate::limits::Limits {
            max_value_bytes: once + once / 2,
            ..crate::limits::Limits::default()
        };
        let read = |expression: &str| {
            Scope::new(&t, HashMap::new(), Guard::new(limits)).string_at(expression, t.span, &[])
        };
        assert_eq!(
            read("[coalesce(parameters('big'), createArray())[42]]"),
            Value::String("item-0042".into())
        );
        // Copied whole, the same budget does not hold it.
        assert_eq!(
            read("[createArray(coalesce(parameters('big'), createArray()))[0][42]]"),
            Value::Unknown
        );
    }

    #[test]
    fn user_defined_functions_evaluate_with_their_own_parameters() {
        let t = template(
            r#"{"parameters": {"service": {"type": "string", "defaultValue": "outer"}},
                "functions": [{"namespace": "contoso", "members": {
                  "zoneName": {"parameters": [{"name": "service", "type": "string"}],
                    "output": {"type": "string", "value": "[format('privatelink.{0}', parameters('service'))]"}},
                  "postgresZone": {"parameters": [],
                    "output": {"type": "string", "value": "[contoso.zoneName('postgres.database.azure.com')]"}},
                  "leaky": {"parameters": [],
                    "output": {"type": "string", "value": "[variables('x')]"}}}}],
                "variables": {"x": "a variable"}}"#,
        );
        assert_eq!(
            eval_in(&t, "[contoso.zoneName('blob.core.windows.net')]"),
            s("privatelink.blob.core.windows.net")
        );
        // One function calling another; names are case-insensitive.
        assert_eq!(
            eval_in(&t, "[Contoso.PostgresZone()]"),
            s("privatelink.postgres.database.azure.com")
        );
        // A function sees neither the template's variables nor wrong arity.
        assert_eq!(eval_in(&t, "[contoso.leaky()]"), Value::Unknown);
        assert_eq!(eval_in(&t, "[contoso.zoneName()]"), Value::Unknown);
        assert_eq!(eval_in(&t, "[other.zoneName('x')]"), Value::Unknown);
    }

    #[test]
    fn expressions_in_property_names_are_evaluated() {
        let t = template(
            r#"{"variables": {
                "zones": {"[format('privatelink.blob.{0}', environment().suffixes.storage)]": "blob",
                          "[[literal]": "escaped"},
                "unknownKey": {"[parameters('missing')]": 1}},
                "parameters": {"missing": {"type": "string"}}}"#,
        );
        assert_eq!(
            eval_in(&t, "[objectKeys(variables('zones'))[0]]"),
            s("privatelink.blob.core.windows.net")
        );
        assert_eq!(
            eval_in(&t, "[objectKeys(variables('zones'))[1]]"),
            s("[literal]")
        );
        assert_eq!(eval_in(&t, "[variables('unknownKey')]"), Value::Unknown);
    }

    #[test]
    fn parameters_use_defaults_and_are_unknown_without() {
        let t = template(
            r#"{"parameters": {"a": {"type": "string", "defaultValue": "x"},
                "b": {"type": "string"},
                "c": {"type": "string", "defaultValue": "[concat(parameters('a'), '-c')]"}},
               "variables": {"v": "[toUpper(parameters('c'))]", "loop": "[variables('loop')]"}}"#,
        );
        assert_eq!(eval_in(&t, "[parameters('a')]"), s("x"));
        assert_eq!(eval_in(&t, "[parameters('b')]"), Value::Unknown);
        assert_eq!(eval_in(&t, "[variables('v')]"), s("X-C"));
        assert_eq!(eval_in(&t, "[variables('loop')]"), Value::Unknown);
        assert_eq!(
            eval_in(&t, "[concat(parameters('b'), 'x')]"),
            Value::Unknown
        );
    }

    #[test]
    fn variable_copy_loops_evaluate_as_documented() {
        // Microsoft Learn, "Variable iteration in ARM templates".
        let t = template(
            r#"{"parameters": {"itemCount": {"type": "int", "defaultValue": 5}},
                "variables": {"copy": [
                  {"name": "stringArray", "count": "[parameters('itemCount')]",
                   "input": "[concat('item', copyIndex('stringArray', 1))]"},
                  {"name": "objectArray", "count": "[parameters('itemCount')]",
                   "input": {"name": "[concat('myDataDisk', copyIndex('objectArray', 1))]",
                             "diskSizeGB": "1", "diskIndex": "[copyIndex('objectArray')]"}}]}}"#,
        );
        assert!(same_json(
            &eval_in(&t, "[variables('stringArray')]"),
            &eval("[createArray('item1', 'item2', 'item3', 'item4', 'item5')]")
        ));
        assert!(same_json(
            &eval_in(&t, "[variables('objectArray')[4]]"),
            &eval("[createObject('name', 'myDataDisk5', 'diskSizeGB', '1', 'diskIndex', 4)]")
        ));
        assert_eq!(
            eval_in(&t, "[length(variables('objectArray'))]"),
            Value::Number(5.0)
        );
    }

    #[test]
    fn property_copy_loops_expand() {
        let t = template(
            r#"{"x": {"copy": [{"name": "subnets", "count": 2,
                 "input": {"name": "[format('s{0}', copyIndex('subnets'))]"}}]}}"#,
        );
        let scope = Scope::new(&t, HashMap::new(), Guard::default());
        let x = t.get("x").expect("x");
        let node = scope.node(x, x.span, &[]);
        let names: Vec<String> = match node.get("subnets").map(|n| &n.value) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.get("name").and_then(|n| n.as_str()).map(String::from))
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names, ["s0", "s1"]);
    }
}
