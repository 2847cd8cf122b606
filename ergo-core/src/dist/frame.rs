//! Framing after the handshake: turning `(ControlMessage, Option<Term>)` into frames and back.
//! Pass-through frames (`112`) when neither DIST_HDR_ATOM_CACHE nor FRAGMENTS is negotiated;
//! otherwise normal-header frames (`131,68`) with atom cache refs, split into fragments
//! (`131,69` / `131,70`) above the fragment size when FRAGMENTS is negotiated.
//!
//! Owns frame bytes (without the u32 length, which `connection` reads) and the per-direction
//! atom caches and reassembly; it must not do I/O.

use bytes::Bytes;
use ergo_etf::Term;

use super::atom_cache::{
    write_header_refs, IncomingAtomCache, MessageAtomTable, OutgoingAtomCache,
};
use super::compression::{self, Compression};
use super::control::ControlMessage;
use super::error::{ConnectionError, FrameError};
use super::fragments::Reassembly;
use super::DistFlags;
use ergo_etf as codec;
use ergo_etf::iovec::{spliced_len, splices_len};
use ergo_etf::{AtomDecoder, AtomEncoder, NoAtomCache, Splice};

/// A decoded message: its control message and the payload term if one followed.
#[derive(Clone, Debug, PartialEq)]
pub struct DistMessage {
    /// The control message.
    pub control: ControlMessage,
    /// The payload (message, exit reason, spawn arguments) if the operation has one.
    pub payload: Option<Term>,
}

/// Limits and sizes for framing.
#[derive(Clone, Debug)]
pub struct FrameSettings {
    /// The largest frame accepted (length field checked before allocating).
    pub max_frame_size: usize,
    /// Outgoing messages larger than this are fragmented (when FRAGMENTS is negotiated).
    pub fragment_size: usize,
    /// The most bytes held for reassembly per connection.
    pub reassembly_cap: usize,
    /// The most concurrent fragment sequences per connection.
    pub max_sequences: usize,
    /// The largest size a compressed payload may inflate to (ergo-rs peers only).
    pub max_inflated_size: usize,
}

impl Default for FrameSettings {
    fn default() -> FrameSettings {
        FrameSettings {
            max_frame_size: 128 << 20,
            fragment_size: 64 << 10,
            reassembly_cap: 64 << 20,
            max_inflated_size: 64 << 20,
            max_sequences: 64,
        }
    }
}

/// Whether the negotiated flags call for normal-header frames.
fn header_mode(flags: DistFlags) -> bool {
    flags.intersects(DistFlags::DIST_HDR_ATOM_CACHE | DistFlags::FRAGMENTS)
}

/// Encodes outgoing messages for one connection.
pub struct FrameEncoder {
    flags: DistFlags,
    cache: OutgoingAtomCache,
    fragment_size: usize,
    next_sequence: u64,
    scratch: Vec<u8>,
    scratch_splices: Vec<Splice>,
    /// The header of the message being encoded (kept between messages for its capacity).
    header: Vec<u8>,
}

impl FrameEncoder {
    /// An encoder for the negotiated `flags`.
    pub fn new(flags: DistFlags, settings: &FrameSettings) -> FrameEncoder {
        FrameEncoder {
            flags,
            cache: OutgoingAtomCache::default(),
            fragment_size: settings.fragment_size.max(64),
            next_sequence: 1,
            scratch: Vec::new(),
            scratch_splices: Vec::new(),
            header: Vec::new(),
        }
    }

    /// Entries of the outgoing atom cache in use.
    pub fn atom_cache_entries(&self) -> usize {
        self.cache.entries()
    }

