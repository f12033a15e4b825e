//! Filter directives (`PULSELOG_LEVEL` syntax): parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|spec: &str| pulselog_fuzz::props::check_filter(spec));
