//! Evaluating template values and expressions into the neutral model's
//! values. Whatever the template alone does not determine — a parameter
//! without a default, `reference()`, `utcNow()`, a function not implemented
//! here — is `Unknown`, and unknown spreads: nothing is ever guessed.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::arm::expr::{self, Expr, Template};
use crate::json::{J, JKind};
use crate::limits::{Guard, VALUE_BYTES};
use crate::model::{ArmId, Node, Object, Part, Value};
use crate::source::Span;

/// `range()` and friends never build more than this many elements.
const MAX_ELEMENTS: usize = 10_000;
/// Variables and parameters referring to each other never recurse deeper.
const MAX_DEPTH: usize = 64;

/// One active copy loop: its name, whether it is a resource loop (what a bare
/// `copyIndex()` means), and the index when known.
#[derive(Clone, Debug)]
pub struct Copy {
    pub name: String,
    pub resource: bool,
    pub index: Option<i64>,
}

/// Where values came from: an expression's span → the parameter values and
/// variables it read (their spans, and a label saying which), transitively.
pub type Provenance = HashMap<Span, Vec<(Span, String)>>;

/// At most this many sources are kept per expression.
const MAX_SOURCES: usize = 4;

/// The parameters and variables visible to expressions in one template (a
/// nested deployment with inner scope has its own).
pub struct Scope<'t> {
    parameters: HashMap<String, &'t J>,
    /// Values given from outside: by a parameter file, or by the enclosing
    /// deployment's `parameters` (spans in that file or template).
    supplied: HashMap<String, Node>,
    /// Shared with the scopes of nested deployments.
    provenance: Rc<RefCell<Provenance>>,
    variables: HashMap<String, &'t J>,
    /// Variables defined by `"copy": [{ "name", "count", "input" }]` in the
    /// variables section: name → that loop.
    variable_copies: HashMap<String, &'t J>,
    cache: RefCell<HashMap<String, Value>>,
    busy: RefCell<HashSet<String>>,
    /// `lambdaVariables('x')` bindings of the lambdas being applied, innermost last.
    lambdas: RefCell<Vec<(String, Value)>>,
    /// This template's nested deployments with an inline template and inner
    /// scope (Bicep modules), with their symbolic names in languageVersion 2.0:
    /// what `reference(<deployment>).outputs` reads.
    deployments: Vec<(Option<String>, &'t J)>,
    /// The other resources declared at the top of this template, for
    /// `reference()` of what the template itself sets.
    declared: Vec<(Option<String>, &'t J)>,
    /// How many `reference()`s into nested deployments led here.
    reference_depth: usize,
    /// User-defined functions (`functions[].members`), by lower-cased
    /// `namespace.name`: Bicep's `func` declarations compile to them.
    functions: Rc<HashMap<String, &'t J>>,
    /// How many user-defined function calls are being evaluated.
    function_depth: usize,
    /// The key prefix of this template's resources in the unit (empty at
    /// the root; `resources.db.properties.template.` in a nested deployment):
    /// what `plinthResourceId()` ties an id to.
    pub key_prefix: String,
    guard: Guard,
    /// The template string being evaluated: where a work budget hit points.
    at: Cell<Span>,
}

impl<'t> Scope<'t> {
    /// `supplied` are parameter values given by an enclosing deployment.
    pub fn new(template: &'t J, supplied: HashMap<String, Node>, guard: Guard) -> Scope<'t> {
        let by_name = |section: &str| {
            template
                .get(section)
                .map(|s| {
                    s.members()
                        .iter()
                        .map(|m| (m.key.to_ascii_lowercase(), &m.value))
                        .collect()
                })
                .unwrap_or_default()
        };
        Scope {
            parameters: by_name("parameters"),
            supplied: supplied
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            variables: by_name("variables"),
            variable_copies: template
                .get("variables")
                .and_then(|v| v.get("copy"))
                .map(J::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|spec| {
                    let name = spec.get("name").and_then(J::as_str)?;
                    Some((name.to_ascii_lowercase(), spec))
                })
                .collect(),
            provenance: Rc::default(),
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
            lambdas: RefCell::new(Vec::new()),
            deployments: nested_deployments(template),
            declared: top_level_resources(template)
                .into_iter()
                .filter(|(_, r)| {
                    r.get("type")
                        .and_then(J::as_str)
                        .is_some_and(|t| !t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
                })
                .collect(),
            reference_depth: 0,
            functions: Rc::new(user_functions(template)),
            function_depth: 0,
            key_prefix: String::new(),
            guard,
            at: Cell::new(template.span),
        }
    }

    /// Calls the user-defined function `definition` (a `members` entry):
    /// its body sees only its own parameters, bound to `args`, and the other
    /// user functions; an argument count that does not match is unknown.
    fn user_function(&self, definition: &'t J, args: Vec<Value>) -> Value {
        if self.function_depth >= MAX_DEPTH {
            return Value::Unknown;
        }
        let declared = definition
            .get("parameters")
            .map(J::items)
            .unwrap_or_default();
        if declared.len() != args.len() {
            return Value::Unknown;
        }
        let mut supplied = HashMap::new();
        for (p, value) in declared.iter().zip(args) {
            let Some(name) = p.get("name").and_then(J::as_str) else {
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
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
            lambdas: RefCell::new(Vec::new()),
            deployments: Vec::new(),
            declared: Vec::new(),
            reference_depth: self.reference_depth,
            functions: Rc::clone(&self.functions),
            function_depth: self.function_depth + 1,
            key_prefix: self.key_prefix.clone(),
            guard: self.guard.clone(),
            at: Cell::new(body.span),
        };
        self.shallow(scope.node(body, body.span, &[]).value)
    }

    /// The scope of a nested deployment's `template`, fed `supplied` by this
    /// one; it shares the limits and the provenance record.
    pub fn nested(&self, template: &'t J, supplied: HashMap<String, Node>) -> Scope<'t> {
        let mut inner = Scope::new(template, supplied, self.guard.clone());
        inner.provenance = Rc::clone(&self.provenance);
        inner
    }

    /// Where the values of this scope's expressions (and its nested
    /// deployments') came from.
    pub fn take_provenance(&self) -> Provenance {
        std::mem::take(&mut *self.provenance.borrow_mut())
    }

    /// Records which parameters and variables the expression at `span` read.
    fn note_sources(&self, span: Span, e: &Expr) {
        let mut sources: Vec<(Span, String)> = Vec::new();
        let add = |sources: &mut Vec<(Span, String)>, at: Span, label: String| {
            if at != span && sources.len() < MAX_SOURCES && !sources.iter().any(|(s, _)| *s == at) {
                sources.push((at, label));
            }
        };
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Call(f, args) if f == "parameters" || f == "variables" => {
                    if let [Expr::String(name)] = args.as_slice() {
                        let lower = name.to_ascii_lowercase();
                        let source = if f == "variables" {
                            self.variables
                                .get(&lower)
                                .or_else(|| self.variable_copies.get(&lower))
                                .map(|v| (v.span, format!("variable `{name}` is defined here")))
                        } else if let Some(node) = self.supplied.get(&lower) {
                            node.span
                                .map(|s| (s, format!("parameter `{name}` is given this value")))
                        } else {
                            self.parameters
                                .get(&lower)
                                .and_then(|p| p.get("defaultValue"))
                                .map(|d| {
                                    (d.span, format!("parameter `{name}` defaults to this value"))
                                })
                        };
                        if let Some((at, label)) = source {
                            add(&mut sources, at, label);
                            // And where that value came from in turn.
                            let further = self.provenance.borrow().get(&at).cloned();
                            for (s, l) in further.unwrap_or_default() {
                                add(&mut sources, s, l);
                            }
                        }
                    }
                    stack.extend(args);
                }
                Expr::Call(_, args) => stack.extend(args),
                Expr::Member(target, _) => stack.push(target),
                Expr::Index(target, index) => {
                    stack.push(target);
                    stack.push(index);
                }
                Expr::String(_) | Expr::Int(_) => {}
            }
        }
        if !sources.is_empty() {
            self.provenance.borrow_mut().insert(span, sources);
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
    fn memo(&self, key: String, compute: impl FnOnce() -> Value) -> Value {
        if let Some(v) = self.cache.borrow().get(&key) {
            return v.clone();
        }
        if self.busy.borrow().len() > MAX_DEPTH || !self.busy.borrow_mut().insert(key.clone()) {
            return Value::Unknown;
        }
        let value = self.shallow(compute());
        self.busy.borrow_mut().remove(&key);
        self.cache.borrow_mut().insert(key, value.clone());
        value
    }

    fn parameter(&self, name: &str) -> Value {
        let name = name.to_ascii_lowercase();
        if let Some(v) = self.supplied.get(&name) {
            return v.value.clone();
        }
        let Some(definition) = self.parameters.get(&name).copied() else {
            return Value::Unknown;
        };
        self.memo(format!("p:{name}"), || {
            match definition.get("defaultValue") {
                Some(default) => self.node(default, default.span, &[]).value,
                None => Value::Unknown,
            }
        })
    }

    fn variable(&self, name: &str) -> Value {
        let name = name.to_ascii_lowercase();
        if let Some(spec) = self.variable_copies.get(&name).copied() {
            // A variable copy loop: the array of its evaluated inputs.
            return self.memo(format!("v:{name}"), || {
                let mut object = Object::new();
                self.property_copy(spec, &mut object, &[]);
                object
                    .get(&name)
                    .map_or(Value::Unknown, |n| n.value.clone())
            });
        }
        let Some(definition) = self.variables.get(&name).copied() else {
            return Value::Unknown;
        };
        self.memo(format!("v:{name}"), || {
            self.node(definition, definition.span, &[]).value
        })
    }

    /// A template value with its span; `span` is the member's span when the
    /// value is an object member. Property `copy` loops are expanded.
    pub fn node(&self, j: &J, span: Span, copies: &[Copy]) -> Node {
        // Every value built counts against the unit's budget; strings are
        // counted by `string_at`.
        if !matches!(j.kind, JKind::String(_)) && !self.guard.spend_values(VALUE_BYTES, span) {
            return Node::new(Value::Unknown, Some(span));
        }
        let value = match &j.kind {
            JKind::Null => Value::Null,
            JKind::Bool(b) => Value::Bool(*b),
            JKind::Number(n) => Value::Number(*n),
            JKind::String(s) => self.string_at(s, span, copies),
            JKind::Array(items) => {
                Value::Array(items.iter().map(|i| self.node(i, i.span, copies)).collect())
            }
            JKind::Object(members) => {
                let mut object = Object::new();
                let mut keys_known = true;
                for m in members {
                    if m.key.eq_ignore_ascii_case("copy") && matches!(m.value.kind, JKind::Array(_))
                    {
                        for spec in m.value.items() {
                            self.property_copy(spec, &mut object, copies);
                        }
                        continue;
                    }
                    // ARM evaluates expressions in property names too
                    // (`"[format('privatelink.blob.{0}', …)]": "blob"`).
                    let key = match expr::classify(&m.key) {
                        Template::Literal(k) => k.to_string(),
                        Template::Expression(_) => match self.string_at(&m.key, m.span, copies) {
                            Value::String(k) => k,
                            _ => {
                                keys_known = false;
                                continue;
                            }
                        },
                    };
                    object.insert(key, self.node(&m.value, m.span, copies));
                }
                // An object with a name not known is not known as a whole:
                // its keys cannot be listed, nor a member looked up.
                if keys_known {
                    Value::Object(object)
                } else {
                    Value::Unknown
                }
            }
        };
        Node::new(value, Some(span))
    }

    /// `"copy": [{ "name": "subnets", "count": 3, "input": {…} }]` inside properties.
    fn property_copy(&self, spec: &J, object: &mut Object, copies: &[Copy]) {
        let Some(name) = spec.get("name").and_then(J::as_str) else {
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
        object.insert(name.to_string(), Node::new(value, Some(spec.span)));
    }

    /// A JSON string at `span`: a literal, or an expression to evaluate.
    /// An expression nested past `max_expression_depth` is unknown, and noted.
    pub fn string_at(&self, text: &str, span: Span, copies: &[Copy]) -> Value {
        match expr::classify(text) {
            Template::Literal(s) => {
                if self.guard.spend_values(VALUE_BYTES + s.len() as u64, span) {
                    Value::String(s.to_string())
                } else {
                    Value::Unknown
                }
            }
            Template::Expression(e) => {
                let max = self.guard.limits.max_expression_depth;
                match expr::parse_within(e, max) {
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
                    Err(expr::Unparsed::TooDeep) => {
                        self.guard.hit(
                            span,
                            "max_expression_depth",
                            max as u64,
                            format!("expression nested deeper than {max}: its value is not known"),
                        );
                        Value::Unknown
                    }
                    Err(expr::Unparsed::Invalid) => Value::Unknown,
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
    fn shallow(&self, value: Value) -> Value {
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
            Expr::Call(name, args) => self.call(name, args, copies),
        }
    }

    /// `target[index]` without building `target` when it is a `range()` or
    /// a variable or parameter (read where it is kept): a loop's
    /// `range(0, n)[copyIndex()]` or `variables('list')[copyIndex()]` would
    /// otherwise copy the whole array for each instance, quadratic work
    /// that the budget would count.
    fn element_in_place(&self, target: &Expr, index: &Value, copies: &[Copy]) -> Option<Value> {
        let pick = |v: &Value| match (v, index) {
            (Value::Array(items), Value::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => items
                .get(*n as usize)
                .map_or(Value::Unknown, |node| node.value.clone()),
            (_, Value::String(key)) => member(v, key),
            _ => Value::Unknown,
        };
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
        self.read_in_place(target, copies, pick)
    }

    /// `pick` applied to the value of `target` where it is kept, when
    /// `target` is `variables('x')` or `parameters('x')`: no copy of the
    /// whole value.
    fn read_in_place(
        &self,
        target: &Expr,
        copies: &[Copy],
        pick: impl FnOnce(&Value) -> Value,
    ) -> Option<Value> {
        let Expr::Call(f, args) = target else {
            return None;
        };
        let [arg] = args.as_slice() else {
            return None;
        };
        let is_parameter = match f.as_str() {
            "parameters" => true,
            "variables" => false,
            _ => return None,
        };
        let Value::String(name) = self.eval(arg, copies) else {
            return None;
        };
        let lower = name.to_ascii_lowercase();
        if is_parameter && let Some(node) = self.supplied.get(&lower) {
            return Some(pick(&node.value));
        }
        let key = format!("{}:{lower}", if is_parameter { "p" } else { "v" });
        if !self.cache.borrow().contains_key(&key) {
            // Evaluated once and kept; read in place from then on.
            let _ = if is_parameter {
                self.parameter(&name)
            } else {
                self.variable(&name)
            };
        }
        self.cache.borrow().get(&key).map(pick)
    }

    fn call(&self, name: &str, args: &[Expr], copies: &[Copy]) -> Value {
        // Lazily evaluated: only the branch taken may be evaluated.
        match name {
            "if" => {
                return match args {
                    [c, a, b] => match self.eval(c, copies) {
                        Value::Bool(true) => self.eval(a, copies),
                        Value::Bool(false) => self.eval(b, copies),
                        _ => {
                            let (a, b) = (self.eval(a, copies), self.eval(b, copies));
                            if a == b && !a.contains_unknown() {
                                a
                            } else {
                                Value::Unknown
                            }
                        }
                    },
                    _ => Value::Unknown,
                };
            }
            "parameters" | "variables" => {
                return match args.first().map(|a| self.eval(a, copies)) {
                    Some(Value::String(n)) if name == "parameters" => self.parameter(&n),
                    Some(Value::String(n)) => self.variable(&n),
                    _ => Value::Unknown,
                };
            }
            "copyindex" => {
                return copy_index(args.iter().map(|a| self.eval(a, copies)).collect(), copies);
            }
            "lambdavariables" => {
                let name = args.first().map(|a| self.eval(a, copies));
                let bindings = self.lambdas.borrow();
                return match name {
                    Some(Value::String(n)) => bindings
                        .iter()
                        .rev()
                        .find(|(b, _)| b.eq_ignore_ascii_case(&n))
                        .map_or(Value::Unknown, |(_, v)| v.clone()),
                    _ => Value::Unknown,
                };
            }
            // A Bicep loop over `range(start, count)` becomes a copy of
            // `length(range(…))`: its count is known without building the
            // range, so a count past `max_copies` is a located hit rather
            // than a range too large to build, silently unknown.
            "length" => {
                if let [Expr::Call(inner, range_args)] = args
                    && inner == "range"
                    && let [_, count] = range_args.as_slice()
                    && let Value::Number(n) = self.eval(count, copies)
                    && n >= 0.0
                    && n.fract() == 0.0
                {
                    return Value::Number(n);
                }
            }
            "filter" | "map" | "sort" | "reduce" | "toobject" | "mapvalues" | "groupby" => {
                return self.higher_order(name, args, copies);
            }
            // A nested deployment's outputs; any other reference is unknown.
            // `plinthResourceId(key, id)`: the Bicep front-end's `r.id`, the
            // id tied to the declaration with that key here, so that the
            // reference links to it even when its name is unknown.
            "plinthresourceid" => {
                let [key, id] = args else {
                    return Value::Unknown;
                };
                return match (self.eval(key, copies), self.eval(id, copies)) {
                    (Value::String(key), Value::Id(mut id)) => {
                        id.local = Some(format!("{}{key}", self.key_prefix));
                        Value::Id(id)
                    }
                    (_, id) => id,
                };
            }
            "reference" => {
                let Some(arg) = args.first() else {
                    return Value::Unknown;
                };
                if let Some(deployment) = self.deployment_named(arg) {
                    return self.deployment_outputs(deployment, None);
                }
                let full = matches!(
                    args.get(2).map(|a| self.eval(a, copies)),
                    Some(Value::String(f)) if f.eq_ignore_ascii_case("full")
                );
                if let Some(resource) = self.declared_resource(arg, copies) {
                    return self.declared_state(resource, full);
                }
                // One instance of a deployment copy loop (a Bicep module loop):
                // `format('name[{0}]', i)` in languageVersion 2.0, or the id of
                // the instance's evaluated name.
                return match self.eval(arg, copies) {
                    Value::String(indexed) => self.copied_deployment(&indexed),
                    Value::Id(id) => self.copied_deployment_with_id(&id),
                    _ => Value::Unknown,
                };
            }
            _ => {}
        }
        let values: Vec<Value> = args.iter().map(|a| self.eval(a, copies)).collect();
        if name.contains('.') {
            return match self.functions.get(name) {
                Some(definition) => self.user_function(definition, values),
                None => Value::Unknown,
            };
        }
        function(name, values)
    }
}

impl Scope<'_> {
    /// Applies `lambda('a', 'b', body)` to `values` (one per parameter; extra
    /// values, such as an index the lambda does not name, are ignored).
    fn apply(&self, lambda: &Expr, values: &[Value], copies: &[Copy]) -> Value {
        let Expr::Call(name, parts) = lambda else {
            return Value::Unknown;
        };
        let Some((body, params)) = parts.split_last() else {
            return Value::Unknown;
        };
        if name != "lambda" || params.len() > values.len() {
            return Value::Unknown;
        }
        let mut names = Vec::with_capacity(params.len());
        for p in params {
            match p {
                Expr::String(n) => names.push(n.clone()),
                _ => return Value::Unknown,
            }
        }
        let depth = names.len();
        {
            let mut bindings = self.lambdas.borrow_mut();
            if bindings.len() > MAX_DEPTH {
                return Value::Unknown;
            }
            bindings.extend(names.into_iter().zip(values.iter().cloned()));
        }
        let result = self.shallow(self.eval(body, copies));
        let mut bindings = self.lambdas.borrow_mut();
        let keep = bindings.len().saturating_sub(depth);
        bindings.truncate(keep);
        result
    }

    /// `filter`, `map`, `sort`, `reduce`, `toObject`, `mapValues`, `groupBy`:
    /// known only when the collection and every application are.
    fn higher_order(&self, name: &str, args: &[Expr], copies: &[Copy]) -> Value {
        use Value as V;
        let Some(collection) = args.first().map(|a| self.eval(a, copies)) else {
            return V::Unknown;
        };
        let items: Vec<Node> = match (&collection, name) {
            (V::Object(o), "mapvalues") => {
                let Some(lambda) = args.get(1) else {
                    return V::Unknown;
                };
                let mut out = Object::new();
                for (k, v) in o.iter() {
                    let mapped = self.apply(lambda, std::slice::from_ref(&v.value), copies);
                    if mapped.contains_unknown() {
                        return V::Unknown;
                    }
                    out.insert(k, node(mapped));
                }
                return V::Object(out);
            }
            (V::Array(items), _) if items.len() <= MAX_ELEMENTS => items.clone(),
            _ => return V::Unknown,
        };
        let index = |i: usize| V::Number(i as f64);
        match (name, args) {
            ("filter", [_, lambda]) => {
                let mut out = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    match self.apply(lambda, &[item.value.clone(), index(i)], copies) {
                        V::Bool(true) => out.push(item),
                        V::Bool(false) => {}
                        _ => return V::Unknown,
                    }
                }
                V::Array(out)
            }
            ("map", [_, lambda]) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    out.push(node(self.apply(lambda, &[item.value, index(i)], copies)));
                }
                V::Array(out)
            }
            ("reduce", [_, initial, lambda]) => {
                let mut acc = self.eval(initial, copies);
                for (i, item) in items.into_iter().enumerate() {
                    acc = self.apply(lambda, &[acc, item.value, index(i)], copies);
                    if matches!(acc, V::Unknown) {
                        return V::Unknown;
                    }
                }
                acc
            }
            ("sort", [_, lambda]) => {
                // An insertion sort with the lambda as "a comes before b";
                // any unknown comparison makes the order unknown.
                let mut out: Vec<Node> = Vec::with_capacity(items.len());
                for item in items {
                    let mut at = out.len();
                    for (j, placed) in out.iter().enumerate() {
                        match self.apply(
                            lambda,
                            &[item.value.clone(), placed.value.clone()],
                            copies,
                        ) {
                            V::Bool(true) => {
                                at = j;
                                break;
                            }
                            V::Bool(false) => {}
                            _ => return V::Unknown,
                        }
                    }
                    out.insert(at, item);
                }
                V::Array(out)
            }
            ("toobject", [_, key, rest @ ..]) if rest.len() <= 1 => {
                let mut out = Object::new();
                for item in items {
                    let V::String(k) = self.apply(key, std::slice::from_ref(&item.value), copies)
                    else {
                        return V::Unknown;
                    };
                    let value = match rest.first() {
                        Some(lambda) => node(self.apply(lambda, &[item.value], copies)),
                        None => item,
                    };
                    out.insert(k, value);
                }
                V::Object(out)
            }
            ("groupby", [_, key]) => {
                let mut groups: Vec<(String, Vec<Node>)> = Vec::new();
                for item in items {
                    let V::String(k) = self.apply(key, std::slice::from_ref(&item.value), copies)
                    else {
                        return V::Unknown;
                    };
                    match groups.iter_mut().find(|(g, _)| *g == k) {
                        Some((_, members)) => members.push(item),
                        None => groups.push((k, vec![item])),
                    }
                }
                let mut out = Object::new();
                for (k, members) in groups {
                    out.insert(k, node(V::Array(members)));
                }
                V::Object(out)
            }
            _ => V::Unknown,
        }
    }
}

impl Scope<'_> {
    /// The resource ids named anywhere in `j`'s expressions (`resourceId()`
    /// and friends, also inside `reference()`): which resources a web app's
    /// settings read from (PE007's clients). Only ids that evaluate fully.
    pub fn referenced_ids(&self, j: &J, copies: &[Copy]) -> Vec<ArmId> {
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
                            out.push(id);
                        }
                        return;
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
                JKind::String(text) => {
                    if let Template::Expression(inner) = expr::classify(text)
                        && let Some(e) = expr::parse(inner)
                    {
                        walk_expr(self, &e, copies, &mut out);
                    }
                }
                JKind::Array(items) => stack.extend(items.iter()),
                JKind::Object(members) => stack.extend(members.iter().map(|m| &m.value)),
                _ => {}
            }
        }
        out
    }
}

/// The resources declared at the top of `template`, with their symbolic
/// names in languageVersion 2.0.
fn top_level_resources(template: &J) -> Vec<(Option<String>, &J)> {
    let Some(resources) = template.get("resources") else {
        return Vec::new();
    };
    match &resources.kind {
        JKind::Array(items) => items.iter().map(|r| (None, r)).collect(),
        // languageVersion 2.0: resources keyed by symbolic name.
        JKind::Object(members) => members
            .iter()
            .map(|m| (Some(m.key.clone()), &m.value))
            .collect(),
        _ => Vec::new(),
    }
}

/// The nested deployments of `template` whose outputs can be evaluated: an
/// inline template and inner expression scope (copy loops included: their
/// instances are referred to by index or by evaluated name).
fn nested_deployments(template: &J) -> Vec<(Option<String>, &J)> {
    top_level_resources(template)
        .into_iter()
        .filter(|(_, r)| {
            r.get("type")
                .and_then(J::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
                && r.get("properties")
                    .and_then(|p| p.get("template"))
                    .is_some_and(|t| matches!(t.kind, JKind::Object(_)))
                && r.get("properties")
                    .and_then(|p| p.get("expressionEvaluationOptions"))
                    .and_then(|o| o.get("scope"))
                    .and_then(J::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("inner"))
        })
        .collect()
}

impl<'t> Scope<'t> {
    /// The nested deployment `reference(arg)` names: a symbolic name
    /// (languageVersion 2.0), or `resourceId('Microsoft.Resources/deployments',
    /// NAME)` where NAME is written exactly as the deployment's own name (the
    /// same literal or the same expression, as Bicep compiles a module
    /// reference): no evaluation, so an unknown name still matches itself.
    fn deployment_named(&self, arg: &Expr) -> Option<&'t J> {
        let found = match arg {
            Expr::String(symbolic) => self
                .deployments
                .iter()
                .find(|(s, _)| {
                    s.as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case(symbolic))
                })
                .map(|(_, r)| *r),
            Expr::Call(f, call_args) if f == "resourceid" => match call_args.as_slice() {
                [Expr::String(t), name]
                    if t.eq_ignore_ascii_case("Microsoft.Resources/deployments") =>
                {
                    self.deployments.iter().map(|(_, r)| *r).find(|r| {
                        match r.get("name").and_then(J::as_str).map(expr::classify) {
                            Some(Template::Literal(l)) => {
                                matches!(name, Expr::String(n) if n.eq_ignore_ascii_case(l))
                            }
                            Some(Template::Expression(e)) => {
                                expr::parse(e).is_some_and(|parsed| parsed == *name)
                            }
                            None => false,
                        }
                    })
                }
                _ => None,
            },
            _ => None,
        };
        // A copy loop's instances are named with an index: see copied_deployment.
        found.filter(|d| d.get("copy").is_none())
    }

    /// The parameter values a nested deployment's `properties.parameters`
    /// give its template, evaluated in this (the calling) scope.
    pub fn supplied_parameters(&self, properties: &J, copies: &[Copy]) -> HashMap<String, Node> {
        properties
            .get("parameters")
            .map(J::members)
            .unwrap_or_default()
            .iter()
            .map(|m| {
                let value = m
                    .value
                    .get("value")
                    .map_or(Node::new(Value::Unknown, None), |v| {
                        self.node(v, v.span, copies)
                    });
                (m.key.clone(), value)
            })
            .collect()
    }

    /// The resource declared here that `reference(arg)` names: by symbolic
    /// name (languageVersion 2.0), or by an id whose type and name are known
    /// and match one declaration's. Copy loops and `existing` resources are
    /// left out: what Azure holds for them is not in the template.
    fn declared_resource(&self, arg: &Expr, copies: &[Copy]) -> Option<&'t J> {
        let plain = |r: &&'t J| {
            r.get("copy").is_none()
                && !matches!(r.get("existing").map(|e| &e.kind), Some(JKind::Bool(true)))
        };
        if let Expr::String(symbolic) = arg
            && let Some((_, r)) = self.declared.iter().find(|(s, _)| {
                s.as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(symbolic))
            })
        {
            return Some(*r).filter(plain);
        }
        // By id, or (classic templates) by the bare name of a resource here.
        let (rtype, wanted) = match self.eval(arg, copies) {
            Value::Id(id) => {
                let names: Option<Vec<&str>> = id.names.iter().map(Part::known).collect();
                (Some(id.rtype.clone()), names?.join("/"))
            }
            Value::String(name) if !name.starts_with('/') => (None, name),
            _ => return None,
        };
        let mut found = self.declared.iter().map(|(_, r)| *r).filter(|r| {
            let type_matches = rtype.as_ref().is_none_or(|wanted_type| {
                r.get("type")
                    .and_then(J::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(wanted_type))
            });
            type_matches
                && matches!(
                    r.get("name").map(|n| self.declared_name(n)),
                    Some(Value::String(n)) if n.eq_ignore_ascii_case(&wanted)
                )
        });
        let first = found.next()?;
        // Two declarations of one id: which one Azure keeps is not guessed.
        match found.next() {
            Some(_) => None,
            None => Some(first).filter(plain),
        }
    }

    /// A declaration's evaluated name, once, and unknown when evaluating it
    /// leads back to itself (a name that reads a `reference()`).
    fn declared_name(&self, name: &J) -> Value {
        self.memo(format!("name:{}", name.span.start), || {
            self.node(name, name.span, &[]).value
        })
    }

    /// What `reference()` returns for a resource declared here: its
    /// `properties` as the template sets them (or, with `'Full'`, the whole
    /// declaration). What Azure fills in at deployment is absent, so unknown.
    /// A resource that may not be deployed is unknown altogether.
    fn declared_state(&self, resource: &'t J, full: bool) -> Value {
        let deployed = match resource.get("condition") {
            None => true,
            Some(c) => self.node(c, c.span, &[]).value == Value::Bool(true),
        };
        if !deployed {
            return Value::Unknown;
        }
        let key = format!("declared:{}:{full}", resource.span.start);
        self.memo(key, || {
            if full {
                self.node(resource, resource.span, &[]).value
            } else {
                resource
                    .get("properties")
                    .map_or(Value::Unknown, |p| self.node(p, p.span, &[]).value)
            }
        })
    }

    /// `reference('NAME[i]')`: instance `i` of the copied deployment with
    /// symbolic name NAME.
    fn copied_deployment(&self, indexed: &str) -> Value {
        let Some((name, index)) = indexed
            .strip_suffix(']')
            .and_then(|s| s.split_once('['))
            .and_then(|(n, i)| Some((n, i.parse::<i64>().ok()?)))
        else {
            return Value::Unknown;
        };
        let found = self.deployments.iter().find(|(symbolic, r)| {
            r.get("copy").is_some()
                && symbolic
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(name))
        });
        match found {
            Some((_, deployment)) => self.instance_outputs(deployment, index),
            None => Value::Unknown,
        }
    }

    /// `reference(resourceId('Microsoft.Resources/deployments', NAME))` where
    /// NAME is the evaluated name of one instance of a copied deployment.
    fn copied_deployment_with_id(&self, id: &ArmId) -> Value {
        if !id
            .rtype
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            return Value::Unknown;
        }
        let Some(Part::Known(wanted)) = id.names.first() else {
            return Value::Unknown;
        };
        for (_, deployment) in self
            .deployments
            .iter()
            .filter(|(_, r)| r.get("copy").is_some())
        {
            let Some(copy) = deployment.get("copy") else {
                continue;
            };
            let Value::Number(count) = copy
                .get("count")
                .map_or(Value::Unknown, |c| self.node(c, c.span, &[]).value)
            else {
                continue;
            };
            if count.fract() != 0.0 || count < 0.0 || count > self.guard.limits.max_copies as f64 {
                continue;
            }
            for index in 0..count as i64 {
                let copies = instance_copies(deployment, index);
                let name = deployment.get("name").map_or(Value::Unknown, |n| {
                    // Memoised and cycle-guarded: a name may itself read
                    // a reference().
                    self.memo(format!("name:{}:{index}", n.span.start), || {
                        self.node(n, n.span, &copies).value
                    })
                });
                if matches!(&name, Value::String(n) if n.eq_ignore_ascii_case(wanted)) {
                    return self.instance_outputs(deployment, index);
                }
            }
        }
        Value::Unknown
    }

    /// The outputs of instance `index` of a copied deployment.
    fn instance_outputs(&self, deployment: &'t J, index: i64) -> Value {
        let count = deployment
            .get("copy")
            .and_then(|c| c.get("count"))
            .map_or(Value::Unknown, |c| self.node(c, c.span, &[]).value);
        match count {
            Value::Number(n) if index >= 0 && (index as f64) < n => {
                self.deployment_outputs(deployment, Some(index))
            }
            _ => Value::Unknown,
        }
    }

    /// `{ outputs: { NAME: { value } } }` of a nested deployment (instance
    /// `index` of its copy loop, if it has one), its template evaluated with
    /// the parameters this scope gives it.
    fn deployment_outputs(&self, deployment: &'t J, index: Option<i64>) -> Value {
        if self.reference_depth >= self.guard.limits.max_deployment_depth {
            return Value::Unknown;
        }
        let key = format!("reference:{}:{index:?}", deployment.span.start);
        self.memo(key, || {
            let Some(properties) = deployment.get("properties") else {
                return Value::Unknown;
            };
            let Some(template) = properties.get("template") else {
                return Value::Unknown;
            };
            let copies = index.map_or_else(Vec::new, |i| instance_copies(deployment, i));
            let supplied = self.supplied_parameters(properties, &copies);
            let mut inner = self.nested(template, supplied);
            inner.reference_depth = self.reference_depth + 1;
            // The keys the deployment's resources have in the unit, so that
            // an output id ties to the module's declaration, not to one of
            // the same symbolic name here. Without a symbolic name the keys
            // are not known: ids then link by name only.
            let symbolic = self
                .deployments
                .iter()
                .find(|(_, d)| std::ptr::eq(*d, deployment))
                .and_then(|(s, _)| s.as_deref());
            inner.key_prefix = match symbolic {
                Some(s) => format!(
                    "{}resources.{s}{}.properties.template.",
                    self.key_prefix,
                    index.map(|i| format!("[{i}]")).unwrap_or_default()
                ),
                None => "\u{0}".to_string(),
            };
            let mut outputs = Object::new();
            for m in template.get("outputs").map(J::members).unwrap_or_default() {
                let value = m
                    .value
                    .get("value")
                    .map_or(Value::Unknown, |v| inner.node(v, v.span, &[]).value);
                let mut output = Object::new();
                output.insert("value", node(value));
                outputs.insert(m.key.clone(), node(Value::Object(output)));
            }
            let mut result = Object::new();
            result.insert("outputs", node(Value::Object(outputs)));
            Value::Object(result)
        })
    }
}

