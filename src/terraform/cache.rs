//! Terraform's module cache, as `terraform init` leaves it: the manifest
//! `<data dir>/modules/modules.json` (the data dir is `.terraform` in the
//! root module's folder, or `TF_DATA_DIR` taken relative to that folder, as
//! Terraform takes it from its working directory) maps each module call's
//! key — the call names from the root joined by dots (`naming`, `pe.dns`),
//! without instance keys — to the folder its registry or git source was
//! downloaded to. `load.rs` reads those folders as it reads local modules.
//!
//! Also the registry sources known to declare no Azure resource (naming and
//! region helpers): a call to one hides nothing a rule needs.
//!
//! It never fetches anything, and never walks `.terraform` for modules of
//! its own: a cached folder is read only when the manifest names it for a
//! call. A folder the manifest names outside the checked roots is refused
//! by the confinement in `load.rs`, like any other module folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::json::JsonKind;
use crate::limits::{self, Limits};
use crate::model::Loaded;
use crate::source::{FileId, SourceMap};
use crate::terraform::load::read_file;

/// Registry modules that declare no Azure resource: their calls make no unit
/// incomplete. Compared without the registry host and case-insensitively.
pub const WITHOUT_RESOURCES: [&str; 4] = [
    "Azure/naming/azurerm",
    "Azure/regions/azurerm",
    "Azure/avm-utl-regions/azurerm",
    "cloudposse/label/null",
];

/// The public registry's host, which `modules.json` writes and a `source`
/// usually leaves out.
const PUBLIC_REGISTRY: &str = "registry.terraform.io/";

/// What `modules.json` says: call key → (downloaded folder, source as
/// recorded).
#[derive(Debug, Default)]
pub struct Manifest {
    modules: HashMap<String, (PathBuf, String)>,
}

impl Manifest {
    /// The folder the call `key` was downloaded to, when the manifest has
    /// it for `source` (the call's `source` as written). A manifest entry
    /// whose registry source differs is stale (the call changed after
    /// `terraform init`, which Terraform refuses to plan): not used.
    pub fn folder(&self, key: &str, source: &str) -> Option<&Path> {
        let (dir, recorded) = self.modules.get(key)?;
        if is_registry(source) && !same_registry_source(source, recorded) {
            return None;
        }
        Some(dir)
    }
}

/// Reads the manifest of the root module in `root` (`data_dir` is
/// `TF_DATA_DIR`, when set). No manifest is no cache, silently; one that
/// cannot be read or parsed is a problem, and no cache.
pub fn read_manifest(
    sources: &SourceMap,
    root: &Path,
    data_dir: Option<&Path>,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Manifest {
    let data = root.join(data_dir.unwrap_or(Path::new(".terraform")));
    let path = crate::paths::normalize(&data.join("modules").join("modules.json"));
    if std::fs::symlink_metadata(&path).is_err() {
        return Manifest::default();
    }
    let Some(file) = read_file(sources, &path, loaded, file_ids, limits) else {
        return Manifest::default();
    };
    let source = sources.get(file);
    let root_value = match crate::json::parse(file, &source.text, limits.max_nesting) {
        Ok(Some(value)) => value,
        Ok(None) => return Manifest::default(),
        Err(err) => {
            let len = source.text.len();
            loaded.problems.push(if err.too_deep {
                limits::nested_too_deep(&path, err.span(file, len), limits)
            } else {
                err.problem(
                    "invalid JSON in Terraform's module manifest",
                    &path,
                    file,
                    len,
                )
            });
            return Manifest::default();
        }
    };
    let mut modules = HashMap::new();
    let entries = root_value.get("Modules").map(|m| m.items()).unwrap_or(&[]);
    for entry in entries {
        let text = |name: &str| entry.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(key), Some(dir)) = (text("Key"), text("Dir")) else {
            continue;
        };
        // The root's own entry (key "", dir ".") is the root itself.
        if key.is_empty() || !matches!(entry.kind, JsonKind::Object(_)) {
            continue;
        }
        // Dirs are relative to where `terraform init` ran: the root folder.
        let folder = crate::paths::normalize(&root.join(&dir));
        modules.insert(key, (folder, text("Source").unwrap_or_default()));
    }
    Manifest { modules }
}

/// A registry address as a `source` writes it: `[host/]namespace/name/provider`,
/// no scheme, no local path.
pub fn is_registry(source: &str) -> bool {
    let parts = source.split('/').count();
    !source.starts_with('.')
        && !source.starts_with('/')
        && !source.contains("::")
        && !source.contains("://")
        && !source.contains("github.com/")
        && !source.contains("bitbucket.org/")
        && (parts == 3 || parts == 4)
}

fn same_registry_source(written: &str, recorded: &str) -> bool {
    let bare = |s: &str| {
        let lower = s.to_ascii_lowercase();
        lower
            .strip_prefix(PUBLIC_REGISTRY)
            .map_or(lower.clone(), str::to_string)
    };
    bare(written) == bare(recorded)
}

/// Whether a call to `source` declares no Azure resource: the built-in list
/// or the config's own (`terraform: modules_without_resources:`).
pub fn declares_no_resources(source: &str, extra: &[String]) -> bool {
    is_registry(source)
        && WITHOUT_RESOURCES
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .any(|known| same_registry_source(source, known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_sources_compare_without_the_public_host() {
        assert!(declares_no_resources("Azure/naming/azurerm", &[]));
        assert!(declares_no_resources(
            "registry.terraform.io/azure/Regions/azurerm",
            &[]
        ));
        assert!(!declares_no_resources(
            "Azure/avm-res-keyvault-vault/azurerm",
            &[]
        ));
        assert!(declares_no_resources(
            "app.terraform.io/contoso/tags/azurerm",
            &["app.terraform.io/contoso/tags/azurerm".to_string()]
        ));
        assert!(!declares_no_resources("./modules/naming", &[]));
        assert!(!is_registry("git::https://example.com/x.git"));
        assert!(!is_registry("github.com/Azure/terraform-azurerm-naming"));
    }
}
