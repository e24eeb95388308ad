//! The integration tests, as one test binary: each `tests/<name>.rs` is a
//! module here, run with `cargo test` (one of them: `cargo test --test suite
//! <name>::`). One binary instead of one per file saves a link of every
//! dependency per file (issue #22, BENCHMARKS.md). `tests/fixtures.rs` and
//! `tests/fix.rs` stay binaries of their own: insta names snapshots by
//! module path, and theirs are named for a crate of their own.
//!
//! Cargo.toml sets `autotests = false`, so a new `tests/*.rs` builds only
//! when declared: `every_test_file_is_built` fails until it is, here or as a
//! `[[test]]` of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod action;
mod action_inputs;
mod action_install;
mod architecture;
mod bicep;
mod bicep_cache;
mod bicep_cli;
mod cli;
mod expressions;
mod graph;
mod honest;
mod hostile_budget;
mod hostile_depth;
mod hostile_files;
mod hostile_output;
mod limits;
mod lsp;
mod modules;
mod quiet;
mod readme;
mod sarif;
mod terraform_syntax;
mod variable_defaults;

/// Fills `root` with 300 folders of a file plinth does not read: a folder
/// past the walk's first 256 entries is walked on every core
/// (`discover::SERIAL_WALK_ENTRIES`).
fn large_folder(root: &std::path::Path) {
    for i in 0..300 {
        let pad = root.join(format!("pad/d{i:03}"));
        std::fs::create_dir_all(&pad).expect("mkdir");
        std::fs::write(pad.join("README.md"), "not a template\n").expect("write");
    }
}

/// Every `tests/*.rs` is a module of this binary or a `[[test]]` target of
/// Cargo.toml (`autotests = false` would skip it silently).
#[test]
fn every_test_file_is_built() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = std::fs::read_to_string(root.join("tests/suite.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut unbuilt = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".rs") else {
            continue;
        };
        let module = suite.lines().any(|l| l == format!("mod {stem};"));
        let target = manifest.contains(&format!("path = \"tests/{name}\""));
        if !module && !target {
            unbuilt.push(name);
        }
    }
    assert!(
        unbuilt.is_empty(),
        "tests/ files no test binary builds (declare them in tests/suite.rs): {unbuilt:?}"
    );
}
