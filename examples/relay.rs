//! A self-hosted relay (docs/relay.md): member nodes behind NATs or in other networks connect
//! out to it over TLS, prove their cluster's secret, and reach each other through it on
//! end-to-end encrypted proxy tunnels.
//!
//! ```text
//! cargo run --release --example relay -- --listen 0.0.0.0:4370 \
//!     --cert relay.pem --key relay-key.pem --clusters clusters.txt [--name relay@relay.example.com]
//! ```
//!
//! `--clusters FILE`: one cluster a line, `NAME SECRET` (blank lines and `#` comments skipped);
//! keep the file private. Without `--cert`/`--key` the relay makes a self-signed certificate
//! (members must then skip verification: for trying it out). Prints `ready <node> <address>`
//! once listening, then runs until ctrl-c. RUST_LOG=info logs admissions and refusals.

use std::net::SocketAddr;
use std::path::PathBuf;

use ergo::relay::{RelayCluster, RelayOptions};
use ergo::runtime::net::{TlsIdentity, TlsOptions, TlsVerify};
use ergo::Node;

struct Args {
    listen: SocketAddr,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    clusters: PathBuf,
    name: String,
}

const USAGE: &str =
    "usage: relay --listen ADDR --clusters FILE [--cert PEM --key PEM] [--name relay@host]";

fn parse() -> Result<Args, String> {
    let mut listen = None;
    let (mut cert, mut key, mut clusters, mut name) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                listen = Some(v.parse().map_err(|e| format!("--listen {v}: {e}"))?);
            }
            "--cert" => cert = Some(PathBuf::from(value()?)),
            "--key" => key = Some(PathBuf::from(value()?)),
            "--clusters" => clusters = Some(PathBuf::from(value()?)),
            "--name" => name = Some(value()?),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or(USAGE)?,
        cert,
        key,
        clusters: clusters.ok_or(USAGE)?,
        name: name.unwrap_or_else(|| "relay@localhost".into()),
    })
}

/// `NAME SECRET` lines.
fn clusters(path: &PathBuf) -> Result<Vec<RelayCluster>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(char::is_whitespace) {
            Some((name, secret)) if !secret.trim().is_empty() => out.push(RelayCluster {
                name: name.to_string(),
                secret: secret.trim().as_bytes().to_vec(),
            }),
            _ => {
                return Err(format!(
                    "{}:{}: expected NAME SECRET",
                    path.display(),
                    n + 1
                ))
            }
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let args = parse()?;
    let identity = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => TlsIdentity::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        (None, None) => TlsIdentity::SelfSigned,
        _ => return Err("--cert and --key go together".into()),
    };
    let tls = TlsOptions {
        identity,
        verify: TlsVerify::InsecureSkipVerify,
    };
    let options = RelayOptions::new(args.listen, tls, clusters(&args.clusters)?);
    let relay = Node::start_relay(&args.name, options).await?;
    println!("ready {} {}", relay.node().name(), relay.address());
    let node = relay.node().clone();
    let reason = tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            signal?;
            node.stop();
            node.wait().await
        }
        reason = node.wait() => reason,
    };
    if !reason.is_atom("normal") {
        return Err(format!("relay stopped: {reason}").into());
    }
    Ok(())
}
