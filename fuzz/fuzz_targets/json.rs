//! The json format's line for an event built from the input's bytes: see
//! `pulselog_fuzz::props` for the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pulselog_fuzz::props::{self, EventInput};

fuzz_target!(|data: &[u8]| {
    let input = EventInput::from_bytes(data);
    props::check_json(&input, &props::capture(&input));
});
