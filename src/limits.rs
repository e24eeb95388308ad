//! How far plinth goes into one input before it stops and says so. Every
//! limit is configurable (`limits:` in `.plinth.yaml`); hitting one is a
//! `limit-exceeded` error at the place that hit it (exit code 2), never a
//! hang, a stack overflow or a silent guess. What lies past a limit is
//! unknown to the rules, so they stay silent about it.
//!
//! Besides the limits on one construct (a copy count, a nesting depth), a
//! [`Guard`] carries the work budget of one unit: the values its evaluators
//! build, the instances its loops expand and the module calls it makes, each
//! counted over the whole unit. Limits on one loop multiply through nesting
//! (800 copies of 800 copies of 800); the budget does not, so it is what
//! bounds the memory and time one unit can take. It does not count what the
//! parsers hold (bounded by `max_file_bytes` and the nesting limits).

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize;

use crate::diagnostic::Problem;
use crate::source::{SourceMap, Span};

/// The problem code of every limit hit.
pub const CODE: crate::diagnostic::Code = crate::diagnostic::LIMIT_EXCEEDED;

/// The stack of each thread that loads and checks units. Parsers and
/// evaluators recurse only within the depth limits, whose ceilings (a debug
/// build's frames are the largest) stay well inside it; it is reserved
/// address space, touched only as deep as a unit goes.
pub const UNIT_STACK_BYTES: usize = 64 * 1024 * 1024;

/// How many threads a run works on: `RAYON_NUM_THREADS` when set to a
/// number (rayon's own setting, kept for the walk too), else the machine's
/// cores. Asked once a run: the answer reads the cgroup's CPU quota, which
/// cost as much as a small folder's walk.
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|n| n.trim().parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A template, parameter file or `.tf` file larger than this is not read.
    pub max_file_bytes: u64,
    /// JSON arrays and objects, and HCL brackets, nested deeper than this.
    /// (JSON is refused past 512 whatever this says: the parser's own cap.)
    pub max_nesting: usize,
    /// ARM template expressions (`[concat(...)]`) nested deeper than this.
    /// (HCL expressions stop at 64 levels in hcl-edit's parser: a parse error.)
    pub max_expression_depth: usize,
    /// ARM copy loops with a larger count (ARM itself refuses more than 800),
    /// and Terraform `count`/`for_each` with more instances.
    pub max_copies: usize,
    /// Nested deployments (Bicep modules), and local Terraform modules,
    /// inside each other deeper than this.
    pub max_deployment_depth: usize,
    /// HCL object expressions (`tags = { … }`) with more members than this:
    /// hcl-edit's parser takes time quadratic in them.
    pub max_object_members: usize,
    /// Bytes of values the evaluators may build for one unit, counted as they
    /// are built and never given back: every scalar, array element and object
    /// member counts [`VALUE_BYTES`], a string its length besides. Doubling a
    /// variable sixty times, a self-calling function, nested `for`
    /// expressions all stop here.
    pub max_value_bytes: u64,
    /// Resource and module instances the copy loops and `count`/`for_each`
    /// of one unit may expand, over all its nested deployments and modules.
    pub max_instances: u64,
    /// Nested deployments (Bicep modules) and local Terraform module calls
    /// one unit may make in all (one per instance), however they nest.
    pub max_module_calls: u64,
    /// ARM expressions evaluated inside each other across variables,
    /// parameters, user functions and lambdas, and values nested deeper than
    /// this (each of those may be within its own limit and yet multiply).
    pub max_evaluation_depth: usize,
}

/// What one value (a scalar, an array element, an object member) counts
/// against `max_value_bytes` besides the bytes of its strings: about what
/// it takes in memory with its share of the containers holding it.
pub const VALUE_BYTES: u64 = 64;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: crate::paths::DEFAULT_MAX_FILE_BYTES,
            max_nesting: 256,
            max_expression_depth: 64,
            max_copies: 800,
            max_deployment_depth: 16,
            max_object_members: 10_000,
            max_value_bytes: 256 * 1024 * 1024,
            max_instances: 20_000,
            max_module_calls: 2_000,
            max_evaluation_depth: 2_048,
        }
    }
}

impl Limits {
    /// The problem for a limit hit at `span`: which limit, its value, and the
    /// config key that raises it.
    pub fn problem(sources: &SourceMap, hit: &Hit) -> Problem {
        let file = sources.path(hit.span.file);
        Problem::new(CODE, hit.message.clone())
            .at(file, Some(hit.span))
            .with_label(format!("{} is {}", hit.key, hit.limit))
            .with_help(format!(
                "what lies past the limit is not checked; raise `limits.{}` in .plinth.yaml to go further",
                hit.key
            ))
    }
}

