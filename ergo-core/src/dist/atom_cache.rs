//! The distribution header atom cache (DIST_HDR_ATOM_CACHE): 2048 slots (8 segments × 256) per
//! connection direction. The sending side assigns slots and builds each message's list of cache
//! refs while the message is encoded; the receiving side applies a header's new entries and
//! resolves the per-message ref indexes that `ATOM_CACHE_REF` (82) carries.
//!
//! Owns the cache tables and the header's ref section (`N`, flags, refs); it must not know about
//! frame kinds, fragments or sockets.

use ergo_etf::Atom;

use super::error::FrameError;
use ergo_etf::{AtomDecoder, AtomEncoder};

/// Slots per direction: 8 segments of 256.
pub const CACHE_SLOTS: usize = 2048;
/// At most this many refs in one message header (the count is a byte).
pub const MAX_REFS_PER_MESSAGE: usize = 255;

/// One ref in a message header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderRef {
    /// The cache slot (segment × 256 + index).
    pub slot: u16,
    /// The atom.
    pub atom: Atom,
    /// Whether the header carries the text (a new cache entry).
    pub new_entry: bool,
}

/// The sending side's cache.
#[derive(Default)]
pub struct OutgoingAtomCache {
    /// Empty until the first atom is sent, then [`CACHE_SLOTS`] long: a connection that sends
    /// no atoms (a relay's idle member) keeps no 48 KiB table.
    slots: Vec<Option<Atom>>,
    /// The last message's ref list, emptied, so the next one needs no allocation.
    spare_refs: Vec<HeaderRef>,
}

fn slot_of(atom: &Atom) -> u16 {
    // A fixed, fast hash is enough: the peer never sees how we pick slots.
    ((atom.quick_hash() >> 32) % CACHE_SLOTS as u64) as u16
}

impl OutgoingAtomCache {
    /// Slots holding an atom.
    pub fn entries(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Starts encoding one message: refs are collected in the returned encoder.
    pub fn message(&mut self) -> MessageAtoms<'_> {
        let refs = std::mem::take(&mut self.spare_refs);
        MessageAtoms { cache: self, refs }
    }
}

/// The refs of one outgoing message, gathered while its terms are encoded.
pub struct MessageAtoms<'a> {
    cache: &'a mut OutgoingAtomCache,
    refs: Vec<HeaderRef>,
}

impl MessageAtoms<'_> {
    /// The refs gathered so far, in header order.
    pub fn refs(&self) -> &[HeaderRef] {
        &self.refs
    }

    /// Writes the header's ref section: `N`, then (if N > 0) the flag nibbles and the refs.
    pub fn write_header_refs(&self, out: &mut Vec<u8>) {
        write_header_refs(&self.refs, out);
    }
}

impl Drop for MessageAtoms<'_> {
    /// Gives the ref list back to the cache for the next message.
    fn drop(&mut self) {
        self.refs.clear();
        self.cache.spare_refs = std::mem::take(&mut self.refs);
    }
}

impl AtomEncoder for MessageAtoms<'_> {
    fn encode_atom(&mut self, atom: &Atom, out: &mut Vec<u8>) -> bool {
        if let Some(i) = self.refs.iter().position(|r| &r.atom == atom) {
            out.extend_from_slice(&[82, i as u8]);
            return true;
        }
        if self.refs.len() >= MAX_REFS_PER_MESSAGE {
            return false;
        }
        let slot = slot_of(atom);
        if self.cache.slots.is_empty() {
            self.cache.slots.resize(CACHE_SLOTS, None);
        }
        let Some(entry) = self.cache.slots.get_mut(usize::from(slot)) else {
            return false;
        };
        let new_entry = entry.as_ref() != Some(atom);
        if new_entry {
            *entry = Some(atom.clone());
        }
        out.extend_from_slice(&[82, self.refs.len() as u8]);
        self.refs.push(HeaderRef {
            slot,
            atom: atom.clone(),
            new_entry,
        });
        true
    }
}

