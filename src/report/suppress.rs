//! Inline suppressions, written next to the code they excuse:
//!
//! ```text
//! # plinth:ignore PG001 the endpoint is removed in the next release until=2027-01-31
//! // plinth:ignore PE002,PE006 hub team owns this subnet
//! ```
//!
//! A marker in a `#`, `//` or `/*` comment applies to the line it ends, or,
//! alone on its line, to the next line of code: put it on the offending
//! attribute's line, above it, or above the whole resource block. In compiled
//! Bicep, where comments are gone, a marker in a resource's
//! `metadata.description` (Bicep's `@description` on the resource) applies to
//! that whole resource. The front-ends need not know about it: markers are
//! found in the source text.
//!
//! Suppressions are themselves checked (info): one without a reason (it still
//! applies), one that suppresses nothing, and one past its `until=` date
//! (which no longer applies).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::report::{Finding, Label, ResourceSummary, RuleInfo, Severity};
use crate::source::{FileId, SourceFile, SourceMap, Span};

const WITHOUT_REASON: (&str, &str) = ("SUP001", "suppression-without-reason");
const UNUSED: (&str, &str) = ("SUP002", "unused-suppression");
const EXPIRED: (&str, &str) = ("SUP003", "expired-suppression");
const WITHOUT_EXPIRY: (&str, &str) = ("SUP004", "suppression-without-expiry");

/// What the project's configuration asks of suppressions.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// A suppression without `until=` is not honoured.
    pub require_expiry: bool,
    pub today: Date,
}

/// The rules about suppressions, for `plinth rules`, `explain` and SARIF.
pub fn rules() -> Vec<RuleInfo> {
    let rule =
        |(id, name): (&str, &str), title: &str, description: &str, remediation: &str| RuleInfo {
            id: id.to_string(),
            name: name.to_string(),
            severity: Severity::Info,
            title: title.to_string(),
            description: description.to_string(),
            remediation: remediation.to_string(),
            url: None,
        };
    vec![
        rule(
            WITHOUT_REASON,
            "Suppression without a reason",
            "A `plinth:ignore` comment names the rules it silences but not why. It still applies.",
            "Write the reason after the rule ids: `# plinth:ignore PG001 migrating to VNet integration, see INFRA-12`.",
        ),
        rule(
            UNUSED,
            "Suppression that suppresses nothing",
            "A `plinth:ignore` comment names a rule that reports nothing on the line it applies to (or a rule that does not exist). It may be left over from a fix, or placed on the wrong line.",
            "Remove the comment, or move it onto the line of the finding or above its resource.",
        ),
        rule(
            WITHOUT_EXPIRY,
            "Suppression without an expiry date",
            "The project's configuration (`suppressions: require_expiry: true`) honours only `plinth:ignore` comments with an `until=YYYY-MM-DD` date; this one has none, so it does not apply.",
            "Add `until=` with the date by which the finding will be fixed.",
        ),
        rule(
            EXPIRED,
            "Expired suppression",
            "A `plinth:ignore` comment's `until=` date has passed, so it no longer silences anything.",
            "Fix the finding and remove the comment, or agree a new date.",
        ),
    ]
}

/// A `YYYY-MM-DD` date, ordered as dates are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(i64, u32, u32);

impl Date {
    fn parse(text: &str) -> Option<Date> {
        let mut parts = text.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts
            .next()?
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))?;
        let day = parts
            .next()?
            .parse()
            .ok()
            .filter(|d| (1..=31).contains(d))?;
        Some(Date(year, month, day))
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        civil_from_days((secs / 86_400) as i64)
    }
}

/// Howard Hinnant's days-to-civil algorithm (days since 1970-01-01).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date(year, month, day)
}

/// One `plinth:ignore` comment.
#[derive(Clone, Debug)]
struct Marker {
    span: Span,
    /// The 1-based line it applies to.
    target_line: usize,
    /// Written in a resource's `metadata.description` (Bicep's `@description`
    /// on a resource compiles to it): applies to the whole enclosing resource.
    enclosing: bool,
    rules: Vec<String>,
    reason: Option<String>,
    until: Option<Date>,
    used: bool,
}

