//! Findings and run problems, and their renderings. Printers know nothing of
//! Azure: they see spans, messages and labels.

pub mod baseline;
pub mod compact;
pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod snippet;
pub mod suppress;

use std::path::PathBuf;

use serde::Serialize;

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A span with a short text, shown under the source snippet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// The resource a finding is about, as users name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceSummary {
    #[serde(rename = "type")]
    pub rtype: String,
    pub name: String,
    pub address: String,
    /// The whole declaration, so a suppression above a block covers it.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// One rule violation, provably true of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    pub message: String,
    /// The most precise span the rule could find, with its label.
    pub primary: Label,
    pub related: Vec<Label>,
    pub resource: ResourceSummary,
    pub help: Option<String>,
    pub url: Option<String>,
    /// Stable across reformatting and line moves; set by the pipeline.
    pub fingerprint: String,
    /// The label of the unit (template, Terraform module) it was found in; set by the pipeline.
    pub unit: String,
}

/// Something that went wrong with the run itself: an unreadable file, input
/// that claims to be a template but does not parse, a broken rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable code, e.g. `parse-error`, `io-error`, `rule-error`, `usage-error`.
    pub code: String,
    pub message: String,
    /// The file, when the problem has one (also when it has no span, e.g. unreadable).
    pub path: Option<PathBuf>,
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(code: &str, message: impl Into<String>) -> Problem {
        Problem {
            code: code.to_string(),
            message: message.into(),
            path: None,
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn at(mut self, path: impl Into<PathBuf>, span: Option<Span>) -> Problem {
        self.path = Some(path.into());
        self.span = span;
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Problem {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

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
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Which parameter file fed which ARM template (only when some did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_files: Vec<ParameterFile>,
    /// Compiled templates left unchecked because their `.bicep` source was
    /// checked instead (only when there were some).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compiled_skipped: Vec<String>,
}

/// An ARM template checked with the values of a parameter file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct ParameterFile {
    pub template: String,
    pub parameters: String,
}

/// A rule as printers describe it (SARIF lists every rule that ran).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub remediation: String,
    pub url: Option<String>,
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
}

/// What `--show-unknown` says at each unseen place.
pub const UNSEEN: &str = "not read by plinth (a registry or git module, a module whose instances are not known before apply, or a linked template): what it declares is unknown, so rules that prove something missing stay silent in this unit";

/// A path as users should read it in output: as given on the command line,
/// with `/` separators and without a leading `./`.
pub fn display_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut rest = text.as_str();
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped.trim_start_matches('/');
    }
    if rest.is_empty() {
        ".".to_string()
    } else {
        rest.to_string()
    }
}
