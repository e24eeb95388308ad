//! Deployment, environment and scope functions: `parameters`, `variables`
//! and `copyIndex` (which read the template and its copy loops),
//! `environment()` (the public cloud), and `deployment`, `tenant`,
//! `managementGroup`, `resourceGroup`, `subscription`, whose values the
//! template alone does not determine (objects of unknown members). Not here:
//! how parameters and variables are stored and evaluated once (`eval.rs`),
//! nor other clouds than the public one.

use crate::arm::eval::{Copy, Scope};
use crate::arm::expr::Expr;
use std::sync::LazyLock;

use crate::model::{Node, Object, Value};

use super::{Answer, node};

/// `parameters`, `variables` and `copyIndex`, which read the template.
pub(super) fn lazy(scope: &Scope<'_>, name: &str, args: &[Expr], copies: &[Copy]) -> Option<Value> {
    match name {
        "parameters" | "variables" => {
            let Some(n) = args.first().and_then(|a| scope.text_of(a, copies)) else {
                return Some(Value::Unknown);
            };
            Some(if name == "parameters" {
                scope.parameter(&n)
            } else {
                scope.variable(&n)
            })
        }
        "copyindex" => Some(copy_index(
            args.iter().map(|a| scope.eval(a, copies)).collect(),
            copies,
        )),
        _ => None,
    }
}

/// The environment and scope functions.
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    Some(match (name, args.as_slice()) {
        ("managementgroup", _) => unknown_object(&["id", "name", "properties"]),
        (_, []) if let Some(value) = constant(name) => value.clone(),
        _ => return None,
    })
}

/// The value of `name()` (lower-cased) when it is the same for every
/// template: `environment()`, and the scope functions' objects of unknown
/// members. Built once per run: `resourceGroup().location`, which nearly
/// every module defaults its location to, reads its member here
/// ([`crate::arm::eval::rooted_in_kept`]) instead of building the object for
/// every read, a fortieth of a Bicep run's allocations.
pub(in crate::arm) fn constant(name: &str) -> Option<&'static Value> {
    static ENVIRONMENT: LazyLock<Value> = LazyLock::new(public_cloud);
    static TENANT: LazyLock<Value> =
        LazyLock::new(|| unknown_object(&["tenantId", "countryCode", "displayName"]));
    static DEPLOYMENT: LazyLock<Value> =
        LazyLock::new(|| unknown_object(&["name", "properties", "location"]));
    static RESOURCE_GROUP: LazyLock<Value> =
        LazyLock::new(|| unknown_object(&["id", "name", "location", "properties", "tags"]));
    static SUBSCRIPTION: LazyLock<Value> =
        LazyLock::new(|| unknown_object(&["id", "subscriptionId", "tenantId", "displayName"]));
    Some(match name {
        "environment" => &ENVIRONMENT,
        "tenant" => &TENANT,
        "deployment" => &DEPLOYMENT,
        "resourcegroup" => &RESOURCE_GROUP,
        "subscription" => &SUBSCRIPTION,
        _ => return None,
    })
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

/// `environment()` in the public cloud (Microsoft Learn, "Deployment
/// functions for ARM templates"). Only what templates use to build host and
/// zone names is given; the rest is unknown.
fn public_cloud() -> Value {
    let strings = |pairs: &[(&str, &str)]| {
        let mut o = Object::new();
        for (k, v) in pairs {
            o.insert(*k, node(Value::String((*v).into())));
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

fn unknown_object(keys: &[&str]) -> Value {
    let mut object = Object::with_capacity(keys.len());
    for key in keys {
        object.insert(*key, Node::unknown(None));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use crate::arm::eval::testing::*;
    use crate::model::Value;

    /// The same everywhere, so built once: a member is read where it is
    /// kept, through any chain, and the whole object is still a value.
    #[test]
    fn the_scope_functions_members_read_in_place_are_what_the_objects_hold() {
        documented("[environment().suffixes.storage]", r#""core.windows.net""#);
        documented(
            "[environment()['suffixes'].keyvaultDns]",
            r#"".vault.azure.net""#,
        );
        documented("[length(environment().authentication)]", "3");
        documented("[contains(resourceGroup(), 'location')]", "true");
        documented("[empty(subscription())]", "false");
        assert_eq!(eval("[resourceGroup().location]"), Value::Unknown);
        assert_eq!(eval("[subscription().subscriptionId]"), Value::Unknown);
        assert_eq!(eval("[resourceGroup().nothing]"), Value::Unknown);
        assert_eq!(
            eval("[environment().name]"),
            Value::String("AzureCloud".into())
        );
    }
}
