//! What a supervisor is made of: its flags (strategy, intensity, period, auto_shutdown) and its
//! child specs (id, start, restart type, shutdown, kind, significant), with builders and the
//! validity checks OTP's `supervisor:check_childspecs` makes. Must not run anything.

use std::collections::HashSet;
use std::time::Duration;

use ergo_etf::{Atom, Term};

use super::{ChildStart, Strategy, SupervisorError};

/// When a child is restarted (OTP's `restart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always restarted.
    Permanent,
    /// Restarted only after an abnormal exit (not `normal`, `shutdown` or `{shutdown, _}`).
    Transient,
    /// Never restarted; its spec is removed when it exits.
    Temporary,
}

impl Restart {
    /// True when a child of this type is restarted after exiting with `reason`.
    pub fn restarts_after(self, reason: &Term) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => !is_normal_exit(reason),
            Restart::Temporary => false,
        }
    }
}

/// True for the exit reasons OTP treats as a normal stop of a child: `normal`, `shutdown` and
/// `{shutdown, _}`.
pub(super) fn is_normal_exit(reason: &Term) -> bool {
    match reason {
        Term::Atom(a) => a.as_str() == "normal" || a.as_str() == "shutdown",
        Term::Tuple(elems) => {
            elems.len() == 2 && elems.first().is_some_and(|t| t.is_atom("shutdown"))
        }
        _ => false,
    }
}

/// How a child is stopped (OTP's `shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// `exit(Child, kill)` at once.
    BrutalKill,
    /// `exit(Child, shutdown)`, then `kill` if it has not exited within the duration.
    Timeout(Duration),
    /// `exit(Child, shutdown)` and wait as long as it takes (the default for supervisors).
    Infinity,
}

/// Whether a child is a worker or a supervisor (OTP's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// Any process that is not a supervisor.
    Worker,
    /// A supervisor (its subtree).
    Supervisor,
}

/// When the exit of significant children stops the supervisor (OTP's `auto_shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AutoShutdown {
    /// Never (the default).
    #[default]
    Never,
    /// When any significant child exits by itself (without being restarted).
    AnySignificant,
    /// When all significant children have exited by themselves.
    AllSignificant,
}

/// One child of a supervisor.
#[derive(Clone)]
pub struct ChildSpec {
    /// The child's id, unique within its supervisor.
    pub id: Atom,
    /// How to start it.
    pub start: ChildStart,
    /// When to restart it.
    pub restart: Restart,
    /// How to stop it.
    pub shutdown: Shutdown,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Whether its exit counts for `auto_shutdown` (only for transient and temporary children).
    pub significant: bool,
}

impl std::fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .finish()
    }
}

impl ChildSpec {
    /// A permanent worker with OTP's default shutdown of 5 s.
    pub fn worker(id: &str, start: ChildStart) -> ChildSpec {
        ChildSpec {
            id: Atom::new(id),
            start,
            restart: Restart::Permanent,
            shutdown: Shutdown::Timeout(Duration::from_secs(5)),
            kind: ChildKind::Worker,
            significant: false,
        }
    }

    /// A permanent supervisor child with shutdown `infinity`.
    pub fn supervisor(id: &str, start: ChildStart) -> ChildSpec {
        ChildSpec {
            kind: ChildKind::Supervisor,
            shutdown: Shutdown::Infinity,
            ..ChildSpec::worker(id, start)
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: Restart) -> ChildSpec {
        self.restart = restart;
        self
    }

    /// Sets the shutdown.
    pub fn shutdown(mut self, shutdown: Shutdown) -> ChildSpec {
        self.shutdown = shutdown;
        self
    }

    /// Marks the child significant (or not).
    pub fn significant(mut self, significant: bool) -> ChildSpec {
        self.significant = significant;
        self
    }

    /// Checks the spec on its own: a significant child must not be permanent.
    pub fn check(&self) -> Result<(), SupervisorError> {
        if self.significant && self.restart == Restart::Permanent {
            return Err(SupervisorError::InvalidSpec(format!(
                "child {}: a significant child must not be permanent",
                self.id
            )));
        }
        Ok(())
    }
}

/// A supervisor: flags and children, built in plain Rust or by `#[supervisor]`.
#[derive(Clone, Debug)]
pub struct SupervisorSpec {
    /// The restart strategy.
    pub strategy: Strategy,
    /// Maximum restarts within `period` (OTP default 1).
    pub intensity: u32,
    /// The intensity window (OTP default 5 s).
    pub period: Duration,
    /// Whether significant children's exits stop the supervisor.
    pub auto_shutdown: AutoShutdown,
    /// The children, in start order (for simple_one_for_one: the one template).
    pub children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// A spec with `strategy`, OTP's defaults (1 restart in 5 s, auto_shutdown never) and no
    /// children.
    pub fn new(strategy: Strategy) -> SupervisorSpec {
        SupervisorSpec {
            strategy,
            intensity: 1,
            period: Duration::from_secs(5),
            auto_shutdown: AutoShutdown::Never,
            children: Vec::new(),
        }
    }

    /// Sets the restart intensity.
    pub fn intensity(mut self, intensity: u32) -> SupervisorSpec {
        self.intensity = intensity;
        self
    }

    /// Sets the intensity period.
    pub fn period(mut self, period: Duration) -> SupervisorSpec {
        self.period = period;
        self
    }

    /// Sets auto_shutdown.
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> SupervisorSpec {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Appends a child.
    pub fn child(mut self, child: ChildSpec) -> SupervisorSpec {
        self.children.push(child);
        self
    }

    /// Checks the spec: unique child ids, each child valid, exactly one child spec for
    /// simple_one_for_one, and a nonzero period.
    pub fn check(&self) -> Result<(), SupervisorError> {
        if self.period.is_zero() {
            return Err(SupervisorError::InvalidSpec(
                "period must be positive".into(),
            ));
        }
        let mut seen = HashSet::new();
        for child in &self.children {
            child.check()?;
            if !seen.insert(child.id.clone()) {
                return Err(SupervisorError::InvalidSpec(format!(
                    "duplicate child id {}",
                    child.id
                )));
            }
        }
        if self.strategy == Strategy::SimpleOneForOne && self.children.len() != 1 {
            return Err(SupervisorError::InvalidSpec(format!(
                "simple_one_for_one needs exactly one child spec, got {}",
                self.children.len()
            )));
        }
        Ok(())
    }
}
