//! A rule file: metadata and docs, the `check` steps, and the `report`.
//!
//! ```yaml
//! check:
//!   - for: pe in resources('Microsoft.Network/privateEndpoints')
//!   - let: subnet = follow(pe.properties.subnet.id)
//!   - where: managed(subnet)
//! report:
//!   at: subnet.properties.privateEndpointNetworkPolicies ?? subnet
//!   message: "…{leaf(subnet)}…"
//! ```
//! Loading checks everything that can be checked before a run (syntax, names,
//! functions, arity) and reports it with file, line and column.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::diagnostic::{
    Code, Finding, FixSpec, Label, Literal, Problem, ResourceSummary, RuleInfo, Severity,
};
use crate::model::{Graph, Node, Resource, Truth, Value};
use crate::policy::eval::{Context, Env, RuleValue};
use crate::policy::expr::{self, Expr};
use crate::policy::functions;
pub use crate::policy::rule_file::RuleYaml;
pub use crate::policy::rule_file::{Example, Examples, InputKind};
use crate::policy::rule_file::{FixYaml, ReportYaml, StepYaml, Text};
use crate::source::{FileId, SourceFile, SourceMap, Span};

#[derive(Clone, Debug)]
struct Fix {
    set: Expr,
    to: Expr,
    when: Option<Expr>,
    safe: Option<Expr>,
    key: Option<Expr>,
    insert_hcl: Option<String>,
    title: Template,
}

/// A rule's documentation and identity.
#[derive(Clone, Debug)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub title: Text,
    pub description: Text,
    pub rationale: Text,
    pub remediation: Text,
    pub help: Option<String>,
    pub links: Vec<String>,
    pub examples: Examples,
    /// The inputs the rule is about (all unless the YAML says otherwise).
    pub inputs: Vec<InputKind>,
    /// Where the rule came from (`rules/PG001.yaml` for built-ins).
    pub file: FileId,
}

/// `text` without the blank lines and spaces around it, still borrowed
/// when it was.
fn trimmed(text: &Text) -> Text {
    match text {
        Text::Borrowed(t) => Text::Borrowed(t.trim()),
        Text::Owned(t) => Text::Owned(t.trim().to_string()),
    }
}

impl RuleMeta {
    /// What printers need to describe the rule, without the Markdown
    /// documentation only SARIF prints (see [`RuleMeta::docs`]).
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            severity: self.severity,
            title: self.title.clone(),
            description: trimmed(&self.description),
            remediation: trimmed(&self.remediation),
            url: self.links.first().cloned(),
            markdown: None,
        }
    }

    /// The rule's documentation in Markdown (`RuleInfo::markdown`).
    pub fn docs(&self) -> String {
        crate::policy::docs::markdown(self)
    }
}

#[derive(Clone, Debug)]
enum Step {
    For(String, Expr),
    Let(String, Expr),
    Where(Expr),
}

/// A message or label with `{expression}` holes; `{{` and `}}` are braces.
#[derive(Clone, Debug)]
struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
enum TemplatePart {
    Text(String),
    Hole(Expr),
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    /// The first step (most often `for: x in resources('Type')`), compiled
    /// at load: in most units it yields nothing, and the rest of the rule
    /// is never needed.
    first: Step,
    /// The other steps and the report, compiled at load (user rules, whose
    /// mistakes are reported before the run) or when the first step first
    /// yields something (built-in rules, which tests compile whole).
    body: OnceLock<Result<Body, Problem>>,
    /// What `body` is compiled from when it is compiled late.
    pending: Option<Box<Pending>>,
}

#[derive(Clone, Debug)]
struct Body {
    /// The steps after the first.
    steps: Vec<Step>,
    resource_var: String,
    /// The names the steps bind, which the report may use.
    scope: Vec<String>,
    /// What a finding shows and how it is fixed: compiled with the steps
    /// (user rules), or from the rule's `pending` when the rule first finds
    /// something (built-in rules: most run without a finding).
    report: OnceLock<Result<Report, Problem>>,
}

#[derive(Clone, Debug)]
struct Report {
    at: Expr,
    label: Template,
    message: Template,
    finding_severity: Option<Template>,
    finding_help: Option<Template>,
    related: Vec<(Expr, Template)>,
    fix: Option<Fix>,
}

#[derive(Clone, Debug)]
struct Pending {
    rest: Vec<StepYaml>,
    report: ReportYaml,
    fix: Option<FixYaml>,
    tables: HashSet<String>,
    prepared: Option<Prepared>,
}

