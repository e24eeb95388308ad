//! plinth: a policy-as-code linter for Azure infrastructure as code.
//!
//! The pipeline (see ARCHITECTURE.md): discover → load → front-end → neutral model
//! → link → rules → findings → render. [`check`] runs all of it but the
//! rendering, which lives in [`report`].

pub mod arm;
pub mod bicep;
pub mod chain;
pub mod cidr;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod fix;
pub mod frontend;
pub mod json;
pub mod limits;
pub mod lsp;
pub mod model;
pub mod paths;
pub mod policy;
pub mod report;
pub mod select;
pub mod source;
pub mod span;
pub mod terraform;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::Code;
use crate::discover::Input;
pub use crate::frontend::Loaded;
use crate::frontend::load_input;
use crate::limits::Limits;
use crate::model::Graph;
use crate::policy::{RuleMeta, RuleSet};
use crate::report::suppress::Date;
use crate::report::{Finding, Problem, Report, RuleInfo, Severity, Summary};
use crate::source::{FileId, SourceMap, Span};

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    /// Folders of the user's own YAML rules, loaded beside the built-ins.
    pub rule_dirs: Vec<PathBuf>,
    /// A baseline file: findings it lists are not reported.
    pub baseline: Option<PathBuf>,
    /// Which `.plinth.yaml` applies.
    pub config: ConfigChoice,
    /// Terraform var files read for every module, after the module's own
    /// `terraform.tfvars`, `*.auto.tfvars` and the config's `var_files`.
    pub var_files: Vec<PathBuf>,
    /// `--var NAME=VALUE`: Terraform variable values for every module, above
    /// every var file.
    pub vars: Vec<(String, String)>,
    /// `--bicep-cache`: the Bicep module cache (what `bicepconfig.json`'s
    /// `cacheRootDirectory` names) registry modules are read from; wins over
    /// the config's `bicep: cache:`.
    pub bicep_cache: Option<PathBuf>,
    /// Report where units declare what plinth cannot see.
    pub show_unknown: bool,
    /// `--select`, `--ignore`, `--severity`.
    pub selection: select::Requested,
    /// `--allow-empty`: a run with nothing to check passes, and named
    /// `.json` files that are not templates are skipped (as a walk skips
    /// them) — for hooks that pass every changed file.
    pub allow_empty: bool,
    /// Draw each unit's private endpoint chains (`plinth graph`) into
    /// [`Run::pictures`].
    pub pictures: bool,
    /// Texts read instead of the files on disk: an editor's unsaved
    /// buffers (`plinth lsp`), fixes not yet written (`--fix`).
    pub overlay: std::sync::Arc<source::Overlay>,
    /// Each rule's Markdown documentation in [`Report::rules`] (what SARIF
    /// prints); left out otherwise, as no other format reads it.
    pub rule_docs: bool,
    /// Count each unit's ties into [`Run::ties`] (`--fix` compares them).
    pub ties: bool,
}

/// Where the configuration comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ConfigChoice {
    /// The nearest `.plinth.yaml` at or above each template or module.
    #[default]
    Find,
    File(PathBuf),
    /// No configuration file.
    Ignore,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            paths: vec![PathBuf::from(".")],
            exclude: Vec::new(),
            rule_dirs: Vec::new(),
            baseline: None,
            config: ConfigChoice::Find,
            var_files: Vec::new(),
            vars: Vec::new(),
            bicep_cache: None,
            show_unknown: false,
            selection: select::Requested::default(),
            allow_empty: false,
            pictures: false,
            overlay: std::sync::Arc::default(),
            rule_docs: false,
            ties: false,
        }
    }
}

/// The result of a run: the files it read (for rendering snippets) and the report.
pub struct Run {
    pub sources: SourceMap,
    pub report: Report,
    /// The configuration that applied (defaults when there was none).
    pub config: Config,
    /// With [`Options::pictures`]: the chains of each unit that has private
    /// endpoints, in unit order.
    pub pictures: Vec<report::graph::Picture>,
    /// With [`Options::ties`]: each unit's label, files and how many
    /// references and parent links name a resource it declares.
    pub ties: Vec<Ties>,
    /// The rules the run compiled, handed back so that a command about to
    /// exit can leave them (and the whole run) to the operating system
    /// rather than free them piece by piece.
    #[allow(dead_code)] // held, never read: see `Run::leak`
    rule_sets: Vec<policy::RuleSet>,
}