    /// Appends the frame(s) of one message, each with its u32 length, to `out`.
    pub fn encode(
        &mut self,
        control: &ControlMessage,
        payload: Option<&Term>,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectionError> {
        self.encode_with(control, payload, None, out, None)
    }

    /// Like [`FrameEncoder::encode`], compressing the payload per `compression` when the peer
    /// negotiated [`DistFlags::ERGO_COMPRESSION`] and it is worth it. With `splices`, binaries of
    /// [`ergo_etf::iovec::SPLICE_MIN_BYTES`] or more are not copied into `out` but recorded there
    /// at their offsets in `out` (the frames are `out` with the splices inserted), except in a
    /// payload that is compressed.
    pub fn encode_with(
        &mut self,
        control: &ControlMessage,
        payload: Option<&Term>,
        compression: Option<&Compression>,
        out: &mut Vec<u8>,
        splices: Option<&mut Vec<Splice>>,
    ) -> Result<(), ConnectionError> {
        let mut sink = FrameSink { out, splices };
        if !header_mode(self.flags) {
            return sink.frame(|sink| {
                sink.out.extend_from_slice(&[112, 131]);
                codec::write_term(sink.out, &mut NoAtomCache, |w| control.encode(w))
                    .map_err(enc)?;
                if let Some(p) = payload {
                    sink.out.push(131);
                    encode_payload(p, sink.out, sink.splices.as_deref_mut(), &mut NoAtomCache)
                        .map_err(enc)?;
                }
                Ok(())
            });
        }
        let result = self.encode_normal(control, payload, compression, &mut sink);
        // The spliced binaries are the sink's now; holding them here would keep them alive
        // until the next message.
        self.scratch_splices.clear();
        result
    }

    /// Normal-header frames (`131,68`), fragmented (`131,69` / `131,70`) when negotiated and
    /// the message is larger than a fragment.
    fn encode_normal(
        &mut self,
        ctl: &ControlMessage,
        payload: Option<&Term>,
        compression: Option<&Compression>,
        sink: &mut FrameSink<'_>,
    ) -> Result<(), ConnectionError> {
        let compress = compression
            .filter(|_| payload.is_some() && self.flags.contains(DistFlags::ERGO_COMPRESSION));
        // A payload that may be compressed is encoded flat: deflate reads it all anyway.
        let splice = sink.splices.is_some() && compress.is_none();
        self.scratch.clear();
        self.scratch_splices.clear();
        let mut header = std::mem::take(&mut self.header);
        header.clear();
        let body_splices = splice.then_some(&mut self.scratch_splices);
        let ctl_len = if self.flags.contains(DistFlags::DIST_HDR_ATOM_CACHE) {
            let mut atoms = self.cache.message();
            let ctl_len = encode_pair(ctl, payload, &mut self.scratch, body_splices, &mut atoms)
                .map_err(enc)?;
            atoms.write_header_refs(&mut header);
            ctl_len
        } else {
            let ctl_len = encode_pair(
                ctl,
                payload,
                &mut self.scratch,
                body_splices,
                &mut NoAtomCache,
            )
            .map_err(enc)?;
            write_header_refs(&[], &mut header);
            ctl_len
        };
        if let Some(settings) = compress {
            // The payload's bytes are replaced by their compressed form when that shrinks.
            let mut packed = Vec::new();
            if compression::compress_payload(&self.scratch[ctl_len..], settings, &mut packed) {
                self.scratch.truncate(ctl_len);
                self.scratch.extend_from_slice(&packed);
            }
        }
        let mut body = BodyCursor::new(&self.scratch, &self.scratch_splices);
        let total = body.remaining();
        let written = if !self.flags.contains(DistFlags::FRAGMENTS) || total <= self.fragment_size {
            sink.frame(|sink| {
                sink.out.extend_from_slice(&[131, 68]);
                sink.out.extend_from_slice(&header);
                body.take_into(total, sink);
                Ok(())
            })
        } else {
            let seq = self.next_sequence;
            self.next_sequence = self.next_sequence.wrapping_add(1);
            write_fragments(&mut body, &header, seq, self.fragment_size, sink)
        };
        self.header = header;
        written
    }
}

/// Writes a message too large for one frame as fragments of at most `fragment_size` body bytes:
/// the first (69) carries the header, the rest (70) only the body; ids count down to 1.
fn write_fragments(
    body: &mut BodyCursor<'_>,
    header: &[u8],
    seq: u64,
    fragment_size: usize,
    sink: &mut FrameSink<'_>,
) -> Result<(), ConnectionError> {
    let mut fragment_id = body.remaining().div_ceil(fragment_size) as u64;
    let mut first = true;
    while body.remaining() > 0 {
        sink.frame(|sink| {
            sink.out
                .extend_from_slice(&[131, if first { 69 } else { 70 }]);
            sink.out.extend_from_slice(&seq.to_be_bytes());
            sink.out.extend_from_slice(&fragment_id.to_be_bytes());
            if first {
                sink.out.extend_from_slice(header);
            }
            body.take_into(fragment_size, sink);
            Ok(())
        })?;
        fragment_id -= 1;
        first = false;
    }
    Ok(())
}

/// An encoding failure as the connection reports it.
fn enc(e: codec::EncodeError) -> ConnectionError {
    ConnectionError::Encode(e.to_string())
}

/// Where frames go: the buffer, and the splices into it when the caller takes them.
struct FrameSink<'a> {
    out: &'a mut Vec<u8>,
    splices: Option<&'a mut Vec<Splice>>,
}

