//! The README and docs/ say true things: every command output they show is
//! what the command prints today, the quickstart's set-up commands are the
//! ones CI runs, the pre-commit file list is the hooks' own, and every
//! relative link leads to a file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// README.md and every Markdown file in docs/, by path relative to the root.
fn documents() -> Vec<String> {
    let mut docs = vec!["README.md".to_string()];
    let mut more: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// A block of command output a document shows: the arguments of the
/// `<!-- plinth ARGS -->` comment above a fenced block, and the block.
struct Shown {
    document: String,
    args: Vec<String>,
    block: String,
}

fn shown_outputs(document: &str) -> Vec<Shown> {
    let text = read(document);
    let mut shown = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<!-- plinth ") {
        rest = &rest[at + "<!-- plinth ".len()..];
        let end = rest.find(" -->\n").expect("a closed marker");
        let args = rest[..end].split_whitespace().map(str::to_string).collect();
        rest = &rest[end + " -->\n".len()..];
        let fence = rest
            .strip_prefix("```")
            .expect("a fenced block right under the marker");
        let body = &fence[fence.find('\n').expect("a fence line") + 1..];
        let close = body.find("\n```").expect("a closed block");
        shown.push(Shown {
            document: document.to_string(),
            args,
            block: body[..=close].to_string(),
        });
        rest = &body[close..];
    }
    shown
}

/// The binary, run from the repository's root as the README's commands are.
/// Only what depends on the terminal is fixed: no colour, and a width.
fn plinth(args: &[String]) -> (i32, String, String) {
    let output = Command::cargo_bin("plinth")
        .expect("the plinth binary")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .expect("plinth runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_command_output_the_docs_show_is_the_real_output() {
    let shown: Vec<Shown> = documents().iter().flat_map(|d| shown_outputs(d)).collect();
    let commands: Vec<String> = shown
        .iter()
        .map(|s| format!("{}: plinth {}", s.document, s.args.join(" ")))
        .collect();
    // The quickstart's compact lines and full report, the demo graph, the
    // compact format's example.
    for expected in [
        "README.md: plinth check --format compact fixtures/demo",
        "README.md: plinth check fixtures/demo",
        "README.md: plinth graph fixtures/demo",
        "docs/output-formats.md: plinth check --format compact fixtures/demo",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "no block for `{expected}` in {commands:?}"
        );
    }
    for s in &shown {
        let (code, stdout, stderr) = plinth(&s.args);
        assert_ne!(code, 2, "plinth {:?} failed: {stderr}", s.args);
        assert_eq!(
            s.block,
            stdout,
            "{} shows stale output for `plinth {}`",
            s.document,
            s.args.join(" ")
        );
    }
}

#[test]
fn the_quickstart_demo_exits_with_one_as_it_says() {
    let readme = read("README.md");
    assert!(readme.contains("exits with code 1, because it found\nproblems"));
    let (code, stdout, _) = plinth(&["check".into(), "fixtures/demo".into()]);
    assert_eq!(code, 1);
    assert!(stdout.ends_with("in 8 files, 42 resources.\n"), "{stdout}");
}

/// The commands of the quickstart's first `sh` block, comments removed.
fn quickstart_commands() -> Vec<String> {
    let readme = read("README.md");
    let quickstart = readme
        .split("\n## Quickstart\n")
        .nth(1)
        .expect("a Quickstart section");
    let block = quickstart
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("an sh block");
    block
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn ci_runs_the_quickstart_commands() {
    let commands = quickstart_commands();
    assert_eq!(
        commands,
        ["cargo run --release -- check fixtures/demo", "cargo test"]
    );
    let ci = read(".ci/run");
    for command in &commands {
        assert!(
            ci.lines()
                .any(|line| line.trim().starts_with(command.as_str())),
            ".ci/run does not run the README's `{command}`"
        );
    }
}

#[test]
fn the_pre_commit_file_list_is_the_hooks_own() {
    let hooks = read(".pre-commit-hooks.yaml");
    let patterns: Vec<&str> = hooks
        .lines()
        .filter_map(|line| line.trim().strip_prefix("files: "))
        .collect();
    assert_eq!(patterns.len(), 2, "two hooks, each with a files pattern");
    assert_eq!(patterns[0], patterns[1], "the hooks pass the same files");
    let extensions: Vec<String> = patterns[0]
        .strip_prefix(r"\.(")
        .and_then(|p| p.strip_suffix(")$"))
        .expect(r"a pattern of the form \.(a|b)$")
        .split('|')
        .map(|e| format!("`.{e}`"))
        .collect();
    assert!(extensions.len() >= 6, "{extensions:?}");
    for document in ["README.md", "docs/ci.md"] {
        let text = read(document);
        let list = text
            .split("the changed `.")
            .nth(1)
            .and_then(|t| t.split(" files").next())
            .map(|t| format!("`.{t}").replace('\n', " "))
            .unwrap_or_else(|| panic!("{document}: no list of changed files"));
        let listed: Vec<&str> = list
            .split([',', ' '])
            .filter(|w| w.starts_with("`."))
            .collect();
        assert_eq!(listed, extensions, "{document}'s pre-commit file list");
    }
}

/// Relative Markdown links (`](path)` and `](path#anchor)`) from `document`.
fn relative_links(document: &str) -> Vec<PathBuf> {
    let text = read(document);
    let base = root().join(document);
    let base = base.parent().expect("a folder");
    text.split("](")
        .skip(1)
        .filter_map(|after| after.split(')').next())
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .map(|target| base.join(target.split('#').next().unwrap_or(target)))
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_leads_to_a_file() {
    let mut checked = 0;
    for document in documents() {
        for target in relative_links(&document) {
            assert!(
                target.exists(),
                "{document} links to {}, which does not exist",
                target.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} links");
}

#[test]
fn the_example_languages_the_readme_names_are_those_explain_shows() {
    let readme = read("README.md");
    assert!(readme.contains("examples (in Terraform, Bicep or ARM, as the rule gives\nthem)"));
    let (code, rules, _) = plinth(&["rules".into(), "--format".into(), "json".into()]);
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&rules).expect("JSON");
    let mut seen = std::collections::BTreeSet::new();
    for rule in rules.as_array().expect("a list") {
        let id = rule["id"].as_str().expect("an id");
        let (code, text, _) = plinth(&["explain".into(), id.into()]);
        assert_eq!(code, 0, "{id}");
        for line in text.lines() {
            if let Some(language) = line
                .strip_prefix("Example (bad), ")
                .or_else(|| line.strip_prefix("Use instead, "))
            {
                seen.insert(language.trim_end_matches(':').to_string());
            }
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["ARM", "Bicep", "Terraform"],
        "the languages of plinth explain's examples"
    );
}