/// `"functions": [{ "namespace": "ns", "members": { "name": {…} } }]`.
fn user_functions(template: &J) -> HashMap<String, &J> {
    let mut out = HashMap::new();
    for group in template.get("functions").map(J::items).unwrap_or_default() {
        let Some(namespace) = group.get("namespace").and_then(J::as_str) else {
            continue;
        };
        for m in group.get("members").map(J::members).unwrap_or_default() {
            out.insert(
                format!("{namespace}.{}", m.key).to_ascii_lowercase(),
                &m.value,
            );
        }
    }
    out
}

/// The copy context of instance `index` of a resource copy loop.
fn instance_copies(resource: &J, index: i64) -> Vec<Copy> {
    let name = resource
        .get("copy")
        .and_then(|c| c.get("name"))
        .and_then(J::as_str)
        .unwrap_or("");
    vec![Copy {
        name: name.to_string(),
        resource: true,
        index: Some(index),
    }]
}

fn copy_index(args: Vec<Value>, copies: &[Copy]) -> Value {
    let (loop_name, offset) = match args.as_slice() {
        [] => (None, 0.0),
        [Value::Number(o)] => (None, *o),
        [Value::String(n)] => (Some(n.clone()), 0.0),
        [Value::String(n), Value::Number(o)] => (Some(n.clone()), *o),
        _ => return Value::Unknown,
    };
    let current = match loop_name {
        Some(n) => copies
            .iter()
            .rev()
            .find(|c| c.name.eq_ignore_ascii_case(&n)),
        None => copies.iter().rev().find(|c| c.resource),
    };
    match current.and_then(|c| c.index) {
        Some(i) => Value::Number(i as f64 + offset),
        None => Value::Unknown,
    }
}

