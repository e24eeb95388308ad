//! The `plinth` binary. The command line lives in the library
//! (`src/cli.rs`), so tests can run it in-process.

fn main() -> std::process::ExitCode {
    plinth::cli::main()
}
