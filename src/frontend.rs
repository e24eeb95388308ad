//! Front-end dispatch: what one input is and which front-end reads it.
//! A `.json` file is sniffed here — an ARM template, Terraform plan JSON, or
//! other JSON that is skipped — so that neither front-end knows the other;
//! `.bicep` files and Terraform module folders go to their own front-ends.
//! Every front-end returns a [`Loaded`] (declared in `model`, below them).

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Problem};
use crate::discover::{Discovered, Input};
use crate::json;
use crate::limits::{self, Limits};
pub use crate::model::Loaded;
use crate::source::SourceMap;

/// The template a parameter file binds, checked with it: a `.bicepparam`
/// file's `using` target (when it is a local `.bicep` file in or under the
/// parameter file's folder, which checking the parameter file may read),
/// `X.parameters.json`'s `X.json`; none for any other file.
pub fn template_of_parameters(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".bicepparam") {
        let using = crate::bicep::using_of(path)?;
        let folder = path.parent()?;
        let template = crate::paths::absolute(&folder.join(&using));
        (using.to_ascii_lowercase().ends_with(".bicep")
            && crate::paths::is_within(&template, folder))
        .then_some(template)
    } else {
        crate::discover::template_of(path)
    }
}

/// Binds each Bicep file to its `.bicepparam` file, which discovery leaves
/// to the front-end because it means reading `using` lines: `X.bicepparam`
/// beside `X.bicep`, else the only one whose `using` names it. A
/// `.bicepparam` file named on its own stands for the template it `using`s
/// (reported on as if named); one whose template cannot be told is left out,
/// as before.
///
/// `settled` says the inputs are as [`crate::discover::settle`] leaves them
/// (one discovery's): they are then settled again only when a parameter
/// file brought in its template, not sorted once more for nothing.
pub fn bind_bicep_parameters(discovered: &mut Discovered, mut settled: bool) {
    let inputs = std::mem::take(&mut discovered.inputs);
    let mut bound = Vec::with_capacity(inputs.len());
    let mut parameter_files = crate::bicep::ParameterFiles::default();
    // A template a walk found has its folder as the walk saw it; one named
    // on its own has its folder listed.
    parameter_files.walked(
        inputs.iter().filter_map(|input| match input {
            Input::Bicep {
                path,
                parameters: None,
                explicit: false,
                ..
            } => Some(path.as_path()),
            _ => None,
        }),
        &discovered.parameter_files,
    );
    parameter_files.list_folders_of(inputs.iter().filter_map(|input| match input {
        Input::Bicep {
            path,
            parameters: None,
            ..
        } => Some(path.as_path()),
        _ => None,
    }));
    for input in inputs {
        match input {
            Input::Bicep {
                path,
                explicit,
                parameters: None,
                cache,
            } => {
                let parameters = parameter_files.of(&path);
                bound.push(Input::Bicep {
                    path,
                    explicit,
                    parameters,
                    cache,
                });
            }
            Input::BicepParameters { path } => {
                let Some(using) = crate::bicep::using_of(&path) else {
                    continue;
                };
                let folder = path.parent().unwrap_or(Path::new("."));
                let template = crate::paths::normalize(&folder.join(using));
                discovered.also_report.push(template.clone());
                settled = false;
                bound.push(Input::Bicep {
                    path: template,
                    explicit: true,
                    parameters: Some(path),
                    cache: None,
                });
            }
            other => bound.push(other),
        }
    }
    discovered.inputs = if settled {
        bound
    } else {
        crate::discover::settle(bound, &mut discovered.compiled_skipped)
    };
}

/// Loads one input with the front-end its kind calls for.
pub fn load_input(
    sources: &SourceMap,
    input: &Input,
    given: &crate::terraform::Given,
    limits: Limits,
) -> Loaded {
    match input {
        Input::Json {
            path,
            parameters,
            explicit,
        } => load_json_file(sources, path, parameters.as_deref(), *explicit, limits),
        Input::Bicep {
            path,
            parameters,
            cache,
            ..
        } => crate::bicep::load_bicep_input(
            sources,
            path,
            parameters.as_deref(),
            cache.as_deref(),
            limits,
        ),
        // Bound to its template by `bind_bicep_parameters` before loading.
        Input::BicepParameters { .. } => Loaded::default(),
        Input::TerraformModule {
            dir,
            files,
            var_files,
        } => crate::terraform::load_module(sources, dir, files, var_files, given, limits),
    }
}

/// Cheap test for Terraform plan JSON (`terraform show -json`).
pub(crate) const PLAN_MARK: &str = "\"planned_values\"";

/// Loads a `.json` input found by a walk: an ARM template becomes a unit;
/// any other JSON — `package.json`, parameter files, broken JSON that is not
/// a template — is skipped silently.
pub fn load_json_input(
    sources: &SourceMap,
    path: &Path,
    parameters: Option<&Path>,
    limits: Limits,
) -> Loaded {
    load_json_file(sources, path, parameters, false, limits)
}

