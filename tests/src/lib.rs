//! Integration and UI tests for pulselog; see `tests/`.

pub mod props;
