//! Fixes as text edits: a rule's [`FixSpec`] (set the value at a place to a
//! literal) turned into an edit of the text where that value was written —
//! in the JSON of an ARM template or parameter file, in Bicep, in HCL —
//! touching only the value, so formatting and comments stay.
//!
//! A fix is *safe* (ruff's word) when the value it changes is a literal
//! written at the flagged property and read by no other resource; *unsafe*
//! when the literal is somewhere else (a parameter's default or value, a
//! variable, which other places may read too) or is shared by other
//! instances of a loop. A value that is computed, or whose text is not a
//! literal equal to what the model holds, gets no fix: plinth never guesses
//! where a value came from.

pub mod run;

use crate::diagnostic::{Finding, FixSpec, Literal};
use crate::source::{FileId, SourceMap, Span};

/// The syntax a value was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// ARM templates and parameter files.
    Json,
    /// `.bicep` and `.bicepparam`.
    Bicep,
    /// Terraform `.tf` and `.tfvars`.
    Hcl,
}

impl Lang {
    /// The syntax of a file, by its name; none for files plinth does not edit
    /// (Terraform JSON, plan JSON is never a span's file for a fix anyway).
    pub fn of(path: &std::path::Path) -> Option<Lang> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".tf.json") || name.ends_with(".tfvars.json") {
            None
        } else if name.ends_with(".json") || name.ends_with(".jsonc") {
            Some(Lang::Json)
        } else if name.ends_with(".bicep") || name.ends_with(".bicepparam") {
            Some(Lang::Bicep)
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") {
            Some(Lang::Hcl)
        } else {
            None
        }
    }

    /// How a line comment starts in this syntax (JSON: ARM templates allow
    /// `//` comments).
    pub fn line_comment(self) -> &'static str {
        match self {
            Lang::Json | Lang::Bicep => "//",
            Lang::Hcl => "#",
        }
    }
}

/// Replace `start..end` of `file` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A finding's fix, ready to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub rule: String,
    pub title: String,
    pub safe: bool,
    pub edit: Edit,
}

/// The edit that carries out `finding`'s fix, when its value was written as
/// a literal plinth can find and rewrite.
pub fn plan(finding: &Finding, sources: &SourceMap) -> Option<Planned> {
    let fix = finding.fix.as_ref()?;
    let planned = |edit: Edit, safe: bool| Planned {
        rule: finding.rule.clone(),
        title: fix.title.clone(),
        safe,
        edit,
    };
    if let Some((key, hcl, true)) = &fix.insert {
        let edit = insert_at(fix.target, key, hcl.as_deref(), &fix.to, sources)?;
        return Some(planned(edit, !fix.shared && fix.sure));
    }
    if let Some(edit) = edit_at(fix.target, fix, sources) {
        return Some(planned(edit, !fix.shared && fix.sure));
    }
    if let Some((key, Some(hcl), false)) = &fix.insert
        && Lang::of(&sources.get(fix.target.file).path) == Some(Lang::Hcl)
        && let Some(edit) = insert_at(fix.target, key, Some(hcl), &fix.to, sources)
    {
        return Some(planned(edit, !fix.shared && fix.sure));
    }
    // A renamed member is renamed where it is written, never in the
    // variable its value came from.
    if fix.key.is_some() {
        return None;
    }
    // Written elsewhere: exactly one of the places the value came from holds
    // it as a literal (a parameter default, a variable).
    let mut found: Vec<Edit> = fix
        .sources
        .iter()
        .filter_map(|span| edit_at(*span, fix, sources))
        .collect();
    found.dedup();
    match found.as_slice() {
        [only] => Some(planned(only.clone(), false)),
        _ => None,
    }
}

