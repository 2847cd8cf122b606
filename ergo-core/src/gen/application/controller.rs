//! The application API of a node (OTP's `application` module): load, unload, start (with
//! dependencies first), stop, stop_all (reverse start order), which/loaded applications, env.
//! Start and stop run one at a time per node. Must not run application code itself (the master
//! does).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ergo_etf::{Atom, Pid, Term};

use super::master::{self, StopRequest};
use super::table::{AppTable, Loaded, Running};
use super::{Application, ApplicationError, ApplicationSpec, StartType};
use crate::node::{Dest, Node};
use crate::process::{DirectEnvelope, Envelope};

pub use super::table::Exit as AppExit;

/// Name, description and version of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// Its name.
    pub name: Atom,
    /// Its description.
    pub description: String,
    /// Its version.
    pub version: String,
}

/// A running application's processes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningApplication {
    /// Its name.
    pub name: Atom,
    /// Its application master.
    pub master: Pid,
    /// Its root process (a supervisor, usually), when it has one.
    pub root: Option<Pid>,
    /// How it was started.
    pub start_type: StartType,
}

/// The applications of one node (`node.applications()`); cheap to clone.
#[derive(Clone)]
pub struct Applications {
    node: Node,
    table: Arc<AppTable>,
}

impl std::fmt::Debug for Applications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Applications({})", self.node.name())
    }
}

impl Node {
    /// This node's applications.
    pub fn applications(&self) -> Applications {
        Applications {
            node: self.clone(),
            table: super::table::table(self),
        }
    }
}

fn info(spec: &ApplicationSpec) -> AppInfo {
    AppInfo {
        name: spec.name.clone(),
        description: spec.description.clone(),
        version: spec.version.clone(),
    }
}

type StartFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ApplicationError>> + Send + 'a>>;

impl Applications {
    /// Loads an application (makes its spec and env known).
    pub fn load(&self, spec: ApplicationSpec) -> Result<(), ApplicationError> {
        let mut st = self.table.state();
        if st.loaded.iter().any(|l| l.spec.name == spec.name) {
            return Err(ApplicationError::AlreadyLoaded(spec.name.to_string()));
        }
        let env = spec.env.clone();
        st.loaded.push(Loaded { spec, env });
        Ok(())
    }

    /// Loads application `A`.
    pub fn load_app<A: Application>(&self) -> Result<(), ApplicationError> {
        self.load(A::spec())
    }

    /// Unloads a stopped application.
    pub fn unload(&self, name: &str) -> Result<(), ApplicationError> {
        let mut st = self.table.state();
        if st.running.iter().any(|r| r.name.as_str() == name) {
            return Err(ApplicationError::Running(name.to_string()));
        }
        let pos = st
            .loaded
            .iter()
            .position(|l| l.spec.name.as_str() == name)
            .ok_or_else(|| ApplicationError::NotLoaded(name.to_string()))?;
        st.loaded.remove(pos);
        Ok(())
    }

    /// Starts a loaded application, first starting (with the same start type) the applications
    /// it depends on that are not running yet. Returns once its root supervisor has started.
    pub async fn start(&self, name: &str, start_type: StartType) -> Result<(), ApplicationError> {
        let _op = self.table.ops.lock().await;
        self.start_locked(Atom::new(name), start_type, Vec::new())
            .await
    }

