//! `.plinth.yaml`: a team's settings, found by walking up from each checked
//! template or module (or given with `--config FILE`). Command-line flags win
//! over it. Every mistake in a file is reported in one pass, and a file with
//! a mistake applies nothing.
//!
//! ```yaml
//! fail_on: warning            # error | warning | info | never
//! exclude: ["examples/**"]    # globs, like --exclude
//! rule_dirs: [policies]       # like --rules, relative to this file
//! rules:
//!   select: [PG, PE004]       # only these: ids, names, prefixes (default: all but PGH)
//!   extend_select: [PGH]      # and these, on top of select or the default set
//!   disable: [PE002]          # all but these
//!   severity: { PE006: error }
//!   settings: { PG021: { max_addresses: 65536 } }   # read by setting()
//! ignore:                     # findings to leave out, by rule, path and address
//!   - rule: PE006
//!     path: "legacy/**"       # glob, relative to this file
//!     address: "azurerm_private_endpoint.old_*"
//!     reason: hub team owns these zones
//! suppressions:
//!   inline: true              # false: `plinth:ignore` comments are not honoured
//!   require_expiry: false     # true: a comment without `until=` is not honoured
//!   require_reason: false     # true: a comment without a reason is not honoured (SUP001 error)
//! terraform:
//!   var_files:                # module folder → var files, read after
//!     infra/prod: [infra/prod/prod.tfvars]  # terraform.tfvars and *.auto.tfvars
//!   modules_without_resources: [contoso/tags/azurerm]  # registry modules that hide no resource
//! arm:
//!   parameter_files:          # template → parameter file (default: X.parameters.json)
//!     infra/main.json: infra/main.prod.parameters.json
//! bicep:
//!   cache: .bicep-cache       # like --bicep-cache: the folder holding br/ and ts/
//! limits:                     # how far plinth reads; a hit is a limit-exceeded error
//!   max_file_bytes: 33554432  # larger files are not read (32 MiB)
//!   max_nesting: 256          # JSON/HCL brackets (at most 512)
//!   max_expression_depth: 64  # nested calls in one expression (at most 256)
//!   max_copies: 800           # ARM copy count, Terraform count/for_each instances
//!   max_deployment_depth: 16  # nested deployments (Bicep modules), local Terraform modules (at most 256)
//!   max_object_members: 10000 # members of one HCL object expression
//!   max_value_bytes: 268435456 # values one unit may build in all (256 MiB)
//!   max_instances: 20000      # copy/count/for_each instances of one unit in all
//!   max_module_calls: 2000    # nested deployments and local module calls of one unit
//!   max_evaluation_depth: 2048 # ARM evaluation across variables and functions (at most 4096)
//! ```
//!
//! Paths are relative to the config file's folder.
//!
//! Unknown keys are errors, with a "did you mean".

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::diagnostic::{Code, Problem, RuleInfo, Severity};
use crate::limits::Limits;
use crate::source::LoadError;
use crate::source::{FileId, SourceMap, Span};

