//! Errors of the application API. Owns only the error enum.

use ergo_etf::Term;

/// Why an application operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// An application with that name is already loaded.
    #[error("application {0} is already loaded")]
    AlreadyLoaded(String),
    /// No application with that name is loaded.
    #[error("application {0} is not loaded")]
    NotLoaded(String),
    /// The application is already running.
    #[error("application {0} is already started")]
    AlreadyStarted(String),
    /// The application is not running.
    #[error("application {0} is not started")]
    NotStarted(String),
    /// The application is running (unload needs it stopped).
    #[error("application {0} is running")]
    Running(String),
    /// The applications depend on each other in a cycle.
    #[error("circular dependency through application {0}")]
    CircularDependency(String),
    /// The application's root failed to start.
    #[error("application {0} failed to start: {1}")]
    StartFailed(String, Term),
    /// The node is stopped.
    #[error("node is stopped")]
    NodeStopped,
}
