//! Embeds the built-in rules (`rules/*.yaml`) and data tables
//! (`rules/data/*.yaml`) into the binary already read, so plinth needs no
//! files at run time and parses no YAML at start-up (issue #20, part 5).
//!
//! Each rule file is read here with the very types `rule.rs` uses
//! (`src/policy/rule_file.rs`, included below) and printed back as Rust that
//! builds the same value: a file that is not a rule (bad YAML, an unknown
//! key, a missing field) stops the build with its message. The expressions
//! are compiled and checked at start-up (about 0.1 ms for all rules), and a
//! unit test (`builtin_rules_load`) fails on a built-in rule that does not
//! compile. Tables are embedded as JSON, which serde_json reads some twenty
//! times faster than serde_yaml reads the YAML.
// A failure here stops the build with its message, which is what it should do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::path::{Path, PathBuf};

#[allow(dead_code)] // what plinth calls on these types, build.rs does not
#[path = "src/policy/rule_file.rs"]
mod rule_file;

#[allow(dead_code)]
#[path = "src/policy/expr.rs"]
mod expr;

use expr::{BinOp, Expr};
use rule_file::{
    Example, Examples, FixYaml, InputKind, RelatedYaml, ReportYaml, RuleYaml, StepYaml, TableYaml,
};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/policy/rule_file.rs");
    println!("cargo:rerun-if-changed=src/policy/expr.rs");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut code = String::new();

    // (path, text, the rule read) per rule file; the text stays for the
    // spans of a mistake `rule.rs` finds in it.
    let rules = yaml_files(&manifest, "rules");
    let mut builders = String::new();
    let mut expressions = std::collections::BTreeMap::new();
    writeln!(
        code,
        "/// (path, text, the rule as read)\npub type BuiltinRule = (&'static str, &'static str, fn() -> crate::policy::rule_file::RuleYaml);\npub static BUILTIN_RULES: &[BuiltinRule] = &["
    )
    .unwrap();
    for (i, (relative, path)) in rules.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let rule: RuleYaml = serde_yaml::from_str(&text)
            .unwrap_or_else(|err| panic!("{relative}: invalid rule file: {err}"));
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?}), rule_{i}),",
            path.to_string_lossy()
        )
        .unwrap();
        for text in expression_texts(&rule) {
            let parsed = expr::parse(&text)
                .unwrap_or_else(|err| panic!("{relative}: syntax error in `{text}`: {err}"));
            expressions.insert(text, parsed);
        }
        writeln!(
            builders,
            "fn rule_{i}() -> crate::policy::rule_file::RuleYaml {{\n    use crate::policy::rule_file::*;\n    {}\n}}",
            rule.to_rust()
        )
        .unwrap();
    }
    writeln!(code, "];\n{builders}").unwrap();

    // Every expression of the built-in rules, parsed, by its text (sorted
    // by length, then text, for a binary search that compares bytes only
    // between texts of one length).
    writeln!(
        code,
        "/// (text, its tree)\npub type PreparedExpr = (&'static str, fn() -> crate::policy::expr::Expr);\npub static PREPARED: &[PreparedExpr] = &["
    )
    .unwrap();
    let mut builders = String::new();
    let mut expressions: Vec<_> = expressions.into_iter().collect();
    expressions.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    for (i, (text, parsed)) in expressions.iter().enumerate() {
        writeln!(code, "    ({text:?}, expression_{i}),").unwrap();
        writeln!(
            builders,
            "fn expression_{i}() -> crate::policy::expr::Expr {{\n    use crate::policy::expr::*;\n    {}\n}}",
            parsed.to_rust()
        )
        .unwrap();
    }
    writeln!(code, "];\n{builders}").unwrap();

    embed_tables(&mut code, &manifest);
    std::fs::write(Path::new(&out).join("builtin_rules.rs"), code).expect("OUT_DIR is writable");
}

