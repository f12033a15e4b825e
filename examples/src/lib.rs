//! Runnable examples for pulselog: `cargo run --example observability_matrix`.
