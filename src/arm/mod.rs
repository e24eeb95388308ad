//! ARM front-end: JSON templates (hand-written, or compiled from Bicep) → the
//! neutral model. One template file, with its nested deployments, is one unit.
//!
//! A parameter file (`X.parameters.json` beside `X.json`, or the one the
//! config names) binds the template's parameters. `templateLink`ed templates
//! are not read (issue #3); what they would decide stays unknown.

pub mod eval;
pub mod expr;
mod functions;
mod provenance;
mod symbolic;
use crate::json;
pub(crate) mod template;

use foldhash::{HashMap, HashMapExt};
use std::path::Path;

use crate::diagnostic::{Code, Problem};
use crate::limits::{self, Guard, Limits};
use crate::model::Loaded;
use crate::model::{Node, Value};
use crate::source::{SourceMap, Span};

/// Cheap test before parsing: a template's `$schema` names a deployment
/// template (any scope: deploymentTemplate, subscriptionDeploymentTemplate,
/// managementGroupDeploymentTemplate, tenantDeploymentTemplate).
pub const SCHEMA_MARK: &str = "eploymentTemplate.json";

/// Builds the unit of an ARM template already read and parsed (the
/// front-end dispatch in `frontend` has told it from other JSON), with the
/// values of its parameter file, if any. JSON whose `$schema` names no
/// deployment template is no unit.
pub fn load_template(
    sources: &SourceMap,
    path: &Path,
    file: crate::source::FileId,
    root: &json::JsonValue,
    parameters: Option<&Path>,
    limits: Limits,
) -> Loaded {
    let mut loaded = Loaded {
        files: 1,
        ..Loaded::default()
    };
    let is_template = root
        .get("$schema")
        .and_then(json::JsonValue::as_str)
        .is_some_and(|s| s.contains(SCHEMA_MARK));
    if !is_template {
        loaded.files = 0;
        return loaded;
    }
    let guard = Guard::new(limits);
    let mut builder =
        template::Builder::new(file, path.to_string_lossy().into_owned(), guard.clone());
    let supplied = match parameters {
        Some(parameters) => {
            let bound = parameter_file(sources, parameters, limits);
            loaded.problems.extend(bound.problem);
            if let Some(file) = bound.file {
                builder.unit.files.push(file);
                loaded.files += 1;
            }
            bound.values.unwrap_or_else(|| {
                // A broken parameter file: what it meant to bind is unknown.
                root.get("parameters")
                    .map(json::JsonValue::members)
                    .unwrap_or_default()
                    .iter()
                    .map(|m| (m.key.clone(), Node::new(Value::Unknown, None)))
                    .collect()
            })
        }
        None => HashMap::new(),
    };
    builder.template_with(root, supplied);
    loaded.units.push(builder.unit);
    for hit in guard.take() {
        loaded.problems.push(Limits::problem(sources, &hit));
    }
    loaded
}

/// What a parameter file binds.
struct Bound {
    file: Option<crate::source::FileId>,
    /// `None` when the file could not be read as a parameter file.
    values: Option<HashMap<String, Node>>,
    problem: Option<Problem>,
}

