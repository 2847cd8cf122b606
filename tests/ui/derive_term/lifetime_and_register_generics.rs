use ergo::Term;

#[derive(Term)]
struct Borrowed<'a> {
    name: &'a str,
}

#[derive(Term)]
#[term(register)]
struct Generic<T> {
    value: T,
}

#[derive(Term)]
#[term(register, map)]
struct PlainMap {
    value: i32,
}

fn main() {}
