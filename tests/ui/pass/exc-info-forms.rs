// Every form of `log_error!` and `exc_info = …`, with and without a trailing
// comma, for every accepted kind of error.
use pulselog::prelude::*;
use std::error::Error;

pub fn main() {
    let io = std::io::Error::other("boom");
    let boxed: Box<dyn Error + Send + Sync> = "boxed".into();
    let plain: Box<dyn Error> = "plain".into();
    let dynamic: &dyn Error = &io;
    std::panic::set_hook(Box::new(|_| {})); // the panic below is expected
    let payload = std::panic::catch_unwind(|| panic!("p")).unwrap_err();
    let path = "/etc/app.toml";

    log_error!(io, "m");
    log_error!(&io, "m",);
    log_error!(&io, "m {path}", exc_info);
    log_error!(&io, "m {}", path, exc_info,);
    log_error!(&io, "m", exc_info, path = path, attempt = 2);
    log_error!(&io, "m", path = path, exc_info);
    log_error!(boxed, "m");
    log_error!(&plain, "m");
    log_error!(plain, "m", exc_info);
    log_error!(dynamic, "m");
    log_error!(&payload, "m");
    log_error!(payload, "m");
    trace!("m", exc_info = &io);
    debug!("m", exc_info = dynamic,);
    info!("m {path}", exc_info = &io, k = 1);
    warning!("m", k = 1, exc_info = &boxed);
    warn!("m", exc_info = boxed);
    error!("m", exc_info = io);
    critical!("m", exc_info = std::io::Error::other("x"));
    log!(Level::Error, "m", exc_info = std::fmt::Error);
}