    fn start_locked(&self, name: Atom, start_type: StartType, path: Vec<Atom>) -> StartFuture<'_> {
        Box::pin(async move {
            if self.node.is_stopped() {
                return Err(ApplicationError::NodeStopped);
            }
            if path.contains(&name) {
                return Err(ApplicationError::CircularDependency(name.to_string()));
            }
            let spec = {
                let st = self.table.state();
                if st.running.iter().any(|r| r.name == name) {
                    return Err(ApplicationError::AlreadyStarted(name.to_string()));
                }
                match st.loaded.iter().find(|l| l.spec.name == name) {
                    Some(l) => l.spec.clone(),
                    None => return Err(ApplicationError::NotLoaded(name.to_string())),
                }
            };
            let mut path = path;
            path.push(name.clone());
            for dep in &spec.applications {
                let running = self.table.state().running.iter().any(|r| &r.name == dep);
                if !running {
                    self.start_locked(dep.clone(), start_type, path.clone())
                        .await?;
                }
            }
            let (master, root) = master::start(
                &self.node,
                Arc::clone(&self.table),
                name.clone(),
                spec.root.clone(),
                start_type,
            )
            .await?;
            self.table.state().running.push(Running {
                name,
                master,
                root,
                start_type,
            });
            Ok(())
        })
    }

    /// Loads (if needed) and starts application `A`.
    pub async fn start_app<A: Application>(
        &self,
        start_type: StartType,
    ) -> Result<(), ApplicationError> {
        let spec = A::spec();
        let name = spec.name.to_string();
        match self.load(spec) {
            Ok(()) | Err(ApplicationError::AlreadyLoaded(_)) => {}
            Err(e) => return Err(e),
        }
        self.start(&name, start_type).await
    }

    /// Stops a running application (its root supervisor, then its master). An explicit stop is
    /// reported with reason `stopped` and never stops the node, whatever the start type (OTP).
    /// The applications it depends on keep running.
    pub async fn stop(&self, name: &str) -> Result<(), ApplicationError> {
        let _op = self.table.ops.lock().await;
        self.stop_locked(&Atom::new(name)).await
    }

    async fn stop_locked(&self, name: &Atom) -> Result<(), ApplicationError> {
        let master = {
            let st = self.table.state();
            match st.running.iter().find(|r| &r.name == name) {
                Some(r) => r.master.clone(),
                None => return Err(ApplicationError::NotStarted(name.to_string())),
            }
        };
        // Remove it first, so its root's exit is not taken for a termination.
        self.table.record_exit(name, Term::atom("stopped"));
        // No timeout: stopping waits for the application's whole tree, as OTP's does.
        let (request, answered) = DirectEnvelope::new(StopRequest);
        if self
            .node
            .send_envelope(None, &Dest::Pid(master), Envelope::Direct(request))
            .is_ok()
        {
            let _ = answered.await;
        }
        Ok(())
    }

    /// Stops every running application, in reverse start order (dependants before the
    /// applications they depend on).
    pub async fn stop_all(&self) {
        let _op = self.table.ops.lock().await;
        loop {
            let last = self.table.state().running.last().map(|r| r.name.clone());
            match last {
                Some(name) => {
                    let _ = self.stop_locked(&name).await;
                }
                None => return,
            }
        }
    }

    /// The running applications, in start order.
    pub fn which_applications(&self) -> Vec<AppInfo> {
        let st = self.table.state();
        st.running
            .iter()
            .filter_map(|r| {
                st.loaded
                    .iter()
                    .find(|l| l.spec.name == r.name)
                    .map(|l| info(&l.spec))
            })
            .collect()
    }

    /// The running applications with their master and root processes, in start order.
    pub fn running_applications(&self) -> Vec<RunningApplication> {
        self.table
            .state()
            .running
            .iter()
            .map(|r| RunningApplication {
                name: r.name.clone(),
                master: r.master.clone(),
                root: r.root.clone(),
                start_type: r.start_type,
            })
            .collect()
    }

    /// The loaded applications, in load order.
    pub fn loaded_applications(&self) -> Vec<AppInfo> {
        self.table
            .state()
            .loaded
            .iter()
            .map(|l| info(&l.spec))
            .collect()
    }

    /// True when `name` runs.
    pub fn is_running(&self, name: &str) -> bool {
        self.table
            .state()
            .running
            .iter()
            .any(|r| r.name.as_str() == name)
    }

    /// An env value of a loaded application.
    pub fn get_env(&self, app: &str, key: &str) -> Option<Term> {
        let st = self.table.state();
        let loaded = st.loaded.iter().find(|l| l.spec.name.as_str() == app)?;
        loaded
            .env
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v.clone())
    }

    /// All env values of a loaded application.
    pub fn get_all_env(&self, app: &str) -> Vec<(Atom, Term)> {
        let st = self.table.state();
        st.loaded
            .iter()
            .find(|l| l.spec.name.as_str() == app)
            .map(|l| l.env.clone())
            .unwrap_or_default()
    }

    /// Sets an env value of a loaded application.
    pub fn set_env(&self, app: &str, key: &str, value: Term) -> Result<(), ApplicationError> {
        let mut st = self.table.state();
        let loaded = st
            .loaded
            .iter_mut()
            .find(|l| l.spec.name.as_str() == app)
            .ok_or_else(|| ApplicationError::NotLoaded(app.to_string()))?;
        let key = Atom::new(key);
        match loaded.env.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => loaded.env.push((key, value)),
        }
        Ok(())
    }

    /// Every termination so far (explicit stops have reason `stopped`), oldest first.
    pub fn exits(&self) -> Vec<AppExit> {
        self.table.state().exits.clone()
    }

    /// Waits up to `timeout` for a termination of `name` to be recorded; returns the latest.
    pub async fn wait_exit(&self, name: &str, timeout: Duration) -> Option<AppExit> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.table.exited.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = self
                .table
                .state()
                .exits
                .iter()
                .rev()
                .find(|e| e.name.as_str() == name)
            {
                return Some(e.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}
