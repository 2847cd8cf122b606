//! The `etf` converter example: its conversion function directly, and the built binary end to
//! end between two runs of a real `erl` (term_to_binary -> decode -> text -> encode ->
//! binary_to_term must give back the same term, and the text must be what erl's own
//! `io:format("~p~n")` prints).

use crate::common;

#[allow(dead_code)]
#[path = "../../examples/etf.rs"]
mod converter;

use std::io::Write as _;
use std::process::{Command, Stdio};

use converter::{convert, parse_args, ConvertError, Mode};
use ergo_etf::{from_bytes, to_bytes, Map, Term};

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn arguments_select_the_mode() {
    assert_eq!(
        parse_args(&args(&["decode"])).ok(),
        Some(Mode::Decode { w: false })
    );
    assert_eq!(
        parse_args(&args(&["decode", "--w"])).ok(),
        Some(Mode::Decode { w: true })
    );
    assert!(matches!(
        parse_args(&args(&["decode", "--pretty"])),
        Err(ConvertError::Usage(_))
    ));
    assert_eq!(
        parse_args(&args(&["encode", "--compress"])).ok(),
        Some(Mode::Encode { compress: true })
    );
    assert!(matches!(
        parse_args(&args(&[])),
        Err(ConvertError::Usage(_))
    ));
    assert!(matches!(
        parse_args(&args(&["encode", "--pretty"])),
        Err(ConvertError::Usage(_))
    ));
    assert!(matches!(
        parse_args(&args(&["encode", "--w"])),
        Err(ConvertError::Usage(_))
    ));
    assert!(matches!(
        parse_args(&args(&["frobnicate"])),
        Err(ConvertError::Usage(_))
    ));
}

#[test]
fn decode_prints_erlang_text() {
    let term = Term::tuple(vec![
        Term::atom("ok"),
        Term::list(vec![Term::Int(104), Term::Int(105)]),
        Term::Map(Map::from_pairs([(Term::atom("k"), Term::Float(2.5))])),
    ]);
    let bytes = to_bytes(&term).expect("encode");
    let text = convert(Mode::Decode { w: true }, &bytes).expect("decode");
    assert_eq!(
        String::from_utf8(text).expect("utf8"),
        "{ok,[104,105],#{k => 2.5}}\n"
    );
    let text = convert(Mode::Decode { w: false }, &bytes).expect("decode");
    assert_eq!(
        String::from_utf8(text).expect("utf8"),
        "{ok,\"hi\",#{k => 2.5}}\n"
    );
    // ~p breaks a long term over lines, as io:format("~p~n") does; ~w never does.
    let long = Term::tuple(vec![
        Term::atom("ok"),
        Term::list((1..=40).map(Term::Int).collect::<Vec<_>>()),
    ]);
    let bytes = to_bytes(&long).expect("encode");
    let text = convert(Mode::Decode { w: false }, &bytes).expect("decode");
    assert_eq!(
        String::from_utf8(text).expect("utf8"),
        "{ok,[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,\n     \
         28,29,30,31,32,33,34,35,36,37,38,39,40]}\n"
    );
    let text = convert(Mode::Decode { w: true }, &bytes).expect("decode");
    assert_eq!(String::from_utf8(text).expect("utf8").lines().count(), 1);
}

#[test]
fn encode_writes_etf_of_the_text() {
    let bytes = convert(
        Mode::Encode { compress: false },
        b"{ok, \"hi\", <<1:3>>}.\n",
    )
    .expect("encode");
    let expected = Term::tuple(vec![
        Term::atom("ok"),
        Term::list(vec![Term::Int(104), Term::Int(105)]),
        "<<1:3>>".parse::<Term>().expect("bits"),
    ]);
    assert_eq!(from_bytes(&bytes), Ok(expected.clone()));
    assert_eq!(bytes, to_bytes(&expected).expect("encode"));
    let long = format!("{:?}.", "x".repeat(500));
    let compressed = convert(Mode::Encode { compress: true }, long.as_bytes()).expect("encode");
    assert_eq!(
        compressed.get(..2),
        Some(&[131u8, 80][..]),
        "compressed form uses tag 80"
    );
    assert_eq!(
        from_bytes(&compressed).ok(),
        long.trim_end_matches('.').parse::<Term>().ok()
    );
}

#[test]
fn bad_input_names_the_problem_and_offset() {
    let err = convert(Mode::Decode { w: false }, &[131, 104, 2, 97]).unwrap_err();
    assert!(
        matches!(&err, ConvertError::Decode(e) if e.offset == 4),
        "{err}"
    );
    let err = convert(Mode::Decode { w: true }, &[130, 97, 1]).unwrap_err();
    assert!(err.to_string().contains("at byte 0"), "{err}");
    let err = convert(Mode::Encode { compress: false }, b"{a, \xff}").unwrap_err();
    assert!(matches!(err, ConvertError::NotUtf8(4)), "{err}");
    let err = convert(Mode::Encode { compress: false }, b"{a, b").unwrap_err();
    assert!(err.to_string().contains("byte offset 5"), "{err}");
    assert!(!err.to_string().contains('\n'), "one line: {err}");
}