/// One limit hit while reading a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub span: Span,
    pub message: String,
    /// The `limits:` key, e.g. `max_copies`.
    pub key: &'static str,
    pub limit: u64,
}

/// The limits of a run, and where a front-end notes the hits it meets while
/// it builds one unit (shared by the scopes of nested templates).
#[derive(Clone, Debug, Default)]
pub struct Guard {
    pub limits: Limits,
    hits: Rc<RefCell<Vec<Hit>>>,
    spent: Rc<Spent>,
    depth: Rc<Cell<Depth>>,
}

/// What one unit has used of its work budget so far.
#[derive(Debug, Default)]
struct Spent {
    value_bytes: Cell<u64>,
    instances: Cell<u64>,
    module_calls: Cell<u64>,
    /// Set by the first budget hit: from then on the evaluators build
    /// nothing more for the unit (the rest is unknown), so the hit is
    /// reported once, where the budget ran out.
    exhausted: Cell<bool>,
}

/// How deep the evaluation of a unit is, across all its scopes.
#[derive(Clone, Copy, Debug, Default)]
struct Depth {
    active: usize,
    /// Something was refused for being too deep, not reported yet.
    refused: bool,
    /// The unit's one report of it was made.
    reported: bool,
}

impl Guard {
    pub fn new(limits: Limits) -> Guard {
        Guard {
            limits,
            hits: Rc::default(),
            spent: Rc::default(),
            depth: Rc::default(),
        }
    }

    /// Whether the unit's work budget has run out: evaluators then give
    /// unknown at once instead of building.
    pub fn exhausted(&self) -> bool {
        self.spent.exhausted.get()
    }

    /// Counts `bytes` of values built at `span` against `max_value_bytes`;
    /// false (and the hit noted, once) when the budget is spent.
    pub fn spend_values(&self, bytes: u64, span: Span) -> bool {
        let limit = self.limits.max_value_bytes;
        self.spend(&self.spent.value_bytes, bytes, limit, span, || {
            (
                "max_value_bytes",
                format!(
                    "values built for this input pass {limit} bytes (max_value_bytes): what is built from here on is not known"
                ),
            )
        })
    }

    /// Counts `count` instances expanded at `span` against `max_instances`.
    pub fn spend_instances(&self, count: u64, span: Span) -> bool {
        let limit = self.limits.max_instances;
        self.spend(&self.spent.instances, count, limit, span, || {
            (
                "max_instances",
                format!(
                    "loops of this input expand more than {limit} instances in all (max_instances): these and what follows are not checked"
                ),
            )
        })
    }

    /// Counts one module call (or nested deployment) made at `span`.
    pub fn spend_module_call(&self, span: Span) -> bool {
        let limit = self.limits.max_module_calls;
        self.spend(&self.spent.module_calls, 1, limit, span, || {
            (
                "max_module_calls",
                format!(
                    "this input makes more than {limit} module calls in all (max_module_calls): this one and what follows are not checked"
                ),
            )
        })
    }