impl Run {
    /// Ends the run without freeing it: for a process about to exit, where
    /// freeing the rules, texts and findings one by one only costs time.
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

/// One unit's count of references that find a resource it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ties {
    pub unit: String,
    pub files: Vec<PathBuf>,
    pub count: usize,
}

/// Runs the whole pipeline over `options.paths`.
#[allow(clippy::too_many_lines)] // the pipeline's stages in order, each a few lines
pub fn check(options: &Options) -> Run {
    // One name per file however the paths are spelled (`./x`, `a/../x`).
    let normalized = Options {
        paths: options.paths.iter().map(|p| paths::normalize(p)).collect(),
        ..options.clone()
    };
    let options = &normalized;
    let sources = SourceMap::new();
    sources.set_overlay(options.overlay.clone());
    let mut problems = Vec::new();

    // The files the user named are read wherever they are (a link to one is
    // followed); everything else only under the roots (see `paths`).
    let mut named: Vec<PathBuf> = options
        .var_files
        .iter()
        .chain(&options.rule_dirs)
        .chain(&options.baseline)
        .chain(&options.bicep_cache)
        .cloned()
        .collect();
    if let ConfigChoice::File(path) = &options.config {
        named.push(path.clone());
    }
    // The config of each checked path: the one given, none, or the nearest
    // at or above it. Inputs deeper down may have a nearer one (below); the
    // folders looked in here are not looked in again for them.
    let mut finder = config::Finder::default();
    let path_configs: Vec<Option<PathBuf>> = options
        .paths
        .iter()
        .map(|path| match &options.config {
            ConfigChoice::Find => finder.find(path),
            ConfigChoice::File(file) => Some(file.clone()),
            ConfigChoice::Ignore => None,
        })
        .collect();
    // Files a config names (parameter files, var files, rule folders) are
    // read relative to its folder; a config deeper down lies under a root.
    let mut roots = options.paths.clone();
    for folder in path_configs.iter().flatten().filter_map(|p| p.parent()) {
        roots.push(if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder.to_path_buf()
        });
    }
    let confine = |max_file_bytes: u64, named: &[PathBuf]| {
        paths::Confinement::new(&roots, named, max_file_bytes)
    };
    sources.set_confinement(confine(Limits::default().max_file_bytes, &named));

    let mut scopes: Vec<Scope> = Vec::new();
    let scope_of_config = |config_path: &Option<PathBuf>,
                           scopes: &mut Vec<Scope>,
                           problems: &mut Vec<Problem>|
     -> usize {
        if let Some(i) = scopes.iter().position(|s| &s.config.path == config_path) {
            return i;
        }
        scopes.push(Scope::new(
            &sources,
            options,
            config_path.as_deref(),
            problems,
        ));
        scopes.len() - 1
    };

    // Discovery, once per config of the checked paths: each config's
    // `exclude` applies to the paths it governs.
    let mut groups: Vec<(usize, Vec<PathBuf>)> = Vec::new();
    for (path, config_path) in options.paths.iter().zip(&path_configs) {
        let scope = scope_of_config(config_path, &mut scopes, &mut problems);
        match groups.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, paths)) => paths.push(path.clone()),
            None => groups.push((scope, vec![path.clone()])),
        }
    }
    let mut discovered = discover::Discovered::default();
    for (scope, paths) in &groups {
        let exclude: Vec<String> = options
            .exclude
            .iter()
            .chain(&scopes[*scope].config.exclude)
            .cloned()
            .collect();
        let mut found = discover::discover(paths, &exclude, limits::threads);
        discovered.problems.append(&mut found.problems);
        discovered.also_report.append(&mut found.also_report);
        discovered
            .compiled_skipped
            .append(&mut found.compiled_skipped);
        discovered.walked.append(&mut found.walked);
        discovered
            .parameter_files
            .append(&mut found.parameter_files);
        for input in found.inputs {
            // Paths that overlap (`plinth check . sub`) find an input twice.
            if groups.len() == 1 || !discovered.inputs.contains(&input) {
                discovered.inputs.push(input);
            }
        }
    }
    // One discovery's inputs are settled already; several are settled together.
    frontend::bind_bicep_parameters(&mut discovered, groups.len() == 1);
    problems.append(&mut discovered.problems);

    // Each input takes the nearest config at or above it (as ruff does): a
    // folder with its own `.plinth.yaml` is checked by its rules however the
    // run was started.
    let mut inputs: Vec<(usize, Input)> = Vec::new();
    for mut input in std::mem::take(&mut discovered.inputs) {
        let config_path = match &options.config {
            ConfigChoice::Find => finder.find_from(
                input.location(),
                matches!(input, Input::TerraformModule { .. }),
            ),
            ConfigChoice::File(file) => Some(file.clone()),
            ConfigChoice::Ignore => None,
        };
        let scope = scope_of_config(&config_path, &mut scopes, &mut problems);
        let config = &scopes[scope].config;
        match &mut input {
            Input::Json {
                path,
                parameters,
                explicit,
            } => {
                if let Some(configured) = config.parameter_file_for(path) {
                    *parameters = Some(configured);
                }
                if options.allow_empty {
                    *explicit = false;
                }
            }
            Input::TerraformModule { dir, var_files, .. } => {
                var_files.extend(config.var_files_for(dir));
                var_files.extend(options.var_files.iter().cloned());
            }
            Input::Bicep { cache, .. } => {
                // A cache the user points at is a named root: read wherever
                // it is, as `--var-file` is.
                *cache = options.bicep_cache.clone().or(config.bicep_cache.clone());
                if let Some(cache) = cache
                    && !named.contains(cache)
                {
                    named.push(cache.clone());
                }
            }
            Input::BicepParameters { .. } => {}
        }
        inputs.push((scope, input));
    }
    // A file over one config's `max_file_bytes` is refused by that unit's
    // own limits; the door lets through the largest any config allows.
    let max_file_bytes = scopes
        .iter()
        .map(|s| s.config.limits.max_file_bytes)
        .max()
        .unwrap_or(Limits::default().max_file_bytes);
    if inputs.len() >= SMALL_PAGES_FROM {
        small_pages();
    }
    let confinement = confine(max_file_bytes, &named);
    for (root, folders) in &discovered.walked {
        confinement.seed(root, folders);
    }
    sources.set_confinement(confinement);
    let mut report_paths = options.paths.clone();
    report_paths.append(&mut discovered.also_report);

    // Each input is loaded, linked and checked on its own, in parallel, and
    // its graph dropped before the next: memory holds one unit per thread,
    // not the whole repository.
    let given = terraform::Given::from_env(options.vars.clone());
    // Every file the units read is registered from here on: counting the
    // distinct paths registered past this mark counts a file once however
    // many units read it (a local module is read by each of its callers).
    let first_unit_file = sources.len();
    let check_one = |(scope, input): &(usize, Input)| {
        let settings = &scopes[*scope];
        let given = terraform::Given {
            without_resources: settings.config.modules_without_resources.clone(),
            ..given.clone()
        };
        let mut checked = check_input(
            &sources,
            &settings.rules,
            &settings.rule_infos,
            input,
            &given,
            settings.policy,
            settings.config.limits,
            options.pictures,
            options.show_unknown,
            options.ties,
        );
        checked.scope = *scope;
        if !options.show_unknown {
            checked.unseen.clear();
            checked.unseen_why.clear();
        }
        checked
    };
    // Every input is a job of its own (`with_max_len(1)`): rayon otherwise
    // splits the list into a few runs up front and splits a run again only
    // when another thread steals from it, so one run of large templates (the
    // pattern modules sort together) kept one thread busy for most of a run
    // while the other waited.
    let check_all =
        || -> Vec<Checked> { inputs.par_iter().with_max_len(1).map(check_one).collect() };
    // Units are checked on stacks of a known size (rayon's default is 2 MiB,
    // the main thread's 8 MiB), which the depth limits are measured against.
    // One input (a pre-commit hook's file) is checked on the calling thread,
    // on a stack of that size mapped for it (`stacker`): not on a pool sized
    // to the machine (asking the cgroup for the CPU count and starting a
    // thread per core cost more than checking a small file), nor on one
    // thread spawned for it (its first allocation made the allocator fault
    // in fresh memory: 2.8–3.0 ms for a small file against 2.2–2.4 ms on the
    // caller's thread). A panic unwinds out of it as out of the pool.
    let lone = (inputs.len() == 1).then(|| {
        stacker::grow(limits::UNIT_STACK_BYTES, || {
            inputs.iter().map(check_one).collect::<Vec<Checked>>()
        })
    });
    let checked: Vec<Checked> = lone.unwrap_or_else(|| {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(limits::threads())
            .stack_size(limits::UNIT_STACK_BYTES)
            .build()
        {
            Ok(pool) => pool.install(check_all),
            Err(_) => check_all(),
        }
    });

    let mut summary = Summary::default();
    let slashed = |p: &Path| p.to_string_lossy().replace('\\', "/");
    summary.parameter_files = inputs
        .iter()
        .filter_map(|(_, input)| match input {
            Input::Json {
                path,
                parameters: Some(parameters),
                ..
            }
            | Input::Bicep {
                path,
                parameters: Some(parameters),
                ..
            } => Some(report::ParameterFile {
                template: slashed(path),
                parameters: slashed(parameters),
            }),
            _ => None,
        })
        .collect();
    summary.parameter_files.sort();
    summary.compiled_skipped = discovered
        .compiled_skipped
        .iter()
        .map(|p| slashed(p))
        .collect();
    let mut unit_labels = Vec::new();
    let mut unit_files = HashMap::new();
    let mut unseen = Vec::new();
    let mut unseen_why = HashMap::new();
    let mut findings = Vec::new();
    let mut scope_of_unit: HashMap<String, usize> = HashMap::new();
    let mut pictures = Vec::new();
    let mut ties = Vec::new();
    summary.files = sources.distinct_paths_from(first_unit_file);
    for mut c in checked {
        summary.resources += c.resources;
        scope_of_unit.extend(c.units.iter().map(|u| (u.clone(), c.scope)));
        problems.append(&mut c.problems);
        unit_labels.append(&mut c.units);
        unit_files.extend(c.unit_files);
        unseen.append(&mut c.unseen);
        unseen_why.extend(c.unseen_why);
        findings.append(&mut c.findings);
        pictures.append(&mut c.pictures);
        ties.append(&mut c.ties);
    }
    pictures.sort_by(|a: &report::graph::Picture, b| a.unit.cmp(&b.unit));
    drop_subsumed(&sources, &mut findings, &unit_files);
    summary.units = unit_labels.len();
    unit_labels.sort();

    // Each finding is judged by the config of its unit.
    let scope_of = |f: &Finding| scope_of_unit.get(&f.unit).copied().unwrap_or(0);
    findings.retain(|f| {
        let Some(scope) = scopes.get(scope_of(f)) else {
            return true;
        };
        let name = scope
            .rule_infos
            .iter()
            .find(|r| r.id == f.rule)
            .map_or("", |r| r.name.as_str());
        scope.selection.enabled(&f.rule)
            && !scope.config.ignores(
                &f.rule,
                name,
                &sources.path(f.primary.span.file),
                &f.resource.address,
            )
    });
    for finding in &mut findings {
        let severity = scopes
            .get(scope_of(finding))
            .and_then(|s| s.selection.severity.get(&finding.rule));
        if let Some(severity) = severity {
            finding.severity = *severity;
        }
    }

    // A unit can reach beyond the paths asked for (`plinth check main.tf`
    // loads the whole module); report only findings inside those paths, so a
    // pre-commit hook shows what the commit touched — and the findings of a
    // unit inside a folder asked for, even in a local module it calls from
    // elsewhere (`plinth check envs/prod` reports into `modules/db`).
    let asked_dirs: Vec<&PathBuf> = options.paths.iter().filter(|p| p.is_dir()).collect();
    findings.retain(|f| {
        let file = sources.path(f.primary.span.file);
        report_paths
            .iter()
            .any(|asked| paths::is_within(&file, asked))
            || asked_dirs
                .iter()
                .any(|dir| paths::is_within(Path::new(&f.unit), dir))
    });
    for finding in &mut findings {
        finding.fingerprint = fingerprint(&sources, finding);
    }
    sort_and_dedup(&sources, &mut findings);
    if let Some(path) = &options.baseline {
        match report::baseline::read(&sources, path) {
            Ok(accepted) => {
                summary.baseline = Some(report::display_path(path));
                let before = findings.len();
                let mut matched = HashSet::new();
                findings.retain(|f| {
                    let fingerprint = accepted.fingerprint_of(&sources, f);
                    let listed = accepted.fingerprints.contains(&fingerprint);
                    if listed {
                        matched.insert(fingerprint);
                    }
                    !listed
                });
                summary.baselined = before - findings.len();
                summary.baseline_stale = accepted.fingerprints.len() - matched.len();
            }
            Err(problem) => problems.push(problem),
        }
    }
    // The pictures were drawn with every finding of their unit; they show
    // only those reported.
    if options.pictures {
        // By place (a path and a range), as findings are deduplicated.
        let place = |at: span::Span| (sources.path(at.file), at.start, at.end);
        let reported: HashSet<(&str, (PathBuf, u32, u32))> = findings
            .iter()
            .map(|f| (f.rule.as_str(), place(f.primary.span)))
            .collect();
        for picture in &mut pictures {
            picture.keep_marks(|rule, at| reported.contains(&(rule, place(at))));
        }
    }
    // A refusal noted inside an evaluator knows its span, not its file's path.
    for mut note in sources.confinement().take_notes() {
        if let Some(span) = note.span {
            note.path = Some(sources.path(span.file));
        }
        problems.push(note);
    }
    dedup_problems(&mut problems);

    // A run that read nothing passed without checking anything: a CI job
    // pointed at the wrong folder would stay green for ever.
    if summary.files == 0 && problems.is_empty() && !options.allow_empty {
        problems.push(nothing_to_check(&options.paths));
    }
    let unseen = sorted_places(&sources, unseen);
    summary.findings = findings.len();
    summary.errors = problems.len();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let n = findings.iter().filter(|f| f.severity == severity).count();
        summary.by_severity.insert(severity.as_str().to_string(), n);
    }
    // The rules of every config that applied, once each; fail_on and the
    // rules listed come first from the config of the first path.
    let first = groups.first().map_or(0, |(scope, _)| *scope);
    let mut rule_infos: Vec<RuleInfo> = Vec::new();
    let mut config = Config::default();
    let mut rule_sets = Vec::with_capacity(scopes.len());
    for (i, scope) in scopes.into_iter().enumerate() {
        rule_sets.push(scope.rules);
        if i == first {
            let mut infos = scope.rule_infos;
            infos.retain(|r| !rule_infos.iter().any(|k| k.id == r.id));
            rule_infos.splice(0..0, infos);
            config = scope.config;
        } else {
            for info in scope.rule_infos {
                if !rule_infos.iter().any(|k| k.id == info.id) {
                    rule_infos.push(info);
                }
            }
        }
    }
    sort_by_id(&mut rule_infos);
    Run {
        sources,
        report: Report {
            rules: rule_infos,
            units: unit_labels,
            findings,
            problems,
            summary,
            unseen,
            unseen_why,
        },
        config,
        pictures,
        ties,
        rule_sets,
    }
}

