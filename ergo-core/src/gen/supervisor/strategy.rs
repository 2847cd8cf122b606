//! Restart strategies and which children a crash affects. Owns the `Strategy` enum and the pure
//! choice of indices; must not start or stop processes.

/// How a supervisor reacts to a child's exit (OTP's `strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Restart only the child that exited.
    OneForOne,
    /// Stop all other children (reverse start order), then restart all (start order).
    OneForAll,
    /// Stop the children started after it (reverse order), then restart it and them.
    RestForOne,
    /// One child spec; children are added at run time with extra start arguments, all alike.
    SimpleOneForOne,
}

impl Strategy {
    /// The Erlang name of the strategy.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::OneForOne => "one_for_one",
            Strategy::OneForAll => "one_for_all",
            Strategy::RestForOne => "rest_for_one",
            Strategy::SimpleOneForOne => "simple_one_for_one",
        }
    }

    /// Parses an Erlang strategy name.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Some(match name {
            "one_for_one" => Strategy::OneForOne,
            "one_for_all" => Strategy::OneForAll,
            "rest_for_one" => Strategy::RestForOne,
            "simple_one_for_one" => Strategy::SimpleOneForOne,
            _ => return None,
        })
    }

    /// The indices (in start order) of the children to restart when child `failed` of `count`
    /// static children exits: only it, all, or it and those after it.
    pub(crate) fn affected(self, failed: usize, count: usize) -> std::ops::Range<usize> {
        match self {
            Strategy::OneForOne | Strategy::SimpleOneForOne => failed..failed + 1,
            Strategy::OneForAll => 0..count,
            Strategy::RestForOne => failed..count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Strategy;

    #[test]
    fn affected_ranges() {
        assert_eq!(Strategy::OneForOne.affected(1, 3), 1..2);
        assert_eq!(Strategy::OneForAll.affected(1, 3), 0..3);
        assert_eq!(Strategy::RestForOne.affected(1, 3), 1..3);
        assert_eq!(
            Strategy::from_name("rest_for_one"),
            Some(Strategy::RestForOne)
        );
        assert_eq!(Strategy::from_name("one_for_none"), None);
    }
}
