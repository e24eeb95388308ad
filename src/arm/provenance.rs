//! Where the values of a unit's expressions came from (`Provenance`), as
//! the scopes of one unit write it, and the log of those writes that lets a
//! deployment instance built again from another's resources
//! (`Builder::replay` in `template.rs`) write what evaluating it would
//! have written. Not here: which parameters and variables an expression
//! reads (`Scope::sources_in` in `eval.rs`).

use std::rc::Rc;
use std::sync::Arc;

use foldhash::HashMap;

use crate::model::graph::Sources;
use crate::source::Span;

/// Where values came from: an expression's span → the parameter values and
/// variables it read (their spans, and a label saying which), transitively.
pub type Provenance = HashMap<Span, Sources>;

/// At most this many sources are kept per expression.
pub(super) const MAX_SOURCES: usize = 4;

/// What an expression read, in the order it is met: a parameter or
/// variable at `at`, with its label, or the sources already recorded for
/// `at` (where that value came from in turn).
pub(super) enum Step<'a> {
    Source(Span, &'a str, &'a str, &'a str),
    Further(Span),
}

/// One write to the record, as a log keeps it.
#[derive(Clone, Debug)]
enum Write {
    /// The sources of the expression at a span, from its steps (most
    /// expressions read one or two).
    Note(Span, smallvec::SmallVec<[Logged; 2]>),
    /// The sources at `from` given to `to` as well.
    Copy { from: Span, to: Span },
    /// The writes of an inner log, in order: an instance built inside
    /// another logs once, shared by the outer log, not copied into it.
    Log(Rc<Vec<Write>>),
}

/// A [`Step`] as a log keeps it, its label written.
#[derive(Clone, Debug)]
enum Logged {
    Source(Span, Arc<str>),
    Further(Span),
}

/// The writes made to the record while a deployment instance was built,
/// in order: made again, they write what building the instance again
/// would (a further source is looked up when the write is made again).
#[derive(Clone, Debug, Default)]
pub struct ProvenanceLog(Rc<Vec<Write>>);

/// The record a unit's scopes share, and the logs being kept (a stack: an
/// instance built inside another's logs into both).
#[derive(Debug, Default)]
pub(super) struct Record {
    pub map: Provenance,
    logs: Vec<Vec<Write>>,
    /// Labels written, by the span of their source: a parameter or
    /// variable is read by many expressions, each noting the same label.
    labels: HashMap<Span, Arc<str>>,
}

