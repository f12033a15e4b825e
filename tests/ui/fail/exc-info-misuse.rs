// Misplaced `exc_info`: the bare flag belongs to `log_error!`, which takes its
// error first and has no `exc_info = …`.
use pulselog::prelude::*;

fn main() {
    let err = std::io::Error::other("boom");
    info!("failed", exc_info);
    log_error!(&err, "failed", exc_info = &err);
    warning!("failed", exc_info = ?err);
    error!("failed", exc_info = &err, exc_info = &err);
    log_error!(&err, "failed", exc_info, exc_info);
}
