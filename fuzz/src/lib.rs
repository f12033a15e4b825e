//! The properties the fuzz targets check: the same module the proptest
//! suite runs (`tests/src/props.rs`), built here without the test crate's
//! other dependencies.

#[path = "../../tests/src/props.rs"]
pub mod props;
