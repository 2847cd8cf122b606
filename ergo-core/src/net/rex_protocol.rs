//! The shapes of the old `rex` protocol, as OTP 25's rpc.erl writes them: the request
//! ([`Apply`]: `{call, M, F, A, GroupLeader}` by `gen_server:call`, `{block_call, ...}` by
//! `rpc:block_call`, `{cast, ...}` by `gen_server:cast`), the failure reply (`{badrpc, Reason}`), and the features handshake
//! (`{Pid, features_request}` answered by `{features_reply, Node, [erpc]}`). Owns the shapes
//! only; serving them is `rex.rs`'s. Must not change a shape: Erlang's `rpc` matches them
//! exactly.

use ergo_etf::{Atom, Pid, Term};

/// `{call, M, F, A, GroupLeader}`, `{block_call, M, F, A, GroupLeader}` or
/// `{cast, M, F, A, GroupLeader}`: apply `M:F(A)`.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Apply {
    /// `gen_server:call(rex, {call, ...})`: the caller waits for the result.
    Call {
        /// The module.
        module: Atom,
        /// The function.
        function: Atom,
        /// The arguments.
        args: Vec<Term>,
        /// The caller's group leader (unused here: output stays on this node).
        group_leader: Term,
    },
    /// `rpc:block_call`: the caller waits, and rex serves nothing else until it is done.
    BlockCall {
        /// The module.
        module: Atom,
        /// The function.
        function: Atom,
        /// The arguments.
        args: Vec<Term>,
        /// The caller's group leader (unused here).
        group_leader: Term,
    },
    /// `gen_server:cast(rex, {cast, ...})`: nobody waits.
    Cast {
        /// The module.
        module: Atom,
        /// The function.
        function: Atom,
        /// The arguments.
        args: Vec<Term>,
        /// The caller's group leader (unused here).
        group_leader: Term,
    },
}

/// `{badrpc, Reason}`: what a call through rex answers when it did not return a value.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "badrpc")]
pub(crate) struct BadRpc(pub BadRpcReason);

/// The reasons of [`BadRpc`] that rex gives.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum BadRpcReason {
    /// `notsup`: a request rex does not serve.
    Notsup,
    /// `{'EXIT', Reason}`: the function exited or raised an error.
    #[term(rename = "EXIT")]
    Exit(Term),
}

/// The atom `features_request`, sent as `{Pid, features_request}`.
#[derive(ergo_macros::Term, Clone, Copy, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) struct FeaturesRequest;

/// `{From, features_request}`: a peer's rex asking what this node's rex supports.
pub(crate) type FeaturesAsk = (Pid, FeaturesRequest);

/// `{features_reply, Node, Features}`.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) struct FeaturesReply {
    /// This node.
    pub node: Atom,
    /// What it supports.
    pub features: Vec<Feature>,
}

/// A rex feature.
#[derive(ergo_macros::Term, Clone, Copy, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Feature {
    /// `erpc`: calls may come as spawn requests.
    Erpc,
}

#[cfg(test)]
mod tests {
    use ergo_etf::{FromTerm, IntoTerm};

    use super::*;

    fn pid() -> Pid {
        Pid {
            node: Atom::new("a@h"),
            id: 1,
            serial: 0,
            creation: 1,
        }
    }

    #[test]
    fn shapes_are_rpc_erl_s() {
        let call = Term::Tuple(vec![
            Term::atom("call"),
            Term::atom("m"),
            Term::atom("f"),
            Term::list(vec![Term::Int(1)]),
            Term::Pid(pid()),
        ]);
        assert_eq!(
            Apply::from_term(call),
            Ok(Apply::Call {
                module: Atom::new("m"),
                function: Atom::new("f"),
                args: vec![Term::Int(1)],
                group_leader: Term::Pid(pid()),
            })
        );
        let block_call = Term::Tuple(vec![
            Term::atom("block_call"),
            Term::atom("m"),
            Term::atom("f"),
            Term::list(vec![]),
            Term::Pid(pid()),
        ]);
        assert_eq!(
            Apply::from_term(block_call),
            Ok(Apply::BlockCall {
                module: Atom::new("m"),
                function: Atom::new("f"),
                args: vec![],
                group_leader: Term::Pid(pid()),
            })
        );
        assert_eq!(
            BadRpc(BadRpcReason::Notsup).into_term(),
            Term::Tuple(vec![Term::atom("badrpc"), Term::atom("notsup")])
        );
        assert_eq!(
            BadRpc(BadRpcReason::Exit(Term::atom("r"))).into_term(),
            Term::Tuple(vec![
                Term::atom("badrpc"),
                Term::Tuple(vec![Term::atom("EXIT"), Term::atom("r")]),
            ])
        );
        let ask = Term::Tuple(vec![Term::Pid(pid()), Term::atom("features_request")]);
        assert_eq!(FeaturesAsk::from_term(ask), Ok((pid(), FeaturesRequest)));
        let reply = FeaturesReply {
            node: Atom::new("a@h"),
            features: vec![Feature::Erpc],
        };
        assert_eq!(
            reply.into_term(),
            Term::Tuple(vec![
                Term::atom("features_reply"),
                Term::atom("a@h"),
                Term::list(vec![Term::atom("erpc")]),
            ])
        );
    }

    #[test]
    fn other_shapes_are_refused() {
        let short = Term::Tuple(vec![Term::atom("call"), Term::atom("m")]);
        assert!(Apply::from_term(short).is_err());
        let not_a_list = Term::Tuple(vec![
            Term::atom("call"),
            Term::atom("m"),
            Term::atom("f"),
            Term::atom("a"),
            Term::atom("gl"),
        ]);
        assert!(Apply::from_term(not_a_list).is_err());
    }
}
