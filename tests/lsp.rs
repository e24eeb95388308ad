//! `plinth lsp` spoken to over stdio as an editor would: JSON-RPC with
//! `Content-Length` headers. Open, change (unsaved), save and close a file;
//! hover on a finding; ask for code actions and apply them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start(dir: &Path) -> Server {
        Server::start_with(dir, json!({}))
    }

    /// A server for a client with these capabilities.
    fn start_with(dir: &Path, capabilities: Value) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plinth"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("plinth lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if send.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 0,
        };
        let init = server.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "plinth");
        assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (notifications before it
    /// are kept for `diagnostics`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == id {
                return message;
            }
        }
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.next();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    fn stop(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert!(response["error"].is_null(), "{response}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success());
    }
}

fn copy_case(case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("case");
    std::fs::create_dir_all(&dir).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(case);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    (temp, dir)
}

fn uri(path: &Path) -> String {
    plinth::lsp::uri_of_path(&std::path::absolute(path).unwrap())
}

/// Applies the one edit of a code action to `text`.
fn apply(text: &str, action: &Value, uri: &str) -> String {
    let edits = action["edit"]["changes"][uri]
        .as_array()
        .expect("an edit of this file");
    assert_eq!(edits.len(), 1);
    let edit = &edits[0];
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let character = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        // The fixtures are ASCII: UTF-16 units are bytes.
        start + character
    };
    let (start, end) = (
        offset(&edit["range"]["start"]),
        offset(&edit["range"]["end"]),
    );
    format!(
        "{}{}{}",
        &text[..start],
        edit["newText"].as_str().unwrap(),
        &text[end..]
    )
}

#[test]
fn diagnostics_hover_and_fixes_follow_the_unsaved_buffer() {
    let (_temp, dir) = copy_case("fixtures/PE002/bicep/bad");
    let file = dir.join("main.bicep");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = uri(&file);
    let mut server = Server::start(&dir);
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "bicep", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "PE002");
    assert_eq!(d["source"], "plinth");
    assert_eq!(d["severity"], 2);
    assert_eq!(
        d["codeDescription"]["href"],
        "https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy"
    );
    let line = text
        .lines()
        .position(|l| l.contains("privateEndpointNetworkPolicies: 'Disabled'"))
        .unwrap();
    assert_eq!(d["range"]["start"]["line"], line);
    let related = d["relatedInformation"].as_array().unwrap();
    assert!(
        related
            .iter()
            .any(|r| r["message"] == "network security group attached here"
                && r["location"]["uri"] == uri),
        "{related:?}"
    );

    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": d["range"]["start"]}),
    );
    let shown = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("PE002"), "{shown}");
    assert!(shown.contains("privateEndpointNetworkPolicies"), "{shown}");
    let nothing = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(nothing["result"].is_null());

    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"],
               "context": {"diagnostics": [d]}}),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Fix PE002: set privateEndpointNetworkPolicies to 'Enabled'",
            "Suppress PE002 with a reason (plinth:ignore)"
        ]
    );
    assert_eq!(actions[0]["isPreferred"], true);
    let fixed = apply(&text, &actions[0], &uri);
    assert!(fixed.contains("privateEndpointNetworkPolicies: 'Enabled'"));
    let suppressed = apply(&text, &actions[1], &uri);
    assert!(
        suppressed.contains("\n          // plinth:ignore PE002 <reason>\n          privateEndpointNetworkPolicies: 'Disabled'"),
        "{suppressed}"
    );

    // The fix, unsaved: the finding goes; the file on disk is untouched.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    // Several quick changes are checked once, as the last says.
    for (version, body) in [(3, &fixed), (4, &text), (5, &suppressed)] {
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": body}]}),
        );
    }
    let after = server.diagnostics(&uri);
    assert!(after.iter().all(|d| d["code"] != "PE002"), "{after:?}");

    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 6}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(server.diagnostics(&uri).len(), 1);
    server.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(server.diagnostics(&uri).len(), 1);
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    server.stop();
}

