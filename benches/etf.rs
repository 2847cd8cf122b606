//! ETF codec throughput: ours (ergo-etf) against eetf 0.12, measured the same way in the same run.
//!
//! For each case and direction, each codec runs for a fixed wall-clock budget after a warm-up,
//! split into rounds in which the two codecs take turns; each side's best round is reported, so
//! that a burst of load on a shared machine spoils a round rather than one side. The line
//! printed is
//! `etf <encode|decode> <case> ours_terms_per_sec=N ours_mb_per_sec=X eetf_terms_per_sec=M ratio=R`
//! where MB/s counts the bytes of the encoding (10^6 bytes per MB) and ratio = ours / eetf.
//! `encode` returns a fresh `Vec<u8>` per term on both sides (ours `to_bytes`, eetf into a new
//! `Vec`); `encode_reuse` encodes into one buffer per codec, cleared before each term, so that
//! allocation is out of the picture; `encode_iovec` is ours in pieces (`to_iovec`, OTP's
//! `term_to_iovec`: binaries of 2 KiB or more shared, not copied), against eetf's `encode`;
//! `decode` reads a `&[u8]` and copies binaries on both sides
//! (`binary_1mb_zero_copy` is ours over shared `Bytes`, against the same eetf figure).
//! Run with `cargo bench --bench etf` (`ETF_BENCH_SECS=2` to measure longer).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ergo_etf::{Atom, Map, NoAtomCache, Pid, Reference, Term};

/// How many rounds each measurement is split into (see the module doc).
const ROUNDS: u32 = 5;

/// Runs `f` repeatedly for `budget`, returning calls per second.
fn rate(budget: Duration, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut batch: u64 = 1;
    while start.elapsed() < budget {
        for _ in 0..batch {
            f();
        }
        n += batch;
        batch = (batch * 2).min(4096);
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Runs `f` for a tenth of `budget` (caches, branch predictors, the atom table).
fn warm_up(budget: Duration, f: &mut impl FnMut()) {
    let warm = Instant::now();
    while warm.elapsed() < budget / 10 {
        f();
    }
}

/// Ours and theirs in alternating rounds, `budget` in all for each; the best round of each side,
/// in calls per second.
fn compare(budget: Duration, mut ours: impl FnMut(), mut theirs: impl FnMut()) -> (f64, f64) {
    warm_up(budget, &mut ours);
    warm_up(budget, &mut theirs);
    let (mut best_ours, mut best_theirs) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        best_ours = best_ours.max(rate(budget / ROUNDS, &mut ours));
        best_theirs = best_theirs.max(rate(budget / ROUNDS, &mut theirs));
    }
    (best_ours, best_theirs)
}

/// One side alone, measured like [`compare`].
fn best_rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    warm_up(budget, &mut f);
    (0..ROUNDS)
        .map(|_| rate(budget / ROUNDS, &mut f))
        .fold(0f64, f64::max)
}

/// Prints one figure: our rate (terms/s, and MB/s for a term of `mb` megabytes) against eetf's.
fn report(op: &str, name: &str, ours: f64, eetf: f64, mb: f64) {
    println!(
        "etf {op} {name} ours_terms_per_sec={ours:.0} ours_mb_per_sec={:.1} eetf_terms_per_sec={eetf:.0} ratio={:.2}",
        ours * mb,
        ours / eetf
    );
}

fn node() -> Atom {
    Atom::new("bench@localhost")
}

fn ours_pid(id: u32) -> Term {
    Term::Pid(Pid {
        node: node(),
        id,
        serial: 0,
        creation: 1_700_000_000,
    })
}

fn eetf_pid(id: u32) -> eetf::Term {
    eetf::Term::from(eetf::Pid::new("bench@localhost", id, 0, 1_700_000_000))
}

fn eetf_atom(s: &str) -> eetf::Term {
    eetf::Term::from(eetf::Atom::from(s))
}

fn eetf_tuple(v: Vec<eetf::Term>) -> eetf::Term {
    eetf::Term::from(eetf::Tuple::from(v))
}

