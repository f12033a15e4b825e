//! The thread a record came from, for the `thread` and `threadName` keys.

use std::sync::Arc;

/// The OS thread id and the name of the thread that logged, read once per
/// thread (when its lane is made).
///
/// The OS thread id is read on Linux (`gettid`); elsewhere std offers no
/// portable one, and `thread` is written as null.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub(crate) thread_id: Option<u64>,
    pub(crate) thread_name: Option<Arc<str>>,
}

impl Origin {
    /// The calling thread's.
    pub(crate) fn current() -> Origin {
        Origin {
            thread_name: std::thread::current().name().map(Arc::from),
            ..Origin::id_only()
        }
    }

    /// The calling thread's id alone: what can be read while the thread's
    /// storage is torn down (its name cannot).
    pub(crate) fn id_only() -> Origin {
        #[cfg(target_os = "linux")]
        // SAFETY: `gettid` has no preconditions.
        let thread_id = u64::try_from(unsafe { libc::gettid() }).ok();
        #[cfg(not(target_os = "linux"))]
        let thread_id = None;
        Origin {
            thread_id,
            thread_name: None,
        }
    }
}
