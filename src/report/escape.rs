//! Makes text from the checked tree safe to print in the line-oriented text
//! formats (human, compact): paths, resource names and values inside
//! messages may hold newlines and terminal control characters, and printed
//! raw they could forge a line (a GitHub `::error` workflow command, a fake
//! summary) or drive the terminal (ESC sequences, BEL).
//!
//! The convention is Rust's escapes for characters: `\n`, `\r`, `\t`, and
//! `\u{1b}` (lowercase hex) for every other control character (C0, DEL, C1),
//! for the Unicode line and paragraph separators, and for the bidirectional
//! overrides and isolates that reorder what a reader sees. Everything else,
//! backslashes included, is printed as it is: the escapes are for reading,
//! not for parsing back. The structured formats (JSON, SARIF, JUnit, GitHub
//! commands) escape with their own rules and do not use this.
//!
//! It does not touch plinth's own styling (the ANSI colours of the human
//! format are added by the renderer after escaping).

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or log line as it is.
fn unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character written as a visible escape.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_to_print) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_to_print(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`visible`], but keeps the line breaks of multi-line text that
/// plinth or a rule author wrote (a rule's help), escaping every other
/// control character.
pub fn visible_keeping_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| visible(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_leaves_the_rest() {
        assert_eq!(
            visible("x\n::error file=evil.tf::FORGED"),
            "x\\n::error file=evil.tf::FORGED"
        );
        assert_eq!(
            visible("x\u{1b}[31mRED\u{7}\0"),
            "x\\u{1b}[31mRED\\u{7}\\u{0}"
        );
        assert_eq!(visible("a\r\tb\u{9b}\u{202e}"), "a\\r\\tb\\u{9b}\\u{202e}");
        assert_eq!(visible("plain ü \\n"), "plain ü \\n");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(visible_keeping_lines("a\nb\u{7}"), "a\nb\\u{7}");
    }
}
