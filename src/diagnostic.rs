//! The vocabulary every stage speaks: a [`Problem`] with the run (an
//! unreadable file, a parse error, a limit hit), a [`Finding`] of a rule with
//! its [`Label`]s and [`Severity`], the [`RuleInfo`] printers describe, and
//! how a path is shown, and the [`SyntaxError`] of every parser (JSON, Bicep,
//! ARM expressions, HCL) with its one conversion to a `parse-error`. It sits under the model and the front-ends so that
//! they report without depending on `report`, the last stage; it knows no
//! input format, no rule and no printer.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::span::{FileId, Span};

/// What kind of problem a run met: a stable code, printed as written here
/// (`parse-error`), that users, CI scripts and every output format match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// `parse-error`
    ParseError,
    /// `io-error`
    IoError,
    /// `config-error`
    ConfigError,
    /// `rule-error`
    RuleError,
    /// `usage-error`
    UsageError,
    /// `limit-exceeded`
    LimitExceeded,
    /// `nothing-to-check`
    NothingToCheck,
    /// `not-a-template`
    NotATemplate,
    /// `path-outside`
    PathOutside,
    /// `not-regular-file`
    NotRegularFile,
    /// `decode-error`
    DecodeError,
    /// `suppression-error`
    SuppressionError,
    /// `module-error`
    ModuleError,
}

impl Code {
    /// Every code, in the order of the enum.
    pub const ALL: [Code; 13] = [
        Code::ParseError,
        Code::IoError,
        Code::ConfigError,
        Code::RuleError,
        Code::UsageError,
        Code::LimitExceeded,
        Code::NothingToCheck,
        Code::NotATemplate,
        Code::PathOutside,
        Code::NotRegularFile,
        Code::DecodeError,
        Code::SuppressionError,
        Code::ModuleError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::ParseError => "parse-error",
            Code::IoError => "io-error",
            Code::ConfigError => "config-error",
            Code::RuleError => "rule-error",
            Code::UsageError => "usage-error",
            Code::LimitExceeded => "limit-exceeded",
            Code::NothingToCheck => "nothing-to-check",
            Code::NotATemplate => "not-a-template",
            Code::PathOutside => "path-outside",
            Code::NotRegularFile => "not-regular-file",
            Code::DecodeError => "decode-error",
            Code::SuppressionError => "suppression-error",
            Code::ModuleError => "module-error",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The problem code of every limit hit (see `limits`).
pub const LIMIT_EXCEEDED: Code = Code::LimitExceeded;

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
    /// The change the rule offers, when it declares a `fix` (see `fix`).
    pub fix: Option<FixSpec>,
}

/// A rule's fix for one finding, in the model's terms: the value at
/// `target` should be `to`. The `fix` module turns it into text edits in
/// the language the value was written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixSpec {
    /// What the fix does, for a reader: `set privateEndpointNetworkPolicies to 'Enabled'`.
    pub title: String,
    /// The node whose value changes: an object member (`key: value`) or an
    /// array element, as the front-end spanned it.
    pub target: Span,
    /// The value the model holds there now, when it is a scalar.
    pub current: Option<Literal>,
    /// The value it should hold.
    pub to: Literal,
    /// Another resource's value comes from the same text (a loop, a
    /// shared declaration): changing it changes more than this finding.
    pub shared: bool,
    /// The rule is sure the new value is right (its `safe:` condition
    /// holds); when not, the fix is unsafe wherever the value is written.
    pub sure: bool,
    /// The member's new key, when the fix renames it (written only where
    /// the member itself is, never in a variable it read).
    pub key: Option<String>,
    /// Insert the property, under this key path (ARM and Bicep: `network`,
    /// `publicNetworkAccess` when `network` is not written either), or as this HCL
    /// attribute (Terraform; none: no fix there), into the object at
    /// `target`: when it is not written (`true`), or, in Terraform, when
    /// `target` is a whole block (a provider default the front-end placed
    /// there) rather than an attribute (`false`).
    pub insert: Option<(Vec<String>, Option<String>, bool)>,
    /// Where a computed value came from (parameter defaults and values,
    /// variables), when it was not written at `target`.
    pub sources: Vec<Span>,
}

