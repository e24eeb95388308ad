//! Terraform text that Terraform accepts and hcl-edit 0.10 refuses,
//! rewritten into text hcl-edit parses (hcl-rs issue #367). The rewrite
//! keeps every byte where it was, and the length: offsets into it are
//! offsets into the file, so spans, lines and columns stay the file's.
//!
//! - Newlines inside a `{ for … }` object expression become spaces. HCL
//!   ignores newlines anywhere in a `for` expression; hcl-edit refuses them
//!   after a binary operator and around a conditional's `?` and `:`
//!   (`{ for k in xs : k =>` newline `a &&` newline `b }`). The line
//!   comments such a newline ends become spaces too, else they would run
//!   on over the next line.
//! - In an object constructor with duplicate keys (`{ a = 1, a = 2 }`),
//!   every item but the last of a key becomes spaces, with its comma:
//!   Terraform keeps the last, hcl-edit refuses the object.
//!
//! It is not a parser: it follows brackets, strings with their `${…}` and
//! `%{…}` templates, heredocs and comments just far enough never to change
//! one of them. It leaves alone the newlines HCL does read (between the
//! attributes of a block, between the items of an object constructor) and
//! duplicate attributes of a block (Terraform refuses them too). Text it
//! cannot follow (an unterminated string, comment or heredoc, a bracket
//! closed by another kind) is not rewritten: hcl-edit reports it as written.

use std::collections::HashMap;
use std::ops::Range;

/// `text` rewritten for hcl-edit, or `None` when there is nothing to
/// rewrite or the text cannot be followed.
pub(super) fn for_hcl_edit(text: &str) -> Option<String> {
    let mut scan = Scan {
        text: text.as_bytes(),
        at: 0,
        frames: vec![Frame::Body { expression: false }],
        blank: Vec::new(),
        heredoc_end: None,
    };
    scan.run()?;
    if scan.blank.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in scan.blank {
        for byte in bytes.get_mut(range)? {
            *byte = b' ';
        }
    }
    // Only whole ASCII tokens and whole items are blanked; should a range
    // ever split a character, the text is not used rather than mangled.
    String::from_utf8(bytes).ok()
}

/// What the scan is inside of.
enum Frame {
    /// The file, or a block's body. `expression`: an attribute's `=` was
    /// seen on this line, so a `{` opens an object, not a block.
    Body {
        expression: bool,
    },
    Parens,
    Brackets,
    /// An object constructor `{ k = v … }`: newlines separate its items.
    Object(Items),
    /// A `{ for … }` object expression: newlines mean nothing in it.
    ForObject,
    /// `${…}` or `%{…}` in a string or heredoc.
    Interpolation,
    /// A quoted string.
    Quoted,
    /// A heredoc's lines, up to the line holding only `marker`.
    Heredoc {
        marker: Range<usize>,
    },
}

/// The items of one object constructor seen so far.
#[derive(Default)]
struct Items {
    done: Vec<Item>,
    open: Option<OpenItem>,
}

struct Item {
    /// `None` when the item had no `=` or `:` (hcl-edit reports it).
    key: Option<Range<usize>>,
    /// From the key's first byte to the end of the value, or past its comma.
    whole: Range<usize>,
}

struct OpenItem {
    start: usize,
    key: Option<Range<usize>>,
}

/// A key as Terraform compares them: a name and the same name quoted are
/// one key; any other expression is compared by its text.
#[derive(Hash, PartialEq, Eq)]
enum Key<'t> {
    Name(&'t [u8]),
    Expression(&'t [u8]),
}

struct Scan<'t> {
    text: &'t [u8],
    at: usize,
    frames: Vec<Frame>,
    /// What becomes spaces.
    blank: Vec<Range<usize>>,
    /// Just past the last heredoc's closing marker: the newline after it
    /// ends the heredoc and must stay one.
    heredoc_end: Option<usize>,
}

impl<'t> Scan<'t> {
    fn byte(&self, at: usize) -> u8 {
        self.text.get(at).copied().unwrap_or(0)
    }

    /// `None` when the text cannot be followed.
    fn run(&mut self) -> Option<()> {
        while self.at < self.text.len() {
            match self.frames.last()? {
                Frame::Quoted => self.quoted()?,
                Frame::Heredoc { marker } => {
                    let marker = marker.clone();
                    self.heredoc(marker);
                }
                _ => self.code()?,
            }
        }
        // Only the file's own body may still be open.
        (self.frames.len() == 1).then_some(())
    }

    fn quoted(&mut self) -> Option<()> {
        match self.byte(self.at) {
            b'\\' => self.at += 2,
            b'"' => {
                self.frames.pop();
                self.at += 1;
            }
            b'\n' => return None,
            _ => self.template_byte(),
        }
        Some(())
    }

