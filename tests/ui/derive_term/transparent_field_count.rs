use ergo::Term;

#[derive(Term)]
#[term(transparent)]
struct Two {
    a: i32,
    b: i32,
}

#[derive(Term)]
#[term(transparent)]
struct AllSkipped(#[term(skip)] i32);

fn main() {}
