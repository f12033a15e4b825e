// Habits from `tracing` and `log` that pulselog spells the same way:
// `target:`, a bare variable as a field, `enabled!`.
use pulselog::prelude::*;

const AUDIT: &str = "audit";

pub fn main() {
    let user_id = 7u64;
    let r#type = "card";
    info!(target: "audit", "login");
    info!(target: AUDIT, "login", user_id,);
    log!(target: "audit", Level::Info, "login {}", user_id);
    let err = std::io::Error::other("disk");
    log_error!(target: "audit", err, "write failed", user_id);
    info!("charged", user_id, r#type);
    if pulselog::enabled!(Level::Debug) || pulselog::enabled!(target: AUDIT, Level::Trace,) {
        debug!("expensive", user_id);
    }
}