/// Writes `BUILTIN_TABLES`.
fn embed_tables(code: &mut String, manifest: &str) {
    // Per data table: its rows, each as JSON read when a rule first reaches
    // it, and the index `lookup()` searches, sorted by (column, cell): the
    // lower-cased text of each string cell → its rows, in order. A run reads
    // only the rows its lookups find.
    writeln!(
        code,
        "pub static BUILTIN_TABLES: &[crate::policy::eval::BuiltinTable] = &["
    )
    .unwrap();
    for (relative, path) in yaml_files(manifest, "rules/data") {
        let text = std::fs::read_to_string(&path).unwrap();
        let table: TableYaml = serde_yaml::from_str(&text)
            .unwrap_or_else(|err| panic!("{relative}: invalid data table: {err}"));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut index: std::collections::BTreeMap<(String, String), Vec<usize>> =
            std::collections::BTreeMap::new();
        for (i, row) in table.rows.iter().enumerate() {
            for (column, cell) in row.as_object().into_iter().flatten() {
                if let Some(cell) = cell.as_str() {
                    index
                        .entry((column.to_ascii_lowercase(), cell.to_lowercase()))
                        .or_default()
                        .push(i);
                }
            }
        }
        writeln!(
            code,
            "    crate::policy::eval::BuiltinTable {{
        name: {name:?},
        rows: &["
        )
        .unwrap();
        for row in &table.rows {
            writeln!(
                code,
                "            {:?},",
                serde_json::to_string(row).unwrap()
            )
            .unwrap();
        }
        writeln!(
            code,
            "        ],
        index: &["
        )
        .unwrap();
        for ((column, cell), rows) in &index {
            writeln!(code, "            ({column:?}, {cell:?}, &{rows:?}),").unwrap();
        }
        writeln!(
            code,
            "        ],
    }},"
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
}

/// The `*.yaml` files in `folder`, sorted: (path as the user sees it, full path).
fn yaml_files(manifest: &str, folder: &str) -> Vec<(String, PathBuf)> {
    let dir = Path::new(manifest).join(folder);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(manifest).unwrap_or(&path);
            (relative.to_string_lossy().replace('\\', "/"), path)
        })
        .collect()
}

/// The texts `rule.rs`'s compiler parses as expressions, cut as it cuts
/// them: a `for`'s or `let`'s after ` in ` or ` = `, a `where`, an `at`, and
/// each `{hole}` of a template (`{{` and `}}` are braces). A text cut
/// differently there is parsed at run time: slower, not wrong, and a test
/// fails on it.
fn expression_texts(rule: &RuleYaml) -> Vec<String> {
    let mut texts = Vec::new();
    for step in &rule.check {
        if let Some(text) = &step.for_each {
            texts.extend(text.split_once(" in ").map(|(_, e)| e.to_string()));
        }
        if let Some(text) = &step.let_ {
            texts.extend(text.split_once(" = ").map(|(_, e)| e.to_string()));
        }
        texts.extend(step.where_.clone());
    }
    let report = &rule.report;
    texts.push(report.at.clone());
    let mut templates = vec![
        report.label.as_deref().unwrap_or(""),
        report.message.as_str(),
    ];
    templates.extend(report.severity.as_deref());
    templates.extend(report.help.as_deref());
    for related in &report.related {
        texts.push(related.at.clone());
        templates.push(&related.label);
    }
    if let Some(fix) = &rule.fix {
        texts.push(fix.set.clone());
        texts.push(fix.to.clone());
        texts.extend(fix.when.clone());
        texts.extend(fix.safe.clone());
        texts.extend(fix.key.clone());
        templates.push(&fix.title);
    }
    for template in templates {
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            let brace = &rest[i..];
            if brace.starts_with("{{") || brace.starts_with("}}") {
                rest = &brace[2..];
            } else if brace.starts_with('{') {
                let Some(close) = brace.find('}') else { break };
                texts.push(brace[1..close].to_string());
                rest = &brace[close + 1..];
            } else {
                break;
            }
        }
    }
    texts
}

