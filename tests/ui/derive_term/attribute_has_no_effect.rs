use ergo::Term;

#[derive(Term)]
#[term(map)]
enum MapEnum {
    A,
}

#[derive(Term)]
struct Positional(#[term(rename = "x")] i32, #[term(default)] i32);

#[derive(Term)]
enum Variant {
    V { #[term(rename = "y")] y: i32 },
}

#[derive(Term)]
#[term(map)]
struct TupleMap(i32);

#[derive(Term)]
struct Skipped {
    #[term(skip, rename = "z")]
    z: i32,
    #[term(skip, default)]
    w: i32,
}

#[derive(Term)]
struct BadDefault {
    #[term(default = "not a path")]
    v: i32,
}

fn main() {}
