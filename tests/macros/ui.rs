//! Compile-fail tests of every macro's misuse: each case under tests/ui/<macro>/ must fail with a
//! spanned error whose text is pinned in the `.stderr` file beside it (regenerate with
//! `TRYBUILD=overwrite`, then read each diff). One `TestCases` for all the macros, so trybuild
//! builds its scratch crate once.

#[test]
fn macro_misuse_is_a_spanned_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/derive_term/*.rs");
    cases.compile_fail("tests/ui/gen_server/*.rs");
    cases.compile_fail("tests/ui/gen_stage/*.rs");
    cases.compile_fail("tests/ui/supervisor/*.rs");
    cases.compile_fail("tests/ui/application/*.rs");
    cases.compile_fail("tests/ui/gen_saga/*.rs");
}