/// [`load_json_input`] for a file that may have been named on the command
/// line (`explicit`): a named file that is not a template or a plan — not
/// text, other JSON — is a `not-a-template` error saying so, since the user
/// asked for it to be checked (`--allow-empty` names files as a walk would).
/// A deployment as Azure exports it (`{"properties": {"template": …}}`) is
/// read as the template it wraps.
pub fn load_json_file(
    sources: &SourceMap,
    path: &Path,
    parameters: Option<&Path>,
    explicit: bool,
    limits: Limits,
) -> Loaded {
    let mut loaded = Loaded::default();
    if let Some(size) = limits::oversized(path, limits) {
        // Too big to read whole; report it only when it is a template.
        if limits::head_contains(path, crate::arm::SCHEMA_MARK) {
            loaded
                .problems
                .push(limits::file_too_big(path, size, limits));
        }
        return loaded;
    }
    let bytes = match sources.read_bytes(path) {
        Ok(bytes) => bytes,
        Err(refusal) => {
            loaded
                .problems
                .push(refusal.problem(path, "file", (path, None)));
            return loaded;
        }
    };
    let text = match crate::paths::decode(bytes) {
        Ok(text) => text,
        // Bytes that are not text are a silent skip only for a file that
        // neither was named nor looks like a template or a plan.
        Err(bad) => {
            if explicit
                || bad.text.contains(crate::arm::SCHEMA_MARK)
                || bad.text.contains(PLAN_MARK)
            {
                let file = sources.add(path.to_path_buf(), bad.text);
                let error = crate::source::LoadError::Undecodable {
                    file,
                    offset: bad.offset,
                    message: bad.message,
                };
                loaded
                    .problems
                    .push(error.problem(path, "file", (path, None)));
            }
            return loaded;
        }
    };
    let plan = !text.contains(crate::arm::SCHEMA_MARK) && text.contains(PLAN_MARK);
    if !text.contains(crate::arm::SCHEMA_MARK) && !plan {
        if explicit {
            loaded.problems.push(not_a_template(path));
        }
        return loaded;
    }
    let file = sources.add(path.to_path_buf(), text);
    let source = sources.get(file);
    loaded.files = 1;
    let root = match json::parse(file, &source.text, limits.max_nesting) {
        Ok(Some(root)) => root,
        Ok(None) => {
            loaded.files = 0;
            if explicit {
                loaded.problems.push(not_a_template(path));
            }
            return loaded;
        }
        Err(err) => {
            let len = source.text.len();
            loaded.problems.push(if err.too_deep {
                limits::nested_too_deep(path, err.span(file, len), limits)
            } else {
                err.problem("invalid JSON in template", path, file, len)
            });
            return loaded;
        }
    };
    if plan && crate::terraform::plan::is_plan(&root) {
        return crate::terraform::plan::load(sources, path, file, &root);
    }
    let template = exported_deployment(&root).unwrap_or(&root);
    let loaded = crate::arm::load_template(sources, path, file, template, parameters, limits);
    if loaded.files == 0 && loaded.problems.is_empty() && explicit {
        return Loaded {
            problems: vec![not_a_template(path)],
            ..loaded
        };
    }
    loaded
}

/// The template inside a deployment as the portal and `az deployment …
/// export` write it: `{"properties": {"template": {"$schema": …}}}`. Its
/// nodes keep their spans in the file, so findings point into it.
fn exported_deployment(root: &json::JsonValue) -> Option<&json::JsonValue> {
    if root.get("$schema").is_some() {
        return None;
    }
    let template = root.get("properties")?.get("template")?;
    template
        .get("$schema")
        .and_then(json::JsonValue::as_str)
        .is_some_and(|s| s.contains(crate::arm::SCHEMA_MARK))
        .then_some(template)
}

/// A file named on the command line that plinth does not read.
fn not_a_template(path: &Path) -> Problem {
    Problem::new(
        Code::NotATemplate,
        "named on the command line but not an ARM template (no `$schema` ending in \
         deploymentTemplate.json#) nor Terraform plan JSON: not checked",
    )
    .at(path, None)
    .with_help(
        "name templates, .bicep files, .tf files or folders; `--allow-empty` skips \
         other .json files as a folder walk does",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.json");
        std::fs::write(&path, text).expect("write");
        load_json_input(&SourceMap::new(), &path, None, Limits::default())
    }

    #[test]
    fn an_exported_deployment_is_read_as_its_template() {
        let loaded = load(
            r#"{ "properties": { "template": { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [] } } }"#,
        );
        assert!(loaded.problems.is_empty());
        assert_eq!((loaded.files, loaded.units.len()), (1, 1));
    }

    #[test]
    fn other_json_is_skipped_and_broken_templates_are_problems() {
        let loaded = load(r#"{ "name": "package", "version": "1.0.0" }"#);
        assert!(loaded.units.is_empty() && loaded.problems.is_empty());
        assert_eq!(loaded.files, 0);
        let broken = load(
            "{ \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [ { \"type\": } ] }",
        );
        assert_eq!(broken.problems.len(), 1);
        assert_eq!(broken.problems[0].code, "parse-error");
        assert!(broken.problems[0].span.is_some());
        let deep = load(&format!(
            r#"{{ "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": {} }}"#,
            "[".repeat(100_000) + &"]".repeat(100_000)
        ));
        assert_eq!(
            deep.problems.len(),
            1,
            "nesting is capped, not a stack overflow"
        );
    }
}