/// The file names looked for, in order, in each folder.
pub const FILE_NAMES: [&str; 2] = [".plinth.yaml", ".plinth.yml"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigYaml {
    fail_on: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    rule_dirs: Vec<PathBuf>,
    #[serde(default)]
    rules: RulesYaml,
    #[serde(default)]
    ignore: Vec<IgnoreYaml>,
    #[serde(default)]
    suppressions: SuppressionsYaml,
    #[serde(default)]
    terraform: TerraformYaml,
    #[serde(default)]
    arm: ArmYaml,
    #[serde(default)]
    bicep: BicepYaml,
    #[serde(default)]
    limits: Limits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BicepYaml {
    cache: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformYaml {
    #[serde(default)]
    var_files: BTreeMap<PathBuf, Vec<PathBuf>>,
    #[serde(default)]
    modules_without_resources: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArmYaml {
    #[serde(default)]
    parameter_files: BTreeMap<PathBuf, PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesYaml {
    select: Option<Vec<String>>,
    #[serde(default)]
    extend_select: Vec<String>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    /// Per rule: the values its `setting('name', default)` reads.
    #[serde(default)]
    settings: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreYaml {
    rule: String,
    path: Option<String>,
    address: Option<String>,
    #[allow(dead_code)] // for people reading the file
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionsYaml {
    #[serde(default = "yes")]
    inline: bool,
    #[serde(default)]
    require_expiry: bool,
    #[serde(default)]
    require_reason: bool,
}

impl Default for SuppressionsYaml {
    fn default() -> SuppressionsYaml {
        SuppressionsYaml {
            inline: true,
            require_expiry: false,
            require_reason: false,
        }
    }
}

fn yes() -> bool {
    true
}

/// `fail_on` as written: a severity, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

/// One `ignore` entry, compiled.
#[derive(Clone, Debug)]
pub struct Ignore {
    pub rule: String,
    pub path: Option<GlobMatcher>,
    pub address: Option<GlobMatcher>,
}

/// A loaded configuration. `Config::default()` is what applies without a file.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file, when there is one; relative paths in it are relative to its folder.
    pub path: Option<PathBuf>,
    file: Option<FileId>,
    pub fail_on: Option<FailOn>,
    pub exclude: Vec<String>,
    pub rule_dirs: Vec<PathBuf>,
    pub select: Option<Vec<String>>,
    /// `rules: extend_select:` — added to the select that applies.
    pub extend_select: Vec<String>,
    pub disable: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    /// `rules: settings:` — per rule id, setting name → value.
    pub settings: BTreeMap<String, std::collections::HashMap<String, crate::model::Value>>,
    pub ignore: Vec<Ignore>,
    pub inline_suppressions: bool,
    pub require_expiry: bool,
    /// A `plinth:ignore` without a reason is not honoured (SUP001 is an error).
    pub require_reason: bool,
    /// Terraform module folder → extra var files (paths as written, joined to the config's folder).
    pub var_files: Vec<(PathBuf, Vec<PathBuf>)>,
    /// Registry module sources that declare no Azure resource, beside the
    /// built-in naming and region helpers: calling one leaves a unit complete.
    pub modules_without_resources: Vec<String>,
    /// ARM template → its parameter file.
    pub parameter_files: Vec<(PathBuf, PathBuf)>,
    /// `bicep: cache:` — the Bicep module cache (joined to the config's folder).
    pub bicep_cache: Option<PathBuf>,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            path: None,
            file: None,
            fail_on: None,
            exclude: Vec::new(),
            rule_dirs: Vec::new(),
            select: None,
            extend_select: Vec::new(),
            disable: Vec::new(),
            severity: BTreeMap::new(),
            settings: BTreeMap::new(),
            ignore: Vec::new(),
            inline_suppressions: true,
            require_expiry: false,
            require_reason: false,
            var_files: Vec::new(),
            modules_without_resources: Vec::new(),
            parameter_files: Vec::new(),
            bicep_cache: None,
            limits: Limits::default(),
        }
    }
}

/// The nearest config file at or above `start` (a file or folder).
pub fn find(start: &Path) -> Option<PathBuf> {
    Finder::default().find(start)
}

/// [`find`] for the many inputs of a run: each folder is looked in once,
/// however many inputs lie under it (AVM's 2,350 Bicep files sit a dozen
/// folders deep: two dozen `stat`s each, on the one thread that runs before
/// the units start).
#[derive(Debug, Default)]
pub struct Finder {
    /// Folder (absolute) → the config that governs it.
    governs: HashMap<PathBuf, Option<PathBuf>>,
    /// The working directory, asked for once.
    cwd: Option<PathBuf>,
}

impl Finder {
    /// The nearest config at or above `start` (a file or a folder).
    pub fn find(&mut self, start: &Path) -> Option<PathBuf> {
        let is_dir = start.is_dir();
        self.find_from(start, is_dir)
    }

    /// [`Finder::find`] where the caller knows whether `start` is a folder
    /// (an input: a template is a file, a Terraform module a folder).
    pub fn find_from(&mut self, start: &Path, is_dir: bool) -> Option<PathBuf> {
        // `std::path::absolute` asks for the working directory each time a
        // path is relative; joined to it once asked, the path is the same.
        let start = if start.is_absolute() {
            std::path::absolute(start).ok()?
        } else {
            if self.cwd.is_none() {
                self.cwd = Some(std::env::current_dir().ok()?);
            }
            std::path::absolute(self.cwd.as_ref()?.join(start)).ok()?
        };
        let mut dir = if is_dir {
            Some(start.as_path())
        } else {
            start.parent()
        };
        let mut walked = Vec::new();
        let found = loop {
            let Some(d) = dir else {
                break None;
            };
            if let Some(known) = self.governs.get(d) {
                break known.clone();
            }
            walked.push(d.to_path_buf());
            if let Some(config) = in_folder(d) {
                break Some(config);
            }
            dir = d.parent();
        };
        for d in walked {
            self.governs.insert(d, found.clone());
        }
        found
    }
}

/// The config file in folder `d` itself, if any.
fn in_folder(d: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| d.join(name))
        .find(|c| c.is_file())
        .map(|candidate| {
            // Shown in diagnostics: relative to the working directory when inside it.
            let cwd = std::env::current_dir().ok();
            cwd.and_then(|cwd| candidate.strip_prefix(cwd).ok().map(Path::to_path_buf))
                .unwrap_or(candidate)
        })
}

impl Config {
    /// Reads and checks a config file. Every mistake is a `config-error` with
    /// its position, all of them in one pass; a file with any mistake gives
    /// no `Config` at all, so nothing of it half applies.
    pub fn load(sources: &SourceMap, path: &Path) -> Result<Config, Vec<Problem>> {
        match Config::read(sources, path) {
            (Some(config), problems) if problems.is_empty() => Ok(config),
            (_, problems) => Err(problems),
        }
    }

    /// [`Config::load`], and with the mistakes what could be read around
    /// them: only for finding more mistakes (unknown rule ids), never to
    /// apply.
    pub fn read(sources: &SourceMap, path: &Path) -> (Option<Config>, Vec<Problem>) {
        match Config::read_inner(sources, path) {
            Ok((config, problems)) => (Some(config), problems),
            Err(problems) => (None, problems),
        }
    }

    #[allow(clippy::too_many_lines)] // one check per key of .plinth.yaml, in file order
    fn read_inner(
        sources: &SourceMap,
        path: &Path,
    ) -> Result<(Config, Vec<Problem>), Vec<Problem>> {
        let file = sources.load(path).map_err(|err| {
            let mut problem = err.problem(path, "config", (path, None));
            if let LoadError::Refused(_) = err {
                problem.code = Code::ConfigError;
            }
            vec![problem]
        })?;
        let source = sources.get(file);
        let problem = |message: String, span: Option<Span>| {
            Problem::new(Code::ConfigError, message).at(path, span)
        };
        let at = |text: &str| find_span(sources, file, text);
        let mut problems = Vec::new();
        let yaml: ConfigYaml = if source.text.trim().is_empty() {
            ConfigYaml::default()
        } else {
            let located = |err: serde_yaml::Error, near: Option<&str>| {
                let span = err
                    .location()
                    .map(|l| Span::new(file, l.index(), l.index() + 1))
                    .or_else(|| near.and_then(at));
                let message = format!("invalid config: {err}");
                let help = did_you_mean(&message);
                let mut p = problem(message, span);
                if let Some(help) = help {
                    p = p.with_help(help);
                }
                p
            };
            let value: serde_yaml::Value =
                serde_yaml::from_str(&source.text).map_err(|err| vec![located(err, None)])?;
            match serde_yaml::from_value(value.clone()) {
                Ok(yaml) => yaml,
                Err(first) => {
                    // serde stops at the first mistake: read each setting
                    // on its own (each key of a section on its own) to
                    // find them all, and go on with the settings that
                    // read, to find the bad values among them too.
                    let mut good = serde_yaml::Mapping::new();
                    for (key, part) in parts(&value) {
                        match serde_yaml::from_value::<ConfigYaml>(part.clone()) {
                            Ok(_) => merge(&mut good, part),
                            Err(err) => problems.push(located(err, Some(&key))),
                        }
                    }
                    match serde_yaml::from_value(serde_yaml::Value::Mapping(good)) {
                        Ok(yaml) if !problems.is_empty() => yaml,
                        // Not a mapping, or a mistake no single part shows.
                        _ => return Err(vec![located(first, None)]),
                    }
                }
            }
        };
        let base = path.parent().unwrap_or(Path::new("."));

        let fail_on = match yaml.fail_on.as_deref() {
            None => None,
            Some(t) if t.eq_ignore_ascii_case("never") => Some(FailOn::Never),
            Some(t) => match Severity::parse(t) {
                Some(s) => Some(FailOn::At(s)),
                None => {
                    problems.push(problem(
                        format!("fail_on `{t}` must be one of error, warning, info, never"),
                        at(t),
                    ));
                    None
                }
            },
        };
        let mut severity = BTreeMap::new();
        for (rule, level) in &yaml.rules.severity {
            match Severity::parse(level) {
                Some(s) => {
                    severity.insert(rule.to_ascii_uppercase(), s);
                }
                None => problems.push(problem(
                    format!("severity `{level}` for {rule} must be one of error, warning, info"),
                    at(level),
                )),
            }
        }
        let mut glob = |pattern: &str| match Glob::new(pattern) {
            Ok(g) => Some(g.compile_matcher()),
            Err(err) => {
                problems.push(problem(
                    format!("invalid glob `{pattern}`: {err}"),
                    at(pattern),
                ));
                None
            }
        };
        let mut ignore = Vec::new();
        for entry in &yaml.ignore {
            ignore.push(Ignore {
                rule: entry.rule.to_ascii_uppercase(),
                path: entry.path.as_deref().and_then(&mut glob),
                address: entry.address.as_deref().and_then(&mut glob),
            });
        }
        for pattern in &yaml.exclude {
            glob(pattern);
        }
        let ceilings = [
            ("max_nesting", yaml.limits.max_nesting, 512),
            (
                "max_file_bytes",
                usize::try_from(yaml.limits.max_file_bytes).unwrap_or(usize::MAX),
                crate::paths::MAX_FILE_BYTES_CAP as usize,
            ),
            (
                "max_expression_depth",
                yaml.limits.max_expression_depth,
                256,
            ),
            // Local Terraform modules load inside each other: a chain of
            // 3,000 fits a debug build's 64 MiB stack; real ones stay under 16.
            (
                "max_deployment_depth",
                yaml.limits.max_deployment_depth,
                256,
            ),
            // Past this a debug build's evaluator nears its 64 MiB stack.
            (
                "max_evaluation_depth",
                yaml.limits.max_evaluation_depth,
                4_096,
            ),
        ];
        for (key, value, ceiling) in ceilings {
            if value > ceiling {
                problems.push(problem(
                    format!("limits.{key} is {value}; it can be at most {ceiling}"),
                    at(key),
                ));
            }
        }
        let config = Config {
            path: Some(path.to_path_buf()),
            file: Some(file),
            fail_on,
            exclude: yaml.exclude,
            rule_dirs: yaml.rule_dirs.iter().map(|d| base.join(d)).collect(),
            select: yaml
                .rules
                .select
                .map(|s| s.iter().map(|r| r.to_ascii_uppercase()).collect()),
            extend_select: yaml
                .rules
                .extend_select
                .iter()
                .map(|r| r.to_ascii_uppercase())
                .collect(),
            disable: yaml
                .rules
                .disable
                .iter()
                .map(|r| r.to_ascii_uppercase())
                .collect(),
            severity,
            settings: yaml
                .rules
                .settings
                .iter()
                .map(|(rule, values)| {
                    (
                        rule.to_ascii_uppercase(),
                        values
                            .iter()
                            .map(|(k, v)| (k.clone(), crate::model::Value::from_json(v)))
                            .collect(),
                    )
                })
                .collect(),
            ignore,
            inline_suppressions: yaml.suppressions.inline,
            require_expiry: yaml.suppressions.require_expiry,
            require_reason: yaml.suppressions.require_reason,
            var_files: yaml
                .terraform
                .var_files
                .iter()
                .map(|(dir, files)| (base.join(dir), files.iter().map(|f| base.join(f)).collect()))
                .collect(),
            modules_without_resources: yaml.terraform.modules_without_resources.clone(),
            parameter_files: yaml
                .arm
                .parameter_files
                .iter()
                .map(|(template, parameters)| (base.join(template), base.join(parameters)))
                .collect(),
            bicep_cache: yaml.bicep.cache.map(|c| base.join(c)),
            limits: yaml.limits,
        };
        Ok((config, problems))
    }

    /// Rule selectors the file writes that name no rule, with where they are written.
    pub fn unknown_rules(&self, sources: &SourceMap, known: &[RuleInfo]) -> Vec<Problem> {
        let Some(path) = &self.path else {
            return Vec::new();
        };
        let named = self
            .select
            .iter()
            .flatten()
            .chain(&self.extend_select)
            .chain(&self.disable)
            .chain(self.severity.keys())
            .chain(self.settings.keys())
            .chain(self.ignore.iter().map(|i| &i.rule));
        let mut problems = Vec::new();
        let file = self.file;
        for rule in named {
            if !crate::select::resolve(rule, known).is_empty() {
                continue;
            }
            let span = file.and_then(|f| find_span(sources, f, rule));
            let mut p = Problem::new(Code::ConfigError, format!("unknown rule `{rule}`"))
                .at(path.clone(), span);
            if let Some(help) = crate::select::suggestion(rule, known) {
                p = p.with_help(help);
            }
            problems.push(p);
        }
        problems
    }

    /// Whether an `ignore` entry covers a finding of `rule` at `file` (as
    /// displayed, relative to the working directory) on resource `address`.
    pub fn ignores(&self, rule: &str, name: &str, file: &Path, address: &str) -> bool {
        if self.ignore.is_empty() {
            return false;
        }
        let relative = self.relative(file);
        self.ignore.iter().any(|i| {
            crate::select::matches(&i.rule, rule, name)
                && i.path.as_ref().is_none_or(|g| g.is_match(&relative))
                && i.address.as_ref().is_none_or(|g| g.is_match(address))
        })
    }

    /// The var files configured for the module in `dir`.
    pub fn var_files_for(&self, dir: &Path) -> Vec<PathBuf> {
        self.var_files
            .iter()
            .filter(|(d, _)| same_file(d, dir))
            .flat_map(|(_, files)| files.iter().cloned())
            .collect()
    }

    /// The parameter file configured for `template`, if any.
    pub fn parameter_file_for(&self, template: &Path) -> Option<PathBuf> {
        self.parameter_files
            .iter()
            .find(|(t, _)| same_file(t, template))
            .map(|(_, p)| p.clone())
    }

    /// A path relative to the config file's folder, for matching its globs.
    fn relative(&self, file: &Path) -> PathBuf {
        let Some(base) = self.path.as_ref().and_then(|p| p.parent()) else {
            return file.to_path_buf();
        };
        match (std::path::absolute(file), std::path::absolute(base)) {
            (Ok(file), Ok(base)) => file
                .strip_prefix(&base)
                .map(Path::to_path_buf)
                .unwrap_or(file),
            _ => file.to_path_buf(),
        }
    }
}

/// The settings of a config, each alone in a config of its own: a top-level
/// key with a scalar or list value as it is, a section (`rules:`,
/// `limits:` …) once per key inside it. Each is named by its innermost key,
/// to point at it when it is wrong.
fn parts(value: &serde_yaml::Value) -> Vec<(String, serde_yaml::Value)> {
    use serde_yaml::{Mapping, Value};
    let Value::Mapping(top) = value else {
        return Vec::new();
    };
    let name = |key: &Value| match key {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    let alone = |key: &Value, inner: Value| {
        let mut one = Mapping::new();
        one.insert(key.clone(), inner);
        Value::Mapping(one)
    };
    let mut out = Vec::new();
    for (key, inner) in top {
        match inner {
            Value::Mapping(section) if !section.is_empty() => {
                for (sub, v) in section {
                    let mut one = Mapping::new();
                    one.insert(sub.clone(), v.clone());
                    out.push((name(sub), alone(key, Value::Mapping(one))));
                }
            }
            _ => out.push((name(key), alone(key, inner.clone()))),
        }
    }
    out
}

/// Adds one part made by [`parts`] back into a config being rebuilt.
fn merge(into: &mut serde_yaml::Mapping, part: serde_yaml::Value) {
    use serde_yaml::Value;
    let Value::Mapping(part) = part else {
        return;
    };
    for (key, inner) in part {
        match (into.get_mut(&key), inner) {
            (Some(Value::Mapping(section)), Value::Mapping(more)) => section.extend(more),
            (_, inner) => {
                into.insert(key, inner);
            }
        }
    }
}

/// Whether two paths name the same existing file or folder.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn find_span(sources: &SourceMap, file: FileId, text: &str) -> Option<Span> {
    let source = sources.get(file);
    source
        .text
        .find(text)
        .map(|at| Span::new(file, at, at + text.len()))
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the nearest expected field.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    crate::select::closest(field, candidates.into_iter()).map(|c| format!("did you mean `{c}`?"))
}

/// A starter `.plinth.yaml`, every setting commented out at its default.
pub const STARTER: &str = r#"# plinth configuration. plinth finds this file by walking up from the
# checked path; command-line flags win over it. Every key is optional.

# Lowest severity that makes `plinth check` exit 1: error, warning, info, never.
# fail_on: warning

# Paths to skip, as globs relative to the checked path (like --exclude).
# exclude:
#   - "examples/**"

# Folders of your own YAML rules, relative to this file (like --rules).
# rule_dirs:
#   - policies

# rules:
#   select: [PG, PE004]         # report only these rules: ids, names, id prefixes
#                               # (default: all but the PostgreSQL hygiene rules, PGH)
#   extend_select: [PGH]        # add these to the select above or to the default set
#   disable: [PE002]            # report all but these
#   settings:                   # a rule's settings, e.g. PG021's widest range
#     PG021: { max_addresses: 65536 }
#   severity:                   # change a rule's severity
#     PE006: error

# Findings to leave out: by rule, and optionally by path glob (relative to
# this file) and resource address glob. Say why.
# ignore:
#   - rule: PE006
#     path: "legacy/**"
#     address: "azurerm_private_endpoint.old_*"
#     reason: the hub team owns these zones

# Inline `# plinth:ignore RULE reason until=YYYY-MM-DD` comments.
# suppressions:
#   inline: true                # false: comments are not honoured
#   require_expiry: false       # true: comments without until= are not honoured
#   require_reason: false       # true: comments without a reason are not honoured

# Terraform reads terraform.tfvars and *.auto.tfvars by itself (so does
# plinth); name the other var files a module is deployed with. Folders and
# files are relative to this file; --var-file adds one for every module.
# terraform:
#   var_files:
#     infra/prod: [infra/prod/prod.tfvars]
#   # Registry modules that declare no Azure resource (naming, regions and
#   # cloudposse/label are known): calling one leaves the unit complete.
#   modules_without_resources: [contoso/tags/azurerm]

# An ARM template X.json is checked with X.parameters.json when that file
# exists; name other parameter files here, relative to this file.
# arm:
#   parameter_files:
#     infra/main.json: infra/main.prod.parameters.json

# Registry (br:) and template spec (ts:) modules are read from a Bicep module
# cache filled by `bicep restore` when you name one (like --bicep-cache): the
# folder holding br/ and ts/, as bicepconfig.json's cacheRootDirectory says.
# Bicep's default, ~/.bicep, is never read unless named here.
# bicep:
#   cache: .bicep-cache

# How far plinth reads one input. Hitting a limit is a limit-exceeded error
# (exit 2) at the place that hit it; what lies past it is not checked.
# limits:
#   max_file_bytes: 33554432    # larger files are not read (32 MiB)
#   max_nesting: 256            # JSON and HCL brackets (at most 512)
#   max_expression_depth: 64    # nested calls in one expression (at most 256)
#   max_copies: 800             # ARM copy count (ARM's own cap), Terraform instances
#   max_deployment_depth: 16    # nested deployments (Bicep modules), local Terraform modules (at most 256)
#   max_object_members: 10000   # members of one HCL object expression (tags = {...})
#   max_value_bytes: 268435456  # values one unit may build in all (256 MiB)
#   max_instances: 20000        # copy/count/for_each instances of one unit in all
#   max_module_calls: 2000      # nested deployments and local module calls of one unit
#   max_evaluation_depth: 2048  # ARM evaluation across variables and functions (at most 4096)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_finder_finds_what_find_finds_and_looks_in_each_folder_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["a/b", "a/c", "d/e"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        std::fs::write(root.join(".plinth.yaml"), "fail_on: error\n").unwrap();
        std::fs::write(root.join("d/.plinth.yml"), "fail_on: error\n").unwrap();
        let mut finder = Finder::default();
        for input in [
            "a/b/main.bicep",
            "a/c/main.json",
            "a/b",
            "d/e/main.tf",
            "d/x.bicep",
            "a/b/other.bicep",
        ] {
            let path = root.join(input);
            assert_eq!(finder.find(&path), find(&path), "{input}");
        }
        assert!(
            finder
                .find(&root.join("d/e/main.tf"))
                .unwrap()
                .ends_with("d/.plinth.yml")
        );
        assert!(
            finder
                .find(&root.join("a/c/main.json"))
                .unwrap()
                .ends_with(".plinth.yaml")
        );
        // Each folder from the inputs up to the config is remembered.
        assert!(finder.governs.contains_key(&root.join("a/b")));
        assert!(finder.governs.contains_key(&root.join("a")));
    }

    fn load(text: &str) -> Result<Config, Vec<Problem>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".plinth.yaml");
        std::fs::write(&path, text).expect("write");
        Config::load(&SourceMap::new(), &path)
    }

    #[test]
    fn the_starter_file_is_a_valid_config() {
        let config = load(STARTER).expect("valid");
        assert_eq!(config.fail_on, None);
        assert!(config.inline_suppressions);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_suggestion() {
        let err = load("fial_on: error\n").expect_err("unknown key").remove(0);
        assert!(
            err.message.contains("unknown field `fial_on`"),
            "{}",
            err.message
        );
        assert_eq!(err.help.as_deref(), Some("did you mean `fail_on`?"));
        assert!(err.span.is_some());
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(load("fail_on: sometimes\n").is_err());
        assert!(load("rules:\n  severity:\n    PG001: fatal\n").is_err());
        assert!(load("ignore:\n  - rule: PG001\n    path: \"a[\"\n").is_err());
    }

    #[test]
    fn limits_default_and_configured() {
        assert_eq!(Config::default().limits, Limits::default());
        let config = load("limits:\n  max_copies: 10\n  max_nesting: 512\n").expect("valid");
        assert_eq!(config.limits.max_copies, 10);
        assert_eq!(config.limits.max_nesting, 512);
        assert_eq!(
            config.limits.max_deployment_depth,
            Limits::default().max_deployment_depth
        );
        let err = load("limits:\n  max_nesting: 100000\n")
            .expect_err("over the ceiling")
            .remove(0);
        assert!(err.message.contains("at most 512"), "{}", err.message);
        let err = load("limits:\n  max_copy: 3\n")
            .expect_err("unknown key")
            .remove(0);
        assert_eq!(err.help.as_deref(), Some("did you mean `max_copies`?"));
        assert!(load("limits:\n  max_copies: -1\n").is_err());
    }

    #[test]
    fn rule_selection() {
        let config = load("rules:\n  select: [pg001, PE002]\n  disable: [PE002]\n").expect("valid");
        // Kept as written (upper-cased); `select::select` resolves them.
        assert_eq!(
            config.select.as_deref(),
            Some(&["PG001".to_string(), "PE002".to_string()][..])
        );
        assert_eq!(config.disable, ["PE002"]);
        assert!(Config::default().select.is_none());
    }
}
