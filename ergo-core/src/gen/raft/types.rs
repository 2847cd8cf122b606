//! The types gen_raft gives openraft: the type configuration, the command a log entry carries,
//! what applying it answers, a peer's address and how a node name becomes a Raft node id. Owns
//! no behaviour.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A command in the replicated log: one `append(key, value)`, both ETF-encoded terms, with the
/// id of the request that made it, so an append sent again (its answer lost with a failing
/// leader) is applied once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendCommand {
    /// The request: the node id of the member that first sent it, and a number that member
    /// never used before.
    pub request: (u64, u64),
    /// The key, as ETF bytes.
    #[serde(with = "bytes")]
    pub key: Vec<u8>,
    /// The value, as ETF bytes.
    #[serde(with = "bytes")]
    pub value: Vec<u8>,
}

/// Bytes as serde bytes (one length and a copy in bincode) rather than serde's default for
/// `Vec<u8>`, a sequence encoded and decoded one `u8` at a time.
mod bytes {
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(byte) = seq.next_element()? {
                    out.push(byte);
                }
                Ok(out)
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

/// What one log entry carries: the appends that waited at the leader while the engine was busy
/// with the previous entry (group commit), in order; each gets its own serial.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendBatch {
    /// The appends, in the order their serials go.
    pub appends: Vec<AppendCommand>,
}

/// What applying an entry answers: the serial the state machine gave each of its appends, in
/// order (none for Raft's own blank and membership entries).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendApplied {
    /// The appends' serials: 1 for the first append the cluster committed, then 2, 3...
    pub serials: Vec<u64>,
}

/// Where a member's raft process lives: its registered name and its node.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PeerAddr {
    /// The registered name of the raft process.
    pub name: String,
    /// The node's name (`name@host`).
    pub node: String,
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}, {}}}", self.name, self.node)
    }
}

openraft::declare_raft_types!(
    /// gen_raft's openraft type configuration: `u64` node ids (from [`node_id`]), [`PeerAddr`]
    /// nodes, [`AppendBatch`] entries answering [`AppendApplied`], snapshots in memory.
    pub RaftTypes:
        D = AppendBatch,
        R = AppendApplied,
        NodeId = u64,
        Node = PeerAddr,
        SnapshotData = std::io::Cursor<Vec<u8>>,
);

/// The Raft node id of a node: FNV-1a over its name, so every peer derives the same id for a
/// node without asking it (a node name is unique in a cluster; a 64-bit collision between a
/// dozen names is negligible).
pub fn node_id(node: &str) -> u64 {
    fnv1a(node.as_bytes())
}

/// FNV-1a, 64 bits.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_stable_and_distinct() {
        assert_eq!(node_id("a@localhost"), node_id("a@localhost"));
        assert_ne!(node_id("a@localhost"), node_id("b@localhost"));
    }
}
