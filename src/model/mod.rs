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
pub use value::{Node, Object, Truth, Value};

/// What a front-end produced from one input: zero or more units, and the
/// problems it met (a file that does not parse yields a problem and no unit).
#[derive(Debug, Default)]
pub struct Loaded {
    pub units: Vec<Unit>,
    pub problems: Vec<crate::diagnostic::Problem>,
    /// Files read (including parameter files, child modules).
    pub files: usize,
}
