//! Bicep syntax → the ARM template `bicep build` would emit (languageVersion
//! 2.0: resources keyed by symbolic name), as span-keeping JSON whose every
//! node points at the Bicep source it came from. The ARM front-end then
//! evaluates it like any template: one evaluator, one set of rules.
//!
//! Expressions become ARM expression text: `p` → `parameters('p')`,
//! `'a${x}'` → `format('a{0}', …)`, `a == b` → `equals(a, b)`, `r.id` →
//! `resourceId(type, names…)`, `r.properties.x` → `reference('r').x`,
//! `m.outputs.x` → `reference('m').outputs.x.value`. A resource or property
//! loop becomes a `copy`, a loop elsewhere `map()` over a `range()`. What
//! Bicep has and ARM cannot say from the template alone (a registry module,
//! `loadTextContent`, an imported name) becomes `plinthUnknown()`, which the
//! evaluator does not know: unknown, never guessed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::bicep::lexer::SyntaxError;
use crate::bicep::parser;
use crate::bicep::tree::{Decl, DeclKind, Expr, ExprKind, Interp, Item, Prop};
use crate::diagnostic::Problem;
use crate::json::{J, JKind, Member};
use crate::source::{FileId, SourceMap, Span};

/// Modules nested deeper than this are not read (a cycle, or hostile input).
const MAX_MODULE_DEPTH: usize = 16;

const UNKNOWN: &str = "plinthUnknown()";

/// One loaded Bicep file, lowered.
pub struct Lowered {
    pub template: J,
    /// Module files read on the way.
    pub files: Vec<FileId>,
    pub problems: Vec<Problem>,
}

/// What a resource symbol stands for.
#[derive(Clone)]
struct Resource<'d> {
    /// The symbolic name the template keys it by (`vnet`, `vnet::snet`).
    symbolic: String,
    /// `existing`: declared elsewhere, only named here.
    existing: bool,
    rtype: String,
    api: String,
    /// Parent symbol (`parent:` or nesting).
    parent: Option<String>,
    /// The `name` property as written, and the bindings it sees.
    name: Option<&'d Expr>,
    /// A resource loop: its item and index names and its source.
    looped: Option<Loop<'d>>,
    /// `scope: resourceGroup('rg')` of an existing resource.
    group: Option<String>,
}

#[derive(Clone)]
struct Loop<'d> {
    item: Option<String>,
    index: Option<String>,
    source: &'d Expr,
}

#[derive(Clone)]
enum Symbol<'d> {
    Param,
    Var,
    Func,
    Resource(Box<Resource<'d>>),
    Module {
        looped: bool,
        name: Option<&'d Expr>,
    },
}

/// Names bound by loops, lambdas and function parameters, innermost last.
type Env = Vec<(String, String)>;

pub struct Lowerer<'a> {
    sources: &'a SourceMap,
    /// Files being lowered, outermost first (cycle guard).
    stack: Vec<PathBuf>,
    files: Vec<FileId>,
    problems: Vec<Problem>,
}

struct File<'d> {
    path: PathBuf,
    symbols: HashMap<String, Symbol<'d>>,
    /// Counter for lambda variable names of loops in expressions.
    fresh: std::cell::Cell<usize>,
}

/// Parses and lowers the Bicep file at `path` (already registered as `file`).
pub fn lower(sources: &SourceMap, path: &Path, file: FileId) -> Result<Lowered, Problem> {
    let mut lowerer = Lowerer {
        sources,
        stack: Vec::new(),
        files: Vec::new(),
        problems: Vec::new(),
    };
    let template = lowerer.file(path, file)?;
    Ok(Lowered {
        template,
        files: lowerer.files,
        problems: lowerer.problems,
    })
}

/// A parse error as a problem at its place in the file.
pub fn parse_problem(path: &Path, file: FileId, len: usize, e: &SyntaxError) -> Problem {
    let end = e.end.max(e.start + 1).min(len).max(e.start.min(len));
    let span = Span::new(file, e.start.min(len), end);
    Problem::new("parse-error", format!("invalid Bicep: {}", e.message))
        .at(path, Some(span))
        .with_label(e.message.clone())
}

fn j(kind: JKind, span: Span) -> J {
    J { kind, span }
}

fn member(key: &str, value: J, span: Span) -> Member {
    Member {
        key: key.to_string(),
        span,
        value,
    }
}

fn string(s: impl Into<String>, span: Span) -> J {
    j(JKind::String(s.into()), span)
}

fn expression(text: String, span: Span) -> J {
    string(format!("[{text}]"), span)
}

/// An ARM string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `type@version` → (type, version).
fn split_type(s: &str) -> (String, String) {
    match s.split_once('@') {
        Some((t, v)) => (t.to_string(), v.to_string()),
        None => (s.to_string(), String::new()),
    }
}

