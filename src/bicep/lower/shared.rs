//! Bicep files lowered once per run, not once per unit that reads them
//! (issue #20, part 1). Azure Verified Modules checks each module on its
//! own and again from each of its tests and each pattern that deploys it:
//! the same file was parsed and lowered three to four times a run.
//!
//! The lowered template of a file depends only on the texts of that file
//! and of the modules it reads, and on where it is read from: how deep in
//! the module stack (the depth limit) and which files are being lowered
//! around it (the cycle guard). An entry keeps all of that, and is used
//! only where lowering again would give the same template:
//!
//! - the file's text is the text it was lowered from (an editor's buffer,
//!   or a unit's own file changed on disk, is lowered afresh); a module is
//!   not read again, nor are its modules: a run reads a module's text once,
//!   and every unit that deploys it sees the text it was lowered from;
//! - no module of it is on the stack now, and its deepest module call is
//!   still within the depth limit from here;
//! - no module was refused in it (too deep, a cycle), nor did it take a
//!   module this unit had lowered already with one refused.
//!
//! The problems its lowering reported (a module file missing, outside the
//! paths checked, not valid Bicep) do not depend on the unit: they are kept
//! with it, and a unit that takes it reports them again, at the same places.
//!
//! Its spans point at the files it was lowered from, by the ids the first
//! unit registered them under; a unit reusing it registers the same files
//! under ids of its own and gets a copy of the template with its spans
//! moved to them. Entries are kept up to a budget of memory, the least
//! recently used dropped first: memory does not grow with the corpus.

use foldhash::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diagnostic::Problem;
use crate::json::{JsonKind, JsonValue, Member};
use crate::source::{FileId, SourceMap, Span};

/// Lowered templates kept at most, in bytes (an estimate: the texts and
/// about 96 bytes a JSON node). Units that read the same module mostly come
/// together (a module, its tests, the pattern beside it): on Azure Verified
/// Modules 8 MiB reused as much as 64 MiB, without the 70 MiB more memory;
/// 4 MiB ran as fast as 8 or up to 3% faster in alternated runs, with less
/// memory (a kept template is copied in and freed out), 16 and 32 MiB
/// slower.
const BUDGET_BYTES: usize = 4 << 20;

/// One file lowered: what [`Shared::get`] needs to tell whether lowering it
/// again would give the same template, and the template.
#[derive(Debug)]
pub(super) struct Entry {
    /// The file's own text.
    pub text: Arc<str>,
    /// The module files its lowering read, in the order it registered
    /// them: each path as it was loaded, and the text it had (kept: a unit
    /// that reuses the entry registers it, without reading the file).
    pub modules: Vec<(PathBuf, Arc<str>)>,
    /// The files lowered on the way (this one and its `.bicep` modules),
    /// normalized: none may be on the stack where the entry is used.
    pub stacked: Vec<PathBuf>,
    /// How many files deeper than this one the deepest module check was
    /// made (`None`: it calls no module).
    pub deepest: Option<usize>,
    /// The ids the spans point at: this file's, then the modules'.
    pub ids: Vec<FileId>,
    pub template: Arc<JsonValue>,
    /// The problems its lowering reported (a module file missing, outside
    /// the paths checked, not valid Bicep): reported again by each unit
    /// that takes the template, as lowering it there would have.
    pub problems: Vec<Problem>,
    /// The template's nodes, shared ones counted each time they appear.
    nodes: usize,
    cost: usize,
}

/// A template known to point only at `ids`: an entry's, kept or reused in
/// this unit. [`Entry::new`] does not walk it again where it appears
/// shared inside another (the nesting of modules walked each module once
/// per file above it), when its files are the new entry's too. The
/// template is held: its address is not reused while it is listed.
#[derive(Debug)]
pub(super) struct Verified {
    pub template: Arc<JsonValue>,
    pub ids: Vec<FileId>,
    pub nodes: usize,
}