impl FrameSink<'_> {
    /// Writes one frame: what `body` writes, after the u32 length that counts it (spliced
    /// bytes included).
    fn frame(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<(), ConnectionError>,
    ) -> Result<(), ConnectionError> {
        let start = self.out.len();
        let spliced_before = self.splices.as_ref().map_or(0, |s| s.len());
        self.out.extend_from_slice(&[0; 4]);
        body(self)?;
        let spliced = self.splices.as_ref().map_or(0, |s| {
            splices_len(s.get(spliced_before..).unwrap_or_default())
        });
        let len = self.out.len() - start - 4 + spliced;
        let len =
            u32::try_from(len).map_err(|_| ConnectionError::Encode("frame over 4 GiB".into()))?;
        if let Some(slot) = self.out.get_mut(start..start + 4) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
        Ok(())
    }
}

/// Reads a message body held as a buffer plus splices, in order, a given number of bytes at a
/// time (one fragment's worth), without copying the spliced parts.
struct BodyCursor<'a> {
    buf: &'a [u8],
    splices: &'a [Splice],
    /// Position in `buf`.
    pos: usize,
    /// Bytes of `splices[0]` already taken.
    in_splice: usize,
    remaining: usize,
}

impl<'a> BodyCursor<'a> {
    fn new(buf: &'a [u8], splices: &'a [Splice]) -> BodyCursor<'a> {
        BodyCursor {
            buf,
            splices,
            pos: 0,
            in_splice: 0,
            remaining: spliced_len(buf, splices),
        }
    }

    fn remaining(&self) -> usize {
        self.remaining
    }

    /// Moves up to `n` bytes to `sink`: buffer bytes copied, spliced bytes as slices (copied
    /// when the sink takes no splices).
    fn take_into(&mut self, n: usize, sink: &mut FrameSink<'_>) {
        let mut want = n.min(self.remaining);
        self.remaining -= want;
        while want > 0 {
            match self.splices.split_first() {
                Some((s, rest)) if s.at.min(self.buf.len()) <= self.pos => {
                    let k = want.min(s.bytes.len() - self.in_splice);
                    let part = self.in_splice..self.in_splice + k;
                    match sink.splices.as_deref_mut() {
                        Some(out) => out.push(Splice {
                            at: sink.out.len(),
                            bytes: s.bytes.slice(part),
                        }),
                        None => sink
                            .out
                            .extend_from_slice(s.bytes.get(part).unwrap_or_default()),
                    }
                    self.in_splice += k;
                    want -= k;
                    if self.in_splice == s.bytes.len() {
                        self.splices = rest;
                        self.in_splice = 0;
                    }
                }
                next => {
                    let end = next.map_or(self.buf.len(), |(s, _)| s.at.min(self.buf.len()));
                    let k = want.min(end - self.pos);
                    if k == 0 {
                        break; // only if `remaining` and the splices disagree
                    }
                    sink.out.extend_from_slice(
                        self.buf.get(self.pos..self.pos + k).unwrap_or_default(),
                    );
                    self.pos += k;
                    want -= k;
                }
            }
        }
    }
}