fn pair<'e>(props: &'e [Prop], key: &str) -> Option<(&'e Expr, Span)> {
    props.iter().find_map(|p| match p {
        Prop::Pair {
            key: k,
            value,
            span,
        } if k.eq_ignore_ascii_case(key) => Some((value, *span)),
        _ => None,
    })
}

/// A resource or module body: its object, its condition, its loop.
fn unwrap_body(body: &Expr) -> (Option<&Expr>, Option<Loop<'_>>, Option<&Expr>) {
    match &body.kind {
        ExprKind::For {
            item,
            index,
            source,
            body,
        } => {
            let looped = Some(Loop {
                item: item.clone(),
                index: index.clone(),
                source,
            });
            match &body.kind {
                ExprKind::If(condition, object) => (Some(object), looped, Some(condition)),
                _ => (Some(body), looped, None),
            }
        }
        ExprKind::If(condition, object) => (Some(object), None, Some(condition)),
        _ => (Some(body), None, None),
    }
}

fn props(body: Option<&Expr>) -> &[Prop] {
    match body.map(|b| &b.kind) {
        Some(ExprKind::Object(props)) => props,
        _ => &[],
    }
}

impl<'a> Lowerer<'a> {
    fn file(&mut self, path: &Path, id: FileId) -> Result<J, Problem> {
        let source = self.sources.get(id);
        let decls = parser::parse(id, &source.text)
            .map_err(|e| parse_problem(path, id, source.text.len(), &e))?;
        self.stack.push(path.to_path_buf());
        let template = self.template(path, id, &decls);
        self.stack.pop();
        Ok(template)
    }

    fn template(&mut self, path: &Path, id: FileId, decls: &[Decl]) -> J {
        let whole = Span::new(id, 0, 0);
        let mut file = File {
            path: path.to_path_buf(),
            symbols: HashMap::new(),
            fresh: std::cell::Cell::new(0),
        };
        for decl in decls {
            collect(&mut file.symbols, decl, None);
        }
        let mut parameters = Vec::new();
        let mut variables = Vec::new();
        let mut variable_copies = Vec::new();
        let mut functions = Vec::new();
        let mut resources = Vec::new();
        let mut outputs = Vec::new();
        for decl in decls {
            let span = decl.span;
            match &decl.kind {
                DeclKind::Param { nullable, default } => {
                    let mut p = vec![member("type", string("any", span), span)];
                    if *nullable {
                        p.push(member("nullable", j(JKind::Bool(true), span), span));
                    }
                    if let Some(d) = default {
                        p.push(member("defaultValue", file.value(d, &Vec::new()), d.span));
                    }
                    parameters.push(member(&decl.name, j(JKind::Object(p), span), span));
                }
                DeclKind::Var(value) => match file.property_loop(&decl.name, value, &Vec::new()) {
                    Some(copy) => variable_copies.push(copy),
                    None => {
                        variables.push(member(&decl.name, file.value(value, &Vec::new()), span))
                    }
                },
                DeclKind::Output(value) => {
                    let body = vec![
                        member("type", string("any", span), span),
                        member("value", file.value(value, &Vec::new()), value.span),
                    ];
                    outputs.push(member(&decl.name, j(JKind::Object(body), span), span));
                }
                DeclKind::Func { params, body } => {
                    let env: Env = params
                        .iter()
                        .map(|p| (p.clone(), format!("parameters({})", quote(p))))
                        .collect();
                    let declared = params
                        .iter()
                        .map(|p| {
                            j(
                                JKind::Object(vec![
                                    member("name", string(p.clone(), span), span),
                                    member("type", string("any", span), span),
                                ]),
                                span,
                            )
                        })
                        .collect();
                    let output = vec![
                        member("type", string("any", span), span),
                        member(
                            "value",
                            expression(file.expr(body, &env), body.span),
                            body.span,
                        ),
                    ];
                    let f = vec![
                        member("parameters", j(JKind::Array(declared), span), span),
                        member("output", j(JKind::Object(output), span), span),
                    ];
                    functions.push(member(&decl.name, j(JKind::Object(f), span), span));
                }
                DeclKind::Resource { .. } => {
                    self.resource(&file, decl, None, None, &mut resources);
                }
                DeclKind::Module { path, body } => {
                    let lowered = self.module(&file, decl, path, body);
                    resources.push(member(&decl.name, lowered, span));
                }
                DeclKind::TargetScope(_) | DeclKind::Using(_) | DeclKind::Other => {}
            }
        }
        if !variable_copies.is_empty() {
            variables.push(member(
                "copy",
                j(JKind::Array(variable_copies), whole),
                whole,
            ));
        }
        let mut root = vec![
            member(
                "$schema",
                string(
                    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    whole,
                ),
                whole,
            ),
            member("languageVersion", string("2.0", whole), whole),
            member("contentVersion", string("1.0.0.0", whole), whole),
            member("parameters", j(JKind::Object(parameters), whole), whole),
            member("variables", j(JKind::Object(variables), whole), whole),
            member("resources", j(JKind::Object(resources), whole), whole),
            member("outputs", j(JKind::Object(outputs), whole), whole),
        ];
        if !functions.is_empty() {
            let namespace = j(
                JKind::Object(vec![
                    member("namespace", string("__bicep", whole), whole),
                    member("members", j(JKind::Object(functions), whole), whole),
                ]),
                whole,
            );
            root.push(member(
                "functions",
                j(JKind::Array(vec![namespace]), whole),
                whole,
            ));
        }
        j(JKind::Object(root), whole)
    }

