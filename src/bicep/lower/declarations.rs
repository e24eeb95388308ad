//! The template of one Bicep file: its declarations in order (parameters,
//! variables, functions, resources, modules, outputs, target scope) as the
//! members of a languageVersion 2.0 template, and the symbol table
//! ([`collect`]) that expressions resolve names against.
//!
//! A resource's name, id and scope text are in [`super::resource_ids`], a
//! module's nested deployment in [`super::modules`], expressions in
//! [`super::expression`]. Parsing is [`crate::bicep::parser`].

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    Env, File, Lowerer, MAX_MODULE_DEPTH, Resource, Symbol, UNKNOWN, bind_loop, call_quoted,
    expression, j, member, pair, parse_problem, props, shared, split_type, string, unwrap_body,
};
use crate::bicep::parser;
use crate::bicep::tree::{Decl, DeclKind, Expr, ExprKind, Interp, Prop};
use crate::diagnostic::Problem;
use crate::json::{JsonKind, JsonValue, Member};
use crate::source::{FileId, Span};

impl<'a> Lowerer<'a> {
    /// The template of the file at `path`, registered as `id` (shared with
    /// the run's kept one when there is one), and how many files deeper
    /// than it its deepest module check was made (`None`: it calls none).
    pub(super) fn file(
        &mut self,
        path: &Path,
        id: FileId,
    ) -> Result<(Arc<JsonValue>, Option<usize>), Problem> {
        // Compared normalized (`a/../b` is `b`): no link is followed when
        // reading, so a path names its file without asking the file system.
        let normalized = crate::paths::normalize(path);
        if let Some(reused) = self.reuse(&normalized, id) {
            return Ok(reused);
        }
        let source = self.sources.get(id);
        let decls = parser::parse(id, &source.text)
            .map_err(|e| parse_problem(path, id, source.text.len(), &e))?;
        let (files, problems, refused, reused) = (
            self.files.len(),
            self.problems.len(),
            self.refused,
            self.reused,
        );
        let level = self.stack.len();
        let outer = self.deepest.take();
        self.stack.push(normalized.clone());
        let template = Arc::new(self.template(path, id, &decls));
        self.stack.pop();
        let deepest = self.deepest;
        self.deepest = outer.max(deepest);
        let deeper = deepest.map(|d| d - level);
        // Shared with the run's other units when nothing in it depended on
        // this unit ([`shared`]): its problems do not (a module file
        // missing, outside the paths checked, not valid Bicep), and go with
        // it; a module refused here (too deep from here, a cycle through
        // this unit's files) or taken from this unit's own does.
        if self.refused == refused && self.reused == reused {
            let modules: Vec<FileId> = self.files[files..].to_vec();
            let mut ids = vec![id];
            ids.extend(&modules);
            let modules: Vec<(PathBuf, Arc<str>)> = modules
                .iter()
                .map(|m| {
                    let file = self.sources.get(*m);
                    (file.path.clone(), Arc::clone(&file.text))
                })
                .collect();
            let mut stacked = vec![normalized.clone()];
            stacked.extend(modules.iter().map(|(p, _)| crate::paths::normalize(p)));
            if let Some(entry) = shared::Entry::new(
                Arc::clone(&source.text),
                modules,
                stacked,
                deeper,
                ids,
                Arc::clone(&template),
                &self.verified,
            )
            .and_then(|entry| entry.with_problems(self.problems[problems..].to_vec()))
            {
                self.verified.push(shared::Verified::of(&entry));
                self.sources.kept::<shared::Shared>().put(
                    self.sources,
                    normalized,
                    self.cache,
                    entry,
                );
            }
        }
        Ok((template, deeper))
    }

    /// The template of the file at `path` (normalized), registered as `id`,
    /// from the run's shared ones, when lowering it here would give the
    /// same ([`shared`]). Its spans point at the files the run registered
    /// first: this unit holds them too ([`Lowerer::hold`]) and shares the
    /// template itself. A file it cannot hold (dropped, or registered under
    /// another spelling of its path) is registered anew, with the text the
    /// template was lowered from, and the template is copied with its spans
    /// moved there.
    fn reuse(&mut self, path: &Path, id: FileId) -> Option<(Arc<JsonValue>, Option<usize>)> {
        let entry = self
            .sources
            .kept::<shared::Shared>()
            .get(path, self.cache)?;
        // The same text, most often the very one the run keeps with the
        // entry (a module read once): compared by address first.
        let file = self.sources.get(id);
        if !(Arc::ptr_eq(&entry.text, &file.text) || *entry.text == *file.text)
            || entry.stacked.iter().any(|s| self.stack.contains(s))
        {
            return None;
        }
        let level = self.stack.len();
        if let Some(deeper) = entry.deepest {
            if level + deeper >= MAX_MODULE_DEPTH {
                return None;
            }
            self.deepest = self.deepest.max(Some(level + deeper));
        }
        let mut to: Vec<(FileId, FileId)> = Vec::with_capacity(entry.ids.len());
        // The unit's own file takes the first registration's id when it
        // may (`lower_with`); it lets its own go.
        let first = entry.ids[0];
        let own = if level == 0
            && self.share_root
            && first != id
            && self.sources.share(first, &file.path, &file.text)
        {
            self.root = Some(first);
            first
        } else {
            id
        };
        to.push((first, own));
        for ((module, text), &was) in entry.modules.iter().zip(&entry.ids[1..]) {
            let now = if self.hold(was, module, text) {
                was
            } else {
                // A module's text is read once a run: the unit registers
                // the text the entry was lowered from.
                let now = self.sources.add(module.clone(), Arc::clone(text));
                self.files.push(now);
                now
            };
            to.push((was, now));
        }
        // What lowering it here would have reported, where it would have.
        self.report_again(entry.problems.iter().map(|p| {
            let mut p = p.clone();
            p.span = p.span.map(|s| shared::moved_span(s, &to));
            p
        }));
        if to.iter().all(|(was, now)| was == now) {
            self.verified.push(shared::Verified::of(&entry));
            return Some((Arc::clone(&entry.template), entry.deepest));
        }
        Some((Arc::new(shared::moved(&entry.template, &to)), entry.deepest))
    }

