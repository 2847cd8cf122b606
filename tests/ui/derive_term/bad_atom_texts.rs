use ergo::Term;

#[derive(Term)]
#[term(tag = "")]
struct EmptyTag {
    x: i32,
}

#[derive(Term)]
#[term(elixir_struct = "App.User")]
struct NoElixirPrefix {
    x: i32,
}

#[derive(Term)]
enum E {
    #[term(rename = "")]
    A,
}

#[derive(Term)]
#[term(rename_all = "Title Case")]
enum F {
    A,
}

fn main() {}
