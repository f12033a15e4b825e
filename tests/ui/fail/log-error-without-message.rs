// `log_error!` needs a message after the error.
use pulselog::prelude::*;

fn main() {
    let err = std::io::Error::other("boom");
    log_error!(err);
}
