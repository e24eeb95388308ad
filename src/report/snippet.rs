//! The source text the human format hands to miette for its snippets, cut
//! to what a terminal can show.
//!
//! miette lays out a snippet from whole lines and pads with the label's
//! column as a formatting width, which panics past 65,535 ("Formatting
//! argument out of range"); minified templates put a whole deployment on
//! one line. So a line longer than [`LONG_LINE`] bytes is shown as a window
//! of [`WINDOW`] bytes on each side of the label, with no context lines,
//! and a label on such a line is cut to [`MAX_LABEL`] bytes. The line and
//! column in the snippet's header stay those of the whole file (the column
//! counts characters, as in every other format).
//!
//! Control characters in the snippet's text are replaced by `?`, byte for
//! byte, so offsets still match and the terminal never receives them (the
//! messages around the snippet use the escapes of [`super::escape`]).
//!
//! It does not decide which labels share a snippet: the human format keeps
//! a label on a long line in a report of its own.

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::{SourceFile, Span};

/// Lines longer than this (in bytes) are windowed.
pub const LONG_LINE: usize = 400;
/// Bytes of a long line shown before and after the label.
pub const WINDOW: usize = 60;
/// The longest label drawn on a long line, in bytes.
pub const MAX_LABEL: usize = 120;

/// One file's text for miette, windowed around labels on long lines.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    file: Arc<SourceFile>,
    /// The file's text with control characters replaced, offsets unchanged.
    shown: Arc<str>,
}

impl Snippet {
    pub fn new(name: String, file: Arc<SourceFile>) -> Snippet {
        let shown = printable(&file.text);
        Snippet { name, file, shown }
    }
}

/// The text with each byte of a control character (other than tab, line
/// feed and carriage return) replaced by `?`; the same text when it has none.
fn printable(text: &Arc<str>) -> Arc<str> {
    let hidden = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(hidden) {
        return text.clone();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out.into()
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Where the line holding `at` starts.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Where the line holding `at` ends, before its `\n` or `\r\n`.
fn line_end(text: &str, at: usize) -> usize {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if end > at && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// Whether a line of `start..end` (widened to whole lines) is long.
fn touches_long_line(text: &str, start: usize, end: usize) -> bool {
    let (first, last) = (line_start(text, start), line_end(text, end));
    text[first..last].split('\n').any(|l| l.len() > LONG_LINE)
}

/// The span as the human format draws it: a label touching a long line is
/// cut to its first line and to [`MAX_LABEL`] bytes. Also says whether it
/// lies on a long line (then it needs a snippet of its own).
pub fn fit(file: &SourceFile, span: Span) -> (SourceSpan, bool) {
    let text = &*file.text;
    let start = floor_boundary(text, span.start as usize);
    let end = ceil_boundary(text, (span.end as usize).max(start));
    if !touches_long_line(text, start, end) {
        return ((start, end - start).into(), false);
    }
    let cut = ceil_boundary(text, end.min(line_end(text, start)).min(start + MAX_LABEL));
    ((start, cut.max(start) - start).into(), true)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = &*self.shown;
        let (start, end) = (span.offset(), span.offset() + span.len());
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (start, end) = (floor_boundary(text, start), ceil_boundary(text, end));
        let (from, to) = if context_lines_before == 0 && context_lines_after == 0 {
            // Only the position is read (for the snippet's header).
            (start, end)
        } else if touches_long_line(text, start, end) {
            // A window into one long line; a span across lines there (two
            // labels miette would like to merge) is refused, so each label
            // keeps a snippet of its own.
            if text[start..end].contains('\n') || end - start > 2 * MAX_LABEL {
                return Err(MietteError::OutOfBounds);
            }
            (
                ceil_boundary(
                    text,
                    line_start(text, start).max(start.saturating_sub(WINDOW)),
                ),
                floor_boundary(text, line_end(text, end).min(end + WINDOW)),
            )
        } else {
            // Whole lines, with as many short context lines as asked.
            let mut from = line_start(text, start);
            for _ in 0..context_lines_before {
                if from == 0 || (from - 1) - line_start(text, from - 1) > LONG_LINE {
                    break;
                }
                from = line_start(text, from - 1);
            }
            let mut to = line_end(text, end);
            for _ in 0..context_lines_after {
                let Some(newline) = text[to..].find('\n') else {
                    break;
                };
                let next = to + newline + 1;
                if line_end(text, next) - next > LONG_LINE {
                    break;
                }
                to = line_end(text, next);
            }
            // With its line break, as miette counts an empty last line only then.
            let rest = &text[to..];
            let to = to
                + if rest.starts_with("\r\n") {
                    2
                } else {
                    usize::from(rest.starts_with('\n'))
                };
            (from, to)
        };
        let at = self.file.line_col(from);
        let data = &text.as_bytes()[from..to];
        // Like miette's own sources: the lines up to the snippet's end, so
        // miette merges the snippets of labels close to each other (plinth
        // already keeps far labels and long lines apart).
        let line_count = self.file.line_col(to).line;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (from, to - from).into(),
            at.line - 1,
            at.column - 1,
            line_count,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile::new("t.json".into(), text))
    }

    #[test]
    fn a_label_far_into_a_long_line_is_windowed_with_its_real_column() {
        let text = format!("{{\n\"pad\": \"{}\", \"bad\": 1\n}}\n", "x".repeat(100_000));
        let f = file(&text);
        let at = text.find("\"bad\"").unwrap();
        let (span, alone) = fit(&f, Span::new(crate::source::FileId(0), at, at + 5));
        assert!(alone);
        let snippet = Snippet::new("t.json".into(), f.clone());
        let window = snippet.read_span(&span, 1, 1).unwrap();
        assert!(window.data().len() <= 2 * WINDOW + MAX_LABEL);
        let header = snippet.read_span(&span, 0, 0).unwrap();
        assert_eq!((header.line(), header.column()), (1, at - 2));
    }

    #[test]
    fn short_lines_keep_their_context_and_skip_long_neighbours() {
        let text = format!("a\n{}\nb\nc\n", "y".repeat(1000));
        let snippet = Snippet::new("t".into(), file(&text));
        let b = text.find("b\n").unwrap();
        let contents = snippet.read_span(&(b, 1).into(), 1, 1).unwrap();
        assert_eq!(contents.data(), b"b\nc\n");
    }

    #[test]
    fn control_characters_are_hidden_byte_for_byte() {
        let shown = printable(&Arc::from("a\u{1b}[31m\u{9b}b\tc"));
        assert_eq!(&*shown, "a?[31m??b\tc");
    }
}
