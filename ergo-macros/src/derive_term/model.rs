//! The model `#[derive(Term)]` works on: a container (struct or enum) with its `#[term(...)]`
//! attributes already parsed, plus the naming rules (tags, keys, variant names). This module
//! owns the data types and name derivation only; parsing is in `parse`, validation in `check`,
//! code in `codegen`.

use proc_macro2::Span;

/// A value written in an attribute, with the span to point errors at.
#[derive(Clone, Debug)]
pub(super) struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// The type deriving `Term`.
pub(super) struct Container {
    /// The type's name.
    pub ident: syn::Ident,
    /// Its generic parameters.
    pub generics: syn::Generics,
    /// Its `#[term(...)]` attributes.
    pub attrs: ContainerAttrs,
    /// Struct or enum.
    pub data: Data,
}

/// Container attributes; each is `Some(span)` when written.
#[derive(Default)]
pub(super) struct ContainerAttrs {
    /// `tag = "..."`: the tuple tag / unit atom instead of the snake_case type name.
    pub tag: Option<Spanned<String>>,
    /// `map`: encode as a map keyed by field-name atoms.
    pub map: Option<Span>,
    /// `elixir_struct = "Elixir.Mod"`: encode as an Elixir struct map.
    pub elixir_struct: Option<Spanned<String>>,
    /// `transparent`: encode as the single field's term.
    pub transparent: Option<Span>,
    /// `register`: record the type in the type registry.
    pub register: Option<Span>,
    /// `rename_all = "..."`: the case rule for variant names (enums) or field keys (structs).
    pub rename_all: Option<Spanned<RenameRule>>,
    /// `crate = "path"`: where the generated code finds the term items (default `::ergo`).
    pub krate: Option<Spanned<syn::Path>>,
}

/// How the fields of a struct or variant are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Style {
    /// `{ a: A, b: B }`
    Named,
    /// `(A, B)`
    Tuple,
    /// no fields
    Unit,
}

/// Struct or enum.
pub(super) enum Data {
    /// A struct with its fields.
    Struct(Style, Vec<Field>),
    /// An enum with its variants.
    Enum(Vec<Variant>),
}

/// One enum variant.
pub(super) struct Variant {
    /// The variant's name.
    pub ident: syn::Ident,
    /// `rename = "..."`.
    pub rename: Option<Spanned<String>>,
    /// How its fields are written.
    pub style: Style,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// One field of a struct or variant.
pub(super) struct Field {
    /// `self.name` or `self.0`.
    pub member: syn::Member,
    /// The field's Rust name (`0`, `1`, ... for tuple fields), without `r#`.
    pub name: String,
    /// The field's type.
    pub ty: syn::Type,
    /// Where the field is, for errors about it as a whole.
    pub span: Span,
    /// `rename = "..."`.
    pub rename: Option<Spanned<String>>,
    /// `charlist`.
    pub charlist: Option<Span>,
    /// `default` or `default = "path"`.
    pub default: Option<Spanned<DefaultValue>>,
    /// `skip`.
    pub skip: Option<Span>,
}

/// Where a default value comes from.
#[derive(Clone, Debug)]
pub(super) enum DefaultValue {
    /// `Default::default()`.
    Trait,
    /// A function path called with no arguments.
    Path(syn::ExprPath),
}

/// A case rule for `rename_all`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum RenameRule {
    /// `snake_case`
    Snake,
    /// `lowercase`
    Lower,
    /// `UPPERCASE`
    Upper,
    /// `camelCase`
    Camel,
    /// `PascalCase`
    Pascal,
    /// `SCREAMING_SNAKE_CASE`
    ScreamingSnake,
    /// `kebab-case`
    Kebab,
}

