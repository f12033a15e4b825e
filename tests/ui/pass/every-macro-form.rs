// Every syntax form of the log macros compiles, with and without a trailing
// comma, at every level.
use pulselog::prelude::*;

#[derive(Debug)]
struct OnlyDebug;

fn main() {
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
}
