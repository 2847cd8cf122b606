//! The users' test kit (feature `testing`):
//!
//! - [`GenServerKit`]: one gen_server under test with no node to set up: start it with its
//!   args, `call`, `cast`, `info`, `exit` it, let virtual time pass; every effect it has is
//!   recorded and asserted fluently, its peers (local or remote) are mocked by name;
//! - [`StageKit`]: one gen_stage the same way, the test playing its consumer (`ask(n)`, then
//!   `should_emit(events)`) or its producer (`events(..)`, then `should_ask(n)`);
//! - [`SupervisorPlan`]: a `#[supervisor]`'s declaration (flags, children in order, their
//!   restart types) read without starting it; [`SupervisorKit`]: the tree started, a child
//!   killed by id, `should_restart(id)` for the children that came back (and
//!   `should_restart_times(id, n)`: how often, within one step), what the children did
//!   (`should_send`, `should_spawn`, `should_link`...), in paused time;
//! - `should_log(level)` on every kit: the tracing events the process under test (or the tree)
//!   logged, matched by level, message and fields ([`LogExpect`]);
//! - [`ErlNode`]: a real Erlang node a test starts ([`ErlOptions`]: `erl` flags, modules from
//!   files, plain arguments, an expression run at start), compiles Erlang source on, evaluates
//!   expressions on (getting their values back as [`Term`](crate::Term)s, or in the background
//!   as an [`ErlTask`]), waits on (`wait_line`, `wait_until`) and kills.
//!
//! This is not ergo-core's `forge-signals` feature (which makes the node methods that act for
//! any pid public, for the project's own tests that play a remote node): turning `testing` on
//! gives an application's tests this module and nothing else. Put it in your dev-dependencies:
//! `ergo-rs = { version = "..", features = ["testing"] }` (it brings tokio's `test-util`, for
//! paused time).
//!
//! # A gen_server under test
//!
//! ```
//! use std::time::Duration;
//! use ergo::testing::GenServerKit;
//! use ergo::{gen_server, Context, Reply, ReplyTo, Status, Term};
//!
//! #[derive(ergo::Term, Debug, Clone, PartialEq)]
//! enum Req { Get, Price(i64) }
//!
//! #[derive(ergo::Term, Debug, Clone, PartialEq)]
//! struct Tick;
//!
//! struct Shop { ticks: i64 }
//!
//! #[gen_server]
//! impl Shop {
//!     async fn init(ctx: &mut Context, _args: ()) -> Result<Self, Term> {
//!         ctx.send_self_after(Tick, Duration::from_secs(60));
//!         Ok(Shop { ticks: 0 })
//!     }
//!     async fn handle_call(&mut self, ctx: &mut Context, req: Req, _from: ReplyTo<i64>) -> Reply<i64> {
//!         match req {
//!             Req::Get => Reply::Reply(self.ticks),
//!             // Asks the pricing service on another node.
//!             Req::Price(item) => match ctx.call::<i64>(("pricing", "prices@dc1"), Term::Int(item)).await {
//!                 Ok(price) => Reply::Reply(price),
//!                 Err(_) => Reply::Reply(-1),
//!             },
//!         }
//!     }
//!     async fn handle_info(&mut self, ctx: &mut Context, _tick: Tick) -> Status {
//!         self.ticks += 1;
//!         let _ = ctx.send(("audit", "prices@dc1"), Term::Int(self.ticks));
//!         ctx.send_self_after(Tick, Duration::from_secs(60));
//!         Status::Continue
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // (in a test: #[tokio::test(start_paused = true)])
//! let mut kit = GenServerKit::<Shop>::start(()).await.unwrap();
//! kit.should_send_after().message(Tick).once();
//!
//! // Ten minutes pass in no time; each tick set the next one.
//! kit.advance(Duration::from_secs(600)).await;
//! assert_eq!(kit.call(Req::Get).await, Some(Term::Int(10)));
//! kit.should_reply(10i64);
//! kit.should_send().to(("audit", "prices@dc1")).times(10);
//! kit.should_send().to(("audit", "prices@dc1")).message(Term::Int(3)).never(); // claimed above
//!
//! // The remote pricing service, mocked.
//! kit.should_call(("pricing", "prices@dc1"), Term::Int(7)).respond_with(450i64);
//! assert_eq!(kit.call(Req::Price(7)).await, Some(Term::Int(450)));
//! kit.should_call(("pricing", "prices@dc1"), Term::Int(7)).once();
//! kit.should_reply(450i64);
//! kit.should_send_after().times(10);
//! kit.no_more_effects();
//! # }
//! ```
//!
//! A failed assertion panics with every effect that did happen, `[x]` for those an earlier
//! assertion claimed:
//!
//! ```text
//! expected 1 send to {nobody,nowhere@host}, found 0
//! effects so far ([x]: claimed by an earlier assertion):
//!   [x] send_after 60s to <0.2.0>: tick
//!   [ ] send to {audit,prices@dc1}: 1
//! ```
//!
//! # What it logged
//!
//! Every kit captures the tracing events logged on the test thread while it lives (it sets its
//! subscriber as the thread's default; events still reach the one set before), each with the
//! process it was logged in:
//!
//! ```
//! use ergo::testing::{GenServerKit, Level};
//! use ergo::{gen_server, Context, Status, Term};
//!
//! struct Pricer;
//!
//! #[gen_server]
//! impl Pricer {
//!     async fn init(_ctx: &mut Context, _args: ()) -> Result<Self, Term> {
//!         Ok(Pricer)
//!     }
//!     async fn handle_cast(&mut self, _ctx: &mut Context, item: i64) -> Status {
//!         tracing::warn!(item, "no price");
//!         Status::Continue
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut kit = GenServerKit::<Pricer>::start(()).await.unwrap();
//! kit.cast(7i64).await;
//! kit.should_log(Level::WARN).containing("no price").field("item", 7).once();
//! kit.should_log(Level::ERROR).never();
//! # }
//! ```
//!
//! # A gen_stage under test
//!
//! ```
//! use ergo::stage::{Emit, StageInit, SubscribeOptions};
//! use ergo::testing::StageKit;
//! use ergo::gen_stage;
//!
//! struct Counter { next: i64 }
//!
//! #[gen_stage]
//! impl Counter {
//!     async fn init(start: i64) -> StageInit<Self> {
//!         StageInit::producer(Counter { next: start })
//!     }
//!     async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
//!         let events: Vec<i64> = (self.next..self.next + demand as i64).collect();
//!         self.next += demand as i64;
//!         Emit::Events(events)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut kit = StageKit::<Counter>::start(1).await.unwrap();
//! // The test is the consumer: it subscribes, then asks.
//! kit.subscribe_consumer(SubscribeOptions::new()).await;
//! kit.should_monitor().once(); // a producer monitors its consumer
//! kit.ask(3).await;
//! kit.should_emit([1i64, 2, 3]);
//! kit.ask(2).await;
//! kit.should_emit([4i64, 5]); // since the last should_emit
//! kit.no_more_effects();
//! # }
//! ```
//!
//! `should_emit` also fails when the batches sent to the fake consumer hold more events than it
//! asked for in all.
//!
//! # A supervisor under test
//!
//! ```
//! use std::time::Duration;
//! use ergo::testing::{SupervisorKit, SupervisorPlan};
//! use ergo::{gen_server, supervisor, ChildKind, Context, Restart, Strategy, Term};
//!
//! struct Cell;
//!
//! #[gen_server]
//! impl Cell {
//!     async fn init(_ctx: &mut Context, _args: ()) -> Result<Self, Term> {
//!         Ok(Cell)
//!     }
//! }
//!
//! struct Shop;
//!
//! #[supervisor(strategy = rest_for_one, intensity = 1, period = 5)]
//! impl Shop {
//!     children! {
//!         worker(id = db, start = Cell, args = ()),
//!         worker(id = clerk, start = Cell, args = (), restart = transient),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! // The declaration, with nothing started.
//! let plan = SupervisorPlan::of::<Shop>(()).unwrap();
//! plan.should_have_flags(Strategy::RestForOne, 1, Duration::from_secs(5));
//! plan.should_have_children(&["db", "clerk"]);
//! plan.should_have_child("clerk", ChildKind::Worker, Restart::Transient);
//!
//! // The tree, on the kit's own node.
//! let mut kit = SupervisorKit::<Shop>::start(()).await.unwrap();
//! kit.should_spawn().times(2); // what the children did: here, be spawned
//! kit.kill("db").await;
//! kit.should_restart("db");
//! kit.should_restart("clerk"); // rest_for_one: started after db
//! kit.should_spawn().times(2);
//! kit.advance(Duration::from_secs(6)).await; // out of the intensity window, in no real time
//! kit.kill("clerk").await;
//! kit.should_restart("clerk");
//! kit.should_restart_times("clerk", 1);
//! kit.should_not_restart("db");
//! kit.should_spawn().once();
//! kit.no_more_effects();
//! // The supervisor logged each restart ("child restarted", child = clerk): two so far.
//! kit.should_log(ergo::testing::Level::INFO).field("child", "clerk").times(2);
//! kit.kill("clerk").await; // a second restart within 5 s: too many
//! kit.should_stop(Term::atom("shutdown"));
//! # }
//! ```
//!
//! The kit records the children's effects through the node's effect observer, which lets them
//! through (the children run for real); `should_restart_times(id, n)` counts the supervisor's
//! restarts of a child within one step (a child that crashes again right after its restart
//! counts twice).
//!
//! # A real Erlang node
//!
//! ```no_run
//! use std::time::Duration;
//! use ergo::testing::ErlNode;
//! use ergo::Term;
//!
//! # async fn demo() -> Result<(), ergo::testing::ErlError> {
//! // None (and a printed SKIPPED line) when `erl` is not installed, unless ERGO_REQUIRE_ERL=1.
//! let Some(erl) = ErlNode::start("peer@localhost", "secret").await? else {
//!     return Ok(());
//! };
//! erl.compile("-module(sq).\n-export([sq/1]).\nsq(X) -> X * X.\n").await?;
//! assert_eq!(erl.eval("sq:sq(7)").await?, Term::from(49i64));
//!
//! // What blocks runs in the background; a condition is waited for with a deadline.
//! let task = erl
//!     .eval_background("register(waiter, self()), receive {go, N} -> N + 1 end")
//!     .await?;
//! erl.wait_until("whereis(waiter) =/= undefined", Duration::from_secs(5)).await?;
//! erl.eval("waiter ! {go, 41}").await?;
//! assert_eq!(task.result(Duration::from_secs(5)).await?, Term::from(42i64));
//! # Ok(()) }
//! ```
//!
//! [`ErlNode::options`] starts one with more: `erl` flags (`-hidden`, `-proto_dist inet_tls`,
//! `-connect_all false`), modules loaded from files, plain arguments, and an expression run in
//! its own process (a module's `main()` whose printed lines the test waits for with
//! [`ErlNode::wait_line`]). The project's own interop tests start their Erlang nodes this way.

mod erl_node;
mod erl_options;
mod expect;
mod kit;
mod logs;
mod recorder;
mod stage_kit;
mod supervisor_kit;

pub use ergo_core::Effect;
pub use erl_node::{erl_required, ErlError, ErlNode, ErlTask, EVAL_TIMEOUT, START_TIMEOUT};
pub use erl_options::ErlOptions;
pub use expect::{CallExpect, Expect};
pub use kit::{GenServerKit, ProcessKit};
pub use logs::{LogEvent, LogExpect};
pub use stage_kit::StageKit;
pub use supervisor_kit::{SupervisorKit, SupervisorPlan};
/// The levels [`ProcessKit::should_log`] takes (tracing's).
pub use tracing::Level;
