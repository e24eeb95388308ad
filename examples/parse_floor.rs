//! The floor for `plinth check`: discover the same inputs, read every file
//! and parse it (JSON with jsonc-parser, HCL with hcl-edit), in parallel, and
//! nothing more. `bench/run.sh` compares the whole pipeline against it.
//!
//!     cargo run --release --example parse_floor -- /tmp/corpus
#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool, not plinth

use std::path::PathBuf;
use std::time::Instant;

use plinth::discover::{Input, discover};
use plinth::source::FileId;
use rayon::prelude::*;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let started = Instant::now();
    let found = discover(&paths, &[], plinth::limits::threads);
    let files: Vec<PathBuf> = found
        .inputs
        .iter()
        .flat_map(|input| match input {
            Input::Json { path, .. }
            | Input::Bicep { path, .. }
            | Input::BicepParameters { path } => vec![path.clone()],
            Input::TerraformModule { files, .. } => files.clone(),
        })
        .collect();
    let (bytes, failed) = files
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return (0, 1);
            };
            let parsed = if path.extension().is_some_and(|e| e == "tf") {
                hcl_edit::parser::parse_body(&text).is_ok()
            } else if path.extension().is_some_and(|e| e == "bicep") {
                plinth::bicep::syntax::parse(FileId(0), &text).is_ok()
            } else {
                plinth::json::parse(FileId(0), &text, 512).is_ok()
            };
            (text.len(), usize::from(!parsed))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} files, {:.1} MB, {failed} unparsed, {seconds:.3} s, {:.1} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / seconds
    );
}
