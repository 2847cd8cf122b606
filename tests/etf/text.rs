//! Erlang-syntax text against a real `erl`: our `~w` (`Term::display_w`), one-line `~p`
//! (`Display`) and `~p` (`{:#}`, `Term::pretty`) must print exactly what OTP prints for the same
//! term (decoded from its `term_to_binary` bytes), and our parser must read literals to the same
//! term `erl_eval` builds from them. Plus parse errors, limits, and the print-then-parse round
//! trip as a property.

use crate::common;

use std::collections::HashMap;
use std::io::Write as _;
use std::process::Command;
use std::sync::OnceLock;

use ergo_etf::text::{parse, ParseErrorKind};
use ergo_etf::{Atom, BitBinary, Map, Term};
use num_bigint::BigInt;
use proptest::prelude::*;

/// Prints, for each term, `T <etf hex> <~w utf8 hex> <~p utf8 hex> <one-line ~p utf8 hex>` (the
/// one-line `~p` is `~p` with a line length no term here reaches); then, for each hex-encoded
/// source line of the file given as argument, `P <source hex> <etf hex>` (or `error`).
const ESCRIPT: &str = r#"#!/usr/bin/env escript
-mode(compile).
h(B) -> binary:encode_hex(B).
u(Chars) -> unicode:characters_to_binary(Chars).
terms() ->
    Reserved = [list_to_atom(W) || W <- string:split("after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor maybe else query spec", " ", all)],
    Atoms = [ok, 'hello world', 'Foo', '', 'a\nb', 'it\'s', 'a\\b', list_to_atom([233]), list_to_atom([256,$B]),
             'a@b', 'a.b', '_x', x_1, 'a-b', '\t', list_to_atom([$a,127]), list_to_atom([$a,1,$b]),
             list_to_atom([$a,$",$b]), true, nil, list_to_atom([$a,128,159,160,255,247,223]),
             list_to_atom([$a,215]), list_to_atom([$a,16#1F600]), list_to_atom([223,$x]), list_to_atom([192])],
    Ints = [0, -1, 255, 256, 1 bsl 31, -(1 bsl 31), 1 bsl 62, (1 bsl 63) - 1, -(1 bsl 63), 1 bsl 63, 1 bsl 64,
            -(1 bsl 200), 12345678901234567890123],
    rand:seed(exsss, {7, 8, 9}),
    Floats = [1.0, 0.1, 1.0e10, -0.0, 0.0, 1.0e-5, 123456789.0, 1.0e15, 1.0e16, 1.0e21, 1.0e22, 1.0e23,
              1.0e-4, 0.001, 5.0e-324, 1.7976931348623157e308, 3.14, 100.0, 1.0e4, 12345678901234567890.0,
              0.0005, 2.5e-7, 0.3, 123.456, -1.5, 2.2250738585072014e-308, 9007199254740993.0]
          ++ [rand:normal() * math:pow(10, rand:uniform(40) - 20) || _ <- lists:seq(1, 150)]
          ++ [(rand:uniform() - 0.5) * math:pow(10, rand:uniform(600) - 300) || _ <- lists:seq(1, 150)]
          ++ [float(rand:uniform(100000)) || _ <- lists:seq(1, 30)],
    Bins = [<<>>, <<1,2,3>>, <<"abc">>, <<1,2:3>>, <<7:3>>, <<"a\nb">>, <<"\x{e9}"/utf8>>, <<255,0>>,
            <<"a\"b\\">>, <<128>>, <<200>>, <<160>>, <<1:1>>, <<"x\ty\e">>, list_to_binary(lists:seq(0, 99)),
            <<"printable but long enough to need to wrap somewhere past the eightieth column">>],
    Lists = [[], "abc", [1|2], [a|b], [1,[2,3]|4], [7,8,9,10,13,27,127], "a\"b", [233], [256], [$a,16#1F600],
             "tab\there", [-1], [1.0], [[]], [8,9,10,11,12,13,27], "\x{a0}\x{ff}", [31], "a" ++ [160]],
    Tuples = [{}, {a}, {a,b}, {[1,2],"x"}, {1,{2,{3}}}, {"s", <<"b">>, [x]}],
    Maps = [#{}, #{b => 1, a => 2, 1 => x, "s" => 1}, #{1.5 => a, 2 => b, 1 => c},
            #{{1} => a, {1.5} => b, {2} => c}, #{a => #{b => []}}, #{[1] => 1, [1.5] => 2, [2] => 3}],
    Opaque = [self(), make_ref(), erlang:monitor(process, self(), [{alias, explicit_unalias}]),
              hd(erlang:ports()), fun lists:map/2, fun(X) -> X end, erlang:make_fun('Elixir.Foo', 'bar baz', 1)],
    Pretty = [lists:seq(1, 40),
              {error,{badarg,[{erlang,atom_to_list,[1],[]},{foo,bar,2,[{file,"x.erl"},{line,12}]},
                              {foo,bar,2,[{file,"x.erl"},{line,12}]}]}},
              [{a,1},{b,2},{c,lists:seq(1,30)},{d,"hello world this is a long string"}],
              #{alpha => lists:seq(1,20), beta => "some string here to fill the line", gamma => {x,y,z}},
              {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,ccccccccccccccccc},
              [1,2,3|lists:seq(4, 60)] ++ x,
              {state, <<"session-identifier-0123456789">>, [{peer, {127,0,0,1}, 4369}, {opts, [binary, {active, false}]}],
               #{retries => 3, timeout => 5000, name => "a rather long name to force breaking"}},
              #{{very_long_key_number_one, 1} => [lists:seq(1, 25)], {very_long_key_number_two, 2} => "value"},
              lists:duplicate(5, {some_atom, "some string", 12345, [a, b, c]}),
              [lists:seq(1, 30), list_to_binary(lists:seq(1, 60)), {x, lists:seq(100, 130)}],
              {a_very_long_tag_name_for_this_tuple_to_exceed_the_limit, [1,2,3], {another_long_atom_here, 42}, "str"},
              [#{k => v}, #{}, {}, [], <<>>, <<"bin">>, "string", 'Quoted Atom', 3.14, -7, lists:seq(1, 20)],
              {ok, [1, 2.5, <<"x">>, "abc", #{a => lists:seq(1, 40), b => {some, "long string here"}}]},
              [{key, lists:duplicate(30, $x) ++ [1]}, {k2, [1, 2 | improper_tail_that_is_long_enough_to_wrap_here]}]],
    Reserved ++ Atoms ++ Ints ++ Floats ++ Bins ++ Lists ++ Tuples ++ Maps ++ Opaque ++ Pretty.
lines(File) ->
    {ok, Data} = file:read_file(File),
    [L || L <- binary:split(Data, <<"\n">>, [global]), L =/= <<>>].
main([File, TermFile]) ->
    Random = [binary_to_term(binary:decode_hex(L)) || L <- lines(TermFile)],
    [io:format("T ~s ~s ~s ~s~n", [h(term_to_binary(T)), h(u(io_lib:format("~w", [T]))), h(u(io_lib:format("~p", [T]))),
                                   h(u(io_lib:format("~10000000p", [T])))])
     || T <- terms() ++ Random],
    Lines = lines(File),
    lists:foreach(fun(L) ->
        Src = unicode:characters_to_list(binary:decode_hex(L)),
        Out = try
                  {ok, Toks, _} = erl_scan:string(Src ++ "\n."),
                  {ok, [Expr]} = erl_parse:parse_exprs(Toks),
                  {value, V, _} = erl_eval:expr(Expr, []),
                  h(term_to_binary(V))
              catch _:_ -> <<"error">>
              end,
        io:format("P ~s ~s~n", [L, Out])
    end, Lines).
"#;

/// Erlang literals whose value our parser must agree on with `erl_eval`.
const SOURCES: &[&str] = &[
    "ok",
    "'hello world'",
    "'it\\'s'",
    "'\\x{100}B'",
    "'a\\001b'",
    "'\\^a\\s\\d\\e'",
    "-0.0",
    "1.0e-5",
    "1.5E+3",
    "1_000_000",
    "16#FF",
    "-16#ff_ff",
    "36#ZZ",
    "2#1010",
    "$a",
    "$\\n",
    "-$a",
    "$\\x{1F600}",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "\"abc\"",
    "\"ab\" \"cd\"",
    "\"\\x41\\101\\t\"",
    "\"\u{e9}\u{1F600}\"",
    "<<1,2,3>>",
    "<<\"abc\">>",
    "<<\"\u{e9}\"/utf8>>",
    "<<\"\u{e9}\u{1F600}\"/utf16>>",
    "<<\"\u{e9}\"/utf32-little>>",
    "<<1:3>>",
    "<<1:3, 2:5, 3:7>>",
    "<<-1:12>>",
    "<<300>>",
    "<<1024:16/little>>",
    "<<1:4/unit:8>>",
    "<<1.5/float>>",
    "<<1.5:32/float-little>>",
    "<<7/float>>",
    "<<$a, \"bc\":16>>",
    "<<123456789012345678901234567890:128/signed-big>>",
    "<< >>",
    "{}",
    "{a, {b, [c]}}",
    "[1, 2 | 3]",
    "[1 | [2, 3]]",
    "[a | []]",
    "#{}",
    "#{a => 1, b => #{c => [2]}}",
    "#{a => 1, a => 2}",
    "[1.0, -2.5e10, 0.1]",
    "{ 'Foo' , \"x\" } % a comment",
];

/// How many random terms (besides the hand-picked ones) erl prints for comparison.
const RANDOM_TERMS: usize = 300;

/// A small deterministic generator of varied terms (xorshift64), so that every run compares
/// the same terms and a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn term(&mut self, depth: u32) -> Term {
        const ATOMS: &[&str] = &[
            "ok",
            "error",
            "Foo",
            "a b",
            "undefined",
            "x@y",
            "\u{e9}t\u{e9}",
            "it's",
            "tab\t",
            "\u{65e5}\u{672c}",
            "",
            "case",
            "very_long_atom_name_to_make_lines_wide",
        ];
        let kinds = if depth == 0 { 8 } else { 12 };
        match self.below(kinds) {
            0 => Term::Int(self.below(2001) as i64 - 1000),
            1 => Term::Int(self.next() as i64),
            2 => {
                let f = f64::from_bits(self.next());
                if f.is_finite() {
                    Term::Float(f)
                } else {
                    Term::Float(self.below(100_000) as f64 / 64.0)
                }
            }
            3 => Term::atom(ATOMS[self.below(ATOMS.len() as u64) as usize]),
            4 => {
                let len = self.below(30);
                Term::list(
                    (0..len)
                        .map(|_| Term::Int(32 + self.below(95) as i64))
                        .collect::<Vec<_>>(),
                )
            }
            5 => {
                let len = 1 + self.below(6);
                Term::list(
                    (0..len)
                        .map(|_| Term::Int(self.below(300) as i64))
                        .collect::<Vec<_>>(),
                )
            }
            6 => {
                let len = self.below(40);
                let printable = self.below(2) == 0;
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        if printable {
                            32 + self.below(95) as u8
                        } else {
                            self.next() as u8
                        }
                    })
                    .collect();
                Term::binary(bytes)
            }
            7 => {
                let bits = 1 + self.below(7) as u8;
                let mut bytes: Vec<u8> =
                    (0..1 + self.below(5)).map(|_| self.next() as u8).collect();
                if let Some(last) = bytes.last_mut() {
                    *last &= 0xffu8 << (8 - bits);
                }
                Term::BitBinary(BitBinary {
                    bytes: bytes.into(),
                    bits_in_last: bits,
                })
            }
            8 => Term::Tuple((0..self.below(7)).map(|_| self.term(depth - 1)).collect()),
            9 => Term::List((0..self.below(9)).map(|_| self.term(depth - 1)).collect()),
            10 => Term::Map(Map::from_pairs(
                (0..self.below(6))
                    .map(|_| (self.term(depth - 1), self.term(depth - 1)))
                    .collect::<Vec<_>>(),
            )),
            _ => {
                let head = (0..1 + self.below(4))
                    .map(|_| self.term(depth - 1))
                    .collect();
                Term::cons(head, self.term(0))
            }
        }
    }
}

/// What erl printed for one term.
struct Printed {
    term: Term,
    /// `~w`.
    w: String,
    /// `~p`, laid out in 80 columns.
    p: String,
    /// `~p` on one line.
    line: String,
}

struct ErlOutput {
    /// Every term the escript generated, as erl printed it.
    printed: Vec<Printed>,
    /// Source text -> the term erl built from it (None when erl refused it).
    evaluated: HashMap<String, Option<Term>>,
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digit"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Runs the escript once for the whole test binary.
fn erl_output() -> &'static ErlOutput {
    static OUTPUT: OnceLock<ErlOutput> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        let dir = std::env::temp_dir().join(common::unique_name("etf_text"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let script = dir.join("print.escript");
        std::fs::write(&script, ESCRIPT).expect("write escript");
        let sources = dir.join("sources.txt");
        let mut file = std::fs::File::create(&sources).expect("sources file");
        for source in SOURCES {
            writeln!(file, "{}", hex(source.as_bytes())).expect("write sources");
        }
        drop(file);
        let random = dir.join("random.txt");
        let mut file = std::fs::File::create(&random).expect("random terms file");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..RANDOM_TERMS {
            let bytes = ergo_etf::to_bytes(&rng.term(3)).expect("encode random term");
            writeln!(file, "{}", hex(&bytes)).expect("write random terms");
        }
        drop(file);
        let output = Command::new("escript")
            .arg(&script)
            .arg(&sources)
            .arg(&random)
            .output()
            .expect("run escript");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            output.status.success(),
            "escript failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("escript prints ASCII hex");
        let mut printed = Vec::new();
        let mut evaluated = HashMap::new();
        for line in stdout.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields.as_slice() {
                ["T", etf, w, p, line] => {
                    let term = ergo_etf::from_bytes(&unhex(etf))
                        .unwrap_or_else(|e| panic!("decode {etf}: {e}"));
                    let w = String::from_utf8(unhex(w)).expect("utf8 ~w");
                    let p = String::from_utf8(unhex(p)).expect("utf8 ~p");
                    let line = String::from_utf8(unhex(line)).expect("utf8 one-line ~p");
                    printed.push(Printed { term, w, p, line });
                }
                ["P", source, etf] => {
                    let source = String::from_utf8(unhex(source)).expect("utf8 source");
                    let term = (*etf != "error")
                        .then(|| ergo_etf::from_bytes(&unhex(etf)).expect("decode evaluated"));
                    evaluated.insert(source, term);
                }
                _ => panic!("unexpected escript line {line:?}"),
            }
        }
        assert!(
            printed.len() > 400 + RANDOM_TERMS,
            "escript printed only {} terms",
            printed.len()
        );
        assert_eq!(evaluated.len(), SOURCES.len());
        ErlOutput { printed, evaluated }
    })
}

fn is_opaque(term: &Term) -> bool {
    match term {
        Term::Pid(_) | Term::Port(_) | Term::Reference(_) | Term::Fun(_) | Term::Export(_) => true,
        Term::Tuple(items) | Term::List(items) => items.iter().any(is_opaque),
        Term::ImproperList(items, tail) => items.iter().any(is_opaque) || is_opaque(tail),
        Term::Map(map) => map.iter().any(|(k, v)| is_opaque(k) || is_opaque(v)),
        _ => false,
    }
}

#[test]
fn display_w_matches_erl_tilde_w() {
    if !common::require_erl("display_w_matches_erl_tilde_w") {
        return;
    }
    let mismatches: Vec<String> = erl_output()
        .printed
        .iter()
        .filter(|e| e.term.display_w().to_string() != e.w)
        .map(|e| format!("erl: {}\nus:  {}", e.w, e.term.display_w()))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        erl_output().printed.len(),
        mismatches.join("\n")
    );
}

#[test]
fn pretty_matches_erl_tilde_p() {
    if !common::require_erl("pretty_matches_erl_tilde_p") {
        return;
    }
    let multi_line = erl_output()
        .printed
        .iter()
        .filter(|e| e.p.contains('\n'))
        .count();
    assert!(
        multi_line >= 60,
        "only {multi_line} terms need line breaks: the layout is barely tested"
    );
    let mismatches: Vec<String> = erl_output()
        .printed
        .iter()
        .filter(|e| e.term.pretty() != e.p || format!("{:#}", e.term) != e.p)
        .map(|e| format!("erl:\n{}\nus:\n{}", e.p, e.term.pretty()))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n----\n")
    );
}

#[test]
fn display_matches_erl_tilde_p_on_one_line() {
    if !common::require_erl("display_matches_erl_tilde_p_on_one_line") {
        return;
    }
    let printed = &erl_output().printed;
    let with_strings = printed.iter().filter(|e| e.line != e.w).count();
    assert!(
        with_strings >= 100,
        "only {with_strings} terms print strings: the string rules are barely tested"
    );
    let mismatches: Vec<String> = printed
        .iter()
        .filter(|e| e.term.to_string() != e.line || e.line.contains('\n'))
        .map(|e| format!("erl: {}\nus:  {}", e.line, e.term))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        printed.len(),
        mismatches.join("\n")
    );
}

#[test]
fn parse_reads_what_erl_prints() {
    if !common::require_erl("parse_reads_what_erl_prints") {
        return;
    }
    let mut checked = 0;
    for Printed { term, w, p, line } in &erl_output().printed {
        if is_opaque(term) {
            assert!(parse(w).is_err(), "{w} should not parse");
            continue;
        }
        assert_eq!(parse(w).as_ref(), Ok(term), "~w text {w}");
        assert_eq!(parse(p).as_ref(), Ok(term), "~p text {p}");
        assert_eq!(parse(line).as_ref(), Ok(term), "one-line ~p text {line}");
        checked += 1;
    }
    assert!(checked > 350, "only {checked} terms checked");
}

#[test]
fn parse_agrees_with_erl_eval() {
    if !common::require_erl("parse_agrees_with_erl_eval") {
        return;
    }
    for source in SOURCES {
        let expected = erl_output()
            .evaluated
            .get(*source)
            .expect("erl saw every source");
        let expected = expected
            .as_ref()
            .unwrap_or_else(|| panic!("erl refused {source}"));
        assert_eq!(parse(source).as_ref(), Ok(expected), "source {source}");
    }
}

#[test]
fn parse_errors_say_where_and_what() {
    let err = parse("{a, b").unwrap_err();
    assert_eq!(err.offset, 5);
    assert!(
        matches!(err.kind, ParseErrorKind::UnexpectedEnd { .. }),
        "{err}"
    );
    let err = parse("[1,\n  2 3]").unwrap_err();
    assert_eq!((err.offset, err.line, err.column), (8, 2, 5));
    assert!(
        err.to_string().contains("expected `,`, `|` or `]`"),
        "{err}"
    );
    assert!(matches!(parse("{ok, X}").unwrap_err().kind, ParseErrorKind::Variable(v) if v == "X"));
    assert!(matches!(
        parse("case").unwrap_err().kind,
        ParseErrorKind::ReservedWord(_)
    ));
    assert!(matches!(
        parse("<0.1.0>").unwrap_err().kind,
        ParseErrorKind::Unparseable
    ));
    assert!(matches!(
        parse("1.0e999").unwrap_err().kind,
        ParseErrorKind::FloatOutOfRange
    ));
    assert!(matches!(
        parse("37#1").unwrap_err().kind,
        ParseErrorKind::BadNumber(_)
    ));
    assert!(matches!(
        parse("1__0").unwrap_err().kind,
        ParseErrorKind::Unexpected { .. }
    ));
    assert!(matches!(
        parse("'a\\x{D800}'").unwrap_err().kind,
        ParseErrorKind::BadEscape
    ));
    assert!(matches!(
        parse(&format!("'{}'", "a".repeat(256))).unwrap_err().kind,
        ParseErrorKind::AtomTooLong
    ));
    assert!(matches!(
        parse("<<1/binary>>").unwrap_err().kind,
        ParseErrorKind::BadSegment(_)
    ));
    assert!(matches!(
        parse("<<1:3/little>>").unwrap_err().kind,
        ParseErrorKind::BadSegment(_)
    ));
    assert!(matches!(
        parse("<<0:1000000000>>").unwrap_err().kind,
        ParseErrorKind::BinaryTooLarge(_)
    ));
    assert!(matches!(
        parse("#rec{}").unwrap_err().kind,
        ParseErrorKind::Unexpected { .. }
    ));
    assert!(matches!(
        parse("a. b").unwrap_err().kind,
        ParseErrorKind::Unexpected { .. }
    ));
    assert!(parse("").is_err());
    assert!(parse("\"unterminated").is_err());
    assert_eq!(
        parse("  {a}.  % done\n"),
        Ok(Term::tuple(vec![Term::atom("a")]))
    );
    assert_eq!("1.".parse::<Term>(), Ok(Term::Int(1)));
}

#[test]
fn parse_refuses_deep_nesting_without_overflowing() {
    let deep = "[".repeat(100_000);
    assert!(matches!(
        parse(&deep).unwrap_err().kind,
        ParseErrorKind::TooDeep(_)
    ));
    // The deepest term the decoder accepts prints, pretty-prints and parses back.
    let depth = ergo_etf::MAX_NESTING_DEPTH - 1;
    let text = format!("{}ok{}", "{".repeat(depth), "}".repeat(depth));
    let term = parse(&text).expect("deep but within the limit");
    assert_eq!(term.display_w().to_string(), text);
    assert_eq!(term.to_string(), text);
    assert_eq!(parse(&term.pretty()).as_ref(), Ok(&term));
    let bytes = ergo_etf::to_bytes(&term).expect("encode deep");
    assert_eq!(
        ergo_etf::from_bytes(&bytes)
            .expect("decode deep")
            .display_w()
            .to_string(),
        text
    );
}

#[test]
fn display_of_hand_built_terms() {
    let pid = Term::Pid(ergo_etf::Pid {
        node: Atom::new("n@h"),
        id: 80,
        serial: 2,
        creation: 1,
    });
    let bits = Term::BitBinary(BitBinary {
        bytes: bytes::Bytes::from_static(&[1, 0b0100_0000]),
        bits_in_last: 3,
    });
    let map = Term::Map(Map::from_pairs([
        (Term::Float(1.5), Term::atom("f")),
        (Term::Int(2), Term::atom("i")),
    ]));
    let big = Term::bigint(BigInt::from(1u8) << 70u32);
    let term = Term::list(vec![
        pid,
        bits,
        map,
        big,
        Term::cons(vec![Term::Int(1)], Term::atom("t")),
    ]);
    let w = "[<0.80.2>,<<1,2:3>>,#{2 => i,1.5 => f},1180591620717411303424,[1|t]]";
    assert_eq!(term.display_w().to_string(), w);
    // Nothing in it is a string: the one-line ~p is the same text.
    assert_eq!(term.to_string(), w);
    assert_eq!(
        Term::list(vec![Term::Int(104), Term::Int(105)]).pretty(),
        "\"hi\""
    );
}

#[test]
fn display_forms_of_strings() {
    let hi = Term::list(vec![Term::Int(104), Term::Int(105)]);
    let panic = Term::tuple(vec![
        Term::atom("panic"),
        Term::binary(&b"ask \"why\"\n"[..]),
        hi.clone(),
        Term::binary(&[1u8, 2][..]),
        Term::list(vec![Term::Int(104), Term::Int(256)]),
        Term::binary(&b""[..]),
        Term::nil(),
    ]);
    assert_eq!(
        panic.to_string(),
        "{panic,<<\"ask \\\"why\\\"\\n\">>,\"hi\",<<1,2>>,[104,256],<<>>,[]}"
    );
    assert_eq!(
        panic.display_w().to_string(),
        "{panic,<<97,115,107,32,34,119,104,121,34,10>>,[104,105],<<1,2>>,[104,256],<<>>,[]}"
    );
    // `{:#}` is the laid-out ~p; a long term breaks over lines there and never in `{}`.
    let long = Term::list(vec![hi.clone(); 30]);
    assert_eq!(format!("{long:#}"), long.pretty());
    assert!(long.pretty().contains('\n'));
    assert!(!long.to_string().contains('\n'));
    assert_eq!(
        long.to_string(),
        format!("[{}]", vec!["\"hi\""; 30].join(","))
    );
    // Width and alignment apply to the whole text.
    assert_eq!(format!("{hi:>6}|"), "  \"hi\"|");
    assert_eq!(format!("{:<9}|", hi.display_w()), "[104,105]|");
}

fn leaf() -> impl Strategy<Value = Term> {
    prop_oneof![
        any::<i64>().prop_map(Term::Int),
        any::<i128>().prop_map(|i| Term::bigint(BigInt::from(i))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Term::Float),
        "\\PC{0,12}".prop_map(|s| Term::atom(&s)),
        "[a-z][a-zA-Z0-9_@]{0,8}".prop_map(|s| Term::atom(&s)),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(Term::binary),
        (proptest::collection::vec(any::<u8>(), 1..6), 1u8..8).prop_map(|(mut bytes, bits)| {
            if let Some(last) = bytes.last_mut() {
                *last &= 0xffu8 << (8 - bits);
            }
            Term::BitBinary(BitBinary {
                bytes: bytes.into(),
                bits_in_last: bits,
            })
        }),
        "\\PC{0,10}".prop_map(|s| Term::list(
            s.chars()
                .map(|c| Term::Int(i64::from(u32::from(c))))
                .collect::<Vec<_>>()
        )),
    ]
}

fn any_term() -> impl Strategy<Value = Term> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Term::Tuple),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Term::List),
            (
                proptest::collection::vec(inner.clone(), 1..4),
                inner.clone()
            )
                .prop_map(|(h, t)| Term::cons(h, t)),
            proptest::collection::vec((inner.clone(), inner), 0..5)
                .prop_map(|p| Term::Map(Map::from_pairs(p))),
        ]
    })
}

proptest! {
    #[test]
    fn print_then_parse_round_trips(term in any_term()) {
        let w = term.display_w().to_string();
        prop_assert_eq!(parse(&w), Ok(term.clone()), "~w text {}", w);
        let line = term.to_string();
        prop_assert_eq!(parse(&line), Ok(term.clone()), "one-line ~p text {}", line);
        prop_assert!(!line.contains('\n'), "one line: {}", line);
        let pretty = term.pretty();
        prop_assert_eq!(parse(&pretty), Ok(term), "~p text {}", pretty);
        // A ~p layout that needs no line break is the one-line text.
        if !pretty.contains('\n') {
            prop_assert_eq!(&pretty, &line);
        }
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_damaged_terms(term in any_term(), cut in any::<prop::sample::Index>(), junk in "[\\[\\]{}<>#,|:/\\\\'\"$%.=0-9a-zA-Z_ -]{1,3}") {
        let text = term.to_string();
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let at = boundaries[cut.index(boundaries.len())];
        let damaged = format!("{}{}{}", &text[..at], junk, &text[at..]);
        if let Err(e) = parse(&damaged) {
            prop_assert!(e.offset <= damaged.len());
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
        let _ = parse(&text[..at]);
    }
}