/// Loads one rule file already registered in `sources`.
pub fn load(sources: &SourceMap, file: FileId, tables: &HashSet<String>) -> Result<Rule, Problem> {
    let source = sources.get(file);
    let yaml: RuleYaml = serde_yaml::from_str(&source.text).map_err(|err| {
        let span = err
            .location()
            .map(|l| Span::new(file, l.index(), l.index() + 1));
        Problem::new(Code::RuleError, format!("invalid rule file: {err}"))
            .at(source.path.clone(), span)
    })?;
    compile(sources, file, yaml, tables)
}

/// Checks and compiles one rule file's YAML, read from `file` (already
/// registered in `sources`, whose text locates mistakes), whole: every
/// mistake is found now.
pub fn compile(
    sources: &SourceMap,
    file: FileId,
    yaml: RuleYaml,
    tables: &HashSet<String>,
) -> Result<Rule, Problem> {
    compile_with(sources, file, yaml, tables, None)
}

/// As [`compile`], for the built-in rules (embedded already read by
/// `build.rs`, their expressions already parsed: `prepared`), and all after
/// the first step is compiled when the first step first yields something. A
/// test compiles every built-in rule whole ([`Rule::compile_rest`]).
pub fn compile_lazily(
    sources: &SourceMap,
    file: FileId,
    yaml: RuleYaml,
    tables: &HashSet<String>,
    prepared: Prepared,
) -> Result<Rule, Problem> {
    compile_with(sources, file, yaml, tables, Some(prepared))
}

/// Compiled whole when `prepared` is `None` (a user rule), late otherwise.
fn compile_with(
    sources: &SourceMap,
    file: FileId,
    yaml: RuleYaml,
    tables: &HashSet<String>,
    prepared: Option<Prepared>,
) -> Result<Rule, Problem> {
    let lazy = prepared.is_some();
    let source = sources.get(file);
    let problem = |message: String, span: Option<Span>| {
        Problem::new(Code::RuleError, message).at(source.path.clone(), span)
    };

    let whole = Span::new(file, 0, 0);
    if !is_rule_id(&yaml.id) {
        let id_span = find_span(&source, file, &yaml.id).or(Some(whole));
        return Err(problem(
            format!(
                "rule id `{}` must be capital letters then digits, like PG001",
                yaml.id
            ),
            id_span,
        ));
    }
    if !is_kebab(&yaml.name) {
        return Err(problem(
            format!(
                "rule name `{}` must be kebab-case, like private-endpoint-zone-name",
                yaml.name
            ),
            find_span(&source, file, &yaml.name),
        ));
    }
    let severity = Severity::parse(&yaml.severity).ok_or_else(|| {
        problem(
            format!(
                "severity `{}` must be one of error, warning, info",
                yaml.severity
            ),
            find_span(&source, file, &yaml.severity),
        )
    })?;

    let mut steps = yaml.check.into_iter();
    let Some(first) = steps.next() else {
        return Err(problem(
            match &yaml.report.resource {
                Some(var) => format!("report.resource names `{var}`, which no step binds"),
                None => {
                    "a rule needs at least one `for` step to say which resources it checks".into()
                }
            },
            match &yaml.report.resource {
                Some(var) => find_span(&source, file, var),
                None => Some(whole),
            },
        ));
    };
    let mut compiler = Compiler {
        source: &source,
        file,
        scope: Vec::new(),
        tables,
        prepared,
    };
    let first = compiler.step(&first)?;
    let rest: Vec<StepYaml> = steps.collect();
    let (body, pending) = if lazy {
        let pending = Pending {
            rest,
            report: yaml.report,
            fix: yaml.fix,
            tables: tables.clone(),
            prepared,
        };
        (OnceLock::new(), Some(Box::new(pending)))
    } else {
        let tail = Tail {
            rest: &rest,
            report: &yaml.report,
            fix: yaml.fix.as_ref(),
        };
        let body = compile_body(&source, file, &first, tail, tables, None)?;
        (OnceLock::from(Ok(body)), None)
    };

    Ok(Rule {
        meta: RuleMeta {
            id: yaml.id,
            name: yaml.name,
            severity,
            title: yaml.title,
            description: yaml.description,
            rationale: yaml.rationale,
            remediation: yaml.remediation,
            help: yaml.help,
            links: yaml.links,
            examples: yaml.examples.unwrap_or_default(),
            inputs: yaml
                .inputs
                .filter(|i| !i.is_empty())
                .unwrap_or_else(|| vec![InputKind::Arm, InputKind::Bicep, InputKind::Terraform]),
            file,
        },
        first,
        body,
        pending,
    })
}

/// What follows a rule's first step in its YAML.
struct Tail<'a> {
    rest: &'a [StepYaml],
    report: &'a ReportYaml,
    fix: Option<&'a FixYaml>,
}

