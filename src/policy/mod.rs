//! The rule language: YAML policies, loaded, checked and evaluated over the graph.
//!
//! Built-in rules are embedded from `rules/` at build time; users add their own
//! with `--rules DIR`. No rule has Rust code of its own: everything a rule
//! knows is in its YAML, and the language grows only by general features.
//! The language reference is `rules/README.md`.

pub mod docs;
pub mod eval;
pub mod expr;
pub mod functions;
pub mod rule;
pub mod rule_file;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Finding, Problem};
use crate::model::{Graph, Node, Value};
use crate::source::{FileId, SourceMap, Span};

pub use rule::{Rule, RuleMeta};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// A built-in rule's expression, parsed by build.rs, by its text.
fn prepared(text: &str) -> Option<expr::Expr> {
    let prepared = embedded::PREPARED;
    let at = prepared
        .binary_search_by(|(t, _)| t.len().cmp(&text.len()).then_with(|| (*t).cmp(text)))
        .ok()?;
    prepared.get(at).map(|(_, build)| build())
}

pub struct RuleSet {
    /// Boxed, against clippy's advice: a rule is about a kilobyte, and the
    /// built-in rules side by side were one of the largest blocks a small
    /// run asked for (each such block takes a fresh 512 KiB page of the
    /// allocator's).
    #[allow(clippy::vec_box)]
    rules: Vec<Box<Rule>>,
    tables: eval::Tables,
    /// Per rule id: the `.plinth.yaml` settings `setting()` reads.
    settings: HashMap<String, HashMap<String, Value>>,
    regexes: eval::RegexCache,
}

impl RuleSet {
    /// The built-in rules, embedded in the binary.
    pub fn builtin(sources: &SourceMap) -> Result<RuleSet, Vec<Problem>> {
        let (set, problems) = RuleSet::load(sources, &[]);
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    }

    /// The built-in rules plus every `*.yaml` rule in `user_dirs` (and data
    /// tables in their `data/` folders). Rules that fail to load are left out
    /// and reported; the others still run.
    pub fn load(sources: &SourceMap, user_dirs: &[PathBuf]) -> (RuleSet, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut tables = eval::Tables::default();
        for table in embedded::BUILTIN_TABLES {
            tables.insert_builtin(table);
        }
        let mut table_texts: Vec<(String, String)> = Vec::new();
        // Built-in rules come read by build.rs, each taken when it is
        // compiled (all at once were one of the largest blocks a small run
        // asked for); user rules are read here.
        let builtin_files: Vec<FileId> = embedded::BUILTIN_RULES
            .iter()
            .map(|(path, text, _)| sources.add(PathBuf::from(path), *text))
            .collect();
        let mut user_files: Vec<FileId> = Vec::new();
        for dir in user_dirs {
            match yaml_files(dir) {
                Ok(files) => {
                    for path in files {
                        match sources.load(&path) {
                            Ok(file) => user_files.push(file),
                            Err(err) => problems.push(
                                Problem::new(
                                    Code::RuleError,
                                    format!("cannot read rule file: {err}"),
                                )
                                .at(path, None),
                            ),
                        }
                    }
                }
                Err(problem) => problems.push(problem),
            }
            if let Ok(files) = yaml_files(&dir.join("data")) {
                for path in files {
                    let read = sources.confinement().read(&path).map(crate::paths::decode);
                    match read {
                        Ok(Ok(text)) => table_texts.push((path.display().to_string(), text)),
                        Ok(Err(bad)) => problems.push(
                            Problem::new(
                                Code::RuleError,
                                format!("cannot read data table: {}", bad.message),
                            )
                            .at(path, None),
                        ),
                        Err(err) => problems.push(
                            Problem::new(Code::RuleError, format!("cannot read data table: {err}"))
                                .at(path, None),
                        ),
                    }
                }
            }
        }
        for (path, text) in &table_texts {
            match load_table(path, text) {
                Ok((name, rows)) => {
                    tables.insert(name, rows);
                }
                Err(problem) => problems.push(problem),
            }
        }
        let table_names: HashSet<String> = tables.names().cloned().collect();
        let mut rules = Vec::with_capacity(builtin_files.len() + user_files.len());
        let builtin = builtin_files.into_iter().zip(embedded::BUILTIN_RULES);
        let builtin = builtin.map(|(file, (_, _, read))| {
            rule::compile_lazily(sources, file, read(), &table_names, prepared)
        });
        let user = user_files
            .into_iter()
            .map(|file| rule::load(sources, file, &table_names));
        for loaded in builtin.chain(user) {
            match loaded {
                Ok(rule) => rules.push(Box::new(rule)),
                Err(problem) => problems.push(problem),
            }
        }
        let mut set = RuleSet {
            rules,
            settings: HashMap::new(),
            tables,
            regexes: eval::RegexCache::default(),
        };
        set.check_unique(sources, &mut problems);
        (set, problems)
    }

