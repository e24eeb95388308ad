//! Each stage of the pipeline on its own (criterion): JSON parsing, the ARM
//! and Terraform front-ends, linking and the rules, and a unit of private
//! endpoints at two sizes, whose times must grow linearly (no quadratic
//! join). The whole binary on a synthetic monorepo is `bench/run.sh`.
//!
//!     cargo bench --bench stages
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, not plinth

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use plinth::limits::Limits;
use plinth::model::Graph;
use plinth::policy::RuleSet;
use plinth::source::{FileId, SourceMap};

const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const ZONE: &str = "privatelink.postgres.database.azure.com";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A template with `n` PostgreSQL servers, each behind a private endpoint
/// with a zone group, all in one hub VNet and zone.
fn endpoints(n: usize) -> String {
    let mut resources = vec![format!(
        r#"{{ "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "hub",
             "properties": {{ "subnets": [ {{ "name": "pe", "properties": {{ "addressPrefix": "10.1.0.0/16" }} }} ] }} }},
           {{ "type": "Microsoft.Network/privateDnsZones", "apiVersion": "2024-06-01", "name": "{ZONE}" }}"#
    )];
    for i in 0..n {
        resources.push(format!(
            r#"{{ "type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01", "name": "psql-{i}",
                 "properties": {{ "network": {{ "publicNetworkAccess": "Disabled" }} }} }},
               {{ "type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01", "name": "pe-{i}",
                 "properties": {{
                   "subnet": {{ "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'hub', 'pe')]" }},
                   "privateLinkServiceConnections": [ {{ "name": "c", "properties": {{
                     "privateLinkServiceId": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', 'psql-{i}')]",
                     "groupIds": [ "postgresqlServer" ] }} }} ] }},
                 "resources": [ {{ "type": "privateDnsZoneGroups", "apiVersion": "2024-05-01", "name": "default",
                   "properties": {{ "privateDnsZoneConfigs": [ {{ "name": "pg", "properties": {{
                     "privateDnsZoneId": "[resourceId('Microsoft.Network/privateDnsZones', '{ZONE}')]" }} }} ] }} }} ] }}"#
        ));
    }
    format!(
        r#"{{ "$schema": "{SCHEMA}", "contentVersion": "1.0.0.0", "resources": [ {} ] }}"#,
        resources.join(",\n")
    )
}

fn stages(c: &mut Criterion) {
    let sources = SourceMap::new();
    let (rules, problems) = RuleSet::load(&sources, &[]);
    assert!(problems.is_empty());
    let arm = fixture("fixtures/PG001/arm/bad/main.json");
    let arm_text = std::fs::read_to_string(&arm).unwrap();
    let tf_dir = fixture("fixtures/PG001/terraform/bad");
    let tf_files = vec![tf_dir.join("main.tf")];

    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Bytes(arm_text.len() as u64));
    group.bench_function("json_parse", |b| {
        b.iter(|| plinth::json::parse(FileId(0), black_box(&arm_text), 256).is_ok())
    });
    group.bench_function("arm_front_end", |b| {
        b.iter(|| {
            plinth::frontend::load_json_input(&sources, black_box(&arm), None, Limits::default())
        })
    });
    let tf_bytes: u64 = tf_files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    group.throughput(Throughput::Bytes(tf_bytes));
    group.bench_function("terraform_front_end", |b| {
        b.iter(|| {
            plinth::terraform::load_module(
                &sources,
                &tf_dir,
                &tf_files,
                &[],
                &plinth::terraform::Given::default(),
                Limits::default(),
            )
        })
    });
    group.throughput(Throughput::Bytes(arm_text.len() as u64));
    let unit = plinth::frontend::load_json_input(&sources, &arm, None, Limits::default())
        .units
        .remove(0);
    group.bench_function("link", |b| b.iter(|| Graph::link(black_box(unit.clone()))));
    let graph = Graph::link(unit);
    group.bench_function("rules", |b| {
        b.iter(|| rules.check(black_box(&graph), &sources))
    });
    group.finish();

    // Time per endpoint must not grow with the number of endpoints.
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("private_endpoints_in_one_unit");
    group.sample_size(10);
    for n in [1_000, 4_000] {
        let path = dir.path().join(format!("endpoints-{n}.json"));
        std::fs::write(&path, endpoints(n)).unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| {
                let loaded =
                    plinth::frontend::load_json_input(&sources, path, None, Limits::default());
                let graph = Graph::link(loaded.units.into_iter().next().unwrap());
                rules.check(&graph, &sources).len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
