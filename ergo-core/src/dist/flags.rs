//! The distribution capability flags: one table of every `DFLAG_*` value (as in OTP's
//! `erts/emulator/beam/dist.h`), the mandatory sets of OTP 25 and 26, and the set this node offers.
//!
//! Owns only flag values and set arithmetic; it must not touch sockets or handshake state.

use std::fmt;

/// A set of distribution flags (`DFLAG_*`), 64 bits as exchanged in the version-6 handshake.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DistFlags(pub u64);

/// One row of the flag table: the flag and its OTP name (without `DFLAG_`).
pub type FlagRow = (DistFlags, &'static str);

macro_rules! flag_table {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        impl DistFlags {
            $($(#[$doc])* pub const $name: DistFlags = DistFlags($value);)*
            /// Every named single flag with its OTP name, in bit order.
            pub const TABLE: &'static [FlagRow] = &[$((DistFlags($value), stringify!($name)),)*];
        }
    };
}

flag_table! {
    /// The node is published (visible in `nodes()`).
    PUBLISHED = 0x1;
    /// The old atom cache (unused by modern OTP).
    ATOM_CACHE = 0x2;
    /// Extended (3 word) references.
    EXTENDED_REFERENCES = 0x4;
    /// Remote process monitoring.
    DIST_MONITOR = 0x8;
    /// Funs use the FUN tag.
    FUN_TAGS = 0x10;
    /// Monitoring of registered names.
    DIST_MONITOR_NAME = 0x20;
    /// Atom cache on hidden connections too.
    HIDDEN_ATOM_CACHE = 0x40;
    /// NEW_FUN_EXT.
    NEW_FUN_TAGS = 0x80;
    /// Extended pids and ports.
    EXTENDED_PIDS_PORTS = 0x100;
    /// EXPORT_EXT.
    EXPORT_PTR_TAG = 0x200;
    /// BIT_BINARY_EXT.
    BIT_BINARIES = 0x400;
    /// NEW_FLOAT_EXT.
    NEW_FLOATS = 0x800;
    /// Unicode io.
    UNICODE_IO = 0x1000;
    /// The atom cache in the distribution header.
    DIST_HDR_ATOM_CACHE = 0x2000;
    /// SMALL_ATOM_EXT.
    SMALL_ATOM_TAGS = 0x4000;
    /// UTF-8 atoms.
    UTF8_ATOMS = 0x10000;
    /// MAP_EXT.
    MAP_TAG = 0x20000;
    /// 32-bit creations (NEW_PID_EXT and friends).
    BIG_CREATION = 0x40000;
    /// SEND_SENDER control messages.
    SEND_SENDER = 0x80000;
    /// Sequential trace labels of any term.
    BIG_SEQTRACE_LABELS = 0x100000;
    /// PAYLOAD_EXIT* control messages.
    EXIT_PAYLOAD = 0x400000;
    /// Fragmented messages.
    FRAGMENTS = 0x800000;
    /// The version-6 (OTP 23) handshake.
    HANDSHAKE_23 = 0x1000000;
    /// UNLINK_ID / UNLINK_ID_ACK.
    UNLINK_ID = 0x2000000;
    /// Stands for the whole OTP 25 mandatory set.
    MANDATORY_25_DIGEST = 0x4000000;
    /// SPAWN_REQUEST / SPAWN_REPLY.
    SPAWN = 1 << 32;
    /// Dynamic node names.
    NAME_ME = 1 << 33;
    /// Version-4 node containers (64-bit pid/port/ref data).
    V4_NC = 1 << 34;
    /// Process aliases (ALIAS_SEND).
    ALIAS = 1 << 35;
    /// Local external terms (internal to OTP).
    LOCAL_EXT = 1 << 36;
    /// Alternate activation signals (OTP 28).
    ALTACT_SIG = 1 << 37;
}

impl DistFlags {
    /// No flags.
    pub const EMPTY: DistFlags = DistFlags(0);

    /// The flags OTP 25 refuses a peer without (`0x1070f94`).
    pub const MANDATORY_25: DistFlags = DistFlags(
        Self::EXTENDED_REFERENCES.0
            | Self::FUN_TAGS.0
            | Self::NEW_FUN_TAGS.0
            | Self::EXTENDED_PIDS_PORTS.0
            | Self::EXPORT_PTR_TAG.0
            | Self::BIT_BINARIES.0
            | Self::NEW_FLOATS.0
            | Self::UTF8_ATOMS.0
            | Self::MAP_TAG.0
            | Self::BIG_CREATION.0
            | Self::HANDSHAKE_23.0,
    );

    /// The flags OTP 26 refuses a peer without: the 25 set plus V4_NC and UNLINK_ID.
    pub const MANDATORY_26: DistFlags =
        DistFlags(Self::MANDATORY_25.0 | Self::V4_NC.0 | Self::UNLINK_ID.0);

    /// What this layer requires of a peer: OTP 25's mandatory set (a peer that only sends
    /// MANDATORY_25_DIGEST counts as having it).
    pub const REQUIRED: DistFlags = Self::MANDATORY_25;

    /// Everything this layer implements and offers (before PUBLISHED is added for a visible
    /// node): the OTP 26 mandatory set, the digest, monitors, spawn, alias, send-sender,
    /// exit payloads, seqtrace labels, the header atom cache and fragments.
    pub const IMPLEMENTED: DistFlags = DistFlags(
        Self::MANDATORY_26.0
            | Self::MANDATORY_25_DIGEST.0
            | Self::DIST_MONITOR.0
            | Self::DIST_MONITOR_NAME.0
            | Self::SPAWN.0
            | Self::ALIAS.0
            | Self::SEND_SENDER.0
            | Self::EXIT_PAYLOAD.0
            | Self::BIG_SEQTRACE_LABELS.0
            | Self::DIST_HDR_ATOM_CACHE.0
            | Self::FRAGMENTS.0
            | Self::SMALL_ATOM_TAGS.0
            | Self::UNICODE_IO.0,
    );

    /// Private to ergo-rs, not an OTP flag: the node decodes compressed payloads (see
    /// `dist::compression`). A high bit OTP does not use; Erlang ignores bits it does not know,
    /// so with an Erlang peer it is simply not negotiated and messages go plain.
    pub const ERGO_COMPRESSION: DistFlags = DistFlags(1 << 60);

    /// Private to ergo-rs, like [`Self::ERGO_COMPRESSION`]: the node understands proxy frames
    /// (see `dist::proxy_frame`), so tunnels to other nodes may pass through this connection.
    pub const ERGO_PROXY: DistFlags = DistFlags(1 << 61);

    /// The offer for a node: [`Self::IMPLEMENTED`], our private [`Self::ERGO_COMPRESSION`] (when
    /// built with the `compression` feature) and [`Self::ERGO_PROXY`], and PUBLISHED unless
    /// `hidden`.
    pub fn offer(hidden: bool) -> DistFlags {
        let mut all = Self::IMPLEMENTED | Self::ERGO_PROXY;
        if cfg!(feature = "compression") {
            all = all | Self::ERGO_COMPRESSION;
        }
        if hidden {
            all
        } else {
            all | Self::PUBLISHED
        }
    }

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: DistFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set here.
    pub fn intersects(self, other: DistFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The set with MANDATORY_25_DIGEST expanded to the whole OTP 25 mandatory set (as OTP does).
    pub fn expand_digest(self) -> DistFlags {
        if self.contains(Self::MANDATORY_25_DIGEST) {
            self | Self::MANDATORY_25
        } else {
            self
        }
    }

    /// The mandatory flags (of `required`) this set lacks, after digest expansion.
    pub fn missing(self, required: DistFlags) -> DistFlags {
        DistFlags(required.0 & !self.expand_digest().0)
    }

    /// The OTP names of the single flags set here (unknown bits as hex).
    pub fn names(self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.0;
        for (flag, name) in Self::TABLE {
            if self.contains(*flag) {
                out.push((*name).to_string());
                rest &= !flag.0;
            }
        }
        if rest != 0 {
            out.push(format!("{rest:#x}"));
        }
        out
    }
}

impl std::ops::BitOr for DistFlags {
    type Output = DistFlags;
    fn bitor(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitAnd for DistFlags {
    type Output = DistFlags;
    fn bitand(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 & rhs.0)
    }
}

impl fmt::Debug for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DistFlags({:#x}: {})", self.0, self.names().join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values from OTP's dist.h / dist.hrl, written out independently of the table above.
    #[test]
    fn table_matches_otp_dist_h() {
        let otp: &[(&str, u64)] = &[
            ("PUBLISHED", 0x1),
            ("ATOM_CACHE", 0x2),
            ("EXTENDED_REFERENCES", 0x4),
            ("DIST_MONITOR", 0x8),
            ("FUN_TAGS", 0x10),
            ("DIST_MONITOR_NAME", 0x20),
            ("HIDDEN_ATOM_CACHE", 0x40),
            ("NEW_FUN_TAGS", 0x80),
            ("EXTENDED_PIDS_PORTS", 0x100),
            ("EXPORT_PTR_TAG", 0x200),
            ("BIT_BINARIES", 0x400),
            ("NEW_FLOATS", 0x800),
            ("UNICODE_IO", 0x1000),
            ("DIST_HDR_ATOM_CACHE", 0x2000),
            ("SMALL_ATOM_TAGS", 0x4000),
            ("UTF8_ATOMS", 0x10000),
            ("MAP_TAG", 0x20000),
            ("BIG_CREATION", 0x40000),
            ("SEND_SENDER", 0x80000),
            ("BIG_SEQTRACE_LABELS", 0x100000),
            ("EXIT_PAYLOAD", 0x400000),
            ("FRAGMENTS", 0x800000),
            ("HANDSHAKE_23", 0x1000000),
            ("UNLINK_ID", 0x2000000),
            ("MANDATORY_25_DIGEST", 0x4000000),
            ("SPAWN", 0x1_0000_0000),
            ("NAME_ME", 0x2_0000_0000),
            ("V4_NC", 0x4_0000_0000),
            ("ALIAS", 0x8_0000_0000),
            ("LOCAL_EXT", 0x10_0000_0000),
            ("ALTACT_SIG", 0x20_0000_0000),
        ];
        assert_eq!(DistFlags::TABLE.len(), otp.len());
        for (name, value) in otp {
            let row = DistFlags::TABLE.iter().find(|(_, n)| n == name);
            assert_eq!(row.map(|(f, _)| f.0), Some(*value), "flag {name}");
        }
    }

    #[test]
    fn mandatory_sets_match_live_otp() {
        // erts_internal:get_dflags() on OTP 25 reports mandatory 0x1070f94.
        assert_eq!(DistFlags::MANDATORY_25.0, 0x1070f94);
        assert_eq!(
            DistFlags::MANDATORY_26.0,
            0x1070f94 | 0x4_0000_0000 | 0x2000000
        );
    }

    #[test]
    fn digest_counts_as_the_25_set() {
        assert!(
            DistFlags::MANDATORY_25_DIGEST
                .missing(DistFlags::MANDATORY_25)
                .0
                == 0
        );
        let without_maps = DistFlags(DistFlags::MANDATORY_25.0 & !DistFlags::MAP_TAG.0);
        assert_eq!(
            without_maps.missing(DistFlags::MANDATORY_25),
            DistFlags::MAP_TAG
        );
    }

    #[test]
    fn offer_has_published_unless_hidden() {
        assert!(DistFlags::offer(false).contains(DistFlags::PUBLISHED));
        assert!(!DistFlags::offer(true).contains(DistFlags::PUBLISHED));
        assert!(DistFlags::offer(true).contains(DistFlags::MANDATORY_26));
        assert_eq!(DistFlags(0x3).names(), vec!["PUBLISHED", "ATOM_CACHE"]);
    }
}
