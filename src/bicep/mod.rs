//! Bicep front-end: `.bicep` and `.bicepparam` source read natively (issue
//! #8), lowered into the ARM template a `bicep build` would produce, so that
//! the ARM evaluator and every rule apply unchanged and findings point at the
//! Bicep source.

pub mod syntax;
