//! Compile-fail tests of `#[application]`: every misuse is a compile error pointing at the key
//! or value at fault. Expected messages are the `.stderr` files in tests/ui/application/
//! (regenerate with `TRYBUILD=overwrite`, then read them).

#[test]
fn application_misuse_is_a_spanned_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/application/*.rs");
}