    fn spend(
        &self,
        counter: &Cell<u64>,
        amount: u64,
        limit: u64,
        span: Span,
        hit: impl FnOnce() -> (&'static str, String),
    ) -> bool {
        if self.exhausted() {
            return false;
        }
        let total = counter.get().saturating_add(amount);
        counter.set(total);
        if total <= limit {
            return true;
        }
        self.spent.exhausted.set(true);
        let (key, message) = hit();
        self.hit(span, key, limit, message);
        false
    }

    /// One evaluation level deeper; false (and noted as refused) past
    /// `max_evaluation_depth`. Each `true` is paired with `ascend()`.
    pub fn descend(&self) -> bool {
        let mut depth = self.depth.get();
        let ok = depth.active < self.limits.max_evaluation_depth;
        if ok {
            depth.active += 1;
        } else {
            depth.refused = true;
        }
        self.depth.set(depth);
        ok
    }

    pub fn ascend(&self) {
        let mut depth = self.depth.get();
        depth.active = depth.active.saturating_sub(1);
        self.depth.set(depth);
    }

    /// Notes a value refused for being nested deeper than the limit.
    pub fn refuse_depth(&self) {
        let mut depth = self.depth.get();
        depth.refused = true;
        self.depth.set(depth);
    }

    /// Whether something was refused for depth and not reported yet: true
    /// once per unit (one located error says enough; the innermost place
    /// that asks reports it).
    pub fn depth_refused(&self) -> bool {
        let mut depth = self.depth.get();
        let report = depth.refused && !depth.reported;
        depth.refused = false;
        depth.reported |= report;
        self.depth.set(depth);
        report
    }

    /// How many hits have been noted so far.
    pub fn hit_count(&self) -> usize {
        self.hits.borrow().len()
    }

    /// What the unit has spent so far: value bytes, instances, module calls.
    pub fn spent(&self) -> [u64; 3] {
        let s = &self.spent;
        [s.value_bytes.get(), s.instances.get(), s.module_calls.get()]
    }

    /// Spends `again` (what a piece of work spent, [`Guard::spent`] after
    /// less before) when all of it fits in what is left, and says so; when
    /// it does not, spends nothing (the work is then done again, and hits
    /// the limit where it does).
    pub fn spend_again(&self, again: [u64; 3]) -> bool {
        let limits = [
            self.limits.max_value_bytes,
            self.limits.max_instances,
            self.limits.max_module_calls,
        ];
        let spent = self.spent();
        let fits = (0..3).all(|i| spent[i].saturating_add(again[i]) <= limits[i]);
        if fits && !self.exhausted() {
            let s = &self.spent;
            s.value_bytes.set(spent[0] + again[0]);
            s.instances.set(spent[1] + again[1]);
            s.module_calls.set(spent[2] + again[2]);
            true
        } else {
            false
        }
    }

    pub fn hit(&self, span: Span, key: &'static str, limit: u64, message: impl Into<String>) {
        self.hits.borrow_mut().push(Hit {
            span,
            message: message.into(),
            key,
            limit,
        });
    }

    /// The hits so far, each once: a hit inside another of the same limit
    /// (an expression met as a member and as its value) is the same hit.
    pub fn take(&self) -> Vec<Hit> {
        let mut hits = std::mem::take(&mut *self.hits.borrow_mut());
        hits.sort_by_key(|h| {
            (
                h.key,
                h.span.file,
                h.span.start,
                std::cmp::Reverse(h.span.end),
            )
        });
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for hit in hits {
            let inside = kept.last().is_some_and(|k| {
                k.key == hit.key && k.span.file == hit.span.file && hit.span.end <= k.span.end
            });
            if !inside {
                kept.push(hit);
            }
        }
        kept.sort_by_key(|h| (h.span.file, h.span.start));
        kept
    }
}

/// The file's size when it is over `max_file_bytes` (a file that cannot be
/// measured is left to the reader, which reports why).
pub fn oversized(path: &Path, limits: Limits) -> Option<u64> {
    // A link is not measured: it is not read at all (see `paths`).
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let size = meta.len();
    (size > limits.max_file_bytes).then_some(size)
}

/// Reads the file at `path` into `sources` (the confinement's checks, then
/// decoding), unless it is over `max_file_bytes`; on failure the problem to
/// report, naming the file as `what` ("file", "parameter file").
pub fn load_file(
    sources: &SourceMap,
    path: &Path,
    what: &str,
    limits: Limits,
) -> Result<crate::source::FileId, Problem> {
    if let Some(size) = oversized(path, limits) {
        return Err(file_too_big(path, size, limits));
    }
    sources
        .load(path)
        .map_err(|err| err.problem(path, what, (path, None)))
}

/// Whether the first 64 KiB of the file contain `needle` (how an oversized
/// JSON file is told to be a template without reading all of it).
pub fn head_contains(path: &Path, needle: &str) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    String::from_utf8_lossy(&head).contains(needle)
        || crate::paths::decode(head).is_ok_and(|text| text.contains(needle))
}

pub fn file_too_big(path: &Path, size: u64, limits: Limits) -> Problem {
    Problem::new(
        CODE,
        format!(
            "file is {size} bytes, over the limit of {} (max_file_bytes): not checked",
            limits.max_file_bytes
        ),
    )
    .at(path, None)
    .with_help("raise `limits.max_file_bytes` in .plinth.yaml to check it")
}

pub fn nested_too_deep(path: &Path, span: Span, limits: Limits) -> Problem {
    Problem::new(
        CODE,
        format!(
            "brackets nested deeper than {} (max_nesting): file not checked",
            limits.max_nesting
        ),
    )
    .at(path, Some(span))
    .with_label("nested too deep from here")
    .with_help("raise `limits.max_nesting` in .plinth.yaml (JSON stops at 512 whatever the limit)")
}

pub fn object_too_large(path: &Path, span: Span, limits: Limits) -> Problem {
    Problem::new(
        CODE,
        format!(
            "an object expression with more than {} members (max_object_members): file not checked",
            limits.max_object_members
        ),
    )
    .at(path, Some(span))
    .with_label("one member too many here")
    .with_help(
        "raise `limits.max_object_members` in .plinth.yaml (parsing time grows with its square)",
    )
}