/// The edit of the value written at `span` (an object member or a bare
/// value), when it is a literal holding the finding's current value.
fn edit_at(span: Span, fix: &FixSpec, sources: &SourceMap) -> Option<Edit> {
    let file = sources.get(span.file);
    let lang = Lang::of(&file.path)?;
    let text = file.slice(span);
    if text.is_empty() {
        return None;
    }
    let (start, end) = value_range(text, lang)?;
    let written = parse_literal(&text[start..end], lang)?;
    let current = fix.current.as_ref()?;
    let to = if &written == current {
        fix.to.clone()
    } else {
        // azurerm's boolean spelling of an ARM `Enabled`/`Disabled`
        // property, straight or inverted (`…_enabled = false`,
        // `enforce_…_policies = true`): the written value tells which.
        let (Literal::Bool(b), Literal::String(now), Literal::String(to)) =
            (&written, current, &fix.to)
        else {
            return None;
        };
        let on = |s: &str| match s {
            "Enabled" => Some(true),
            "Disabled" => Some(false),
            _ => None,
        };
        let straight = *b == on(now)?;
        Literal::Bool(if straight { on(to)? } else { !on(to)? })
    };
    let at = span.start as usize;
    if let Some(key) = &fix.key {
        // The member's key and value both change: `enforce_… = true`
        // becomes `private_endpoint_network_policies = "Disabled"`, the
        // value written as the new key takes it (not as a boolean).
        let (key_start, key_end) = key_range(text, lang)?;
        let written_key = text[key_start..key_end].trim_matches(['"', '\'']);
        if written_key == key || key_end > start {
            return None;
        }
        let between = &text[key_end..start];
        return Some(Edit {
            file: span.file,
            start: at + key_start,
            end: at + end,
            text: format!(
                "{}{between}{}",
                render_key(key, lang)?,
                render(&fix.to, lang)
            ),
        });
    }
    Some(Edit {
        file: span.file,
        start: at + start,
        end: at + end,
        text: render(&to, lang),
    })
}

/// The edit that inserts a member into the object (JSON, Bicep) or block
/// (HCL) written at `span`, after its last member, one per line at the
/// members' indentation: `key: value` in ARM JSON and Bicep, the `hcl`
/// attribute in Terraform. None where the object is not written right
/// there as `{…}` over several lines (JSON may be one line), or JSON holds
/// comments (a comma could land in one).
fn insert_at(
    span: Span,
    path: &[String],
    hcl: Option<&str>,
    value: &Literal,
    sources: &SourceMap,
) -> Option<Edit> {
    let file = sources.get(span.file);
    let lang = Lang::of(&file.path)?;
    let text = file.slice(span);
    let (start, end) = match lang {
        Lang::Json | Lang::Bicep => value_range(text, lang)?,
        // A block: its head (`resource "t" "n"`, `subnet`), then `{…}`.
        // (A `name = {…}` attribute is not a block.)
        Lang::Hcl => {
            let brace = text.find('{')?;
            if text[..brace].contains('=') {
                return None;
            }
            (brace, text.trim_end().len())
        }
    };
    let object = &text[start..end];
    if !(object.starts_with('{') && object.ends_with('}')) {
        return None;
    }
    let close = end - 1;
    let inner = &text[start + 1..close];
    let key = |k: &String| match lang {
        Lang::Json => Some(render(&Literal::String(k.clone()), lang)),
        _ => render_key(k, lang),
    };
    let empty = inner.trim().is_empty();
    let at = span.start as usize;
    if lang == Lang::Json && (inner.contains("//") || inner.contains("/*")) {
        return None;
    }
    if !inner.contains('\n') {
        // One line: only JSON, where a comma separates members.
        if lang != Lang::Json {
            return None;
        }
        let (last, outer) = path.split_last()?;
        let mut member = format!("{}: {}", key(last)?, render(value, lang));
        for k in outer.iter().rev() {
            member = format!("{}: {{ {member} }}", key(k)?);
        }
        let last = start + 1 + inner.trim_end().len();
        let text = if empty {
            format!(" {member} ")
        } else {
            format!(", {member}")
        };
        return Some(Edit {
            file: span.file,
            start: at + last,
            end: at + last,
            text,
        });
    }
    let line_indent = |line: &str| line[..line.len() - line.trim_start().len()].to_string();
    let close_line = text[..close].rsplit('\n').next().unwrap_or("");
    let close_indent = line_indent(close_line);
    let last = start + 1 + inner.trim_end().len();
    let indent = if empty {
        format!("{close_indent}  ")
    } else {
        let last_line = text[..last].rsplit('\n').next().unwrap_or("");
        line_indent(last_line)
    };
    // `a: { b: v }` where `a` is not written either, one level a line.
    let member = match lang {
        Lang::Hcl if path.len() == 1 => hcl?.to_string(),
        Lang::Hcl => return None,
        _ => {
            let (last, outer) = path.split_last()?;
            let mut member = format!("{}: {}", key(last)?, render(value, lang));
            for (depth, k) in outer.iter().enumerate().rev() {
                let inner_indent = format!("{indent}{}", "  ".repeat(depth + 1));
                let outer_indent = format!("{indent}{}", "  ".repeat(depth));
                member = format!("{}: {{\n{inner_indent}{member}\n{outer_indent}}}", key(k)?);
            }
            member
        }
    };
    let separator = if lang == Lang::Json && !empty {
        ","
    } else {
        ""
    };
    Some(Edit {
        file: span.file,
        start: at + last,
        end: at + last,
        text: format!("{separator}\n{indent}{member}"),
    })
}

