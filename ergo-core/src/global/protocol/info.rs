//! The plain messages `global_name_server` receives (its `handle_info`): from peers' servers
//! (`init_connect_ack`, `cancel_connect`, `remove_connection`, `lost_connection`) and lockers
//! (`lock_set`, forwarded by this node's locker), from the runtime (`nodeup` / `nodedown`,
//! `DOWN`, `EXIT`), and from the server itself (`extra_nodedown`, and this port's own
//! `ergo_global_try` timer and `ergo_global_locked` answer from the locker). Owns the shapes;
//! must not act on them.

use ergo_etf::{Atom, Pid, Reference, Term};

use super::parts::{GlobalLockId, ListOf};

/// A plain message to `global_name_server`.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Info {
    /// `{nodeup, Node}` (`net_kernel:monitor_nodes(true)`).
    Nodeup {
        /// The node.
        node: Atom,
    },
    /// `{nodedown, Node}` (`net_kernel:monitor_nodes(true)`).
    Nodedown {
        /// The node.
        node: Atom,
    },
    /// `{nodedown, Node, Info}` (`net_kernel:monitor_nodes(true, Options)`).
    #[term(rename = "nodedown")]
    NodedownDetails {
        /// The node.
        node: Atom,
        /// The monitor's information list.
        details: Term,
    },
    /// `{extra_nodedown, Node}`: a node learnt from a peer could not be reached.
    ExtraNodedown {
        /// The node.
        node: Atom,
    },
    /// `{init_connect_ack, Node, HisMyTag, HisHisTag}`: the peer got our `init_connect`.
    InitConnectAck {
        /// The peer's node.
        node: Atom,
        /// Our tag, as the peer has it.
        my_tag: Term,
        /// The peer's own tag.
        his_tag: Term,
    },
    /// `{cancel_connect, Node, MyTag}`: the peer gave up our connect with tag `tag`.
    CancelConnect {
        /// The peer's node.
        node: Atom,
        /// Our tag for the connect.
        tag: Term,
    },
    /// `{remove_connection, Node}`: the peer asks us to disconnect from it (overlapping
    /// partitions).
    RemoveConnection {
        /// The peer's node.
        node: Atom,
    },
    /// `{lost_connection, NodeA, XCreationA, OpIdA, NodeB}`: a peer lost its connection to
    /// another node (prevent_overlapping_partitions).
    LostConnection {
        /// The node that lost the connection.
        node_a: Term,
        /// Its creation.
        x_creation: Term,
        /// Its operation id.
        op_id: Term,
        /// The node it lost.
        node_b: Term,
    },
    /// `{lock_set, Locker, IsSet, Known, Tag}`, sent to our locker and forwarded by it.
    #[term(rename = "lock_set")]
    LockSet {
        /// The sender's locker.
        locker: Pid,
        /// Whether the lock is set.
        set: bool,
        /// The sender's known nodes (ignored).
        known: ListOf<Atom>,
        /// Our tag for the connect.
        tag: Term,
    },
    /// `{lock_set, Locker, IsSet, Known}`: the same without a tag, which is also what this
    /// node sends a peer's locker that locks us without a connect under way.
    #[term(rename = "lock_set")]
    LockSetUntagged {
        /// The sender's locker.
        locker: Pid,
        /// Whether the lock is set.
        set: bool,
        /// The sender's known nodes.
        known: ListOf<Atom>,
    },
    /// `{'DOWN', Ref, process, Pid, Reason}`: a monitored name holder or lock holder went.
    #[term(rename = "DOWN")]
    Down {
        /// The monitor.
        monitor: Reference,
        /// `process`.
        kind: Term,
        /// The process.
        object: Term,
        /// The reason.
        reason: Term,
    },
    /// `{'EXIT', Pid, Reason}`: a linked process (the locker) exited.
    #[term(rename = "EXIT")]
    Exit {
        /// The process.
        from: Term,
        /// The reason.
        reason: Term,
    },
    /// `{ergo_global_try, Node, MyTag}`: this port's locker-delay timer; our locker's turn to
    /// start the lock for the connect with `node`.
    ErgoGlobalTry {
        /// The peer.
        node: Atom,
        /// Our tag for the connect.
        tag: i64,
    },
    /// `{ergo_global_locked, Node, MyTag, LockId, IsSet}`: our locker's answer to a lock job.
    ErgoGlobalLocked {
        /// The peer the lock is for.
        node: Atom,
        /// Our tag for the connect.
        tag: i64,
        /// The lock.
        lock_id: GlobalLockId,
        /// Whether it is set on every node the locker had to lock.
        ok: bool,
    },
}

impl Info {
    /// `{init_connect_ack, Us, HisTag, MyTag}`: we got the peer's `init_connect`.
    pub(crate) fn init_connect_ack(us: Atom, his_tag: Term, my_tag: i64) -> Info {
        Info::InitConnectAck {
            node: us,
            my_tag: his_tag,
            his_tag: Term::Int(my_tag),
        }
    }

    /// `{cancel_connect, Us, HisTag}`: we give up the peer's connect with tag `his_tag`.
    pub(crate) fn cancel_connect(us: Atom, his_tag: Term) -> Info {
        Info::CancelConnect {
            node: us,
            tag: his_tag,
        }
    }
}
