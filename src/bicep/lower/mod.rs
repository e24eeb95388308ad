//! Bicep syntax → the ARM template `bicep build` would emit (languageVersion
//! 2.0: resources keyed by symbolic name), as span-keeping JSON whose every
//! node points at the Bicep source it came from. The ARM front-end then
//! evaluates it like any template: one evaluator, one set of rules.
//!
//! Expressions become ARM expression text: `p` → `parameters('p')`,
//! `'a${x}'` → `format('a{0}', …)`, `a == b` → `equals(a, b)`, `r.id` →
//! `resourceId(type, names…)`, `r.properties.x` → `reference('r').x`,
//! `m.outputs.x` → `reference('m').outputs.x.value`. A resource or property
//! loop becomes a `copy`, a loop elsewhere `map()` over a `range()`. What
//! Bicep has and ARM cannot say from the template alone (a registry module,
//! `loadTextContent`, an imported name) becomes `plinthUnknown()`, which the
//! evaluator does not know: unknown, never guessed.
//!
//! This file holds the entry points ([`lower`], [`parse_problem`]), the
//! lowering state and symbol types, and the small JSON helpers the others
//! share. A file's declarations are lowered in `declarations.rs`, modules in
//! `modules.rs`, resource names and ids in `resource_ids.rs`, expressions in
//! `expression.rs`. Parsing is [`crate::bicep::parser`]; evaluating the
//! template is the ARM front-end's.

mod declarations;
mod expression;
mod modules;
mod resource_ids;
mod shared;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::arm::expr::push_quoted;
use crate::bicep::tree::{Expr, ExprKind, Prop};
use crate::diagnostic::{Problem, ProblemKey, SyntaxError};
use crate::json::{JsonKind, JsonValue, Member};
use crate::source::{FileId, SourceMap, Span};

/// Modules nested deeper than this are not read (a cycle, or hostile input).
const MAX_MODULE_DEPTH: usize = 16;

const UNKNOWN: &str = "plinthUnknown()";

/// Declarations inlined inside one another deeper than this lower to
/// [`UNKNOWN`]: `r.name` and `r.id` are written out as the declaration's own
/// name expression, which may name another resource in turn. Real chains
/// (a child's parent's name, a module named after a resource) are a few
/// deep; hostile ones recurse until the stack runs out.
const MAX_INLINE_DEPTH: usize = 32;

/// The most text one file's lowering may write out again (summed over every
/// inlined declaration, each charged at least [`INLINE_CHARGE`], and every
/// loop item or lambda parameter copied where it is read); past it each
/// further copy lowers to [`UNKNOWN`]. Copies compound: a name that reads
/// another name twice doubles at every step of a chain (forty resources
/// would otherwise write a terabyte), and so does a loop over a source that
/// reads the enclosing loop's item twice. The file of the AVM corpus that
/// writes out most spends 30 KB.
const INLINE_BUDGET: usize = 1 << 20;

/// What one inlining costs at least, its own text aside (the calls made).
const INLINE_CHARGE: usize = 64;

/// One loaded Bicep file, lowered.
pub struct Lowered {
    /// Shared with the run's kept copy, when there is one.
    pub template: Arc<JsonValue>,
    /// The id the template's spans give the file itself: the one it was
    /// registered under, or, when the run's kept template of it is shared
    /// ([`lower_with`]), the id the run registered it under first.
    pub root: FileId,
    /// Module files read on the way.
    pub files: Vec<FileId>,
    pub problems: Vec<Problem>,
}

/// What a resource symbol stands for.
#[derive(Clone)]
struct Resource<'d> {
    /// The symbolic name the template keys it by (`vnet`, `vnet::snet`).
    symbolic: String,
    /// `existing`: declared elsewhere, only named here.
    existing: bool,
    rtype: String,
    api: String,
    /// Parent symbol (`parent:` or nesting).
    parent: Option<String>,
    /// The `name` property as written, and the bindings it sees.
    name: Option<&'d Expr>,
    /// A resource loop: its item and index names and its source.
    looped: Option<Loop<'d>>,
    /// `scope: resourceGroup('rg')` of an existing resource.
    group: Option<String>,
}

