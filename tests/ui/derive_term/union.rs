use ergo::Term;

#[derive(Term)]
union U {
    a: u32,
    b: f32,
}

fn main() {}