/// The run-level error of a run that found no template, Bicep file or
/// Terraform module under the paths it was given.
fn nothing_to_check(paths: &[PathBuf]) -> Problem {
    let message = "nothing to check: no ARM template, Bicep file or Terraform module found";
    let problem = |message: String| {
        Problem::new(Code::NothingToCheck, message).with_help(
            "plinth reads .json ARM templates (a `$schema` ending in deploymentTemplate.json#), \
             .bicep files and folders of .tf files; `--allow-empty` lets a run with nothing \
             to check pass",
        )
    };
    match paths {
        [only] => problem(message.to_string()).at(only.clone(), None),
        _ => {
            let named: Vec<String> = paths.iter().map(|p| report::display_path(p)).collect();
            problem(format!("{message} in {}", named.join(", ")))
        }
    }
}

/// The policy rules and the rules about suppressions, by id.
pub fn all_rules(rules: &RuleSet) -> Vec<RuleInfo> {
    let mut all: Vec<RuleInfo> = rules.rules().map(RuleMeta::info).collect();
    all.extend(report::suppress::rules());
    sort_by_id(&mut all);
    all
}

/// Rules in the order of their ids, those with one id as they came. By
/// cached keys, which sorts the keys and moves the rules in place: a stable
/// sort of the rules themselves would copy half of them aside, one of the
/// largest blocks a small run asked for.
fn sort_by_id(infos: &mut [RuleInfo]) {
    infos.sort_by_cached_key(|info| info.id.clone());
}