/// Where a member's key starts and ends in its text (quoted or bare).
fn key_range(text: &str, lang: Lang) -> Option<(usize, usize)> {
    let first = text
        .bytes()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let end = match (lang, text.as_bytes().get(first)) {
        (Lang::Json | Lang::Bicep, Some(q @ (b'"' | b'\''))) => string_end(text, first, *q)?,
        (Lang::Hcl, Some(b'"')) => string_end(text, first, b'"')?,
        (_, Some(c)) if c.is_ascii_alphabetic() || *c == b'_' => {
            first
                + text[first..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(text.len() - first)
        }
        _ => return None,
    };
    Some((first, end))
}

/// A member's key written in `lang`: bare where the syntax allows it.
fn render_key(key: &str, lang: Lang) -> Option<String> {
    let bare = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match lang {
        Lang::Hcl | Lang::Bicep if bare => Some(key.to_string()),
        Lang::Hcl => None,
        Lang::Bicep => Some(render(&Literal::String(key.to_string()), lang)),
        Lang::Json => Some(render(&Literal::String(key.to_string()), lang)),
    }
}

/// Where the value starts and ends in a node's text: after `key:` (JSON,
/// Bicep), `key =` (HCL), `param name type =` / `var name =` (Bicep), or the
/// whole text for a bare value; trailing blanks and commas left out.
fn value_range(text: &str, lang: Lang) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let blank = |i: usize| {
        let mut i = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let first = blank(0);
    let mut end = text.trim_end().len();
    while end > first && bytes[end - 1] == b',' {
        end = text[..end - 1].trim_end().len();
    }
    let key_end = key_range(text, lang).map(|(_, end)| end);
    let after_key = key_end.map(blank);
    let separator = match lang {
        Lang::Json | Lang::Bicep => b':',
        Lang::Hcl => b'=',
    };
    let start = match after_key {
        Some(i)
            if bytes.get(i) == Some(&separator)
                || (lang == Lang::Hcl && bytes.get(i) == Some(&b':')) =>
        {
            if lang == Lang::Hcl && bytes.get(i + 1) == Some(&b'=') {
                return None;
            }
            blank(i + 1)
        }
        _ if lang == Lang::Bicep
            && (text[first..].starts_with("param ") || text[first..].starts_with("var ")) =>
        {
            // `param name type = value`: the first `=` (nothing before it is
            // a string in a declaration's head).
            let eq = text[first..].find('=')? + first;
            if text[first..eq].contains(['\'', '{', '(']) {
                return None;
            }
            blank(eq + 1)
        }
        _ => first,
    };
    (start < end).then_some((start, end))
}

/// The index after the string starting at `at` with quote `q`.
fn string_end(text: &str, at: usize, q: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' => return None,
            c if c == q => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The literal `text` is, whole, in `lang`; none for anything computed.
pub fn parse_literal(text: &str, lang: Lang) -> Option<Literal> {
    match text {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        "null" => return Some(Literal::Null),
        _ => {}
    }
    let first = text.chars().next()?;
    if first.is_ascii_digit() || first == '-' {
        let n: f64 = text.parse().ok()?;
        return n
            .is_finite()
            .then(|| Literal::Number(crate_number(n)))
            .filter(|_| {
                text.chars()
                    .all(|c| c.is_ascii_digit() || "-.eE+".contains(c))
            });
    }
    match lang {
        Lang::Json => {
            if first != '"' {
                return None;
            }
            let s: String = serde_json::from_str(text).ok()?;
            // `[…]` is an ARM expression; `[[` its escape for a literal `[`.
            if let Some(rest) = s.strip_prefix("[[") {
                Some(Literal::String(format!("[{rest}")))
            } else if s.starts_with('[') {
                None
            } else {
                Some(Literal::String(s))
            }
        }
        Lang::Bicep => {
            let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
            if text.starts_with("'''") {
                return None;
            }
            unescape(inner, '\'', &[('\'', '\''), ('$', '$')], false)
        }
        Lang::Hcl => {
            let inner = text.strip_prefix('"')?.strip_suffix('"')?;
            unescape(inner, '"', &[('"', '"')], true)
        }
    }
}

/// Numbers as the model's `Value::display` writes them.
fn crate_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A quoted string's contents without escapes; none when it holds an
/// interpolation (`${`, and in HCL `%{`; HCL's `$${` and `%%{` are their
/// escapes), an unescaped quote, or an escape not listed.
fn unescape(inner: &str, quote: char, extra: &[(char, char)], hcl: bool) -> Option<Literal> {
    let mut out = String::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &inner[i..];
        if hcl && (rest.starts_with("$${") || rest.starts_with("%%{")) {
            out.push(c);
            out.push('{');
            chars.next();
            chars.next();
            continue;
        }
        if rest.starts_with("${") || (hcl && rest.starts_with("%{")) {
            return None;
        }
        match c {
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '\\' => '\\',
                    _ => extra.iter().find(|(k, _)| *k == e)?.1,
                });
            }
            c if c == quote => return None,
            c => out.push(c),
        }
    }
    Some(Literal::String(out))
}

