//! `plinth lsp`: a language server over stdio. Each open file's unit (the
//! Terraform module of a `.tf` file, a Bicep file with its modules, an ARM
//! template with its parameter file) is checked from the editor's unsaved
//! buffers, a moment after the last change (debounced), with the nearest
//! `.plinth.yaml` read anew each time (so a change to it applies at once).
//! Diagnostics carry the labels as related information and link the rule's
//! docs; hover on a finding shows `plinth explain`; code actions offer the
//! rule's fix (safe ones first and preferred) and a `plinth:ignore` comment.
//!
//! Built on `lsp-server` and `lsp-types` (rust-analyzer's): a synchronous
//! loop on two threads, no async runtime — the check is CPU-bound and runs
//! in the loop, and a server that needs no executor builds leaner.

mod text;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::Value as Json;

use crate::diagnostic::{Finding, Problem, Severity};
use crate::fix::Lang;
use crate::source::SourceMap;
use crate::{ConfigChoice, Options, paths};

pub use text::{path_of_uri, position_at, uri_of_path};

/// How long after the last change a unit is checked again: long enough to
/// take the changes of one burst of typing together, short enough that the
/// answer comes within 50 ms (checking a 1,000-line template takes a few
/// milliseconds; `bench/lsp_latency.py` measures the whole round trip).
const DEBOUNCE: Duration = Duration::from_millis(25);

/// One diagnostic as published, with what hover and code actions need.
#[derive(Clone, Debug)]
struct Item {
    diagnostic: lsp::Diagnostic,
    rule: String,
    /// `plinth explain` of the rule, in Markdown.
    docs: Option<String>,
    /// The fix: title, safe, where and what.
    fix: Option<(String, bool, lsp::Uri, lsp::TextEdit)>,
    /// The fix as plinth plans it (the file and the edit in bytes), to
    /// try before offering it.
    planned: Option<(PathBuf, crate::fix::Edit)>,
    /// The `plinth:ignore` comment line to insert, when the file takes comments.
    suppress: Option<lsp::TextEdit>,
}

#[derive(Default)]
struct State {
    /// Open documents' texts, by absolute path.
    open: HashMap<PathBuf, Arc<str>>,
    /// The units to check again once the debounce has passed.
    dirty: HashSet<PathBuf>,
    deadline: Option<Instant>,
    /// What each unit last published: its files' URIs.
    published: HashMap<PathBuf, HashSet<String>>,
    /// The items published per document URI.
    items: HashMap<String, Vec<Item>>,
    /// Options from the command line (`--rules`, `--config`).
    base: Options,
}

/// The files whose changes on disk re-check the open units: the
/// configuration, and every kind of file a unit may read.
const WATCHED: [&str; 4] = [
    "**/.plinth.{yaml,yml}",
    "**/*.{tf,tfvars,tf.json,tfvars.json}",
    "**/*.{bicep,bicepparam}",
    "**/*.{json,jsonc}",
];

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn serve(base: Options) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io) = Connection::stdio();
    let capabilities = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    let info = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": {"name": "plinth", "version": env!("CARGO_PKG_VERSION")},
    });
    let (id, params) = connection.initialize_start()?;
    connection.initialize_finish(id, info)?;
    // Told when `.plinth.yaml`, or a file of an open unit that is not open
    // itself (a module, a parameter file), changes on disk, by a client
    // that can watch files for its server.
    if params["capabilities"]["workspace"]["didChangeWatchedFiles"]["dynamicRegistration"]
        == Json::Bool(true)
    {
        let watchers: Vec<Json> = WATCHED
            .iter()
            .map(|glob| serde_json::json!({"globPattern": glob}))
            .collect();
        connection.sender.send(Message::Request(Request::new(
            lsp_server::RequestId::from("plinth/watch".to_string()),
            "client/registerCapability".to_string(),
            serde_json::json!({"registrations": [{
                "id": "plinth/watch",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": {"watchers": watchers},
            }]}),
        )))?;
    }
    let mut state = State {
        base,
        ..State::default()
    };
    run(&connection, &mut state)?;
    drop(connection);
    io.join()?;
    Ok(())
}

fn run(
    connection: &Connection,
    state: &mut State,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    loop {
        let message = match state.deadline {
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                match connection.receiver.recv_timeout(wait) {
                    Ok(message) => Some(message),
                    Err(crossbeam_timeout) if crossbeam_timeout.is_timeout() => None,
                    Err(_) => return Ok(()),
                }
            }
            None => match connection.receiver.recv() {
                Ok(message) => Some(message),
                Err(_) => return Ok(()),
            },
        };
        match message {
            None => analyze(connection, state)?,
            Some(Message::Request(request)) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                // Answer from what the buffers say now.
                if !state.dirty.is_empty() {
                    analyze(connection, state)?;
                }
                let response = answer(state, &request);
                connection.sender.send(Message::Response(response))?;
            }
            Some(Message::Notification(notification)) => {
                if notification.method == "exit" {
                    return Ok(());
                }
                notified(connection, state, &notification)?;
            }
            Some(Message::Response(_)) => {}
        }
    }
}