/// The settings one config gives the inputs it governs: its rules (with the
/// config's rule folders), their selection and severities, and what it asks
/// of suppressions. A config with a mistake gives nothing: its scope is the
/// defaults, and the mistakes are run problems.
struct Scope {
    config: Config,
    rules: RuleSet,
    rule_infos: Vec<RuleInfo>,
    selection: select::Selection,
    policy: Option<report::suppress::Policy>,
}

impl Scope {
    fn new(
        sources: &SourceMap,
        options: &Options,
        config_path: Option<&Path>,
        problems: &mut Vec<Problem>,
    ) -> Scope {
        let (read, mut errors) = match config_path.map(|path| Config::read(sources, path)) {
            Some((config, errors)) => (config, errors),
            None => (None, Vec::new()),
        };
        let rules_with = |config: &Config| {
            let rule_dirs: Vec<PathBuf> = options
                .rule_dirs
                .iter()
                .chain(&config.rule_dirs)
                .cloned()
                .collect();
            RuleSet::load(sources, &rule_dirs)
        };
        let mut config = read.unwrap_or_default();
        let (mut rules, mut rule_problems) = rules_with(&config);
        let mut rule_infos = all_rules(&rules);
        errors.extend(config.unknown_rules(sources, &rule_infos));
        if !errors.is_empty() {
            // Nothing of a config with a mistake applies, its rule folders
            // neither: every mistake is reported, and the defaults apply.
            problems.append(&mut errors);
            config = Config::default();
            (rules, rule_problems) = rules_with(&config);
            rule_infos = all_rules(&rules);
        }
        if options.rule_docs {
            for meta in rules.rules() {
                if let Some(info) = rule_infos.iter_mut().find(|i| i.id == meta.id) {
                    info.markdown = Some(meta.docs());
                }
            }
        }
        // Keyed by the file, even when nothing of it applies.
        config.path = config_path.map(Path::to_path_buf);
        problems.append(&mut rule_problems);
        let (selection, mut selection_problems) = select::select(
            &rule_infos,
            config.select.as_deref(),
            &config.extend_select,
            &config.disable,
            &config.severity,
            &options.selection,
        );
        problems.append(&mut selection_problems);
        rules.retain(|id| selection.enabled(id));
        rules.configure(config.settings.clone().into_iter().collect());
        for info in &mut rule_infos {
            if let Some(severity) = selection.severity.get(&info.id) {
                info.severity = *severity;
            }
        }
        let policy = config
            .inline_suppressions
            .then(|| report::suppress::Policy {
                require_expiry: config.require_expiry,
                require_reason: config.require_reason,
                today: Date::today(),
            });
        Scope {
            config,
            rules,
            rule_infos,
            selection,
            policy,
        }
    }
}

