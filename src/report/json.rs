//! JSON output: the versioned contract in design.md.