/// Encodes the control message and the payload; returns the control message's length.
fn encode_pair(
    ctl: &ControlMessage,
    payload: Option<&Term>,
    out: &mut Vec<u8>,
    splices: Option<&mut Vec<Splice>>,
    atoms: &mut dyn AtomEncoder,
) -> Result<usize, codec::EncodeError> {
    let start = out.len();
    codec::write_term(out, atoms, |w| ctl.encode(w))?;
    let ctl_len = out.len() - start;
    if let Some(p) = payload {
        encode_payload(p, out, splices, atoms)?;
    }
    Ok(ctl_len)
}

/// Encodes a payload, large binaries as splices when `splices` is given.
fn encode_payload(
    payload: &Term,
    out: &mut Vec<u8>,
    splices: Option<&mut Vec<Splice>>,
    atoms: &mut dyn AtomEncoder,
) -> Result<(), codec::EncodeError> {
    match splices {
        Some(s) => codec::encode_term_spliced(payload, out, s, atoms),
        None => codec::encode_term_into(payload, out, atoms),
    }
}

/// Decodes incoming frames for one connection.
pub struct FrameDecoder {
    flags: DistFlags,
    cache: IncomingAtomCache,
    /// The current message's atoms, kept between messages so that reading a header allocates
    /// nothing (a first fragment takes it over, whole, for reassembly).
    table: MessageAtomTable,
    reassembly: Reassembly,
    /// How far a compressed payload may inflate; `None` when compression is not negotiated.
    inflate_limit: Option<usize>,
}

fn u64_at(frame: &[u8], at: usize) -> Result<u64, FrameError> {
    let b = frame
        .get(at..at + 8)
        .ok_or(FrameError::Truncated("fragment ids"))?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_be_bytes(a))
}

impl FrameDecoder {
    /// A decoder for the negotiated `flags`.
    pub fn new(flags: DistFlags, settings: &FrameSettings) -> FrameDecoder {
        FrameDecoder {
            flags,
            cache: IncomingAtomCache::default(),
            table: MessageAtomTable::default(),
            reassembly: Reassembly::new(settings.reassembly_cap, settings.max_sequences),
            inflate_limit: flags
                .contains(DistFlags::ERGO_COMPRESSION)
                .then_some(settings.max_inflated_size),
        }
    }

    /// The negotiated flags it decodes for.
    pub fn flags(&self) -> DistFlags {
        self.flags
    }

    /// Bytes held for reassembly now.
    pub fn reassembly_buffered(&self) -> usize {
        self.reassembly.buffered()
    }