    /// Reports `problems` of a kept template (the run's or this unit's) again,
    /// unless this unit has reported them already: the run's report keeps
    /// one of each, and a module deployed by many files, each kept, must not
    /// multiply them.
    pub(super) fn report_again(&mut self, problems: impl Iterator<Item = Problem>) {
        let (upto, known) = &mut self.reported;
        known.extend(self.problems[*upto..].iter().map(Problem::key));
        for problem in problems {
            if known.insert(problem.key()) {
                self.problems.push(problem);
            }
        }
        *upto = self.problems.len();
    }

    /// File `id`, registered by the run as `path` with `text`, held by this
    /// unit too and listed with its files, when it can be
    /// ([`crate::source::SourceMap::share`]); held once, however often listed.
    pub(super) fn hold(&mut self, id: FileId, path: &Path, text: &Arc<str>) -> bool {
        let held = self.files.contains(&id) || self.sources.share(id, path, text);
        if held {
            self.files.push(id);
        }
        held
    }

    #[allow(clippy::too_many_lines)] // an arm per declaration kind, then the template's sections
    fn template(&mut self, path: &Path, id: FileId, decls: &[Decl]) -> JsonValue {
        let whole = Span::new(id, 0, 0);
        let mut file = File {
            path: path.to_path_buf(),
            symbols: HashMap::new(),
            nested: false,
            fresh: std::cell::Cell::new(0),
            inlining: std::cell::RefCell::new(Vec::new()),
            inline_budget: std::cell::Cell::new(super::INLINE_BUDGET),
            inline_spent_at: std::cell::Cell::new(None),
        };
        for decl in decls {
            collect(&mut file.symbols, decl, None);
        }
        file.nested = file.symbols.keys().any(|k| k.contains("::"));
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
                        p.push(member("nullable", j(JsonKind::Bool(true), span), span));
                    }
                    if let Some(d) = default {
                        p.push(member("defaultValue", file.value(d, &Vec::new()), d.span));
                    }
                    parameters.push(member(&decl.name, j(JsonKind::Object(p), span), span));
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
                    outputs.push(member(&decl.name, j(JsonKind::Object(body), span), span));
                }
                DeclKind::Func { params, body } => {
                    let env: Env = params
                        .iter()
                        .map(|p| (p.clone(), call_quoted("parameters", p)))
                        .collect();
                    let declared = params
                        .iter()
                        .map(|p| {
                            j(
                                JsonKind::Object(vec![
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
                        member("parameters", j(JsonKind::Array(declared), span), span),
                        member("output", j(JsonKind::Object(output), span), span),
                    ];
                    functions.push(member(&decl.name, j(JsonKind::Object(f), span), span));
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
                j(JsonKind::Array(variable_copies), whole),
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
            member("parameters", j(JsonKind::Object(parameters), whole), whole),
            member("variables", j(JsonKind::Object(variables), whole), whole),
            member("resources", j(JsonKind::Object(resources), whole), whole),
            member("outputs", j(JsonKind::Object(outputs), whole), whole),
        ];
        if !functions.is_empty() {
            let namespace = j(
                JsonKind::Object(vec![
                    member("namespace", string("__bicep", whole), whole),
                    member("members", j(JsonKind::Object(functions), whole), whole),
                ]),
                whole,
            );
            root.push(member(
                "functions",
                j(JsonKind::Array(vec![namespace]), whole),
                whole,
            ));
        }
        if let Some(span) = file.inline_spent_at.get() {
            self.problems.push(
                Problem::new(
                    crate::limits::CODE,
                    format!(
                        "text the lowering writes out again (names and ids, loop items) passes {} KiB: the rest is not known",
                        super::INLINE_BUDGET >> 10
                    ),
                )
                .at(path, Some(span))
                .with_label("the budget ran out here")
                .with_help(
                    "what lies past it is not checked; names built from other names, and loops over what the enclosing loop's item gives, many deep or many times over, spend it",
                ),
            );
        }
        j(JsonKind::Object(root), whole)
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
            members.push(member("existing", j(JsonKind::Bool(true), span), span));
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
            members.push(member("copy", j(JsonKind::Object(copy), span), span));
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
        out.push(member(&symbolic, j(JsonKind::Object(members), span), span));
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
