//! Compile-fail tests of `#[gen_server]` misuse: each case must fail with a spanned error whose
//! text is pinned in the matching `.stderr` file.

#[test]
fn gen_server_misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/gen_server/*.rs");
}
