//! The web server (in progress).
