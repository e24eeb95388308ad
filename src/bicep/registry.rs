//! Where `bicep restore` (and `bicep build`) keep a registry module: the
//! file in a Bicep module cache that holds a `br:` or `ts:` module's
//! compiled ARM template, so that the module can be read offline as a local
//! JSON module is.
//!
//! The layout is Bicep's own (Azure/bicep, read at commit 9beb0fe):
//! - `src/Bicep.Core/Registry/OciArtifactRegistry.cs` (`GetArtifactDirectory`,
//!   `GetArtifactFile`): `<root>/br/<registry, lowercase, ':' → '$'>/
//!   <repository, '/' → '$'>/<tag, encoded | digest, ':' → '#'>/main.json`;
//! - `src/Bicep.Core/Registry/Oci/TagEncoder.cs`: a tag is written as itself,
//!   `$`, then a hexadecimal mask of its upper-case letters (none: nothing);
//! - `src/Bicep.Core/SourceGraph/Artifacts/TemplateSpecModuleArtifact.cs`:
//!   `<root>/ts/<subscription>/<resource group>/<name>/<version>/main.json`,
//!   lowercase, holding the template spec version (its
//!   `properties.mainTemplate` is the template);
//! - `src/Bicep.Core/Registry/Oci/OciArtifactReference.cs` and
//!   `src/Bicep.Core/Modules/TemplateSpecModuleReference.cs`: an alias
//!   `br/<alias>:<path>` reads `<registry>/<modulePath>/<path>` from
//!   `bicepconfig.json`'s `moduleAliases.br`, `ts/<alias>:<name>:<version>`
//!   `<subscription>/<resourceGroup>/<name>:<version>` from
//!   `moduleAliases.ts`; `src/Bicep.Core/Configuration/bicepconfig.json`
//!   builds in `br/public` → `mcr.microsoft.com` / `bicep`.
//!
//! The root is what `bicepconfig.json`'s `cacheRootDirectory` means (the
//! folder that holds `br/` and `ts/`; Bicep's default is `~/.bicep`,
//! `src/Bicep.Core/Features/FeatureProvider.cs`). plinth reads a cache only
//! where the user points it (`--bicep-cache`, `bicep: cache:`): the runner's
//! home lies outside the checked roots, and reading it unasked would break
//! confinement. Nothing is ever fetched; a module the cache lacks stays
//! unseen. `cacheRootDirectory` itself is not read.

use std::path::{Path, PathBuf};

use crate::json::JsonValue;
use crate::source::SourceMap;

/// Bicep's longest tag (`OciArtifactReferenceFacts.MaxTagLength`).
const MAX_TAG_LENGTH: usize = 128;

/// The built-in `br/public` alias.
const PUBLIC_REGISTRY: &str = "mcr.microsoft.com";
const PUBLIC_MODULE_PATH: &str = "bicep";

/// The cached `main.json` Bicep would read for the module `reference` (as
/// written after `module x '…'`) of the Bicep file `bicep_file`, or `None`
/// when the reference is not a registry or template-spec module, or names
/// an alias no `bicepconfig.json` defines. The file may not exist.
pub fn cached_main(
    sources: &SourceMap,
    root: &Path,
    bicep_file: &Path,
    reference: &str,
) -> Option<PathBuf> {
    let (scheme, rest) = reference.split_once(':')?;
    let relative = match scheme.split_once('/') {
        None if scheme == "br" => oci_folder(rest)?,
        None if scheme == "ts" => template_spec_folder(rest)?,
        Some(("br", alias)) => {
            let (registry, module_path) = alias_of(sources, bicep_file, "br", alias)?;
            let prefix = if module_path.is_empty() {
                registry
            } else {
                format!("{registry}/{module_path}")
            };
            oci_folder(&format!("{prefix}/{rest}"))?
        }
        Some(("ts", alias)) => {
            let (subscription, group) = alias_of(sources, bicep_file, "ts", alias)?;
            template_spec_folder(&format!("{subscription}/{group}/{rest}"))?
        }
        _ => return None,
    };
    Some(root.join(relative).join("main.json"))
}

/// `registry/repository:tag` or `registry/repository@digest` → its folder
/// under the cache root.
fn oci_folder(address: &str) -> Option<PathBuf> {
    let (registry, rest) = address.split_once('/')?;
    let (repository, version) = match rest.split_once('@') {
        Some((repository, digest)) => (repository, digest.replace(':', "#")),
        None => {
            let (repository, tag) = rest.rsplit_once(':')?;
            (repository, encode_tag(tag)?)
        }
    };
    if registry.is_empty() || !safe(repository) || !safe(&version) {
        return None;
    }
    let registry = registry.replace(':', "$").to_ascii_lowercase();
    if !safe(&registry) {
        return None;
    }
    Some(
        ["br", &registry, &repository.replace('/', "$"), &version]
            .iter()
            .collect(),
    )
}

/// `subscription/group/name:version` → its folder under the cache root.
fn template_spec_folder(address: &str) -> Option<PathBuf> {
    let (path, version) = address.rsplit_once(':')?;
    let parts: Vec<&str> = path.split('/').collect();
    let [subscription, group, name] = parts.as_slice() else {
        return None;
    };
    let parts = [*subscription, *group, *name, version];
    if parts.iter().any(|p| !safe(p) || p.contains('/')) {
        return None;
    }
    let mut folder = PathBuf::from("ts");
    for part in parts {
        folder.push(part.to_lowercase());
    }
    Some(folder)
}

