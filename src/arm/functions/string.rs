//! String functions: `format`, `concat` of strings (through `join`, which
//! keeps an id followed by `/type/name` pairs an id), case, trimming,
//! searching, `padLeft`, `string`, base64 and data URIs, `uri` and its
//! percent-encoding, `join`, and `uniqueString`/`guid` (computed in
//! `hash.rs`). Not here: the functions ARM shares with arrays (`contains`,
//! `length`, `first`, … in `array.rs`); format specifiers such as `{0:N2}`
//! are not evaluated.

use crate::arm::expr::{self, FormatPiece};
use crate::model::{ArmId, Key, Part, TextRules, Value};

use super::{Answer, MAX_ELEMENTS, node};

/// The string functions.
#[allow(clippy::too_many_lines)] // one arm per string function: the family's table reads best whole
pub(super) fn evaluated(name: &str, args: &mut Vec<Value>) -> Answer {
    use Value as V;
    Some(match (name, args.as_slice()) {
        ("format", _) => format(args),
        ("tolower", [V::String(s)]) => V::String(s.to_lowercase()),
        ("toupper", [V::String(s)]) => V::String(s.to_uppercase()),
        // Ids compare case-insensitively anyway.
        ("tolower" | "toupper", [V::Id(id)]) => V::Id(id.clone()),
        ("trim", [V::String(s)]) => V::String(s.trim().into()),
        ("replace", [V::String(s), V::String(old), V::String(new)]) if !old.is_empty() => {
            V::String(s.replace(old.as_str(), new).into())
        }
        // An id's segments: `last(split(vault.id, '/'))` is its name even
        // when the subscription and resource group are not known.
        ("split", [V::Id(id), V::String(d)]) if d == "/" => V::Array(id_segments(id)),
        ("split", [V::String(s), V::String(d)]) if !d.is_empty() => V::Array(
            s.split(d.as_str())
                .map(|p| node(V::String(p.into())))
                .collect(),
        ),
        ("substring", [V::String(s), V::Number(start), rest @ ..]) => {
            let chars: Vec<char> = s.chars().collect();
            let start = *start as usize;
            let len = match rest {
                [] => chars.len().saturating_sub(start),
                [V::Number(l)] => *l as usize,
                _ => return Some(V::Unknown),
            };
            match chars.get(start..start.saturating_add(len)) {
                Some(slice) => V::String(slice.iter().collect()),
                None => V::Unknown,
            }
        }
        ("startswith", [V::String(s), V::String(p)]) => {
            V::Bool(s.to_lowercase().starts_with(p.to_lowercase().as_str()))
        }
        ("endswith", [V::String(s), V::String(p)]) => {
            V::Bool(s.to_lowercase().ends_with(p.to_lowercase().as_str()))
        }
        ("indexof", [V::String(s), V::String(p)]) => {
            let (s, p) = (s.to_lowercase(), p.to_lowercase());
            V::Number(
                s.find(p.as_str())
                    .map_or(-1.0, |i| s[..i].chars().count() as f64),
            )
        }
        ("lastindexof", [V::String(s), V::String(p)]) => {
            let (s, p) = (s.to_lowercase(), p.to_lowercase());
            V::Number(
                s.rfind(p.as_str())
                    .map_or(-1.0, |i| s[..i].chars().count() as f64),
            )
        }
        ("padleft", [v, V::Number(width), rest @ ..]) => {
            let Some(s) = text(v) else {
                return Some(V::Unknown);
            };
            let pad = match rest {
                [] => ' ',
                [V::String(c)] if c.chars().count() == 1 => c.chars().next().unwrap_or(' '),
                _ => return Some(V::Unknown),
            };
            let missing = (*width as usize)
                .saturating_sub(s.chars().count())
                .min(MAX_ELEMENTS);
            V::string(std::iter::repeat_n(pad, missing).collect::<String>() + s.as_str())
        }
        ("string", [v]) => text(v).map_or(V::Unknown, V::string),
        ("base64", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(base64::engine::general_purpose::STANDARD.encode(s).into())
        }
        ("base64tostring", [V::String(s)]) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::string)
        }
        ("datauri", [V::String(s)]) => {
            use base64::Engine as _;
            V::String(
                format!(
                    "data:text/plain;charset=utf8;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(s)
                )
                .into(),
            )
        }
        ("datauritostring", [V::String(s)]) => {
            use base64::Engine as _;
            // Only base64 data URIs; any other encoding is not guessed.
            s.strip_prefix("data:")
                .and_then(|rest| rest.split_once(','))
                .filter(|(meta, _)| meta.ends_with(";base64"))
                .and_then(|(_, data)| base64::engine::general_purpose::STANDARD.decode(data).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map_or(V::Unknown, V::string)
        }
        ("uricomponent", [V::String(s)]) => V::String(escape_data(s).into()),
        ("uricomponenttostring", [V::String(s)]) => unescape_data(s).map_or(V::Unknown, V::string),
        ("uri", [V::String(base), V::String(relative)]) => {
            V::String(combine_uri(base, relative).into())
        }
        ("join", [V::Array(items), V::String(d)]) => {
            let parts: Option<Vec<String>> = items.iter().map(|i| text(&i.value)).collect();
            parts.map_or(V::Unknown, |p| V::String(p.join(d).into()))
        }
        ("uniquestring" | "guid", [_, ..]) => {
            // Every argument must be a known string; ARM refuses anything else.
            let parts: Option<Vec<String>> = args
                .iter()
                .map(|a| match a {
                    V::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect();
            match parts {
                Some(parts) if name == "guid" => V::String(super::hash::guid(&parts).into()),
                Some(parts) => V::String(super::hash::unique_string(&parts).into()),
                None => V::Unknown,
            }
        }
        _ => return None,
    })
}

/// `uriComponent`: percent-encodes all but RFC 3986's unreserved characters.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `uriComponentToString`: undoes percent-encoding (None if malformed).
fn unescape_data(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `uri(base, relative)` as .NET combines them: an absolute `relative` wins,
/// `/x` replaces the path, anything else replaces the last path segment.
fn combine_uri(base: &str, relative: &str) -> String {
    if relative.contains("://") {
        return relative.to_string();
    }
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j));
    match authority_end {
        None => format!("{base}/{}", relative.trim_start_matches('/')),
        Some(path_start) if relative.starts_with('/') => {
            format!("{}{relative}", &base[..path_start])
        }
        Some(_) => {
            let cut = base.rfind('/').map_or(base.len(), |i| i + 1);
            format!("{}{relative}", &base[..cut])
        }
    }
}

