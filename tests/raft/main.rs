//! gen_raft: Rust nodes in one test process over loopback distribution (static routes, no EPMD),
//! each running a member. Elections with 3 and 5 members, writes from followers committed and
//! read linearizably everywhere, no quorum below 3 peers and a quorum once a third joins, the
//! rest as learners, a stopped leader's node replaced without losing an acknowledged write, and
//! requests from another cluster or malformed dropped, a member of 5 or 11 stopped during writes
//! (the voters re-form, no acknowledged write lost), a partitioned leader stepping down, and a `#[gen_raft]` process
//! whose callbacks all run in it. Every wait has a deadline.

#[path = "../common/mod.rs"]
mod common;

mod cluster;
mod elections;
mod example;
mod failures;
mod linearizable;
mod membership;
mod process;
mod restart;