const ESCRIPT: &str = r#"#!/usr/bin/env escript
term() ->
    {ok, [1, -2.5, 1.0e300, <<"bin">>, <<1:3>>, "string", 'Quoted Atom', #{a => [], {1} => 2.0},
          12345678901234567890, [1|2], [233, 256], <<195, 169>>, {}, -0.0, $\n, [[]|[]]]}.
main(["gen", File]) ->
    ok = file:write_file(File, term_to_binary(term(), [compressed]));
main(["print"]) ->
    io:format("~p~n", [term()]);
main(["check", File]) ->
    {ok, Bin} = file:read_file(File),
    io:format("~p~n", [binary_to_term(Bin) =:= term()]).
"#;

/// The built example, if `cargo test` (or `cargo build --example etf`) built it: a narrow
/// `cargo test --test etf_example` does not build examples.
fn example_path() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join("etf");
    path.exists().then_some(path)
}

fn run_example(example: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(example)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the etf example");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("etf example output")
}

#[test]
fn erl_bytes_round_trip_through_the_example_binary() {
    if !common::require_erl("erl_bytes_round_trip_through_the_example_binary") {
        return;
    }
    let Some(example) = example_path() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "the etf example is not built: run the whole `cargo test`, which builds examples"
            );
        }
        eprintln!("SKIPPED: examples/etf not built; run `cargo build -p ergo --example etf` first");
        return;
    };
    let dir = std::env::temp_dir().join(common::unique_name("etf_example"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("roundtrip.escript");
    std::fs::write(&script, ESCRIPT).expect("write escript");
    let from_erl = dir.join("from_erl.etf");
    let to_erl = dir.join("to_erl.etf");

    let gen = Command::new("escript")
        .arg(&script)
        .arg("gen")
        .arg(&from_erl)
        .output()
        .expect("run escript");
    assert!(
        gen.status.success(),
        "gen: {}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let bytes = std::fs::read(&from_erl).expect("erl's bytes");
    assert_eq!(bytes.get(1), Some(&80), "erl wrote the compressed form");

    let decoded = run_example(&example, &["decode", "--w"], &bytes);
    assert!(
        decoded.status.success(),
        "decode --w: {}",
        String::from_utf8_lossy(&decoded.stderr)
    );
    let w_text = String::from_utf8(decoded.stdout).expect("utf8 text");
    assert!(
        w_text.starts_with("{ok,[1,-2.5,1.0e300,<<98,105,110>>,<<1:3>>,"),
        "{w_text}"
    );
    assert_eq!(w_text.lines().count(), 1, "one line: {w_text}");

    let decoded = run_example(&example, &["decode"], &bytes);
    assert!(
        decoded.status.success(),
        "decode: {}",
        String::from_utf8_lossy(&decoded.stderr)
    );
    let p_text = String::from_utf8(decoded.stdout).expect("utf8 text");
    let printed = Command::new("escript")
        .arg(&script)
        .arg("print")
        .output()
        .expect("run escript");
    assert!(
        printed.status.success(),
        "print: {}",
        String::from_utf8_lossy(&printed.stderr)
    );
    // erl writes its standard output in latin-1.
    let erl_p: String = printed.stdout.iter().map(|&b| char::from(b)).collect();
    assert_eq!(
        p_text, erl_p,
        "decode prints what io:format(\"~p~n\") prints"
    );
    assert!(
        p_text.contains("<<\"bin\">>") && p_text.contains("\"string\""),
        "{p_text}"
    );
    assert!(p_text.lines().count() > 1, "~p breaks this term: {p_text}");

    let mut checks = Vec::new();
    for (form, text) in [("~w", &w_text), ("~p", &p_text)] {
        let encoded = run_example(&example, &["encode"], text.as_bytes());
        assert!(
            encoded.status.success(),
            "encode {form}: {}",
            String::from_utf8_lossy(&encoded.stderr)
        );
        std::fs::write(&to_erl, &encoded.stdout).expect("write our bytes");
        let check = Command::new("escript")
            .arg(&script)
            .arg("check")
            .arg(&to_erl)
            .output()
            .expect("run escript");
        checks.push((form, check));
    }
    let _ = std::fs::remove_dir_all(&dir);
    for (form, check) in checks {
        assert!(
            check.status.success(),
            "check {form}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&check.stdout).trim(),
            "true",
            "erl's binary_to_term of our bytes from the {form} text differs"
        );
    }

    let bad = run_example(&example, &["decode"], &[131, 255]);
    assert_eq!(bad.status.code(), Some(1));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("at byte 1") && message.contains("unknown tag 255"),
        "{message}"
    );
}