/// How ARM writes values as text (`string(true)` is `True`) and joins them:
/// an id with every part known is text, one with an unknown part followed
/// by `/type/name` pieces stays an id (of the child), so
/// `concat(resourceId(...vnet), '/subnets/pe')` still links.
const ARM_TEXT: TextRules = TextRules {
    bools: ("True", "False"),
    known_ids_as_text: true,
    skip_empty: false,
};

fn text(v: &Value) -> Option<String> {
    ARM_TEXT.text(v)
}

/// Joins string pieces (see [`ARM_TEXT`]).
pub(super) fn join(parts: Vec<Value>) -> Value {
    ARM_TEXT.join(parts)
}

/// `format('{0}-{1}', a, b)`; format specifiers (`{0:N2}`) are not evaluated.
fn format(args: &[Value]) -> Value {
    let Some(Value::String(pattern)) = args.first() else {
        return Value::Unknown;
    };
    match format_text(pattern, &args[1..]) {
        Some(text) => Value::String(text),
        None => format_pieces(args),
    }
}

/// [`format`] as pieces joined: ids, unknowns and the rest.
fn format_pieces(args: &[Value]) -> Value {
    let Some(Value::String(pattern)) = args.first() else {
        return Value::Unknown;
    };
    let mut parts = Vec::with_capacity(2 * args.len());
    // The text between holes, inline while it is short (most is).
    let mut literal = Key::default();
    let read = expr::format_pattern(pattern, |piece| {
        match piece {
            FormatPiece::Text(text) => literal.push_str(text),
            FormatPiece::Hole(index) => {
                let arg = args.get(index + 1)?;
                parts.push(Value::String(std::mem::take(&mut literal)));
                parts.push(arg.clone());
            }
        }
        Some(())
    });
    if read.is_none() {
        return Value::Unknown;
    }
    parts.push(Value::String(literal));
    // Drop empty literal pieces so an id in front stays in front.
    parts.retain(|p| !matches!(p, Value::String(s) if s.is_empty()));
    if parts.is_empty() {
        return Value::String(Key::default());
    }
    join(parts)
}

/// [`format`] when every argument is text, a number or a bool (most
/// are): written straight into one string, as joining the pieces
/// would write them. `None` for anything else, which `format` decides.
fn format_text(pattern: &str, args: &[Value]) -> Option<Key> {
    let text = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    if !args.iter().all(text) {
        return None;
    }
    // Written in a buffer the thread keeps, then kept as a `Key`: short
    // text inline, longer text in one allocation of its own size.
    thread_local! {
        static OUT: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
    }
    let mut out = OUT.take();
    out.clear();
    let written = write_format(pattern, args, &mut out).map(|()| Key::from(out.as_str()));
    OUT.set(out);
    written
}

/// [`format_text`]'s writing, into `out`.
fn write_format(pattern: &str, args: &[Value], out: &mut String) -> Option<()> {
    expr::format_pattern(pattern, |piece| {
        match piece {
            FormatPiece::Text(text) => out.push_str(text),
            FormatPiece::Hole(index) => {
                ARM_TEXT.push_text(args.get(index)?, out);
            }
        }
        Some(())
    })
}