    /// Decodes one non-empty frame (without its length). `Ok(None)` means a fragment was
    /// stored and the message is not complete yet.
    pub fn decode(&mut self, frame: Bytes) -> Result<Option<DistMessage>, FrameError> {
        match frame.first().copied() {
            Some(112) => decode_pass_through(&frame).map(Some),
            Some(131) => {
                let kind = *frame.get(1).ok_or(FrameError::Truncated("header kind"))?;
                match kind {
                    68 => {
                        let used = self.cache.read_header_refs(
                            frame.get(2..).unwrap_or_default(),
                            &mut self.table,
                        )?;
                        decode_body(&frame.slice(2 + used..), &self.table, self.inflate_limit)
                            .map(Some)
                    }
                    69 | 70 if !self.flags.contains(DistFlags::FRAGMENTS) => {
                        Err(FrameError::NotNegotiated("fragment"))
                    }
                    69 => {
                        let seq = u64_at(&frame, 2)?;
                        let fragment = u64_at(&frame, 10)?;
                        let rest = frame
                            .get(18..)
                            .ok_or(FrameError::Truncated("fragment header"))?;
                        let used = self.cache.read_header_refs(rest, &mut self.table)?;
                        let data = rest.get(used..).unwrap_or_default();
                        if fragment == 1 {
                            return decode_body(
                                &frame.slice(18 + used..),
                                &self.table,
                                self.inflate_limit,
                            )
                            .map(Some);
                        }
                        let table = std::mem::take(&mut self.table);
                        match self.reassembly.first(seq, fragment, table, data)? {
                            Some((table, bytes)) => {
                                decode_body(&bytes, &table, self.inflate_limit).map(Some)
                            }
                            None => Ok(None),
                        }
                    }
                    70 => {
                        let seq = u64_at(&frame, 2)?;
                        let fragment = u64_at(&frame, 10)?;
                        let data = frame.get(18..).unwrap_or_default();
                        match self.reassembly.next(seq, fragment, data)? {
                            Some((table, bytes)) => {
                                decode_body(&bytes, &table, self.inflate_limit).map(Some)
                            }
                            None => Ok(None),
                        }
                    }
                    other => Err(FrameError::BadTag(other)),
                }
            }
            Some(other) => Err(FrameError::BadTag(other)),
            None => Err(FrameError::Truncated("empty frame")),
        }
    }
}

fn term_err(what: &'static str) -> impl Fn(codec::DecodeError) -> FrameError {
    move |e| FrameError::BadTerm {
        what,
        reason: e.to_string(),
    }
}

/// Decodes control + optional payload from `body`, checking the payload rule and that nothing
/// is left over.
fn decode_body(
    body: &Bytes,
    atoms: &dyn AtomDecoder,
    inflate_limit: Option<usize>,
) -> Result<DistMessage, FrameError> {
    let (control, used) = ControlMessage::decode(body, atoms)?;
    let rest = body.slice(used..);
    match (inflate_limit, rest.first()) {
        (Some(limit), Some(&compression::COMPRESSED)) if control.has_payload() => {
            let inflated = Bytes::from(compression::inflate_payload(&rest[1..], limit)?);
            finish(control, &inflated, atoms)
        }
        _ => finish(control, &rest, atoms),
    }
}

fn finish(
    control: ControlMessage,
    rest: &Bytes,
    atoms: &dyn AtomDecoder,
) -> Result<DistMessage, FrameError> {
    if !control.has_payload() {
        if !rest.is_empty() {
            return Err(FrameError::Trailing(rest.len()));
        }
        return Ok(DistMessage {
            control,
            payload: None,
        });
    }
    if rest.is_empty() {
        return Err(FrameError::Truncated("payload"));
    }
    let (payload, used) = codec::decode_term_bytes(rest, atoms).map_err(term_err("payload"))?;
    if used != rest.len() {
        return Err(FrameError::Trailing(rest.len() - used));
    }
    Ok(DistMessage {
        control,
        payload: Some(payload),
    })
}

