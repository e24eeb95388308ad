//! What a variable's type constraint adds to the value it receives:
//! the defaults of `optional(type, default)` object attributes.
//!
//! Terraform converts every value a variable receives (its default, a var
//! file, a module call's argument) to the variable's type; an object
//! attribute declared `optional(T, D)` that is missing or null becomes `D`
//! (and one declared `optional(T)` becomes null). Modules such as Azure
//! Verified Modules take whole settings objects this way
//! (`private_dns_zone_resource_ids = optional(set(string), [])`), so a rule
//! that reads a setting the caller left out sees the module's default.
//!
//! Only that is done: the walk goes through `object`, `map`, `list`, `set`
//! and `tuple` to reach the optional attributes; no value is converted
//! (`"1"` stays a string for a `number`), none is checked against its type,
//! and attributes the type does not declare are kept. A value that is not
//! known stays unknown.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, FuncCall, ObjectKey};

use crate::model::{Node, Object, Value};
use crate::source::FileId;
use crate::terraform::eval::{MAX_DEPTH, Module, span_of};

/// Whether `ty` declares an `optional(…)` attribute anywhere: only then
/// can the type change a value.
pub(super) fn declares_optional(ty: &Expression) -> bool {
    declares_optional_at(ty, 0)
}

fn declares_optional_at(ty: &Expression, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match ty {
        Expression::FuncCall(call) => {
            name(call) == "optional" || call.args.iter().any(|a| declares_optional_at(a, depth + 1))
        }
        Expression::Object(object) => object
            .iter()
            .any(|(_, v)| declares_optional_at(v.expr(), depth + 1)),
        Expression::Array(items) => items.iter().any(|a| declares_optional_at(a, depth + 1)),
        Expression::Parenthesis(inner) => declares_optional_at(inner.inner(), depth + 1),
        _ => false,
    }
}

fn name(call: &FuncCall) -> &str {
    call.name.name.value().as_str()
}

/// `optional(T)` or `optional(T, D)`: `T` and `D`.
fn optional(ty: &Expression) -> Option<(Option<&Expression>, Option<&Expression>)> {
    match ty {
        Expression::FuncCall(call) if name(call) == "optional" => {
            let mut args = call.args.iter();
            Some((args.next(), args.next()))
        }
        _ => None,
    }
}

impl Module<'_> {
    /// `value` with the defaults of the optional attributes `ty` (declared
    /// in `file`) declares filled in.
    pub(super) fn with_optional_defaults(
        &self,
        value: Value,
        ty: &Expression,
        file: FileId,
        depth: usize,
    ) -> Value {
        // The type nests as deep as the source allows; past the evaluator's
        // depth the value is left as given rather than walked further.
        if depth > MAX_DEPTH || self.guard.exhausted() {
            return value;
        }
        let Expression::FuncCall(call) = ty else {
            return match ty {
                Expression::Parenthesis(inner) => {
                    self.with_optional_defaults(value, inner.inner(), file, depth + 1)
                }
                _ => value,
            };
        };
        let first = call.args.iter().next();
        match (name(call), value, first) {
            ("object", Value::Object(object), Some(Expression::Object(attributes))) => {
                let mut object = object;
                for (key, attribute) in attributes.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => continue,
                    };
                    let attribute_type = attribute.expr();
                    let given = object
                        .get(&key)
                        .filter(|n| !matches!(n.value, Value::Null))
                        .cloned();
                    let conformed = match (given, optional(attribute_type)) {
                        (Some(node), Some((inner, _))) => match inner {
                            Some(inner) => self.conform_node(node, inner, file, depth),
                            None => node,
                        },
                        (Some(node), None) => self.conform_node(node, attribute_type, file, depth),
                        (None, Some((inner, default))) => {
                            let span = span_of(file, default.and_then(|d| d.span()))
                                .or_else(|| span_of(file, attribute_type.span()));
                            let value = match default {
                                Some(default) => {
                                    let value = self.in_context(None, || self.eval(default, file));
                                    match inner {
                                        Some(inner) => self.with_optional_defaults(
                                            value,
                                            inner,
                                            file,
                                            depth + 1,
                                        ),
                                        None => value,
                                    }
                                }
                                None => Value::Null,
                            };
                            Node::new(value, span)
                        }
                        // A required attribute the value lacks: Terraform
                        // refuses the value; nothing to fill in.
                        (None, None) => continue,
                    };
                    object.insert(key, conformed);
                }
                Value::Object(object)
            }
            ("map", Value::Object(object), Some(element)) => {
                let mut out = Object::new();
                for (key, node) in object.into_entries() {
                    out.insert(key, self.conform_node(node, element, file, depth));
                }
                Value::Object(out)
            }
            ("list" | "set", Value::Array(items), Some(element)) => Value::Array(
                items
                    .into_iter()
                    .map(|node| self.conform_node(node, element, file, depth))
                    .collect(),
            ),
            ("tuple", Value::Array(items), Some(Expression::Array(elements))) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, node)| match elements.get(i) {
                        Some(element) => self.conform_node(node, element, file, depth),
                        None => node,
                    })
                    .collect(),
            ),
            (_, value, _) => value,
        }
    }

    fn conform_node(&self, node: Node, ty: &Expression, file: FileId, depth: usize) -> Node {
        let Node { value, span } = node;
        Node::new(
            self.with_optional_defaults(value, ty, file, depth + 1),
            span,
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Node, Value};
    use crate::terraform::testing::{load, resource};

    fn at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Value> {
        path.iter()
            .try_fold(node, |n, key| n.get(key))
            .map(|n| &n.value)
    }

    #[test]
    fn a_missing_optional_attribute_takes_its_default_from_every_source() {
        // The default of the variable itself, and a value given in the
        // module: both lack `zone_ids` and `tier`.
        let loaded = load(
            r#"
variable "endpoints" {
  type = map(object({
    subnet   = string
    zone_ids = optional(set(string), ["z1"])
    tier     = optional(string)
    nested   = optional(object({ mode = optional(string, "Deny") }), {})
  }))
  default = { kv = { subnet = "s", tier = null } }
}
resource "azurerm_private_dns_zone" "z" {
  name = "${one(var.endpoints.kv.zone_ids)}-${var.endpoints.kv.nested.mode}-${var.endpoints.kv.tier == null}"
}
"#,
        );
        let zone = resource(&loaded, "azurerm_private_dns_zone.z");
        assert_eq!(
            at(&zone.body, &["name"]),
            Some(&Value::String("z1-Deny-true".into()))
        );
    }
}
