//! Fuzz target `dist_frame`: arbitrary bytes through the distribution layer's untrusted-input
//! paths. The first byte picks the path:
//! - even: the bytes are a stream of u32-length frames fed to a `FrameDecoder` (header atom
//!   cache + fragments negotiated, small reassembly caps); every message that decodes must
//!   re-encode and decode to the same message through a fresh encoder/decoder pair, and its
//!   spliced encoding (large binaries by reference) must be the same bytes as the flat one;
//! - odd: the bytes are what a peer sends our handshake acceptor (in memory); it must end with
//!   an error or a handshake, never a panic or a hang.
#![no_main]

use bytes::Bytes;
use ergo_core::dist::handshake::{self, HandshakeOptions, LocalNode, NoOtherConnections};
use ergo_core::dist::{DistFlags, FrameDecoder, FrameEncoder, FrameSettings};
use libfuzzer_sys::fuzz_target;
use tokio::io::AsyncWriteExt;

fn settings() -> FrameSettings {
    FrameSettings {
        max_frame_size: 1 << 16,
        fragment_size: 256,
        reassembly_cap: 1 << 16,
        max_sequences: 4,
        ..FrameSettings::default()
    }
}

fn frames(data: &[u8]) {
    let flags = DistFlags::IMPLEMENTED;
    let mut decoder = FrameDecoder::new(flags, &settings());
    let mut rest = data;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        rest = &rest[4..];
        if len == 0 {
            continue;
        }
        let Some(frame) = rest.get(..len) else { return };
        rest = &rest[len..];
        match decoder.decode(Bytes::copy_from_slice(frame)) {
            Ok(Some(msg)) => {
                let mut out = Vec::new();
                let mut encoder = FrameEncoder::new(flags, &settings());
                encoder.encode(&msg.control, msg.payload.as_ref(), &mut out).expect("re-encode");
                let mut fresh = FrameDecoder::new(flags, &settings());
                let mut again = None;
                let mut bytes = out.as_slice();
                while bytes.len() >= 4 {
                    let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
                    again = fresh.decode(Bytes::copy_from_slice(&bytes[4..4 + n])).expect("own frames decode");
                    bytes = &bytes[4 + n..];
                }
                assert_eq!(again.as_ref(), Some(&msg), "frame round trip changed the message");
                // Spliced (large binaries by reference, as the connection writer sends them):
                // the same bytes as the flat encoding.
                let (mut buf, mut splices) = (Vec::new(), Vec::new());
                FrameEncoder::new(flags, &settings())
                    .encode_with(&msg.control, msg.payload.as_ref(), None, &mut buf, Some(&mut splices))
                    .expect("re-encode spliced");
                let joined: Vec<u8> =
                    ergo_etf::iovec::pieces(&buf, &splices).flat_map(|p| p.iter().copied()).collect();
                assert_eq!(joined, out, "spliced frames differ from flat frames");
            }
            Ok(None) => {}
            Err(_) => return, // the connection would close here
        }
    }
}

fn handshake_accept(data: &[u8]) {
    // Paused time: the setup timeout fires as soon as the acceptor waits for input that never
    // comes, so every run is fast.
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build() else {
        return;
    };
    rt.block_on(async {
        let (mut peer, ours) = tokio::io::duplex(1 << 16);
        let _ = peer.write_all(data).await;
        let me = LocalNode::new("us@localhost", 1, false);
        let options = HandshakeOptions { setup_timeout: std::time::Duration::from_millis(50), ..HandshakeOptions::default() };
        // Keep `peer` open so a short input ends by timeout, not EOF, half of the time.
        let accepted = handshake::accept(ours, &me, "cookie", &NoOtherConnections, &options).await;
        if data.len() % 2 == 0 {
            drop(peer);
        }
        drop(accepted);
    });
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => frames(rest),
        Some((_, rest)) => handshake_accept(rest),
        None => {}
    }
});