impl Record {
    /// Notes the sources of the expression at `span`, read by `steps`
    /// (which calls back once per step, and stops when told the record of
    /// this expression is full). Allocates only what it keeps, unless a
    /// log is being kept.
    pub fn note(&mut self, span: Span, steps: impl FnOnce(&mut dyn FnMut(Step<'_>) -> bool)) {
        let labels = &mut self.labels;
        if self.logs.is_empty() {
            let mut sources = Sources::new();
            steps(&mut |step| {
                match step {
                    Step::Source(at, what, name, how) => {
                        if wanted(&sources, span, at) {
                            sources.push((at, label(labels, at, [what, name, how])));
                        }
                    }
                    Step::Further(at) => further(&self.map, &mut sources, span, at),
                }
                sources.len() < MAX_SOURCES
            });
            if !sources.is_empty() {
                self.map.insert(span, sources);
            }
            return;
        }
        // Every step kept, the record full or not: made again later, the
        // further sources it looks up may be others.
        let mut logged = smallvec::SmallVec::new();
        steps(&mut |step| {
            logged.push(match step {
                Step::Source(at, what, name, how) => {
                    Logged::Source(at, label(labels, at, [what, name, how]))
                }
                Step::Further(at) => Logged::Further(at),
            });
            true
        });
        self.write(Write::Note(span, logged));
    }

    /// Gives the sources at `from` to `to` as well.
    pub fn copy(&mut self, from: Span, to: Span) {
        self.write(Write::Copy { from, to });
    }

    /// Starts a log of the writes from here on.
    pub fn start_log(&mut self) {
        self.logs.push(Vec::new());
    }

    /// The writes since the last [`Record::start_log`], which also stay in
    /// the log that was being kept before it, if any.
    pub fn end_log(&mut self) -> ProvenanceLog {
        let log = Rc::new(self.logs.pop().unwrap_or_default());
        if let Some(outer) = self.logs.last_mut() {
            outer.push(Write::Log(Rc::clone(&log)));
        }
        ProvenanceLog(log)
    }

    /// Makes the writes of `log` again, in order.
    pub fn replay(&mut self, log: &ProvenanceLog) {
        self.write(Write::Log(Rc::clone(&log.0)));
    }

    fn write(&mut self, write: Write) {
        self.apply(&write);
        if let Some(log) = self.logs.last_mut() {
            log.push(write);
        }
    }

    /// Makes `write` in the map.
    fn apply(&mut self, write: &Write) {
        match write {
            Write::Log(writes) => {
                for write in writes.iter() {
                    self.apply(write);
                }
            }
            Write::Note(span, steps) => {
                let mut sources = Sources::new();
                for step in steps {
                    match step {
                        Logged::Source(at, label) => {
                            if wanted(&sources, *span, *at) {
                                sources.push((*at, Arc::clone(label)));
                            }
                        }
                        Logged::Further(at) => further(&self.map, &mut sources, *span, *at),
                    }
                }
                if !sources.is_empty() {
                    self.map.insert(*span, sources);
                }
            }
            Write::Copy { from, to } => {
                if let Some(sources) = self.map.get(from).cloned() {
                    self.map.insert(*to, sources);
                }
            }
        }
    }
}

/// Whether the source at `at` joins `sources`, the expression at `span`'s:
/// not the expression itself, not twice, at most [`MAX_SOURCES`].
fn wanted(sources: &[(Span, Arc<str>)], span: Span, at: Span) -> bool {
    at != span && sources.len() < MAX_SOURCES && !sources.iter().any(|(s, _)| *s == at)
}

/// The sources recorded for `at`, added to `sources` where wanted.
fn further(map: &Provenance, sources: &mut Sources, span: Span, at: Span) {
    if let Some(further) = map.get(&at) {
        for (s, l) in further {
            if wanted(sources, span, *s) {
                sources.push((*s, Arc::clone(l)));
            }
        }
    }
}

/// `` {what} `{name}` {how} `` for the source at `at`: the label already
/// written for it when its text is the same (a name may be spelled in
/// other cases where it is read), else written once, in a buffer the
/// thread keeps, and kept. Shared: the expressions that read this one's
/// value copy its sources without a copy of the text.
fn label(labels: &mut HashMap<Span, Arc<str>>, at: Span, [what, name, how]: [&str; 3]) -> Arc<str> {
    let pieces = [what, " `", name, "` ", how];
    if let Some(kept) = labels.get(&at)
        && is_written(kept, &pieces)
    {
        return Arc::clone(kept);
    }
    thread_local! {
        static TEXT: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
    }
    let mut text = TEXT.take();
    text.clear();
    for piece in pieces {
        text.push_str(piece);
    }
    let out: Arc<str> = Arc::from(text.as_str());
    TEXT.set(text);
    labels.insert(at, Arc::clone(&out));
    out
}

/// Whether `text` is `pieces` written one after another.
fn is_written(text: &str, pieces: &[&str]) -> bool {
    let mut rest = text;
    for piece in pieces {
        match rest.strip_prefix(piece) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    /// Steps as `Scope::sources_in` gives them: a source, then what was
    /// recorded for it.
    fn note(record: &mut Record, span: usize, sources: &[usize]) {
        record.note(at(span), |step| {
            for s in sources {
                if !step(Step::Source(at(*s), "variable", "v", "is defined here"))
                    || !step(Step::Further(at(*s)))
                {
                    return;
                }
            }
        });
    }

    /// A log made again writes what the writes themselves wrote, its
    /// further sources looked up when it is made again, at most four each.
    #[test]
    fn a_log_made_again_writes_what_its_writes_would() {
        let mut live = Record::default();
        note(&mut live, 1, &[10]);
        live.start_log();
        note(&mut live, 2, &[1]);
        live.copy(at(2), at(3));
        note(&mut live, 4, &[3, 20, 21, 22, 23]);
        let log = live.end_log();
        assert_eq!(live.map[&at(4)].len(), MAX_SOURCES);
        assert_eq!(live.map[&at(3)], live.map[&at(2)]);

        // Made again where the first source records something else.
        let mut again = Record::default();
        note(&mut again, 1, &[11]);
        again.replay(&log);
        let mut direct = Record::default();
        note(&mut direct, 1, &[11]);
        note(&mut direct, 2, &[1]);
        direct.copy(at(2), at(3));
        note(&mut direct, 4, &[3, 20, 21, 22, 23]);
        assert_eq!(again.map, direct.map);
        assert_eq!(again.map[&at(2)][1].0, at(11));
    }

    /// A log kept inside another stays in the outer one too.
    #[test]
    fn an_inner_log_stays_in_the_outer_one() {
        let mut record = Record::default();
        record.start_log();
        note(&mut record, 1, &[10]);
        record.start_log();
        note(&mut record, 2, &[1]);
        let inner = record.end_log();
        let outer = record.end_log();
        assert_eq!((inner.0.len(), outer.0.len()), (1, 2));
        let mut again = Record::default();
        again.replay(&outer);
        assert_eq!(again.map, record.map);
    }

    /// A log made again while another is kept is in that one too: an
    /// instance replayed inside an instance that is itself replayed later.
    #[test]
    fn a_log_made_again_inside_another_stays_in_it() {
        let mut record = Record::default();
        record.start_log();
        note(&mut record, 1, &[10]);
        note(&mut record, 2, &[1]);
        let first = record.end_log();
        record.start_log();
        note(&mut record, 3, &[2]);
        record.replay(&first);
        note(&mut record, 4, &[3, 1]);
        let outer = record.end_log();
        let mut again = Record::default();
        again.replay(&outer);
        let mut direct = Record::default();
        for (span, sources) in [(3, &[2][..]), (1, &[10]), (2, &[1]), (4, &[3, 1])] {
            note(&mut direct, span, sources);
        }
        assert_eq!(again.map, direct.map);
        assert_eq!(again.map[&at(4)].len(), 4);
    }

    /// A source read again gives the label written for it; spelled in
    /// other cases, a label of its own.
    #[test]
    fn a_label_is_written_once_per_source_and_spelling() {
        let mut record = Record::default();
        let mut read = |span: usize, name: &'static str| {
            record.note(at(span), |step| {
                step(Step::Source(
                    at(9),
                    "parameter",
                    name,
                    "is given this value",
                ));
            });
        };
        read(1, "location");
        read(2, "location");
        read(3, "Location");
        let label = |span: usize| Arc::clone(&record.map[&at(span)][0].1);
        assert_eq!(&*label(1), "parameter `location` is given this value");
        assert!(Arc::ptr_eq(&label(1), &label(2)));
        assert_eq!(&*label(3), "parameter `Location` is given this value");
        assert!(is_written("ab c", &["a", "b", " c"]));
        assert!(!is_written("ab c", &["a", "b"]));
        assert!(!is_written("ab", &["a", "b", " c"]));
    }
}
