//! How the GitHub Action gets plinth (`action/install.sh`), against a local
//! HTTP server (`python3 -m http.server` on 127.0.0.1, an ephemeral port)
//! serving a fake release: a good checksum installs, a bad one fails and
//! installs nothing, a missing asset falls back to building (a stub command
//! here, not `cargo install`). Also what `action.yml` must keep, since
//! actionlint does not check composite actions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const VERSION: &str = "9.8.7";
const ASSET: &str = "plinth-x86_64-unknown-linux-musl";
const FAKE_BINARY: &str = "#!/bin/sh\necho fake plinth from the release\n";

/// A static file server on an ephemeral port, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn serve(dir: &Path) -> Server {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server announces its port");
        let port: u16 = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The action as the runner checks it out, `…/_actions/<owner>/<repo>/<ref>`,
/// with a Cargo.toml of `VERSION`; the release folder the server serves.
struct Setup {
    dir: tempfile::TempDir,
    action: PathBuf,
    release: PathBuf,
}

fn setup(action_ref: &str) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let action = dir.path().join("_actions/acme/plinth").join(action_ref);
    std::fs::create_dir_all(&action).unwrap();
    std::fs::write(
        action.join("Cargo.toml"),
        format!("[package]\nname = \"plinth\"\nversion = \"{VERSION}\"\n"),
    )
    .unwrap();
    std::fs::write(action.join("Cargo.lock"), "# lock one\n").unwrap();
    let release = dir
        .path()
        .join("srv/acme/plinth/releases/download")
        .join(format!("v{VERSION}"));
    std::fs::create_dir_all(&release).unwrap();
    Setup {
        dir,
        action,
        release,
    }
}

fn publish(release: &Path, binary: &str, checksum: &str) {
    std::fs::write(release.join(ASSET), binary).unwrap();
    std::fs::write(
        release.join(format!("{ASSET}.sha256")),
        format!("{checksum}  {ASSET}\n"),
    )
    .unwrap();
}