/// What checking one input gave.
struct Checked {
    /// The scope (config) the input was checked in.
    scope: usize,
    resources: usize,
    units: Vec<String>,
    /// Each unit's files, by unit label.
    unit_files: Vec<(String, HashSet<PathBuf>)>,
    /// Where units declare what plinth cannot see.
    unseen: Vec<Span>,
    /// Why, where a front-end knows more than the general note.
    unseen_why: HashMap<Span, String>,
    findings: Vec<Finding>,
    problems: Vec<Problem>,
    pictures: Vec<report::graph::Picture>,
    ties: Vec<Ties>,
}

#[allow(clippy::too_many_arguments)] // the unit's settings, each its own
fn check_input(
    sources: &SourceMap,
    rules: &RuleSet,
    known: &[RuleInfo],
    input: &Input,
    given: &terraform::Given,
    suppressions: Option<report::suppress::Policy>,
    limits: Limits,
    pictures: bool,
    show_unknown: bool,
    ties: bool,
) -> Checked {
    let loaded = load_input(sources, input, given, limits);
    let mut checked = Checked {
        scope: 0,
        resources: 0,
        units: Vec::new(),
        unit_files: Vec::new(),
        unseen: Vec::new(),
        unseen_why: HashMap::new(),
        findings: Vec::new(),
        problems: loaded.problems,
        pictures: Vec::new(),
        ties: Vec::new(),
    };
    for unit in loaded.units {
        let files = unit.files.clone();
        let graph = Graph::link(unit);
        checked.resources += graph.resources().iter().filter(|r| r.managed).count();
        if ties {
            checked.ties.push(Ties {
                unit: graph.label.clone(),
                files: files.iter().map(|f| sources.path(*f)).collect(),
                count: graph.ties(),
            });
        }
        let mut found = rules.check(&graph, sources);
        for finding in &mut found {
            finding.unit.clone_from(&graph.label);
        }
        if let Some(policy) = suppressions {
            let unit_files: Vec<(FileId, String)> =
                files.iter().map(|f| (*f, graph.label.clone())).collect();
            let resources: Vec<Span> = graph.resources().iter().map(|r| r.span).collect();
            let meant = |rule: &str| {
                select::closest(rule, known.iter().map(|k| k.id.as_str())).map(str::to_string)
            };
            let unit = report::suppress::Unit {
                files: &unit_files,
                resources: &resources,
                known,
                meant: &meant,
            };
            let mut applied = report::suppress::apply(&mut found, sources, &unit, policy);
            found.append(&mut applied.about);
            checked.problems.append(&mut applied.problems);
        }
        // Drawn before the unit's files are released: unknown parts show
        // their source text.
        if pictures && let Some(picture) = chain::picture(&graph, &found, sources) {
            checked.pictures.push(picture);
        }
        // A file's text stays only while something will show it: a
        // finding, a problem, or (with `--show-unknown`) a place plinth
        // cannot see into.
        let breaks = if show_unknown {
            chain::breaks(&graph, sources)
        } else {
            Vec::new()
        };
        let opaque = graph
            .opaque
            .iter()
            .filter(|_| show_unknown)
            .chain(breaks.iter().map(|(span, _)| span));
        let shown: HashSet<FileId> = found
            .iter()
            .flat_map(|f| std::iter::once(&f.primary).chain(&f.related))
            .map(|label| label.span.file)
            .chain(opaque.map(|span| span.file))
            .chain(
                checked
                    .problems
                    .iter()
                    .filter_map(|p| p.span.map(|s| s.file)),
            )
            .collect();
        // Each file once: a unit holds each of its files once, though it
        // may list one twice.
        let held: HashSet<FileId> = files.iter().copied().collect();
        for file in held.iter().filter(|f| !shown.contains(f)) {
            sources.release(*file);
        }
        checked.units.push(graph.label.clone());
        checked.unseen.extend(graph.opaque.iter().copied());
        checked.unseen_why.extend(
            graph
                .unseen_why
                .iter()
                .map(|(s, why)| (*s, format!("{}; {why}", report::UNSEEN))),
        );
        for (span, message) in breaks {
            checked.unseen.push(span);
            checked.unseen_why.insert(span, message);
        }
        // Only units with findings take part in dropping duplicates
        // (`drop_subsumed`); a clean unit's file list need not be kept.
        if !found.is_empty() {
            checked.unit_files.push((
                graph.label.clone(),
                files.iter().map(|f| sources.path(*f)).collect(),
            ));
        }
        checked.findings.append(&mut found);
    }
    checked
}

