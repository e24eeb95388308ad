//! ARM front-end: JSON templates (hand-written, or compiled from Bicep) → the
//! neutral model. One template file, with its nested deployments, is one unit.
//!
//! It does not read parameter files yet, nor `templateLink`ed templates
//! (issue #3); what they would decide stays unknown.

pub mod eval;
pub mod expr;
pub mod json;
mod template;

use std::path::Path;

use crate::Loaded;
use crate::report::Problem;
use crate::source::{SourceMap, Span};

/// Cheap test before parsing: a template's `$schema` names a deployment
/// template (any scope: deploymentTemplate, subscriptionDeploymentTemplate,
/// managementGroupDeploymentTemplate, tenantDeploymentTemplate).
const SCHEMA_MARK: &str = "eploymentTemplate.json";

/// Loads a `.json` input: an ARM template becomes a unit; any other JSON —
/// `package.json`, parameter files, broken JSON that is not a template — is
/// skipped silently, even when named explicitly (pre-commit passes every
/// changed `.json`).
pub fn load_json_input(sources: &SourceMap, path: &Path, _explicit: bool) -> Loaded {
    let mut loaded = Loaded::default();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            loaded
                .problems
                .push(Problem::new("io-error", format!("cannot read: {err}")).at(path, None));
            return loaded;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return loaded;
    };
    if !text.contains(SCHEMA_MARK) {
        return loaded;
    }
    let file = sources.add(path.to_path_buf(), text.trim_start_matches('\u{feff}'));
    let source = sources.get(file);
    loaded.files = 1;
    let root = match json::parse(file, &source.text) {
        Ok(Some(root)) => root,
        Ok(None) => return loaded,
        Err(err) => {
            let end = err
                .end
                .max(err.start + 1)
                .min(source.text.len())
                .max(err.start);
            loaded.problems.push(
                Problem::new(
                    "parse-error",
                    format!("invalid JSON in template: {}", err.message),
                )
                .at(path, Some(Span::new(file, err.start, end)))
                .with_label(err.message),
            );
            return loaded;
        }
    };
    let is_template = root
        .get("$schema")
        .and_then(json::J::as_str)
        .is_some_and(|s| s.contains(SCHEMA_MARK));
    if !is_template {
        loaded.files = 0;
        return loaded;
    }
    let mut builder = template::Builder::new(file, path.to_string_lossy().into_owned());
    builder.template(&root);
    loaded.units.push(builder.unit);
    loaded
}