    fn heredoc(&mut self, marker: Range<usize>) {
        if self.at == 0 || self.byte(self.at - 1) == b'\n' {
            let mut at = self.at;
            while matches!(self.byte(at), b' ' | b'\t') {
                at += 1;
            }
            let end = at + marker.len();
            if self.text.get(at..end) == self.text.get(marker)
                && (end >= self.text.len() || matches!(self.byte(end), b'\n' | b'\r'))
            {
                self.frames.pop();
                self.at = end;
                self.heredoc_end = Some(end);
                return;
            }
        }
        self.template_byte();
    }

    /// One step in a string's or heredoc's text: `${` and `%{` open an
    /// interpolation, `$${` and `%%{` are literal.
    fn template_byte(&mut self) {
        let b = self.byte(self.at);
        if matches!(b, b'$' | b'%') {
            if self.byte(self.at + 1) == b && self.byte(self.at + 2) == b'{' {
                self.at += 3;
                return;
            }
            if self.byte(self.at + 1) == b'{' {
                self.frames.push(Frame::Interpolation);
                self.at += 2;
                return;
            }
        }
        self.at += 1;
    }

    /// One step in expressions and block bodies.
    fn code(&mut self) -> Option<()> {
        let at = self.at;
        let b = self.byte(at);
        match b {
            b' ' | b'\t' | b'\r' => self.at += 1,
            b'\n' => self.newline(),
            b'#' => self.line_comment(),
            b'/' if self.byte(at + 1) == b'/' => self.line_comment(),
            b'/' if self.byte(at + 1) == b'*' => self.block_comment()?,
            _ => {
                if !matches!(b, b'}' | b',')
                    && let Some(Frame::Object(items)) = self.frames.last_mut()
                    && items.open.is_none()
                {
                    items.open = Some(OpenItem {
                        start: at,
                        key: None,
                    });
                }
                self.at += 1;
                match b {
                    b'"' => self.frames.push(Frame::Quoted),
                    b'<' if self.byte(at + 1) == b'<' => self.heredoc_opener(),
                    b'(' => self.frames.push(Frame::Parens),
                    b'[' => self.frames.push(Frame::Brackets),
                    b'{' => self.open_brace(),
                    b')' => self.close(|f| matches!(f, Frame::Parens))?,
                    b']' => self.close(|f| matches!(f, Frame::Brackets))?,
                    b'}' => self.close_brace()?,
                    b',' => {
                        if let Some(Frame::Object(items)) = self.frames.last_mut() {
                            items.finish(at + 1);
                        }
                    }
                    b'=' | b':' => match self.frames.last_mut() {
                        Some(Frame::Body { expression }) => *expression = true,
                        Some(Frame::Object(Items {
                            open: Some(item), ..
                        })) if item.key.is_none() => item.key = Some(item.start..at),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        Some(())
    }

    fn newline(&mut self) {
        let at = self.at;
        self.at += 1;
        match self.frames.last_mut() {
            Some(Frame::Body { expression }) => *expression = false,
            Some(Frame::Object(items)) => items.finish(at),
            Some(Frame::ForObject) => {
                let after_heredoc = self.heredoc_end.is_some_and(|end| {
                    self.text
                        .get(end..at)
                        .is_some_and(|gap| gap.iter().all(|b| *b == b'\r'))
                });
                if !after_heredoc {
                    let start = if at > 0 && self.byte(at - 1) == b'\r' {
                        at - 1
                    } else {
                        at
                    };
                    self.blank.push(start..at + 1);
                }
            }
            _ => {}
        }
    }

    /// `#` or `//` up to the newline, which is left to [`Self::newline`].
    fn line_comment(&mut self) {
        let start = self.at;
        while self.at < self.text.len() && self.byte(self.at) != b'\n' {
            self.at += 1;
        }
        if matches!(self.frames.last(), Some(Frame::ForObject)) {
            self.blank.push(start..self.at);
        }
    }

    fn block_comment(&mut self) -> Option<()> {
        let start = self.at;
        let close = self
            .text
            .get(start + 2..)?
            .windows(2)
            .position(|w| w == b"*/")?;
        self.at = start + 2 + close + 2;
        if matches!(self.frames.last(), Some(Frame::ForObject)) {
            self.blank.push(start..self.at);
        }
        Some(())
    }

    /// After `<<`: `-`, a marker and the end of the line open a heredoc;
    /// anything else is left as it is.
    fn heredoc_opener(&mut self) {
        let mut at = self.at + 1;
        if self.byte(at) == b'-' {
            at += 1;
        }
        let start = at;
        while self.byte(at).is_ascii_alphanumeric() || matches!(self.byte(at), b'_' | b'-') {
            at += 1;
        }
        if at == start || self.byte(start).is_ascii_digit() {
            return;
        }
        let marker = start..at;
        if self.byte(at) == b'\r' {
            at += 1;
        }
        if self.byte(at) != b'\n' {
            return;
        }
        self.frames.push(Frame::Heredoc { marker });
        self.at = at + 1;
    }

    fn open_brace(&mut self) {
        let frame = match self.frames.last() {
            Some(Frame::Body { expression: false }) => Frame::Body { expression: false },
            _ if self.starts_for() => Frame::ForObject,
            _ => Frame::Object(Items::default()),
        };
        self.frames.push(frame);
    }

    /// Whether the next word, past spaces, newlines and comments, is `for`.
    fn starts_for(&self) -> bool {
        let mut at = self.at;
        loop {
            match (self.byte(at), self.byte(at + 1)) {
                (b' ' | b'\t' | b'\r' | b'\n', _) => at += 1,
                (b'#', _) | (b'/', b'/') => {
                    while at < self.text.len() && self.byte(at) != b'\n' {
                        at += 1;
                    }
                }
                (b'/', b'*') => {
                    match self
                        .text
                        .get(at + 2..)
                        .and_then(|rest| rest.windows(2).position(|w| w == b"*/"))
                    {
                        Some(close) => at += 2 + close + 2,
                        None => return false,
                    }
                }
                _ => break,
            }
        }
        self.text.get(at..at + 3) == Some(b"for")
            && !(self.byte(at + 3).is_ascii_alphanumeric()
                || matches!(self.byte(at + 3), b'_' | b'-'))
    }

    fn close(&mut self, opened: impl Fn(&Frame) -> bool) -> Option<()> {
        if !opened(self.frames.last()?) {
            return None;
        }
        self.frames.pop();
        Some(())
    }

    fn close_brace(&mut self) -> Option<()> {
        if self.frames.len() < 2 {
            return None;
        }
        match self.frames.pop()? {
            Frame::Body { .. } | Frame::ForObject | Frame::Interpolation => {}
            Frame::Object(mut items) => {
                items.finish(self.at - 1);
                self.blank_duplicates(&items.done);
            }
            _ => return None,
        }
        Some(())
    }

    /// Blanks every item but the last of each key.
    fn blank_duplicates(&mut self, items: &[Item]) {
        let keys: Vec<Option<Key>> = items
            .iter()
            .map(|item| item.key.clone().map(|range| self.key(range)))
            .collect();
        let mut last: HashMap<&Key, usize> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            if let Some(key) = key {
                last.insert(key, i);
            }
        }
        for (i, (item, key)) in items.iter().zip(&keys).enumerate() {
            if key.as_ref().is_some_and(|key| last.get(key) != Some(&i)) {
                self.blank.push(item.whole.clone());
            }
        }
    }

    fn key(&self, range: Range<usize>) -> Key<'t> {
        let text = self.text.get(range).unwrap_or_default().trim_ascii();
        let name = |s: &[u8]| {
            !s.is_empty()
                && s.iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || *b >= 0x80)
        };
        if name(text) {
            return Key::Name(text);
        }
        if let [b'"', inner @ .., b'"'] = text
            && !inner
                .iter()
                .any(|b| matches!(b, b'\\' | b'"' | b'$' | b'%'))
        {
            return Key::Name(inner);
        }
        Key::Expression(text)
    }
}

impl Items {
    /// Ends the open item, if any, at `end`.
    fn finish(&mut self, end: usize) {
        if let Some(item) = self.open.take() {
            self.done.push(Item {
                key: item.key,
                whole: item.start..end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use hcl_edit::expr::{Expression, ObjectKey};

    use super::for_hcl_edit;

    fn parses(text: &str) -> bool {
        hcl_edit::parser::parse_body(text).is_ok()
    }

    /// The rewrite of `text`, which hcl-edit refuses: as long, every byte
    /// the same or a space, and parsed by hcl-edit.
    fn fixed(text: &str) -> String {
        assert!(!parses(text), "hcl-edit already parses:\n{text}");
        let out = for_hcl_edit(text).expect("a rewrite");
        assert_eq!(out.len(), text.len());
        for (was, is) in text.bytes().zip(out.bytes()) {
            assert!(was == is || is == b' ', "{was} became {is}");
        }
        if let Err(err) = hcl_edit::parser::parse_body(&out) {
            panic!("still refused: {err}\n{out}");
        }
        out
    }

    /// The value of `local.name` in a rewritten `locals` block.
    fn local(text: &str, name: &str) -> Expression {
        let body = hcl_edit::parser::parse_body(&fixed(text)).expect("parses");
        let block = body.get_blocks("locals").next().expect("locals");
        block
            .body
            .get_attribute(name)
            .expect("attribute")
            .value
            .clone()
    }

    #[test]
    fn newlines_after_operators_in_a_for_object() {
        // cloudposse/terraform-null-label's shape: a conditional chain.
        fixed(
            "locals {\n  l = { for k in local.names : k => local.case == \"none\" ? local.v[k] :\n    local.case == \"title\" ? title(local.v[k]) :\n    lower(local.v[k])\n  }\n}\n",
        );
        // CAF enterprise-scale's shape: `=>` and `&&` ending lines.
        fixed(
            "locals {\n  rg = {\n    for location in local.locations :\n    location =>\n    local.enabled &&\n    anytrue([true, false])\n  }\n}\n",
        );
        // Before the operator, and with CRLF line ends.
        fixed("locals {\r\n  a = { for k in [1] : k => k == 1 ? 1\r\n    : 2 }\r\n}\r\n");
        fixed("locals {\n  a = { for k in [1] : k => k +\n    1\n    if k > 0 }\n}\n");
    }

    #[test]
    fn comments_in_a_for_object_do_not_swallow_the_next_line() {
        let text = "locals {\n  a = { for k in [1] : k => # the key\n    true && // why\n    /* and */ false\n  }\n}\n";
        let out = fixed(text);
        assert!(!out.contains('#') && !out.contains("//") && !out.contains("/*"));
    }

    #[test]
    fn strings_heredocs_and_comments_are_never_changed() {
        let text = "locals {\n  a = { for k in [1] : k => \"# {for x in y : x} // ${k} \\\" %{ if true }x%{ endif } $${\" &&\n    <<-EOT\n    { for k in z : k =>\n      k &&\n    EOT\n  }\n  # { for k in y : k =>\n  b = \"}\"\n}\n";
        let out = fixed(text);
        let kept = [
            "\"# {for x in y : x} // ${k} \\\" %{ if true }x%{ endif } $${\"",
            "    <<-EOT\n    { for k in z : k =>\n      k &&\n    EOT\n",
            "  # { for k in y : k =>\n  b = \"}\"\n}\n",
        ];
        for part in kept {
            assert!(out.contains(part), "{part:?} changed:\n{out}");
        }
    }

    #[test]
    fn duplicate_object_keys_keep_the_last() {
        let value = |e: Expression| match e {
            Expression::Object(object) => object
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => i.to_string(),
                        ObjectKey::Expression(e) => e.to_string(),
                    };
                    format!("{}={}", key.trim(), v.expr().to_string().trim())
                })
                .collect::<Vec<_>>()
                .join(","),
            other => panic!("not an object: {other}"),
        };
        let text = "locals {\n  a = { a = 1, b = 2, a = 3 }\n}\n";
        assert_eq!(value(local(text, "a")), "b=2,a=3");
        let text = "locals {\n  a = {\n    a = 1 # first\n    \"a\" = {\n      x = 1\n    }\n    b = <<EOT\n  a = 2\nEOT\n    a = [\n      4,\n    ]\n  }\n}\n";
        assert_eq!(
            value(local(text, "a")),
            "b=<<EOT\n  a = 2\nEOT,a=[\n      4,\n    ]"
        );
        let text = "locals {\n  a = { (k) = 1, (k) = 2, b = { c = 1, c = 2 } }\n}\n";
        assert_eq!(value(local(text, "a")), "(k)=2,b={        c = 2 }");
    }

    #[test]
    fn what_hcl_reads_or_refuses_is_left_alone() {
        // Newlines separate block attributes and object items; a block's
        // duplicate attributes are refused by Terraform too.
        for text in [
            "a = 1\nb = { c = 1\n  d = [1,\n  2] }\n",
            "locals {\n  a = { b = true &&\n  false }\n}\n",
            "locals {\n  a = 1\n  a = 2\n}\n",
            "a = [for k in [1] : k &&\n  true]\n",
        ] {
            assert_eq!(for_hcl_edit(text), None, "{text}");
        }
    }

    #[test]
    fn text_it_cannot_follow_is_not_rewritten() {
        for text in [
            "a = { for k in [1] : k =>\n  k && \"open\n}\n",
            "a = { for k in [1] : k =>\n  k && <<EOT\nno end\n}\n",
            "a = { for k in [1] : k =>\n  k && /* open\n}\n",
            "a = { for k in [1] : k =>\n  k && (1]\n}\n",
            "a = { for k in [1] : k =>\n  k && 1\n",
            "a = { for k in [1] : k =>\n  k && 1 }}\n",
        ] {
            assert_eq!(for_hcl_edit(text), None, "{text}");
        }
    }
}