    /// A resource declaration (and its nested children) as template resources.
    /// `inherited` is the condition (ARM expression text) under which the
    /// enclosing parent is deployed: a nested child is deployed only with it.
    fn resource(
        &mut self,
        file: &File,
        decl: &Decl,
        parent: Option<&str>,
        inherited: Option<&str>,
        out: &mut Vec<Member>,
    ) {
        let DeclKind::Resource { existing, body, .. } = &decl.kind else {
            return;
        };
        let symbolic = match parent {
            Some(p) => format!("{p}::{}", decl.name),
            None => decl.name.clone(),
        };
        let Some(Symbol::Resource(info)) = file.symbols.get(&symbolic) else {
            return;
        };
        let (object, looped, condition) = unwrap_body(body);
        let mut env: Env = Vec::new();
        if let Some(l) = &looped {
            bind_loop(
                &mut env,
                l,
                file.expr(l.source, &Vec::new()),
                "copyIndex()".into(),
            );
        }
        let span = decl.span;
        let mut members = vec![
            member(
                "type",
                string(info.rtype.clone(), decl.name_span),
                decl.name_span,
            ),
            member(
                "apiVersion",
                string(info.api.clone(), decl.name_span),
                decl.name_span,
            ),
        ];
        if *existing {
            members.push(member("existing", j(JKind::Bool(true), span), span));
        }
        let own = condition.map(|c| file.expr(c, &env));
        let deployed_if = match (inherited, own.as_deref()) {
            (Some(p), Some(c)) => Some(format!("and({p}, {c})")),
            (Some(p), None) => Some(p.to_string()),
            (None, Some(c)) => Some(c.to_string()),
            (None, None) => None,
        };
        if let Some(text) = &deployed_if {
            let at = condition.map_or(span, |c| c.span);
            members.push(member("condition", expression(text.clone(), at), at));
        }
        // A child nested in a loop's body exists once per instance: which
        // of them, and how many, is not followed.
        let for_children = if looped.is_some() {
            Some(UNKNOWN.to_string())
        } else {
            deployed_if.clone()
        };
        if let Some(l) = &looped {
            let source = file.expr(l.source, &Vec::new());
            let copy = vec![
                member("name", string(symbolic.clone(), span), span),
                member(
                    "count",
                    expression(format!("length({source})"), l.source.span),
                    l.source.span,
                ),
            ];
            members.push(member("copy", j(JKind::Object(copy), span), span));
        }
        let props = props(object);
        let name_span = pair(props, "name").map_or(span, |(_, s)| s);
        members.push(member(
            "name",
            expression(file.full_name(info, &env), name_span),
            name_span,
        ));
        for p in props {
            match p {
                Prop::Pair { key, value, span } => match key.to_ascii_lowercase().as_str() {
                    "name" | "parent" | "dependson" => {}
                    "scope" => {
                        if let Some(scope) = file.relative_scope(value, &env) {
                            members.push(member("scope", expression(scope, *span), *span));
                        }
                    }
                    _ => members.push(member(key, file.value(value, &env), *span)),
                },
                Prop::Resource(child) => {
                    self.resource(file, child, Some(&symbolic), for_children.as_deref(), out)
                }
                Prop::Spread(_) | Prop::Computed { .. } => {}
            }
        }
        out.push(member(&symbolic, j(JKind::Object(members), span), span));
    }