/// Writes `N`, flags and refs for `refs` (at most 255).
pub fn write_header_refs(refs: &[HeaderRef], out: &mut Vec<u8>) {
    let n = refs.len().min(MAX_REFS_PER_MESSAGE);
    out.push(n as u8);
    if n == 0 {
        return;
    }
    let long_atoms = refs
        .iter()
        .any(|r| r.new_entry && r.atom.as_str().len() > 255);
    // The flag nibbles, two to a byte, written in place.
    let flags_at = out.len();
    out.resize(flags_at + n / 2 + 1, 0);
    let flags = &mut out[flags_at..];
    for (i, r) in refs.iter().take(n).enumerate() {
        let nibble = (u8::from(r.new_entry) << 3) | ((r.slot >> 8) as u8 & 7);
        flags[i / 2] |= if i % 2 == 0 { nibble } else { nibble << 4 };
    }
    if long_atoms {
        flags[n / 2] |= if n % 2 == 0 { 1 } else { 1 << 4 };
    }
    for r in refs.iter().take(n) {
        out.push((r.slot & 0xff) as u8);
        if r.new_entry {
            let text = r.atom.as_str().as_bytes();
            if long_atoms {
                out.extend_from_slice(&(text.len() as u16).to_be_bytes());
            } else {
                out.push(text.len() as u8);
            }
            out.extend_from_slice(text);
        }
    }
}

/// The receiving side's cache.
#[derive(Default)]
pub struct IncomingAtomCache {
    /// Empty until the peer first sends a new entry, then [`CACHE_SLOTS`] long (a slot missing
    /// or `None` reads as unset alike).
    slots: Vec<Option<Atom>>,
}

/// The atoms a message's `ATOM_CACHE_REF` indexes refer to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageAtomTable(pub Vec<Atom>);

impl AtomDecoder for MessageAtomTable {
    fn cached_atom(&self, index: u8) -> Option<Atom> {
        self.0.get(usize::from(index)).cloned()
    }
}

impl IncomingAtomCache {
    /// Parses a header's ref section at the start of `input` (starting at `N`), applies its new
    /// entries, fills `table` with the message's atoms (replacing what it held, so one table
    /// can serve message after message without allocating), and returns the bytes used.
    pub fn read_header_refs(
        &mut self,
        input: &[u8],
        table: &mut MessageAtomTable,
    ) -> Result<usize, FrameError> {
        fn take<'a>(input: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], FrameError> {
            let s = pos
                .checked_add(n)
                .and_then(|end| input.get(*pos..end))
                .ok_or(FrameError::Truncated("atom cache header"))?;
            *pos += n;
            Ok(s)
        }
        table.0.clear();
        let mut pos = 0usize;
        let n = usize::from(take(input, &mut pos, 1)?[0]);
        if n == 0 {
            return Ok(pos);
        }
        let flags = take(input, &mut pos, n / 2 + 1)?;
        let nibble = |i: usize| -> u8 {
            let b = flags.get(i / 2).copied().unwrap_or(0);
            if i % 2 == 0 {
                b & 0x0f
            } else {
                b >> 4
            }
        };
        let long_atoms = nibble(n) & 1 == 1;
        table.0.reserve(n);
        for i in 0..n {
            let f = nibble(i);
            let segment = f & 7;
            let index = take(input, &mut pos, 1)?[0];
            let slot = usize::from(segment) * 256 + usize::from(index);
            if f & 8 != 0 {
                let len = if long_atoms {
                    let b = take(input, &mut pos, 2)?;
                    usize::from(u16::from_be_bytes([b[0], b[1]]))
                } else {
                    usize::from(take(input, &mut pos, 1)?[0])
                };
                let text = std::str::from_utf8(take(input, &mut pos, len)?)
                    .map_err(|_| FrameError::BadAtom)?;
                let atom = Atom::try_new(text).ok_or(FrameError::BadAtom)?;
                if self.slots.is_empty() {
                    self.slots.resize(CACHE_SLOTS, None);
                }
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = Some(atom.clone());
                }
                table.0.push(atom);
            } else {
                let atom = self
                    .slots
                    .get(slot)
                    .cloned()
                    .flatten()
                    .ok_or(FrameError::EmptyCacheSlot { segment, index })?;
                table.0.push(atom);
            }
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_round_trip_and_reuse() {
        let mut out_cache = OutgoingAtomCache::default();
        let mut in_cache = IncomingAtomCache::default();
        // One table for both messages, as the frame decoder keeps it.
        let mut table = MessageAtomTable::default();
        // Node names that differ in one byte, near the start or in the middle: they must not
        // share a slot (each message would then re-send both texts).
        let names = [
            "bench_a_1@localhost",
            "bench_b_1@localhost",
            "bench_a_1@localhost",
            "worker_01@host.example.com",
            "worker_02@host.example.com",
        ];
        for round in 0..2 {
            let mut msg = out_cache.message();
            let mut body = Vec::new();
            for name in names {
                assert!(msg.encode_atom(&Atom::new(name), &mut body));
            }
            assert_eq!(body, vec![82, 0, 82, 1, 82, 0, 82, 2, 82, 3]);
            assert!(msg.refs().iter().all(|r| r.new_entry == (round == 0)));
            let mut header = Vec::new();
            msg.write_header_refs(&mut header);
            let used = in_cache.read_header_refs(&header, &mut table).unwrap();
            assert_eq!(used, header.len());
            let texts: Vec<&str> = table.0.iter().map(|a| a.as_str()).collect();
            assert_eq!(
                texts,
                vec![
                    "bench_a_1@localhost",
                    "bench_b_1@localhost",
                    "worker_01@host.example.com",
                    "worker_02@host.example.com"
                ]
            );
        }
    }

