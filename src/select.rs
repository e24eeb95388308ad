//! Which rules run and at what severity: `--select`, `--ignore` and
//! `--severity` on the command line, `rules:` in `.plinth.yaml`.
//!
//! A selector names rules by id (`PG001`), by name
//! (`private-endpoint-on-vnet-integrated-server`), by id prefix (`PG`, `PE0`)
//! or `ALL`, case-insensitively, in the spirit of ruff. A selector that names
//! no rule is an error with the nearest id or name as a suggestion.
//!
//! Without a `select`, the default set runs: every rule but the opt-in groups
//! ([`OPT_IN`], the PostgreSQL hygiene rules), which judge settings rather
//! than networking — what plinth is for. `extend_select` adds to whichever
//! set applies, as ruff's `extend-select` does; `select: [ALL]` runs every
//! rule.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Code, Problem, RuleInfo, Severity};

/// Id prefixes of the rules that are off unless selected: the PostgreSQL
/// hygiene rules (PGH), which fire on most servers written with Azure's
/// defaults and would otherwise drown — and fail builds on — the networking
/// mistakes plinth exists to find.
pub const OPT_IN: &[&str] = &["PGH"];

/// Whether a rule runs when nothing is selected.
pub fn on_by_default(id: &str) -> bool {
    !OPT_IN.iter().any(|prefix| matches(prefix, id, ""))
}

/// Whether `selector` names the rule `id` / `name`.
pub fn matches(selector: &str, id: &str, name: &str) -> bool {
    let selector = selector.trim();
    !selector.is_empty()
        && (selector.eq_ignore_ascii_case("ALL")
            || selector.eq_ignore_ascii_case(id)
            || selector.eq_ignore_ascii_case(name)
            || (id.len() > selector.len()
                && id.is_char_boundary(selector.len())
                && id[..selector.len()].eq_ignore_ascii_case(selector)
                && selector.chars().all(|c| c.is_ascii_alphanumeric())))
}

/// The ids of the rules a selector names.
pub fn resolve<'r>(selector: &str, rules: &'r [RuleInfo]) -> Vec<&'r str> {
    rules
        .iter()
        .filter(|r| matches(selector, &r.id, &r.name))
        .map(|r| r.id.as_str())
        .collect()
}

/// "did you mean …?" for a selector that names nothing.
pub fn suggestion(selector: &str, rules: &[RuleInfo]) -> Option<String> {
    let candidates = rules.iter().flat_map(|r| [r.id.as_str(), r.name.as_str()]);
    closest(selector, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate nearest to `word` (case-insensitively), if one is near
/// enough to be the word meant: the "did you mean" of selectors and of
/// `.plinth.yaml` keys.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// What the command line asks for, on top of the config file.
#[derive(Clone, Debug, Default)]
pub struct Requested {
    /// `--select`: replaces the config's `select`.
    pub select: Vec<String>,
    /// `--extend-select`: added to whichever select applies.
    pub extend_select: Vec<String>,
    /// `--ignore`: added to the config's `disable`.
    pub ignore: Vec<String>,
    /// `--severity RULE=LEVEL`: over the config's `severity`.
    pub severity: Vec<(String, Severity)>,
}

/// The outcome: the rules that report, and their severities where changed.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub enabled: BTreeSet<String>,
    pub severity: BTreeMap<String, Severity>,
}

impl Selection {
    pub fn enabled(&self, rule: &str) -> bool {
        self.enabled.contains(rule)
    }
}

/// Combines the config's `rules:` section with the command line. Selectors
/// from the command line that name no rule become `usage-error` problems;
/// the config's own are checked where it is loaded (with file and line).
pub fn select(
    rules: &[RuleInfo],
    config_select: Option<&[String]>,
    config_extend_select: &[String],
    config_disable: &[String],
    config_severity: &BTreeMap<String, Severity>,
    requested: &Requested,
) -> (Selection, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut cli = |selector: &str, flag: &str| -> Vec<String> {
        let ids: Vec<String> = resolve(selector, rules)
            .into_iter()
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            let mut p = Problem::new(
                Code::UsageError,
                format!("{flag} `{selector}` names no rule (see `plinth rules`)"),
            );
            if let Some(help) = suggestion(selector, rules) {
                p = p.with_help(help);
            }
            problems.push(p);
        }
        ids
    };
    let config_ids = |selectors: &[String]| -> BTreeSet<String> {
        selectors
            .iter()
            .flat_map(|s| resolve(s, rules))
            .map(str::to_string)
            .collect()
    };

    let mut enabled: BTreeSet<String> = if !requested.select.is_empty() {
        requested
            .select
            .iter()
            .flat_map(|s| cli(s, "--select"))
            .collect()
    } else if let Some(selected) = config_select {
        config_ids(selected)
    } else {
        rules
            .iter()
            .filter(|r| on_by_default(&r.id))
            .map(|r| r.id.clone())
            .collect()
    };
    enabled.extend(config_ids(config_extend_select));
    for selector in &requested.extend_select {
        enabled.extend(cli(selector, "--extend-select"));
    }
    for id in config_ids(config_disable) {
        enabled.remove(&id);
    }
    for selector in &requested.ignore {
        for id in cli(selector, "--ignore") {
            enabled.remove(&id);
        }
    }

    let mut severity = BTreeMap::new();
    for (selector, level) in config_severity {
        for id in resolve(selector, rules) {
            severity.insert(id.to_string(), *level);
        }
    }
    for (selector, level) in &requested.severity {
        for id in cli(selector, "--severity") {
            severity.insert(id, *level);
        }
    }
    (Selection { enabled, severity }, problems)
}