fn sha256_hex(text: &str) -> String {
    let output = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("sha256sum runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

struct Step {
    code: i32,
    log: String,
    outputs: String,
}

/// Runs `install.sh MODE` as action.yml does, with github.action_ref and
/// github.action_repository empty (as inside a composite action).
fn install(setup: &Setup, server: &str, mode: &str) -> Step {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output_file = setup.dir.path().join("output");
    std::fs::write(&output_file, "").unwrap();
    let output = Command::new("bash")
        .arg(root.join("action/install.sh"))
        .arg(mode)
        .env("ACTION_PATH", &setup.action)
        .env("ACTION_REPOSITORY", "")
        .env("ACTION_REF", "")
        .env("PLINTH_ROOT", setup.dir.path().join("tool"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("PLINTH_RELEASES_URL", server)
        .env(
            "PLINTH_BUILD",
            format!("touch '{}'", setup.dir.path().join("built").display()),
        )
        .env("GITHUB_OUTPUT", &output_file)
        .output()
        .expect("bash runs");
    Step {
        code: output.status.code().unwrap_or(-1),
        log: String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
        outputs: std::fs::read_to_string(&output_file).unwrap_or_default(),
    }
}

fn installed(setup: &Setup) -> PathBuf {
    setup.dir.path().join("tool/bin/plinth")
}

#[test]
fn a_release_with_a_good_checksum_is_installed_and_runs() {
    let setup = setup(&format!("v{VERSION}"));
    publish(&setup.release, FAKE_BINARY, &sha256_hex(FAKE_BINARY));
    let server = Server::serve(&setup.dir.path().join("srv"));

    let step = install(&setup, &server.url, "download");
    assert_eq!(step.code, 0, "{}", step.log);
    assert!(
        step.outputs.contains("installed=true\n"),
        "{}",
        step.outputs
    );
    let run = Command::new(installed(&setup)).output().expect("it runs");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "fake plinth from the release\n"
    );
    assert!(!setup.dir.path().join("built").exists(), "no build needed");
}

#[test]
fn a_release_with_a_bad_checksum_fails_and_installs_nothing() {
    let setup = setup(&format!("v{VERSION}"));
    publish(
        &setup.release,
        "#!/bin/sh\necho tampered\n",
        &sha256_hex(FAKE_BINARY),
    );
    let server = Server::serve(&setup.dir.path().join("srv"));

    let step = install(&setup, &server.url, "download");
    assert_eq!(step.code, 1, "{}", step.log);
    assert!(step.log.contains("checksum mismatch for"), "{}", step.log);
    assert!(step.log.contains("not installed"), "{}", step.log);
    assert!(!installed(&setup).exists());
    assert!(!step.outputs.contains("installed=true"), "{}", step.outputs);
}

#[test]
fn a_release_without_its_checksum_file_fails_and_installs_nothing() {
    let setup = setup(&format!("v{VERSION}"));
    std::fs::write(setup.release.join(ASSET), FAKE_BINARY).unwrap();
    let server = Server::serve(&setup.dir.path().join("srv"));

    let step = install(&setup, &server.url, "download");
    assert_eq!(step.code, 1, "{}", step.log);
    assert!(
        step.log.contains(".sha256 failed (HTTP 404)"),
        "{}",
        step.log
    );
    assert!(!installed(&setup).exists());
}

#[test]
fn a_missing_asset_falls_back_to_building() {
    let setup = setup(&format!("v{VERSION}"));
    // The release exists, but not for this runner.
    publish(&setup.release, FAKE_BINARY, &sha256_hex(FAKE_BINARY));
    std::fs::remove_file(setup.release.join(ASSET)).unwrap();
    let server = Server::serve(&setup.dir.path().join("srv"));

    let step = install(&setup, &server.url, "download");
    assert_eq!(step.code, 0, "{}", step.log);
    assert!(
        step.outputs.contains("installed=false\n"),
        "{}",
        step.outputs
    );
    assert!(step.log.contains("building from source"), "{}", step.log);
    assert!(!installed(&setup).exists());

    let build = install(&setup, &server.url, "build");
    assert_eq!(build.code, 0, "{}", build.log);
    assert!(setup.dir.path().join("built").exists(), "{}", build.log);
}

#[test]
fn a_branch_ref_builds_without_asking_the_server() {
    let setup = setup("main");
    publish(&setup.release, FAKE_BINARY, &sha256_hex(FAKE_BINARY));
    // Nothing listens here: a request would fail the step.
    let step = install(&setup, "http://127.0.0.1:9", "download");
    assert_eq!(step.code, 0, "{}", step.log);
    assert!(
        step.outputs.contains("installed=false\n"),
        "{}",
        step.outputs
    );
    assert!(step.log.contains("ref 'main' is not the release tag"));
}

#[test]
fn the_build_cache_key_follows_version_and_cargo_lock_not_the_action_ref() {
    let key = |step: &Step| {
        step.outputs
            .lines()
            .find_map(|l| l.strip_prefix("cache-key="))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no cache-key in {}", step.outputs))
    };
    let setup = setup("main");
    let first = key(&install(&setup, "http://127.0.0.1:9", "download"));
    assert!(
        first.starts_with(&format!("plinth-Linux-X64-{VERSION}-")),
        "{first}"
    );
    assert_eq!(
        first,
        key(&install(&setup, "http://127.0.0.1:9", "download")),
        "stable"
    );
    std::fs::write(setup.action.join("Cargo.lock"), "# lock two\n").unwrap();
    let second = key(&install(&setup, "http://127.0.0.1:9", "download"));
    assert_ne!(first, second, "a new Cargo.lock is a new build");
}

/// actionlint checks workflows, not composite actions: this keeps the keys
/// the runner needs and the wiring between the steps.
#[test]
fn action_yml_is_a_composite_action_that_downloads_then_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let action: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    for key in ["name", "description", "inputs", "outputs", "runs"] {
        assert!(action.get(key).is_some(), "no {key}");
    }
    for input in ["path", "fail-on", "config", "format", "sarif-file", "args"] {
        assert!(
            action["inputs"][input]["description"].is_string(),
            "{input}"
        );
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    for step in steps {
        if step.get("run").is_some() {
            assert_eq!(step["shell"].as_str(), Some("bash"), "{step:?}");
        }
    }
    let ids: Vec<&str> = steps.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["download", "cache", "plinth"]);
    assert!(!text.contains("action_ref ||"), "action_ref is empty here");
    assert!(text.contains("key: ${{ steps.download.outputs.cache-key }}"));
}
