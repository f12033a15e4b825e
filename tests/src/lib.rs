//! Integration and UI tests for pulselog; see `tests/`.
