//! Variable values from outside a module's `.tf` files: var files
//! (`.tfvars` in HCL, `.tfvars.json` read as literal values) and values
//! given with `TF_VAR_name` or `--var` ([`Given`]). Which value wins, and
//! which variables a var file binds, is decided in `load.rs`.

use std::path::Path;

use hcl_edit::structure::Body;

use crate::limits::{self, Limits};
use crate::model::{Loaded, Value};
use crate::source::{FileId, SourceMap};
use crate::terraform::load::read_file;

/// Variable values given from outside the module's files: `TF_VAR_name`
/// environment variables (below every var file, as in Terraform) and
/// `--var name=value` (above them). Values are strings, as Terraform reads
/// them for string variables; a value that starts with `[` or `{` is a list
/// or map plinth does not parse, so unknown.
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub env: Vec<(String, String)>,
    pub cli: Vec<(String, String)>,
    /// `TF_DATA_DIR`: where `terraform init` put the module cache, relative
    /// to the root module's folder (default `.terraform`).
    pub data_dir: Option<std::path::PathBuf>,
    /// Registry sources the config says declare no resources
    /// (`terraform: modules_without_resources:`), beside the built-in ones.
    pub without_resources: Vec<String>,
}

impl Given {
    /// `TF_VAR_*` from this process's environment.
    pub fn from_env(cli: Vec<(String, String)>) -> Given {
        let env = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|name| (name.to_string(), v)))
            .collect();
        let data_dir = std::env::var_os("TF_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from);
        Given {
            env,
            cli,
            data_dir,
            without_resources: Vec::new(),
        }
    }

    pub(super) fn value(text: &str) -> Value {
        if text.trim_start().starts_with(['[', '{']) {
            Value::Unknown
        } else {
            Value::String(text.into())
        }
    }
}

/// A variable file: HCL (`.tfvars`), or JSON (`.tfvars.json`) whose values
/// are literal.
pub(super) enum VarFile {
    Hcl(FileId, Body),
    Json(Vec<(String, Value)>),
}

/// Reads a `.tfvars.json` file: one object, variable name → value, each
/// value keeping its span. A problem, and `None`, when it cannot be read.
pub(super) fn json_var_file(
    sources: &SourceMap,
    path: &Path,
    loaded: &mut Loaded,
    file_ids: &mut Vec<FileId>,
    limits: Limits,
) -> Option<Vec<(String, Value)>> {
    let file = read_file(sources, path, loaded, file_ids, limits)?;
    let source = sources.get(file);
    let root = match crate::json::parse(file, &source.text, limits.max_nesting) {
        Ok(Some(root)) => root,
        Ok(None) => return Some(Vec::new()),
        Err(err) => {
            let len = source.text.len();
            loaded.problems.push(if err.too_deep {
                limits::nested_too_deep(path, err.span(file, len), limits)
            } else {
                err.problem("invalid JSON in variable file", path, file, len)
            });
            return None;
        }
    };
    Some(
        root.members()
            .iter()
            .map(|m| {
                (
                    m.key.clone(),
                    m.value.to_node(crate::json::Brackets::Text).value,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Part;
    use crate::terraform::load_module;
    use crate::terraform::testing::resource;

    #[test]
    fn json_and_hcl_var_files_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let main = write(
            "main.tf",
            "variable \"a\" {}\nvariable \"b\" {}\nresource \"azurerm_private_dns_zone\" \"z\" { name = \"${var.a}-${var.b}\" }\n",
        );
        let hcl = write("terraform.tfvars", "a = \"hcl\"\nb = \"hcl\"\n");
        let json = write("x.auto.tfvars.json", "{ \"a\": \"json\", \"b\": \"json\" }");
        let last = write("last.tfvars", "b = \"last\"\n");
        let loaded = load_module(
            &SourceMap::new(),
            dir.path(),
            &[main],
            &[hcl, json, last],
            &Given::default(),
            Limits::default(),
        );
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(
            resource(&loaded, "azurerm_private_dns_zone.z").names,
            vec![Part::from("json-last")]
        );
    }
}
