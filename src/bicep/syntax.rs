//! The old path to Bicep's syntax, kept for code outside the front-end
//! (examples, tests) that names `bicep::syntax::X`.
//!
//! Re-exports only: tokens are [`super::lexer`], the tree's types
//! [`super::tree`], the parser [`super::parser`].

pub use super::lexer::{StrPart, Tok, Token, lex};
pub use super::parser::parse;
pub use super::tree::{Decl, DeclKind, Decorator, Expr, ExprKind, Interp, Item, Prop};
pub use crate::diagnostic::SyntaxError;