// Constant patterns, not input: a typo here fails every test that reads a
// suppression, never a user's run.
#[allow(clippy::expect_used)]
static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:#|//|/\*)\s*plinth:ignore\b([^\n]*)").expect("a valid regex"));
#[allow(clippy::expect_used)]
static IN_DESCRIPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""description"\s*:\s*"[^"\n]*?plinth:ignore\b([^"\n]*)""#).expect("a valid regex")
});
#[allow(clippy::expect_used)]
static RULE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z]+[0-9]+$").expect("a valid regex"));

fn is_comment_or_blank(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#') || line.starts_with("//") || line.starts_with("/*")
}

fn scan(id: FileId, file: &SourceFile) -> Vec<Marker> {
    let text: &str = &file.text;
    if !text.contains("plinth:ignore") {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut markers = Vec::new();
    for found in MARKER.captures_iter(text) {
        let (Some(whole), Some(rest)) = (found.get(0), found.get(1)) else {
            continue;
        };
        let line = file.line_col(whole.start()).line;
        let line_text = lines.get(line - 1).copied().unwrap_or("");
        let before = &text[text[..whole.start()].rfind('\n').map_or(0, |i| i + 1)..whole.start()];
        let target_line = if before.trim().is_empty() || is_comment_or_blank(line_text) {
            (line..lines.len())
                .find(|&i| !is_comment_or_blank(lines[i]))
                .map_or(line, |i| i + 1)
        } else {
            line
        };
        markers.push(marker(
            Span::new(id, whole.start(), whole.end()),
            target_line,
            false,
            rest.as_str(),
        ));
    }
    for found in IN_DESCRIPTION.captures_iter(text) {
        let (Some(whole), Some(rest)) = (found.get(0), found.get(1)) else {
            continue;
        };
        let line = file.line_col(whole.start()).line;
        markers.push(marker(
            Span::new(id, whole.start(), whole.end()),
            line,
            true,
            rest.as_str(),
        ));
    }
    markers
}

/// Reads `RULE[,RULE…] [until=DATE] reason` after the `plinth:ignore` mark.
fn marker(span: Span, target_line: usize, enclosing: bool, rest: &str) -> Marker {
    let rest = rest.trim().trim_end_matches("*/").trim();
    let mut rules = Vec::new();
    let mut until = None;
    let mut reason_words = Vec::new();
    for word in rest.split_whitespace() {
        if let Some(date) = word.strip_prefix("until=") {
            until = Some(Date::parse(date));
        } else if reason_words.is_empty()
            && word
                .split(',')
                .filter(|w| !w.is_empty())
                .all(|w| RULE_ID.is_match(w))
        {
            rules.extend(
                word.split(',')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        } else {
            reason_words.push(word);
        }
    }
    let reason = reason_words.join(" ");
    let reason = reason.trim_start_matches(['-', ':', '—']).trim();
    Marker {
        span,
        target_line,
        enclosing,
        rules,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        // An unreadable date never expires silently: treat it as past.
        until: until.map(|d| d.unwrap_or(Date(0, 1, 1))),
        used: false,
    }
}

fn line_of(sources: &SourceMap, span: Span) -> usize {
    sources.get(span.file).line_col(span.start as usize).line
}

/// Removes suppressed findings from `findings` and returns the findings
/// about the suppressions themselves. `files` maps each input file to the
/// label of its unit.
#[allow(clippy::too_many_lines)] // one pass: scan markers, drop what they cover, report the markers
pub fn apply(
    findings: &mut Vec<Finding>,
    sources: &SourceMap,
    files: &[(FileId, String)],
    policy: Policy,
) -> Vec<Finding> {
    let today = policy.today;
    let mut markers: HashMap<FileId, Vec<Marker>> = HashMap::new();
    for (id, _) in files {
        let found = scan(*id, &sources.get(*id));
        if !found.is_empty() {
            markers.insert(*id, found);
        }
    }
    if markers.is_empty() {
        return Vec::new();
    }
    findings.retain(|finding| {
        let Some(in_file) = markers.get_mut(&finding.primary.span.file) else {
            return true;
        };
        let finding_line = line_of(sources, finding.primary.span);
        let resource_line = finding
            .resource
            .span
            .filter(|s| s.file == finding.primary.span.file)
            .map(|s| line_of(sources, s));
        let mut suppressed = false;
        for marker in in_file.iter_mut() {
            let applies = if marker.enclosing {
                finding.resource.span.is_some_and(|r| {
                    r.file == marker.span.file
                        && r.start <= marker.span.start
                        && marker.span.end <= r.end
                })
            } else {
                marker.target_line == finding_line || Some(marker.target_line) == resource_line
            };
            let names_rule = marker.rules.iter().any(|r| {
                r.eq_ignore_ascii_case(&finding.rule) || r.eq_ignore_ascii_case(&finding.name)
            });
            if applies && names_rule {
                marker.used = true;
                let in_date = match marker.until {
                    Some(until) => until >= today,
                    None => !policy.require_expiry,
                };
                if in_date {
                    suppressed = true;
                }
            }
        }
        !suppressed
    });

    let unit_of: HashMap<FileId, &String> = files.iter().map(|(id, unit)| (*id, unit)).collect();
    let mut out = Vec::new();
    let mut ids: Vec<&FileId> = markers.keys().collect();
    ids.sort();
    for id in ids {
        for marker in &markers[id] {
            let rules = marker.rules.join(",");
            let mut report = |(rule, name): (&str, &str), message: String, label: &str| {
                out.push(Finding {
                    rule: rule.to_string(),
                    name: name.to_string(),
                    severity: Severity::Info,
                    message,
                    primary: Label {
                        span: marker.span,
                        text: label.to_string(),
                    },
                    related: Vec::new(),
                    resource: ResourceSummary {
                        rtype: String::new(),
                        name: String::new(),
                        address: String::new(),
                        span: None,
                    },
                    help: None,
                    url: None,
                    fingerprint: String::new(),
                    unit: unit_of.get(id).map(|u| u.to_string()).unwrap_or_default(),
                });
            };
            if let Some(until) = marker.until.filter(|until| *until < today) {
                report(
                    EXPIRED,
                    format!(
                        "suppression of {rules} expired on {:04}-{:02}-{:02} and no longer applies",
                        until.0, until.1, until.2
                    ),
                    "expired",
                );
            } else if marker.until.is_none() && policy.require_expiry && !marker.rules.is_empty() {
                report(
                    WITHOUT_EXPIRY,
                    format!(
                        "suppression of {rules} has no until= date, which this project requires"
                    ),
                    "add until=YYYY-MM-DD",
                );
            } else if !marker.used {
                let message = if marker.rules.is_empty() {
                    "suppression names no rule id".to_string()
                } else {
                    format!("suppression of {rules} suppresses nothing on the line it applies to")
                };
                report(UNUSED, message, "suppresses nothing");
            }
            if marker.reason.is_none() && !marker.rules.is_empty() {
                report(
                    WITHOUT_REASON,
                    format!("suppression of {rules} gives no reason"),
                    "say why after the rule ids",
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(text: &str) -> Vec<Marker> {
        let sources = SourceMap::new();
        let id = sources.add("main.tf".into(), text);
        scan(id, &sources.get(id))
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), Date(1970, 1, 1));
        assert_eq!(civil_from_days(20_781), Date(2026, 11, 24));
        assert_eq!(Date::parse("2027-01-31"), Some(Date(2027, 1, 31)));
        assert_eq!(Date::parse("2027-13-01"), None);
        assert_eq!(Date::parse("soon"), None);
    }

    #[test]
    fn markers_apply_to_their_line_or_the_next_line_of_code() {
        let found = markers(
            "resource \"x\" \"y\" {\n  a = 1 # plinth:ignore PG001 reason here\n  # plinth:ignore PE002,PE004 until=2030-01-01 - because\n\n  b = 2\n}\n",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target_line, 2);
        assert_eq!(found[0].rules, ["PG001"]);
        assert_eq!(found[0].reason.as_deref(), Some("reason here"));
        assert_eq!(found[1].target_line, 5);
        assert_eq!(found[1].rules, ["PE002", "PE004"]);
        assert_eq!(found[1].until, Some(Date(2030, 1, 1)));
        assert_eq!(found[1].reason.as_deref(), Some("because"));
    }

    #[test]
    fn a_marker_without_reason_or_with_a_bad_date() {
        let found =
            markers("// plinth:ignore PG001\n{}\n/* plinth:ignore PG001 x until=tomorrow */\n{}\n");
        assert_eq!(found[0].reason, None);
        assert_eq!(found[1].until, Some(Date(0, 1, 1)));
        assert_eq!(found[1].reason.as_deref(), Some("x"));
    }
}