/// A scalar value a fix reads or writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// As written in JSON (`1`, `2.5`).
    Number(String),
    String(String),
}

/// Something that went wrong with the run itself: an unreadable file, input
/// that claims to be a template but does not parse, a broken rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable code, e.g. `parse-error`, `io-error`, `rule-error`, `usage-error`.
    pub code: Code,
    pub message: String,
    /// The file, when the problem has one (also when it has no span, e.g. unreadable).
    pub path: Option<PathBuf>,
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
}

/// What makes two problems the same report: the file, the offsets, the
/// message and the code (not the id a unit registered the file under). The
/// run's report compares the paths normalized.
pub type ProblemKey = (Option<PathBuf>, Option<(u32, u32)>, String, String);

impl Problem {
    /// See [`ProblemKey`].
    pub fn key(&self) -> ProblemKey {
        (
            self.path.clone(),
            self.span.map(|s| (s.start, s.end)),
            self.message.clone(),
            self.code.to_string(),
        )
    }

    pub fn new(code: Code, message: impl Into<String>) -> Problem {
        Problem {
            code,
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

/// An error of one of the parsers (JSON, Bicep, ARM expressions, HCL), with
/// the byte range it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// Nesting past the parser's limit, not a malformed input.
    pub too_deep: bool,
}

impl SyntaxError {
    /// A malformed input at `start..end`.
    pub fn new(message: impl Into<String>, start: usize, end: usize) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            start,
            end,
            too_deep: false,
        }
    }

    /// Input nested deeper than the parser's limit, at `start..end`.
    pub fn too_deep(message: impl Into<String>, start: usize, end: usize) -> SyntaxError {
        SyntaxError {
            too_deep: true,
            ..SyntaxError::new(message, start, end)
        }
    }

    /// Its place in `file`, whose text is `len` bytes long: at least one byte
    /// wide where the text has one, never past its end.
    pub fn span(&self, file: FileId, len: usize) -> Span {
        let start = self.start.min(len);
        let end = self.end.max(self.start + 1).min(len).max(start);
        Span::new(file, start, end)
    }

    /// The `parse-error` it is: `"{what}: {message}"` at its place in `path`
    /// (`file`, `len` bytes long), labelled with the message.
    pub fn problem(&self, what: &str, path: &Path, file: FileId, len: usize) -> Problem {
        Problem::new(Code::ParseError, format!("{what}: {}", self.message))
            .at(path, Some(self.span(file, len)))
            .with_label(self.message.clone())
    }
}

/// A rule as printers describe it (SARIF lists every rule that ran).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub title: std::borrow::Cow<'static, str>,
    pub description: std::borrow::Cow<'static, str>,
    pub remediation: std::borrow::Cow<'static, str>,
    pub url: Option<String>,
    /// The rule's full documentation in Markdown (`plinth explain`'s text),
    /// for SARIF's `help.markdown`; none for rules without YAML.
    pub markdown: Option<String>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_is_a_labelled_parse_error_within_the_file() {
        let err = SyntaxError::new("expected `}`", 4, 4);
        assert_eq!(err.span(FileId(0), 10), Span::new(FileId(0), 4, 5));
        assert_eq!(err.span(FileId(0), 4), Span::new(FileId(0), 4, 4));
        let problem = err.problem("invalid Bicep", Path::new("main.bicep"), FileId(0), 10);
        assert_eq!(problem.code, "parse-error");
        assert_eq!(problem.message, "invalid Bicep: expected `}`");
        assert_eq!(problem.label.as_deref(), Some("expected `}`"));
        assert_eq!(problem.path.as_deref(), Some(Path::new("main.bicep")));
        assert!(SyntaxError::too_deep("deep", 0, 1).too_deep);
    }

    #[test]
    fn the_output_formats_doc_lists_every_problem_code() {
        let doc = include_str!("../docs/output-formats.md");
        for code in Code::ALL {
            assert!(
                doc.contains(&format!("`{code}`")),
                "docs/output-formats.md does not list the problem code `{code}`"
            );
        }
    }
}
