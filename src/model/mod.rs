//! The neutral model: every front-end's output, in ARM's vocabulary.
//!
//! Resources carry their ARM type, name, id and a property tree in the ARM REST
//! shape; values may be unknown and logic is three-valued. This module knows
//! nothing about JSON or HCL syntax, and nothing about rules.

pub mod graph;
pub mod id;
pub mod memo;
pub mod resource;
pub mod text;
pub mod value;

pub use graph::{Graph, Referrer, ResourceIdx, Unit};
pub use id::{ArmId, Part};
pub use memo::Memo;
pub use resource::{Framework, Origin, Resource};
pub use text::TextRules;
pub use value::{Key, Node, Object, Truth, Value};

/// What `f` makes of `s` ASCII-lower-cased: on the stack when `s` is short
/// (types and keys mostly are), a copy otherwise. For lookups in maps
/// keyed by lower-cased text, with no allocation per lookup. Not inlined:
/// its buffer stays out of the frames of the recursive evaluators that
/// look keys up, whose depth the unit's stack must hold.
#[inline(never)]
pub(crate) fn with_lowercase<T>(s: &str, f: impl FnOnce(&str) -> T) -> T {
    let mut buffer = [0u8; 128];
    if let Some(lower) = buffer.get_mut(..s.len()) {
        lower.copy_from_slice(s.as_bytes());
        lower.make_ascii_lowercase();
        // ASCII lower-casing keeps UTF-8 valid, so this is always `Ok`.
        if let Ok(lower) = std::str::from_utf8(lower) {
            return f(lower);
        }
    }
    f(&s.to_ascii_lowercase())
}

/// What a front-end produced from one input: zero or more units, and the
/// problems it met (a file that does not parse yields a problem and no unit).
#[derive(Debug, Default)]
pub struct Loaded {
    pub units: Vec<Unit>,
    pub problems: Vec<crate::diagnostic::Problem>,
    /// Files read (including parameter files, child modules).
    pub files: usize,
}