#[derive(Clone)]
struct Loop<'d> {
    item: Option<String>,
    index: Option<String>,
    source: &'d Expr,
}

#[derive(Clone)]
enum Symbol<'d> {
    Param,
    Var,
    Func,
    Resource(Box<Resource<'d>>),
    Module {
        looped: bool,
        name: Option<&'d Expr>,
    },
}

/// Names bound by loops, lambdas and function parameters, innermost last.
type Env = Vec<(String, String)>;

pub struct Lowerer<'a> {
    sources: &'a SourceMap,
    /// The Bicep module cache registry modules are read from, when the
    /// user named one (see [`crate::bicep::registry`]).
    cache: Option<&'a Path>,
    /// Files being lowered, outermost first, normalized (cycle guard).
    stack: Vec<PathBuf>,
    /// Module templates already lowered in this unit, by normalized path.
    lowered: HashMap<PathBuf, Kept>,
    files: Vec<FileId>,
    problems: Vec<Problem>,
    /// Modules refused (too deep, or a cycle) and modules taken from
    /// `lowered` that were not lowered cleanly, counted: a file lowered
    /// with either is not shared with other units ([`shared`]).
    refused: usize,
    reused: usize,
    /// How many of `problems` are in the set, and the set of what they
    /// report ([`Lowerer::report_again`]).
    reported: (usize, HashSet<ProblemKey>),
    /// The deepest stack a module check was made at, in the file being
    /// lowered (`None`: no module call yet).
    deepest: Option<usize>,
    /// Whether the file itself may take the id of the run's earlier
    /// registration of it, to share its kept template ([`Lowered::root`]).
    share_root: bool,
    root: Option<FileId>,
    /// Templates known to point only at their files ([`shared::Verified`]).
    verified: Vec<shared::Verified>,
}

/// A module lowered in this unit, kept for its other deployments.
struct Kept {
    template: Arc<JsonValue>,
    /// The files its lowering registered or held: it and its modules.
    files: Vec<FileId>,
    /// How many files deeper than it its deepest module check was made
    /// (`None`: it calls no module).
    deepest: Option<usize>,
    /// The problems its lowering reported (they do not depend on the unit).
    problems: Vec<Problem>,
    /// Lowered without a module refused or one taken from `lowered` that
    /// was not: a file that deploys it again may still be shared with other
    /// units, holding its files and reporting its problems.
    clean: bool,
}

struct File<'d> {
    path: PathBuf,
    symbols: HashMap<String, Symbol<'d>>,
    /// Whether any symbol is a nested resource's (`parent::child`): if
    /// none is, a member access is not looked up as one.
    nested: bool,
    /// Counter for lambda variable names of loops in expressions.
    fresh: std::cell::Cell<usize>,
    /// The declarations' expressions being inlined, outermost first (by
    /// address: each is one declaration's own): a name that reaches itself
    /// is a cycle, not known.
    inlining: std::cell::RefCell<Vec<usize>>,
    /// What is left of [`INLINE_BUDGET`].
    inline_budget: std::cell::Cell<usize>,
    /// Where the budget was first found spent (a `limit-exceeded` error).
    inline_spent_at: std::cell::Cell<Option<Span>>,
}

/// Parses and lowers the Bicep file at `path` (already registered as `file`,
/// the id every span of the file itself keeps).
pub fn lower(sources: &SourceMap, path: &Path, file: FileId) -> Result<Lowered, Problem> {
    lower_in(sources, path, file, None, false)
}

/// [`lower`] of a unit's file, reading registry and template-spec modules
/// from the Bicep module cache at `cache` (what `cacheRootDirectory`
/// names). The template may be the run's kept one, its spans at the file's
/// first registration ([`Lowered::root`]): the unit then holds that id and
/// lets `file` go.
pub fn lower_with(
    sources: &SourceMap,
    path: &Path,
    file: FileId,
    cache: Option<&Path>,
) -> Result<Lowered, Problem> {
    lower_in(sources, path, file, cache, true)
}

