//! Rust stages the tests run: a producer of integers, a consumer reporting every batch (with
//! manual or automatic demand) to the test, and a producer_consumer doubling its events.

use ergo::stage::{
    self, CancelKind, Emit, Role, StageFrom, StageInit, StageKind, StageOptions, SubscribeMode,
};
use ergo::{Context, GenStage, Term};
use tokio::sync::mpsc::UnboundedSender;

/// Emits the integers from its start on demand.
pub struct Numbers {
    next: i64,
}

impl GenStage for Numbers {
    type Args = (i64, StageOptions);

    async fn init(_ctx: &mut Context, (start, options): Self::Args) -> StageInit<Self> {
        StageInit::Ok(StageKind::Producer, Numbers { next: start }, options)
    }

    async fn handle_demand(&mut self, _ctx: &mut Context, demand: u64) -> Emit {
        let events = (self.next..self.next + demand as i64)
            .map(Term::Int)
            .collect();
        self.next += demand as i64;
        Emit::Events(events)
    }

    /// `{stop, Reason}` stops it with that reason.
    async fn handle_cast(&mut self, _ctx: &mut Context, request: ergo::Payload) -> Emit {
        let request = request.into_term();
        match request.as_tuple() {
            Some([tag, reason]) if tag.is_atom("stop") => Emit::Stop(reason.clone()),
            _ => Emit::none(),
        }
    }
}

/// What a [`Recorder`] tells the test.
#[derive(Debug)]
pub enum Report {
    /// Subscribed to a producer.
    Subscribed(StageFrom),
    /// A batch: its events and the demand outstanding when it came (manual mode), or the most a
    /// batch may hold (automatic mode: max - min).
    Batch {
        /// The events.
        events: Vec<Term>,
        /// The bound the batch must respect.
        bound: u64,
    },
    /// A subscription ended.
    Cancelled(CancelKind),
}

/// How a [`Recorder`] asks.
#[derive(Debug, Clone, Copy)]
pub enum Asking {
    /// Manual: asks this many, again when all arrived.
    Manual(u64),
    /// Automatic, with this max - min.
    Automatic(u64),
}

/// A consumer reporting every batch.
pub struct Recorder {
    report: UnboundedSender<Report>,
    asking: Asking,
    outstanding: std::collections::HashMap<Term, u64>,
}

impl GenStage for Recorder {
    type Args = (UnboundedSender<Report>, Asking, StageOptions);

    async fn init(_ctx: &mut Context, (report, asking, options): Self::Args) -> StageInit<Self> {
        let me = Recorder {
            report,
            asking,
            outstanding: Default::default(),
        };
        StageInit::Ok(StageKind::Consumer, me, options)
    }

    async fn handle_subscribe(
        &mut self,
        ctx: &mut Context,
        role: Role,
        _options: &Term,
        from: &StageFrom,
    ) -> SubscribeMode {
        if role == Role::Producer {
            let _ = self.report.send(Report::Subscribed(from.clone()));
        }
        match self.asking {
            Asking::Manual(n) if role == Role::Producer => {
                stage::ask(ctx, from, n).expect("ask");
                self.outstanding.insert(from.tag.clone(), n);
                SubscribeMode::Manual
            }
            _ => SubscribeMode::Automatic,
        }
    }

    async fn handle_events(
        &mut self,
        ctx: &mut Context,
        events: Vec<Term>,
        from: &StageFrom,
    ) -> Emit {
        match self.asking {
            Asking::Automatic(bound) => {
                let _ = self.report.send(Report::Batch { events, bound });
            }
            Asking::Manual(n) => {
                let out = self.outstanding.get(&from.tag).copied().unwrap_or(0);
                let count = events.len() as u64;
                let _ = self.report.send(Report::Batch { events, bound: out });
                let left = out.saturating_sub(count);
                if left == 0 {
                    stage::ask(ctx, from, n).expect("ask");
                    self.outstanding.insert(from.tag.clone(), n);
                } else {
                    self.outstanding.insert(from.tag.clone(), left);
                }
            }
        }
        Emit::none()
    }

    async fn handle_cancel(
        &mut self,
        _ctx: &mut Context,
        cancel: CancelKind,
        _from: &StageFrom,
    ) -> Emit {
        let _ = self.report.send(Report::Cancelled(cancel));
        Emit::none()
    }
}

/// A producer_consumer doubling its events.
pub struct Doubler;

impl GenStage for Doubler {
    type Args = StageOptions;

    async fn init(_ctx: &mut Context, options: Self::Args) -> StageInit<Self> {
        StageInit::Ok(StageKind::ProducerConsumer, Doubler, options)
    }

    async fn handle_events(
        &mut self,
        _ctx: &mut Context,
        events: Vec<Term>,
        _from: &StageFrom,
    ) -> Emit {
        Emit::Events(
            events
                .into_iter()
                .map(|e| match e {
                    Term::Int(n) => Term::Int(n * 2),
                    other => other,
                })
                .collect(),
        )
    }
}

/// A producer_consumer passing its events on unchanged.
pub struct Pass;

impl GenStage for Pass {
    type Args = StageOptions;

    async fn init(_ctx: &mut Context, options: Self::Args) -> StageInit<Self> {
        StageInit::Ok(StageKind::ProducerConsumer, Pass, options)
    }

    async fn handle_events(
        &mut self,
        _ctx: &mut Context,
        events: Vec<Term>,
        _from: &StageFrom,
    ) -> Emit {
        Emit::Events(events)
    }
}

/// A producer of integers that reports how its subscriptions end.
pub struct Watched {
    next: i64,
    cancels: UnboundedSender<CancelKind>,
}

impl GenStage for Watched {
    type Args = UnboundedSender<CancelKind>;

    async fn init(_ctx: &mut Context, cancels: Self::Args) -> StageInit<Self> {
        StageInit::producer(Watched { next: 0, cancels })
    }

    async fn handle_demand(&mut self, _ctx: &mut Context, demand: u64) -> Emit {
        let events = (self.next..self.next + demand as i64)
            .map(Term::Int)
            .collect();
        self.next += demand as i64;
        Emit::Events(events)
    }

    async fn handle_cancel(
        &mut self,
        _ctx: &mut Context,
        cancel: CancelKind,
        _from: &StageFrom,
    ) -> Emit {
        let _ = self.cancels.send(cancel);
        Emit::none()
    }
}