    /// A module as a nested deployment whose inline template is the module
    /// file, lowered; a registry module has none (its resources are unseen).
    fn module(&mut self, file: &File, decl: &Decl, path: &str, body: &Expr) -> J {
        let span = decl.span;
        let (object, looped, condition) = unwrap_body(body);
        let mut env: Env = Vec::new();
        if let Some(l) = &looped {
            bind_loop(
                &mut env,
                l,
                file.expr(l.source, &Vec::new()),
                "copyIndex()".into(),
            );
        }
        let props = props(object);
        let mut members = vec![
            member(
                "type",
                string("Microsoft.Resources/deployments", span),
                span,
            ),
            member("apiVersion", string("2022-09-01", span), span),
        ];
        let name = match pair(props, "name") {
            Some((n, s)) => (file.expr(n, &env), s),
            // Bicep names an unnamed module from the deployment's own name
            // (a uniqueString of deployment values): unknown offline.
            None => (UNKNOWN.to_string(), span),
        };
        members.push(member("name", expression(name.0, name.1), name.1));
        if let Some(c) = condition {
            members.push(member("condition", file.value(c, &env), c.span));
        }
        if let Some(l) = &looped {
            let source = file.expr(l.source, &Vec::new());
            let copy = vec![
                member("name", string(decl.name.clone(), span), span),
                member(
                    "count",
                    expression(format!("length({source})"), l.source.span),
                    l.source.span,
                ),
            ];
            members.push(member("copy", j(JKind::Object(copy), span), span));
        }
        // `scope: resourceGroup('rg')` / `subscription('id')`: where the
        // module deploys, as a nested deployment says it.
        if let Some((scope, scope_span)) = pair(props, "scope")
            && let ExprKind::Call(_, f, args) = &scope.kind
        {
            match (f.to_ascii_lowercase().as_str(), args.as_slice()) {
                ("resourcegroup", [rg]) => {
                    members.push(member("resourceGroup", file.value(rg, &env), scope_span))
                }
                ("resourcegroup", [sub, rg]) => {
                    members.push(member("subscriptionId", file.value(sub, &env), scope_span));
                    members.push(member("resourceGroup", file.value(rg, &env), scope_span));
                }
                ("subscription", [sub]) => {
                    members.push(member("subscriptionId", file.value(sub, &env), scope_span))
                }
                _ => {}
            }
        }
        let mut properties = vec![
            member(
                "expressionEvaluationOptions",
                j(
                    JKind::Object(vec![member("scope", string("inner", span), span)]),
                    span,
                ),
                span,
            ),
            member("mode", string("Incremental", span), span),
        ];
        let mut parameters = Vec::new();
        if let Some((ExprKind::Object(params), _)) =
            pair(props, "params").map(|(e, s)| (&e.kind, s))
        {
            for p in params {
                if let Prop::Pair { key, value, span } = p {
                    let v = j(
                        JKind::Object(vec![member("value", file.value(value, &env), value.span)]),
                        *span,
                    );
                    parameters.push(member(key, v, *span));
                }
            }
        }
        properties.push(member(
            "parameters",
            j(JKind::Object(parameters), span),
            span,
        ));
        if let Some(template) = self.module_template(file, path, span) {
            properties.push(member("template", template, span));
        }
        members.push(member(
            "properties",
            j(JKind::Object(properties), span),
            span,
        ));
        j(JKind::Object(members), span)
    }