/// A local Terraform module is checked twice: on its own (its inputs
/// unknown) and inside each caller's unit (with the caller's inputs). Where
/// the same rule fires at the same place in both, the caller's finding —
/// which knows more — is the one reported: a unit's findings are dropped at
/// a place where a unit holding all of its files also reports that rule.
fn drop_subsumed(
    sources: &SourceMap,
    findings: &mut Vec<Finding>,
    unit_files: &HashMap<String, HashSet<PathBuf>>,
) {
    type Place = (String, PathBuf, u32, u32);
    let mut units_at: HashMap<Place, HashSet<&str>> = HashMap::new();
    let place = |f: &Finding| -> Place {
        let span = f.primary.span;
        (
            f.rule.clone(),
            sources.path(span.file),
            span.start,
            span.end,
        )
    };
    for f in findings.iter() {
        units_at
            .entry(place(f))
            .or_default()
            .insert(f.unit.as_str());
    }
    let subsumed = |unit: &str, others: &HashSet<&str>| {
        let Some(mine) = unit_files.get(unit) else {
            return false;
        };
        others.iter().any(|other| {
            *other != unit
                && unit_files
                    .get(*other)
                    .is_some_and(|theirs| theirs.len() > mine.len() && mine.is_subset(theirs))
        })
    };
    let drop: Vec<bool> = findings
        .iter()
        .map(|f| {
            units_at
                .get(&place(f))
                .is_some_and(|units| units.len() > 1 && subsumed(&f.unit, units))
        })
        .collect();
    let mut i = 0;
    findings.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
}

