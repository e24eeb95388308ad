//! The ARM expression parser and evaluator on any string: never a panic,
//! never a hang, and the same value every time.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plinth::arm::eval::Scope;
use plinth::arm::expr;
use plinth::json::{self, J};
use plinth::limits::Guard;
use plinth::source::FileId;

/// A template with parameters and variables for expressions to reach.
const TEMPLATE: &str = r#"{
  "parameters": {
    "name": { "type": "string", "defaultValue": "pg-prod" },
    "count": { "type": "int", "defaultValue": 3 },
    "unknown": { "type": "string" },
    "list": { "type": "array", "defaultValue": [1, "two", { "three": 3 }] }
  },
  "variables": {
    "zone": "privatelink.postgres.database.azure.com",
    "self": "[variables('self')]",
    "object": { "a": "[parameters('name')]", "b": [true, null] }
  }
}"#;

fn template() -> &'static J {
    static TEMPLATE_J: OnceLock<J> = OnceLock::new();
    TEMPLATE_J.get_or_init(|| match json::parse(FileId(0), TEMPLATE, 64) {
        Ok(Some(j)) => j,
        _ => panic!("the fuzz template is valid JSON"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = expr::parse_within(text, 64);
    let template = template();
    let expression = format!("[{text}]");
    let first = Scope::new(template, HashMap::new(), Guard::default()).string_at(
        &expression,
        template.span,
        &[],
    );
    let again = Scope::new(template, HashMap::new(), Guard::default()).string_at(
        &expression,
        template.span,
        &[],
    );
    assert_eq!(format!("{first:?}"), format!("{again:?}"), "deterministic");
});
