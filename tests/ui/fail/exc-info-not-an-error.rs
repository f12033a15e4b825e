// `exc_info` and `log_error!` take an error or a panic payload, nothing else.
use pulselog::prelude::*;

struct NotAnError;

fn main() {
    let code = 42;
    log_error!(code, "lookup failed");
    error!("lookup failed", exc_info = NotAnError);
}