/// Bicep's `TagEncoder.Encode`: the tag, `$`, and the mask of its
/// upper-case letters in hexadecimal, the highest 64-bit word first without
/// leading zeros and the ones after it padded to 16 digits.
fn encode_tag(tag: &str) -> Option<String> {
    let chars: Vec<char> = tag.chars().collect();
    if chars.is_empty() || chars.len() > MAX_TAG_LENGTH {
        return None;
    }
    let mut mask = [0u64; MAX_TAG_LENGTH.div_ceil(64)];
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            mask[i / 64] |= 1 << (i % 64);
        }
    }
    let mut encoded = format!("{tag}$");
    let mut padded = false;
    for word in mask.iter().rev() {
        if padded {
            encoded.push_str(&format!("{word:016x}"));
        } else if *word != 0 {
            encoded.push_str(&format!("{word:x}"));
            padded = true;
        }
    }
    Some(encoded)
}

/// A path part that cannot climb out of the cache: no `..`, no absolute
/// part, no separator but `/` (which callers split or encode).
fn safe(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && !part.contains('\\')
        && !part.contains('\0')
        && !part
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
}

/// An alias's two values (`registry`, `modulePath` for `br`;
/// `subscription`, `resourceGroup` for `ts`) from the nearest
/// `bicepconfig.json` at or above the Bicep file, as Bicep finds it; `br`'s
/// `public` is built in unless that file redefines it.
fn alias_of(
    sources: &SourceMap,
    bicep_file: &Path,
    scheme: &str,
    alias: &str,
) -> Option<(String, String)> {
    let configured = nearest_config(sources, bicep_file).and_then(|config| {
        let entry = config.get("moduleAliases")?.get(scheme)?.get(alias)?;
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(JsonValue::as_str)
                .map(str::to_string)
        };
        match scheme {
            "br" => Some((text("registry")?, text("modulePath").unwrap_or_default())),
            _ => Some((text("subscription")?, text("resourceGroup")?)),
        }
    });
    match configured {
        Some(found) => Some(found),
        None if scheme == "br" && alias == "public" => {
            Some((PUBLIC_REGISTRY.to_string(), PUBLIC_MODULE_PATH.to_string()))
        }
        None => None,
    }
}

/// The nearest `bicepconfig.json` at or above `bicep_file`'s folder that
/// plinth may read (one outside the checked roots ends the search: Bicep
/// would use it, plinth cannot read it, and the built-ins apply).
fn nearest_config(sources: &SourceMap, bicep_file: &Path) -> Option<JsonValue> {
    let confinement = sources.confinement();
    let start = crate::paths::normalize(bicep_file.parent()?);
    for dir in start.ancestors() {
        let candidate = dir.join("bicepconfig.json");
        if std::fs::symlink_metadata(&candidate).is_err() {
            continue;
        }
        if !confinement.is_readable_file(&candidate) {
            return None;
        }
        let id = sources.load(&candidate).ok()?;
        let text = sources.get(id).text.clone();
        return crate::json::parse(id, &text, 64).ok().flatten();
    }
    None
}

/// The template a cached `main.json` holds: itself for a registry module,
/// its `properties.mainTemplate` for a template spec version.
pub fn template_of(cached: JsonValue) -> JsonValue {
    match cached.get("properties").and_then(|p| p.get("mainTemplate")) {
        Some(template) => template.clone(),
        None => cached,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_encoded_as_bicep_encodes_them() {
        assert_eq!(encode_tag("0.1.0").as_deref(), Some("0.1.0$"));
        // upper-case letters at 0 and 2: mask 0b101
        assert_eq!(encode_tag("VvV").as_deref(), Some("VvV$5"));
        let long = format!("{}A", "a".repeat(64));
        assert_eq!(
            encode_tag(&long).as_deref(),
            Some(format!("{long}$10000000000000000").as_str())
        );
        assert_eq!(encode_tag(""), None);
    }

    #[test]
    fn public_modules_map_to_mcr_folders() {
        let sources = SourceMap::new();
        let got = cached_main(
            &sources,
            Path::new("/cache"),
            Path::new("/nowhere/main.bicep"),
            "br/public:avm/res/network/private-endpoint:0.1.0",
        );
        assert_eq!(
            got,
            Some(PathBuf::from(
                "/cache/br/mcr.microsoft.com/bicep$avm$res$network$private-endpoint/0.1.0$/main.json"
            ))
        );
        let direct = cached_main(
            &sources,
            Path::new("/c"),
            Path::new("/nowhere/main.bicep"),
            "br:Example.azurecr.io:443/infra/vnet@sha256:abc",
        );
        assert_eq!(
            direct,
            Some(PathBuf::from(
                "/c/br/example.azurecr.io$443/infra$vnet/sha256#abc/main.json"
            ))
        );
        let spec = cached_main(
            &sources,
            Path::new("/c"),
            Path::new("/nowhere/main.bicep"),
            "ts:00000000-0000-0000-0000-000000000000/RG/Spec:V1",
        );
        assert_eq!(
            spec,
            Some(PathBuf::from(
                "/c/ts/00000000-0000-0000-0000-000000000000/rg/spec/v1/main.json"
            ))
        );
    }

    #[test]
    fn references_cannot_climb_out_of_the_cache() {
        let sources = SourceMap::new();
        for reference in [
            "br:example.io/../../etc:v1",
            "br:../x/y:v1",
            "ts:a/../b/c:v1",
            "br:example.io/a:..",
            "br/nope:a/b:v1",
        ] {
            let got = cached_main(
                &sources,
                Path::new("/c"),
                Path::new("/nowhere/main.bicep"),
                reference,
            );
            assert!(
                got.as_ref()
                    .is_none_or(|p| !p.components().any(|c| c.as_os_str() == "..")),
                "{reference}: {got:?}"
            );
        }
    }
}
