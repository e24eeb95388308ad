//! Reads every `.bicep` and `.bicepparam` file under a folder with plinth's
//! Bicep parser and reports the ones it cannot parse; then, for every
//! `main.bicep` with its compiled `main.json` beside it (as Azure Verified
//! Modules ship them), compares what plinth reads from each: the deployed
//! resources (type, name, whether deployed) and the findings.
//!
//!     cargo run --release --example bicep_corpus -- DIR [--verbose]

use std::path::Path;

use plinth::Loaded;
use plinth::bicep::syntax;
use plinth::limits::Limits;
use plinth::model::Truth;
use plinth::source::{FileId, SourceMap};

fn resources(loaded: &Loaded) -> Vec<(String, String, &'static str)> {
    let mut out: Vec<_> = loaded
        .units
        .iter()
        .flat_map(|u| &u.resources)
        .filter(|r| r.managed)
        .map(|r| {
            (
                r.rtype.to_ascii_lowercase(),
                r.full_name()
                    .unwrap_or_else(|| "?".into())
                    .to_ascii_lowercase(),
                match r.exists {
                    Truth::True => "yes",
                    Truth::False => "no",
                    Truth::Unknown => "maybe",
                },
            )
        })
        .collect();
    out.sort();
    out
}

/// Rule ids of the findings `plinth check` reports for one file.
fn findings(path: &Path) -> Vec<String> {
    let options = plinth::Options {
        paths: vec![path.to_path_buf()],
        ..plinth::Options::default()
    };
    let mut rules: Vec<String> = plinth::check(&options)
        .report
        .findings
        .into_iter()
        .map(|f| format!("{} {}", f.rule, f.resource.name))
        .collect();
    rules.sort();
    rules
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: bicep_corpus DIR");
        std::process::exit(2);
    };
    let (mut files, mut failed) = (0, 0);
    for entry in ignore::WalkBuilder::new(&dir)
        .hidden(false)
        .build()
        .flatten()
    {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str());
        if !matches!(ext, Some("bicep" | "bicepparam")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        files += 1;
        if let Err(e) = syntax::parse(FileId(0), &text) {
            failed += 1;
            let line = text[..e.start.min(text.len())].matches('\n').count() + 1;
            let snippet: String = text[e.start.min(text.len())..].chars().take(40).collect();
            println!("{}:{line}: {} at {snippet:?}", path.display(), e.message);
        }
    }
    println!("{files} files, {failed} not parsed");

    let verbose = std::env::args().any(|a| a == "--verbose");
    let (mut pairs, mut same_model, mut same_findings) = (0, 0, 0);
    for entry in ignore::WalkBuilder::new(&dir)
        .hidden(false)
        .build()
        .flatten()
    {
        let bicep = entry.path();
        if bicep.file_name().and_then(|n| n.to_str()) != Some("main.bicep") {
            continue;
        }
        let json = bicep.with_extension("json");
        if !json.is_file() {
            continue;
        }
        pairs += 1;
        let sources = SourceMap::new();
        let b = plinth::bicep::load_bicep_input(&sources, bicep, None, None, Limits::default());
        let a = plinth::frontend::load_json_input(&sources, &json, None, Limits::default());
        let (rb, ra) = (resources(&b), resources(&a));
        if rb == ra {
            same_model += 1;
        } else if verbose {
            println!("model differs: {}", bicep.display());
            for r in rb.iter().filter(|r| !ra.contains(r)) {
                println!("  bicep only: {r:?}");
            }
            for r in ra.iter().filter(|r| !rb.contains(r)) {
                println!("  json only:  {r:?}");
            }
        }
        let (fb, fa) = (findings(bicep), findings(&json));
        if fb == fa {
            same_findings += 1;
        } else if verbose {
            println!(
                "findings differ: {}\n  bicep: {fb:?}\n  json:  {fa:?}",
                bicep.display()
            );
        }
    }
    println!(
        "{pairs} modules with main.bicep and main.json: {same_model} read the same deployed \
         resources, {same_findings} raise the same findings"
    );
}
