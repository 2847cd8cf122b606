use ergo::Term;

#[derive(Term)]
#[term(map)]
struct Keys {
    name: String,
    #[term(rename = "name")]
    alias: String,
}

#[derive(Term)]
enum Variants {
    Get,
    #[term(rename = "get")]
    Fetch,
    Put(i32),
    #[term(rename = "put")]
    Store(i64),
}

fn main() {}