/// A value printed as the Rust expression that builds it.
trait ToRust {
    fn to_rust(&self) -> String;
}

impl ToRust for String {
    fn to_rust(&self) -> String {
        // Debug quotes and escapes a string as a Rust literal.
        format!("String::from({self:?})")
    }
}

impl ToRust for std::borrow::Cow<'static, str> {
    fn to_rust(&self) -> String {
        format!("std::borrow::Cow::Borrowed({:?})", &**self)
    }
}

impl<T: ToRust> ToRust for Option<T> {
    fn to_rust(&self) -> String {
        match self {
            Some(v) => format!("Some({})", v.to_rust()),
            None => "None".into(),
        }
    }
}

impl<T: ToRust> ToRust for Vec<T> {
    fn to_rust(&self) -> String {
        let items: Vec<String> = self.iter().map(ToRust::to_rust).collect();
        format!("vec![{}]", items.join(", "))
    }
}

impl ToRust for InputKind {
    fn to_rust(&self) -> String {
        format!("InputKind::{self:?}")
    }
}

/// `Struct { field: value, … }`: every field named, so a field added to
/// `rule_file.rs` and not here fails to compile.
macro_rules! struct_to_rust {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl ToRust for $name {
            fn to_rust(&self) -> String {
                let $name { $($field),* } = self;
                let mut out = format!("{} {{", stringify!($name));
                $(write!(out, " {}: {},", stringify!($field), $field.to_rust()).unwrap();)*
                out.push_str(" }");
                out
            }
        }
    };
}

struct_to_rust!(RuleYaml {
    id,
    name,
    severity,
    title,
    description,
    rationale,
    remediation,
    help,
    links,
    examples,
    inputs,
    check,
    report,
    fix
});
struct_to_rust!(FixYaml {
    set,
    to,
    when,
    safe,
    key,
    insert_hcl,
    title
});
struct_to_rust!(Examples { bad, good });
struct_to_rust!(Example {
    arm,
    bicep,
    terraform
});
struct_to_rust!(StepYaml {
    for_each,
    let_,
    where_
});
struct_to_rust!(ReportYaml {
    resource,
    at,
    label,
    message,
    severity,
    help,
    related
});
struct_to_rust!(RelatedYaml { at, label });

impl<T: ToRust> ToRust for Box<T> {
    fn to_rust(&self) -> String {
        format!("Box::new({})", (**self).to_rust())
    }
}

impl ToRust for Expr {
    fn to_rust(&self) -> String {
        match self {
            Expr::Str(s) => format!("Expr::Str({})", s.to_rust()),
            // The exact number, whatever its decimal spelling.
            Expr::Num(n) => format!("Expr::Num(f64::from_bits({:#x}))", n.to_bits()),
            Expr::Bool(b) => format!("Expr::Bool({b})"),
            Expr::Null => "Expr::Null".into(),
            Expr::List(items) => format!("Expr::List({})", items.to_rust()),
            Expr::Var(name) => format!("Expr::Var({})", name.to_rust()),
            Expr::Field(base, name) => {
                format!("Expr::Field({}, {})", base.to_rust(), name.to_rust())
            }
            Expr::Index(base, index) => {
                format!("Expr::Index({}, {})", base.to_rust(), index.to_rust())
            }
            Expr::Spread(base) => format!("Expr::Spread({})", base.to_rust()),
            Expr::Call(name, args) => format!("Expr::Call({}, {})", name.to_rust(), args.to_rust()),
            Expr::Lambda(param, body) => {
                format!("Expr::Lambda({}, {})", param.to_rust(), body.to_rust())
            }
            Expr::Not(inner) => format!("Expr::Not({})", inner.to_rust()),
            Expr::Binary(op, a, b) => {
                format!(
                    "Expr::Binary({}, {}, {})",
                    op.to_rust(),
                    a.to_rust(),
                    b.to_rust()
                )
            }
        }
    }
}

impl ToRust for BinOp {
    fn to_rust(&self) -> String {
        format!("BinOp::{self:?}")
    }
}