/// The steps after `first` and the report, compiled in the scope `first`
/// leaves.
fn compile_body(
    source: &SourceFile,
    file: FileId,
    first: &Step,
    tail: Tail<'_>,
    tables: &HashSet<String>,
    prepared: Option<Prepared>,
) -> Result<Body, Problem> {
    let Tail { rest, report, fix } = tail;
    let problem = |message: String, span: Option<Span>| {
        Problem::new(Code::RuleError, message).at(source.path.clone(), span)
    };
    let whole = Span::new(file, 0, 0);
    let mut compiler = Compiler {
        source,
        file,
        scope: Vec::new(),
        tables,
        prepared,
    };
    let mut first_for = None;
    match first {
        Step::For(var, _) => {
            compiler.scope.push(var.clone());
            first_for = Some(var.clone());
        }
        Step::Let(var, _) => compiler.scope.push(var.clone()),
        Step::Where(_) => {}
    }
    let mut steps = Vec::new();
    for step in rest {
        let step = compiler.step(step)?;
        if let Step::For(var, _) = &step {
            first_for.get_or_insert_with(|| var.clone());
        }
        steps.push(step);
    }

    let resource_var = match report.resource.clone().or(first_for) {
        Some(var) if compiler.scope.contains(&var) => var,
        Some(var) => {
            return Err(problem(
                format!("report.resource names `{var}`, which no step binds"),
                find_span(source, file, &var),
            ));
        }
        None => {
            return Err(problem(
                "a rule needs at least one `for` step to say which resources it checks".into(),
                Some(whole),
            ));
        }
    };
    // A built-in rule's report waits for its first finding.
    let report = match compiler.prepared {
        Some(_) => OnceLock::new(),
        None => OnceLock::from(Ok(compile_report(&compiler, report, fix)?)),
    };
    Ok(Body {
        steps,
        resource_var,
        scope: compiler.scope,
        report,
    })
}

/// A rule's `report` and `fix`, compiled with the names its steps bind.
fn compile_report(
    compiler: &Compiler,
    report: &ReportYaml,
    fix: Option<&FixYaml>,
) -> Result<Report, Problem> {
    let at = compiler.expression(&report.at)?;
    let label = compiler.template(report.label.as_deref().unwrap_or(""))?;
    let message = compiler.template(&report.message)?;
    let finding_severity = report
        .severity
        .as_deref()
        .map(|t| compiler.template(t))
        .transpose()?;
    let finding_help = report
        .help
        .as_deref()
        .map(|t| compiler.template(t))
        .transpose()?;
    let mut related = Vec::new();
    for r in &report.related {
        related.push((compiler.expression(&r.at)?, compiler.template(&r.label)?));
    }
    let fix = match fix {
        Some(f) => Some(Fix {
            set: compiler.expression(&f.set)?,
            to: compiler.expression(&f.to)?,
            when: f
                .when
                .as_deref()
                .map(|w| compiler.expression(w))
                .transpose()?,
            safe: f
                .safe
                .as_deref()
                .map(|w| compiler.expression(w))
                .transpose()?,
            key: f
                .key
                .as_deref()
                .map(|k| compiler.expression(k))
                .transpose()?,
            insert_hcl: f.insert_hcl.clone(),
            title: compiler.template(&f.title)?,
        }),
        None => None,
    };
    Ok(Report {
        at,
        label,
        message,
        finding_severity,
        finding_help,
        related,
        fix,
    })
}

fn is_rule_id(id: &str) -> bool {
    let letters = id.chars().take_while(|c| c.is_ascii_uppercase()).count();
    letters > 0 && letters < id.len() && id[letters..].chars().all(|c| c.is_ascii_digit())
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// serde_yaml gives no spans for values, so an expression is located by
/// finding its text in the file; good enough to point a user at the line.
fn find_span(source: &SourceFile, file: FileId, text: &str) -> Option<Span> {
    let needle = text.trim();
    if needle.is_empty() {
        return None;
    }
    source
        .text
        .find(needle)
        .map(|at| Span::new(file, at, at + needle.len()))
}

struct Compiler<'a> {
    source: &'a SourceFile,
    file: FileId,
    scope: Vec<String>,
    tables: &'a HashSet<String>,
    prepared: Option<Prepared>,
}

/// Expressions parsed before the run (the built-in rules', by `build.rs`),
/// by their text; `None` for a text to parse now.
pub type Prepared = fn(&str) -> Option<Expr>;

