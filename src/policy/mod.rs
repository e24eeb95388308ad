//! The rule language: YAML policies, loaded, checked and evaluated over the graph.

use crate::model::Graph;
use crate::report::{Finding, Problem};
use crate::source::SourceMap;

pub struct RuleSet {}

impl RuleSet {
    /// The built-in rules, embedded in the binary.
    pub fn builtin(_sources: &SourceMap) -> Result<RuleSet, Vec<Problem>> {
        Ok(RuleSet {})
    }

    pub fn check(&self, _graph: &Graph, _sources: &SourceMap) -> Vec<Finding> {
        Vec::new()
    }
}
