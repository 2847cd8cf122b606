//! A converter between Erlang's External Term Format and Erlang term text, for people and for
//! checking the codec by hand.
//!
//! ```text
//! erl -noshell -eval 'file:write_file("t.etf", term_to_binary({ok, [1, 2.5, <<"x">>])), halt().'
//! cargo run --example etf -- decode < t.etf         # {ok,[1,2.5,<<"x">>]}
//! cargo run --example etf -- decode --w < t.etf     # {ok,[1,2.5,<<120>>]}
//! echo '#{a => "hi"}.' | cargo run --example etf -- encode > t.etf
//! ```
//!
//! `decode` reads one term in ETF (version byte 131, compressed or not) from stdin and prints it
//! as `io:format("~p~n", [Term])` would: printable lists and binaries as strings, broken over
//! lines to fit 80 columns (`--w`: on one line, exactly as `io:format("~w~n", [Term])`). `encode`
//! reads one term in Erlang syntax (final `.` optional; either form `decode` prints) and writes
//! its ETF (`--compress`: zlib-compressed, tag 80). Bad input exits with status 1 and a one-line message naming the problem and its offset;
//! bad arguments exit with status 2.
//!
//! The conversion lives in [`convert`] so that tests can call it without a process.

use std::fmt;
use std::io::{Read, Write};
use std::process::ExitCode;

use ergo::etf::text::{parse, ParseError};
use ergo::etf::{from_bytes, to_bytes, to_bytes_compressed, DecodeError, EncodeError};

/// The zlib level `--compress` uses (OTP's `term_to_binary(T, [compressed])` default).
const COMPRESSION_LEVEL: u32 = 6;

const USAGE: &str = "usage: etf decode [--w] | etf encode [--compress]   (input on stdin)";

/// What the converter was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ETF in, text out: `~p` (strings, line breaks), or `~w` when `w` is set.
    Decode {
        /// Print as `~w` (one line, lists and binaries as their elements) rather than `~p`.
        w: bool,
    },
    /// Text in, ETF out; `compress` selects the compressed form.
    Encode {
        /// Write `term_to_binary(T, [compressed])`-style output.
        compress: bool,
    },
}

/// Why a conversion failed.
#[derive(Debug)]
pub enum ConvertError {
    /// The command line was not understood.
    Usage(String),
    /// The ETF input did not decode.
    Decode(DecodeError),
    /// The text input was not UTF-8; the offset of the first bad byte.
    NotUtf8(usize),
    /// The text input did not parse.
    Parse(ParseError),
    /// The parsed term could not be encoded.
    Encode(EncodeError),
    /// Reading stdin or writing stdout failed.
    Io(std::io::Error),
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Usage(message) => write!(f, "{message}\n{USAGE}"),
            ConvertError::Decode(e) => write!(f, "cannot decode ETF input: {e}"),
            ConvertError::NotUtf8(offset) => {
                write!(f, "cannot parse input: not UTF-8 at byte offset {offset}")
            }
            ConvertError::Parse(e) => write!(f, "cannot parse input: {e}"),
            ConvertError::Encode(e) => write!(f, "cannot encode term: {e}"),
            ConvertError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// Reads the mode from the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Mode, ConvertError> {
    let (command, flags) = match args.split_first() {
        Some((command, flags)) => (command.as_str(), flags),
        None => return Err(ConvertError::Usage("missing command".into())),
    };
    let mut mode = match command {
        "decode" => Mode::Decode { w: false },
        "encode" => Mode::Encode { compress: false },
        other => return Err(ConvertError::Usage(format!("unknown command `{other}`"))),
    };
    for flag in flags {
        match (&mut mode, flag.as_str()) {
            (Mode::Decode { w }, "--w") => *w = true,
            (Mode::Encode { compress }, "--compress") => *compress = true,
            (_, other) => {
                return Err(ConvertError::Usage(format!(
                    "unknown option `{other}` for {command}"
                )))
            }
        }
    }
    Ok(mode)
}

/// Converts one input: ETF to text (with a final newline), or text to ETF.
pub fn convert(mode: Mode, input: &[u8]) -> Result<Vec<u8>, ConvertError> {
    match mode {
        Mode::Decode { w } => {
            let term = from_bytes(input).map_err(ConvertError::Decode)?;
            let text = if w {
                format!("{}\n", term.display_w())
            } else {
                format!("{term:#}\n")
            };
            Ok(text.into_bytes())
        }
        Mode::Encode { compress } => {
            let text =
                std::str::from_utf8(input).map_err(|e| ConvertError::NotUtf8(e.valid_up_to()))?;
            let term = parse(text).map_err(ConvertError::Parse)?;
            let bytes = if compress {
                to_bytes_compressed(&term, COMPRESSION_LEVEL)
            } else {
                to_bytes(&term)
            };
            bytes.map_err(ConvertError::Encode)
        }
    }
}

fn run() -> Result<(), ConvertError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = parse_args(&args)?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(ConvertError::Io)?;
    let output = convert(mode, &input)?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&output)
        .and_then(|()| stdout.flush())
        .map_err(ConvertError::Io)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ ConvertError::Usage(_)) => {
            eprintln!("etf: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("etf: {e}");
            ExitCode::from(1)
        }
    }
}