impl Compiler<'_> {
    fn step(&mut self, step: &StepYaml) -> Result<Step, Problem> {
        Ok(match (&step.for_each, &step.let_, &step.where_) {
            (Some(text), None, None) => {
                let (var, expr) = self.binding(text, " in ", "for: NAME in EXPRESSION")?;
                Step::For(var, expr)
            }
            (None, Some(text), None) => {
                let (var, expr) = self.binding(text, " = ", "let: NAME = EXPRESSION")?;
                Step::Let(var, expr)
            }
            (None, None, Some(text)) => Step::Where(self.expression(text)?),
            _ => {
                return Err(Problem::new(
                    Code::RuleError,
                    "each check step needs exactly one of `for`, `let`, `where`",
                )
                .at(self.source.path.clone(), Some(Span::new(self.file, 0, 0))));
            }
        })
    }

    fn error(&self, text: &str, offset: usize, message: String) -> Problem {
        let span = find_span(self.source, self.file, text).map(|s| {
            let at = (s.start as usize + offset).min(s.end as usize);
            Span::new(self.file, at, (at + 1).min(s.end as usize).max(at))
        });
        Problem::new(Code::RuleError, message).at(self.source.path.clone(), span)
    }

    fn binding(
        &mut self,
        text: &str,
        separator: &str,
        shape: &str,
    ) -> Result<(String, Expr), Problem> {
        let Some((var, expr_text)) = text.split_once(separator) else {
            return Err(self.error(text, 0, format!("expected `{shape}`, found `{text}`")));
        };
        let var = var.trim().to_string();
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(self.error(text, 0, format!("`{var}` is not a valid variable name")));
        }
        let expr = self.expression(expr_text)?;
        self.scope.push(var.clone());
        Ok((var, expr))
    }

    fn expression(&self, text: &str) -> Result<Expr, Problem> {
        let prepared = self.prepared.and_then(|prepared| prepared(text));
        let expr = prepared
            .map_or_else(|| expr::parse(text), Ok)
            .map_err(|err| {
                let lead = text.len() - text.trim_start().len();
                self.error(
                    text.trim(),
                    err.offset.saturating_sub(lead),
                    format!("syntax error: {}", err.message),
                )
            })?;
        // A built-in rule's expressions (`prepared`) were checked by the
        // test that compiles every built-in rule whole; a user's are
        // checked as they load.
        if self.prepared.is_none() || cfg!(test) {
            let mut scope = self.scope.clone();
            self.check(&expr, &mut scope, text)?;
        }
        Ok(expr)
    }

    fn template(&self, text: &str) -> Result<Template, Problem> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(['{', '}']) {
            literal.push_str(&rest[..i]);
            let brace = &rest[i..];
            if brace.starts_with("{{") || brace.starts_with("}}") {
                literal.push_str(&brace[..1]);
                rest = &brace[2..];
            } else if brace.starts_with('{') {
                let Some(close) = brace.find('}') else {
                    return Err(self.error(text, i, "unclosed `{` in message".into()));
                };
                if !literal.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePart::Hole(self.expression(&brace[1..close])?));
                rest = &brace[close + 1..];
            } else {
                return Err(self.error(text, i, "unmatched `}` in message (write `}}`)".into()));
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(TemplatePart::Text(literal));
        }
        Ok(Template { parts })
    }

    /// Names must be bound, functions must exist with the right arity,
    /// lambdas only where a function takes one, tables must exist.
    fn check(&self, expr: &Expr, scope: &mut Vec<String>, text: &str) -> Result<(), Problem> {
        let locate = |name: &str| text.find(name).unwrap_or(0);
        match expr {
            Expr::Var(name) if !scope.contains(name) => Err(self.error(
                text,
                locate(name),
                format!(
                    "unknown name `{name}`; names in scope here: {}",
                    if scope.is_empty() {
                        "none".to_string()
                    } else {
                        scope.join(", ")
                    }
                ),
            )),
            Expr::Call(name, args) => {
                let Some(function) = functions::find(name) else {
                    let known: Vec<&str> = functions::FUNCTIONS.iter().map(|f| f.name).collect();
                    return Err(self.error(
                        text,
                        locate(name),
                        format!(
                            "unknown function `{name}`; the language has: {}",
                            known.join(", ")
                        ),
                    ));
                };
                let (min, max) = function.arity;
                if args.len() < min || args.len() > max {
                    return Err(self.error(
                        text,
                        locate(name),
                        format!(
                            "`{name}` takes {min}{} argument(s), not {}",
                            if max > min {
                                format!(" to {max}")
                            } else {
                                String::new()
                            },
                            args.len()
                        ),
                    ));
                }
                let takes_lambda = functions::takes_lambda(name);
                if let (true, Some(Expr::Str(t))) =
                    (name == "table" || name == "lookup", args.first())
                    && !self.tables.contains(t)
                {
                    return Err(self.error(text, locate(t), format!("unknown table `{t}`")));
                }
                for (i, arg) in args.iter().enumerate() {
                    match arg {
                        Expr::Lambda(param, body) if takes_lambda && i == 1 => {
                            scope.push(param.clone());
                            let result = self.check(body, scope, text);
                            scope.pop();
                            result?;
                        }
                        Expr::Lambda(param, _) => {
                            return Err(self.error(
                                text,
                                locate(param),
                                format!("`{param} -> …` is only allowed as the second argument of any, all, none, count and filter"),
                            ));
                        }
                        other => self.check(other, scope, text)?,
                    }
                }
                Ok(())
            }
            Expr::Lambda(param, _) => Err(self.error(
                text,
                locate(param),
                "a `x -> …` function is only allowed as an argument".into(),
            )),
            Expr::List(items) => items.iter().try_for_each(|i| self.check(i, scope, text)),
            Expr::Field(base, _) | Expr::Spread(base) | Expr::Not(base) => {
                self.check(base, scope, text)
            }
            Expr::Index(a, b) | Expr::Binary(_, a, b) => {
                self.check(a, scope, text)?;
                self.check(b, scope, text)
            }
            _ => Ok(()),
        }
    }
}

