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
//! A marker above a resource declaration applies to that whole resource,
//! however deeply it is nested: a Bicep child resource declared inside its
//! parent is a resource of its own, and a marker above it covers the
//! findings inside it even when they are reported on the parent.
//!
//! Suppressions are themselves checked (info): one without a reason (it still
//! applies, unless the project requires reasons), one that suppresses
//! nothing (naming the rule meant when the id is misspelled), and one past
//! its `until=` date (which no longer applies). A date that is no date
//! (`until=2026-13-45`) is a `suppression-error` run problem at the date,
//! and the marker does not apply: it neither expires silently nor lasts
//! forever.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostic::Code;
use crate::report::{Finding, Label, Problem, ResourceSummary, RuleInfo, Severity};
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
    /// A suppression without a reason is not honoured, and SUP001 is an error.
    pub require_reason: bool,
    pub today: Date,
}

/// What one unit tells the suppressions about itself.
pub struct Unit<'a> {
    /// Each input file with the label of its unit.
    pub files: &'a [(FileId, String)],
    /// The declaration spans of the unit's resources, nested children
    /// included: a marker above one covers the findings inside it.
    pub resources: &'a [Span],
    /// The rules that exist, to tell a misspelled id.
    pub known: &'a [RuleInfo],
    /// The rule id nearest a misspelled one, if one is near enough.
    pub meant: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// What applying the suppressions gave besides removing findings.
#[derive(Default)]
pub struct Applied {
    /// Findings about the suppressions themselves (SUP001–SUP004).
    pub about: Vec<Finding>,
    /// Markers that cannot be read, such as an `until=` that is no date.
    pub problems: Vec<Problem>,
}

/// The rules about suppressions, for `plinth rules`, `explain` and SARIF.
pub fn rules() -> Vec<RuleInfo> {
    let rule = |(id, name): (&str, &str),
                title: &'static str,
                description: &'static str,
                remediation: &'static str| RuleInfo {
        id: id.to_string(),
        name: name.to_string(),
        severity: Severity::Info,
        title: title.into(),
        description: description.into(),
        remediation: remediation.into(),
        url: None,
        markdown: None,
    };
    vec![
        rule(
            WITHOUT_REASON,
            "Suppression without a reason",
            "A `plinth:ignore` comment names the rules it silences but not why. It still applies, unless the configuration sets `suppressions: require_reason: true`: then it does not apply and this is an error.",
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
    #[cfg(test)]
    fn parse(text: &str) -> Option<Date> {
        Date::read(text).ok()
    }

    /// A `YYYY-MM-DD` date that exists on the calendar, or why it is not one.
    fn read(text: &str) -> Result<Date, String> {
        let shape = || format!("`{text}` is not a date of the form YYYY-MM-DD");
        let mut parts = text.splitn(3, '-');
        let mut number = |width: usize| -> Result<i64, String> {
            let part = parts.next().ok_or_else(shape)?;
            if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(shape());
            }
            part.parse().map_err(|_| shape())
        };
        let year = number(4)?;
        let month = number(2)?;
        let day = number(2)?;
        if !(1..=12).contains(&month) {
            return Err(format!(
                "`{text}` has no month {month} (months are 01 to 12)"
            ));
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=days).contains(&day) {
            return Err(format!(
                "`{text}` has no day {day} (that month has {days} days)"
            ));
        }
        // In range by the checks above.
        Ok(Date(year, month as u32, day as u32))
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
    /// An `until=` that is no date: where it is written and why it is not one.
    bad_until: Option<(Span, String)>,
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

/// The mark looked for in every file reported on: a searcher built once
/// (memchr's, vectorised), not one per file as `str::contains` builds.
static IGNORE: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("plinth:ignore"));

fn is_comment_or_blank(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#') || line.starts_with("//") || line.starts_with("/*")
}

fn scan(id: FileId, file: &SourceFile) -> Vec<Marker> {
    let text: &str = &file.text;
    if IGNORE.find(text.as_bytes()).is_none() {
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
            rest.start(),
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
            rest.start(),
        ));
    }
    markers
}

