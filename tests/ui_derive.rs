//! Compile-fail tests of `#[derive(Term)]`: every misuse is a compile error pointing at the
//! attribute or item at fault. The expected messages are the `.stderr` files beside each case in
//! tests/ui/derive_term/ (regenerate with `TRYBUILD=overwrite`, then read them).

#[test]
fn derive_term_misuse_is_a_spanned_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/derive_term/*.rs");
}