#[test]
fn terraform_suppressions_use_hash_comments_and_config_is_honoured() {
    let (_temp, dir) = copy_case("fixtures/DNS001/terraform/bad");
    let file = dir.join("main.tf");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = uri(&file);
    let mut server = Server::start(&dir);
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics(&uri);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "DNS001")
        .expect("DNS001");
    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let fixed = apply(&text, &actions[0], &uri);
    assert!(fixed.contains("registration_enabled  = false"), "{fixed}");
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress DNS001"))
        .unwrap();
    let suppressed = apply(&text, suppress, &uri);
    assert!(suppressed.contains("  # plinth:ignore DNS001 <reason>\n  registration_enabled"));
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": suppressed}]}),
    );
    let after = server.diagnostics(&uri);
    assert!(after.iter().all(|d| d["code"] != "DNS001"), "{after:?}");

    // A .plinth.yaml saved next to it applies to the next check.
    std::fs::write(dir.join(".plinth.yaml"), "rules:\n  disable: [DNS001]\n").unwrap();
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]}),
    );
    let after = server.diagnostics(&uri);
    assert!(after.iter().all(|d| d["code"] != "DNS001"), "{after:?}");
    server.stop();
}

#[test]
fn a_config_changed_on_disk_rechecks_the_open_units() {
    let (_temp, dir) = copy_case("fixtures/DNS001/terraform/bad");
    let file = dir.join("main.tf");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = uri(&file);
    let mut server = Server::start_with(
        &dir,
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    );
    // The server asks to be told of `.plinth.yaml` changes.
    let registration = loop {
        let message = server.next();
        if message["method"] == "client/registerCapability" {
            break message;
        }
    };
    let options = &registration["params"]["registrations"][0];
    assert_eq!(options["method"], "workspace/didChangeWatchedFiles");
    let globs = options["registerOptions"]["watchers"].to_string();
    assert!(globs.contains(".plinth.{yaml,yml}"), "{globs}");
    server.send(&json!({"jsonrpc": "2.0", "id": registration["id"], "result": null}));

    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": text}}),
    );
    let before = server.diagnostics(&uri);
    assert!(before.iter().any(|d| d["code"] == "DNS001"), "{before:?}");
    // The configuration changes outside the editor: the open file is
    // checked again with it, without an edit.
    let config = dir.join(".plinth.yaml");
    std::fs::write(&config, "rules:\n  disable: [DNS001]\n").unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": self::uri(&config), "type": 1}]}),
    );
    let after = server.diagnostics(&uri);
    assert!(after.iter().all(|d| d["code"] != "DNS001"), "{after:?}");
    server.stop();
}

#[test]
fn only_fixes_that_fix_check_would_keep_are_offered() {
    // The zone rename is right where every reference follows the zone, and
    // refused where a second link spells the zone's old name.
    for (case, offered) in [
        ("fixtures/PE004/terraform/bad", true),
        ("fixtures/PE004/terraform/bad-zone-named-twice", false),
    ] {
        let (_temp, dir) = copy_case(case);
        let file = dir.join("main.tf");
        let text = std::fs::read_to_string(&file).unwrap();
        let uri = uri(&file);
        let mut server = Server::start(&dir);
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": text}}),
        );
        let diagnostics = server.diagnostics(&uri);
        let d = diagnostics
            .iter()
            .find(|d| d["code"] == "PE004")
            .expect("PE004");
        let actions = server.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
        );
        let titles: Vec<&str> = actions["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles.iter().any(|t| t.starts_with("Fix PE004")),
            offered,
            "{case}: {titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.starts_with("Suppress PE004")),
            "{case}: {titles:?}"
        );
        server.stop();
    }
}

#[test]
fn a_parameter_file_shares_its_templates_unit() {
    // main.bicepparam is checked with main.bicep: opening and closing it
    // must not clear the template's diagnostics.
    let (_temp, dir) = copy_case("fixtures/PE004/bicep/bad-parameter-file");
    let template = dir.join("main.bicep");
    let parameters = dir.join("main.bicepparam");
    let (template_uri, parameters_uri) = (uri(&template), uri(&parameters));
    let mut server = Server::start(&dir);
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": template_uri, "languageId": "bicep", "version": 1,
            "text": std::fs::read_to_string(&template).unwrap()}}),
    );
    let diagnostics = server.diagnostics(&template_uri);
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "PE004")
        .expect("PE004")
        .clone();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": parameters_uri, "languageId": "bicep-params", "version": 1,
            "text": std::fs::read_to_string(&parameters).unwrap()}}),
    );
    // Checked with its template: the parameter file's own (empty) list.
    assert_eq!(server.diagnostics(&parameters_uri), Vec::<Value>::new());
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": parameters_uri}}),
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": template_uri}, "position": d["range"]["start"]}),
    );
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("PE004")),
        "{hover}"
    );
    server.stop();
}
