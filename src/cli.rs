//! The `plinth` command line: parse arguments, call the library, print, set
//! the exit code. Exit codes (README, Usage): 0 nothing at or above `--fail-on`,
//! 1 findings, 2 the run itself failed.
//!
//! The binary (`src/bin/plinth.rs`) is [`main`]: the process's arguments,
//! stdout, stderr and environment. [`run`] is the same command over given
//! arguments and streams, so tests run the real CLI in-process
//! (`tests/fixtures.rs`) without a process per case.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

// The CLI reads as a user of the library: `plinth::check`, as before it
// moved here from `main.rs`.
use crate as plinth;
use plinth::config::{self, FailOn as ConfigFailOn};
use plinth::policy::{RuleSet, docs};
use plinth::report::{Severity, baseline, compact, github, graph, human, json, junit, sarif};
use plinth::source::SourceMap;

#[derive(Parser)]
#[command(
    name = "plinth",
    version,
    about = "Lints Azure infrastructure as code (ARM JSON, Bicep, Terraform) for private networking mistakes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check templates and Terraform modules under PATHs (default: the current folder).
    Check(Box<CheckArgs>),
    /// Draw each private endpoint's chain (target, subnet and network, zone
    /// group, zones, links, linked networks) under PATHs, with the rule ids of
    /// the findings on each part.
    Graph(Box<GraphArgs>),
    /// List the rules: id, name, severity, whether on by default, title.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// A folder of your own YAML rules, loaded beside the built-in ones.
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
    /// Write a commented starter .plinth.yaml into the current folder.
    Init {
        /// Overwrite an existing .plinth.yaml.
        #[arg(long)]
        force: bool,
    },
    /// Run the language server over stdin/stdout (diagnostics, hover, quick fixes).
    Lsp {
        /// A folder of your own YAML rules, loaded beside the built-in ones (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
        /// Use this config file instead of the nearest .plinth.yaml.
        #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
        config: Option<PathBuf>,
        /// Use no config file.
        #[arg(long)]
        no_config: bool,
    },
    /// Show a rule's documentation: what it checks, why, examples, how to fix.
    Explain {
        /// A rule id (PG001) or name (private-endpoint-on-vnet-integrated-server).
        rule: String,
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to check.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit with 1 when a finding at or above this severity is reported
    /// [default: the config's fail_on, else warning].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Skip paths matching this glob (repeatable); .gitignore is honoured too.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// A folder of your own YAML rules, loaded beside the built-in ones (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// A Terraform variable file read for every module checked, after
    /// terraform.tfvars and *.auto.tfvars (repeatable; later ones win).
    #[arg(long, value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// A Terraform variable value for every module checked, above every var
    /// file; TF_VAR_NAME environment variables are read too, below them
    /// (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// The Bicep module cache to read registry (br:) and template spec (ts:)
    /// modules from, as `bicep restore` fills it: the folder holding br/ and
    /// ts/ (what bicepconfig.json's cacheRootDirectory names). Never
    /// fetched; ~/.bicep is not read unless named.
    #[arg(long, value_name = "DIR")]
    bicep_cache: Option<PathBuf>,
    /// Also say where a unit declares what plinth cannot see: registry and
    /// git modules, modules whose instances are unknown, linked templates.
    #[arg(long)]
    show_unknown: bool,
    /// Report only these rules: ids, names, id prefixes (`PG`, `PE0`) or ALL;
    /// comma-separated or repeated. Replaces the config's `select` and the
    /// default set (every rule but the opt-in PostgreSQL hygiene rules, PGH).
    #[arg(long, value_name = "RULES")]
    select: Vec<String>,
    /// Report these rules too, on top of the select that applies (e.g.
    /// `--extend-select PGH` for the opt-in hygiene rules).
    #[arg(long, value_name = "RULES")]
    extend_select: Vec<String>,
    /// Do not report these rules (ids, names or prefixes; comma-separated or
    /// repeated), on top of the config's `disable`.
    #[arg(long, value_name = "RULES")]
    ignore: Vec<String>,
    /// Change a rule's severity: RULE=error|warning|info (RULE may be a name
    /// or a prefix; repeatable). Wins over the config's `severity`.
    #[arg(long, value_name = "RULE=LEVEL", value_parser = parse_severity)]
    severity: Vec<(String, Severity)>,
    /// Print only findings at or above this severity (human and compact
    /// formats). The exit code and the summary's counts still take every
    /// finding: this is what you read, `--fail-on` is what fails the build.
    #[arg(long, value_enum, value_name = "LEVEL")]
    min_severity: Option<MinSeverity>,
    /// A run that finds nothing to check passes, and a named `.json` file
    /// that is not a template is skipped instead of an error: for hooks that
    /// pass every changed file (the pre-commit hook sets it).
    #[arg(long)]
    allow_empty: bool,
    /// Never colour the output (NO_COLOR is honoured too).
    #[arg(long)]
    no_color: bool,
    /// Report only findings not listed in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write the findings' fingerprints to FILE as a baseline, then report as usual.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Use this config file instead of the nearest .plinth.yaml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Use no config file.
    #[arg(long)]
    no_config: bool,
    /// Apply the safe fixes of the findings, then report what remains.
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: apply unsafe fixes too (a value written in a
    /// parameter, a variable, or a loop other resources share).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them; exit 1
    /// when there is something to fix.
    #[arg(long, conflicts_with = "fix")]
    diff: bool,
}

#[derive(clap::Args)]
struct GraphArgs {
    /// Files or folders to draw.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Skip paths matching this glob (repeatable); .gitignore is honoured too.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// A folder of your own YAML rules, loaded beside the built-in ones (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// A Terraform variable file read for every module (repeatable), as for `check`.
    #[arg(long, value_name = "FILE")]
    var_file: Vec<PathBuf>,
    /// A Terraform variable value for every module (repeatable), as for `check`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// The Bicep module cache to read registry and template spec modules from.
    #[arg(long, value_name = "DIR")]
    bicep_cache: Option<PathBuf>,
    /// Use this config file instead of the nearest .plinth.yaml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Use no config file.
    #[arg(long)]
    no_config: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// Nodes and edges with ids, kinds, labels and rule ids.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Compact,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML: a suite per template or module, a test case per rule.
    Junit,
    /// The Mermaid diagram of `plinth graph`, for the units with a finding
    /// on their chains only; nothing when there is none.
    Mermaid,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum MinSeverity {
    Error,
    Warning,
    Info,
}

impl MinSeverity {
    fn severity(self) -> Severity {
        match self {
            MinSeverity::Error => Severity::Error,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Info => Severity::Info,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

const EXIT_OK: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_FAILED: u8 = 2;

/// Where a run's output goes and what it knows of its surroundings: the
/// process's streams and environment for the binary, buffers and fixed
/// values for a test.
pub struct Io<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// Whether stdout is a terminal (human output is coloured only then).
    pub terminal: bool,
    /// The environment variables rendering reads (`NO_COLOR`, `COLUMNS`).
    /// The pipeline itself still reads the process's (`TF_VAR_*`).
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The process ends with the command (the binary): the run is left to
    /// the operating system instead of freed. False in-process (tests).
    pub exiting: bool,
}

/// The `plinth` binary: the process's arguments, streams and environment.
/// A bad argument or `--help` is clap's to print, exiting as clap does.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    // Lossy, so a set `NO_COLOR` that is not UTF-8 still counts as set.
    let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    // Unlocked handles: `plinth lsp` writes to stdout from its own thread.
    let mut io = Io {
        stdout: &mut stdout,
        stderr: &mut std::io::stderr(),
        terminal,
        var: &var,
        exiting: true,
    };
    let code = execute(cli, &mut io);
    // Nothing is left to do but leave: flush what is written and end the
    // process without the exit handlers, which only hand the allocator's
    // memory back to the system page by page (a tenth of a small file's
    // run). Output that cannot be flushed ends as it would at exit.
    let flushed = io.stdout.flush().is_ok() && io.stderr.flush().is_ok();
    #[cfg(unix)]
    if flushed {
        // SAFETY: `_exit` ends the process at once; every stream plinth
        // writes to was flushed above and no file is left half-written
        // (`--fix` writes each file whole before returning).
        unsafe { libc::_exit(i32::from(code)) }
    }
    let _ = flushed;
    ExitCode::from(code)
}

/// `plinth ARGS…` (the program name first, as in `std::env::args`) with its
/// output written to `io`; returns the exit code. The same code as the
/// binary's from the parsed arguments on; an argument error or `--help` is
/// written to `io` uncoloured, with clap's exit code. `plinth lsp` still
/// serves the process's stdin and stdout.
pub fn run<I, T>(args: I, io: &mut Io) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => execute(cli, io),
        Err(err) => {
            let text = err.render().to_string();
            if err.use_stderr() {
                eprint(io, &text);
            } else {
                print(io, &text);
            }
            u8::try_from(err.exit_code()).unwrap_or(EXIT_FAILED)
        }
    }
}

fn execute(cli: Cli, io: &mut Io) -> u8 {
    match cli.command {
        Command::Check(args) => check(*args, io),
        Command::Graph(args) => graph(*args, io),
        Command::Rules { format, rule_dirs } => list_rules(format, &rule_dirs, io),
        Command::Explain { rule, rule_dirs } => explain(&rule, &rule_dirs, io),
        Command::Init { force } => init(force, io),
        Command::Lsp {
            rule_dirs,
            config,
            no_config,
        } => {
            let config = match (config, no_config) {
                (Some(path), _) => plinth::ConfigChoice::File(path),
                (None, true) => plinth::ConfigChoice::Ignore,
                (None, false) => plinth::ConfigChoice::Find,
            };
            match plinth::lsp::serve(plinth::lsp::options(rule_dirs, config)) {
                Ok(()) => EXIT_OK,
                Err(err) => {
                    eprint(io, &format!("plinth lsp: {err}\n"));
                    EXIT_FAILED
                }
            }
        }
    }
}

/// `--var NAME=VALUE`, as Terraform's `-var`.
fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

fn parse_severity(text: &str) -> Result<(String, Severity), String> {
    match text.split_once('=') {
        Some((rule, level)) if !rule.trim().is_empty() => match Severity::parse(level.trim()) {
            Some(severity) => Ok((rule.trim().to_string(), severity)),
            None => Err(format!(
                "`{level}` is not a severity; expected error, warning or info"
            )),
        },
        _ => Err(format!("expected RULE=LEVEL, got `{text}`")),
    }
}

fn check(args: CheckArgs, io: &mut Io) -> u8 {
    let options = plinth::Options {
        selection: plinth::select::Requested {
            select: plinth::select::split_list(&args.select),
            extend_select: plinth::select::split_list(&args.extend_select),
            ignore: plinth::select::split_list(&args.ignore),
            severity: args.severity,
        },
        paths: args.paths,
        exclude: args.exclude,
        rule_dirs: args.rule_dirs,
        baseline: args.baseline,
        var_files: args.var_file,
        vars: args.vars,
        bicep_cache: args.bicep_cache,
        show_unknown: args.show_unknown,
        allow_empty: args.allow_empty,
        pictures: matches!(args.format, Format::Mermaid),
        overlay: std::sync::Arc::default(),
        rule_docs: matches!(args.format, Format::Sarif),
        ties: false,
        config: match (args.config, args.no_config) {
            (Some(path), _) => plinth::ConfigChoice::File(path),
            (None, true) => plinth::ConfigChoice::Ignore,
            (None, false) => plinth::ConfigChoice::Find,
        },
    };
    let fixing = (args.fix, args.diff, args.unsafe_fixes);
    let mut run = match fix_or_check(fixing, &options, io) {
        Ok(run) => run,
        Err(code) => return code,
    };
    if let Some(path) = &args.write_baseline {
        let text = baseline::render(&run.report, &run.sources, path);
        if let Err(refusal) = plinth::paths::write_replacing(path, &text) {
            let problem = plinth::report::Problem::new(
                refusal.code(),
                format!("cannot write baseline: {refusal}"),
            )
            .at(path, None);
            run.report.problems.push(problem);
            run.report.summary.errors += 1;
        }
    }
    let report = &run.report;
    // What is printed for a reader; `report` stays whole for the exit code.
    let shown = args.min_severity.map(|level| {
        let mut shown = report.clone();
        shown.findings.retain(|f| f.severity >= level.severity());
        shown.summary.hidden = report.findings.len() - shown.findings.len();
        shown
    });
    let readable = shown.as_ref().unwrap_or(report);
    let text = match args.format {
        Format::Json => json::render(report, &run.sources),
        Format::Compact => compact::render(readable, &run.sources),
        Format::Sarif => sarif::render(report, &run.sources),
        Format::Github => github::render(report, &run.sources),
        Format::Junit => junit::render(report, &run.sources),
        Format::Mermaid => graph::mermaid_findings(&run.pictures),
        Format::Human => {
            let color =
                !args.no_color && (io.var)("NO_COLOR").is_none_or(|v| v.is_empty()) && io.terminal;
            human::render(
                readable,
                &run.sources,
                human::Style {
                    color,
                    width: width(io),
                },
            )
        }
    };
    print(io, &text);
    let code = if !report.problems.is_empty() {
        EXIT_FAILED
    } else {
        let threshold = match (args.fail_on, run.config.fail_on) {
            (Some(cli), _) => cli.threshold(),
            (None, Some(ConfigFailOn::At(severity))) => Some(severity),
            (None, Some(ConfigFailOn::Never)) => None,
            (None, None) => FailOn::Warning.threshold(),
        };
        let failing = threshold.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
        if failing { EXIT_FINDINGS } else { EXIT_OK }
    };
    if io.exiting {
        // The process ends here: what it holds goes back to the system
        // whole, rather than freed piece by piece (issue #20).
        std::mem::forget(text);
        std::mem::forget(shown);
        run.leak();
    }
    code
}

/// The run to report: the check, or with `--fix` what remains after the
/// fixes; `--diff` prints the fixes and ends the command (its exit code).
fn fix_or_check(
    (fix, diff, unsafe_fixes): (bool, bool, bool),
    options: &plinth::Options,
    io: &mut Io,
) -> Result<plinth::Run, u8> {
    if !fix && !diff {
        return Ok(plinth::check(options));
    }
    let mode = plinth::fix::run::Mode {
        unsafe_fixes,
        write: fix,
    };
    let outcome = plinth::fix::run::fix(options, mode);
    eprint(io, &plinth::fix::run::summary(&outcome, mode));
    if !diff {
        return Ok(outcome.run);
    }
    print(io, &plinth::fix::run::diff(&outcome.files));
    Err(if !outcome.run.report.problems.is_empty() {
        EXIT_FAILED
    } else if outcome.files.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `plinth graph`: the chains of every unit with private endpoints. Problems
/// go to stderr and make the exit code 2, but what could be drawn is still
/// printed; findings do not fail the command.
fn graph(args: GraphArgs, io: &mut Io) -> u8 {
    let options = plinth::Options {
        paths: args.paths,
        exclude: args.exclude,
        rule_dirs: args.rule_dirs,
        var_files: args.var_file,
        vars: args.vars,
        bicep_cache: args.bicep_cache,
        pictures: true,
        rule_docs: false,
        config: match (args.config, args.no_config) {
            (Some(path), _) => plinth::ConfigChoice::File(path),
            (None, true) => plinth::ConfigChoice::Ignore,
            (None, false) => plinth::ConfigChoice::Find,
        },
        ..plinth::Options::default()
    };
    let run = plinth::check(&options);
    let text = match args.format {
        GraphFormat::Mermaid => graph::mermaid(&run.pictures),
        GraphFormat::Dot => graph::dot(&run.pictures),
        GraphFormat::Json => graph::json(&run.pictures),
    };
    print(io, &text);
    if run.report.problems.is_empty() {
        return EXIT_OK;
    }
    let style = human::Style {
        color: false,
        width: width(io),
    };
    // Only the problems: the findings are in the picture.
    let problems = plinth::report::Report {
        problems: run.report.problems,
        ..Default::default()
    };
    eprint(
        io,
        &human::render_diagnostics(&problems, &run.sources, style),
    );
    EXIT_FAILED
}

/// The terminal width for wrapping: `COLUMNS` when set, else 100.
fn width(io: &Io) -> usize {
    (io.var)("COLUMNS")
        .and_then(|c| c.trim().parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(100)
}

/// Prints, ignoring a closed pipe (`plinth check | head`) rather than panicking.
fn print(io: &mut Io, text: &str) {
    let _ = io.stdout.write_all(text.as_bytes());
    let _ = io.stdout.flush();
}

/// Prints to stderr, ignoring a closed stream as [`print`] does.
fn eprint(io: &mut Io, text: &str) {
    let _ = io.stderr.write_all(text.as_bytes());
    let _ = io.stderr.flush();
}

/// Loads the rules, printing any rule-file problems; `None` when there were some.
fn load_rules(sources: &SourceMap, rule_dirs: &[PathBuf], io: &mut Io) -> Option<RuleSet> {
    let (rules, problems) = RuleSet::load(sources, rule_dirs);
    if problems.is_empty() {
        return Some(rules);
    }
    let report = plinth::report::Report {
        problems,
        ..Default::default()
    };
    let style = human::Style {
        color: false,
        width: width(io),
    };
    eprint(io, &human::render_diagnostics(&report, sources, style));
    None
}

fn list_rules(format: ListFormat, rule_dirs: &[PathBuf], io: &mut Io) -> u8 {
    let sources = SourceMap::new();
    let Some(rules) = load_rules(&sources, rule_dirs, io) else {
        return EXIT_FAILED;
    };
    let about_suppressions = plinth::report::suppress::rules();
    let on_by_default = &plinth::select::on_by_default;
    match format {
        ListFormat::Text => {
            let table = docs::table(rules.rules(), &about_suppressions, on_by_default);
            let opt_in = plinth::select::OPT_IN.join(",");
            print(
                io,
                &format!(
                    "{table}\nRules marked off are opt-in: `--extend-select {opt_in}` (or \
                 `rules: extend_select: [{opt_in}]`\nin .plinth.yaml) adds them to the default \
                 set; `--select ALL` runs every rule.\n"
                ),
            );
        }
        ListFormat::Json => print(
            io,
            &(docs::table_json(rules.rules(), &about_suppressions, on_by_default) + "\n"),
        ),
    }
    EXIT_OK
}

fn explain(key: &str, rule_dirs: &[PathBuf], io: &mut Io) -> u8 {
    let sources = SourceMap::new();
    let Some(rules) = load_rules(&sources, rule_dirs, io) else {
        return EXIT_FAILED;
    };
    let about_suppressions = plinth::report::suppress::rules();
    let suppression_rule = about_suppressions
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key));
    match (rules.find(key), suppression_rule) {
        (Some(rule), _) => {
            print(io, &docs::explain(rule));
            EXIT_OK
        }
        (None, Some(rule)) => {
            print(
                io,
                &format!(
                    "{} ({}) — {}\nSeverity: {}\n\nWhat it does:\n  {}\n\nHow to fix:\n  {}\n",
                    rule.id,
                    rule.name,
                    rule.title,
                    rule.severity.as_str(),
                    rule.description,
                    rule.remediation
                ),
            );
            EXIT_OK
        }
        (None, None) => {
            let known = plinth::all_rules(&rules);
            let hint = match plinth::select::suggestion(key, &known) {
                Some(did_you_mean) => format!("; {did_you_mean}"),
                None => String::new(),
            };
            eprint(
                io,
                &format!("error: no rule `{key}`{hint}\n(run `plinth rules` for the list)\n"),
            );
            EXIT_FAILED
        }
    }
}

fn init(force: bool, io: &mut Io) -> u8 {
    let path = PathBuf::from(config::FILE_NAMES[0]);
    if path.exists() && !force {
        eprint(
            io,
            &format!(
                "error: {} exists; use --force to overwrite it\n",
                path.display()
            ),
        );
        return EXIT_FAILED;
    }
    match std::fs::write(&path, config::STARTER) {
        Ok(()) => {
            print(io, &format!("wrote {}\n", path.display()));
            EXIT_OK
        }
        Err(err) => {
            eprint(
                io,
                &format!("error: cannot write {}: {err}\n", path.display()),
            );
            EXIT_FAILED
        }
    }
}
