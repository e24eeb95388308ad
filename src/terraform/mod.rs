//! Terraform front-end: a folder of `.tf` files → the neutral model.

use std::path::{Path, PathBuf};

use crate::Loaded;
use crate::source::SourceMap;

/// Loads one Terraform module folder as a unit.
pub fn load_module(_sources: &SourceMap, _dir: &Path, _files: &[PathBuf]) -> Loaded {
    Loaded::default()
}
