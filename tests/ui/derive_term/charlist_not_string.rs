use ergo::Term;

#[derive(Term)]
struct A {
    #[term(charlist)]
    count: i32,
    #[term(charlist)]
    names: Vec<String>,
}

fn main() {}
