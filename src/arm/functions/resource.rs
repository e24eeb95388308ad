//! Resource functions: `resourceId` and its siblings (ids, linked by the
//! model even when a part is unknown), `plinthResourceId` (the Bicep
//! front-end's `r.id`, tied to its declaration), and `reference()` of what
//! the template itself decides: a nested deployment's outputs (one instance
//! of a module loop included) and the properties the template sets on its
//! own resources. Not here: `list*()` and any other `reference()`, which are
//! unknown (what Azure holds is not in the template), nor the resource ids
//! an expression names (`Scope::referenced_ids` in `eval.rs`).

use foldhash::{HashMap, HashMapExt};

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::{self, Expr, Template};
use crate::json::{JsonKind, JsonValue};
use crate::model::id::link_name;
use crate::model::{ArmId, Object, Part, Value};

use super::{Answer, node};

/// `plinthResourceId` and `reference()`, which read the template.
pub(super) fn lazy(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    match name {
        // A nested deployment's outputs; any other reference is unknown.
        // `plinthResourceId(key, id)`: the Bicep front-end's `r.id`, the
        // id tied to the declaration with that key here, so that the
        // reference links to it even when its name is unknown.
        "plinthresourceid" => {
            let [key, id] = args else {
                return Some(Value::Unknown);
            };
            Some(match (scope.eval(key, copies), scope.eval(id, copies)) {
                (Value::String(key), Value::Id(mut id)) => {
                    std::sync::Arc::make_mut(&mut id).local =
                        Some(format!("{}{key}", scope.key_prefix));
                    Value::Id(id)
                }
                (_, id) => id,
            })
        }
        "reference" => {
            let Some(arg) = args.first() else {
                return Some(Value::Unknown);
            };
            if let Some(deployment) = scope.deployment_named(arg) {
                return Some(scope.deployment_outputs(deployment, None));
            }
            let full = matches!(
                args.get(2).map(|a| scope.eval(a, copies)),
                Some(Value::String(f)) if f.eq_ignore_ascii_case("full")
            );
            if let Some(resource) = scope.declared_resource(arg, copies) {
                return Some(scope.declared_state(resource, full));
            }
            // One instance of a deployment copy loop (a Bicep module loop):
            // `format('name[{0}]', i)` in languageVersion 2.0, or the id of
            // the instance's evaluated name.
            Some(match scope.eval(arg, copies) {
                Value::String(indexed) => scope.copied_deployment(&indexed),
                Value::Id(id) => scope.copied_deployment_with_id(&id),
                _ => Value::Unknown,
            })
        }
        _ => symbolic_resource_id(scope, name, args, copies),
    }
}

/// The resource id functions.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    let scoped = id_function(name, args.len())?;
    let args = args.drain(..).map(IdArg::Value).collect();
    Some(resource_id(args, scoped))
}

/// How many leading scope arguments the id function `name` allows, and
/// whether one alone is a resource group; `None` when `name` is not one.
fn id_function(name: &str, arity: usize) -> Option<(usize, bool, usize)> {
    // (scope arguments allowed, one alone is a group, leading arguments dropped)
    match name {
        "resourceid" => Some((2, true, 0)),
        "subscriptionresourceid" | "tenantresourceid" | "managementgroupresourceid" => {
            Some((1, false, 0))
        }
        "extensionresourceid" if arity >= 1 => Some((0, false, 1)),
        _ => None,
    }
}

/// The id functions with arguments that are unknown but have an identity
/// ([`Scope::symbolic`]): their names become symbolic parts, so the id links
/// to the resource declared with the same name. `None` when every argument
/// is known (the evaluated form answers) or `name` is not an id function.
fn symbolic_resource_id(
    scope: &Scope<'_>,
    name: &str,
    args: &[Expr],
    copies: &[Copy],
) -> Option<Value> {
    let scoped = id_function(name, args.len())?;
    let values: Vec<Value> = args.iter().map(|a| scope.eval(a, copies)).collect();
    if !values.iter().any(|v| matches!(v, Value::Unknown)) {
        return Some(resource_id(
            values.into_iter().map(IdArg::Value).collect(),
            scoped,
        ));
    }
    let args = values
        .into_iter()
        .zip(args)
        .map(|(value, e)| match value {
            Value::Unknown => match scope.symbolic_of_unknown(e, copies) {
                Some(symbolic) => IdArg::Parts(symbolic.parts()),
                None => IdArg::Value(Value::Unknown),
            },
            value => IdArg::Value(value),
        })
        .collect();
    Some(resource_id(args, scoped))
}

/// An argument of an id function: its value, or the name parts of a
/// symbolic one.
enum IdArg {
    Value(Value),
    Parts(Vec<Part>),
}

