//! Fuzz target `proxy_frame`: arbitrary bytes as the body of a proxy frame (what a peer's
//! connection hands the proxy). Decoding must end in a frame or an error, never a panic; a frame
//! that decodes must re-encode to bytes that decode to the same frame.
#![no_main]

use bytes::Bytes;
use ergo_core::dist::ProxyFrame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = ProxyFrame::decode(&Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut out = Vec::new();
    frame.encode(&mut out);
    let again = ProxyFrame::decode(&Bytes::from(out)).expect("a re-encoded frame decodes");
    // A disconnect's reason is cut to 512 bytes on encoding; everything else round-trips.
    match (&frame, &again) {
        (ProxyFrame::Disconnect { id, reason }, ProxyFrame::Disconnect { id: id2, reason: r2 }) => {
            assert_eq!(id, id2);
            assert!(reason.starts_with(r2.as_str()));
        }
        _ => assert_eq!(frame, again),
    }
});
