//! Values written as text, and pieces joined into one string: what ARM's
//! `concat`/`string`/`format` and Terraform's template interpolation share.
//! A resource id followed by `/type/name` pieces stays an id (of the child),
//! so a reference built by joining still links.
//!
//! The languages differ in small ways, each a field of [`TextRules`]; this
//! file names no language and parses no template.

use super::{ArmId, Value};

/// How one language writes values as text and joins them.
#[derive(Clone, Copy, Debug)]
pub struct TextRules {
    /// How `true` and `false` are written.
    pub bools: (&'static str, &'static str),
    /// Whether an id whose every part is known is written out as text (and
    /// joined as a string); otherwise an id is never text, and one that
    /// starts a join is extended by the rest.
    pub known_ids_as_text: bool,
    /// Whether empty strings are dropped before joining (so that an id
    /// after an empty piece still starts the join).
    pub skip_empty: bool,
}

impl TextRules {
    /// `v` as text; `None` for a value that has none (null, a list, an
    /// object, an id per `known_ids_as_text`).
    pub fn text(&self, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(format!("{}", *n as i64))
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(true) => Some(self.bools.0.to_string()),
            Value::Bool(false) => Some(self.bools.1.to_string()),
            Value::Id(id) if self.known_ids_as_text && fully_known(id) => Some(id.to_string()),
            _ => None,
        }
    }

    /// Joins pieces: an id followed by `/type/name` pairs stays an id (of
    /// the child); unknown when any piece is unknown or has no text.
    pub fn join(&self, parts: Vec<Value>) -> Value {
        if parts.iter().any(Value::contains_unknown) {
            // `/subscriptions/${var.sub}/…/providers/Microsoft.KeyVault/vaults/${var.name}`:
            // the type is written even though names are not known.
            return self.partial_id(&parts).map_or(Value::Unknown, Value::Id);
        }
        let mut parts = parts
            .into_iter()
            .filter(|p| !(self.skip_empty && matches!(p, Value::String(s) if s.is_empty())));
        let Some(first) = parts.next() else {
            return Value::String(String::new());
        };
        let rest: Option<String> = parts.map(|p| self.text(&p)).collect();
        let Some(rest) = rest else {
            return Value::Unknown;
        };
        match first {
            Value::Id(id) if !(self.known_ids_as_text && fully_known(&id)) => {
                id.with_suffix(&rest).map_or(Value::Unknown, Value::Id)
            }
            other => self
                .text(&other)
                .map_or(Value::Unknown, |t| Value::String(t + &rest)),
        }
    }
}

impl TextRules {
    /// An id written as a path with unknown pieces: every `/` and the
    /// keywords, namespace and types written as text, the unknown pieces
    /// only in name, subscription and resource group segments (which are
    /// then unknown; an unknown piece is taken as whole segments, since
    /// names hold no `/`). `None` for anything else.
    fn partial_id(&self, parts: &[Value]) -> Option<ArmId> {
        // Each segment: its text, or `None` when an unknown piece is in it.
        let mut segments: Vec<Option<String>> = vec![Some(String::new())];
        for part in parts {
            match part {
                Value::Unknown => {
                    if let Some(last) = segments.last_mut() {
                        *last = None;
                    }
                }
                other => {
                    let text = self.text(other)?;
                    for (i, chunk) in text.split('/').enumerate() {
                        if i > 0 {
                            segments.push(Some(String::new()));
                        }
                        if let Some(Some(last)) = segments.last_mut() {
                            last.push_str(chunk);
                        }
                    }
                }
            }
        }
        // A leading `/`: the first segment is empty text.
        if segments.first() != Some(&Some(String::new())) {
            return None;
        }
        let segments: Vec<Option<&str>> = segments[1..].iter().map(Option::as_deref).collect();
        ArmId::from_segments(&segments)
    }
}

/// Whether every part of `id` is known.
pub fn fully_known(id: &ArmId) -> bool {
    id.subscription.known().is_some()
        && id.resource_group.known().is_some()
        && id.names.iter().all(|n| n.known().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_unknown_names_is_a_typed_id() {
        let s = |t: &str| Value::String(t.into());
        let joined = LOWER.join(vec![
            s("/subscriptions/"),
            Value::Unknown,
            s("/resourceGroups/"),
            Value::Unknown,
            s("/providers/Microsoft.KeyVault/vaults/kv-"),
            Value::Unknown,
        ]);
        let Value::Id(id) = joined else {
            panic!("a typed id: {joined:?}");
        };
        assert_eq!(id.rtype, "Microsoft.KeyVault/vaults");
        assert_eq!(id.names, vec![crate::model::Part::Unknown]);
        // An unknown type, or text that is no id, stays unknown.
        for parts in [
            vec![
                s("/subscriptions/x/providers/"),
                Value::Unknown,
                s("/vaults/kv"),
            ],
            vec![s("prefix-"), Value::Unknown],
            vec![
                s("/providers/Microsoft.KeyVault/vaults/"),
                Value::Unknown,
                s("/keys"),
            ],
        ] {
            assert_eq!(LOWER.join(parts), Value::Unknown);
        }
    }

    const CAPITALISED: TextRules = TextRules {
        bools: ("True", "False"),
        known_ids_as_text: true,
        skip_empty: false,
    };
    const LOWER: TextRules = TextRules {
        bools: ("true", "false"),
        known_ids_as_text: false,
        skip_empty: true,
    };

    #[test]
    fn numbers_and_bools_as_text() {
        for rules in [CAPITALISED, LOWER] {
            assert_eq!(rules.text(&Value::Number(3.0)).as_deref(), Some("3"));
            assert_eq!(rules.text(&Value::Number(2.5)).as_deref(), Some("2.5"));
            assert_eq!(rules.text(&Value::Null), None);
        }
        assert_eq!(
            CAPITALISED.text(&Value::Bool(true)).as_deref(),
            Some("True")
        );
        assert_eq!(LOWER.text(&Value::Bool(false)).as_deref(), Some("false"));
    }

    #[test]
    fn joins_strings_and_stops_at_unknown() {
        let parts = || {
            vec![
                Value::String("a".into()),
                Value::String(String::new()),
                Value::Number(1.0),
            ]
        };
        for rules in [CAPITALISED, LOWER] {
            assert_eq!(rules.join(parts()), Value::String("a1".into()));
            assert_eq!(rules.join(Vec::new()), Value::String(String::new()));
            assert_eq!(
                rules.join(vec![Value::String("a".into()), Value::Unknown]),
                Value::Unknown
            );
        }
    }
}
