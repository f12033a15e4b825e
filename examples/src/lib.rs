//! Runnable examples for pulselog: `cargo run --example observability_matrix`
//! (the main demo) and `cargo run --example axum_service` (an HTTP service,
//! [`service`]).

pub mod service;
