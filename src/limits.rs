//! How far plinth goes into one input before it stops and says so. Every
//! limit is configurable (`limits:` in `.plinth.yaml`); hitting one is a
//! `limit-exceeded` error at the place that hit it (exit code 2), never a
//! hang, a stack overflow or a silent guess. What lies past a limit is
//! unknown to the rules, so they stay silent about it.

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize;

use crate::report::Problem;
use crate::source::{SourceMap, Span};

/// The problem code of every limit hit.
pub const CODE: &str = "limit-exceeded";

/// The stack of each thread that loads and checks units. Parsers and
/// evaluators recurse only within the depth limits, whose ceilings (a debug
/// build's frames are the largest) stay well inside it; it is reserved
/// address space, touched only as deep as a unit goes.
pub const UNIT_STACK_BYTES: usize = 64 * 1024 * 1024;

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
    /// ARM expressions evaluated inside each other across variables,
    /// parameters, user functions and lambdas, and values nested deeper than
    /// this (each of those may be within its own limit and yet multiply).
    pub max_evaluation_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 32 * 1024 * 1024,
            max_nesting: 256,
            max_expression_depth: 64,
            max_copies: 800,
            max_deployment_depth: 16,
            max_object_members: 10_000,
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
    depth: Rc<Cell<Depth>>,
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
            depth: Rc::default(),
        }
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
    let size = std::fs::metadata(path).ok()?.len();
    (size > limits.max_file_bytes).then_some(size)
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