/// The unit a file belongs to: a Terraform file's module folder; a
/// parameter file's template (`main.bicepparam`'s `using` target,
/// `main.parameters.json`'s `main.json`), which is checked with it, so both
/// documents share one unit; else the file.
fn unit_of(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tf.json") {
        path.parent()
            .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
    } else if let Some(template) = crate::frontend::template_of_parameters(path) {
        template
    } else {
        path.to_path_buf()
    }
}

fn notified(
    connection: &Connection,
    state: &mut State,
    notification: &Notification,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let params = &notification.params;
    let uri_path = |p: &Json| {
        p["textDocument"]["uri"]
            .as_str()
            .and_then(path_of_uri)
            .map(|p| paths::absolute(&p))
    };
    match notification.method.as_str() {
        "textDocument/didOpen" => {
            if let (Some(path), Some(text)) =
                (uri_path(params), params["textDocument"]["text"].as_str())
            {
                state.open.insert(path.clone(), Arc::from(text));
                mark(state, &path, Duration::ZERO);
            }
        }
        "textDocument/didChange" => {
            // Full sync: the last change holds the whole text.
            let text = params["contentChanges"]
                .as_array()
                .and_then(|c| c.last())
                .and_then(|c| c["text"].as_str());
            if let (Some(path), Some(text)) = (uri_path(params), text) {
                state.open.insert(path.clone(), Arc::from(text));
                mark(state, &path, DEBOUNCE);
            }
        }
        "textDocument/didSave" => {
            if let Some(path) = uri_path(params) {
                if let Some(text) = params["text"].as_str() {
                    state.open.insert(path.clone(), Arc::from(text));
                }
                // A saved `.plinth.yaml` changes how every open unit is checked.
                if is_config(&path) {
                    let units: Vec<PathBuf> = state.open.keys().map(|p| unit_of(p)).collect();
                    state.dirty.extend(units);
                    state.deadline = Some(Instant::now());
                } else {
                    mark(state, &path, Duration::ZERO);
                }
            }
        }
        "textDocument/didClose" => {
            if let Some(path) = uri_path(params) {
                state.open.remove(&path);
                let unit = unit_of(&path);
                let still_open = state.open.keys().any(|p| unit_of(p) == unit);
                if still_open {
                    mark(state, &path, Duration::ZERO);
                } else if let Some(uris) = state.published.remove(&unit) {
                    for uri in uris {
                        state.items.remove(&uri);
                        publish(connection, &uri, Vec::new())?;
                    }
                }
            }
        }
        "workspace/didChangeWatchedFiles" => {
            let units: Vec<PathBuf> = state.open.keys().map(|p| unit_of(p)).collect();
            state.dirty.extend(units);
            state.deadline = Some(Instant::now());
        }
        _ => {}
    }
    Ok(())
}

fn is_config(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == ".plinth.yaml" || n == ".plinth.yml")
}

fn mark(state: &mut State, path: &Path, after: Duration) {
    if is_config(path) {
        return;
    }
    state.dirty.insert(unit_of(path));
    let at = Instant::now() + after;
    state.deadline = Some(state.deadline.map_or(at, |d| d.max(at)));
}

/// Checks every dirty unit and publishes its diagnostics.
fn analyze(
    connection: &Connection,
    state: &mut State,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    state.deadline = None;
    let units: Vec<PathBuf> = state.dirty.drain().collect();
    for unit in units {
        let by_uri = check_unit(state, &unit);
        let before = state.published.remove(&unit).unwrap_or_default();
        let mut now = HashSet::new();
        for (uri, items) in by_uri {
            publish(
                connection,
                &uri,
                items.iter().map(|i| i.diagnostic.clone()).collect(),
            )?;
            state.items.insert(uri.clone(), items);
            now.insert(uri);
        }
        for uri in before.difference(&now) {
            state.items.remove(uri);
            publish(connection, uri, Vec::new())?;
        }
        state.published.insert(unit, now);
    }
    Ok(())
}

/// The options that check `unit` from the editor's buffers.
fn unit_options(state: &State, unit: &Path) -> Options {
    let overlay: crate::source::Overlay = state
        .open
        .iter()
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    Options {
        paths: vec![unit.to_path_buf()],
        overlay: Arc::new(overlay),
        ..state.base.clone()
    }
}

