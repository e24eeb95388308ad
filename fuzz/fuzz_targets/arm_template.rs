//! The JSON loader and the ARM front-end (and Terraform plan JSON) on any
//! file named like a template, then the whole rule set over what it built:
//! never a panic or a hang.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let path = common::scratch("arm").join("main.json");
        if std::fs::write(&path, data).is_err() {
            return;
        }
        let shared = common::rules();
        let (sources, rules) = &*shared;
        let loaded = plinth::frontend::load_json_input(sources, &path, None, Limits::default());
        common::check(loaded.units, sources, rules);
    });
});
