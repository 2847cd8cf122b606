//! The parsed `#[application]` declaration. Owns only data.

/// What the attribute declares.
pub(super) struct ApplicationModel {
    /// The application name (default: the type's name in snake_case).
    pub name: String,
    pub description: Option<syn::LitStr>,
    pub version: Option<syn::LitStr>,
    /// The root supervisor type.
    pub root: Option<syn::Type>,
    /// The root supervisor's start argument (default: `Default::default()`).
    pub root_args: Option<syn::Expr>,
    /// Dependencies, in start order.
    pub applications: Vec<String>,
    /// Env keys and value expressions.
    pub env: Vec<(String, syn::Expr)>,
}
