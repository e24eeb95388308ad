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
        let mut out = String::new();
        self.push_text(v, &mut out).then_some(out)
    }

    /// [`TextRules::text`] of `v` appended to `out`; false (and `out` as it
    /// may be) for a value that has none.
    pub fn push_text(&self, v: &Value, out: &mut String) -> bool {
        use std::fmt::Write;
        match v {
            Value::String(s) => out.push_str(s),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                let _ = write!(out, "{}", *n as i64);
            }
            Value::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Bool(true) => out.push_str(self.bools.0),
            Value::Bool(false) => out.push_str(self.bools.1),
            Value::Id(id) if self.known_ids_as_text && fully_known(id) => {
                let _ = write!(out, "{id}");
            }
            _ => return false,
        }
        true
    }

    /// Joins pieces: an id followed by `/type/name` pairs stays an id (of
    /// the child); unknown when any piece is unknown or has no text.
    pub fn join(&self, parts: Vec<Value>) -> Value {
        if parts.iter().any(Value::contains_unknown) {
            // `/subscriptions/${var.sub}/…/providers/Microsoft.KeyVault/vaults/${var.name}`:
            // the type is written even though names are not known.
            return self.partial_id(&parts).map_or(Value::Unknown, Value::id);
        }
        let mut parts = parts
            .into_iter()
            .filter(|p| !(self.skip_empty && matches!(p, Value::String(s) if s.is_empty())));
        let Some(first) = parts.next() else {
            return Value::String(String::new().into());
        };
        // The pieces are appended where they end up: to the first piece's
        // own text when it is text, without a copy of each piece.
        let (id, mut joined) = match first {
            Value::Id(id) if !(self.known_ids_as_text && fully_known(&id)) => {
                (Some(id), String::new())
            }
            Value::String(text) => (None, text.into_string()),
            other => {
                let mut text = String::new();
                if !self.push_text(&other, &mut text) {
                    return Value::Unknown;
                }
                (None, text)
            }
        };
        for part in parts {
            if !self.push_text(&part, &mut joined) {
                return Value::Unknown;
            }
        }
        match id {
            Some(id) => id.with_suffix(&joined).map_or(Value::Unknown, Value::id),
            None => Value::String(joined.into()),
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
                Value::string(""),
                Value::Number(1.0),
            ]
        };
        for rules in [CAPITALISED, LOWER] {
            assert_eq!(rules.join(parts()), Value::String("a1".into()));
            assert_eq!(rules.join(Vec::new()), Value::string(""));
            assert_eq!(
                rules.join(vec![Value::String("a".into()), Value::Unknown]),
                Value::Unknown
            );
            // A first piece that is not text is written as text; a piece
            // with no text (null, a list) makes the whole unknown.
            assert_eq!(
                rules.join(vec![Value::Number(2.5), Value::String("x".into())]),
                Value::String("2.5x".into())
            );
            for without_text in [Value::Null, Value::Array(Vec::new())] {
                assert_eq!(
                    rules.join(vec![without_text.clone(), Value::String("x".into())]),
                    Value::Unknown
                );
                assert_eq!(
                    rules.join(vec![Value::String("x".into()), without_text]),
                    Value::Unknown
                );
            }
        }
        assert_eq!(
            CAPITALISED.join(vec![Value::String("on-".into()), Value::Bool(true)]),
            Value::String("on-True".into())
        );
    }
}