fn member(target: &Value, name: &str) -> Value {
    match target {
        Value::Object(o) => o.get(name).map_or(Value::Unknown, |n| n.value.clone()),
        _ => Value::Unknown,
    }
}

/// `environment()` in the public cloud (Microsoft Learn, "Deployment
/// functions for ARM templates"). Only what templates use to build host and
/// zone names is given; the rest is unknown.
fn public_cloud() -> Value {
    let strings = |pairs: &[(&str, &str)]| {
        let mut o = Object::new();
        for (k, v) in pairs {
            o.insert(*k, node(Value::String((*v).to_string())));
        }
        o
    };
    let mut env = strings(&[
        ("name", "AzureCloud"),
        ("portal", "https://portal.azure.com"),
        ("resourceManager", "https://management.azure.com/"),
        ("gallery", "https://gallery.azure.com/"),
        ("graph", "https://graph.windows.net/"),
        ("graphAudience", "https://graph.windows.net/"),
        ("batch", "https://batch.core.windows.net/"),
        ("sqlManagement", "https://management.core.windows.net:8443/"),
    ]);
    env.insert(
        "suffixes",
        node(Value::Object(strings(&[
            ("acrLoginServer", ".azurecr.io"),
            (
                "azureDatalakeAnalyticsCatalogAndJob",
                "azuredatalakeanalytics.net",
            ),
            ("azureDatalakeStoreFileSystem", "azuredatalakestore.net"),
            ("azureFrontDoorEndpointSuffix", "azurefd.net"),
            ("keyvaultDns", ".vault.azure.net"),
            ("sqlServerHostname", ".database.windows.net"),
            ("storage", "core.windows.net"),
        ]))),
    );
    env.insert(
        "authentication",
        node(Value::Object(strings(&[
            ("loginEndpoint", "https://login.microsoftonline.com/"),
            ("tenant", "common"),
            ("identityProvider", "AAD"),
        ]))),
    );
    Value::Object(env)
}