impl Rule {
    /// The steps after the first and the report, compiled on first use;
    /// the mistake in them, if any.
    pub fn compile_rest(&self, sources: &SourceMap) -> Result<(), &Problem> {
        let body = self.body(sources)?;
        self.report(body, sources).map(|_| ())
    }

    /// `body`'s report, compiled the first time it is needed.
    fn report<'b>(&self, body: &'b Body, sources: &SourceMap) -> Result<&'b Report, &'b Problem> {
        body.report
            .get_or_init(|| match &self.pending {
                Some(pending) => {
                    let source = sources.get(self.meta.file);
                    let compiler = Compiler {
                        source: &source,
                        file: self.meta.file,
                        scope: body.scope.clone(),
                        tables: &pending.tables,
                        prepared: pending.prepared,
                    };
                    compile_report(&compiler, &pending.report, pending.fix.as_ref())
                }
                // Compiled with the steps; not reached.
                None => Err(Problem::new(Code::RuleError, "report not compiled")),
            })
            .as_ref()
    }

    fn body(&self, sources: &SourceMap) -> Result<&Body, &Problem> {
        self.body
            .get_or_init(|| match &self.pending {
                Some(pending) => compile_body(
                    &sources.get(self.meta.file),
                    self.meta.file,
                    &self.first,
                    Tail {
                        rest: &pending.rest,
                        report: &pending.report,
                        fix: pending.fix.as_ref(),
                    },
                    &pending.tables,
                    pending.prepared,
                ),
                // Compiled at load; not reached.
                None => Err(Problem::new(Code::RuleError, "rule not compiled")),
            })
            .as_ref()
    }

    /// Runs the rule over one graph.
    pub fn check(&self, ctx: &mut Context<'_>, sources: &SourceMap, out: &mut Vec<Finding>) {
        // A rule over the resources of one type finds nothing in a unit
        // without any: not run at all (most units have few types).
        if let Step::For(_, Expr::Call(f, args)) = &self.first
            && f == "resources"
            && let [Expr::Str(rtype)] = args.as_slice()
            && ctx.graph.of_type(rtype).is_empty()
        {
            return;
        }
        let mut env = Vec::new();
        self.run(0, ctx, &mut env, sources, out);
    }

    fn run<'g>(
        &self,
        step: usize,
        ctx: &mut Context<'g>,
        env: &mut Env<'g>,
        sources: &SourceMap,
        out: &mut Vec<Finding>,
    ) {
        let current = if step == 0 {
            &self.first
        } else {
            // A rule whose rest does not compile reports nothing; a test
            // compiles every built-in rule whole.
            let Ok(body) = self.body(sources) else {
                return;
            };
            let Some(current) = body.steps.get(step - 1) else {
                if let Some(finding) = self.finding(body, ctx, env, sources) {
                    out.push(finding);
                }
                return;
            };
            current
        };
        match current {
            Step::For(var, expr) => {
                let v = ctx.eval(expr, env);
                let items = match v {
                    RuleValue::List(items) => items,
                    RuleValue::Missing | RuleValue::Unknown => Vec::new(),
                    other => vec![other],
                };
                for item in items {
                    env.push((var.clone(), item));
                    self.run(step + 1, ctx, env, sources, out);
                    env.pop();
                }
            }
            Step::Let(var, expr) => {
                let v = ctx.eval(expr, env);
                env.push((var.clone(), v));
                self.run(step + 1, ctx, env, sources, out);
                env.pop();
            }
            Step::Where(expr) => {
                if ctx.truth(expr, env) == Truth::True {
                    self.run(step + 1, ctx, env, sources, out);
                }
            }
        }
    }

    fn finding<'g>(
        &self,
        body: &Body,
        ctx: &mut Context<'g>,
        env: &mut Env<'g>,
        sources: &SourceMap,
    ) -> Option<Finding> {
        let graph: &Graph = ctx.graph;
        // A finding must be provably true: every resource it involves must
        // certainly be deployed.
        let involved_exist = env.iter().all(|(_, v)| match v {
            RuleValue::Res(idx) => graph.get(*idx).exists == Truth::True,
            _ => true,
        });
        if !involved_exist {
            return None;
        }
        let resource_idx = env
            .iter()
            .rev()
            .find(|(n, _)| *n == body.resource_var)
            .and_then(|(_, v)| match v {
                RuleValue::Res(idx) => Some(*idx),
                _ => None,
            })?;
        let report = self.report(body, sources).ok()?;
        let resource = graph.get(resource_idx);
        let fallback = resource_span(graph, resource_idx);
        let at = ctx.eval(&report.at, env);
        let primary_span = spans_of(graph, &at).into_iter().next().unwrap_or(fallback);
        let message = self.render(&report.message, ctx, env);
        let label = self.render(&report.label, ctx, env);
        let severity = report
            .finding_severity
            .as_ref()
            .and_then(|t| Severity::parse(self.render(t, ctx, env).trim()))
            .unwrap_or(self.meta.severity);

        let mut related = Vec::new();
        for (expr, template) in &report.related {
            let v = ctx.eval(expr, env);
            let text = self.render(template, ctx, env);
            for span in spans_of(graph, &v) {
                if span != primary_span && !related.iter().any(|l: &Label| l.span == span) {
                    related.push(Label {
                        span,
                        text: text.clone(),
                    });
                }
            }
        }
        // A value computed from parameters or variables: show where it came from.
        for (span, text) in graph.provenance.get(&primary_span).into_iter().flatten() {
            if *span != primary_span && !related.iter().any(|l: &Label| l.span == *span) {
                related.push(Label {
                    span: *span,
                    text: text.to_string(),
                });
            }
        }
        let help = match &report.finding_help {
            Some(template) => Some(self.render(template, ctx, env)),
            None => self.meta.help.clone(),
        };
        let fix = self.fix_of(report, ctx, env);
        Some(Finding {
            rule: self.meta.id.clone(),
            name: self.meta.name.clone(),
            severity,
            message,
            primary: Label {
                span: primary_span,
                text: label,
            },
            related,
            resource: ResourceSummary {
                rtype: resource.rtype.clone(),
                name: resource.full_or_written_name(sources),
                address: resource.origin.address.clone(),
                span: Some(resource.span),
            },
            help,
            url: self.meta.links.first().cloned(),
            fingerprint: String::new(),
            unit: String::new(),
            fix,
        })
    }

    /// The rule's fix for this finding: none when the rule declares none,
    /// its `when` does not hold, the node to change has no place in the
    /// source, or either value is not a scalar.
    fn fix_of<'g>(
        &self,
        report: &Report,
        ctx: &mut Context<'g>,
        env: &mut Env<'g>,
    ) -> Option<FixSpec> {
        let fix = report.fix.as_ref()?;
        if let Some(when) = &fix.when
            && ctx.truth(when, env) != Truth::True
        {
            return None;
        }
        let (node, insert) = match ctx.eval(&fix.set, env) {
            // Written, or a Terraform default placed on the whole block
            // (`public_network_access_enabled` left out): the block may take
            // the attribute where the value is not an attribute's literal.
            RuleValue::Node { node, .. } => {
                let fallback = match (&fix.set, &fix.insert_hcl) {
                    (Expr::Field(_, key), Some(hcl)) => {
                        Some((vec![key.clone()], Some(hcl.clone()), false))
                    }
                    _ => None,
                };
                (node, fallback)
            }
            // Not written (and known not to be: a resource declared here):
            // the property is inserted into the object that would hold it.
            RuleValue::Missing => {
                // The nearest object written above it (`server.properties`
                // when `network` is not written either) takes the path.
                let mut path = Vec::new();
                let mut at = &fix.set;
                let node = loop {
                    let Expr::Field(base, key) = at else {
                        return None;
                    };
                    path.insert(0, key.clone());
                    match ctx.eval(base, env) {
                        RuleValue::Node {
                            node,
                            managed: true,
                        } if matches!(node.value, Value::Object(_)) => break node,
                        RuleValue::Missing if path.len() < 4 => at = base,
                        _ => return None,
                    }
                };
                (node, Some((path, fix.insert_hcl.clone(), true)))
            }
            _ => return None,
        };
        let target = node.span?;
        let to = match ctx.eval(&fix.to, env) {
            RuleValue::Val(v) => literal(&v)?,
            RuleValue::Node { node, .. } => literal(&node.value)?,
            _ => return None,
        };
        let current = if insert.as_ref().is_some_and(|i| i.2) {
            None
        } else {
            literal(&node.value)
        };
        let key = match &fix.key {
            Some(key) => match ctx.eval(key, env) {
                RuleValue::Val(Value::String(k)) => Some(k.into_string()),
                _ => return None,
            },
            None => None,
        };
        if current.as_ref() == Some(&to) && key.is_none() {
            return None;
        }
        let graph: &Graph = ctx.graph;
        let shared = read_elsewhere(graph, target);
        let sources = graph
            .provenance
            .get(&target)
            .into_iter()
            .flatten()
            .map(|(span, _)| *span)
            .collect();
        let sure = match &fix.safe {
            Some(safe) => ctx.truth(safe, env) == Truth::True,
            None => true,
        };
        Some(FixSpec {
            title: self.render(&fix.title, ctx, env),
            target,
            current,
            to,
            shared,
            sure,
            key,
            insert,
            sources,
        })
    }

    fn render<'g>(&self, template: &Template, ctx: &mut Context<'g>, env: &mut Env<'g>) -> String {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Hole(expr) => {
                    let v = ctx.eval(expr, env);
                    // `{leaf(r)}` or `{name(r)}` of a resource whose name is
                    // not known: the name as written, rather than `?`.
                    if matches!(v, RuleValue::Unknown)
                        && let Expr::Call(function, args) = expr
                        && matches!(function.as_str(), "leaf" | "name")
                        && let [resource] = args.as_slice()
                    {
                        match ctx.eval(resource, env) {
                            resource @ RuleValue::Res(_) => {
                                out.push_str(&ctx.display(&resource));
                                continue;
                            }
                            // An id that names no resource plinth can see:
                            // the id's expression as written.
                            RuleValue::Node { node, .. } => {
                                // The resource the id names, as written there.
                                if let Some(idx) =
                                    node.value.as_id().and_then(|id| ctx.graph.resolve(&id))
                                {
                                    out.push_str(&ctx.display(&RuleValue::Res(idx)));
                                    continue;
                                }
                                if let Some(text) = ctx.written(node) {
                                    out.push_str(&text);
                                    continue;
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push_str(&ctx.display(&v));
                }
            }
        }
        out
    }
}

