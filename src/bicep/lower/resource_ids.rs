//! A resource's name segments, full name, `resourceId(…)` and relative
//! `scope` as ARM expression text, from the symbol table's [`Resource`].
//!
//! Only names and ids: what a resource's properties lower to is
//! [`super::declarations`], how `r.id` or `r.name` in an expression reaches
//! here is [`super::expression`].

use super::{Env, File, Resource, Symbol, UNKNOWN, bind_loop, quote};
use crate::bicep::tree::{Expr, ExprKind};

impl<'d> File<'d> {
    pub(super) fn resource(&self, symbolic: &str) -> Option<&Resource<'d>> {
        match self.symbols.get(symbolic) {
            Some(Symbol::Resource(r)) => Some(r),
            _ => None,
        }
    }

    /// The name segments of a resource (one per type segment after the
    /// namespace), each ARM expression text; `index` picks a loop instance.
    pub(super) fn segments(
        &self,
        r: &Resource<'d>,
        index: Option<&str>,
        env: &Env,
        depth: usize,
    ) -> Vec<String> {
        let mut env = env.clone();
        if let (Some(l), Some(i)) = (&r.looped, index) {
            bind_loop(
                &mut env,
                l,
                self.inline(l.source, &Vec::new()),
                i.to_string(),
            );
        }
        let own = r
            .name
            .map_or_else(|| UNKNOWN.to_string(), |n| self.inline(n, &env));
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
    pub(super) fn full_name(&self, r: &Resource<'d>, env: &Env) -> String {
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

    pub(super) fn resource_id(&self, r: &Resource<'d>, index: Option<&str>, env: &Env) -> String {
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
    pub(super) fn relative_scope(&self, value: &Expr, env: &Env) -> Option<String> {
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
}
