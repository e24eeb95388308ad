//! `azapi_resource`: the ARM type comes from its own `type` attribute, and
//! its `body` is the ARM resource's JSON, whose `properties` are taken as
//! they are (a `jsonencode`d body is decoded first).

use crate::model::{Node, Value};
use crate::source::Span;

use super::Mapping;

pub(super) fn map(m: &mut Mapping) {
    match m.attr("body").map(|b| (b.value, b.span)) {
        Some((Value::Object(o), _)) => {
            if let Some(Node {
                value: Value::Object(p),
                ..
            }) = o.get("properties")
            {
                m.properties = p.clone();
            }
        }
        Some((Value::String(text), span)) => {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
                && let Value::Object(o) = Value::from_json(&json)
                && let Some(Node {
                    value: Value::Object(p),
                    ..
                }) = o.get("properties")
            {
                m.properties = p.clone();
                // Decoded values have no spans of their own: the body's.
                m.properties.for_each_node_mut(|n| set_spans(n, span));
            }
        }
        Some(_) => m.body_unknown = true,
        None => {}
    }
}

/// Gives every node without a span `span` (values decoded from a string).
fn set_spans(node: &mut Node, span: Option<Span>) {
    if node.span.is_none() {
        node.span = span;
    }
    match &mut node.value {
        Value::Array(items) => {
            for item in items {
                set_spans(item, span);
            }
        }
        Value::Object(o) => o.for_each_node_mut(|n| set_spans(n, span)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, load, resource, text};
    use crate::model::Value;

    #[test]
    fn an_azapi_body_gives_the_type_api_version_and_properties() {
        let loaded = load(
            r#"
resource "azapi_resource" "pe" {
  type = "Microsoft.Network/privateEndpoints@2023-09-01"
  name = "pe"
  body = jsonencode({
    properties = {
      subnet = { id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a" }
    }
  })
}
variable "body" {}
resource "azapi_resource" "unknown" {
  type = "Microsoft.Network/privateEndpoints@2023-09-01"
  name = "unknown"
  body = var.body
}
"#,
        );
        let pe = resource(&loaded, "azapi_resource.pe");
        assert_eq!(pe.rtype, "Microsoft.Network/privateEndpoints");
        assert_eq!(pe.api_version.as_deref(), Some("2023-09-01"));
        assert!(text(pe, "properties.subnet.id").is_some());
        // Decoded from a string: every value carries the body's span.
        assert!(
            pe.get_path("properties.subnet.id")
                .is_some_and(|n| n.span.is_some())
        );
        let unknown = resource(&loaded, "azapi_resource.unknown");
        assert_eq!(at(unknown, "properties"), Some(&Value::Unknown));
    }
}
