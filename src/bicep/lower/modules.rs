//! A Bicep `module` as a nested deployment: its parameters, its deployment
//! name and scope, and its inline template, the module file read and lowered
//! in turn (or a compiled ARM template read as JSON).
//!
//! Registry and template-spec modules are never fetched: they are read from
//! the Bicep module cache the user named (their compiled `main.json`, as a
//! compiled local module is), and without one, or when the cache lacks
//! them, their resources are unseen (unknown). Modules nested too deep or
//! including themselves are not read. Declarations of the file itself are [`super::declarations`].

use std::path::Path;
use std::sync::Arc;

use super::{
    Env, File, Kept, Lowerer, MAX_MODULE_DEPTH, UNKNOWN, bind_loop, expression, j, member, pair,
    props, string, unwrap_body,
};
use crate::bicep::tree::{Decl, Expr, ExprKind, Prop};
use crate::diagnostic::Problem;
use crate::json::{JsonKind, JsonValue};
use crate::source::Span;

impl Lowerer<'_> {
    /// A module as a nested deployment whose inline template is the module
    /// file, lowered; a registry module has none (its resources are unseen).
    pub(super) fn module(
        &mut self,
        file: &File,
        decl: &Decl,
        path: &str,
        body: &Expr,
    ) -> JsonValue {
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
            members.push(member("copy", j(JsonKind::Object(copy), span), span));
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
                    JsonKind::Object(vec![member("scope", string("inner", span), span)]),
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
                        JsonKind::Object(vec![member(
                            "value",
                            file.value(value, &env),
                            value.span,
                        )]),
                        *span,
                    );
                    parameters.push(member(key, v, *span));
                }
            }
        }
        properties.push(member(
            "parameters",
            j(JsonKind::Object(parameters), span),
            span,
        ));
        if let Some(template) = self.module_template(file, path, span) {
            properties.push(member("template", template, span));
        }
        members.push(member(
            "properties",
            j(JsonKind::Object(properties), span),
            span,
        ));
        j(JsonKind::Object(members), span)
    }

    fn module_template(&mut self, file: &File, path: &str, span: Span) -> Option<JsonValue> {
        let registry = path.starts_with("br:")
            || path.starts_with("br/")
            || path.starts_with("ts:")
            || path.starts_with("ts/");
        let target = if registry {
            // Never fetched: read from the cache `bicep restore` filled, when
            // the user named one and it holds the module. Otherwise the
            // deployment has no template, and the unit records it as a place
            // plinth cannot see (--show-unknown).
            let cached = self.cache.and_then(|root| {
                super::super::registry::cached_main(self.sources, root, &file.path, path)
            });
            let Some(cached) = cached else {
                // AVM's utility modules (`avm/utl/…`: types, helpers)
                // declare no Azure resource: not cached, such a call leaves
                // the unit complete, its outputs unknown.
                return declares_no_resources(path).then(|| {
                    j(
                        JsonKind::Object(vec![member(
                            "resources",
                            j(JsonKind::Array(Vec::new()), span),
                            span,
                        )]),
                        span,
                    )
                });
            };
            if std::fs::symlink_metadata(&cached).is_err() {
                return None;
            }
            crate::paths::normalize(&cached)
        } else {
            crate::paths::normalize(&file.path.parent().unwrap_or(Path::new(".")).join(path))
        };
        let is_json = registry || target.extension().is_some_and(|e| e == "json");
        self.deepest = Some(
            self.deepest
                .map_or(self.stack.len(), |d| d.max(self.stack.len())),
        );
        if self.stack.len() >= MAX_MODULE_DEPTH || self.stack.contains(&target) {
            self.refused += 1;
            self.problems.push(
                Problem::new(
                    crate::diagnostic::Code::ModuleError,
                    format!("module `{path}` is nested too deep or includes itself: not read"),
                )
                .at(&file.path, Some(span)),
            );
            return None;
        }
        // A module deployed again in this unit (a module that two others
        // deploy, a role assignment helper called twice) is read and
        // lowered once: its template does not depend on the caller. Kept as
        // the run keeps it, and shared, not copied, by each deployment of
        // it. Lowered cleanly, it is read here as it was there: its files
        // are this file's too, its problems are reported here again, and
        // its depth counts from here, so that the file deploying it again
        // may be shared with other units as well.
        if let Some(kept) = self.lowered.get(&target) {
            let template = JsonValue::shared(&kept.template);
            if kept.clean {
                let level = self.stack.len();
                self.deepest = self.deepest.max(kept.deepest.map(|d| level + d));
                let (files, problems) = (kept.files.clone(), kept.problems.clone());
                self.files.extend(files);
                self.report_again(problems.into_iter());
            } else {
                self.reused += 1;
            }
            return Some(template);
        }
        let (files, problems, refused, reused) = (
            self.files.len(),
            self.problems.len(),
            self.refused,
            self.reused,
        );
        let (lowered, deepest) = self.read_module(&target, is_json, registry, file, span)?;
        let shared = JsonValue::shared(&lowered);
        let kept = Kept {
            template: lowered,
            files: self.files[files..].to_vec(),
            deepest,
            problems: self.problems[problems..].to_vec(),
            clean: self.refused == refused && self.reused == reused,
        };
        self.lowered.insert(target, kept);
        Some(shared)
    }

    /// The template of the module file at `target`, read and lowered.
    fn read_module(
        &mut self,
        target: &Path,
        is_json: bool,
        registry: bool,
        file: &File,
        span: Span,
    ) -> Option<(Arc<JsonValue>, Option<usize>)> {
        let target = target.to_path_buf();
        // A Bicep module this run has lowered already is read once: its text
        // is the one the run keeps with it, read through the same path (the
        // same confinement and overlay), not the file read from disk again.
        let kept = (!is_json)
            .then(|| {
                self.sources
                    .kept::<super::shared::Shared>()
                    .get(&target, self.cache)
            })
            .flatten();
        // Held under the id the run registered it by first, when it can be:
        // the kept template's spans point there, and it is shared whole.
        let loaded = match kept {
            Some(entry) if self.hold(entry.ids[0], &target, &entry.text) => Ok(entry.ids[0]),
            Some(entry) => {
                let id = self.sources.add(target.clone(), Arc::clone(&entry.text));
                self.files.push(id);
                Ok(id)
            }
            None => self
                .sources
                .load(&target)
                .inspect(|id| self.files.push(*id)),
        };
        let id = match loaded {
            Ok(id) => id,
            Err(err) => {
                self.problems
                    .push(err.problem(&target, "module", (&file.path, Some(span))));
                return None;
            }
        };
        if is_json {
            // A compiled ARM template used as a module (a cached registry
            // module is one; a template spec's is inside its version).
            let source = self.sources.get(id);
            if !registry {
                return crate::json::parse(id, &source.text, 512)
                    .ok()
                    .flatten()
                    .map(|p| (Arc::new(p), None));
            }
            return match crate::json::parse(id, &source.text, 512) {
                Ok(parsed) => {
                    parsed.map(|p| (Arc::new(super::super::registry::template_of(p)), None))
                }
                Err(e) => {
                    self.problems.push(e.problem(
                        "invalid cached module JSON",
                        &target,
                        id,
                        source.text.len(),
                    ));
                    None
                }
            };
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

/// Registry modules known to declare no Azure resource: Azure Verified
/// Modules' utilities (`br/public:avm/utl/…`, or the same through the
/// registry's own name).
fn declares_no_resources(reference: &str) -> bool {
    let lower = reference.to_ascii_lowercase();
    lower.starts_with("br/public:avm/utl/")
        || lower.starts_with("br:mcr.microsoft.com/bicep/avm/utl/")
}