/// `resourceId([subscriptionId], [resourceGroupName], type, name1, name2…)`
/// and its siblings; `scoped` is how many leading scope arguments are
/// allowed, whether one alone is a group, and how many leading arguments
/// to drop (an extension id's scope).
fn resource_id(args: Vec<IdArg>, (scoped, allows_group, dropped): (usize, bool, usize)) -> Value {
    let args = &args[dropped.min(args.len())..];
    let type_at = args
        .iter()
        .position(|a| matches!(a, IdArg::Value(Value::String(s)) if s.contains('/')));
    let Some(type_at) = type_at.filter(|t| *t <= scoped) else {
        return Value::Unknown;
    };
    let IdArg::Value(Value::String(rtype)) = &args[type_at] else {
        return Value::Unknown;
    };
    let part = |a: &IdArg| match a {
        IdArg::Value(Value::String(s)) => Part::Known(s.to_string()),
        IdArg::Parts(parts) if parts.len() == 1 => parts[0].clone(),
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
    for a in &args[type_at + 1..] {
        match a {
            IdArg::Value(Value::String(s)) => {
                names.extend(s.split('/').map(|n| Part::Known(n.to_string())));
            }
            IdArg::Parts(parts) => names.extend(parts.iter().cloned()),
            IdArg::Value(_) => names.push(Part::Unknown),
        }
    }
    if names.len() + 1 != rtype.split('/').count() {
        return Value::Unknown;
    }
    Value::id(ArmId {
        subscription,
        resource_group,
        rtype: rtype.to_string(),
        names,
        local: None,
    })
}

impl<'t> Scope<'t> {
    /// The nested deployment `reference(arg)` names: a symbolic name
    /// (languageVersion 2.0), or `resourceId('Microsoft.Resources/deployments',
    /// NAME)` where NAME is written exactly as the deployment's own name (the
    /// same literal or the same expression, as Bicep compiles a module
    /// reference): no evaluation, so an unknown name still matches itself.
    pub(in crate::arm) fn deployment_named(&self, arg: &Expr) -> Option<&'t JsonValue> {
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
                        match r
                            .get("name")
                            .and_then(JsonValue::as_str)
                            .map(expr::classify)
                        {
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

    /// The id of the resource declared here that `reference(arg)` names
    /// (see `declared_resource`), from its type and evaluated name; `None`
    /// when either is not known.
    pub(crate) fn declared_resource_id(&self, arg: &Expr, copies: &[Copy]) -> Option<ArmId> {
        let r = self.declared_resource(arg, copies)?;
        let rtype = r.get("type").and_then(JsonValue::as_str)?;
        let name = r.get("name")?;
        let Value::String(name) = self.node(name, name.span, copies).value else {
            return None;
        };
        let names: Vec<Part> = name
            .split('/')
            .map(|n| Part::Known(n.to_string()))
            .collect();
        (names.len() + 1 == rtype.split('/').count()).then(|| ArmId {
            subscription: Part::Unknown,
            resource_group: Part::Unknown,
            rtype: rtype.to_string(),
            names,
            local: None,
        })
    }

    /// The resource declared here that `reference(arg)` names: by symbolic
    /// name (languageVersion 2.0), or by an id whose type and name are known
    /// and match one declaration's. Copy loops and `existing` resources are
    /// left out: what Azure holds for them is not in the template.
    fn declared_resource(&self, arg: &Expr, copies: &[Copy]) -> Option<&'t JsonValue> {
        let plain = |r: &&'t JsonValue| {
            r.get("copy").is_none()
                && !matches!(
                    r.get("existing").map(|e| &e.kind),
                    Some(JsonKind::Bool(true))
                )
        };
        if let Expr::String(symbolic) = arg
            && let Some((_, r)) = self.declared.iter().find(|(s, _)| {
                s.as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(symbolic))
            })
        {
            return Some(*r).filter(plain);
        }
        // By id (known or symbolic names), or (classic templates) by the
        // bare name of a resource here.
        let (rtype, wanted) = match self.eval(arg, copies) {
            Value::Id(id) => (Some(id.rtype.clone()), link_name(&id.names)?),
            Value::String(name) if !name.starts_with('/') => {
                (None, name.as_str().to_ascii_lowercase())
            }
            _ => return None,
        };
        let mut found = self.declared.iter().map(|(_, r)| *r).filter(|r| {
            let type_matches = rtype.as_ref().is_none_or(|wanted_type| {
                r.get("type")
                    .and_then(JsonValue::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(wanted_type))
            });
            type_matches
                && r.get("name")
                    .and_then(|n| self.declared_parts(n))
                    .and_then(|parts| link_name(&parts))
                    .is_some_and(|n| n == wanted)
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
    fn declared_name(&self, name: &'t JsonValue) -> Value {
        self.memo(format!("name:{}", name.span.start), || {
            self.node(name, name.span, &[]).value
        })
    }

    /// A declaration's name as id parts: known, or symbolic.
    fn declared_parts(&self, name: &'t JsonValue) -> Option<Vec<Part>> {
        match self.declared_name(name) {
            Value::String(n) => Some(n.split('/').map(|p| Part::Known(p.to_string())).collect()),
            Value::Unknown => self.declared_symbol(name),
            _ => None,
        }
    }

    /// What `reference()` returns for a resource declared here: its
    /// `properties` as the template sets them (or, with `'Full'`, the whole
    /// declaration). What Azure fills in at deployment is absent, so unknown.
    /// A resource that may not be deployed is unknown altogether.
    fn declared_state(&self, resource: &'t JsonValue, full: bool) -> Value {
        let deployed = match resource.get("condition") {
            None => true,
            Some(c) => self.node(c, c.span, &[]).value == Value::Bool(true),
        };
        if !deployed {
            return Value::Unknown;
        }
        let key = format!("declared:{}:{full}", resource.span.start);
        self.memo(key, || {
            let mut value = if full {
                self.node(resource, resource.span, &[]).value
            } else {
                resource
                    .get("properties")
                    .map_or(Value::Unknown, |p| self.node(p, p.span, &[]).value)
            };
            self.fill_subnet_ids(resource, &mut value, full);
            value
        })
    }

    /// A virtual network's inline subnets as `reference()` reads them back
    /// (`vnet.properties.subnets[0].id` in Bicep): ARM computes each
    /// subnet's id from the network's name and the subnet's, so the id is
    /// what the declaration determines.
    fn fill_subnet_ids(&self, resource: &'t JsonValue, value: &mut Value, full: bool) {
        let is_vnet = resource
            .get("type")
            .and_then(JsonValue::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks"));
        let Some(vnet) = resource.get("name").and_then(|n| self.declared_parts(n)) else {
            return;
        };
        if !is_vnet || vnet.len() != 1 {
            return;
        }
        let properties = match value {
            Value::Object(o) if full => o.get_mut("properties").map(|n| &mut n.value),
            other => Some(other),
        };
        let Some(Value::Object(properties)) = properties else {
            return;
        };
        let Some(Value::Array(subnets)) = properties.get_mut("subnets").map(|n| &mut n.value)
        else {
            return;
        };
        for subnet in subnets {
            let Value::Object(o) = &mut subnet.value else {
                continue;
            };
            let Some(name) = o.get("name").and_then(|n| n.as_str()).map(str::to_string) else {
                continue;
            };
            if o.get("id").is_some() {
                continue;
            }
            let id = ArmId::new(
                "Microsoft.Network/virtualNetworks/subnets",
                vec![vnet[0].clone(), Part::Known(name)],
            );
            o.insert("id", node(Value::id(id)));
        }
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
    fn instance_outputs(&self, deployment: &'t JsonValue, index: i64) -> Value {
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
    pub(in crate::arm) fn deployment_outputs(
        &self,
        deployment: &'t JsonValue,
        index: Option<i64>,
    ) -> Value {
        self.deployment_outputs_as(deployment, index, Value::clone)
    }

    /// [`Scope::deployment_outputs`], given as `out` makes it of the value
    /// where it is kept: `|_| ()` evaluates them once, to be read in place.
    pub(in crate::arm) fn deployment_outputs_as<T>(
        &self,
        deployment: &'t JsonValue,
        index: Option<i64>,
        out: fn(&Value) -> T,
    ) -> T {
        if self.reference_depth >= self.guard.limits.max_deployment_depth {
            return out(&Value::Unknown);
        }
        let compute = || {
            let Some(properties) = deployment.get("properties") else {
                return Value::Unknown;
            };
            let Some(template) = properties.get("template") else {
                return Value::Unknown;
            };
            let copies = index.map_or_else(Vec::new, |i| instance_copies(deployment, i));
            let supplied = self.supplied_parameters(properties, &copies);
            let mut inner = self.nested(template, supplied, HashMap::new());
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
            for m in template
                .get("outputs")
                .map(JsonValue::members)
                .unwrap_or_default()
            {
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
        };
        self.memo_as(outputs_key(deployment, index), compute, out)
    }
}

/// Where a scope keeps the outputs of a nested deployment (instance
/// `index` of its copy loop, if it has one).
pub(in crate::arm) fn outputs_key(deployment: &JsonValue, index: Option<i64>) -> String {
    format!("reference:{}:{index:?}", deployment.span.start)
}

/// The copy context of instance `index` of a resource copy loop.
fn instance_copies(resource: &JsonValue, index: i64) -> Vec<Copy> {
    let name = resource
        .get("copy")
        .and_then(|c| c.get("name"))
        .and_then(JsonValue::as_str)
        .unwrap_or("");
    vec![Copy {
        name: name.to_string(),
        resource: true,
        index: Some(index),
    }]
}

#[cfg(test)]
mod tests {
    use crate::arm::eval::testing::*;
    use crate::model::{Part, Value};

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
        // A parameter without a value: not known, but a symbol.
        assert!(matches!(id.names.as_slice(), [Part::Symbolic(_)]));
        assert_eq!(
            eval("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'only-one')]"),
            Value::Unknown
        );
    }
}