/// The items of one unit's check, by document URI.
fn check_unit(state: &State, unit: &Path) -> HashMap<String, Vec<Item>> {
    let run = crate::check(&unit_options(state, unit));
    let docs: HashMap<&str, &str> = run
        .report
        .rules
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.markdown.as_deref()?)))
        .collect();
    let mut by_uri: HashMap<String, Vec<Item>> = HashMap::new();
    for finding in &run.report.findings {
        let Some((uri, item)) =
            finding_item(&run.sources, finding, docs.get(finding.rule.as_str()))
        else {
            continue;
        };
        by_uri.entry(uri).or_default().push(item);
    }
    for problem in &run.report.problems {
        if let Some((uri, item)) = problem_item(&run.sources, problem) {
            by_uri.entry(uri).or_default().push(item);
        }
    }
    // A file of the unit with nothing to say still gets its (empty) list.
    for path in state.open.keys().filter(|p| unit_of(p) == unit) {
        by_uri.entry(uri_of_path(path)).or_default();
    }
    by_uri
}

fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

fn finding_item(
    sources: &SourceMap,
    finding: &Finding,
    docs: Option<&&str>,
) -> Option<(String, Item)> {
    let file = sources.get(finding.primary.span.file);
    let path = paths::absolute(&file.path);
    let uri = uri_of_path(&path);
    let range = text::range(&file.text, finding.primary.span);
    let related = finding
        .related
        .iter()
        .filter_map(|label| {
            let other = sources.get(label.span.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: uri_of_path(&paths::absolute(&other.path)).parse().ok()?,
                    range: text::range(&other.text, label.span),
                },
                message: label.text.clone(),
            })
        })
        .collect::<Vec<_>>();
    let mut message = finding.message.clone();
    if !finding.primary.text.is_empty() {
        message.push_str(&format!(" ({})", finding.primary.text));
    }
    let diagnostic = lsp::Diagnostic {
        range,
        severity: Some(severity(finding.severity)),
        code: Some(lsp::NumberOrString::String(finding.rule.clone())),
        code_description: finding
            .url
            .as_deref()
            .and_then(|u| u.parse().ok())
            .map(|href| lsp::CodeDescription { href }),
        source: Some("plinth".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    let planned = crate::fix::plan(finding, sources);
    let planned_at = planned
        .as_ref()
        .map(|p| (paths::absolute(&sources.path(p.edit.file)), p.edit.clone()));
    let fix = planned.and_then(|planned| {
        let target = sources.get(planned.edit.file);
        let target_uri: lsp::Uri = uri_of_path(&paths::absolute(&target.path)).parse().ok()?;
        let span =
            crate::source::Span::new(planned.edit.file, planned.edit.start, planned.edit.end);
        Some((
            planned.title,
            planned.safe,
            target_uri,
            lsp::TextEdit {
                range: text::range(&target.text, span),
                new_text: planned.edit.text,
            },
        ))
    });
    let suppress = Lang::of(&path).map(|lang| {
        let line_start = file.text[..(finding.primary.span.start as usize).min(file.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let indent: String = file.text[line_start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let at = position_at(&file.text, line_start);
        lsp::TextEdit {
            range: lsp::Range { start: at, end: at },
            new_text: format!(
                "{indent}{} plinth:ignore {} <reason>\n",
                lang.line_comment(),
                finding.rule
            ),
        }
    });
    Some((
        uri,
        Item {
            diagnostic,
            rule: finding.rule.clone(),
            docs: docs.map(|d| (*d).to_string()),
            fix,
            planned: planned_at,
            suppress,
        },
    ))
}

fn problem_item(sources: &SourceMap, problem: &Problem) -> Option<(String, Item)> {
    let path = paths::absolute(problem.path.as_deref()?);
    let range = match problem.span {
        Some(span) => text::range(&sources.get(span.file).text, span),
        None => lsp::Range::default(),
    };
    let mut message = problem.message.clone();
    if let Some(help) = &problem.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    Some((
        uri_of_path(&path),
        Item {
            diagnostic: lsp::Diagnostic {
                range,
                severity: Some(lsp::DiagnosticSeverity::ERROR),
                code: Some(lsp::NumberOrString::String(problem.code.to_string())),
                source: Some("plinth".into()),
                message,
                ..Default::default()
            },
            rule: problem.code.to_string(),
            docs: None,
            fix: None,
            planned: None,
            suppress: None,
        },
    ))
}

fn publish(
    connection: &Connection,
    uri: &str,
    diagnostics: Vec<lsp::Diagnostic>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let params = serde_json::json!({"uri": uri, "diagnostics": diagnostics});
    connection
        .sender
        .send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            params,
        )))?;
    Ok(())
}

fn within(range: &lsp::Range, at: &lsp::Range) -> bool {
    let before =
        |a: &lsp::Position, b: &lsp::Position| (a.line, a.character) <= (b.line, b.character);
    before(&range.start, &at.end) && before(&at.start, &range.end)
}

fn answer(state: &State, request: &Request) -> Response {
    let params = &request.params;
    let uri = params["textDocument"]["uri"].as_str().unwrap_or_default();
    let items = state.items.get(uri).map(Vec::as_slice).unwrap_or_default();
    match request.method.as_str() {
        "textDocument/hover" => {
            let Ok(at) = serde_json::from_value::<lsp::Position>(params["position"].clone()) else {
                return Response::new_ok(request.id.clone(), Json::Null);
            };
            let point = lsp::Range { start: at, end: at };
            let docs: Vec<String> = items
                .iter()
                .filter(|i| within(&i.diagnostic.range, &point))
                .filter_map(|i| i.docs.clone())
                .collect::<Vec<_>>();
            if docs.is_empty() {
                return Response::new_ok(request.id.clone(), Json::Null);
            }
            let hover = lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: docs.join("\n\n---\n\n"),
                }),
                range: None,
            };
            Response::new_ok(request.id.clone(), hover)
        }
        "textDocument/codeAction" => {
            let Ok(range) = serde_json::from_value::<lsp::Range>(params["range"].clone()) else {
                return Response::new_ok(request.id.clone(), Json::Null);
            };
            let Ok(doc_uri) = uri.parse::<lsp::Uri>() else {
                return Response::new_ok(request.id.clone(), Json::Null);
            };
            // A fix is offered only if `--fix` would keep it: tried on the
            // unit with the buffers as they are (two checks of one unit).
            // The unit that published the document's diagnostics (a module
            // file's come from its caller's unit too), else its own.
            let unit = state
                .published
                .iter()
                .find(|(_, uris)| uris.contains(uri))
                .map(|(unit, _)| unit.clone())
                .or_else(|| path_of_uri(uri).map(|p| unit_of(&paths::absolute(&p))));
            let items: Vec<Item> = items
                .iter()
                .filter(|i| within(&i.diagnostic.range, &range))
                .map(|item| {
                    let mut item = item.clone();
                    let holds = match (&unit, &item.planned) {
                        (Some(unit), Some((path, edit))) => crate::fix::run::holds(
                            &unit_options(state, unit),
                            &item.rule,
                            path,
                            edit,
                        ),
                        _ => false,
                    };
                    if !holds {
                        item.fix = None;
                    }
                    item
                })
                .collect();
            Response::new_ok(request.id.clone(), actions(&items, &range, &doc_uri))
        }
        _ => Response::new_err(
            request.id.clone(),
            lsp_server::ErrorCode::MethodNotFound as i32,
            format!("plinth does not answer {}", request.method),
        ),
    }
}