    /// One rule file's `text` loaded on its own, against this set's data
    /// tables: no built-in rule is parsed again (the rule-file fuzzer runs
    /// this thousands of times a second). A rule that fails to load is left
    /// out and reported.
    pub fn only(&self, sources: &SourceMap, path: &str, text: &str) -> (RuleSet, Vec<Problem>) {
        let file = sources.add(PathBuf::from(path), text);
        let table_names: HashSet<String> = self.tables.names().cloned().collect();
        let (rules, problems) = match rule::load(sources, file, &table_names) {
            Ok(rule) => (vec![Box::new(rule)], Vec::new()),
            Err(problem) => (Vec::new(), vec![problem]),
        };
        let set = RuleSet {
            rules,
            settings: HashMap::new(),
            tables: self.tables.clone(),
            regexes: eval::RegexCache::default(),
        };
        (set, problems)
    }

    fn check_unique(&mut self, sources: &SourceMap, problems: &mut Vec<Problem>) {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut duplicates: HashSet<FileId> = HashSet::new();
        for rule in &self.rules {
            let path = sources.path(rule.meta.file);
            for key in [&rule.meta.id, &rule.meta.name] {
                let previous = seen.insert(key.to_ascii_lowercase(), path.display().to_string());
                if let Some(other) = previous {
                    let span = sources
                        .get(rule.meta.file)
                        .text
                        .find(key.as_str())
                        .map(|at| Span::new(rule.meta.file, at, at + key.len()));
                    problems.push(
                        Problem::new(
                            Code::RuleError,
                            format!("`{key}` is already used by {other}"),
                        )
                        .at(path.clone(), span),
                    );
                    duplicates.insert(rule.meta.file);
                }
            }
        }
        // The first definition wins; a duplicate would make ids ambiguous.
        self.rules.retain(|r| !duplicates.contains(&r.meta.file));
        self.rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter().map(|r| &r.meta)
    }

    /// Keeps only the rules `keep` accepts (by id): deselected rules are
    /// not evaluated at all.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.rules.retain(|r| keep(&r.meta.id));
    }

    /// A rule by id or name, case-insensitively.
    pub fn find(&self, key: &str) -> Option<&RuleMeta> {
        self.rules()
            .find(|m| m.id.eq_ignore_ascii_case(key) || m.name.eq_ignore_ascii_case(key))
    }

    /// Per-rule settings from `.plinth.yaml` (`rules: settings: {PG021: {…}}`),
    /// read by the rules with `setting('name', default)`.
    pub fn configure(&mut self, settings: HashMap<String, HashMap<String, Value>>) {
        self.settings = settings
            .into_iter()
            .map(|(rule, values)| (rule.to_ascii_uppercase(), values))
            .collect();
    }

    pub fn check(&self, graph: &Graph, sources: &SourceMap) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut ctx = eval::Context::new(graph, &self.tables, &self.regexes).with_sources(sources);
        for rule in &self.rules {
            ctx.settings = self.settings.get(&rule.meta.id);
            rule.check(&mut ctx, sources, &mut findings);
        }
        findings
    }
}