/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}…`
/// split at `/`, unknown segments unknown (a leading empty segment, as
/// splitting the text would give).
fn id_segments(id: &ArmId) -> Vec<crate::model::Node> {
    let part = |p: &Part| match p {
        Part::Known(s) => Value::String(s.as_str().into()),
        _ => Value::Unknown,
    };
    let mut out = vec![
        Value::String(String::new().into()),
        Value::String("subscriptions".into()),
        part(&id.subscription),
        Value::String("resourceGroups".into()),
        part(&id.resource_group),
        Value::String("providers".into()),
    ];
    let mut types = id.rtype.split('/');
    out.push(Value::String(types.next().unwrap_or_default().into()));
    for (t, name) in types.zip(&id.names) {
        out.push(Value::String(t.into()));
        out.push(part(name));
    }
    out.into_iter().map(node).collect()
}

#[cfg(test)]
mod tests {
    use crate::arm::eval::testing::*;
    use crate::model::Value;

    /// Filling text straight in gives what joining the pieces gives, for
    /// every pattern it takes; the others are left to the pieces.
    #[test]
    fn format_text_agrees_with_the_pieces() {
        let text = vec![
            Value::String("ab".into()),
            Value::Number(3.0),
            Value::Number(2.5),
            Value::Bool(true),
            Value::string(String::new()),
        ];
        let mut mixed = text.clone();
        mixed.extend([Value::Unknown, Value::Null]);
        let patterns = [
            "",
            "x",
            "{0}",
            "{0}-{1}",
            "{{0}}",
            "{{{0}}}",
            "}{0}{",
            "a}}b{{c",
            "{ 2 }{3}",
            "{4}{4}",
            "{7}",
            "{0:N2}",
            "{x}",
            "{5}",
            "{6}",
            "{0",
            "é{1}ü",
            "{1}{0}{3}}",
        ];
        let mut taken = 0;
        for args in [&text, &mixed] {
            for pattern in patterns {
                let mut all = vec![Value::String(pattern.into())];
                all.extend(args.iter().cloned());
                let pieces = super::format_pieces(&all);
                if let Some(text) = super::format_text(pattern, &all[1..]) {
                    assert_eq!(Value::string(text), pieces, "{pattern}");
                    taken += 1;
                }
                assert_eq!(super::format(&all), pieces, "{pattern}");
            }
        }
        // Taken with text arguments only, where every hole is a number in range.
        assert_eq!(taken, 12);
    }

    #[test]
    fn string_functions() {
        assert_eq!(eval("[concat('a', 'b', 'c')]"), s("abc"));
        assert_eq!(eval("[format('{0}-{1}', 'pe', 2)]"), s("pe-2"));
        assert_eq!(eval("[format('{{x}} {0}', 'y')]"), s("{x} y"));
        assert_eq!(eval("[toLower('ABC')]"), s("abc"));
        assert_eq!(eval("[replace('a.b', '.', '-')]"), s("a-b"));
        assert_eq!(eval("[substring('abcdef', 1, 3)]"), s("bcd"));
        assert_eq!(eval("[substring('abc', 5, 3)]"), Value::Unknown);
        assert_eq!(eval("[if(equals(1, 1), 'yes', 'no')]"), s("yes"));
        assert_eq!(eval("[if(equals('A', 'a'), 'yes', 'no')]"), Value::Unknown);
        assert_eq!(eval("[length(createArray(1, 2, 3))]"), Value::Number(3.0));
        assert_eq!(eval("[empty('')]"), Value::Bool(true));
        assert_eq!(eval("[not(true())]"), Value::Bool(false));
        assert_eq!(eval("[uniqueString(resourceGroup().id)]"), Value::Unknown);
        assert_eq!(eval("[uniqueString('test')]"), s("rbgf3xv4ufgzg"));
        // Microsoft Learn's dataUri / dataUriToString examples.
        assert_eq!(
            eval("[dataUri('Hello')]"),
            s("data:text/plain;charset=utf8;base64,SGVsbG8=")
        );
        assert_eq!(
            eval("[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]"),
            s("Hello, World!")
        );
        assert_eq!(
            eval("[cidrSubnet('10.144.0.0/20', 24, 3)]"),
            s("10.144.3.0/24")
        );
        assert_eq!(
            eval("[parseCidr('10.144.0.0/20').broadcast]"),
            s("10.144.15.255")
        );
        assert_eq!(
            eval("[guid('a', 'b', 'c')]"),
            s("a98fa280-e03f-5afa-8d8e-92d0a9c201e8")
        );
        assert_eq!(eval("[guid(subscription().id, 'x')]"), Value::Unknown);
        assert_eq!(eval("[uniqueString(1)]"), Value::Unknown);
        assert_eq!(eval("[resourceGroup().location]"), Value::Unknown);
        assert_eq!(eval("[[literal]"), s("[literal]"));
        assert_eq!(eval("[concat('a',]"), Value::Unknown);
    }
}