fn lower_in(
    sources: &SourceMap,
    path: &Path,
    file: FileId,
    cache: Option<&Path>,
    share_root: bool,
) -> Result<Lowered, Problem> {
    let mut lowerer = Lowerer {
        sources,
        cache,
        stack: Vec::new(),
        lowered: HashMap::new(),
        files: Vec::new(),
        problems: Vec::new(),
        refused: 0,
        reused: 0,
        reported: (0, HashSet::new()),
        deepest: None,
        share_root,
        root: None,
        verified: Vec::new(),
    };
    let (template, _) = lowerer.file(path, file)?;
    Ok(Lowered {
        template,
        root: lowerer.root.unwrap_or(file),
        files: lowerer.files,
        problems: lowerer.problems,
    })
}

/// A parse error as a problem at its place in the file.
pub fn parse_problem(path: &Path, file: FileId, len: usize, e: &SyntaxError) -> Problem {
    e.problem("invalid Bicep", path, file, len)
}

fn j(kind: JsonKind, span: Span) -> JsonValue {
    JsonValue { kind, span }
}

fn member(key: impl Into<String>, value: JsonValue, span: Span) -> Member {
    Member {
        key: key.into(),
        span,
        value,
    }
}

fn string(s: impl Into<String>, span: Span) -> JsonValue {
    j(JsonKind::String(s.into()), span)
}

fn expression(text: String, span: Span) -> JsonValue {
    string(["[", &text, "]"].concat(), span)
}

// The lowering writes every expression as text (tens of thousands a run):
// its strings are put together at their length at once, not through
// `format!`, which grew them piece by piece.

/// An ARM string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

/// `f('s')`: a call of `f` with one string literal.
fn call_quoted(f: &str, s: &str) -> String {
    let mut out = String::with_capacity(f.len() + s.len() + 4);
    push_call_quoted(&mut out, f, s);
    out
}

/// [`call_quoted`] written at the end of `out`.
fn push_call_quoted(out: &mut String, f: &str, s: &str) {
    out.push_str(f);
    out.push('(');
    push_quoted(out, s);
    out.push(')');
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `type@version` → (type, version).
fn split_type(s: &str) -> (String, String) {
    match s.split_once('@') {
        Some((t, v)) => (t.to_string(), v.to_string()),
        None => (s.to_string(), String::new()),
    }
}

fn pair<'e>(props: &'e [Prop], key: &str) -> Option<(&'e Expr, Span)> {
    props.iter().find_map(|p| match p {
        Prop::Pair {
            key: k,
            value,
            span,
        } if k.eq_ignore_ascii_case(key) => Some((value, *span)),
        _ => None,
    })
}

/// A resource or module body: its object, its condition, its loop.
fn unwrap_body(body: &Expr) -> (Option<&Expr>, Option<Loop<'_>>, Option<&Expr>) {
    match &body.kind {
        ExprKind::For {
            item,
            index,
            source,
            body,
        } => {
            let looped = Some(Loop {
                item: item.clone(),
                index: index.clone(),
                source,
            });
            match &body.kind {
                ExprKind::If(condition, object) => (Some(object), looped, Some(condition)),
                _ => (Some(body), looped, None),
            }
        }
        ExprKind::If(condition, object) => (Some(object), None, Some(condition)),
        _ => (Some(body), None, None),
    }
}

fn props(body: Option<&Expr>) -> &[Prop] {
    match body.map(|b| &b.kind) {
        Some(ExprKind::Object(props)) => props,
        _ => &[],
    }
}

/// Binds a loop's item and index names for expressions inside it.
fn bind_loop(env: &mut Env, l: &Loop, source: String, index: String) {
    if let Some(item) = &l.item {
        env.push((item.clone(), [source.as_str(), "[", &index, "]"].concat()));
    }
    if let Some(i) = &l.index {
        env.push((i.clone(), index));
    }
}