impl RenameRule {
    /// Every rule with the text that selects it.
    pub(super) const ALL: [(&'static str, RenameRule); 7] = [
        ("snake_case", RenameRule::Snake),
        ("lowercase", RenameRule::Lower),
        ("UPPERCASE", RenameRule::Upper),
        ("camelCase", RenameRule::Camel),
        ("PascalCase", RenameRule::Pascal),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
        ("kebab-case", RenameRule::Kebab),
    ];

    /// Applies the rule to a Rust identifier (PascalCase or snake_case).
    pub(super) fn apply(self, ident: &str) -> String {
        let words = split_words(ident);
        match self {
            RenameRule::Snake => words.join("_"),
            RenameRule::Lower => words.concat(),
            RenameRule::Upper => words.concat().to_uppercase(),
            RenameRule::ScreamingSnake => words.join("_").to_uppercase(),
            RenameRule::Kebab => words.join("-"),
            RenameRule::Pascal => words.iter().map(|w| capitalise(w)).collect(),
            RenameRule::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| if i == 0 { w.clone() } else { capitalise(w) })
                .collect(),
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Splits an identifier into lowercase words at underscores and case changes, keeping acronyms
/// together: `HTTPServer` -> `http`, `server`; `user_id` -> `user`, `id`.
pub(super) fn split_words(ident: &str) -> Vec<String> {
    let chars: Vec<char> = ident.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

impl Container {
    /// The path every generated item is named through: `crate = "..."`, or `::ergo`.
    pub(super) fn root(&self) -> syn::Path {
        match &self.attrs.krate {
            Some(path) => path.value.clone(),
            None => syn::parse_quote!(::ergo),
        }
    }

    /// The tag atom: `tag = "..."` or the type name in snake_case.
    pub(super) fn tag(&self) -> String {
        match &self.attrs.tag {
            Some(tag) => tag.value.clone(),
            None => RenameRule::Snake.apply(&self.ident.to_string()),
        }
    }

    /// The type's name as text.
    pub(super) fn name(&self) -> String {
        self.ident.to_string()
    }

    /// The key of a field in map-like encodings.
    pub(super) fn field_key(&self, field: &Field) -> String {
        match (&field.rename, &self.attrs.rename_all) {
            (Some(rename), _) => rename.value.clone(),
            (None, Some(rule)) if matches!(self.data, Data::Struct(..)) => {
                rule.value.apply(&field.name)
            }
            _ => field.name.clone(),
        }
    }

    /// The atom or tag of a variant: `rename`, else the `rename_all` rule (default snake_case).
    pub(super) fn variant_name(&self, variant: &Variant) -> String {
        match &variant.rename {
            Some(rename) => rename.value.clone(),
            None => {
                let rule = self
                    .attrs
                    .rename_all
                    .as_ref()
                    .map_or(RenameRule::Snake, |r| r.value);
                rule.apply(&variant.ident.to_string())
            }
        }
    }
}

impl Field {
    /// Whether the field is encoded.
    pub(super) fn is_encoded(&self) -> bool {
        self.skip.is_none()
    }
}

/// The fields that are encoded, in order.
pub(super) fn encoded(fields: &[Field]) -> impl Iterator<Item = &Field> {
    fields.iter().filter(|f| f.is_encoded())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_case_changes_underscores_and_acronyms() {
        assert_eq!(split_words("UserProfile"), ["user", "profile"]);
        assert_eq!(split_words("HTTPServer"), ["http", "server"]);
        assert_eq!(split_words("user_id"), ["user", "id"]);
        assert_eq!(split_words("V2Thing"), ["v2", "thing"]);
        assert_eq!(split_words("Get"), ["get"]);
    }

    #[test]
    fn rename_rules() {
        let cases = [
            (RenameRule::Snake, "user_profile"),
            (RenameRule::Lower, "userprofile"),
            (RenameRule::Upper, "USERPROFILE"),
            (RenameRule::Camel, "userProfile"),
            (RenameRule::Pascal, "UserProfile"),
            (RenameRule::ScreamingSnake, "USER_PROFILE"),
            (RenameRule::Kebab, "user-profile"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply("UserProfile"), expected, "{rule:?}");
            assert_eq!(rule.apply("user_profile"), expected, "{rule:?}");
        }
    }
}
