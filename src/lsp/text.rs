//! Positions as LSP counts them (lines from 0, columns in UTF-16 code
//! units), and `file:` URIs to paths and back.

use std::path::{Path, PathBuf};

use lsp_types as lsp;

use crate::source::Span;

/// The LSP position of byte `offset` in `text` (clamped, snapped back to a
/// character boundary).
pub fn position_at(text: &str, offset: usize) -> lsp::Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count();
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    lsp::Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        character: u32::try_from(character).unwrap_or(u32::MAX),
    }
}

/// The LSP range of a span of `text`.
pub fn range(text: &str, span: Span) -> lsp::Range {
    lsp::Range {
        start: position_at(text, span.start as usize),
        end: position_at(text, span.end as usize),
    }
}

/// Bytes kept as they are in a URI path; everything else is %-escaped.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"/-._~".contains(&b)
}

/// `file:///abs/path` for an absolute path.
pub fn uri_of_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a `file:` URI; none for any other scheme or a bad escape.
pub fn path_of_uri(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only the local host.
    let rest = match rest.find('/') {
        Some(0) => rest,
        Some(i) if &rest[..i] == "localhost" => &rest[i..],
        _ => return None,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
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
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then(|| PathBuf::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a\n😀b\n";
        assert_eq!(
            position_at(text, 2 + 4),
            lsp::Position {
                line: 1,
                character: 2
            }
        );
        assert_eq!(
            position_at(text, 99),
            lsp::Position {
                line: 2,
                character: 0
            }
        );
    }

    #[test]
    fn uris_and_paths_round_trip() {
        let path = Path::new("/tmp/a b/ü#1.tf");
        let uri = uri_of_path(path);
        assert_eq!(uri, "file:///tmp/a%20b/%C3%BC%231.tf");
        assert_eq!(path_of_uri(&uri).as_deref(), Some(path));
        assert_eq!(path_of_uri("https://x/y"), None);
        assert_eq!(path_of_uri("file:///a%2"), None);
    }
}