/// Sorts problems by file, position and message, and keeps one of each: a
/// file read by several units (a local module and each of its callers) has
/// its parse error once, though each unit registered the file anew.
fn dedup_problems(problems: &mut Vec<Problem>) {
    let key = |p: &Problem| {
        let mut key = p.key();
        key.0 = key.0.map(|path| paths::normalize(&path));
        key
    };
    problems.sort_by_cached_key(key);
    problems.dedup_by(|a, b| key(a) == key(b));
}

/// Places ordered by file and position, each once (a module folder checked
/// on its own and through its callers names the same place).
fn sorted_places(sources: &SourceMap, mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by_cached_key(|s| (sources.path(s.file), s.start, s.end));
    spans.dedup_by(|a, b| {
        a.start == b.start && a.end == b.end && sources.path(a.file) == sources.path(b.file)
    });
    spans
}

/// Sorts findings by file, position and rule, and drops exact repeats (the
/// same rule at the same place with the same message). A place is a path
/// and a range, not a registration: units that deploy the same module may
/// have read it under one id or under one each.
fn sort_and_dedup(sources: &SourceMap, findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        let pa = sources.path(a.primary.span.file);
        let pb = sources.path(b.primary.span.file);
        (pa, a.primary.span.start, &a.rule, &a.message).cmp(&(
            pb,
            b.primary.span.start,
            &b.rule,
            &b.message,
        ))
    });
    findings.dedup_by(|a, b| {
        let (x, y) = (a.primary.span, b.primary.span);
        a.rule == b.rule
            && (x.start, x.end) == (y.start, y.end)
            && a.message == b.message
            && (x.file == y.file || sources.path(x.file) == sources.path(y.file))
    });
}

