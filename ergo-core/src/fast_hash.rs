//! A fast, non-cryptographic hasher for tables whose keys a peer cannot flood: aliases by
//! reference and names by atom (made by this node), connected peers by node name, the functions
//! and spawnable processes this node provides by module and function, and the outgoing atom
//! cache's slot choice. SipHash's flood resistance buys nothing there and showed up
//! in remote-call profiles.
//! The mixing is FxHash's (rotate, xor, multiply per word). Must not be used for maps whose keys
//! a peer controls in number.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash-style word-at-a-time hasher.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(t: &T) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(t)
    }

    #[test]
    fn every_field_counts() {
        // Unlike a last-write-wins hasher, earlier fields change the result.
        assert_ne!(hash(&(1u32, 7u32)), hash(&(2u32, 7u32)));
        assert_ne!(hash(&"abcdefghij"), hash(&"abcdefghik"));
        assert_ne!(hash(&vec![1u32, 2, 3]), hash(&vec![1u32, 2, 4]));
    }
}
