//! gen_stage: back-pressured producer/consumer pipelines, wire-compatible with Elixir's GenStage
//! 1.3.2. A stage is a process running the [`GenStage`] callbacks; producers, consumers and
//! producer_consumers exchange GenStage's own messages (`'$gen_producer'`, `'$gen_consumer'`)
//! and answer the control calls Elixir's `GenStage` functions make, so an Elixir stage cannot
//! tell a Rust stage from an Elixir one. One idea per file:
//!
//! - `messages`: the protocol's messages as types, and recognising them (malformed ones too);
//! - `event_batch`: a batch of events, terms or a typed `Vec<T>` kept typed on this node;
//! - `options`: subscription options, their validation, the cancel modes' stop rule;
//! - `batches`: automatic demand on the consumer side (batches of max - min, re-ask at min);
//! - `buffer`: a producer's buffer (`buffer_size`, `buffer_keep`, infos behind events);
//! - `dispatcher`: the dispatcher trait; `demand_dispatcher`, `broadcast`, `partition`: GenStage's
//!   three dispatchers; `phash2`: `erlang:phash2/2`, bit for bit, for the partition hash;
//! - `behaviour`, `types`: the callback trait and what callbacks return;
//! - `engine`: GenStage's rules for every message; `run`: the receive loop and `start_stage`;
//! - `control`: the API for Rust code (`subscribe`, `ask`, `cancel`, `demand`, ...);
//! - `consumer_supervisor`: Elixir's ConsumerSupervisor (one child process per event);
//!   `consumer_supervisor_calls`: its management calls from the caller's side.

mod batches;
mod behaviour;
mod broadcast;
mod buffer;
mod consumer_supervisor;
mod consumer_supervisor_calls;
mod control;
mod demand_dispatcher;
mod dispatcher;
mod engine;
mod event_batch;
mod messages;
mod options;
mod partition;
pub mod phash2;
mod run;
mod types;

pub use batches::{split_batches, AutoDemand, Batch};
pub use behaviour::GenStage;
pub use broadcast::{BroadcastDispatcher, Selector, SelectorResolver};
pub use buffer::{Buffer, BufferKeep, Buffered, Taken};
pub use consumer_supervisor::{ChildBody, ConsumerSupervisor, ConsumerSupervisorSpec};
pub use consumer_supervisor_calls::{
    count_children, start_child, which_children, ChildCounts, ChildInfo,
};
pub use control::{
    ask, async_info, cancel, demand, estimate_buffered_count, set_demand, subscribe, sync_info,
    StageError,
};
pub use demand_dispatcher::DemandDispatcher;
pub use dispatcher::{Dispatcher, Outbox, RecordingOutbox};
pub use event_batch::{EventBatch, TypedEvents};
pub use messages::{
    recognise, ConsumerPayload, Malformed, ProducerRequest, StageFrom, StageMessage, ToConsumer,
    ToProducer,
};
pub use options::{is_transient_shutdown, BadOptions, CancelMode, SubscribeOptions};
pub use partition::{phash2_partition, PartitionDispatcher, PartitionHash};
pub use types::{
    CancelKind, DemandMode, Emit, Role, StageInit, StageKind, StageOptions, StageReply,
    SubscribeMode,
};