fn decode_pass_through(frame: &Bytes) -> Result<DistMessage, FrameError> {
    if frame.get(1) != Some(&131) {
        return Err(FrameError::Truncated("pass-through version byte"));
    }
    let body = frame.slice(2..);
    let (control, used) = ControlMessage::decode(&body, &NoAtomCache)?;
    let rest = body.slice(used..);
    if rest.is_empty() {
        return finish(control, &rest, &NoAtomCache);
    }
    if rest.first() != Some(&131) {
        return Err(FrameError::BadTag(rest.first().copied().unwrap_or(0)));
    }
    finish(control, &rest.slice(1..), &NoAtomCache)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::{Atom, Pid};

    fn pid(n: u32) -> Pid {
        Pid {
            node: Atom::new("n@h"),
            id: n,
            serial: 0,
            creation: 1,
        }
    }

    /// The four ways frames are laid out: plain, with the atom cache, with fragments, with both.
    const FRAME_MODES: [DistFlags; 4] = [
        DistFlags::MANDATORY_25,
        DistFlags(DistFlags::MANDATORY_25.0 | DistFlags::DIST_HDR_ATOM_CACHE.0),
        DistFlags(DistFlags::MANDATORY_25.0 | DistFlags::FRAGMENTS.0),
        DistFlags::IMPLEMENTED,
    ];

    fn split_frames(mut bytes: &[u8]) -> Vec<Bytes> {
        let mut frames = Vec::new();
        while bytes.len() >= 4 {
            let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
            frames.push(Bytes::copy_from_slice(&bytes[4..4 + len]));
            bytes = &bytes[4 + len..];
        }
        frames
    }

    fn round_trip(flags: DistFlags, payload: Term) {
        let settings = FrameSettings {
            fragment_size: 1000,
            ..FrameSettings::default()
        };
        let mut enc = FrameEncoder::new(flags, &settings);
        let mut dec = FrameDecoder::new(flags, &settings);
        for _ in 0..2 {
            let ctl = ControlMessage::RegSend {
                from: pid(1),
                to_name: Atom::new("echo"),
            };
            let mut out = Vec::new();
            enc.encode(&ctl, Some(&payload), &mut out).unwrap();
            let frames = split_frames(&out);
            let n = frames.len();
            let mut got = None;
            for (i, f) in frames.into_iter().enumerate() {
                let r = dec.decode(f).unwrap();
                assert_eq!(r.is_some(), i + 1 == n);
                got = r;
            }
            assert_eq!(
                got,
                Some(DistMessage {
                    control: ctl,
                    payload: Some(payload.clone())
                })
            );
        }
    }

    #[test]
    fn all_modes_round_trip() {
        let big = Term::tuple(vec![Term::atom("big"), Term::binary(vec![7u8; 5000])]);
        let small = Term::tuple(vec![Term::atom("hello"), Term::Int(1)]);
        for flags in FRAME_MODES {
            round_trip(flags, small.clone());
            round_trip(flags, big.clone());
        }
    }

    /// One encoder and one decoder over a run of different messages, as on a connection: the
    /// header and ref list the encoder keeps between messages carry nothing over, whether an atom
    /// is new to the cache, already cached, or sent in a fragmented message.
    #[test]
    fn different_messages_in_a_row_round_trip() {
        let settings = FrameSettings {
            fragment_size: 1000,
            ..FrameSettings::default()
        };
        let atoms =
            |names: &[&str]| Term::list(names.iter().map(|n| Term::atom(n)).collect::<Vec<_>>());
        let payloads = [
            atoms(&["alpha", "beta", "gamma"]),
            atoms(&["delta"]),
            Term::tuple(vec![
                atoms(&["beta", "epsilon"]),
                Term::binary(vec![1u8; 4000]),
            ]),
            Term::Int(5),
            atoms(&["alpha", "zeta", "delta", "alpha"]),
            Term::tuple(vec![Term::atom("eta"), Term::binary(vec![2u8; 2500])]),
            atoms(&["gamma"]),
        ];
        for flags in FRAME_MODES {
            let mut enc = FrameEncoder::new(flags, &settings);
            let mut dec = FrameDecoder::new(flags, &settings);
            for (i, payload) in payloads.iter().enumerate() {
                let ctl = ControlMessage::RegSend {
                    from: pid(i as u32),
                    to_name: Atom::new(if i % 2 == 0 { "even" } else { "odd" }),
                };
                let mut out = Vec::new();
                enc.encode(&ctl, Some(payload), &mut out).unwrap();
                let mut got = None;
                for frame in split_frames(&out) {
                    assert!(got.is_none(), "a message decoded before its last fragment");
                    got = dec.decode(frame).unwrap();
                }
                let want = DistMessage {
                    control: ctl,
                    payload: Some(payload.clone()),
                };
                assert_eq!(got, Some(want), "message {i} with flags {flags:?}");
            }
        }
    }

    #[test]
    fn spliced_frames_are_the_flat_frames_without_copying_large_binaries() {
        let settings = FrameSettings {
            fragment_size: 3000,
            ..FrameSettings::default()
        };
        let big = bytes::Bytes::from((0..10_000u32).map(|i| i as u8).collect::<Vec<u8>>());
        // Each payload with the bytes of it that are spliced.
        let payloads = [
            (Term::tuple(vec![Term::atom("small"), Term::Int(1)]), 0),
            (
                Term::tuple(vec![
                    Term::atom("big"),
                    Term::Binary(big.clone()),
                    Term::atom("between"),
                    Term::Binary(big.slice(..2500)),
                ]),
                12_500,
            ),
        ];
        for flags in FRAME_MODES {
            let mut flat_enc = FrameEncoder::new(flags, &settings);
            let mut spliced_enc = FrameEncoder::new(flags, &settings);
            let mut dec = FrameDecoder::new(flags, &settings);
            for (payload, expected) in &payloads {
                let ctl = ControlMessage::RegSend {
                    from: pid(1),
                    to_name: Atom::new("echo"),
                };
                let mut flat = Vec::new();
                flat_enc.encode(&ctl, Some(payload), &mut flat).unwrap();
                let (mut buf, mut splices) = (vec![9u8], Vec::new());
                spliced_enc
                    .encode_with(&ctl, Some(payload), None, &mut buf, Some(&mut splices))
                    .unwrap();
                let joined: Vec<u8> = ergo_etf::iovec::pieces(&buf, &splices)
                    .flat_map(|p| p.iter().copied())
                    .collect();
                assert_eq!(joined[0], 9, "{flags:?}");
                assert_eq!(&joined[1..], &flat[..], "{flags:?}");
                // Every spliced piece is memory of `big`, and only they are.
                for s in &splices {
                    let offset = s.bytes.as_ptr() as usize - big.as_ptr() as usize;
                    assert!(offset + s.bytes.len() <= big.len(), "{flags:?}");
                }
                let spliced_bytes: usize = splices.iter().map(|s| s.bytes.len()).sum();
                assert_eq!(spliced_bytes, *expected, "{flags:?}");
                let frames = split_frames(&joined[1..]);
                let mut got = None;
                for f in frames {
                    got = dec.decode(f).unwrap();
                }
                assert_eq!(got.and_then(|m| m.payload).as_ref(), Some(payload));
            }
        }
    }

    #[test]
    fn hostile_frames() {
        let s = FrameSettings {
            reassembly_cap: 100,
            ..FrameSettings::default()
        };
        let mut d = FrameDecoder::new(DistFlags::IMPLEMENTED, &s);
        let cases: Vec<&[u8]> = vec![
            &[131],
            &[131, 99],
            &[7, 1, 2],
            &[112, 131, 104],
            &[131, 68, 1, 0x00, 5],           // ref to empty slot
            &[131, 68, 0, 104, 1, 97, 2],     // {2}: wrong arity for SEND
            &[131, 68, 0, 104, 1, 97, 5, 97], // NODE_LINK with trailing bytes
            &[131, 69, 0, 0],                 // truncated fragment header
            &[131, 70, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1], // unknown sequence
        ];
        for c in cases {
            assert!(d.decode(Bytes::copy_from_slice(c)).is_err(), "{c:?}");
        }
        // A sequence that wants more than the cap.
        let mut first = vec![131, 69, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0];
        first.extend_from_slice(&[0; 60]);
        assert_eq!(d.decode(Bytes::from(first)).unwrap(), None);
        let mut second = vec![131, 70, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2];
        second.extend_from_slice(&[0; 60]);
        assert!(matches!(
            d.decode(Bytes::from(second)),
            Err(FrameError::FragmentMemory { .. })
        ));
        // Fragments when not negotiated.
        let mut plain = FrameDecoder::new(DistFlags::MANDATORY_25, &s);
        assert!(matches!(
            plain.decode(Bytes::from_static(&[131, 70, 0])),
            Err(FrameError::NotNegotiated("fragment"))
        ));
    }
}