/// Reads `RULE[,RULE…] [until=DATE] reason` after the `plinth:ignore` mark;
/// `rest_at` is where `rest` starts in the file.
fn marker(span: Span, target_line: usize, enclosing: bool, rest: &str, rest_at: usize) -> Marker {
    let whole = rest;
    let rest = rest.trim().trim_end_matches("*/").trim();
    let mut rules = Vec::new();
    let mut until = None;
    let mut bad_until = None;
    let mut reason_words = Vec::new();
    for word in rest.split_whitespace() {
        if let Some(date) = word.strip_prefix("until=") {
            // `word` is a slice of `whole`: its place in the file follows.
            let at = rest_at + (date.as_ptr() as usize - whole.as_ptr() as usize);
            match Date::read(date) {
                Ok(date) => until = Some(date),
                Err(why) => bad_until = Some((Span::new(span.file, at, at + date.len()), why)),
            }
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
        until,
        bad_until,
        used: false,
    }
}

fn line_of(sources: &SourceMap, span: Span) -> usize {
    sources.get(span.file).line_col(span.start as usize).line
}

/// Removes suppressed findings from `findings` and returns the findings
/// about the suppressions themselves, and the markers that cannot be read.
#[allow(clippy::too_many_lines)] // one pass: scan markers, drop what they cover, report the markers
pub fn apply(
    findings: &mut Vec<Finding>,
    sources: &SourceMap,
    unit: &Unit,
    policy: Policy,
) -> Applied {
    let today = policy.today;
    let mut markers: HashMap<FileId, Vec<Marker>> = HashMap::new();
    for (id, _) in unit.files {
        let found = scan(*id, &sources.get(*id));
        if !found.is_empty() {
            markers.insert(*id, found);
        }
    }
    if markers.is_empty() {
        return Applied::default();
    }
    findings.retain(|finding| {
        let Some(in_file) = markers.get_mut(&finding.primary.span.file) else {
            return true;
        };
        let primary = finding.primary.span;
        let finding_line = line_of(sources, primary);
        let resource_line = finding
            .resource
            .span
            .filter(|s| s.file == primary.file)
            .map(|s| line_of(sources, s));
        // The resources declared around the finding, nested ones included:
        // a marker above any of them covers it.
        let around: Vec<usize> = unit
            .resources
            .iter()
            .filter(|r| r.file == primary.file && r.start <= primary.start && primary.end <= r.end)
            .map(|r| line_of(sources, *r))
            .collect();
        let mut suppressed = false;
        for marker in in_file.iter_mut() {
            let applies = if marker.enclosing {
                finding.resource.span.is_some_and(|r| {
                    r.file == marker.span.file
                        && r.start <= marker.span.start
                        && marker.span.end <= r.end
                })
            } else {
                marker.target_line == finding_line
                    || Some(marker.target_line) == resource_line
                    || around.contains(&marker.target_line)
            };
            let names_rule = marker.rules.iter().any(|r| {
                r.eq_ignore_ascii_case(&finding.rule) || r.eq_ignore_ascii_case(&finding.name)
            });
            if applies && names_rule {
                marker.used = true;
                let in_date = match marker.until {
                    _ if marker.bad_until.is_some() => false,
                    Some(until) => until >= today,
                    None => !policy.require_expiry,
                };
                let reasoned = marker.reason.is_some() || !policy.require_reason;
                if in_date && reasoned {
                    suppressed = true;
                }
            }
        }
        !suppressed
    });

    let unit_of: HashMap<FileId, &String> =
        unit.files.iter().map(|(id, unit)| (*id, unit)).collect();
    let mut out = Applied::default();
    let mut ids: Vec<&FileId> = markers.keys().collect();
    ids.sort();
    for id in ids {
        for marker in &markers[id] {
            let rules = marker.rules.join(",");
            let mut report = |(rule, name): (&str, &str),
                              severity: Severity,
                              message: String,
                              label: &str,
                              help: Option<String>| {
                out.about.push(Finding {
                    rule: rule.to_string(),
                    name: name.to_string(),
                    severity,
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
                    help,
                    url: None,
                    fingerprint: String::new(),
                    unit: unit_of.get(id).map(|u| u.to_string()).unwrap_or_default(),
                    fix: None,
                });
            };
            if let Some((span, why)) = &marker.bad_until {
                out.problems.push(
                    Problem::new(
                        Code::SuppressionError,
                        format!("invalid until= date in a suppression of {rules}: {why}; the suppression does not apply"),
                    )
                    .at(sources.path(span.file), Some(*span))
                    .with_label("not a date")
                    .with_help("write the date as YYYY-MM-DD, e.g. until=2027-03-31"),
                );
            } else if let Some(until) = marker.until.filter(|until| *until < today) {
                report(
                    EXPIRED,
                    Severity::Info,
                    format!(
                        "suppression of {rules} expired on {:04}-{:02}-{:02} and no longer applies",
                        until.0, until.1, until.2
                    ),
                    "expired",
                    None,
                );
            } else if marker.until.is_none() && policy.require_expiry && !marker.rules.is_empty() {
                report(
                    WITHOUT_EXPIRY,
                    Severity::Info,
                    format!(
                        "suppression of {rules} has no until= date, which this project requires"
                    ),
                    "add until=YYYY-MM-DD",
                    None,
                );
            } else if !marker.used {
                let unknown: Vec<&String> = marker
                    .rules
                    .iter()
                    .filter(|r| {
                        !unit
                            .known
                            .iter()
                            .any(|k| k.id.eq_ignore_ascii_case(r) || k.name.eq_ignore_ascii_case(r))
                    })
                    .collect();
                if marker.rules.is_empty() {
                    report(
                        UNUSED,
                        Severity::Info,
                        "suppression names no rule id".to_string(),
                        "suppresses nothing",
                        None,
                    );
                } else if let Some(first) = unknown.first() {
                    let names = unknown
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let meant = (unit.meant)(first);
                    let message = match &meant {
                        Some(meant) => format!(
                            "suppression names unknown rule {names}, so it suppresses nothing; did you mean {meant}?"
                        ),
                        None => format!(
                            "suppression names unknown rule {names}, so it suppresses nothing"
                        ),
                    };
                    report(
                        UNUSED,
                        Severity::Info,
                        message,
                        "unknown rule",
                        meant.as_ref().map(|m| format!("did you mean `{m}`?")),
                    );
                } else {
                    report(
                        UNUSED,
                        Severity::Info,
                        format!(
                            "suppression of {rules} suppresses nothing on the line it applies to"
                        ),
                        "suppresses nothing",
                        None,
                    );
                }
            }
            if marker.reason.is_none() && !marker.rules.is_empty() {
                if policy.require_reason {
                    report(
                        WITHOUT_REASON,
                        Severity::Error,
                        format!(
                            "suppression of {rules} gives no reason, which this project requires; it does not apply"
                        ),
                        "say why after the rule ids",
                        None,
                    );
                } else {
                    report(
                        WITHOUT_REASON,
                        Severity::Info,
                        format!("suppression of {rules} gives no reason"),
                        "say why after the rule ids",
                        None,
                    );
                }
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
        assert_eq!(Date::parse("2026-02-29"), None);
        assert_eq!(Date::parse("2028-02-29"), Some(Date(2028, 2, 29)));
        assert!(Date::read("2026-13-45").is_err_and(|why| why.contains("no month 13")));
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
        assert_eq!(found[1].until, None);
        assert!(found[1].bad_until.is_some());
        assert_eq!(found[1].reason.as_deref(), Some("x"));
    }
}
