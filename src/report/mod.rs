//! Findings and run problems, and their renderings. Printers know nothing of
//! Azure: they see spans, messages and labels.

pub mod baseline;
pub mod compact;
pub mod escape;
pub mod github;
pub mod graph;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod snippet;
pub mod suppress;

use serde::Serialize;

use crate::source::{SourceMap, Span};

pub use crate::diagnostic::{
    Finding, Label, Problem, ResourceSummary, RuleInfo, Severity, display_path,
};

/// Counts for the summary line and the JSON `summary` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: usize,
    pub units: usize,
    pub resources: usize,
    pub findings: usize,
    pub errors: usize,
    /// Findings left out because the baseline lists them.
    pub baselined: usize,
    /// Findings not printed by `--min-severity` (a display filter: the
    /// machine formats carry every finding, so this is never serialized).
    #[serde(skip)]
    pub hidden: usize,
    /// Baseline entries that matched no finding (only when there were some).
    #[serde(skip_serializing_if = "is_zero")]
    pub baseline_stale: usize,
    /// The baseline file applied, as given (only with `--baseline`).
    #[serde(skip)]
    pub baseline: Option<String>,
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Which parameter file fed which ARM template (only when some did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_files: Vec<ParameterFile>,
    /// Compiled templates left unchecked because their `.bicep` source was
    /// checked instead (only when there were some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compiled_skipped: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// An ARM template checked with the values of a parameter file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct ParameterFile {
    pub template: String,
    pub parameters: String,
}

/// Everything one run found, in deterministic order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The rules that ran, in id order.
    pub rules: Vec<RuleInfo>,
    /// The labels of the units checked (template paths, module folders), sorted.
    pub units: Vec<String>,
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub summary: Summary,
    /// With `--show-unknown`: where units declare what plinth cannot see
    /// (a registry or git module, a module whose instances are unknown, a
    /// linked template), ordered by file and position.
    pub unseen: Vec<Span>,
    /// The whole message at some of those places: [`UNSEEN`] with what a
    /// front-end knows more, or where a private endpoint's chain stops at
    /// something not known and what would decide it.
    pub unseen_why: std::collections::HashMap<Span, String>,
}

impl Report {
    /// What `--show-unknown` says at the unseen place `span`.
    pub fn unseen_message(&self, span: Span) -> String {
        match self.unseen_why.get(&span) {
            Some(message) => message.clone(),
            None => UNSEEN.to_string(),
        }
    }
}

/// What `--show-unknown` says at each unseen place.
pub const UNSEEN: &str = "not read by plinth (a registry or git module, a module whose instances are not known before apply, or a linked template): what it declares is unknown, so rules that prove something missing stay silent in this unit";

/// A finding's fingerprint with its file named `path`: the rule, the file,
/// the resource's address and the offending source text with its whitespace
/// removed — never a line number. The JSON report names files relative to
/// the working directory, a baseline relative to its own folder.
pub fn fingerprint_at(sources: &SourceMap, finding: &Finding, path: &str) -> String {
    let file = sources.get(finding.primary.span.file);
    let snippet: String = file
        .slice(finding.primary.span)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let text = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        finding.rule, path, finding.resource.address, snippet
    );
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// FNV-1a, 64-bit: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
