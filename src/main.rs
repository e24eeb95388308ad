//! The `plinth` command line: parse arguments, call the library, set the exit code.

fn main() {
    let run = plinth::check(&plinth::Options::default());
    println!("{} findings", run.report.findings.len());
}
