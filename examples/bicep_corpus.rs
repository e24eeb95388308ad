//! Reads every `.bicep` and `.bicepparam` file under a folder with plinth's
//! Bicep parser and reports the ones it cannot parse.
//!
//!     cargo run --release --example bicep_corpus -- DIR

use plinth::bicep::syntax;
use plinth::source::FileId;

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
}