/// Reads `{"parameters": {"name": {"value": …}}}`. Values are literal (ARM
/// does not evaluate expressions in parameter files); a Key Vault
/// `reference` is unknown, and so is a string that looks like an expression.
fn parameter_file(sources: &SourceMap, path: &Path, limits: Limits) -> Bound {
    let file = match limits::load_file(sources, path, "parameter file", limits) {
        Ok(file) => file,
        Err(problem) => {
            return Bound {
                file: None,
                values: None,
                problem: Some(problem),
            };
        }
    };
    let source = sources.get(file);
    let invalid = |message: String, span: Option<Span>| Bound {
        file: Some(file),
        values: None,
        problem: Some(Problem::new(Code::ParseError, message).at(path, span)),
    };
    let root = match json::parse(file, &source.text, limits.max_nesting) {
        Ok(Some(root)) => root,
        Ok(None) => return invalid("empty parameter file".into(), None),
        Err(err) => {
            let span = err.span(file, source.text.len());
            if err.too_deep {
                return Bound {
                    file: Some(file),
                    values: None,
                    problem: Some(limits::nested_too_deep(path, span, limits)),
                };
            }
            // A parameter file's parse error has never carried a label.
            let mut problem = err.problem(
                "invalid JSON in parameter file",
                path,
                file,
                source.text.len(),
            );
            problem.label = None;
            return Bound {
                file: Some(file),
                values: None,
                problem: Some(problem),
            };
        }
    };
    let Some(parameters) = root
        .get("parameters")
        .filter(|p| matches!(p.kind, json::JsonKind::Object(_)))
    else {
        return invalid(
            "a parameter file needs a `parameters` object".into(),
            Some(root.span),
        );
    };
    let values = parameters
        .members()
        .iter()
        .map(|m| {
            let value = match m.value.get("value") {
                Some(v) => v.to_node(json::Brackets::Expression),
                None => Node::new(Value::Unknown, Some(m.span)),
            };
            (m.key.clone(), value)
        })
        .collect();
    Bound {
        file: Some(file),
        values: Some(values),
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Part, Resource, Truth, Value};

    /// The template's unit, as the front-end dispatch (`frontend`) hands a
    /// parsed template over.
    fn load(text: &str) -> Loaded {
        let sources = SourceMap::new();
        let path = Path::new("main.json");
        let file = sources.add(path.to_path_buf(), text);
        let root = json::parse(file, text, 256)
            .expect("JSON")
            .expect("a value");
        load_template(&sources, path, file, &root, None, Limits::default())
    }

    fn template(resources: &str) -> String {
        format!(
            r#"{{ "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                 // ARM allows comments
                 "parameters": {{ "unknown": {{ "type": "string" }}, "flag": {{ "type": "bool", "defaultValue": false }} }},
                 "resources": {resources} }}"#
        )
    }

    fn find<'a>(loaded: &'a Loaded, key: &str) -> &'a Resource {
        loaded.units[0]
            .resources
            .iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| {
                panic!(
                    "no {key} in {:?}",
                    loaded.units[0]
                        .resources
                        .iter()
                        .map(|r| &r.key)
                        .collect::<Vec<_>>()
                )
            })
    }

    /// A nested deployment's parameter values, lent to its inner scope and
    /// given back: the inner resources see them, and the deployment's own
    /// body still holds them, every one in its place, after its resources
    /// are built.
    #[test]
    fn a_deployment_keeps_the_parameter_values_it_passes() {
        let loaded = load(&template(
            r#"[{ "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
                 "properties": { "mode": "Incremental",
                   "expressionEvaluationOptions": { "scope": "inner" },
                   "parameters": { "zone": { "value": "privatelink.postgres.database.azure.com" },
                                   "Count": { "value": 2 },
                                   "odd": { "value": "x", "extra": 1 },
                                   "tags": { "value": { "a": ["b"] } } },
                   "template": { "parameters": { "zone": { "type": "string" }, "count": { "type": "int" },
                                                 "odd": { "type": "string" }, "tags": { "type": "object" } },
                     "resources": [ { "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2020-06-01",
                                      "name": "[parameters('zone')]", "location": "global",
                                      "tags": "[parameters('tags')]",
                                      "properties": { "n": "[parameters('count')]", "o": "[parameters('odd')]" } } ] } } }]"#,
        ));
        let zone = find(&loaded, "resources[0].properties.template.resources[0]");
        assert_eq!(
            zone.names,
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        let value = |r: &Resource, path: &str| r.body.get_path(path).map(|n| n.value.clone());
        assert_eq!(value(zone, "properties.n"), Some(Value::Number(2.0)));
        assert_eq!(value(zone, "properties.o"), Some(Value::String("x".into())));
        assert_eq!(
            value(zone, "tags.a").map(|v| matches!(v, Value::Array(a) if a.len() == 1)),
            Some(true)
        );
        let deployment = find(&loaded, "resources[0]");
        let given = |name: &str| value(deployment, &format!("properties.parameters.{name}.value"));
        assert_eq!(
            given("zone"),
            Some(Value::String(
                "privatelink.postgres.database.azure.com".into()
            ))
        );
        assert_eq!(given("count"), Some(Value::Number(2.0)));
        assert_eq!(given("odd"), Some(Value::String("x".into())));
        assert!(matches!(given("tags"), Some(Value::Object(o)) if o.len() == 1));
    }

    #[test]
    fn nested_and_inline_children_become_resources() {
        let loaded = load(&template(
            r#"[{ "type": "Microsoft.Network/virtualNetworks", "name": "vnet", "apiVersion": "2024-05-01",
                 "properties": { "subnets": [ { "name": "a", "properties": {} } ] },
                 "resources": [ { "type": "subnets", "name": "b", "properties": {} } ] }]"#,
        ));
        let inline = find(&loaded, "resources[0].properties.subnets[0]");
        assert_eq!(inline.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(inline.names, vec![Part::from("vnet"), Part::from("a")]);
        let nested = find(&loaded, "resources[0].resources[0]");
        assert_eq!(nested.rtype, "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(nested.names, vec![Part::from("vnet"), Part::from("b")]);
        assert_eq!(nested.api_version, None);
        assert_eq!(
            find(&loaded, "resources[0]").api_version.as_deref(),
            Some("2024-05-01")
        );
        assert_eq!(
            loaded.units[0].parents.get(&nested.key).map(String::as_str),
            Some("resources[0]")
        );
    }

    #[test]
    fn symbolic_names_existing_conditions_and_copies() {
        let loaded = load(&template(
            r#"{ "zone": { "type": "Microsoft.Network/privateDnsZones", "name": "z", "existing": true },
                 "never": { "condition": "[parameters('flag')]", "type": "Microsoft.Network/privateDnsZones", "name": "n" },
                 "maybe": { "condition": "[equals(parameters('unknown'), 'x')]", "type": "Microsoft.Network/privateDnsZones", "name": "m" },
                 "many": { "copy": { "name": "c", "count": 2 }, "type": "Microsoft.Network/privateDnsZones",
                           "name": "[format('z{0}', copyIndex())]" } }"#,
        ));
        assert!(!find(&loaded, "resources.zone").managed);
        assert!(
            loaded.units[0]
                .resources
                .iter()
                .all(|r| r.key != "resources.never")
        );
        assert_eq!(find(&loaded, "resources.maybe").exists, Truth::Unknown);
        assert_eq!(
            find(&loaded, "resources.many[1]").names,
            vec![Part::from("z1")]
        );
    }

    #[test]
    fn nested_deployments_with_inner_scope_take_their_parameters() {
        let loaded = load(&template(
            r#"[{ "type": "Microsoft.Resources/deployments", "name": "mod", "resourceGroup": "rg-dns",
                 "properties": { "expressionEvaluationOptions": { "scope": "inner" },
                   "parameters": { "zone": { "value": "privatelink.postgres.database.azure.com" },
                                   "other": { "value": "[parameters('unknown')]" } },
                   "template": { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                     "parameters": { "zone": { "type": "string" }, "other": { "type": "string" } },
                     "resources": [ { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('zone')]" },
                                    { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('other')]" } ] } } }]"#,
        ));
        let inner = find(&loaded, "resources[0].properties.template.resources[0]");
        assert_eq!(
            inner.names,
            vec![Part::from("privatelink.postgres.database.azure.com")]
        );
        assert_eq!(inner.resource_group, Part::from("rg-dns"));
        // Not known, but one value in the inner deployment: a symbol.
        let unknown = find(&loaded, "resources[0].properties.template.resources[1]");
        assert!(matches!(unknown.names.as_slice(), [Part::Symbolic(_)]));
        assert_eq!(
            unknown.get_path("name").map(|n| &n.value),
            Some(&Value::Unknown)
        );
        // The deployment holds its parameters, not its template: the
        // template's resources are the ones above, evaluated in their scope.
        let deployment = find(&loaded, "resources[0]");
        assert!(deployment.get_path("properties.parameters.zone").is_some());
        assert!(
            deployment
                .get_path("properties.expressionEvaluationOptions")
                .is_some()
        );
        assert!(deployment.get_path("properties.template").is_none());
    }

    #[test]
    fn a_parameter_passed_under_a_name_written_twice_keeps_the_written_one() {
        // The body's object keeps the later of two members that evaluate to
        // one name; the inner scope reads the parameter written as `zone`.
        for parameters in [
            r#"{ "zone": { "value": "privatelink.a.example" }, "[concat('zo', 'ne')]": { "value": "privatelink.b.example" } }"#,
            r#"{ "zone": { "value": "privatelink.a.example", "[concat('va', 'lue')]": "privatelink.b.example" } }"#,
        ] {
            let loaded = load(&template(&format!(
                r#"[{{ "type": "Microsoft.Resources/deployments", "name": "mod",
                     "properties": {{ "expressionEvaluationOptions": {{ "scope": "inner" }},
                       "parameters": {parameters},
                       "template": {{ "parameters": {{ "zone": {{ "type": "string" }} }},
                         "resources": [ {{ "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('zone')]" }} ] }} }} }}]"#
            )));
            let inner = find(&loaded, "resources[0].properties.template.resources[0]");
            assert_eq!(
                inner.names,
                vec![Part::from("privatelink.a.example")],
                "{parameters}"
            );
        }
    }

    #[test]
    fn null_takes_the_default_and_an_omitted_nullable_parameter_is_null() {
        // How Bicep passes optional values to modules: `name:
        // tryGet(config, 'name')` to `param name string = 'default'`, and a
        // `string?` parameter the caller leaves out.
        let loaded = load(&template(
            r#"[{ "type": "Microsoft.Resources/deployments", "name": "m", "apiVersion": "2022-09-01",
                 "properties": { "expressionEvaluationOptions": { "scope": "inner" }, "mode": "Incremental",
                   "parameters": { "name": { "value": "[tryGet(createObject(), 'name')]" } },
                   "template": { "parameters": { "name": { "type": "string", "defaultValue": "default" },
                                                 "suffix": { "type": "string", "nullable": true } },
                     "resources": [
                       { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('name')]" },
                       { "type": "Microsoft.Network/privateDnsZones",
                         "name": "[if(empty(parameters('suffix')), 'no-suffix', parameters('suffix'))]" } ] } } }]"#,
        ));
        let names = |i: usize| {
            find(
                &loaded,
                &format!("resources[0].properties.template.resources[{i}]"),
            )
            .names
            .clone()
        };
        assert_eq!(names(0), vec![Part::from("default")]);
        assert_eq!(names(1), vec![Part::from("no-suffix")]);
    }

    #[test]
    fn a_parameter_wrapper_built_by_an_expression_passes_its_value() {
        // How Bicep compiles `params: { name: cond ? a : b }` of a module.
        let loaded = load(&template(
            r#"[{ "type": "Microsoft.Resources/deployments", "name": "m", "apiVersion": "2022-09-01",
                 "properties": { "expressionEvaluationOptions": { "scope": "inner" }, "mode": "Incremental",
                   "parameters": {
                     "known": "[if(not(parameters('flag')), createObject('value', 'z-known'), createObject('value', 'other'))]",
                     "unknown": "[if(equals(parameters('unknown'), 'x'), createObject('value', 'a'), createObject('value', 'b'))]",
                     "reference": "[createObject('reference', createObject('secretName', 's'))]" },
                   "template": { "parameters": { "known": { "type": "string" }, "unknown": { "type": "string" },
                                                 "reference": { "type": "string" } },
                     "resources": [
                       { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('known')]" },
                       { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('unknown')]" },
                       { "type": "Microsoft.Network/privateDnsZones", "name": "[parameters('reference')]" } ] } } }]"#,
        ));
        let names = |i: usize| {
            find(
                &loaded,
                &format!("resources[0].properties.template.resources[{i}]"),
            )
            .names
            .clone()
        };
        assert_eq!(names(0), vec![Part::from("z-known")]);
        // Unknown values, each fixed in the inner deployment: symbols of
        // their own, tied to nothing outside it.
        assert!(matches!(names(1).as_slice(), [Part::Symbolic(_)]));
        assert!(matches!(names(2).as_slice(), [Part::Symbolic(_)]));
        assert_ne!(names(1), names(2));
    }
}
