use ergo::Term;

#[derive(Term)]
#[term(map, transparent)]
struct A {
    x: i32,
}

#[derive(Term)]
#[term(map, elixir_struct = "Elixir.B")]
struct B {
    x: i32,
}

#[derive(Term)]
#[term(tag = "c", map)]
struct C {
    x: i32,
}

fn main() {}
