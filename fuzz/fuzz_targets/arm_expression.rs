//! The ARM expression parser and evaluator on any string: never a panic,
//! never a hang, and the same value every time.
#![no_main]

mod common;


use libfuzzer_sys::fuzz_target;
use plinth::arm::eval::Scope;
use plinth::arm::expr;
use plinth::limits::Guard;

fuzz_target!(|data: &[u8]| {
    common::on_unit_stack(|| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let _ = expr::parse_within(text, 64);
        let template = common::template();
        let expression = format!("[{text}]");
        let first = Scope::new(template, Default::default(), Guard::default()).string_at(
            &expression,
            template.span,
            &[],
        );
        let again = Scope::new(template, Default::default(), Guard::default()).string_at(
            &expression,
            template.span,
            &[],
        );
        assert_eq!(format!("{first:?}"), format!("{again:?}"), "deterministic");
    });
});