/// A literal written in `lang`.
pub fn render(literal: &Literal, lang: Lang) -> String {
    match literal {
        Literal::Null => "null".into(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => n.clone(),
        Literal::String(s) => match lang {
            Lang::Json => {
                let s = if s.starts_with('[') {
                    format!("[{s}")
                } else {
                    s.clone()
                };
                serde_json::Value::String(s).to_string()
            }
            Lang::Bicep => {
                let mut out = String::from("'");
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '$' => out.push_str("\\$"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
                out
            }
            Lang::Hcl => {
                let mut out = String::from("\"");
                let mut chars = s.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '"' => out.push_str("\\\""),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '$' | '%' if chars.peek() == Some(&'{') => {
                            out.push(c);
                            out.push(c);
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
                out
            }
        },
    }
}

/// `text` with `edits` applied (each within it, none overlapping another:
/// an edit that overlaps one before it is left out). Returns the text and
/// the edits applied.
pub fn apply(text: &str, edits: &[Edit]) -> (String, Vec<Edit>) {
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| e.start <= e.end && e.end <= text.len())
        .filter(|e| text.is_char_boundary(e.start) && text.is_char_boundary(e.end))
        .collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut applied = Vec::new();
    for edit in sorted {
        if edit.start < at || applied.contains(edit) {
            continue;
        }
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
        applied.push(edit.clone());
    }
    out.push_str(&text[at..]);
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn values_are_found_after_their_keys() {
        fn range(t: &str, l: Lang) -> Option<&str> {
            value_range(t, l).map(|(s, e)| &t[s..e])
        }
        assert_eq!(range(r#""a": "b""#, Lang::Json), Some(r#""b""#));
        assert_eq!(range("policy: 'Disabled'", Lang::Bicep), Some("'Disabled'"));
        assert_eq!(range("'my-key': true", Lang::Bicep), Some("true"));
        assert_eq!(range("x = \"y\"", Lang::Hcl), Some("\"y\""));
        assert_eq!(range("\"y\"", Lang::Hcl), Some("\"y\""));
        assert_eq!(range("param p string = 'v'", Lang::Bicep), Some("'v'"));
        assert_eq!(range("a == b", Lang::Hcl), None);
    }

    #[test]
    fn only_literals_are_literals() {
        let s = |t: &str| Some(Literal::String(t.into()));
        assert_eq!(parse_literal("'it\\'s'", Lang::Bicep), s("it's"));
        assert_eq!(parse_literal("'${x}'", Lang::Bicep), None);
        assert_eq!(parse_literal("'\\${x}'", Lang::Bicep), s("${x}"));
        assert_eq!(parse_literal("\"${var.x}\"", Lang::Hcl), None);
        assert_eq!(parse_literal("\"[parameters('p')]\"", Lang::Json), None);
        assert_eq!(parse_literal("\"[[x]\"", Lang::Json), s("[x]"));
        assert_eq!(parse_literal("var.x", Lang::Hcl), None);
        assert_eq!(
            parse_literal("false", Lang::Hcl),
            Some(Literal::Bool(false))
        );
        assert_eq!(
            parse_literal("12", Lang::Json),
            Some(Literal::Number("12".into()))
        );
    }

    #[test]
    fn rendered_literals_read_back_as_themselves() {
        for text in ["plain", "it's \"q\" \\ ${x} %{y} [z", "[x"] {
            let literal = Literal::String(text.into());
            for lang in [Lang::Json, Lang::Bicep, Lang::Hcl] {
                let written = render(&literal, lang);
                assert_eq!(
                    parse_literal(&written, lang),
                    Some(literal.clone()),
                    "{written}"
                );
            }
        }
    }

    #[test]
    fn members_are_inserted_after_the_last_one() {
        fn insert(name: &str, text: &str, path: &[&str], hcl: Option<&str>) -> Option<String> {
            let sources = SourceMap::new();
            let file = sources.add(PathBuf::from(name), text);
            let span = Span::new(file, 0, text.len());
            let path: Vec<String> = path.iter().map(|k| k.to_string()).collect();
            let value = Literal::String("Disabled".into());
            let edit = insert_at(span, &path, hcl, &value, &sources)?;
            Some(apply(text, &[edit]).0)
        }
        let json = "\"properties\": {\n    \"a\": 1\n  }";
        assert_eq!(
            insert("t.json", json, &["b"], None).as_deref(),
            Some("\"properties\": {\n    \"a\": 1,\n    \"b\": \"Disabled\"\n  }")
        );
        assert_eq!(
            insert("t.json", "\"p\": {\"a\": 1}", &["n", "b"], None).as_deref(),
            Some("\"p\": {\"a\": 1, \"n\": { \"b\": \"Disabled\" }}")
        );
        assert_eq!(
            insert("t.json", "\"p\": {}", &["b"], None).as_deref(),
            Some("\"p\": { \"b\": \"Disabled\" }")
        );
        // A comma could land in a comment.
        assert_eq!(
            insert("t.json", "\"p\": {\n  \"a\": 1 // x\n}", &["b"], None),
            None
        );
        let bicep = "properties: {\n    a: 1\n  }";
        assert_eq!(
            insert("t.bicep", bicep, &["n", "b"], None).as_deref(),
            Some("properties: {\n    a: 1\n    n: {\n      b: 'Disabled'\n    }\n  }")
        );
        assert_eq!(
            insert("t.bicep", "properties: { a: 1 }", &["b"], None),
            None
        );
        let block = "resource \"t\" \"n\" {\n  a = 1\n}";
        assert_eq!(
            insert("t.tf", block, &["b"], Some("b = false")).as_deref(),
            Some("resource \"t\" \"n\" {\n  a = 1\n  b = false\n}")
        );
        // An attribute holding an object is not a block; Terraform takes
        // only the attribute the rule spells.
        assert_eq!(
            insert("t.tf", "tags = {\n  a = 1\n}", &["b"], Some("b = 1")),
            None
        );
        assert_eq!(insert("t.tf", block, &["n", "b"], Some("b = 1")), None);
        assert_eq!(insert("t.tf", block, &["b"], None), None);
    }

    #[test]
    fn overlapping_edits_are_left_out() {
        let edit = |start, end, text: &str| Edit {
            file: FileId(0),
            start,
            end,
            text: text.into(),
        };
        let (out, applied) = apply(
            "abcdef",
            &[edit(4, 5, "E"), edit(0, 2, "AB"), edit(1, 3, "x")],
        );
        assert_eq!(out, "ABcdEf");
        assert_eq!(applied.len(), 2);
    }
}