fn cases() -> Vec<(&'static str, Term, eetf::Term)> {
    let ours_ref = Term::Reference(Reference {
        node: node(),
        creation: 1_700_000_000,
        ids: ergo_etf::RefIds::from([1, 2, 3]),
    });
    let eetf_ref = eetf::Term::from(eetf::Reference {
        node: eetf::Atom::from("bench@localhost"),
        id: vec![1, 2, 3],
        creation: 1_700_000_000,
    });
    let gen_call = (
        "gen_call",
        Term::tuple(vec![
            Term::atom("$gen_call"),
            Term::tuple(vec![ours_pid(42), ours_ref]),
            Term::tuple(vec![Term::atom("incr"), Term::Int(5)]),
        ]),
        eetf_tuple(vec![
            eetf_atom("$gen_call"),
            eetf_tuple(vec![eetf_pid(42), eetf_ref]),
            eetf_tuple(vec![
                eetf_atom("incr"),
                eetf::Term::from(eetf::FixInteger::from(5)),
            ]),
        ]),
    );

    let keys = [
        "name", "age", "email", "active", "score", "tags", "created", "updated", "owner", "version",
    ];
    let ours_map = Map::from_pairs(keys.iter().enumerate().map(|(i, k)| {
        let v = if i % 2 == 0 {
            Term::Int(i as i64 * 1000)
        } else {
            Term::binary(format!("value-{i}").into_bytes())
        };
        (Term::atom(k), v)
    }));
    let eetf_map: std::collections::HashMap<eetf::Term, eetf::Term> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let v = if i % 2 == 0 {
                eetf::Term::from(eetf::FixInteger::from(i as i32 * 1000))
            } else {
                eetf::Term::from(eetf::Binary::from(format!("value-{i}").into_bytes()))
            };
            (eetf_atom(k), v)
        })
        .collect();
    let map10 = (
        "map_10_keys",
        Term::Map(ours_map),
        eetf::Term::from(eetf::Map::from(eetf_map)),
    );

    let pids = (
        "list_200_pids",
        Term::list((0..200).map(ours_pid).collect::<Vec<_>>()),
        eetf::Term::from(eetf::List::from((0..200).map(eetf_pid).collect::<Vec<_>>())),
    );

    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 31 % 251) as u8).collect();
    let binary = (
        "binary_1mb",
        Term::binary(data.clone()),
        eetf::Term::from(eetf::Binary::from(data)),
    );

    vec![gen_call, map10, pids, binary]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, selects cases by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let secs: f64 = std::env::var("ETF_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5);
    let budget = Duration::from_secs_f64(secs);

    for (name, ours, theirs) in cases() {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let ours_bytes = match ergo_etf::to_bytes(&ours) {
            Ok(b) => b,
            Err(e) => panic!("{name}: {e}"),
        };
        let mut eetf_bytes = Vec::new();
        if let Err(e) = theirs.encode(&mut eetf_bytes) {
            panic!("{name}: eetf: {e}");
        }
        // Both must read each other's output, so the two sides do the same work.
        assert_eq!(
            ergo_etf::from_bytes(&eetf_bytes).ok().as_ref(),
            Some(&ours),
            "{name}: eetf's bytes differ in meaning"
        );
        assert!(
            eetf::Term::decode(&ours_bytes[..]).is_ok(),
            "{name}: eetf cannot read ours"
        );
        let mb = ours_bytes.len() as f64 / 1e6;

        let (ours_enc, eetf_enc) = compare(
            budget,
            || {
                black_box(ergo_etf::to_bytes(black_box(&ours)).ok());
            },
            || {
                let mut out = Vec::new();
                black_box(black_box(&theirs).encode(&mut out).ok());
                black_box(out);
            },
        );
        report("encode", name, ours_enc, eetf_enc, mb);

        // In pieces (OTP's term_to_iovec): what the distribution layer writes, large binaries
        // shared with the term; compared with eetf's fresh-`Vec` encode above.
        let pieces = ergo_etf::to_iovec(&ours).unwrap_or_default();
        assert_eq!(
            pieces.to_vec(),
            ours_bytes,
            "{name}: to_iovec differs from to_bytes"
        );
        let ours_iovec = best_rate(budget, || {
            black_box(ergo_etf::to_iovec(black_box(&ours)).ok());
        });
        report("encode_iovec", name, ours_iovec, eetf_enc, mb);

        let mut ours_buf: Vec<u8> = Vec::new();
        let mut eetf_buf: Vec<u8> = Vec::new();
        let (ours_reuse, eetf_reuse) = compare(
            budget,
            || {
                ours_buf.clear();
                ours_buf.push(131);
                let r =
                    ergo_etf::encode_term_into(black_box(&ours), &mut ours_buf, &mut NoAtomCache);
                black_box((r.ok(), &ours_buf));
            },
            || {
                eetf_buf.clear();
                let r = black_box(&theirs).encode(&mut eetf_buf);
                black_box((r.ok(), &eetf_buf));
            },
        );
        assert_eq!(
            ours_buf, ours_bytes,
            "{name}: encode_term_into differs from to_bytes"
        );
        report("encode_reuse", name, ours_reuse, eetf_reuse, mb);

        let (ours_dec, eetf_dec) = compare(
            budget,
            || {
                black_box(ergo_etf::from_bytes(black_box(&ours_bytes)).ok());
            },
            || {
                black_box(eetf::Term::decode(black_box(&eetf_bytes[..])).ok());
            },
        );
        report("decode", name, ours_dec, eetf_dec, mb);
        if name == "binary_1mb" {
            // The distribution layer decodes from shared `Bytes`: binaries are slices, not copies.
            let shared = bytes::Bytes::from(ours_bytes.clone());
            let ours_shared = best_rate(budget, || {
                black_box(ergo_etf::from_bytes_shared(black_box(&shared)).ok());
            });
            report(
                "decode",
                &format!("{name}_zero_copy"),
                ours_shared,
                eetf_dec,
                mb,
            );
        }
    }
}
