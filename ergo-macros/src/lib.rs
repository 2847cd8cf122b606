//! Procedural macros of ergo. Each macro is parse -> model -> check -> codegen, in its own
//! module, with every error recorded in one `ctxt::Ctxt` and emitted together, each at its span.
//! Generated code names only items at the root of `::ergo` (the facade crate) and in
//! `::ergo::__private`, never the runtime crates directly; `#[derive(Term)]` takes another root
//! with `#[term(crate = "..")]` (`"::ergo_etf"` inside ergo-core).
#![deny(unreachable_pub)]
#![deny(missing_docs)]

mod application;
mod callback;
mod callback_block;
mod callback_tokens;
mod ctxt;
mod derive_term;
mod gen_raft;
mod gen_saga;
mod gen_server;
mod gen_stage;
mod supervisor;

/// Derives `ergo::IntoTerm` and `ergo::FromTerm` (and `ergo::FromFields` for structs with named
/// fields). A struct is a tagged tuple `{snake_case_name, Field1, ...}` by default, a unit struct
/// an atom, an enum's unit variants atoms and its other variants tagged tuples. Attributes:
/// type-level `#[term(tag = "..", map, elixir_struct = "Elixir.M", transparent, register,
/// rename_all = "..", crate = "path")]` (`crate` names the root the generated code reaches the
/// term items through, default `::ergo`; `"::ergo_etf"` where only ergo-etf is a dependency), variant-level `#[term(rename = "..")]`, field-level `#[term(rename = "..",
/// charlist, default, default = "path", skip)]`.
#[proc_macro_derive(Term, attributes(term))]
pub fn derive_term(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive_term::expand(input).into()
}

/// `#[gen_server]` on an inherent impl block: implements `ergo::GenServer` from async
/// callbacks `init`, `handle_call`, `handle_cast`, `handle_info`, `handle_direct`, `terminate`
/// (each may take `ctx: &mut Context` first: a leading `&mut` parameter is the context).
/// Messages are decoded into the declared types (downcast for local typed values, `FromTerm`
/// otherwise); `Term` takes anything. Types are checked by the compiler through trait bounds,
/// so aliases (of `Reply<R>`, `Context`, the reply handle) work and errors point at them.
/// A message a callback cannot decode is logged and dropped (a call refused at once);
/// `#[gen_server(on_bad_message = crash)]` stops the server instead, as OTP's does. A
/// `fn format_state(&self) -> Term` in the block is what `sys:get_state/1` shows from Erlang;
/// a `fn inspect(&self) -> Vec<(String, String)>` is what the inspect API and the observer's
/// process page show.
#[proc_macro_attribute]
pub fn gen_server(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    gen_server::expand(attr.into(), item.into()).into()
}

/// `#[gen_stage]` on an inherent impl block: implements `ergo::GenStage` (Elixir's GenStage,
/// wire-compatible) from async callbacks `init` (returns `StageInit<Self>`: the kind, the state,
/// the options), `handle_demand`, `handle_events`, `handle_subscribe`, `handle_cancel`,
/// `handle_call`, `handle_cast`, `handle_info`, `terminate` (each may take `ctx: &mut Context`
/// first). Events are typed: `handle_events` takes `events: Vec<T>` (T: FromTerm, e.g. a
/// `#[derive(Term)]` type; an event that does not decode is logged and dropped) and callbacks
/// return `Emit<E>` or `Vec<E>` (E: IntoTerm); `Term` is the untyped path.
#[proc_macro_attribute]
pub fn gen_stage(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    gen_stage::expand(attr.into(), item.into()).into()
}

/// `#[supervisor(strategy = one_for_one, intensity = 5, period = 10)]` on an inherent impl block
/// holding a `children! { .. }` list: implements `ergo::Supervisor`. Flags: `strategy`
/// (one_for_one, one_for_all, rest_for_one, simple_one_for_one; default one_for_one),
/// `intensity` (default 1), `period` in seconds or `period_ms` (default 5 s), `auto_shutdown`
/// (never, any_significant, all_significant), `args = Type` (init's argument, bound as `args` in
/// child expressions; default `()`). Children, in start order:
/// `worker(id = cache, start = Cache, args = 100, name = "cache", restart = transient,
/// shutdown = 5000, significant = true)` starts gen_server `Cache`;
/// `supervisor(id = sub, start = Sub)` starts supervisor `Sub`; `start_with = <ChildStart expr>`
/// replaces `start`/`args`. `shutdown` is brutal_kill, infinity or milliseconds.
#[proc_macro_attribute]
pub fn supervisor(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    supervisor::expand(attr.into(), item.into()).into()
}

/// `#[application(name = "shop", description = "..", version = "1.0.0", root = RootSup,
/// applications = [db, cache], env = [port = 8080, host = "localhost"])]` on a struct or enum:
/// implements `ergo::Application`. `name` defaults to the type name in snake_case; `root` is a
/// `Supervisor` type started with `root_args = expr` (default `Default::default()`); env values
/// are any `IntoTerm` expressions.
#[proc_macro_attribute]
pub fn application(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    application::expand(attr.into(), item.into()).into()
}

/// `#[gen_saga(max_transactions = N)]` on an inherent impl block: implements `ergo::GenSaga`
/// from async callbacks `init`, `handle_tx_new`, `handle_tx_cancel` (required),
/// `handle_tx_result`, `handle_tx_interim`, `handle_tx_done` (returns the final value),
/// `handle_tx_commit`, `handle_job_result`, `handle_job_interim`, `handle_job_failed`,
/// `handle_call`, `handle_cast`, `handle_info`, `terminate`. A leading `&mut` parameter is the
/// `SagaContext` (the `Context` for init and terminate). Values are decoded into the declared
/// types; one that does not decode is logged and cancels its transaction with
/// `{error, {bad_value, Value}}` (an interim is dropped).
#[proc_macro_attribute]
pub fn gen_saga(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    gen_saga::expand(gen_saga::Behaviour::Saga, attr.into(), item.into()).into()
}

/// `#[saga_worker]` on an inherent impl block: implements `ergo::SagaWorker` from async
/// callbacks `handle_job_start`, `handle_job_cancel` (required), `handle_job_commit`,
/// `handle_job_info`. A leading `&mut` parameter is the `Job`. A start value that does not
/// decode fails the job with `{bad_value, Value}`.
#[proc_macro_attribute]
pub fn saga_worker(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    gen_saga::expand(gen_saga::Behaviour::Worker, attr.into(), item.into()).into()
}

/// `#[gen_raft]` on an inherent impl block: implements `ergo::GenRaft` (feature `raft`), a
/// gen_raft process started with `Node::start_raft`, from async callbacks, all run in that one
/// process: `init([ctx: &mut Context,] args: A) -> Result<(Self, RaftStart), E>` (the state, and
/// the member's options and log), `handle_append(serial: u64, key: K, value: V)` (each committed
/// append once, in serial order; key and value decoded into the declared types),
/// `handle_leader(leader: Option<Atom>, term: u64)`, `handle_quorum(members: Vec<Atom>)`,
/// `handle_peer(peer: Atom, online: bool)`, `handle_call`, `handle_cast`, `handle_info` and
/// `terminate`, each but `init` taking `&mut self` and, optionally, `raft: &mut RaftContext<'_>`
/// first (to append and read; `terminate` takes the `Context`). Only `init` is required; the
/// block's other items stay an inherent impl.
#[proc_macro_attribute]
pub fn gen_raft(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    gen_raft::expand(attr.into(), item.into()).into()
}
