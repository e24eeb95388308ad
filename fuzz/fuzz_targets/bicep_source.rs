//! The Bicep parser, lowering and ARM evaluator on any `.bicep` file (with a
//! local module beside it, so module reading runs too), then the whole rule
//! set over what they built: never a panic or a hang.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use plinth::limits::Limits;

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let dir = common::scratch("bicep");
        let path = dir.join("main.bicep");
        // The same text serves as a module `./mod.bicep` the file may name.
        if std::fs::write(&path, data).is_err() || std::fs::write(dir.join("mod.bicep"), data).is_err()
        {
            return;
        }
        let shared = common::rules();
        let (sources, rules) = &*shared;
        let loaded = plinth::bicep::load_bicep_input(sources, &path, None, None, Limits::default());
        common::check(loaded.units, sources, rules);
    });
});
