//! The node's reference numbers (call tags, monitors, aliases, `make_ref`): unique per node,
//! handed out from per-thread blocks of a node-wide counter, so workers making calls at once
//! do not take the counter's cache line from each other on every call. Owns `RefNumbers`; must
//! not know what a reference is for.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers a thread takes from a node's counter at a time.
const BLOCK: u64 = 1024;

/// Tells nodes apart in the per-thread blocks (a node's address may be reused, its id is not).
static NEXT_NODE_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's block: the node it belongs to, the next number, the end of the block.
    static THREAD_BLOCK: Cell<(u64, u64, u64)> = const { Cell::new((0, 0, 0)) };
}

/// A node's reference numbers: never the same one twice, in no particular order.
pub(crate) struct RefNumbers {
    id: u64,
    next_block: AtomicU64,
}

impl RefNumbers {
    /// Numbers from 1 up.
    pub(crate) fn new() -> RefNumbers {
        RefNumbers {
            id: NEXT_NODE_ID.fetch_add(1, Ordering::Relaxed),
            next_block: AtomicU64::new(1),
        }
    }

    /// A number not handed out before by this node.
    pub(crate) fn next(&self) -> u64 {
        THREAD_BLOCK.with(|block| {
            let (node, next, end) = block.get();
            if node == self.id && next < end {
                block.set((node, next + 1, end));
                return next;
            }
            let start = self.next_block.fetch_add(BLOCK, Ordering::Relaxed);
            block.set((self.id, start + 1, start + BLOCK));
            start
        })
    }
}

#[cfg(test)]
mod tests {
    use super::RefNumbers;

    #[test]
    fn numbers_are_unique_across_threads_and_nodes_sharing_a_thread() {
        let a = std::sync::Arc::new(RefNumbers::new());
        let b = RefNumbers::new();
        let mut seen = std::collections::HashSet::new();
        // Two nodes taking turns on one thread each keep their own numbers unique.
        let mut seen_b = std::collections::HashSet::new();
        for _ in 0..3000 {
            assert!(seen.insert(a.next()));
            assert!(seen_b.insert(b.next()));
        }
        let others: Vec<Vec<u64>> = (0..3)
            .map(|_| {
                let a = a.clone();
                std::thread::spawn(move || (0..5000).map(|_| a.next()).collect())
            })
            .map(|t| t.join().unwrap_or_default())
            .collect();
        for n in others.into_iter().flatten() {
            assert!(seen.insert(n), "{n} handed out twice");
        }
        assert_eq!(seen.len(), 3000 + 3 * 5000);
    }
}
