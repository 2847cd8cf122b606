use ergo::Term;

#[derive(Term)]
#[term(crate = "not a path")]
struct NotAPath {
    x: i32,
}

#[derive(Term)]
#[term(crate = "::ergo_etf::Term<u8>")]
struct WithGenerics;

#[derive(Term)]
#[term(crate = ergo_etf)]
struct NotAString;

#[derive(Term)]
#[term(crate = "::ergo", crate = "::ergo_etf")]
struct Twice;

fn main() {}