    #[test]
    fn a_cache_gets_its_table_on_first_use() {
        let mut out_cache = OutgoingAtomCache::default();
        let mut in_cache = IncomingAtomCache::default();
        assert_eq!(out_cache.slots.capacity() + in_cache.slots.capacity(), 0);
        // A ref to a slot never filled is refused without a table.
        let mut table = MessageAtomTable::default();
        let unset = [1, 0x00, 5];
        assert!(in_cache.read_header_refs(&unset, &mut table).is_err());
        let mut msg = out_cache.message();
        assert!(msg.encode_atom(&Atom::new("first"), &mut Vec::new()));
        let mut header = Vec::new();
        msg.write_header_refs(&mut header);
        drop(msg);
        in_cache.read_header_refs(&header, &mut table).unwrap();
        assert_eq!(out_cache.slots.len(), CACHE_SLOTS);
        assert_eq!(in_cache.slots.len(), CACHE_SLOTS);
        assert_eq!(table.0[0].as_str(), "first");
    }

    #[test]
    fn long_atoms_flag() {
        let long = "é".repeat(200); // 400 bytes
        let mut out_cache = OutgoingAtomCache::default();
        let mut msg = out_cache.message();
        assert!(msg.encode_atom(&Atom::new(&long), &mut Vec::new()));
        let mut header = Vec::new();
        msg.write_header_refs(&mut header);
        let mut table = MessageAtomTable::default();
        IncomingAtomCache::default()
            .read_header_refs(&header, &mut table)
            .unwrap();
        assert_eq!(table.0[0].as_str(), long);
    }

    #[test]
    fn hostile_headers() {
        let mut c = IncomingAtomCache::default();
        let mut read = |input: &[u8]| c.read_header_refs(input, &mut MessageAtomTable::default());
        // A ref to an empty slot.
        assert!(matches!(
            read(&[1, 0x03, 7]),
            Err(FrameError::EmptyCacheSlot {
                segment: 3,
                index: 7
            })
        ));
        // Truncated: claims 3 refs, gives one.
        assert!(read(&[3, 0x88, 0x08, 1, 1, b'a']).is_err());
        // Length longer than the input.
        assert!(read(&[1, 0x08, 0, 200, b'a']).is_err());
        // Invalid UTF-8 text.
        assert!(matches!(
            read(&[1, 0x08, 0, 1, 0xff]),
            Err(FrameError::BadAtom)
        ));
    }
}
