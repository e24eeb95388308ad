//! Which major version of the azurerm provider a configuration uses: from
//! `.terraform.lock.hcl` beside the root module, else from the highest major
//! its `required_providers` constraint allows. Defaults that changed between
//! majors follow it. Does not read any provider's schema or download one.

use std::path::Path;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

use crate::source::{FileId, SourceMap};

/// The azurerm provider's major version — exact from `.terraform.lock.hcl`
/// beside the root module, else the highest major its `required_providers`
/// constraint allows (what `terraform init` would pick), else unknown,
/// treated as the newest — and the lowest `(major, minor)` the
/// configuration may use: the locked version, else the constraint's lower
/// bound, else unknown.
pub(super) fn azurerm_versions(
    sources: &SourceMap,
    dir: &Path,
    root: &[(FileId, Body)],
) -> (Option<u64>, Option<(u64, u64)>) {
    if let Some(text) = lock_file(sources, dir)
        && let Ok(body) = hcl_edit::parser::parse_body(&text)
    {
        let locked = body
            .blocks()
            .filter(|b| b.has_ident("provider"))
            .filter(|b| {
                b.labels
                    .first()
                    .is_some_and(|l| l.as_str().ends_with("hashicorp/azurerm"))
            })
            .find_map(|b| match &b.body.get_attribute("version")?.value {
                Expression::String(v) => Some(v.value().to_string()),
                _ => None,
            });
        if let Some(locked) = locked
            && let Some(major) = major_of(&locked)
        {
            return (Some(major), lowest(&format!("= {locked}")));
        }
    }
    let constraint = root.iter().find_map(|(_, body)| {
        body.blocks()
            .filter(|b| b.has_ident("terraform"))
            .flat_map(|t| {
                t.body
                    .blocks()
                    .filter(|b| b.has_ident("required_providers"))
            })
            .find_map(
                |providers| match &providers.body.get_attribute("azurerm")?.value {
                    Expression::String(v) => Some(v.value().to_string()),
                    Expression::Object(o) => o.iter().find_map(|(k, v)| {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => i.value().as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                                s.value().to_string()
                            }
                            _ => return None,
                        };
                        match (key.as_str(), v.expr()) {
                            ("version", Expression::String(s)) => Some(s.value().to_string()),
                            _ => None,
                        }
                    }),
                    _ => None,
                },
            )
    });
    match constraint {
        Some(constraint) => (highest_major(&constraint), lowest(&constraint)),
        None => (None, None),
    }
}

/// The lowest `(major, minor)` a constraint allows: its `~>`, `>=`, `>` or
/// `=` bound (the highest of them); none without one.
fn lowest(constraint: &str) -> Option<(u64, u64)> {
    let mut low: Option<(u64, u64)> = None;
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, version) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", part));
        let components: Vec<u64> = version
            .trim_start_matches('v')
            .split('.')
            .map_while(|c| c.parse().ok())
            .collect();
        let Some(&major) = components.first() else {
            continue;
        };
        let version = (major, components.get(1).copied().unwrap_or(0));
        if matches!(op, "~>" | ">=" | ">" | "=") {
            low = Some(low.map_or(version, |l| l.max(version)));
        }
    }
    low
}

fn major_of(version: &str) -> Option<u64> {
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// The highest major version a constraint such as `~> 3.0`, `>= 3.50, < 4.0`
/// or `= 3.117.0` allows; `None` when it has no upper bound.
fn highest_major(constraint: &str) -> Option<u64> {
    let mut highest: Option<u64> = None;
    let mut bound = |major: u64| highest = Some(highest.map_or(major, |h| h.min(major)));
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, version) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", part));
        let components: Vec<u64> = version
            .trim_start_matches('v')
            .split('.')
            .map_while(|c| c.parse().ok())
            .collect();
        let Some(&major) = components.first() else {
            continue;
        };
        match op {
            // `~> 3.0` and `~> 3.1.2` stay within major 3; `~> 3` does not.
            "~>" if components.len() >= 2 => bound(major),
            "=" | "<=" => bound(major),
            "<" if components.iter().skip(1).all(|c| *c == 0) => bound(major.saturating_sub(1)),
            "<" => bound(major),
            _ => {}
        }
    }
    highest
}

/// The text of `.terraform.lock.hcl` beside the root module, when there is
/// one plinth may read; a link, FIFO or device under that name is noted
/// and not read.
fn lock_file(sources: &SourceMap, dir: &Path) -> Option<String> {
    let path = dir.join(".terraform.lock.hcl");
    let confinement = sources.confinement();
    match confinement.read(&path) {
        Ok(bytes) => crate::paths::decode(bytes).ok(),
        Err(crate::paths::Refusal::Missing) => None,
        Err(refusal) => {
            confinement.note(refusal.problem(&path, "lock file", (&path, None)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_constraints_give_the_highest_major_allowed() {
        assert_eq!(highest_major("~> 3.0"), Some(3));
        assert_eq!(highest_major("~> 3.117.0"), Some(3));
        assert_eq!(highest_major("~> 3"), None);
        assert_eq!(highest_major(">= 3.50, < 4.0"), Some(3));
        assert_eq!(highest_major(">= 3.50, < 4.1"), Some(4));
        assert_eq!(highest_major("= 3.1.0"), Some(3));
        assert_eq!(lowest("~> 3.110"), Some((3, 110)));
        assert_eq!(lowest(">= 3.50, < 4.0"), Some((3, 50)));
        assert_eq!(lowest("< 4.0"), None);
        assert_eq!(lowest("= 3.117.0"), Some((3, 117)));
        assert_eq!(highest_major("3.1.0"), Some(3));
        assert_eq!(highest_major(">= 3.0"), None);
        assert_eq!(highest_major("<= 4.2, != 4.1"), Some(4));
        assert_eq!(highest_major("nonsense"), None);
    }
}
