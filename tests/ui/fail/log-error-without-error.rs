// `log_error!` takes the error first, then the message.
use pulselog::prelude::*;

fn main() {
    log_error!("config load failed");
}