/// A fingerprint that survives reformatting and line moves: the rule, the
/// file, the resource's address and the offending source text with its
/// whitespace removed — never a line number.
fn fingerprint(sources: &SourceMap, finding: &Finding) -> String {
    let file = sources.path(finding.primary.span.file);
    report::fingerprint_at(sources, finding, &report::display_path(&file))
}

/// Runs of at least this many inputs take their memory in small pages
/// ([`small_pages`]); a smaller run (one file from pre-commit) keeps the
/// fewer page faults of huge ones.
const SMALL_PAGES_FROM: usize = 64;

/// No transparent huge pages for this process from here on (Linux). The
/// allocator asks for them, and where memory is full of page cache (a CI
/// runner after checkout and build) the kernel compacts memory to find each
/// 2 MiB page at its first touch, and the run's time varies by half. On
/// this project's machine, after 1 GB of files was read before each run,
/// AVM Bicep took 297–478 ms with huge pages and 300–315 ms without, ARM
/// 142–279 ms and 151–165 ms; with memory free, Bicep 2–3% faster without
/// them, ARM about 8% slower (BENCHMARKS.md, eleventh session). A run that
/// takes the same time each time was chosen over ARM's best case.
fn small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` takes no pointer; it sets one flag on
    // this process's memory, read by the kernel at each page fault.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After [`small_pages`], the kernel reports huge pages off for this
    /// process (the flag a large run sets; other tests are unaffected).
    #[cfg(target_os = "linux")]
    #[test]
    fn small_pages_turns_huge_pages_off() {
        small_pages();
        // SAFETY: `PR_GET_THP_DISABLE` takes no pointer and only reads a flag.
        let off = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(off, 1);
    }

    /// The text of a file whose unit raised nothing to show: released at
    /// the end of its unit, even when it has a place plinth cannot see into
    /// (a linked template), unless `--show-unknown` will print that place.
    #[test]
    fn a_files_text_is_kept_only_while_something_will_show_it() {
        let path = PathBuf::from("fixtures/DNS009/arm/unknown-linked-template/main.json");
        let text_of = |run: &Run| {
            let file = (0..run.sources.len() as u32)
                .map(FileId)
                .find(|f| run.sources.path(*f) == path)
                .unwrap();
            run.sources.get(file).text.len()
        };
        let quiet = check(&Options {
            paths: vec![path.clone()],
            ..Options::default()
        });
        assert!(quiet.report.findings.is_empty() && quiet.report.problems.is_empty());
        assert!(quiet.report.unseen.is_empty());
        assert_eq!(text_of(&quiet), 0);

        let shown = check(&Options {
            paths: vec![path.clone()],
            show_unknown: true,
            ..Options::default()
        });
        assert_eq!(shown.report.unseen.len(), 1);
        assert!(text_of(&shown) > 0);
    }
}
