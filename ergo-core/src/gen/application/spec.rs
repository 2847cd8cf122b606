//! What an application is: name, description, version, env, dependencies, root supervisor; and
//! how it is started (its start type). Builders only; must not run anything.

use ergo_etf::{Atom, IntoTerm, Term};

use crate::gen::supervisor::{ChildStart, Supervisor, SupervisorSpec};

/// What the node does when a running application terminates by itself (OTP's restart type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StartType {
    /// Its termination (any reason) stops the other applications and the node.
    Permanent,
    /// Its termination with a reason other than `normal` stops the other applications and the
    /// node; a `normal` termination is only reported.
    Transient,
    /// Its termination is only reported (the default, as in OTP).
    #[default]
    Temporary,
}

/// An application.
#[derive(Clone, Debug)]
pub struct ApplicationSpec {
    /// Its name.
    pub name: Atom,
    /// A one-line description.
    pub description: String,
    /// Its version.
    pub version: String,
    /// Its environment (initial values; `set_env` changes the loaded copy).
    pub env: Vec<(Atom, Term)>,
    /// Applications that must run before it (started first, in this order).
    pub applications: Vec<Atom>,
    /// Starts its root supervisor (linked to the application master); `None` for a library
    /// application with no processes.
    pub root: Option<ChildStart>,
}

impl ApplicationSpec {
    /// A spec named `name` with no root, env or dependencies.
    pub fn new(name: &str) -> ApplicationSpec {
        ApplicationSpec {
            name: Atom::new(name),
            description: String::new(),
            version: String::new(),
            env: Vec::new(),
            applications: Vec::new(),
            root: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: &str) -> ApplicationSpec {
        self.description = description.to_string();
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: &str) -> ApplicationSpec {
        self.version = version.to_string();
        self
    }

    /// Adds (or replaces) an env key.
    pub fn env(mut self, key: &str, value: impl IntoTerm) -> ApplicationSpec {
        let key = Atom::new(key);
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into_term()));
        self
    }

    /// Adds a dependency.
    pub fn depends_on(mut self, application: &str) -> ApplicationSpec {
        self.applications.push(Atom::new(application));
        self
    }

    /// Sets the root's start function (it must link to `StartContext::supervisor`).
    pub fn root(mut self, start: ChildStart) -> ApplicationSpec {
        self.root = Some(start);
        self
    }

    /// Sets supervisor `S` (started with `args`) as the root.
    pub fn root_supervisor<S: Supervisor>(self, args: S::Args) -> ApplicationSpec
    where
        S::Args: Clone + Sync,
    {
        self.root(ChildStart::supervisor::<S>(args))
    }

    /// Sets a supervisor built from `spec` as the root.
    pub fn root_spec(self, spec: SupervisorSpec) -> ApplicationSpec {
        self.root(ChildStart::supervisor_spec(spec))
    }
}