impl Verified {
    pub fn of(entry: &Entry) -> Verified {
        Verified {
            template: Arc::clone(&entry.template),
            ids: entry.ids.clone(),
            nodes: entry.nodes,
        }
    }
}

impl Entry {
    pub fn new(
        text: Arc<str>,
        modules: Vec<(PathBuf, Arc<str>)>,
        stacked: Vec<PathBuf>,
        deepest: Option<usize>,
        ids: Vec<FileId>,
        template: Arc<JsonValue>,
        verified: &[Verified],
    ) -> Option<Entry> {
        // Every span must point at one of its files, or the copy could not
        // move it: such a template is not kept.
        let mut nodes = 0usize;
        let mut stack = vec![&*template];
        while let Some(value) = stack.pop() {
            nodes += 1;
            if !ids.contains(&value.span.file) {
                return None;
            }
            match &value.kind {
                JsonKind::Array(items) => stack.extend(items),
                JsonKind::Object(members) => {
                    for m in members {
                        if !ids.contains(&m.span.file) {
                            return None;
                        }
                        stack.push(&m.value);
                    }
                }
                JsonKind::Shared(inner) => {
                    match verified.iter().find(|v| {
                        Arc::ptr_eq(&v.template, inner) && v.ids.iter().all(|id| ids.contains(id))
                    }) {
                        // Counted as the walk would have: all of it.
                        Some(v) => nodes += v.nodes,
                        None => stack.push(inner),
                    }
                }
                _ => {}
            }
        }
        let texts: usize = text.len() + modules.iter().map(|(_, t)| t.len()).sum::<usize>();
        Some(Entry {
            text,
            modules,
            stacked,
            deepest,
            ids,
            template,
            problems: Vec::new(),
            nodes,
            cost: texts + nodes * 96,
        })
    }

    /// The entry, reporting `problems` again wherever it is taken; not kept
    /// when one lies outside its files (its place could not move with the
    /// template's spans).
    pub fn with_problems(mut self, problems: Vec<Problem>) -> Option<Entry> {
        if problems
            .iter()
            .any(|p| p.span.is_some_and(|s| !self.ids.contains(&s.file)))
        {
            return None;
        }
        self.cost += problems
            .iter()
            .map(|p| 256 + p.message.len())
            .sum::<usize>();
        self.problems = problems;
        Some(self)
    }
}

/// The run's lowered files, shared by the units (see the module's text).
#[derive(Debug, Default)]
pub struct Shared {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By normalized path and the Bicep module cache registry modules are
    /// read from, each as text (hashing a path's text is cheaper than its
    /// components, and a normalized path is equal exactly when its text
    /// is): the entry and when it was last used.
    entries: HashMap<(OsString, Option<OsString>), (Arc<Entry>, u64)>,
    clock: u64,
    cost: usize,
}

impl Shared {
    pub(super) fn get(&self, path: &Path, cache: Option<&Path>) -> Option<Arc<Entry>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let key = (
            path.as_os_str().to_owned(),
            cache.map(|c| c.as_os_str().to_owned()),
        );
        let (entry, used) = inner.entries.get_mut(&key)?;
        *used = now;
        Some(Arc::clone(entry))
    }

    /// Keeps `entry`, which holds its files ([`SourceMap::share`]) while
    /// it is kept: a unit reusing it shares them.
    pub(super) fn put(
        &self,
        sources: &SourceMap,
        path: PathBuf,
        cache: Option<&Path>,
        entry: Entry,
    ) {
        if entry.cost > BUDGET_BYTES / 4 {
            return;
        }
        let file = sources.get(entry.ids[0]);
        let files = std::iter::once((&file.path, &entry.text))
            .chain(entry.modules.iter().map(|(p, t)| (p, t)))
            .zip(&entry.ids);
        let mut held = Vec::with_capacity(entry.ids.len());
        for ((path, text), id) in files {
            if !sources.share(*id, path, text) {
                held.into_iter().for_each(|id| sources.release(id));
                return;
            }
            held.push(*id);
        }
        // Entries dropped are freed after the lock is let go: freeing a
        // large template held the other threads waiting.
        let mut dropped = Vec::new();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        inner.cost += entry.cost;
        let key = (
            path.into_os_string(),
            cache.map(|c| c.as_os_str().to_owned()),
        );
        if let Some((old, _)) = inner.entries.insert(key, (Arc::new(entry), now)) {
            inner.cost -= old.cost;
            dropped.push(old);
        }
        while inner.cost > BUDGET_BYTES {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((old, _)) = inner.entries.remove(&oldest) {
                inner.cost -= old.cost;
                dropped.push(old);
            }
        }
        drop(inner);
        for old in dropped {
            for id in &old.ids {
                sources.release(*id);
            }
        }
    }
}