/// Where a resource is best pointed at: its `name` member, else the whole declaration.
fn resource_span(graph: &Graph, idx: usize) -> Span {
    let resource = graph.get(idx);
    resource
        .body
        .get("name")
        .and_then(|n| n.span)
        .filter(|s| s.file == resource.origin.file)
        .unwrap_or(resource.span)
}

/// A scalar model value as a fix reads or writes it.
fn literal(value: &Value) -> Option<Literal> {
    match value {
        Value::Null => Some(Literal::Null),
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Number(n) if n.is_finite() => Some(Literal::Number(Value::Number(*n).display())),
        Value::String(s) => Some(Literal::String(s.to_string())),
        _ => None,
    }
}

/// The spans of every node of a resource body, walked without recursion.
fn spans_in(body: &Node) -> impl Iterator<Item = Span> + '_ {
    let mut stack = vec![body];
    std::iter::from_fn(move || {
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Array(items) => stack.extend(items),
                Value::Object(o) => stack.extend(o.iter().map(|(_, n)| n)),
                _ => {}
            }
            if let Some(span) = node.span {
                return Some(span);
            }
        }
        None
    })
}

fn spans_of(graph: &Graph, v: &RuleValue) -> Vec<Span> {
    match v {
        RuleValue::Node { node, .. } => node.span.into_iter().collect(),
        RuleValue::Res(idx) => vec![resource_span(graph, *idx)],
        RuleValue::List(items) => items.iter().flat_map(|i| spans_of(graph, i)).collect(),
        _ => Vec::new(),
    }
}