/// `uriComponent`: percent-encodes all but RFC 3986's unreserved characters.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `uriComponentToString`: undoes percent-encoding (None if malformed).
fn unescape_data(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `uri(base, relative)` as .NET combines them: an absolute `relative` wins,
/// `/x` replaces the path, anything else replaces the last path segment.
fn combine_uri(base: &str, relative: &str) -> String {
    if relative.contains("://") {
        return relative.to_string();
    }
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j));
    match authority_end {
        None => format!("{base}/{}", relative.trim_start_matches('/')),
        Some(path_start) if relative.starts_with('/') => {
            format!("{}{relative}", &base[..path_start])
        }
        Some(_) => {
            let cut = base.rfind('/').map_or(base.len(), |i| i + 1);
            format!("{}{relative}", &base[..cut])
        }
    }
}

fn unknown_object(keys: &[&str]) -> Value {
    let mut object = Object::new();
    for key in keys {
        object.insert(*key, Node::unknown(None));
    }
    Value::Object(object)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Id(id) if fully_known(id) => Some(id.to_string()),
        _ => None,
    }
}

fn fully_known(id: &ArmId) -> bool {
    id.subscription.known().is_some()
        && id.resource_group.known().is_some()
        && id.names.iter().all(|n| n.known().is_some())
}

