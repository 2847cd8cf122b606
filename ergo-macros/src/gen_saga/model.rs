//! The model of a `#[gen_saga]` or `#[saga_worker]` impl block: which behaviour, the table of
//! its callbacks (name, how many parameters besides self and the leading `&mut` handle,
//! whether `&mut self` is taken, the return rule, whether it is required), and each method as
//! written, its types kept verbatim (the generated code lets the compiler check them). Must not
//! parse, check or generate tokens.

/// Which attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// `#[gen_saga]`: implements `ergo::GenSaga`.
    Saga,
    /// `#[saga_worker]`: implements `ergo::SagaWorker`.
    Worker,
}

/// Whether a callback returns something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ret {
    /// It must declare a return type.
    Required,
    /// It must not.
    Forbidden,
    /// `Status` or nothing.
    Optional,
}

/// One callback of a behaviour.
#[derive(Debug)]
pub(super) struct Spec {
    /// Its name.
    pub name: &'static str,
    /// Its parameters besides self and the leading `&mut` handle.
    pub arity: usize,
    /// Takes `&mut self` (all but `init`).
    pub takes_self: bool,
    /// Its return rule.
    pub ret: Ret,
    /// The block must define it.
    pub required: bool,
    /// The signature to write, for error messages.
    pub expected: &'static str,
}

const fn spec(
    name: &'static str,
    arity: usize,
    ret: Ret,
    required: bool,
    expected: &'static str,
) -> Spec {
    Spec {
        name,
        arity,
        takes_self: true,
        ret,
        required,
        expected,
    }
}

/// The callbacks of `#[gen_saga]`.
const SAGA: &[Spec] = &[
    Spec {
        name: "init",
        arity: 1,
        takes_self: false,
        ret: Ret::Required,
        required: true,
        expected: "async fn init([ctx: &mut Context,] args: A) -> Result<Self, E> (or Init<Self>)",
    },
    spec("handle_tx_new", 2, Ret::Optional, true,
        "async fn handle_tx_new(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, value: T) -> Status"),
    spec("handle_tx_result", 3, Ret::Optional, false,
        "async fn handle_tx_result(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, next: NextId, result: T) -> Status"),
    spec("handle_tx_interim", 3, Ret::Optional, false,
        "async fn handle_tx_interim(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, next: NextId, interim: T) -> Status"),
    spec("handle_tx_cancel", 2, Ret::Optional, true,
        "async fn handle_tx_cancel(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, reason: Term) -> Status"),
    spec("handle_tx_done", 2, Ret::Required, false,
        "async fn handle_tx_done(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, result: T) -> F (the final value, F: IntoTerm)"),
    spec("handle_tx_commit", 2, Ret::Optional, false,
        "async fn handle_tx_commit(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, value: T) -> Status"),
    spec("handle_job_result", 3, Ret::Optional, false,
        "async fn handle_job_result(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, job: JobId, result: T) -> Status"),
    spec("handle_job_interim", 3, Ret::Optional, false,
        "async fn handle_job_interim(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, job: JobId, interim: T) -> Status"),
    spec("handle_job_failed", 3, Ret::Optional, false,
        "async fn handle_job_failed(&mut self, [saga: &mut SagaContext<'_>,] tx: TxId, job: JobId, reason: Term) -> Status"),
    spec("handle_call", 2, Ret::Required, false,
        "async fn handle_call(&mut self, [saga: &mut SagaContext<'_>,] msg: T, from: ReplyTo) -> Reply<R>"),
    spec("handle_cast", 1, Ret::Optional, false,
        "async fn handle_cast(&mut self, [saga: &mut SagaContext<'_>,] msg: T) -> Status"),
    spec("handle_info", 1, Ret::Optional, false,
        "async fn handle_info(&mut self, [saga: &mut SagaContext<'_>,] msg: T) -> Status"),
    spec("terminate", 1, Ret::Forbidden, false,
        "async fn terminate(&mut self, [ctx: &mut Context,] reason: &Term)"),
];

/// The callbacks of `#[saga_worker]`.
const WORKER: &[Spec] = &[
    spec(
        "handle_job_start",
        1,
        Ret::Optional,
        true,
        "async fn handle_job_start(&mut self, [job: &mut Job,] value: T) -> Status",
    ),
    spec(
        "handle_job_cancel",
        1,
        Ret::Forbidden,
        true,
        "async fn handle_job_cancel(&mut self, [job: &mut Job,] reason: Term)",
    ),
    spec(
        "handle_job_commit",
        1,
        Ret::Forbidden,
        false,
        "async fn handle_job_commit(&mut self, [job: &mut Job,] value: T)",
    ),
    spec(
        "handle_job_info",
        1,
        Ret::Optional,
        false,
        "async fn handle_job_info(&mut self, [job: &mut Job,] msg: T) -> Status",
    ),
];

impl Behaviour {
    /// Its callbacks.
    pub(super) fn specs(self) -> &'static [Spec] {
        match self {
            Behaviour::Saga => SAGA,
            Behaviour::Worker => WORKER,
        }
    }

    /// The attribute as written, for error messages.
    pub(super) fn attribute(self) -> &'static str {
        match self {
            Behaviour::Saga => "#[gen_saga]",
            Behaviour::Worker => "#[saga_worker]",
        }
    }

    /// The callback named `name`.
    pub(super) fn spec(self, name: &str) -> Option<&'static Spec> {
        self.specs().iter().find(|s| s.name == name)
    }

    /// The names of its callbacks, for error messages.
    pub(super) fn names(self) -> String {
        self.specs()
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One method of the block that is, or looks like, a callback.
pub(super) type Method = crate::callback::Callback<&'static Spec>;

/// The attribute and its arguments.
pub(super) struct SagaArgs {
    /// Which attribute.
    pub behaviour: Behaviour,
    /// `#[gen_saga(max_transactions = N)]`.
    pub max_transactions: Option<syn::Expr>,
}

/// The whole impl block.
pub(super) type Block = crate::callback_block::CallbackBlock<&'static Spec, SagaArgs>;

impl crate::callback_block::CallbackKind for &'static Spec {
    fn name(self) -> &'static str {
        self.name
    }

    fn expected(self) -> &'static str {
        self.expected
    }
}
