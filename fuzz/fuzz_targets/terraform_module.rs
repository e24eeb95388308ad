//! The Terraform front-end on any `.tf` file (and the same bytes as a var
//! file), then the whole rule set over what it built: never a panic or a hang.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;
use plinth::terraform::Given;

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let dir = common::scratch("tf");
        let main = dir.join("main.tf");
        let vars = dir.join("terraform.tfvars");
        if std::fs::write(&main, data).is_err() || std::fs::write(&vars, data).is_err() {
            return;
        }
        let shared = common::rules();
        let (sources, rules) = &*shared;
        let loaded = plinth::terraform::load_module(
            sources,
            &dir,
            &[main],
            &[vars],
            &Given::default(),
            Limits::default(),
        );
        common::check(loaded.units, sources, rules);
    });
});