/// Joins string pieces. An id followed by `/type/name` pairs stays an id (of
/// the child), so `concat(resourceId(...vnet), '/subnets/pe')` still links.
fn join(parts: Vec<Value>) -> Value {
    if parts.iter().any(Value::contains_unknown) {
        return Value::Unknown;
    }
    if let Some(Value::Id(id)) = parts.first()
        && !fully_known(id)
    {
        let mut suffix = String::new();
        for p in &parts[1..] {
            match text(p) {
                Some(t) => suffix.push_str(&t),
                None => return Value::Unknown,
            }
        }
        return id.with_suffix(&suffix).map_or(Value::Unknown, Value::Id);
    }
    let mut out = String::new();
    for p in &parts {
        match text(p) {
            Some(t) => out.push_str(&t),
            None => return Value::Unknown,
        }
    }
    Value::String(out)
}

/// `format('{0}-{1}', a, b)`; format specifiers (`{0:N2}`) are not evaluated.
fn format(args: Vec<Value>) -> Value {
    let Some(Value::String(pattern)) = args.first() else {
        return Value::Unknown;
    };
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut hole = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    hole.push(c);
                }
                let Ok(index) = hole.trim().parse::<usize>() else {
                    return Value::Unknown;
                };
                let Some(arg) = args.get(index + 1) else {
                    return Value::Unknown;
                };
                parts.push(Value::String(std::mem::take(&mut literal)));
                parts.push(arg.clone());
            }
            c => literal.push(c),
        }
    }
    parts.push(Value::String(literal));
    // Drop empty literal pieces so an id in front stays in front.
    parts.retain(|p| !matches!(p, Value::String(s) if s.is_empty()));
    if parts.is_empty() {
        return Value::String(String::new());
    }
    join(parts)
}

