// Every syntax form of the log macros compiles, with and without a trailing
// comma, at every level.
use pulselog::prelude::*;

#[derive(Debug)]
struct OnlyDebug;

pub fn main() {
    let x = 1;
    let name = "n";
    trace!("t");
    trace!("t",);
    debug!("d {x}");
    debug!("d {x}",);
    info!("i {}", x);
    info!("i {}", x,);
    warning!("w {0} {0:?}", name);
    warn!("w", k = 1);
    warn!("w", k = 1,);
    error!("e {k}", k = 2, other = "s");
    critical!("c", dotted.key = true, shown = %x, debugged = ?OnlyDebug);
    log!(Level::Info, "l");
    log!(Level::Error, "l {}", x,);
    let lvl = if x > 0 { Level::Warning } else { Level::Info };
    log!(lvl, "l", r#type = "kw");
    // Sampling, before the message (after `log!`'s level, before or after
    // `log_error!`'s error), with or without a target, in either order.
    info!(every: 100, "s");
    info!(every: 100, "s",);
    debug!(first: 10, "s {x}", k = 1);
    warning!(per_sec: 5, target: "audit", "s", x);
    error!(target: "audit", every: 1_000, "s", k = 1,);
    log!(Level::Info, every: 2, "s");
    log!(target: "audit", Level::Info, first: 1, "s");
    log_error!(every: 2, std::io::Error::other("x"), "s");
    log_error!(std::io::Error::other("x"), per_sec: 1, "s", exc_info);
}
