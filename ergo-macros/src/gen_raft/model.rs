//! What `#[gen_raft]` found in the impl block: the callbacks and the other items.

/// One of the four callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Callback {
    Append,
    Leader,
    Quorum,
    Peer,
}

impl Callback {
    pub(super) const ALL: [Callback; 4] = [
        Callback::Append,
        Callback::Leader,
        Callback::Quorum,
        Callback::Peer,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Callback::Append => "handle_append",
            Callback::Leader => "handle_leader",
            Callback::Quorum => "handle_quorum",
            Callback::Peer => "handle_peer",
        }
    }

    /// The parameters after `&mut self`, as the error messages show them.
    pub(super) fn parameters(self) -> &'static [&'static str] {
        match self {
            Callback::Append => &["serial: u64", "key: Term", "value: Term"],
            Callback::Leader => &["leader: Option<Atom>", "term: u64"],
            Callback::Quorum => &["members: Vec<Atom>"],
            Callback::Peer => &["peer: Atom", "online: bool"],
        }
    }
}

/// The block, split.
pub(super) struct GenRaftModel {
    /// The callbacks, each with its function.
    pub(super) callbacks: Vec<(Callback, syn::ImplItemFn)>,
    /// Everything else, kept in an inherent impl.
    pub(super) others: Vec<syn::ImplItem>,
}
