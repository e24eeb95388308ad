//! The Terraform evaluator on generated expressions (see `generated.rs`):
//! a local set to the expression, read by a resource's name and by a
//! `for_each`, so evaluation and expansion both run. Never a panic, a hang
//! or memory without bound.
#![no_main]

mod common;
mod generated;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;
use plinth::terraform::Given;

fuzz_target!(|g: generated::G| {
    common::on_unit_stack(|| {
        let mut expression = String::new();
        generated::terraform(&g, 0, &mut expression);
        let text = format!(
            "variable \"list\" {{\n  default = [\"a\", {{ name = \"b\", id = 2 }}, 3]\n}}\n\
             variable \"name\" {{\n  default = \"pg-prod\"\n}}\n\
             locals {{\n  a = {expression}\n  b = [for x in var.list : x]\n}}\n\
             resource \"azurerm_private_dns_zone\" \"zone\" {{\n  for_each = toset([for x in local.b : tostring(x)])\n  name = \"z-${{local.a}}\"\n  resource_group_name = \"rg\"\n}}\n"
        );
        let dir = common::scratch("tf-eval");
        let main = dir.join("main.tf");
        if std::fs::write(&main, text).is_err() {
            return;
        }
        let shared = common::rules();
        let (sources, rules) = &*shared;
        let loaded = plinth::terraform::load_module(
            sources,
            &dir,
            &[main],
            &[],
            &Given::default(),
            Limits::default(),
        );
        common::check(loaded.units, sources, rules);
    });
});
