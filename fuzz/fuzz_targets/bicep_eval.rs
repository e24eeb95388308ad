//! Bicep lowering and the ARM evaluator on generated expressions (see
//! `generated.rs`): a variable set to the expression, read by a resource's
//! name and by a loop, so lowering, evaluation and expansion all run. Never
//! a panic, a hang or memory without bound.
#![no_main]

mod common;
mod generated;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;

fuzz_target!(|g: generated::G| {
    common::on_unit_stack(|| {
        let mut expression = String::new();
        generated::bicep(&g, 0, &mut expression);
        let text = format!(
            "param list array = ['a', {{ name: 'b', id: 2 }}, 3]\n\
             param name string = 'pg-prod'\n\
             var a = {expression}\n\
             var b = [for x in list: x]\n\
             resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = [for (x, i) in b: {{\n  name: 'z-${{string(a)}}-${{i}}'\n  location: 'global'\n}}]\n"
        );
        let path = common::scratch("bicep-eval").join("main.bicep");
        if std::fs::write(&path, text).is_err() {
            return;
        }
        let shared = common::rules();
        let (sources, rules) = &*shared;
        let loaded = plinth::bicep::load_bicep_input(sources, &path, None, None, Limits::default());
        common::check(loaded.units, sources, rules);
    });
});
