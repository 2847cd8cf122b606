//! Golden-corpus tests of the ETF codec against a real Erlang/OTP.
//!
//! `tests/etf_golden/gen_corpus.escript` writes OTP's own `term_to_binary` output for a wide set of
//! terms (every tag, limits, terms from a live node, compressed forms, and hand-written legacy
//! encodings) into a temporary directory. Each file must decode; re-encoding must then give
//! OTP's bytes exactly, or, where OTP's choice of form differs from ours, an encoding that OTP
//! decodes to an exactly equal term (checked by `check_equal.escript` in one `escript` run).
//!
//! Where our bytes differ from OTP 25's, and why (also in docs/etf.md):
//! - `*.v1.bin` (OTP 25's default `term_to_binary`): atoms are ATOM_EXT/SMALL_ATOM_EXT (100/115,
//!   Latin-1) where they fit; we always emit the UTF-8 forms 119/118, as OTP does on the
//!   distribution wire and with `{minor_version, 2}` (the OTP 26 default).
//! - Maps with more than 32 keys: OTP writes them in its internal hash order, we in term order.
//! - `*.z.bin`: we decode compressed input and re-encode it plainly (and compare compressed
//!   separately, through OTP).
//! - `legacy_*.raw.bin`: decode-only tags (PID 103, REFERENCE 101, PORT 102, FLOAT 99, ...) are
//!   re-encoded in their modern forms.
//!
//! Everything else (`*.v2.bin`) must be byte-identical.
use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ergo_etf::{from_bytes, from_bytes_shared, to_bytes, to_bytes_compressed, Term};

/// Maps OTP writes in hash order (more than 32 keys): never byte-identical to term order.
const HASH_ORDER_CASES: &[&str] = &["map_33_hash_order", "map_100_hash_order"];