/// Whether the text at `target` is read by more than the resource flagged:
/// another instance of the same declaration (a loop), or another
/// declaration reading the same text — the fix would change more than this
/// finding.
fn read_elsewhere(graph: &Graph, target: Span) -> bool {
    // A parent that declares it inline is the same text. (The value may
    // belong to another resource than the one flagged: the zone an endpoint
    // registers in.)
    let nested =
        |a: Span, b: Span| a != b && a.file == b.file && a.start <= b.start && b.end <= a.end;
    let reading: Vec<&Resource> = graph
        .resources()
        .iter()
        .filter(|r| spans_in(&r.body).any(|s| s == target))
        .collect();
    // The deployments a reader is nested in read its text too: a Bicep
    // module's literal is read by every caller of the module.
    let enclosing = graph.resources().iter().filter(|d| {
        d.rtype
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
            && reading.iter().any(|r| {
                r.key
                    .strip_prefix(d.key.as_str())
                    .is_some_and(|rest| rest.starts_with(".properties.template."))
            })
    });
    let readers: Vec<Span> = reading
        .iter()
        .copied()
        .chain(enclosing)
        .map(|r| r.span)
        .collect();
    readers.iter().enumerate().any(|(i, a)| {
        readers[i + 1..]
            .iter()
            .any(|b| !nested(*a, *b) && !nested(*b, *a))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Rule, Problem> {
        let sources = SourceMap::new();
        let file = sources.add("custom/R.yaml".into(), text);
        let tables = HashSet::from(["private-dns-zones".to_string()]);
        load(&sources, file, &tables).map_err(|p| {
            // Every load error points into the file.
            let at = p
                .span
                .map(|s| sources.get(s.file).line_col(s.start as usize));
            Problem {
                label: at.map(|lc| format!("{}:{}", lc.line, lc.column)),
                ..p
            }
        })
    }

    const HEADER: &str = "id: X001\nname: custom-rule\nseverity: warning\ntitle: t\ndescription: d\nrationale: r\nremediation: f\n";

    fn rule_with(check: &str, report: &str) -> String {
        format!("{}check:\n{check}report:\n{report}", HEADER)
    }

    /// A rule compiled late finds the same mistakes, when it is compiled
    /// whole; its first step is still checked at load.
    #[test]
    fn a_rule_compiled_late_finds_the_mistakes_a_rule_compiled_whole_does() {
        let sources = SourceMap::new();
        let tables = HashSet::new();
        let bad_rest = rule_with(
            "  - for: s in resources('T')\n  - where: nope(s)\n",
            "  at: s\n  message: m\n",
        );
        let file = sources.add("custom/R.yaml".into(), bad_rest.as_str());
        let read = || serde_yaml::from_str::<RuleYaml>(&bad_rest).unwrap();
        let whole = compile(&sources, file, read(), &tables).unwrap_err();
        let late = compile_lazily(&sources, file, read(), &tables, |_| None).unwrap();
        let found = late.compile_rest(&sources).unwrap_err();
        assert!(
            found.message.contains("unknown function `nope`"),
            "{found:?}"
        );
        assert_eq!(found.message, whole.message);
        assert_eq!(found.span, whole.span);

        let bad_first = rule_with("  - for: s in nope()\n", "  at: s\n  message: m\n");
        let file = sources.add("custom/S.yaml".into(), bad_first.as_str());
        let read = serde_yaml::from_str::<RuleYaml>(&bad_first).unwrap();
        let at_load = compile_lazily(&sources, file, read, &tables, |_| None).unwrap_err();
        assert!(at_load.message.contains("unknown function `nope`"));
    }

    #[test]
    fn a_valid_user_rule_loads() {
        let text = rule_with(
            "  - for: s in resources('Microsoft.DBforPostgreSQL/flexibleServers')\n  - where: s.properties.authConfig.activeDirectoryAuth != 'Enabled'\n",
            "  at: s.properties.authConfig ?? s\n  message: \"server {leaf(s)} has Entra auth off\"\n",
        );
        let rule = load_text(&text).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(rule.meta.id, "X001");
    }

    #[test]
    fn errors_carry_line_and_column() {
        let unknown_name = rule_with(
            "  - for: s in resources('T')\n  - where: exists(server.properties)\n",
            "  at: s\n  message: m\n",
        );
        let err = load_text(&unknown_name).unwrap_err();
        assert!(
            err.message.contains("unknown name `server`"),
            "{}",
            err.message
        );
        assert_eq!(err.label.as_deref(), Some("10:19"));

        let bad_function = rule_with("  - for: s in resourcez('T')\n", "  at: s\n  message: m\n");
        let err = load_text(&bad_function).unwrap_err();
        assert!(
            err.message.contains("unknown function `resourcez`"),
            "{}",
            err.message
        );
        assert_eq!(err.label.as_deref(), Some("9:15"));

        let unknown_key = format!("{HEADER}checks: []\n");
        let err = load_text(&unknown_key).unwrap_err();
        assert!(
            err.message.contains("unknown field `checks`"),
            "{}",
            err.message
        );
        assert_eq!(err.label.as_deref(), Some("8:1"));

        let syntax = rule_with("  - where: (a\n", "  at: s\n  message: m\n");
        assert!(
            load_text(&syntax)
                .unwrap_err()
                .message
                .contains("syntax error")
        );
    }
}
