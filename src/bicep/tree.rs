//! The Bicep syntax tree the parser builds and lowering reads: declarations,
//! their decorators, and expressions, each with a byte span.
//!
//! Types only: no parsing (see [`super::parser`]) and no meaning (lowering to
//! an ARM template is [`super::lower`]). Types are kept only as far as
//! lowering needs them (a parameter's nullability).

use crate::source::Span;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Str(Vec<Interp>),
    Array(Vec<Item>),
    Object(Vec<Prop>),
    Ident(String),
    /// `a.b`, `a.?b` (safe), `a::b` (nested resource).
    Member(Box<Expr>, String, bool),
    /// `a[i]`, `a[?i]`.
    Index(Box<Expr>, Box<Expr>, bool),
    /// `f(x)`, `ns.f(x)`, `resource.method(x)`.
    Call(Option<Box<Expr>>, String, Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Lambda(Vec<String>, Box<Expr>),
    /// `[for (item, index) in source: body]`; the body may be an `If`.
    For {
        item: Option<String>,
        index: Option<String>,
        source: Box<Expr>,
        body: Box<Expr>,
    },
    /// `if (condition) { … }`, in resource and module bodies.
    If(Box<Expr>, Box<Expr>),
    /// `x!`
    NonNull(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Interp {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum Item {
    Value(Expr),
    Spread(Expr),
}

#[derive(Clone, Debug)]
pub enum Prop {
    /// `key: value`; `span` covers both.
    Pair {
        key: String,
        value: Expr,
        span: Span,
    },
    Spread(Expr),
    /// `'${name}': value`: a key computed from an interpolated string.
    Computed {
        key: Expr,
        value: Expr,
        span: Span,
    },
    /// A nested child resource declared in its parent's body.
    Resource(Box<Decl>),
}

#[derive(Clone, Debug)]
pub struct Decorator {
    pub name: String,
    pub args: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub enum DeclKind {
    Param {
        nullable: bool,
        default: Option<Expr>,
    },
    Var(Expr),
    Output(Expr),
    Resource {
        type_string: String,
        existing: bool,
        body: Expr,
    },
    Module {
        path: String,
        body: Expr,
    },
    Func {
        params: Vec<String>,
        body: Expr,
    },
    TargetScope(Expr),
    /// `using './main.bicep'` in a `.bicepparam` file.
    Using(String),
    /// `type`, `import`, `metadata`, `extension`, `assert`: nothing to lower.
    Other,
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub name: String,
    pub name_span: Span,
    pub decorators: Vec<Decorator>,
    pub kind: DeclKind,
    pub span: Span,
}