/// Splits `--select PG,PE001` style lists.
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, name: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            name: name.into(),
            severity: Severity::Error,
            title: "".into(),
            description: "".into(),
            remediation: "".into(),
            url: None,
            markdown: None,
        }
    }

    fn rules() -> Vec<RuleInfo> {
        vec![
            info("PG001", "private-endpoint-on-vnet-integrated-server"),
            info("PG002", "postgres-private-endpoint-group-id"),
            info("PE001", "private-endpoint-in-delegated-subnet"),
            info("PE010", "zone-shared-across-services"),
            info("DNS001", "privatelink-zone-autoregistration"),
        ]
    }

    #[test]
    fn hygiene_rules_are_opt_in_and_one_selector_away() {
        let mut rules = rules();
        rules.push(info("PGH003", "entra-authentication"));
        let run = |config_extend: &[String], requested: &Requested| {
            let (selection, problems) = select(
                &rules,
                None,
                config_extend,
                &[],
                &BTreeMap::new(),
                requested,
            );
            assert!(problems.is_empty());
            selection.enabled.into_iter().collect::<Vec<_>>()
        };
        let default = run(&[], &Requested::default());
        assert!(!default.contains(&"PGH003".to_string()));
        assert_eq!(default.len(), 5);
        let extended = Requested {
            extend_select: vec!["PGH".into()],
            ..Requested::default()
        };
        assert_eq!(run(&[], &extended).len(), 6);
        assert_eq!(run(&["PGH003".into()], &Requested::default()).len(), 6);
        let all = Requested {
            select: vec!["ALL".into()],
            ..Requested::default()
        };
        assert_eq!(run(&[], &all).len(), 6);
    }

    #[test]
    fn selectors_name_rules_by_id_name_prefix_or_all() {
        let rules = rules();
        assert_eq!(resolve("pg001", &rules), ["PG001"]);
        assert_eq!(
            resolve("private-endpoint-in-delegated-subnet", &rules),
            ["PE001"]
        );
        assert_eq!(resolve("PG", &rules), ["PG001", "PG002"]);
        assert_eq!(resolve("PE0", &rules), ["PE001", "PE010"]);
        assert_eq!(resolve("ALL", &rules).len(), 5);
        assert!(resolve("PG9", &rules).is_empty());
        assert!(resolve("", &rules).is_empty());
        // A prefix is letters and digits only: no accidental name prefixes.
        assert!(resolve("private-", &rules).is_empty());
    }

    #[test]
    fn command_line_overrides_the_config() {
        let rules = rules();
        let requested = Requested {
            select: vec!["PG".into(), "DNS001".into()],
            ignore: vec!["PG002".into()],
            severity: vec![("DNS".into(), Severity::Info)],
            ..Requested::default()
        };
        let config_severity = BTreeMap::from([("PG001".to_string(), Severity::Warning)]);
        let (selection, problems) = select(
            &rules,
            Some(&["PE001".to_string()]),
            &[],
            &[],
            &config_severity,
            &requested,
        );
        assert!(problems.is_empty());
        assert_eq!(
            selection.enabled.iter().collect::<Vec<_>>(),
            ["DNS001", "PG001"]
        );
        assert_eq!(selection.severity["PG001"], Severity::Warning);
        assert_eq!(selection.severity["DNS001"], Severity::Info);
    }

    #[test]
    fn unknown_selectors_are_errors_with_a_suggestion() {
        let rules = rules();
        let requested = Requested {
            select: vec!["PG00".into(), "PG0001".into()],
            ..Requested::default()
        };
        let (selection, problems) = select(&rules, None, &[], &[], &BTreeMap::new(), &requested);
        assert_eq!(
            selection.enabled.iter().collect::<Vec<_>>(),
            ["PG001", "PG002"]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("PG0001"));
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `PG001`?"));
    }
}
