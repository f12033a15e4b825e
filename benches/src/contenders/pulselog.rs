//! pulselog: JSON to the sink, bounded queue, `Overflow::Block`.

use crate::workload::Logger;
use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};
use std::path::Path;

/// pulselog with its default JSON schema.
#[derive(Debug)]
pub struct Pulselog;

impl Logger for Pulselog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let guard = Config::new()
            .format(Format::Json)
            .level(Level::Info)
            .overflow(Overflow::Block)
            .capacity(capacity)
            .writer(super::open(out))
            .install()
            .expect("pulselog installs");
        Box::new(move || drop(guard))
    }

    #[inline]
    fn event(i: u64) {
        info!("request {i} failed", user_id = 99, gateway = "stripe");
    }

    #[inline]
    fn disabled(i: u64) {
        debug!("request {i} failed", user_id = 99, gateway = "stripe");
    }
}