/// `s` in the file `to` moves its file to (the entry's ids, in order, to the
/// unit's: a few pairs, the file's own first, looked through rather than
/// hashed), if it moves it.
pub(super) fn moved_span(s: Span, to: &[(FileId, FileId)]) -> Span {
    Span {
        file: to
            .iter()
            .find(|(from, _)| *from == s.file)
            .map_or(s.file, |(_, id)| *id),
        ..s
    }
}

/// A copy of `value` with each span's file id moved by `to`
/// ([`moved_span`]); recursion as deep as the template, which the lowering
/// that made it already went through.
pub(super) fn moved(value: &JsonValue, to: &[(FileId, FileId)]) -> JsonValue {
    let span = |s: Span| moved_span(s, to);
    let kind = match &value.kind {
        JsonKind::Array(items) => JsonKind::Array(items.iter().map(|i| moved(i, to)).collect()),
        JsonKind::Object(members) => JsonKind::Object(
            members
                .iter()
                .map(|m| Member {
                    key: m.key.clone(),
                    span: span(m.span),
                    value: moved(&m.value, to),
                })
                .collect(),
        ),
        // Copied through: its spans move too.
        JsonKind::Shared(inner) => return moved(inner, to),
        other => other.clone(),
    };
    JsonValue {
        kind,
        span: span(value.span),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lower;
    use crate::json::{JsonKind, JsonValue};
    use crate::source::{FileId, SourceMap};
    use std::path::{Path, PathBuf};

    fn files_of(value: &JsonValue, out: &mut Vec<FileId>) {
        out.push(value.span.file);
        match &value.resolved().kind {
            JsonKind::Array(items) => items.iter().for_each(|i| files_of(i, out)),
            JsonKind::Object(members) => {
                for m in members {
                    out.push(m.span.file);
                    files_of(&m.value, out);
                }
            }
            _ => {}
        }
    }

    /// `{"a": SHARED}` in file `outer`, SHARED being `inner` shared.
    fn holding(outer: FileId, inner: &std::sync::Arc<JsonValue>) -> std::sync::Arc<JsonValue> {
        let span = crate::source::Span::new(outer, 0, 1);
        std::sync::Arc::new(JsonValue {
            span,
            kind: JsonKind::Object(vec![crate::json::Member {
                key: "a".into(),
                span,
                value: JsonValue::shared(inner),
            }]),
        })
    }

    /// `[1, 2]` with the numbers in `file`.
    fn module_in(file: FileId) -> std::sync::Arc<JsonValue> {
        let at = |n: u32| JsonValue {
            span: crate::source::Span::new(file, n as usize, n as usize + 1),
            kind: JsonKind::Number(f64::from(n)),
        };
        std::sync::Arc::new(JsonValue {
            span: crate::source::Span::new(file, 0, 4),
            kind: JsonKind::Array(vec![at(1), at(2)]),
        })
    }

    #[test]
    fn a_shared_template_already_checked_is_counted_not_walked_again() {
        use super::{Entry, Verified};
        let (outer, module, foreign) = (FileId(0), FileId(1), FileId(9));
        let entry = |template, ids: Vec<FileId>, verified: &[Verified]| {
            Entry::new(
                "".into(),
                Vec::new(),
                Vec::new(),
                None,
                ids,
                template,
                verified,
            )
        };
        // A module in its own file, checked: 3 nodes.
        let inner = entry(module_in(module), vec![module], &[]).expect("its spans are its own");
        assert_eq!(inner.nodes, 3);
        let checked = [Verified::of(&inner)];
        // Inside a file that holds it: the same count, walked or not.
        let walked = entry(holding(outer, &inner.template), vec![outer, module], &[]);
        let skipped = entry(
            holding(outer, &inner.template),
            vec![outer, module],
            &checked,
        );
        assert_eq!(
            walked.map(|e| (e.nodes, e.cost)),
            skipped.map(|e| (e.nodes, e.cost))
        );
        // A file that does not hold the module's file walks it, and is not kept.
        assert!(entry(holding(outer, &inner.template), vec![outer], &checked).is_none());
        // Nor is a template whose shared part was never checked and points
        // elsewhere, however its outer file is listed.
        let stray = module_in(foreign);
        assert!(entry(holding(outer, &stray), vec![outer, module], &checked).is_none());
    }

    fn unit(sources: &SourceMap, path: &Path) -> super::super::Lowered {
        let id = sources.load(path).unwrap();
        lower(sources, path, id).unwrap_or_else(|p| panic!("{}", p.message))
    }

    fn text(value: &JsonValue) -> String {
        format!("{value:?}")
    }

    /// Equal but for the files spans point at; offsets must match.
    fn same(a: &JsonValue, b: &JsonValue) -> bool {
        let (a, b) = (a.resolved(), b.resolved());
        let at =
            |x: &JsonValue, y: &JsonValue| (x.span.start, x.span.end) == (y.span.start, y.span.end);
        at(a, b)
            && match (&a.kind, &b.kind) {
                (JsonKind::Array(x), JsonKind::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
                }
                (JsonKind::Object(x), JsonKind::Object(y)) => {
                    x.len() == y.len()
                        && x.iter().zip(y).all(|(p, q)| {
                            p.key == q.key
                                && (p.span.start, p.span.end) == (q.span.start, q.span.end)
                                && same(&p.value, &q.value)
                        })
                }
                (JsonKind::String(x), JsonKind::String(y)) => x == y,
                (JsonKind::Number(x), JsonKind::Number(y)) => x == y,
                (JsonKind::Bool(x), JsonKind::Bool(y)) => x == y,
                (JsonKind::Null, JsonKind::Null) => true,
                _ => false,
            }
    }

    /// A folder with `zone.bicep` (`zone`) and `a.bicep` and `b.bicep`, each
    /// deploying it under its own name, with `params(caller)` after the name.
    fn zone_and_two_callers(zone: &str, params: fn(&str) -> String) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("zone.bicep"), zone).unwrap();
        for caller in ["a", "b"] {
            std::fs::write(
                dir.path().join(format!("{caller}.bicep")),
                format!(
                    "module z './zone.bicep' = {{\n  name: '{caller}'{}\n}}\n",
                    params(caller)
                ),
            )
            .unwrap();
        }
        dir
    }

    /// The zone module of [`zone_and_two_callers`], its name a parameter.
    fn named_zone() -> tempfile::TempDir {
        zone_and_two_callers(
            "param name string\nresource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: name\n  location: 'global'\n}\n",
            |caller| format!("\n  params: {{ name: 'privatelink.{caller}.example' }}"),
        )
    }

    /// The template `unit` deploys as its one module.
    fn module_of(unit: &super::super::Lowered) -> &JsonValue {
        let module = unit
            .template
            .get("resources")
            .and_then(|r| r.members().first())
            .expect("one module");
        let template = module
            .value
            .get("properties")
            .and_then(|p| p.get("template"));
        template.expect("its template")
    }

    #[test]
    fn a_module_read_by_two_units_is_lowered_once_and_shared_with_its_file() {
        let dir = named_zone();
        let sources = SourceMap::new();
        let first = unit(&sources, &dir.path().join("a.bicep"));
        let zone = crate::paths::normalize(&dir.path().join("zone.bicep"));
        assert!(sources.kept::<super::Shared>().get(&zone, None).is_some());
        // The first unit lets its files go (it showed nothing there): the
        // kept template still holds the module's text.
        sources.release(first.files[0]);
        let second = unit(&sources, &dir.path().join("b.bicep"));
        // The second unit holds the module's first registration, and its
        // template is the very one the first unit lowered, not a copy.
        assert_eq!(second.files, first.files);
        assert!(std::ptr::eq(module_of(&first), module_of(&second)));
        assert!(!sources.get(second.files[0]).text.is_empty());
        // The same template as a run without the shared one would give.
        let alone = SourceMap::new();
        let _ = unit(&alone, &dir.path().join("a.bicep"));
        let fresh = unit(&alone, &dir.path().join("b.bicep"));
        assert!(same(&second.template, &fresh.template));
        // Let go by both units, it is still held by the kept templates
        // that point at it: the module's own and each caller's.
        sources.release(second.files[0]);
        assert!(!sources.get(second.files[0]).text.is_empty());
        for _ in 0..3 {
            sources.release(first.files[0]);
        }
        assert!(sources.get(first.files[0]).text.is_empty());
    }

    /// `pair.bicep` deploying the zone of `dir` twice (with `params` each,
    /// by name), and callers `c.bicep` and `d.bicep` deploying the pair.
    fn pair_and_two_callers(dir: &Path, params: impl Fn(&str) -> String) {
        let deploy = |name: &str| {
            format!(
                "module {name} './zone.bicep' = {{\n  name: '{name}'{}\n}}\n",
                params(name)
            )
        };
        std::fs::write(
            dir.join("pair.bicep"),
            format!("{}{}", deploy("one"), deploy("two")),
        )
        .unwrap();
        for caller in ["c", "d"] {
            std::fs::write(
                dir.join(format!("{caller}.bicep")),
                format!("module p './pair.bicep' = {{\n  name: '{caller}'\n}}\n"),
            )
            .unwrap();
        }
    }

    #[test]
    fn a_file_that_deploys_a_module_twice_is_shared_too() {
        let dir = named_zone();
        pair_and_two_callers(dir.path(), |name| {
            format!("\n  params: {{ name: 'privatelink.{name}.example' }}")
        });
        let sources = SourceMap::new();
        let first = unit(&sources, &dir.path().join("c.bicep"));
        let pair = crate::paths::normalize(&dir.path().join("pair.bicep"));
        // Kept, though its second deployment of the zone took the first's
        // template: the zone's file is held for it as for the first.
        assert!(sources.kept::<super::Shared>().get(&pair, None).is_some());
        let second = unit(&sources, &dir.path().join("d.bicep"));
        assert!(std::ptr::eq(module_of(&first), module_of(&second)));
        assert_eq!(second.files, first.files);
        let alone = SourceMap::new();
        let fresh = unit(&alone, &dir.path().join("d.bicep"));
        assert!(same(&second.template, &fresh.template));
        assert_eq!(second.problems.len(), fresh.problems.len());
    }

    #[test]
    fn a_module_whose_file_is_let_go_is_registered_again_and_its_template_copied() {
        let dir = named_zone();
        let sources = SourceMap::new();
        let first = unit(&sources, &dir.path().join("a.bicep"));
        // Let go by the unit and by the kept templates that hold it (the
        // module's own and its caller's, as when they are dropped): its
        // text is gone, and no unit may point at it.
        for _ in 0..3 {
            sources.release(first.files[0]);
        }
        assert!(sources.get(first.files[0]).text.is_empty());
        let second = unit(&sources, &dir.path().join("b.bicep"));
        assert_eq!(second.files.len(), 1);
        assert_ne!(first.files[0], second.files[0]);
        assert!(!sources.get(second.files[0]).text.is_empty());
        let mut seen = Vec::new();
        files_of(&second.template, &mut seen);
        assert!(seen.contains(&second.files[0]));
        assert!(!seen.contains(&first.files[0]));
        let alone = SourceMap::new();
        let _ = unit(&alone, &dir.path().join("a.bicep"));
        let fresh = unit(&alone, &dir.path().join("b.bicep"));
        assert!(same(&second.template, &fresh.template));
    }

    #[test]
    fn a_module_the_run_has_lowered_is_not_read_from_disk_again() {
        let dir = zone_and_two_callers(
            "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: 'privatelink.kept.example'\n  location: 'global'\n}\n",
            |_| String::new(),
        );
        let zone = dir.path().join("zone.bicep");
        let sources = SourceMap::new();
        let _ = unit(&sources, &dir.path().join("a.bicep"));
        // Gone from disk: the second unit's module is the text the run read.
        std::fs::remove_file(&zone).unwrap();
        let second = unit(&sources, &dir.path().join("b.bicep"));
        assert!(second.problems.is_empty(), "{:?}", second.problems);
        assert_eq!(second.files.len(), 1);
        assert!(text(&second.template).contains("privatelink.kept.example"));
        assert!(
            sources
                .get(second.files[0])
                .text
                .contains("privatelink.kept.example")
        );
    }

    /// A zone module that deploys a module file that does not exist.
    fn zone_with_a_missing_module() -> tempfile::TempDir {
        zone_and_two_callers(
            "module gone './missing.bicep' = {\n  name: 'gone'\n}\nresource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n  name: 'privatelink.kept.example'\n  location: 'global'\n}\n",
            |_| String::new(),
        )
    }

    /// The one problem of `unit`: its code, message, path and offsets.
    fn one_problem(
        unit: &super::super::Lowered,
    ) -> (
        crate::diagnostic::Code,
        String,
        Option<PathBuf>,
        Option<(u32, u32)>,
    ) {
        assert_eq!(unit.problems.len(), 1, "{:?}", unit.problems);
        let p = &unit.problems[0];
        (
            p.code,
            p.message.clone(),
            p.path.clone(),
            p.span.map(|s| (s.start, s.end)),
        )
    }

    #[test]
    fn a_module_lowered_with_a_problem_is_shared_and_reports_it_again() {
        let dir = zone_with_a_missing_module();
        let zone = dir.path().join("zone.bicep");
        let sources = SourceMap::new();
        let first = unit(&sources, &dir.path().join("a.bicep"));
        let normalized = crate::paths::normalize(&zone);
        assert!(
            sources
                .kept::<super::Shared>()
                .get(&normalized, None)
                .is_some()
        );
        // Gone from disk: the second unit takes the run's template, and
        // reports the problem lowering it there would have, where it would.
        std::fs::remove_file(&zone).unwrap();
        let second = unit(&sources, &dir.path().join("b.bicep"));
        assert!(std::ptr::eq(module_of(&first), module_of(&second)));
        assert_eq!(one_problem(&second), one_problem(&first));
        let at = second.problems[0].span.expect("a place");
        assert!(second.files.contains(&at.file), "{at:?}");
    }

    #[test]
    fn a_file_that_deploys_a_module_with_a_problem_twice_is_shared_and_reports_it() {
        let dir = zone_with_a_missing_module();
        pair_and_two_callers(dir.path(), |_| String::new());
        let sources = SourceMap::new();
        let first = unit(&sources, &dir.path().join("c.bicep"));
        let pair = crate::paths::normalize(&dir.path().join("pair.bicep"));
        assert!(sources.kept::<super::Shared>().get(&pair, None).is_some());
        let second = unit(&sources, &dir.path().join("d.bicep"));
        assert!(std::ptr::eq(module_of(&first), module_of(&second)));
        // The problem as lowering it again reports it: once a unit, however
        // often the zone is deployed (the run's report keeps one of each).
        let alone = SourceMap::new();
        let fresh = unit(&alone, &dir.path().join("d.bicep"));
        assert_eq!(second.problems.len(), fresh.problems.len());
        assert!(!second.problems.is_empty());
        for (p, q) in second.problems.iter().zip(&fresh.problems) {
            assert_eq!((&p.message, &p.path), (&q.message, &q.path));
            assert_eq!(
                p.span.map(|s| (s.start, s.end)),
                q.span.map(|s| (s.start, s.end))
            );
        }
    }

    #[test]
    fn a_module_with_a_problem_deployed_by_many_kept_files_reports_it_once() {
        // 40 files each deploy the zone; a top file deploys them all. Each
        // file is kept with the zone's problem; the unit reports it once,
        // not once a file (hostile input could multiply files by problems).
        let dir = zone_with_a_missing_module();
        let mut top = String::new();
        for i in 0..40 {
            std::fs::write(
                dir.path().join(format!("f{i}.bicep")),
                "module z './zone.bicep' = {\n  name: 'z'\n}\n",
            )
            .unwrap();
            top.push_str(&format!(
                "module m{i} './f{i}.bicep' = {{\n  name: 'm{i}'\n}}\n"
            ));
        }
        std::fs::write(dir.path().join("top.bicep"), top).unwrap();
        let sources = SourceMap::new();
        for path in ["top.bicep", "top.bicep"] {
            let lowered = unit(&sources, &dir.path().join(path));
            assert_eq!(lowered.problems.len(), 1, "{:?}", lowered.problems);
        }
    }

    #[test]
    fn a_file_whose_text_changed_is_lowered_again() {
        let dir = tempfile::tempdir().unwrap();
        let zone = dir.path().join("zone.bicep");
        let resource = |name: &str| {
            format!(
                "resource z 'Microsoft.Network/privateDnsZones@2020-06-01' = {{\n  name: '{name}'\n  location: 'global'\n}}\n"
            )
        };
        std::fs::write(&zone, resource("privatelink.old.example")).unwrap();
        std::fs::write(
            dir.path().join("main.bicep"),
            "module z './zone.bicep' = {\n  name: 'z'\n}\n",
        )
        .unwrap();
        let sources = SourceMap::new();
        let before = unit(&sources, &dir.path().join("main.bicep"));
        assert!(text(&before.template).contains("privatelink.old.example"));
        // Checked on its own, the file is read again: its new text is not
        // the one it was lowered from as a module.
        std::fs::write(&zone, resource("privatelink.new.example")).unwrap();
        let after = unit(&sources, &zone);
        assert!(text(&after.template).contains("privatelink.new.example"));
        assert!(!text(&after.template).contains("privatelink.old.example"));
    }

    #[test]
    fn a_module_shared_from_a_shallower_place_is_still_refused_past_the_depth_limit() {
        // m0 → m1 → … → m17: from m0 the chain passes the depth limit; from
        // m10 it does not, and m10's template, shared, must not carry the
        // modules that are too deep for m0's unit.
        let dir = tempfile::tempdir().unwrap();
        for i in 0..18 {
            let body = if i < 17 {
                format!(
                    "module next './m{}.bicep' = {{\n  name: 'm{}'\n}}\n",
                    i + 1,
                    i + 1
                )
            } else {
                "output done string = 'yes'\n".to_string()
            };
            std::fs::write(dir.path().join(format!("m{i}.bicep")), body).unwrap();
        }
        let shared = SourceMap::new();
        let _ = unit(&shared, &dir.path().join("m10.bicep"));
        let with = unit(&shared, &dir.path().join("m0.bicep"));
        let alone = SourceMap::new();
        let without = unit(&alone, &dir.path().join("m0.bicep"));
        assert!(same(&with.template, &without.template));
        let messages = |l: &super::super::Lowered| {
            l.problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&with), messages(&without));
        assert!(
            messages(&without)
                .iter()
                .any(|m| m.contains("nested too deep"))
        );
    }
}
