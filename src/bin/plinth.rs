//! The `plinth` binary. The command line lives in the library
//! (`src/cli.rs`), so tests can run it in-process.

// mimalloc rather than glibc's malloc: allocation and freeing were half of
// an ARM run's cycles and a fifth of a small file's (issue #20).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    plinth::cli::main()
}
