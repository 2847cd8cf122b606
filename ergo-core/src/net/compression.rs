//! Which messages leave compressed: the node's setting (`DistOptions::compression`) unless the
//! sending process chose its own (`Node::set_process_compression`, `Context::set_compression`).
//! Only payloads to ergo-rs peers that negotiated it are compressed (`dist::compression`), and
//! only when large and compressible enough; links, monitors and other signals never are.
//!
//! Owns the per-process setting and the choice per message; must not compress anything itself.

use std::sync::atomic::Ordering;

use ergo_etf::Pid;

use crate::dist::Compression;
use crate::node::Context;
use crate::node::Node;

/// A process's compression setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProcessCompression {
    /// The node's setting (the default).
    #[default]
    Inherit,
    /// Never compress this process's messages.
    Off,
    /// Compress with these settings, whatever the node's.
    On(Compression),
}

fn pack(setting: ProcessCompression) -> u64 {
    match setting {
        ProcessCompression::Inherit => 0,
        ProcessCompression::Off => 1,
        ProcessCompression::On(c) => {
            2 | (u64::from(c.level.min(15)) << 4) | ((c.threshold.min(1 << 40) as u64) << 8)
        }
    }
}

fn unpack(packed: u64) -> ProcessCompression {
    match packed {
        0 => ProcessCompression::Inherit,
        1 => ProcessCompression::Off,
        p => ProcessCompression::On(Compression {
            level: ((p >> 4) & 0xF) as u32,
            threshold: (p >> 8) as usize,
        }),
    }
}

impl Node {
    /// Sets how messages sent by local process `pid` are compressed; false if it is gone.
    pub fn set_process_compression(&self, pid: &Pid, setting: ProcessCompression) -> bool {
        let Some(entry) = self.entry(pid) else {
            return false;
        };
        if setting != ProcessCompression::Inherit {
            self.process_compression_used()
                .store(true, Ordering::Relaxed);
        }
        entry.compression.store(pack(setting), Ordering::Relaxed);
        true
    }

    /// A local process's compression setting.
    pub fn process_compression(&self, pid: &Pid) -> ProcessCompression {
        self.entry(pid)
            .map(|e| unpack(e.compression.load(Ordering::Relaxed)))
            .unwrap_or_default()
    }

    /// The compression for a message from `from`, given the node's default.
    pub(crate) fn compression_for(
        &self,
        from: Option<&Pid>,
        default: Option<Compression>,
    ) -> Option<Compression> {
        if !self.process_compression_used().load(Ordering::Relaxed) {
            return default;
        }
        match from.map(|p| self.process_compression(p)) {
            Some(ProcessCompression::Off) => None,
            Some(ProcessCompression::On(c)) => Some(c),
            _ => default,
        }
    }
}

impl Context {
    /// Sets how this process's messages to other nodes are compressed.
    pub fn set_compression(&self, setting: ProcessCompression) {
        self.node().set_process_compression(self.pid(), setting);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_pack_and_unpack() {
        for s in [
            ProcessCompression::Inherit,
            ProcessCompression::Off,
            ProcessCompression::On(Compression {
                level: 9,
                threshold: 123_456,
            }),
            ProcessCompression::On(Compression::default()),
        ] {
            assert_eq!(unpack(pack(s)), s);
        }
    }
}
