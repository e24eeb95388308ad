//! The shape of a rule file, as serde reads it: no code of plinth's, so that
//! `build.rs` reads the built-in rules with these same types (it includes
//! this file) and embeds them already parsed; `rule.rs` checks and compiles
//! them. Unknown keys are errors. `build.rs` prints each value back as Rust
//! (its `ToRust`), so a field added here and not there fails the build.

use serde::Deserialize;

/// A rule's prose: borrowed from the binary for the built-in rules (their
/// text is compiled in; copying every rule's documentation into the heap
/// at each start was a tenth of a small file's check), owned for a user's.
pub type Text = std::borrow::Cow<'static, str>;

/// The YAML shape of a rule file. Unknown keys are errors.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleYaml {
    pub id: String,
    pub name: String,
    pub severity: String,
    pub title: Text,
    pub description: Text,
    pub rationale: Text,
    pub remediation: Text,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub links: Vec<String>,
    #[serde(default)]
    pub examples: Option<Examples>,
    /// The inputs the rule is about: `[arm, bicep, terraform]` (default), or
    /// one of them for a rule about that language's own syntax.
    #[serde(default)]
    pub inputs: Option<Vec<InputKind>>,
    pub check: Vec<StepYaml>,
    pub report: ReportYaml,
    /// The change that removes a finding (see `rules/README.md`, Fixes).
    #[serde(default)]
    pub fix: Option<FixYaml>,
}

/// `fix:` — set the value at `set` (an expression naming a node of the
/// flagged resource) to `to`, when `when` holds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixYaml {
    pub set: String,
    pub to: String,
    #[serde(default)]
    pub when: Option<String>,
    /// The fix is unsafe (needs `--unsafe-fixes`) unless this holds: the
    /// rule is not sure the value is right (a zone name whose cloud is not
    /// known).
    #[serde(default)]
    pub safe: Option<String>,
    /// The member's new key, when the fix renames it too (a legacy
    /// attribute written under its current name): an expression.
    #[serde(default)]
    pub key: Option<String>,
    /// Where the property `set` names is not written: the Terraform
    /// attribute that says the same, as HCL (`name = value`), inserted in
    /// the block. ARM and Bicep insert the property under its own name.
    #[serde(default)]
    pub insert_hcl: Option<String>,
    pub title: String,
}

/// A kind of input a rule applies to.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Arm,
    Bicep,
    Terraform,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Arm => "arm",
            InputKind::Bicep => "bicep",
            InputKind::Terraform => "terraform",
        }
    }
}

/// Bad and good examples for the docs, per front-end.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub bad: Example,
    #[serde(default)]
    pub good: Example,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default)]
    pub arm: Option<Text>,
    #[serde(default)]
    pub bicep: Option<Text>,
    #[serde(default)]
    pub terraform: Option<Text>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepYaml {
    #[serde(rename = "for", default)]
    pub for_each: Option<String>,
    #[serde(rename = "let", default)]
    pub let_: Option<String>,
    #[serde(rename = "where", default)]
    pub where_: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportYaml {
    #[serde(default)]
    pub resource: Option<String>,
    pub at: String,
    #[serde(default)]
    pub label: Option<String>,
    pub message: String,
    /// A template giving this finding's severity (`error`, `warning`,
    /// `info`) when one rule covers cases of different weight; the rule's own
    /// severity otherwise.
    #[serde(default)]
    pub severity: Option<String>,
    /// A template for this finding's help, when the fix names what the check
    /// found (the zone this service needs); the rule's `help` otherwise.
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub related: Vec<RelatedYaml>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedYaml {
    pub at: String,
    pub label: String,
}

/// A data table (`rules/data/*.yaml`): a list of rows, each an object.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableYaml {
    pub rows: Vec<serde_json::Value>,
}
