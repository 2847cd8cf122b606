//! Compile-fail tests of `#[supervisor]`: every misuse is a compile error pointing at the
//! attribute key, child entry or value at fault. Expected messages are the `.stderr` files in
//! tests/ui/supervisor/ (regenerate with `TRYBUILD=overwrite`, then read them).

#[test]
fn supervisor_misuse_is_a_spanned_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/supervisor/*.rs");
}
