//! Embeds the built-in rules (`rules/*.yaml`) and data tables
//! (`rules/data/*.yaml`) into the binary, so plinth needs no files at run time.
// A failure here stops the build with its message, which is what it should do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut code = String::new();
    for (constant, folder) in [("BUILTIN_RULES", "rules"), ("BUILTIN_TABLES", "rules/data")] {
        let dir = Path::new(&manifest).join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        writeln!(code, "pub static {constant}: &[(&str, &str)] = &[").unwrap();
        for path in files {
            let relative = path.strip_prefix(&manifest).unwrap_or(&path);
            writeln!(
                code,
                "    ({:?}, include_str!({:?})),",
                relative.to_string_lossy().replace('\\', "/"),
                path.to_string_lossy()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    std::fs::write(Path::new(&out).join("builtin_rules.rs"), code).expect("OUT_DIR is writable");
}
