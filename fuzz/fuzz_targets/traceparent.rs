//! `traceparent` and `X-Request-Id` parsing never panics; a parsed
//! `traceparent` keeps its ids.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &str| pulselog_fuzz::props::check_request_ids(value));
