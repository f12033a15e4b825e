//! pulselog's volume-control tools on W1's event: call-site sampling, the
//! storm guard and replay on error, each a contender of its own so that
//! `bench callgrind` counts what one call costs its caller with the tool on
//! (`docs/volume.md`).

use crate::workload::Logger;
use pulselog::context::{Context, ContextGuard, RequestId};
use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow, Sampling};
use std::cell::RefCell;
use std::path::Path;

/// Calls per request scope in the request rows: each scope's opening and
/// end (where replay discards what the request kept) is shared by this many.
pub const REQUEST_CALLS: u64 = 100;

/// The volume contenders: a name, the configuration, and W1's event as the
/// row logs it; `scoped` rows log it in request scopes of
/// [`REQUEST_CALLS`].
macro_rules! volume {
    ($(
        $(#[$doc:meta])*
        $name:ident => $config:expr, $(scoped: $scoped:literal,)? |$i:ident| $event:expr;
    )*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl Logger for $name {
            fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
                install($config, out, capacity)
            }

            #[inline(always)]
            fn event($i: u64) {
                $(if $scoped && $i % REQUEST_CALLS == 0 {
                    next_request();
                })?
                $event;
            }

            #[inline(always)]
            fn disabled(i: u64) {
                debug!("request {i} failed", user_id = 99, gateway = "stripe");
            }
        }
    )*};
}

volume! {
    /// `every: 1_000_000`: the first call is written, every other skipped.
    Every => Config::new(),
        |i| info!(every: 1_000_000, "request {i} failed", user_id = 99, gateway = "stripe");
    /// `per_sec: 1`: one call a second is written, every other skipped.
    PerSec => Config::new(),
        |i| info!(per_sec: 1, "request {i} failed", user_id = 99, gateway = "stripe");
    /// W1's event at DEBUG, below the INFO filter, replay off.
    DebugOff => Config::new(),
        |i| debug!("request {i} failed", user_id = 99, gateway = "stripe");
    /// The same in request scopes: what the scopes cost without replay.
    DebugOffScoped => Config::new(), scoped: true,
        |i| debug!("request {i} failed", user_id = 99, gateway = "stripe");
    /// The same with replay on at DEBUG: each call kept for its request,
    /// which succeeds and discards them when its scope ends.
    Replay => Config::new().replay_on_error(Level::Debug), scoped: true,
        |i| debug!("request {i} failed", user_id = 99, gateway = "stripe");
    /// The storm guard writing one event per second and dropping the rest.
    GuardDrop => Config::new().sampling(Sampling::new().first(1).thereafter(0)),
        |i| info!("request {i} failed", user_id = 99, gateway = "stripe");
    /// The storm guard on but never limiting: every event written.
    GuardPass => Config::new().sampling(Sampling::new().first(u32::MAX).thereafter(1)),
        |i| info!("request {i} failed", user_id = 99, gateway = "stripe");
}

thread_local! {
    /// The request scope the producer is in.
    static REQUEST: RefCell<Option<ContextGuard>> = const { RefCell::new(None) };
}

/// Ends the current request (the previous guard first, so that the new
/// scope is not nested in it and the old one's frame is freed) and enters
/// a new one.
#[inline(never)]
fn next_request() {
    REQUEST.with(|r| {
        let mut r = r.borrow_mut();
        drop(r.take());
        *r = Some(Context::current().with_id(RequestId::new()).enter());
    });
}

fn install(config: Config, out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
    let guard = config
        .format(Format::Json)
        .level(Level::Info)
        .overflow(Overflow::Block)
        .capacity(capacity)
        .writer(super::open(out))
        .install()
        .expect("pulselog installs");
    Box::new(move || {
        REQUEST.with(|r| drop(r.borrow_mut().take()));
        drop(guard);
    })
}
