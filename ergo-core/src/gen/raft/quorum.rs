//! Which members vote: the largest odd number (3 to 11) of online peers, keeping the current
//! voters that are online, then the most up-to-date learners. A pure choice; the member applies
//! it through openraft's `change_membership` (joint consensus). Must not talk to anyone.

use std::collections::BTreeSet;

/// The most voting members a cluster has.
pub const MAX_VOTERS: usize = 11;

/// The fewest voting members a cluster has: below, there is no quorum.
pub const MIN_VOTERS: usize = 3;

/// An online member of the Raft membership (voter or learner) and how much log it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its node id.
    pub id: u64,
    /// The highest log index known replicated to it.
    pub progress: u64,
}

/// The largest odd number of voters `online` peers allow (at most 11), or `None` below 3.
pub fn voter_count(online: usize) -> Option<usize> {
    let capped = online.min(MAX_VOTERS);
    let odd = if capped % 2 == 0 {
        capped.saturating_sub(1)
    } else {
        capped
    };
    (odd >= MIN_VOTERS).then_some(odd)
}

/// The voter set the leader should move to, or `None` to keep `voters`. `online` holds the
/// leader and every other online member (voter or learner).
pub fn choose_voters(
    leader: u64,
    voters: &BTreeSet<u64>,
    online: &[Candidate],
) -> Option<BTreeSet<u64>> {
    let count = voter_count(online.len())?;
    let mut ranked: Vec<&Candidate> = online.iter().collect();
    // The leader first, then the current voters, then the learners; within each, the most up
    // to date first, then by id (so every leader ranks alike).
    ranked.sort_by_key(|c| {
        (
            c.id != leader,
            !voters.contains(&c.id),
            std::cmp::Reverse(c.progress),
            c.id,
        )
    });
    let chosen: BTreeSet<u64> = ranked.iter().take(count).map(|c| c.id).collect();
    (&chosen != voters).then_some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn online(ids: &[(u64, u64)]) -> Vec<Candidate> {
        ids.iter()
            .map(|&(id, progress)| Candidate { id, progress })
            .collect()
    }

    #[test]
    fn voter_counts_are_odd_between_3_and_11() {
        assert_eq!(voter_count(0), None);
        assert_eq!(voter_count(2), None);
        assert_eq!(voter_count(3), Some(3));
        assert_eq!(voter_count(4), Some(3));
        assert_eq!(voter_count(5), Some(5));
        assert_eq!(voter_count(10), Some(9));
        assert_eq!(voter_count(11), Some(11));
        assert_eq!(voter_count(30), Some(11));
    }

    #[test]
    fn grows_with_the_most_up_to_date_learners() {
        let voters: BTreeSet<u64> = [1, 2, 3].into();
        let chosen = choose_voters(
            1,
            &voters,
            &online(&[(1, 9), (2, 9), (3, 9), (4, 2), (5, 8)]),
        );
        assert_eq!(chosen, Some([1, 2, 3, 4, 5].into()));
        let six = online(&[(1, 9), (2, 9), (3, 9), (4, 2), (5, 8), (6, 7)]);
        let chosen = choose_voters(1, &voters, &six);
        assert_eq!(chosen, Some([1, 2, 3, 5, 6].into()));
    }

    #[test]
    fn keeps_a_full_online_voter_set_and_replaces_the_missing() {
        let voters: BTreeSet<u64> = [1, 2, 3].into();
        assert_eq!(
            choose_voters(1, &voters, &online(&[(1, 9), (2, 9), (3, 9), (4, 9)])),
            None
        );
        // Voter 3 is gone: learner 4 replaces it.
        assert_eq!(
            choose_voters(1, &voters, &online(&[(1, 9), (2, 9), (4, 1)])),
            Some([1, 2, 4].into())
        );
        // Only two online: no change (the remaining majority still commits).
        assert_eq!(choose_voters(1, &voters, &online(&[(1, 9), (2, 9)])), None);
    }

    #[test]
    fn shrinks_to_the_online_odd_count() {
        let voters: BTreeSet<u64> = [1, 2, 3, 4, 5].into();
        assert_eq!(
            choose_voters(1, &voters, &online(&[(1, 9), (2, 9), (3, 9), (4, 9)])),
            Some([1, 2, 3].into())
        );
    }
}
