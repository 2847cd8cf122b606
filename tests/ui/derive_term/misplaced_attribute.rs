use ergo::Term;

#[derive(Term)]
#[term(rename = "a")]
struct A {
    #[term(map)]
    x: i32,
}

#[derive(Term)]
#[term(map, map)]
struct B {
    x: i32,
}

fn main() {}