/// The `*.yaml` files directly in `dir`, sorted.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, Problem> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        Problem::new(
            Code::RuleError,
            format!("cannot read rules folder {}: {err}", dir.display()),
        )
        .at(dir, None)
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// A data table: a YAML file whose `rows` is a list of objects; its name is the file stem.
fn load_table(path: &str, text: &str) -> Result<(String, Vec<Node>), Problem> {
    let table: rule_file::TableYaml = serde_yaml::from_str(text).map_err(|err| {
        Problem::new(Code::RuleError, format!("invalid data table: {err}")).at(path, None)
    })?;
    let name = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rows = table
        .rows
        .iter()
        .map(|row| Node::new(Value::from_json(row), None))
        .collect();
    Ok((name, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::graph::names_of;
    use crate::model::{Framework, Origin, Part, Resource, Truth, Unit};
    use crate::source::{FileId, Span};

    fn resource(key: &str, rtype: &str, name: &str, body: serde_json::Value) -> Resource {
        let mut body = body;
        body["name"] = serde_json::Value::String(name.into());
        Resource {
            rtype: rtype.into(),
            names: names_of(name),
            subscription: Part::Unknown,
            resource_group: Part::Unknown,
            api_version: None,
            body: Node::new(Value::from_json(&body), None),
            origin: Origin {
                file: FileId(0),
                framework: Framework::Arm,
                address: key.into(),
            },
            span: Span::new(FileId(0), 0, 0),
            key: key.into(),
            managed: true,
            exists: Truth::True,
        }
    }

    fn rules_fired(resources: Vec<Resource>) -> Vec<String> {
        let sources = SourceMap::new();
        sources.add("t.json".into(), "");
        let rules = RuleSet::builtin(&sources).unwrap_or_else(|p| panic!("{p:?}"));
        let graph = Graph::link(Unit {
            label: "t".into(),
            resources,
            ..Unit::default()
        });
        let mut fired: Vec<String> = rules
            .check(&graph, &sources)
            .into_iter()
            .map(|f| f.rule)
            // These cases leave the endpoint's DNS and the servers' settings
            // out on purpose; PE005 (no DNS at all) and the hygiene rules
            // (PGH) have their own fixtures.
            .filter(|rule| rule != "PE005" && !rule.starts_with("PGH"))
            .collect();
        fired.sort();
        fired
    }

    const SERVER: &str = "Microsoft.DBforPostgreSQL/flexibleServers";
    const PE: &str = "Microsoft.Network/privateEndpoints";
    const SUBNET: &str = "Microsoft.Network/virtualNetworks/subnets";
    const SUBNET_ID: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe";
    const SERVER_ID: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/db";

    /// A public-access server with public network access disabled.
    fn public_server_body() -> serde_json::Value {
        serde_json::json!({"properties": {"network": {"publicNetworkAccess": "Disabled"}}})
    }

    fn endpoint(extra: serde_json::Value) -> Resource {
        let mut body = serde_json::json!({"properties": {
            "subnet": {"id": SUBNET_ID},
            "privateLinkServiceConnections": [{"name": "c", "properties": {
                "privateLinkServiceId": SERVER_ID, "groupIds": ["postgresqlServer"]}}]
        }});
        if let serde_json::Value::Object(extra) = extra {
            for (k, v) in extra {
                body["properties"][k] = v;
            }
        }
        resource("pe", PE, "pe-db", body)
    }

    /// What build.rs embeds is what serde_yaml reads from the same file at
    /// run time, every field of every rule and every row of every table.
    #[test]
    fn embedded_rules_and_tables_are_the_files_as_read() {
        assert!(embedded::BUILTIN_RULES.len() > 50);
        for (path, text, read) in embedded::BUILTIN_RULES {
            let from_text: rule::RuleYaml = serde_yaml::from_str(text).unwrap();
            assert_eq!(format!("{:?}", read()), format!("{from_text:?}"), "{path}");
        }
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/data");
        let mut names = Vec::new();
        for path in yaml_files(&data).unwrap() {
            let text = std::fs::read_to_string(&path).unwrap();
            let (name, rows) = load_table(&path.display().to_string(), &text).unwrap();
            let builtin = embedded::BUILTIN_TABLES
                .iter()
                .find(|t| t.name == name)
                .unwrap();
            let embedded: Vec<Node> = builtin
                .rows
                .iter()
                .map(|json| serde_json::from_str::<serde_json::Value>(json).unwrap())
                .map(|row| Node::new(Value::from_json(&row), None))
                .collect();
            // The index build.rs wrote is the one the run would build.
            let mut index: Vec<(String, String, Vec<usize>)> = eval::index_rows(&rows)
                .into_iter()
                .flat_map(|(column, cells)| {
                    cells
                        .into_iter()
                        .map(move |(cell, found)| (column.clone(), cell, found))
                })
                .collect();
            index.sort();
            let built: Vec<(String, String, Vec<usize>)> = builtin
                .index
                .iter()
                .map(|(c, v, found)| (c.to_string(), v.to_string(), found.to_vec()))
                .collect();
            assert_eq!(built, index, "{name}");
            assert_eq!(format!("{embedded:?}"), format!("{rows:?}"), "{name}");
            names.push(name);
        }
        assert_eq!(names.len(), embedded::BUILTIN_TABLES.len());
    }

    /// build.rs parsed each built-in expression as the run would, and
    /// every expression a built-in rule compiles is among them.
    #[test]
    fn every_builtin_expression_comes_parsed_as_parse_would() {
        assert!(embedded::PREPARED.len() > 300);
        for (text, build) in embedded::PREPARED {
            assert_eq!(build(), expr::parse(text).unwrap(), "{text}");
        }
        fn strict(text: &str) -> Option<expr::Expr> {
            let found = prepared(text);
            assert!(found.is_some(), "not parsed by build.rs: `{text}`");
            found
        }
        let sources = SourceMap::new();
        let tables: HashSet<String> = embedded::BUILTIN_TABLES
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        for (path, text, read) in embedded::BUILTIN_RULES {
            let file = sources.add(PathBuf::from(path), *text);
            let rule = rule::compile_lazily(&sources, file, read(), &tables, strict).unwrap();
            assert!(rule.compile_rest(&sources).is_ok(), "{path}");
        }
    }

    /// A built-in table is read and indexed when a rule first asks for it,
    /// and then holds the rows of its file.
    #[test]
    fn builtin_tables_are_read_when_first_asked_for() {
        let sources = SourceMap::new();
        let rules = RuleSet::builtin(&sources).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(rules.tables.rows_read("private-dns-zones"), 0);
        // A lookup reads the rows it finds, and only those.
        let blob = rules
            .tables
            .lookup(
                "private-dns-zones",
                "Zone",
                "PrivateLink.Blob.core.windows.net",
            )
            .unwrap();
        assert!(!blob.is_empty());
        for row in &blob {
            let zone = row.get("zone").and_then(|z| z.value.as_str());
            assert_eq!(zone, Some("privatelink.blob.core.windows.net"));
        }
        assert_eq!(rules.tables.rows_read("private-dns-zones"), blob.len());
        let none = rules
            .tables
            .lookup("private-dns-zones", "zone", "no.such.zone");
        assert_eq!(none.map(|rows| rows.len()), Some(0));
        // The whole table reads every row.
        let rows = rules.tables.get("private-dns-zones").unwrap();
        assert!(rows.len() > 100);
        assert_eq!(rules.tables.rows_read("private-dns-zones"), rows.len());
        assert!(rules.tables.lookup("no-such-table", "zone", "x").is_none());
        assert!(rules.tables.get("no-such-table").is_none());
    }

    #[test]
    fn builtin_rules_load() {
        let sources = SourceMap::new();
        let rules = RuleSet::builtin(&sources).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(rules.find("PG001").is_some());
        assert!(rules.find("private-endpoint-zone-name").is_some());
        // Built-in rules are compiled past their first step on first use:
        // every one must compile whole.
        for rule in &rules.rules {
            if let Err(problem) = rule.compile_rest(&sources) {
                panic!("{}: {problem:?}", rule.meta.id);
            }
        }
    }

    #[test]
    fn pg001_fires_only_when_the_server_is_known_to_be_vnet_integrated() {
        let vnet_server = resource(
            "db",
            SERVER,
            "db",
            serde_json::json!({"properties": {"network": {
                "delegatedSubnetResourceId": SUBNET_ID,
                "privateDnsZoneArmResourceId": zone_id("db.private.postgres.database.azure.com")}}}),
        );
        assert_eq!(
            rules_fired(vec![vnet_server, endpoint(serde_json::json!({}))]),
            ["PG001"]
        );

        let public_server = resource("db", SERVER, "db", public_server_body());
        assert!(rules_fired(vec![public_server, endpoint(serde_json::json!({}))]).is_empty());

        let mut unknown = resource(
            "db",
            SERVER,
            "db",
            serde_json::json!({"properties": {"network": {}}}),
        );
        unknown.body = Node::new(Value::Unknown, None);
        assert!(rules_fired(vec![unknown, endpoint(serde_json::json!({}))]).is_empty());

        // Not declared here: only the id is known, so nothing is decided.
        assert!(rules_fired(vec![endpoint(serde_json::json!({}))]).is_empty());
    }

    #[test]
    fn pe002_reads_policy_values_and_defaults() {
        let nsg = serde_json::json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"});
        let case = |policy: Option<&str>, with_nsg: bool| {
            let mut props = serde_json::json!({});
            if let Some(p) = policy {
                props["privateEndpointNetworkPolicies"] = p.into();
            }
            if with_nsg {
                props["networkSecurityGroup"] = nsg.clone();
            }
            let subnet = resource(
                "snet",
                SUBNET,
                "vnet/pe",
                serde_json::json!({ "properties": props }),
            );
            let server = resource("db", SERVER, "db", public_server_body());
            rules_fired(vec![subnet, server, endpoint(serde_json::json!({}))])
        };
        assert_eq!(case(None, true), ["PE002"]);
        assert_eq!(case(Some("Disabled"), true), ["PE002"]);
        assert_eq!(case(Some("RouteTableEnabled"), true), ["PE002"]);
        assert!(case(Some("Enabled"), true).is_empty());
        assert!(case(Some("NetworkSecurityGroupEnabled"), true).is_empty());
        assert!(case(None, false).is_empty());
    }

    const ZONE: &str = "Microsoft.Network/privateDnsZones";
    const LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
    const GROUP: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
    const VNET: &str = "Microsoft.Network/virtualNetworks";

    fn zone_id(zone: &str) -> String {
        format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/{zone}"
        )
    }

    fn dns_case(zone: &str, linked_vnets: &[&str]) -> Vec<String> {
        let mut resources = vec![
            resource("vnet", VNET, "vnet", serde_json::json!({"properties": {}})),
            resource(
                "other",
                VNET,
                "other",
                serde_json::json!({"properties": {}}),
            ),
            resource(
                "snet",
                SUBNET,
                "vnet/pe",
                serde_json::json!({"properties": {}}),
            ),
            resource("db", SERVER, "db", public_server_body()),
            endpoint(serde_json::json!({})),
            resource(
                "group",
                GROUP,
                "pe-db/default",
                serde_json::json!({"properties": {"privateDnsZoneConfigs": [
                    {"name": "c", "properties": {"privateDnsZoneId": zone_id(zone)}}]}}),
            ),
            resource("zone", ZONE, zone, serde_json::json!({})),
        ];
        for (i, vnet) in linked_vnets.iter().enumerate() {
            resources.push(resource(
                &format!("link{i}"),
                LINK,
                &format!("{zone}/link{i}"),
                serde_json::json!({"properties": {"virtualNetwork": {"id":
                    format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/{vnet}")}}}),
            ));
        }
        rules_fired(resources)
    }

    #[test]
    fn dns_rules_follow_the_endpoint_zone_link_chain() {
        let right = "privatelink.postgres.database.azure.com";
        assert!(dns_case(right, &["vnet"]).is_empty());
        assert!(dns_case("privatelink.postgres.database.usgovcloudapi.net", &["vnet"]).is_empty());
        assert_eq!(
            dns_case("privatelink.postgres.azure.com", &["vnet"]),
            ["PE004"]
        );
        assert_eq!(dns_case(right, &["other"]), ["PE006"]);
        assert_eq!(dns_case(right, &[]), ["DNS009"]);
        // A link to a network outside the unit is still not the endpoint's network.
        assert_eq!(dns_case(right, &["elsewhere"]), ["PE006"]);
    }
}
