//! `erlang:phash2/1,2` in Rust against a real `erl`: erl hashes a corpus of terms of every kind
//! (integers around the 28-bit and 64-bit edges, bignums, floats and -0.0, Latin-1 and Unicode
//! atoms, binaries of every length up to 40 and bitstrings, strings and mixed and improper
//! lists, tuples, small and large maps, pids, references, ports, external funs), writes
//! `[{Term, Full, Mod7, Default}]` as ETF; every hash must match.

use std::process::Command;
use std::time::Duration;

use ergo::runtime::gen::stage::phash2::{phash2, phash2_full, phash2_range};
use ergo::Term;

use crate::common;

const CORPUS: &str = r#"
Ints = [0, 1, -1, 255, 256, -256, 134217727, 134217728, -134217728, -134217729,
        1 bsl 31, 1 bsl 32, -(1 bsl 40), 1 bsl 59, 1 bsl 60, -(1 bsl 60), 1 bsl 63, 1 bsl 64,
        -(1 bsl 64), 1 bsl 100, -(1 bsl 100), 123456789012345678901234567890]
       ++ lists:seq(-300, 300, 7) ++ lists:seq(0, 5000, 37),
Floats = [0.0, -0.0, 1.5, -2.25, 3.14159, 1.0e300, -1.0e-300, 1.0],
Atoms = [a, ok, '', nil, true, 'hello world', 'élan', 'ÿ', '日本', list_to_atom(lists:duplicate(255, $x))],
Bins = [list_to_binary(lists:seq(1, N)) || N <- lists:seq(0, 40)]
       ++ [<<1:1>>, <<5:3>>, <<255, 7:7>>, <<"abc", 1:4>>, <<"héllo"/utf8>>],
Lists = ["", "a", "ab", "abc", "abcd", "abcde", "hello world", [1, 2, 300], [300, 1, 2, 3, 4, 5],
         [a | b], [1, 2 | 3], [[1], [2]], [256], [-1, 1], lists:seq(1, 100), [<<>>], [a, "b", 1.0]],
Tuples = [{}, {a}, {1, 2}, {a, {b, "c"}, [d]}, {ok, 1.5, <<"x">>}, {[], []}],
Maps = [#{}, #{a => 1}, #{1 => a, b => [2]}, maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
        #{#{x => 1} => {y}}, #{[] => []}],
Others = [self(), make_ref(), hd(erlang:ports()), fun lists:map/2, fun erlang:phash2/2],
Terms = Ints ++ Floats ++ Atoms ++ Bins ++ Lists ++ Tuples ++ Maps ++ Others,
Rows = [{T, erlang:phash2(T, 1 bsl 32), erlang:phash2(T, 7), erlang:phash2(T)} || T <- Terms],
ok = file:write_file(hd(init:get_plain_arguments()), term_to_binary(Rows)),
halt().
"#;

#[test]
fn phash2_matches_erlang_for_every_kind_of_term() {
    if !common::require_erl("phash2_matches_erlang_for_every_kind_of_term") {
        return;
    }
    let dir = common::temp_dir("phash2");
    let out = dir.join("rows.etf");
    let mut cmd = Command::new("erl");
    cmd.args(["-noshell", "-eval", CORPUS, "-extra"]).arg(&out);
    let finished = common::run_within(cmd, Duration::from_secs(60), "erl hashes the corpus");
    assert!(
        finished.status.success(),
        "erl: {}\n{}",
        finished.stdout,
        finished.stderr
    );
    let bytes = std::fs::read(&out).expect("read the rows");
    let rows = ergo::from_bytes(&bytes).expect("decode the rows");
    let Term::List(rows) = rows else {
        panic!("rows: {rows}")
    };
    assert!(rows.len() > 300, "{} rows", rows.len());
    let mut wrong = Vec::new();
    for row in &rows {
        let Some([term, Term::Int(full), Term::Int(mod7), Term::Int(default)]) = row.as_tuple()
        else {
            panic!("row: {row}")
        };
        let ours = (
            phash2_full(term) as i64,
            phash2_range(term, 7) as i64,
            phash2(term) as i64,
        );
        if ours != (*full, *mod7, *default) {
            wrong.push(format!(
                "{term}: erl {full} {mod7} {default}, ours {ours:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}