/// `resourceId([subscriptionId], [resourceGroupName], type, name1, name2…)`
/// and its siblings; `scoped` is how many leading scope arguments are allowed.
fn resource_id(args: Vec<Value>, scoped: usize, allows_group: bool) -> Value {
    let type_at = args
        .iter()
        .position(|a| matches!(a, Value::String(s) if s.contains('/')));
    let Some(type_at) = type_at.filter(|t| *t <= scoped) else {
        return Value::Unknown;
    };
    let Some(rtype) = args[type_at].as_str().map(str::to_string) else {
        return Value::Unknown;
    };
    let part = |v: &Value| match v {
        Value::String(s) => Part::Known(s.clone()),
        _ => Part::Unknown,
    };
    let (subscription, resource_group) = match (&args[..type_at], allows_group) {
        ([], _) => (Part::Unknown, Part::Unknown),
        ([g], true) => (Part::Unknown, part(g)),
        ([s], false) => (part(s), Part::Unknown),
        ([s, g], true) => (part(s), part(g)),
        _ => return Value::Unknown,
    };
    let mut names = Vec::new();
    for v in &args[type_at + 1..] {
        match v {
            Value::String(s) => names.extend(s.split('/').map(|n| Part::Known(n.to_string()))),
            _ => names.push(Part::Unknown),
        }
    }
    if names.len() + 1 != rtype.split('/').count() {
        return Value::Unknown;
    }
    Value::Id(ArmId {
        subscription,
        resource_group,
        rtype,
        names,
        local: None,
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// ARM's `equals`: deep equality. Strings that differ only in case are not
/// decided, since ARM's comparison rules differ between functions.
fn equals(a: &Value, b: &Value) -> Value {
    if a.contains_unknown() || b.contains_unknown() {
        return Value::Unknown;
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) if x != y && x.eq_ignore_ascii_case(y) => {
            Value::Unknown
        }
        (Value::Id(_), _) | (_, Value::Id(_)) => Value::Unknown,
        _ => Value::Bool(a == b || same_json(a, b)),
    }
}

/// Equality ignoring spans.
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(&p.value, &q.value))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(&v.value, &w.value)))
        }
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn node(value: Value) -> Node {
    Node::new(value, None)
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Every function whose arguments are already evaluated.
fn function(name: &str, args: Vec<Value>) -> Value {
    use Value as V;
    match (name, args.as_slice()) {
        ("true", []) => V::Bool(true),
        ("false", []) => V::Bool(false),
        ("null", []) => V::Null,
        ("concat", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Array(_))) => {
            V::Array(
                args.into_iter()
                    .flat_map(|a| match a {
                        V::Array(items) => items,
                        _ => Vec::new(),
                    })
                    .collect(),
            )
        }
        ("concat", _) => join(args),
        ("format", _) => format(args),
        ("tolower", [V::String(s)]) => V::String(s.to_lowercase()),
        ("toupper", [V::String(s)]) => V::String(s.to_uppercase()),
        // Ids compare case-insensitively anyway.
        ("tolower" | "toupper", [V::Id(id)]) => V::Id(id.clone()),
        ("trim", [V::String(s)]) => V::String(s.trim().to_string()),
        ("replace", [V::String(s), V::String(old), V::String(new)]) if !old.is_empty() => {
            V::String(s.replace(old.as_str(), new))
        }
        ("split", [V::String(s), V::String(d)]) if !d.is_empty() => V::Array(
            s.split(d.as_str())
                .map(|p| node(V::String(p.into())))
                .collect(),
        ),
        ("substring", [V::String(s), V::Number(start), rest @ ..]) => {
            let chars: Vec<char> = s.chars().collect();
            let start = *start as usize;
            let len = match rest {
                [] => chars.len().saturating_sub(start),
                [V::Number(l)] => *l as usize,
                _ => return V::Unknown,
            };
            match chars.get(start..start.saturating_add(len)) {
                Some(slice) => V::String(slice.iter().collect()),
                None => V::Unknown,
            }
        }
        ("startswith", [V::String(s), V::String(p)]) => {
            V::Bool(s.to_lowercase().starts_with(&p.to_lowercase()))
        }
        ("endswith", [V::String(s), V::String(p)]) => {
            V::Bool(s.to_lowercase().ends_with(&p.to_lowercase()))
        }
        ("indexof", [V::String(s), V::String(p)]) => {
            let (s, p) = (s.to_lowercase(), p.to_lowercase());
            V::Number(s.find(&p).map_or(-1.0, |i| s[..i].chars().count() as f64))
        }
        ("lastindexof", [V::String(s), V::String(p)]) => {
            let (s, p) = (s.to_lowercase(), p.to_lowercase());
            V::Number(s.rfind(&p).map_or(-1.0, |i| s[..i].chars().count() as f64))
        }
        ("contains", [V::String(s), V::String(p)]) => V::Bool(s.contains(p.as_str())),
        ("contains", [V::Object(o), V::String(k)]) => V::Bool(o.get(k).is_some()),
        ("contains", [V::Array(items), x])
            if !x.contains_unknown() && !items.iter().any(|i| i.value.contains_unknown()) =>
        {
            V::Bool(items.iter().any(|i| same_json(&i.value, x)))
        }
        ("padleft", [v, V::Number(width), rest @ ..]) => {
            let Some(s) = text(v) else { return V::Unknown };
            let pad = match rest {
                [] => ' ',
                [V::String(c)] if c.chars().count() == 1 => c.chars().next().unwrap_or(' '),
                _ => return V::Unknown,
            };
            let missing = (*width as usize)
                .saturating_sub(s.chars().count())
                .min(MAX_ELEMENTS);
            V::String(std::iter::repeat_n(pad, missing).collect::<String>() + &s)
        }
        ("string", [v]) => text(v).map_or(V::Unknown, V::String),
        ("empty", [v]) => match v {
            V::Null => V::Bool(true),
            V::String(s) => V::Bool(s.is_empty()),
            V::Array(a) => V::Bool(a.is_empty()),
            V::Object(o) => V::Bool(o.is_empty()),
            _ => V::Unknown,
        },
        ("length", [v]) => match v {
            V::String(s) => V::Number(s.chars().count() as f64),
            V::Array(a) => V::Number(a.len() as f64),
            V::Object(o) => V::Number(o.len() as f64),
            _ => V::Unknown,
        },
        ("first", [V::String(s)]) => V::String(s.chars().take(1).collect()),
        ("last", [V::String(s)]) => {
            V::String(s.chars().last().map(String::from).unwrap_or_default())
        }
        ("first", [V::Array(a)]) => a.first().map_or(V::Null, |n| n.value.clone()),
        ("last", [V::Array(a)]) => a.last().map_or(V::Null, |n| n.value.clone()),
        ("take", [V::Array(a), V::Number(n)]) => {
            V::Array(a.iter().take(n.max(0.0) as usize).cloned().collect())
        }
        ("skip", [V::Array(a), V::Number(n)]) => {
            V::Array(a.iter().skip(n.max(0.0) as usize).cloned().collect())
        }
        ("take", [V::String(s), V::Number(n)]) => {
            V::String(s.chars().take(n.max(0.0) as usize).collect())
        }
        ("skip", [V::String(s), V::Number(n)]) => {
            V::String(s.chars().skip(n.max(0.0) as usize).collect())
        }
        ("createarray", _) => V::Array(args.into_iter().map(node).collect()),
        ("array", [V::Array(a)]) => V::Array(a.clone()),
        ("array", [v]) => V::Array(vec![node(v.clone())]),
        ("createobject" | "object", _) if args.len().is_multiple_of(2) => {
            let mut object = Object::new();
            for pair in args.chunks(2) {
                match &pair[0] {
                    V::String(k) => object.insert(k.clone(), node(pair[1].clone())),
                    _ => return V::Unknown,
                }
            }
            V::Object(object)
        }
        ("union", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Object(_))) => {
            let mut merged = Object::new();
            for a in args {
                if let V::Object(o) = a {
                    for (k, v) in o.into_entries() {
                        merged.insert(k, v);
                    }
                }
            }
            V::Object(merged)
        }
        ("union", _) if !args.is_empty() && args.iter().all(|a| matches!(a, V::Array(_))) => {
            if args.iter().any(Value::contains_unknown) {
                return V::Unknown;
            }
            let mut out: Vec<Node> = Vec::new();
            for a in args {
                if let V::Array(items) = a {
                    for item in items {
                        if !out.iter().any(|o| same_json(&o.value, &item.value)) {
                            out.push(item);
                        }
                    }
                }
            }
            V::Array(out)
        }
        ("intersection", [first, rest @ ..])
            if !rest.is_empty() && !args.iter().any(Value::contains_unknown) =>
        {
            match first {
                V::Object(o) => {
                    let mut out = Object::new();
                    for (k, v) in o.iter() {
                        let everywhere = rest.iter().all(|other| match other {
                            V::Object(p) => p.get(k).is_some_and(|w| same_json(&w.value, &v.value)),
                            _ => false,
                        });
                        if everywhere {
                            out.insert(k, v.clone());
                        }
                    }
                    V::Object(out)
                }
                V::Array(items) => {
                    let mut out: Vec<Node> = Vec::new();
                    for item in items {
                        let everywhere = rest.iter().all(|other| match other {
                            V::Array(p) => p.iter().any(|w| same_json(&w.value, &item.value)),
                            _ => false,
                        });
                        if everywhere && !out.iter().any(|o| same_json(&o.value, &item.value)) {
                            out.push(item.clone());
                        }
                    }
                    V::Array(out)
                }
                _ => V::Unknown,
            }
        }
        ("flatten", [V::Array(items)]) => {
            let mut out = Vec::new();
            for item in items {
                match &item.value {
                    V::Array(inner) => out.extend(inner.iter().cloned()),
                    _ => return V::Unknown,
                }
            }
            V::Array(out)
        }
        ("shallowmerge", [V::Array(items)]) => {
            let mut merged = Object::new();
            for item in items {
                match &item.value {
                    V::Object(o) => {
                        for (k, v) in o.iter() {
                            merged.insert(k, v.clone());
                        }
                    }
                    _ => return V::Unknown,
                }
            }
            V::Object(merged)
        }
        ("base64", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(base64::engine::general_purpose::STANDARD.encode(s))
        }
        ("base64tostring", [V::String(s)]) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::String)
        }
        ("datauri", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(format!(
                "data:text/plain;charset=utf8;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(s)
            ))
        }
        ("datauritostring", [V::String(s)]) => {
            use base64::Engine as _;
            // Only base64 data URIs; any other encoding is not guessed.
            s.strip_prefix("data:")
                .and_then(|rest| rest.split_once(','))
                .filter(|(meta, _)| meta.ends_with(";base64"))
                .and_then(|(_, data)| base64::engine::general_purpose::STANDARD.decode(data).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::String)
        }
        ("parsecidr", [V::String(s)]) => crate::arm::cidr::parse_cidr(s),
        ("cidrsubnet", [V::String(s), V::Number(prefix), V::Number(index)]) => {
            crate::arm::cidr::cidr_subnet(s, *prefix, *index)
        }
        ("cidrhost", [V::String(s), V::Number(index)]) => crate::arm::cidr::cidr_host(s, *index),
        ("managementgroup", _) => unknown_object(&["id", "name", "properties"]),
        ("uricomponent", [V::String(s)]) => V::String(escape_data(s)),
        ("uricomponenttostring", [V::String(s)]) => unescape_data(s).map_or(V::Unknown, V::String),
        ("uri", [V::String(base), V::String(relative)]) => V::String(combine_uri(base, relative)),
        ("environment", []) => public_cloud(),
        ("tenant", []) => unknown_object(&["tenantId", "countryCode", "displayName"]),
        ("deployment", []) => unknown_object(&["name", "properties", "location"]),
        ("objectkeys", [V::Object(o)]) => {
            V::Array(o.iter().map(|(k, _)| node(V::String(k.into()))).collect())
        }
        ("items", [V::Object(o)]) => V::Array(
            o.iter()
                .map(|(k, v)| {
                    let mut item = Object::new();
                    item.insert("key", node(V::String(k.into())));
                    item.insert("value", v.clone());
                    node(V::Object(item))
                })
                .collect(),
        ),
        ("tryget", [target, keys @ ..]) if !keys.is_empty() => {
            let mut current = target.clone();
            for key in keys {
                current = match (&current, key) {
                    (V::Object(o), V::String(k)) => o.get(k).map_or(V::Null, |n| n.value.clone()),
                    (V::Array(a), V::Number(i)) if *i >= 0.0 => {
                        a.get(*i as usize).map_or(V::Null, |n| n.value.clone())
                    }
                    (V::Null, _) => V::Null,
                    _ => return V::Unknown,
                };
            }
            current
        }
        ("join", [V::Array(items), V::String(d)]) => {
            let parts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            parts.map_or(V::Unknown, |p| V::String(p.join(d)))
        }
        ("range", [V::Number(start), V::Number(count)])
            if *count >= 0.0 && (*count as usize) <= MAX_ELEMENTS =>
        {
            V::Array(
                (0..*count as i64)
                    .map(|i| node(V::Number(start + i as f64)))
                    .collect(),
            )
        }
        ("coalesce", _) => {
            for a in args {
                match a {
                    V::Null => continue,
                    other => return other,
                }
            }
            V::Null
        }
        ("equals", [a, b]) => equals(a, b),
        ("not", [v]) => truth(v).map_or(V::Unknown, |b| V::Bool(!b)),
        ("and", _) if args.len() >= 2 => {
            if args.iter().any(|a| truth(a) == Some(false)) {
                V::Bool(false)
            } else if args.iter().all(|a| truth(a) == Some(true)) {
                V::Bool(true)
            } else {
                V::Unknown
            }
        }
        ("or", _) if args.len() >= 2 => {
            if args.iter().any(|a| truth(a) == Some(true)) {
                V::Bool(true)
            } else if args.iter().all(|a| truth(a) == Some(false)) {
                V::Bool(false)
            } else {
                V::Unknown
            }
        }
        ("bool", [V::Bool(b)]) => V::Bool(*b),
        ("bool", [V::String(s)]) if s.eq_ignore_ascii_case("true") => V::Bool(true),
        ("bool", [V::String(s)]) if s.eq_ignore_ascii_case("false") => V::Bool(false),
        ("bool", [V::Number(n)]) => V::Bool(*n != 0.0),
        ("int", [V::Number(n)]) => V::Number(n.trunc()),
        ("int", [V::String(s)]) => s
            .trim()
            .parse::<i64>()
            .map_or(V::Unknown, |n| V::Number(n as f64)),
        ("float", [V::Number(n)]) => V::Number(*n),
        ("float", [V::String(s)]) => s.trim().parse::<f64>().map_or(V::Unknown, V::Number),
        ("add", [V::Number(a), V::Number(b)]) => V::Number(a + b),
        ("sub", [V::Number(a), V::Number(b)]) => V::Number(a - b),
        ("mul", [V::Number(a), V::Number(b)]) => V::Number(a * b),
        ("div", [V::Number(a), V::Number(b)]) if *b != 0.0 => V::Number((a / b).trunc()),
        ("mod", [V::Number(a), V::Number(b)]) if *b != 0.0 => V::Number(a % b),
        ("min" | "max", _) => {
            let numbers: Option<Vec<f64>> = match args.as_slice() {
                [V::Array(items)] => items.iter().map(|i| number(&i.value)).collect(),
                _ => args.iter().map(number).collect(),
            };
            match numbers.filter(|n| !n.is_empty()) {
                Some(n) if name == "min" => V::Number(n.into_iter().fold(f64::INFINITY, f64::min)),
                Some(n) => V::Number(n.into_iter().fold(f64::NEG_INFINITY, f64::max)),
                None => V::Unknown,
            }
        }
        ("less" | "lessorequals" | "greater" | "greaterorequals", [a, b]) => match compare(a, b) {
            Some(order) => V::Bool(match name {
                "less" => order.is_lt(),
                "lessorequals" => order.is_le(),
                "greater" => order.is_gt(),
                _ => order.is_ge(),
            }),
            None => V::Unknown,
        },
        ("json", [V::String(s)]) => {
            serde_json::from_str::<serde_json::Value>(s).map_or(V::Unknown, |j| V::from_json(&j))
        }
        ("resourceid", _) => resource_id(args, 2, true),
        ("subscriptionresourceid", _) => resource_id(args, 1, false),
        ("tenantresourceid" | "managementgroupresourceid", _) => resource_id(args, 1, false),
        ("extensionresourceid", [_, rest @ ..]) => resource_id(rest.to_vec(), 0, false),
        ("resourcegroup", []) => unknown_object(&["id", "name", "location", "properties", "tags"]),
        ("subscription", []) => {
            unknown_object(&["id", "subscriptionId", "tenantId", "displayName"])
        }
        ("uniquestring" | "guid", [_, ..]) => {
            // Every argument must be a known string; ARM refuses anything else.
            let parts: Option<Vec<String>> = args
                .iter()
                .map(|a| match a {
                    V::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            match parts {
                Some(parts) if name == "guid" => V::String(crate::arm::hash::guid(&parts)),
                Some(parts) => V::String(crate::arm::hash::unique_string(&parts)),
                None => V::Unknown,
            }
        }
        _ => {
            // reference(), list*(), utcNow(), newGuid(),
            // deployment(), environment(), user functions, and anything else.
            V::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::source::FileId;

    fn template(text: &str) -> J {
        json::parse(FileId(0), text, 256)
            .ok()
            .flatten()
            .expect("valid JSON")
    }

    fn eval_in(t: &J, expression: &str) -> Value {
        Scope::new(t, HashMap::new(), Guard::default()).string_at(expression, t.span, &[])
    }

    fn eval(expression: &str) -> Value {
        eval_in(&template("{}"), expression)
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    /// Expected values are the examples of Microsoft Learn's "Lambda
    /// functions", "Array functions", "String functions" and "Deployment
    /// functions" pages for ARM templates.
    fn documented(expression: &str, expected: &str) {
        let expected = Value::from_json(&serde_json::from_str(expected).expect("expected JSON"));
        let got = eval(expression);
        assert!(
            same_json(&got, &expected),
            "{expression}: got {}, expected {}",
            got.display(),
            expected.display()
        );
    }

    #[test]
    fn lambda_functions_evaluate_as_documented() {
        documented(
            "[filter(json('[{\"name\":\"Evie\",\"age\":5},{\"name\":\"Casper\",\"age\":3}]'), lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))]",
            r#"[{"name":"Evie","age":5}]"#,
        );
        documented(
            "[map(createArray(1, 2, 3), lambda('x', mul(lambdaVariables('x'), 2)))]",
            "[2, 4, 6]",
        );
        documented(
            "[map(createArray('a', 'b'), lambda('x', 'i', concat(lambdaVariables('x'), string(lambdaVariables('i')))))]",
            r#"["a0", "b1"]"#,
        );
        documented(
            "[reduce(createArray(5, 3, 2), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
            "10",
        );
        documented(
            "[sort(createArray('c', 'a', 'b'), lambda('x', 'y', less(lambdaVariables('x'), lambdaVariables('y'))))]",
            r#"["a", "b", "c"]"#,
        );
        documented(
            "[toObject(json('[{\"name\":\"Evie\",\"age\":5},{\"name\":\"Casper\",\"age\":3}]'), lambda('d', lambdaVariables('d').name), lambda('d', lambdaVariables('d').age))]",
            r#"{"Evie": 5, "Casper": 3}"#,
        );
        documented(
            "[groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
            r#"{"f": ["foo"], "b": ["bar", "baz"]}"#,
        );
        documented(
            "[mapValues(createObject('foo', 'foo'), lambda('val', toUpper(lambdaVariables('val'))))]",
            r#"{"foo": "FOO"}"#,
        );
        // Unknown spreads: an unknown element makes the result unknown.
        assert_eq!(
            eval(
                "[filter(createArray(parameters('nope'), 1), lambda('x', equals(lambdaVariables('x'), 1)))]"
            ),
            Value::Unknown
        );
        assert_eq!(eval("[lambdaVariables('free')]"), Value::Unknown);
    }

    #[test]
    fn array_string_and_deployment_functions_evaluate_as_documented() {
        documented(
            "[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]",
            r#"["two", "three"]"#,
        );
        documented(
            "[intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), createObject('one', 'a', 'two', 'z', 'three', 'c'))]",
            r#"{"one": "a", "three": "c"}"#,
        );
        documented(
            "[flatten(createArray(createArray('one', 'two'), createArray('three'), createArray('four', 'five')))]",
            r#"["one", "two", "three", "four", "five"]"#,
        );
        documented(
            "[shallowMerge(createArray(createObject('one', 'a'), createObject('two', 'b'), createObject('two', 'c')))]",
            r#"{"one": "a", "two": "c"}"#,
        );
        documented("[base64('one, two, three')]", r#""b25lLCB0d28sIHRocmVl""#);
        documented(
            "[base64ToString('b25lLCB0d28sIHRocmVl')]",
            r#""one, two, three""#,
        );
        documented(
            "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
            r#""http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json""#,
        );
        documented(
            "[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')]",
            r#""http://contoso.com/resources/nested/azuredeploy.json""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath', 'myscript.sh')]",
            r#""http://contoso.org/myscript.sh""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath/', 'myscript.sh')]",
            r#""http://contoso.org/firstpath/myscript.sh""#,
        );
        documented(
            "[uri('http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh')]",
            r#""http://contoso.org/firstpath/myscript.sh""#,
        );
        documented(
            "[format('privatelink.blob.{0}', environment().suffixes.storage)]",
            r#""privatelink.blob.core.windows.net""#,
        );
        documented("[environment().name]", r#""AzureCloud""#);
        assert_eq!(eval("[tenant().tenantId]"), Value::Unknown);
        assert_eq!(eval("[deployment().name]"), Value::Unknown);
    }

    #[test]
    fn reference_reads_a_nested_deployments_outputs() {
        let module = r#"{"type": "Microsoft.Resources/deployments", "name": "dns",
            "properties": {"expressionEvaluationOptions": {"scope": "inner"},
              "parameters": {"zone": {"value": "[concat('privatelink.', parameters('service'))]"}},
              "template": {"parameters": {"zone": {"type": "string"}},
                "outputs": {"zoneName": {"type": "string", "value": "[parameters('zone')]"}}}}}"#;
        let params = r#""parameters": {"service": {"type": "string", "defaultValue": "blob.core.windows.net"}}"#;
        // languageVersion 2.0: by symbolic name.
        let t = template(&format!(
            r#"{{{params}, "resources": {{"dnsModule": {module}}}}}"#
        ));
        assert_eq!(
            eval_in(&t, "[reference('dnsModule').outputs.zoneName.value]"),
            s("privatelink.blob.core.windows.net")
        );
        // By resourceId, with the name written as the deployment's own.
        let t = template(&format!(r#"{{{params}, "resources": [{module}]}}"#));
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Resources/deployments', 'dns'), '2022-09-01').outputs.zoneName.value]"
            ),
            s("privatelink.blob.core.windows.net")
        );
        // Anything else stays unknown.
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Resources/deployments', 'other')).outputs.zoneName.value]"
            ),
            Value::Unknown
        );
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Storage/storageAccounts', 'sa')).primaryEndpoints]"
            ),
            Value::Unknown
        );
    }

    #[test]
    fn reference_reads_an_instance_of_a_module_loop() {
        let module = r#"{"type": "Microsoft.Resources/deployments",
            "name": "[format('dns-{0}', copyIndex())]",
            "copy": {"name": "zones", "count": "[length(variables('services'))]"},
            "properties": {"expressionEvaluationOptions": {"scope": "inner"},
              "parameters": {"zone": {"value": "[concat('privatelink.', variables('services')[copyIndex()])]"}},
              "template": {"parameters": {"zone": {"type": "string"}},
                "outputs": {"zoneName": {"type": "string", "value": "[parameters('zone')]"}}}}}"#;
        let variables = r#""variables": {"services": ["blob.core.windows.net", "postgres.database.azure.com"]}"#;
        // languageVersion 2.0, as Bicep compiles `dnsModules[1].outputs.zoneName`.
        let t = template(&format!(
            r#"{{{variables}, "resources": {{"dnsModules": {module}}}}}"#
        ));
        assert_eq!(
            eval_in(
                &t,
                "[reference(format('dnsModules[{0}]', 1)).outputs.zoneName.value]"
            ),
            s("privatelink.postgres.database.azure.com")
        );
        assert_eq!(
            eval_in(
                &t,
                "[reference(format('dnsModules[{0}]', 2)).outputs.zoneName.value]"
            ),
            Value::Unknown
        );
        // Classic: by the id of the instance's evaluated name.
        let t = template(&format!(r#"{{{variables}, "resources": [{module}]}}"#));
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Resources/deployments', format('dns-{0}', 0))).outputs.zoneName.value]"
            ),
            s("privatelink.blob.core.windows.net")
        );
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Resources/deployments', 'dns-7')).outputs.zoneName.value]"
            ),
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
    fn reference_reads_what_the_template_sets_on_its_own_resources() {
        let vnet = r#"{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
            "name": "[variables('vnetName')]", "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}}}"#;
        let existing = r#"{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
            "existing": true, "name": "hub"}"#;
        let variables = r#""variables": {"vnetName": "vnet-app"}"#;
        let prefix = "addressSpace.addressPrefixes[0]";
        // languageVersion 2.0: `vnet.properties.addressSpace` compiles to reference('vnet').
        let t = template(&format!(
            r#"{{{variables}, "resources": {{"vnet": {vnet}, "hub": {existing}}}}}"#
        ));
        assert_eq!(
            eval_in(&t, &format!("[reference('vnet').{prefix}]")),
            s("10.20.0.0/16")
        );
        assert_eq!(
            eval_in(&t, "[reference('vnet', '2024-05-01', 'Full').location]"),
            s("westeurope")
        );
        // What Azure fills in, and resources that exist elsewhere, stay unknown.
        assert_eq!(
            eval_in(&t, "[reference('vnet').provisioningState]"),
            Value::Unknown
        );
        assert_eq!(
            eval_in(&t, "[reference('hub').addressSpace]"),
            Value::Unknown
        );
        // Classic: by id, or by the resource's name.
        let t = template(&format!(r#"{{{variables}, "resources": [{vnet}]}}"#));
        assert_eq!(
            eval_in(
                &t,
                &format!(
                    "[reference(resourceId('Microsoft.Network/virtualNetworks', 'vnet-app')).{prefix}]"
                )
            ),
            s("10.20.0.0/16")
        );
        assert_eq!(
            eval_in(&t, &format!("[reference('vnet-app').{prefix}]")),
            s("10.20.0.0/16")
        );
        assert_eq!(
            eval_in(
                &t,
                &format!(
                    "[reference(resourceId('Microsoft.Network/virtualNetworks', 'other')).{prefix}]"
                )
            ),
            Value::Unknown
        );
    }

    #[test]
    fn a_name_that_reads_itself_through_reference_is_unknown_not_a_stack_overflow() {
        let t = template(
            r#"{"resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
                "name": "[reference(resourceId('Microsoft.Network/virtualNetworks', 'x')).name]",
                "properties": {}}]}"#,
        );
        assert_eq!(
            eval_in(
                &t,
                "[reference(resourceId('Microsoft.Network/virtualNetworks', 'x')).name]"
            ),
            Value::Unknown
        );
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
    fn string_functions() {
        assert_eq!(eval("[concat('a', 'b', 'c')]"), s("abc"));
        assert_eq!(eval("[format('{0}-{1}', 'pe', 2)]"), s("pe-2"));
        assert_eq!(eval("[format('{{x}} {0}', 'y')]"), s("{x} y"));
        assert_eq!(eval("[toLower('ABC')]"), s("abc"));
        assert_eq!(eval("[replace('a.b', '.', '-')]"), s("a-b"));
        assert_eq!(eval("[substring('abcdef', 1, 3)]"), s("bcd"));
        assert_eq!(eval("[substring('abc', 5, 3)]"), Value::Unknown);
        assert_eq!(eval("[if(equals(1, 1), 'yes', 'no')]"), s("yes"));
        assert_eq!(eval("[if(equals('A', 'a'), 'yes', 'no')]"), Value::Unknown);
        assert_eq!(eval("[length(createArray(1, 2, 3))]"), Value::Number(3.0));
        assert_eq!(eval("[empty('')]"), Value::Bool(true));
        assert_eq!(eval("[not(true())]"), Value::Bool(false));
        assert_eq!(eval("[uniqueString(resourceGroup().id)]"), Value::Unknown);
        assert_eq!(eval("[uniqueString('test')]"), s("rbgf3xv4ufgzg"));
        // Microsoft Learn's dataUri / dataUriToString examples.
        assert_eq!(
            eval("[dataUri('Hello')]"),
            s("data:text/plain;charset=utf8;base64,SGVsbG8=")
        );
        assert_eq!(
            eval("[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]"),
            s("Hello, World!")
        );
        assert_eq!(
            eval("[cidrSubnet('10.144.0.0/20', 24, 3)]"),
            s("10.144.3.0/24")
        );
        assert_eq!(
            eval("[parseCidr('10.144.0.0/20').broadcast]"),
            s("10.144.15.255")
        );
        assert_eq!(
            eval("[guid('a', 'b', 'c')]"),
            s("a98fa280-e03f-5afa-8d8e-92d0a9c201e8")
        );
        assert_eq!(eval("[guid(subscription().id, 'x')]"), Value::Unknown);
        assert_eq!(eval("[uniqueString(1)]"), Value::Unknown);
        assert_eq!(eval("[resourceGroup().location]"), Value::Unknown);
        assert_eq!(eval("[[literal]"), s("[literal]"));
        assert_eq!(eval("[concat('a',]"), Value::Unknown);
    }

    #[test]
    fn resource_ids() {
        let Value::Id(id) =
            eval("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'pe')]")
        else {
            panic!("an id");
        };
        assert_eq!(id.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(id.names, vec![Part::from("vnet"), Part::from("pe")]);
        assert_eq!(id.resource_group, Part::Unknown);

        let Value::Id(id) =
            eval("[resourceId('rg-dns', 'Microsoft.Network/privateDnsZones', 'z')]")
        else {
            panic!("an id");
        };
        assert_eq!(id.resource_group, Part::from("rg-dns"));

        let Value::Id(child) = eval(
            "[concat(resourceId('Microsoft.Network/virtualNetworks', 'vnet'), '/subnets/', 'pe')]",
        ) else {
            panic!("an id");
        };
        assert_eq!(child.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(child.names, vec![Part::from("vnet"), Part::from("pe")]);

        let t = template(r#"{"parameters": {"n": {"type": "string"}}}"#);
        let Value::Id(id) = eval_in(
            &t,
            "[resourceId('Microsoft.Network/privateDnsZones', parameters('n'))]",
        ) else {
            panic!("an id");
        };
        assert_eq!(id.names, vec![Part::Unknown]);
        assert_eq!(
            eval("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'only-one')]"),
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