/// Removes the corpus directory when the test ends, pass or fail.
struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command to completion within a deadline, returning its stdout; the child is killed
/// if the deadline passes or the test panics.
fn run_with_deadline(cmd: &mut Command, limit: Duration) -> String {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot start {cmd:?}: {e}"),
    };
    let mut guard = common::ChildGuard(child);
    let mut stdout = guard.0.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = std::io::Read::read_to_string(out, &mut s);
        }
        s
    });
    let deadline = Instant::now() + limit;
    loop {
        match guard.0.try_wait() {
            Ok(Some(status)) => {
                let out = reader.join().unwrap_or_default();
                assert!(status.success(), "{cmd:?} failed ({status}):\n{out}");
                return out;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => panic!("{cmd:?} did not finish within {limit:?}"),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    }
}

fn escript(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/etf_golden")
        .join(name)
}

fn decode_or_panic(name: &str, bytes: &[u8]) -> Term {
    match from_bytes(bytes) {
        Ok(t) => t,
        Err(e) => panic!("{name}: OTP's bytes do not decode: {e}"),
    }
}

fn encode_or_panic(name: &str, term: &Term) -> Vec<u8> {
    match to_bytes(term) {
        Ok(b) => b,
        Err(e) => panic!("{name}: cannot re-encode: {e}"),
    }
}

#[test]
fn otp_corpus_decodes_and_reencodes() {
    if !common::require_erl("otp_corpus_decodes_and_reencodes") {
        return;
    }
    common::ensure_system_epmd();
    let dir = TempDir(std::env::temp_dir().join(common::unique_name("etf_golden")));
    if let Err(e) = std::fs::create_dir_all(&dir.0) {
        panic!("cannot create {:?}: {e}", dir.0);
    }
    let node = common::unique_name("etf_golden");
    let out = run_with_deadline(
        Command::new("escript")
            .arg(escript("gen_corpus.escript"))
            .arg(&dir.0)
            .arg(&node),
        Duration::from_secs(60),
    );
    assert!(out.contains("done"), "corpus generator said: {out}");

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir.0).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".bin") {
            files.insert(
                stem.to_string(),
                std::fs::read(entry.path()).unwrap_or_default(),
            );
        }
    }
    let cases: Vec<&str> = files.keys().filter_map(|k| k.strip_suffix(".v2")).collect();
    assert!(cases.len() > 60, "only {} cases generated", cases.len());

    let mut exact = 0usize;
    let mut sent_to_otp: Vec<String> = Vec::new();
    let mut write_ours = |stem: &str, bytes: &[u8]| {
        let path = dir.0.join(format!("{stem}.ours"));
        if let Err(e) = std::fs::write(&path, bytes) {
            panic!("cannot write {path:?}: {e}");
        }
        sent_to_otp.push(stem.to_string());
    };

    for case in &cases {
        let v1_name = format!("{case}.v1");
        let v2_name = format!("{case}.v2");
        let z_name = format!("{case}.z");
        let (Some(v1), Some(v2), Some(z)) =
            (files.get(&v1_name), files.get(&v2_name), files.get(&z_name))
        else {
            panic!("{case}: a variant is missing");
        };
        let t1 = decode_or_panic(&v1_name, v1);
        let t2 = decode_or_panic(&v2_name, v2);
        let tz = decode_or_panic(&z_name, z);
        assert_eq!(
            t1, t2,
            "{case}: Latin-1 and UTF-8 atom forms decode differently"
        );
        assert_eq!(t1, tz, "{case}: the compressed form decodes differently");

        let ours = encode_or_panic(case, &t2);
        if HASH_ORDER_CASES.contains(case) {
            assert_ne!(
                &ours, v2,
                "{case} is listed as hash-ordered but came out identical"
            );
            write_ours(&v2_name, &ours);
        } else {
            assert_eq!(
                &ours, v2,
                "{case}: not byte-identical to OTP's {{minor_version, 2}} encoding"
            );
            exact += 1;
        }
        if &ours == v1 {
            exact += 1;
        } else {
            write_ours(&v1_name, &ours);
        }
        let compressed = match to_bytes_compressed(&tz, 6) {
            Ok(c) => c,
            Err(e) => panic!("{case}: cannot compress: {e}"),
        };
        assert_eq!(
            from_bytes(&compressed).as_ref(),
            Ok(&tz),
            "{case}: our compressed form does not round-trip"
        );
        write_ours(&z_name, &compressed);
    }

    let mut legacy = 0usize;
    for (stem, bytes) in files.iter().filter(|(k, _)| k.ends_with(".raw")) {
        let t = decode_or_panic(stem, bytes);
        write_ours(stem, &encode_or_panic(stem, &t));
        legacy += 1;
    }
    assert!(
        legacy >= 15,
        "only {legacy} legacy encodings were accepted by OTP"
    );

    // The 1 MB binary decodes without copying when the input is shared.
    if let Some(big) = files.get("binary_1mb.v2") {
        let shared = bytes::Bytes::from(big.clone());
        match from_bytes_shared(&shared) {
            Ok(Term::Binary(b)) => {
                assert_eq!(b.len(), 1 << 20);
                assert_eq!(b.as_ptr(), shared[6..].as_ptr());
            }
            other => panic!("binary_1mb: {other:?}"),
        }
    }

    let report = run_with_deadline(
        Command::new("escript")
            .arg(escript("check_equal.escript"))
            .arg(&dir.0),
        Duration::from_secs(60),
    );
    let bad: Vec<&str> = report.lines().filter(|l| l.starts_with("bad")).collect();
    assert!(
        bad.is_empty(),
        "OTP disagrees with our encodings:\n{}",
        bad.join("\n")
    );
    let oks = report.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(
        oks,
        sent_to_otp.len(),
        "OTP checked {oks} of {} encodings:\n{report}",
        sent_to_otp.len()
    );
    eprintln!(
        "etf_golden: {} cases, {exact} byte-identical re-encodings, {} checked equal by OTP ({legacy} legacy)",
        cases.len(),
        sent_to_otp.len()
    );
}