/// The quick fixes for the items at `range`: every safe fix, then every
/// unsafe one, then a suppression per rule.
fn actions(items: &[Item], range: &lsp::Range, doc_uri: &lsp::Uri) -> Vec<lsp::CodeAction> {
    let here: Vec<&Item> = items
        .iter()
        .filter(|i| within(&i.diagnostic.range, range))
        .collect();
    let mut out = Vec::new();
    for safe in [true, false] {
        for item in &here {
            let Some((title, is_safe, uri, edit)) = &item.fix else {
                continue;
            };
            if *is_safe != safe {
                continue;
            }
            let label = if safe {
                format!("Fix {}: {title}", item.rule)
            } else {
                format!("Fix {}: {title} (unsafe)", item.rule)
            };
            out.push(action(label, &item.diagnostic, uri, edit.clone(), safe));
        }
    }
    let mut suppressed = HashSet::new();
    for item in here {
        if let Some(edit) = &item.suppress
            && suppressed.insert(item.rule.clone())
        {
            out.push(action(
                format!("Suppress {} with a reason (plinth:ignore)", item.rule),
                &item.diagnostic,
                doc_uri,
                edit.clone(),
                false,
            ));
        }
    }
    out
}

fn action(
    title: String,
    diagnostic: &lsp::Diagnostic,
    uri: &lsp::Uri,
    edit: lsp::TextEdit,
    preferred: bool,
) -> lsp::CodeAction {
    #[allow(clippy::mutable_key_type)] // lsp-types keys edits by Uri
    let changes = HashMap::from([(uri.clone(), vec![edit])]);
    lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }),
        is_preferred: preferred.then_some(true),
        ..Default::default()
    }
}

/// The options `plinth lsp` checks with: the config found next to each
/// file unless one is named.
pub fn options(rule_dirs: Vec<PathBuf>, config: ConfigChoice) -> Options {
    Options {
        rule_dirs,
        config,
        // Hover shows each rule's documentation.
        rule_docs: true,
        ..Options::default()
    }
}
