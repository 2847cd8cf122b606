use ergo::Term;

#[derive(Term)]
#[term(frobnicate)]
struct A {
    #[term(sparkle = "x")]
    x: i32,
}

#[derive(Term)]
enum B {
    #[term(skip)]
    One,
}

fn main() {}
