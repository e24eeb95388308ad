//! Values written as text, and pieces joined into one string: what ARM's
//! `concat`/`string`/`format` and Terraform's template interpolation share.
//! A resource id followed by `/type/name` pieces stays an id (of the child),
//! so a reference built by joining still links.
//!
//! The languages differ in small ways, each a field of [`TextRules`]; this
//! file names no language and parses no template.

use std::cell::Cell;
use std::ops::Range;

use super::{ArmId, Key, Value};

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
            return Value::String(Key::default());
        };
        // Written in a buffer the thread keeps: the joined text is then one
        // allocation of its own size, or none when it is short.
        with_buffer(|joined| {
            let id = match first {
                Value::Id(id) if !(self.known_ids_as_text && fully_known(&id)) => Some(id),
                other => {
                    if !self.push_text(&other, joined) {
                        return Value::Unknown;
                    }
                    None
                }
            };
            for part in parts {
                if !self.push_text(&part, joined) {
                    return Value::Unknown;
                }
            }
            match id {
                Some(id) => id.with_suffix(joined).map_or(Value::Unknown, Value::id),
                None => Value::String(Key::from(joined.as_str())),
            }
        })
    }
}

/// What `f` makes of an empty buffer the thread keeps. The buffer is taken
/// while `f` runs, so `f` may call this again (and is given a new one).
pub(crate) fn with_buffer<T>(f: impl FnOnce(&mut String) -> T) -> T {
    thread_local! {
        static BUFFER: Cell<String> = const { Cell::new(String::new()) };
    }
    let mut buffer = BUFFER.take();
    buffer.clear();
    let out = f(&mut buffer);
    // Kept for the next call unless one hostile text made it large: a
    // thread does not hold on to megabytes for what most calls need bytes.
    if buffer.capacity() <= MAX_KEPT_BUFFER {
        BUFFER.set(buffer);
    }
    out
}

/// The largest buffer [`with_buffer`] keeps between calls.
const MAX_KEPT_BUFFER: usize = 64 << 10;

impl TextRules {
    /// An id written as a path with unknown pieces: every `/` and the
    /// keywords, namespace and types written as text, the unknown pieces
    /// only in name, subscription and resource group segments (which are
    /// then unknown; an unknown piece is taken as whole segments, since
    /// names hold no `/`). `None` for anything else.
    fn partial_id(&self, parts: &[Value]) -> Option<ArmId> {
        with_buffer(|text| {
            // Each segment: where its text is in `text`, or `None` when an
            // unknown piece is in it.
            let mut segments: Vec<Option<Range<usize>>> = vec![Some(0..0)];
            for part in parts {
                if let Value::Unknown = part {
                    if let Some(last) = segments.last_mut() {
                        *last = None;
                    }
                    continue;
                }
                let start = text.len();
                if !self.push_text(part, text) {
                    return None;
                }
                for slash in memchr::memchr_iter(b'/', &text.as_bytes()[start..]) {
                    let at = start + slash;
                    if let Some(Some(last)) = segments.last_mut() {
                        last.end = at;
                    }
                    segments.push(Some(at + 1..at + 1));
                }
                if let Some(Some(last)) = segments.last_mut() {
                    last.end = text.len();
                }
            }
            // A leading `/`: the first segment is empty text.
            if !matches!(segments.first(), Some(Some(first)) if first.is_empty()) {
                return None;
            }
            let segments: Vec<Option<&str>> = segments[1..]
                .iter()
                .map(|s| s.clone().map(|r| &text[r]))
                .collect();
            ArmId::from_segments(&segments)
        })
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

    /// The thread's buffer is handed out empty, again inside a call that
    /// holds it, and not kept once a text has made it large.
    #[test]
    fn the_threads_buffer_is_empty_nested_and_not_kept_large() {
        let inner = with_buffer(|outer| {
            outer.push_str("outer");
            let inner = with_buffer(|inner| {
                assert!(inner.is_empty());
                inner.push_str("inner");
                inner.clone()
            });
            assert_eq!(outer, "outer");
            inner
        });
        assert_eq!(inner, "inner");
        with_buffer(|b| b.push_str(&"x".repeat(MAX_KEPT_BUFFER * 2)));
        with_buffer(|b| assert!(b.is_empty() && b.capacity() <= MAX_KEPT_BUFFER));
    }

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

    #[test]
    fn a_segment_written_in_several_pieces_is_one_segment() {
        let s = |t: &str| Value::String(t.into());
        let joined = LOWER.join(vec![
            s("/subscriptions/"),
            Value::Unknown,
            s("/resourceGroups/rg-"),
            Value::Number(7.0),
            s("-west/providers/Microsoft.Network/"),
            s("virtualNetworks/vnet-"),
            Value::Unknown,
        ]);
        let Value::Id(id) = joined else {
            panic!("a typed id: {joined:?}");
        };
        assert_eq!(id.subscription, crate::model::Part::Unknown);
        assert_eq!(id.resource_group.known(), Some("rg-7-west"));
        assert_eq!(id.rtype, "Microsoft.Network/virtualNetworks");
        assert_eq!(id.names, vec![crate::model::Part::Unknown]);
    }

    #[test]
    fn joined_text_long_or_short_is_the_pieces_in_order() {
        let s = |t: &str| Value::String(t.into());
        for rules in [CAPITALISED, LOWER] {
            assert_eq!(
                rules.join(vec![s("a"), Value::Number(1.0), s("b")]),
                s("a1b")
            );
            let long = "a-name-of-more-than-twenty-four-bytes";
            assert_eq!(
                rules.join(vec![s(long), s("-"), Value::Bool(true)]),
                s(&[long, "-", rules.bools.0].concat())
            );
            assert_eq!(rules.join(vec![]), s(""));
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