    fn module_template(&mut self, file: &File, path: &str, span: Span) -> Option<J> {
        if path.starts_with("br:")
            || path.starts_with("br/")
            || path.starts_with("ts:")
            || path.starts_with("ts/")
        {
            // Not fetched: the deployment has no template, and the unit
            // records it as a place plinth cannot see (--show-unknown).
            return None;
        }
        let target =
            crate::paths::normalize(&file.path.parent().unwrap_or(Path::new(".")).join(path));
        let is_json = target.extension().is_some_and(|e| e == "json");
        if self.stack.len() >= MAX_MODULE_DEPTH || self.stack.iter().any(|p| same_file(p, &target))
        {
            self.problems.push(
                Problem::new(
                    "module-error",
                    format!("module `{path}` is nested too deep or includes itself: not read"),
                )
                .at(&file.path, Some(span)),
            );
            return None;
        }
        let id = match self.sources.load(&target) {
            Ok(id) => id,
            Err(err) => {
                self.problems
                    .push(err.problem(&target, "module", (&file.path, Some(span))));
                return None;
            }
        };
        self.files.push(id);
        if is_json {
            // A compiled ARM template used as a module.
            let source = self.sources.get(id);
            return crate::json::parse(id, &source.text, 512).ok().flatten();
        }
        match self.file(&target, id) {
            Ok(template) => Some(template),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Binds a loop's item and index names for expressions inside it.
fn bind_loop(env: &mut Env, l: &Loop, source: String, index: String) {
    if let Some(item) = &l.item {
        env.push((item.clone(), format!("{source}[{index}]")));
    }
    if let Some(i) = &l.index {
        env.push((i.clone(), index));
    }
}

/// Registers the symbols a declaration introduces (resources with their
/// nested children, as `parent::child`).
fn collect<'d>(
    symbols: &mut HashMap<String, Symbol<'d>>,
    decl: &'d Decl,
    parent: Option<(&str, &Resource<'d>)>,
) {
    match &decl.kind {
        DeclKind::Param { .. } => {
            symbols.insert(decl.name.clone(), Symbol::Param);
        }
        DeclKind::Var(_) => {
            symbols.insert(decl.name.clone(), Symbol::Var);
        }
        DeclKind::Func { .. } => {
            symbols.insert(decl.name.clone(), Symbol::Func);
        }
        DeclKind::Module { body, .. } => {
            let (object, looped, _) = unwrap_body(body);
            symbols.insert(
                decl.name.clone(),
                Symbol::Module {
                    looped: looped.is_some(),
                    name: pair(props(object), "name").map(|(e, _)| e),
                },
            );
        }
        DeclKind::Resource {
            type_string,
            body,
            existing,
        } => {
            let (object, looped, _) = unwrap_body(body);
            let props = props(object);
            let (mut rtype, mut api) = split_type(type_string);
            let symbolic = match parent {
                Some((p, _)) => format!("{p}::{}", decl.name),
                None => decl.name.clone(),
            };
            let mut parent_symbol = parent.map(|(p, _)| p.to_string());
            if let Some((_, p)) = parent {
                // A nested child's type is relative to its parent's.
                if !rtype.contains('.') {
                    rtype = format!("{}/{rtype}", p.rtype);
                }
                if api.is_empty() {
                    api = p.api.clone();
                }
            }
            if let Some((ExprKind::Ident(p), _)) = pair(props, "parent").map(|(e, s)| (&e.kind, s))
            {
                parent_symbol = Some(p.clone());
            }
            let group = match pair(props, "scope").map(|(e, _)| &e.kind) {
                Some(ExprKind::Call(_, f, args)) if f.eq_ignore_ascii_case("resourceGroup") => {
                    match args.as_slice() {
                        [
                            Expr {
                                kind: ExprKind::Str(parts),
                                ..
                            },
                        ]
                        | [
                            _,
                            Expr {
                                kind: ExprKind::Str(parts),
                                ..
                            },
                        ] => match parts.as_slice() {
                            [Interp::Text(t)] => Some(t.clone()),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            };
            let info = Resource {
                symbolic: symbolic.clone(),
                existing: *existing,
                rtype,
                api,
                parent: parent_symbol,
                name: pair(props, "name").map(|(e, _)| e),
                looped,
                group,
            };
            for p in props {
                if let Prop::Resource(child) = p {
                    collect(symbols, child, Some((&symbolic, &info)));
                }
            }
            symbols.insert(symbolic, Symbol::Resource(Box::new(info)));
        }
        DeclKind::Output(_) | DeclKind::TargetScope(_) | DeclKind::Using(_) | DeclKind::Other => {}
    }
}

impl<'d> File<'d> {
    fn resource(&self, symbolic: &str) -> Option<&Resource<'d>> {
        match self.symbols.get(symbolic) {
            Some(Symbol::Resource(r)) => Some(r),
            _ => None,
        }
    }

    /// The name segments of a resource (one per type segment after the
    /// namespace), each ARM expression text; `index` picks a loop instance.
    fn segments(
        &self,
        r: &Resource<'d>,
        index: Option<&str>,
        env: &Env,
        depth: usize,
    ) -> Vec<String> {
        let mut env = env.clone();
        if let (Some(l), Some(i)) = (&r.looped, index) {
            bind_loop(&mut env, l, self.expr(l.source, &Vec::new()), i.to_string());
        }
        let own = r
            .name
            .map_or_else(|| UNKNOWN.to_string(), |n| self.expr(n, &env));
        let count = r.rtype.split('/').count().saturating_sub(1);
        let parent = r
            .parent
            .as_deref()
            .and_then(|p| self.resource(p))
            .filter(|_| depth < 16);
        match parent {
            Some(p) => {
                // The parent of a looped child is one instance: not followed.
                let mut segments = if p.looped.is_some() {
                    vec![UNKNOWN.to_string(); count.saturating_sub(1)]
                } else {
                    self.segments(p, None, &Vec::new(), depth + 1)
                };
                segments.push(own);
                segments
            }
            None if count <= 1 => vec![own],
            None => (0..count)
                .map(|k| format!("split({own}, '/')[{k}]"))
                .collect(),
        }
    }

    /// The resource's full name, `parent/child`, as ARM expression text.
    fn full_name(&self, r: &Resource<'d>, env: &Env) -> String {
        // The resource's own name sees `env` (its loop bindings); its
        // parents' names do not.
        let segments = self.segments(r, None, env, 0);
        if segments.len() == 1 {
            return segments.into_iter().next().unwrap_or_default();
        }
        let holes: Vec<String> = (0..segments.len()).map(|i| format!("{{{i}}}")).collect();
        format!(
            "format({}, {})",
            quote(&holes.join("/")),
            segments.join(", ")
        )
    }

    fn resource_id(&self, r: &Resource<'d>, index: Option<&str>, env: &Env) -> String {
        let segments = self.segments(r, index, env, 0);
        let group = r
            .group
            .as_ref()
            .map(|g| format!("{}, ", quote(g)))
            .unwrap_or_default();
        let id = format!(
            "resourceId({group}{}, {})",
            quote(&r.rtype),
            segments.join(", ")
        );
        // A resource declared here: the id is tied to the declaration, so the
        // reference links even when the name is not known.
        let key = match (&r.looped, index) {
            _ if r.existing => return id,
            (None, _) => quote(&format!("resources.{}", r.symbolic)),
            (Some(_), Some(i)) => {
                format!(
                    "format({}, {i})",
                    quote(&format!("resources.{}[{{0}}]", r.symbolic))
                )
            }
            (Some(_), None) => return id,
        };
        format!("plinthResourceId({key}, {id})")
    }

    /// `scope: zone` on an extension resource: the path Bicep writes,
    /// `Microsoft.Network/privateDnsZones/NAME`.
    fn relative_scope(&self, value: &Expr, env: &Env) -> Option<String> {
        let ExprKind::Ident(name) = &value.kind else {
            return None;
        };
        let r = self.resource(name)?;
        let segments = self.segments(r, None, env, 0);
        let mut types = r.rtype.split('/');
        let namespace = types.next()?;
        let mut path = namespace.to_string();
        let mut args = Vec::new();
        for (k, t) in types.enumerate() {
            path.push_str(&format!("/{t}/{{{k}}}"));
            args.push(
                segments
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| UNKNOWN.to_string()),
            );
        }
        Some(format!("format({}, {})", quote(&path), args.join(", ")))
    }

    /// `[for … in source: body]` as a property `copy` (or variable `copy`)
    /// entry named `name`; `None` for anything else, or a filtered loop.
    fn property_loop(&self, name: &str, value: &Expr, env: &Env) -> Option<J> {
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
            format!("copyIndex({})", quote(name)),
        );
        let span = value.span;
        Some(j(
            JKind::Object(vec![
                member("name", string(name, span), span),
                member(
                    "count",
                    expression(format!("length({source_text})"), source.span),
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
    fn value(&self, e: &Expr, env: &Env) -> J {
        let span = e.span;
        match &e.kind {
            ExprKind::Null => j(JKind::Null, span),
            ExprKind::Bool(b) => j(JKind::Bool(*b), span),
            ExprKind::Int(n) => j(JKind::Number(*n as f64), span),
            ExprKind::Str(parts) => match parts.as_slice() {
                [Interp::Text(t)] => {
                    // A literal that looks like an expression is escaped.
                    let t = if t.starts_with('[') {
                        format!("[{t}")
                    } else {
                        t.clone()
                    };
                    string(t, span)
                }
                _ => expression(self.expr(e, env), span),
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
                                    format!("[{key}")
                                } else {
                                    key.clone()
                                };
                                members.push(member(&key, self.value(value, env), *span))
                            }
                        }
                    }
                }
                if !copies.is_empty() {
                    members.push(member("copy", j(JKind::Array(copies), span), span));
                }
                j(JKind::Object(members), span)
            }
            ExprKind::Array(items) if items.iter().all(|i| matches!(i, Item::Value(_))) => j(
                JKind::Array(
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
            _ => expression(self.expr(e, env), span),
        }
    }

    /// An expression as ARM expression text.
    fn expr(&self, e: &Expr, env: &Env) -> String {
        match &e.kind {
            ExprKind::Null => "null()".into(),
            ExprKind::Bool(b) => format!("{b}()"),
            ExprKind::Int(n) if *n < 0 => format!("int('{n}')"),
            ExprKind::Int(n) => n.to_string(),
            ExprKind::Str(parts) => {
                let mut text = String::new();
                let mut args = Vec::new();
                for part in parts {
                    match part {
                        Interp::Text(t) => text.push_str(&t.replace('{', "{{").replace('}', "}}")),
                        Interp::Expr(x) => {
                            text.push_str(&format!("{{{}}}", args.len()));
                            args.push(self.expr(x, env));
                        }
                    }
                }
                if args.is_empty() {
                    let plain: String = parts
                        .iter()
                        .map(|p| match p {
                            Interp::Text(t) => t.as_str(),
                            Interp::Expr(_) => "",
                        })
                        .collect();
                    quote(&plain)
                } else {
                    format!("format({}, {})", quote(&text), args.join(", "))
                }
            }
            ExprKind::Array(items) => {
                let plain = items.iter().all(|i| matches!(i, Item::Value(_)));
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Item::Value(v) if plain => self.expr(v, env),
                        Item::Value(v) => format!("createArray({})", self.expr(v, env)),
                        Item::Spread(s) => self.expr(s, env),
                    })
                    .collect();
                if plain {
                    format!("createArray({})", parts.join(", "))
                } else {
                    format!("flatten(createArray({}))", parts.join(", "))
                }
            }
            ExprKind::Object(props) => {
                let mut groups: Vec<String> = Vec::new();
                let mut current: Vec<String> = Vec::new();
                for p in props {
                    match p {
                        Prop::Pair { key, value, .. } => {
                            current.push(quote(key));
                            current.push(self.expr(value, env));
                        }
                        Prop::Computed { key, value, .. } => {
                            current.push(self.expr(key, env));
                            current.push(self.expr(value, env));
                        }
                        Prop::Spread(s) => {
                            if !current.is_empty() {
                                groups.push(format!("createObject({})", current.join(", ")));
                                current.clear();
                            }
                            groups.push(self.expr(s, env));
                        }
                        Prop::Resource(_) => {}
                    }
                }
                let last = format!("createObject({})", current.join(", "));
                if groups.is_empty() {
                    return last;
                }
                if !current.is_empty() {
                    groups.push(last);
                }
                format!("shallowMerge(createArray({}))", groups.join(", "))
            }
            ExprKind::Ident(name) => self.ident(name, env),
            ExprKind::Member(target, name, safe) => self.member(target, name, *safe, env),
            ExprKind::Index(target, index, safe) => {
                // `r[i].id`, `m[i].outputs` are handled by member(); a bare
                // index into a looped resource is its id.
                if let ExprKind::Ident(sym) = &target.kind
                    && let Some(r) = self.resource(sym)
                {
                    return self.resource_id(r, Some(&self.expr(index, env)), env);
                }
                let t = self.expr(target, env);
                let i = self.expr(index, env);
                if *safe {
                    format!("tryGet({t}, {i})")
                } else {
                    format!("{t}[{i}]")
                }
            }
            ExprKind::Call(target, name, args) => self.call(target.as_deref(), name, args, env),
            ExprKind::Unary(op, x) => {
                let x = self.expr(x, env);
                if *op == "!" {
                    format!("not({x})")
                } else {
                    format!("sub(0, {x})")
                }
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a, env), self.expr(b, env));
                match *op {
                    "==" => format!("equals({a}, {b})"),
                    "!=" => format!("not(equals({a}, {b}))"),
                    "=~" => format!("equals(toLower({a}), toLower({b}))"),
                    "!~" => format!("not(equals(toLower({a}), toLower({b})))"),
                    "<" => format!("less({a}, {b})"),
                    "<=" => format!("lessOrEquals({a}, {b})"),
                    ">" => format!("greater({a}, {b})"),
                    ">=" => format!("greaterOrEquals({a}, {b})"),
                    "&&" => format!("and({a}, {b})"),
                    "||" => format!("or({a}, {b})"),
                    "+" => format!("add({a}, {b})"),
                    "-" => format!("sub({a}, {b})"),
                    "*" => format!("mul({a}, {b})"),
                    "/" => format!("div({a}, {b})"),
                    "%" => format!("mod({a}, {b})"),
                    "??" => format!("coalesce({a}, {b})"),
                    _ => UNKNOWN.into(),
                }
            }
            ExprKind::Ternary(c, a, b) => format!(
                "if({}, {}, {})",
                self.expr(c, env),
                self.expr(a, env),
                self.expr(b, env)
            ),
            ExprKind::Lambda(params, body) => {
                let mut inner = env.clone();
                for p in params {
                    inner.push((p.clone(), format!("lambdaVariables({})", quote(p))));
                }
                let names: Vec<String> = params.iter().map(|p| quote(p)).collect();
                format!("lambda({}, {})", names.join(", "), self.expr(body, &inner))
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
                let i = format!("lambdaVariables({})", quote(&var));
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
                let range = format!("range(0, length({source_text}))");
                match &body.kind {
                    ExprKind::If(c, b) => format!(
                        "map(filter({range}, lambda({q}, {})), lambda({q}, {}))",
                        self.expr(c, &inner),
                        self.expr(b, &inner),
                        q = quote(&var)
                    ),
                    _ => format!(
                        "map({range}, lambda({}, {}))",
                        quote(&var),
                        self.expr(body, &inner)
                    ),
                }
            }
            ExprKind::If(..) => UNKNOWN.into(),
            ExprKind::NonNull(x) => self.expr(x, env),
        }
    }

    fn ident(&self, name: &str, env: &Env) -> String {
        if let Some((_, text)) = env.iter().rev().find(|(n, _)| n == name) {
            return text.clone();
        }
        match self.symbols.get(name) {
            Some(Symbol::Param) => format!("parameters({})", quote(name)),
            Some(Symbol::Var) => format!("variables({})", quote(name)),
            // A resource used as a value (a `scope:`, a resource parameter): its id.
            Some(Symbol::Resource(r)) => self.resource_id(r, None, env),
            _ => UNKNOWN.into(),
        }
    }

    /// `target.name`: resource and module properties first.
    fn member(&self, target: &Expr, name: &str, safe: bool, env: &Env) -> String {
        // `parent::child`
        if let Some(symbolic) = nested_symbol(target) {
            let full = format!("{symbolic}::{name}");
            if self.resource(&full).is_some() {
                return self.ident(&full, env);
            }
        }
        let (symbol, index) = match &target.kind {
            ExprKind::Ident(s) => (Some(s.clone()), None),
            ExprKind::Index(t, i, _) => match &t.kind {
                ExprKind::Ident(s) => (Some(s.clone()), Some(self.expr(i, env))),
                _ => (None, None),
            },
            _ => (nested_symbol(target).filter(|s| s.contains("::")), None),
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
                    (None, false) => format!("reference({})", quote(s)),
                    (None, true) => format!("reference({}, {}, 'Full')", quote(s), quote(&r.api)),
                };
                return match name {
                    "id" => self.resource_id(&r, index.as_deref(), env),
                    "name" => match (&index, r.looped.as_ref()) {
                        (Some(i), Some(_)) => self
                            .segments(&r, Some(i), env, 0)
                            .pop()
                            .unwrap_or_else(|| UNKNOWN.into()),
                        _ => r.name.map_or_else(|| UNKNOWN.into(), |n| self.expr(n, env)),
                    },
                    "type" => quote(&r.rtype),
                    "apiVersion" => quote(&r.api),
                    "properties" => reference(false),
                    _ => format!("{}.{name}", reference(true)),
                };
            }
            if let Some(Symbol::Module {
                looped,
                name: deployment_name,
            }) = self.symbols.get(s)
            {
                return match name {
                    "outputs" => match (&index, looped) {
                        (Some(i), true) => format!(
                            "reference(format({}, {i})).outputs",
                            quote(&format!("{s}[{{0}}]"))
                        ),
                        _ => format!("reference({}).outputs", quote(s)),
                    },
                    "name" => deployment_name.map_or_else(|| UNKNOWN.into(), |n| self.expr(n, env)),
                    _ => UNKNOWN.into(),
                };
            }
        }
        // `m.outputs.x` reads the output's value.
        if let ExprKind::Member(inner, outputs, _) = &target.kind
            && outputs == "outputs"
            && self.is_module(inner)
        {
            return format!("{}.{name}.value", self.expr(target, env));
        }
        let t = self.expr(target, env);
        if safe {
            format!("tryGet({t}, {})", quote(name))
        } else if is_identifier(name) {
            format!("{t}.{name}")
        } else {
            format!("{t}[{}]", quote(name))
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

    fn call(&self, target: Option<&Expr>, name: &str, args: &[Expr], env: &Env) -> String {
        if let Some(t) = target {
            // `sys.f()`, `az.f()`: the built-in; anything else (a resource's
            // `listKeys()`, an imported namespace) is not known here.
            match &t.kind {
                ExprKind::Ident(ns) if ns == "sys" || ns == "az" => {}
                _ => return UNKNOWN.into(),
            }
        }
        let args_text: Vec<String> = args.iter().map(|a| self.expr(a, env)).collect();
        if matches!(self.symbols.get(name), Some(Symbol::Func)) && target.is_none() {
            return format!("__bicep.{name}({})", args_text.join(", "));
        }
        match name.to_ascii_lowercase().as_str() {
            "any" => args_text
                .into_iter()
                .next()
                .unwrap_or_else(|| "null()".into()),
            "loadtextcontent"
            | "loadjsoncontent"
            | "loadyamlcontent"
            | "loadfileasbase64"
            | "readenvironmentvariable"
            | "getsecret"
            | "fail"
            | "externalinput" => UNKNOWN.into(),
            _ => format!("{name}({})", args_text.join(", ")),
        }
    }
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
    use super::*;
    use crate::arm::eval::Scope;
    use crate::limits::Guard;
    use crate::model::Value;

    /// Lowers `text` and evaluates each `(variable, expected JSON)` through
    /// the ARM evaluator, comparing JSON values.
    fn evaluates(text: &str, expected: &[(&str, serde_json::Value)]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.bicep");
        std::fs::write(&path, text).expect("write");
        let sources = SourceMap::new();
        let file = sources.load(&path).expect("load");
        let lowered = lower(&sources, &path, file).unwrap_or_else(|p| panic!("{}", p.message));
        let scope = Scope::new(&lowered.template, HashMap::new(), Guard::default());
        for (name, want) in expected {
            let got = scope.string_at(
                &format!("[variables('{name}')]"),
                lowered.template.span,
                &[],
            );
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
    fn what_bicep_cannot_know_offline_is_unknown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.bicep");
        std::fs::write(
            &path,
            "var text = loadTextContent('x.txt')\nvar env = readEnvironmentVariable('X')\nimport { y } from 'types.bicep'\nvar imported = y\n",
        )
        .expect("write");
        let sources = SourceMap::new();
        let file = sources.load(&path).expect("load");
        let lowered = lower(&sources, &path, file).unwrap_or_else(|p| panic!("{}", p.message));
        let scope = Scope::new(&lowered.template, HashMap::new(), Guard::default());
        for name in ["text", "env", "imported"] {
            let got = scope.string_at(
                &format!("[variables('{name}')]"),
                lowered.template.span,
                &[],
            );
            assert_eq!(got, Value::Unknown, "{name}");
        }
    }
}
