//! Helpers shared by the pipeline's test binaries: an in-memory output
//! for those that install a logger, and (`child`) the running of this
//! package's program. Each binary uses part of this module.
#![allow(dead_code)]

/// The runner of `pulselog-tests`' process-level tests, on this package's
/// program: one place for the environment a child gets and for a hung
/// child failing its test.
#[path = "../../../tests/common/child.rs"]
pub mod child;

/// The `pulselog-pipeline-child` program of this package, which `child`
/// runs.
pub const CHILD: &str = env!("CARGO_BIN_EXE_pulselog-pipeline-child");

#[path = "../../../tests/common/shared.rs"]
mod shared;

// Not every binary of this package writes to memory.
#[allow(unused_imports)]
pub use shared::Shared;
