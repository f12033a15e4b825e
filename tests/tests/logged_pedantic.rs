//! `#[logged]` on every function shape under `clippy::pedantic` (and
//! `deny(warnings)`): the workspace's clippy run checks that the expansion
//! adds no lint of its own.
#![deny(warnings, clippy::pedantic)]

use pulselog::prelude::*;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::pin::Pin;

#[derive(Debug)]
struct Failed;

impl Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

#[logged]
fn plain() {}

#[logged(level = "info", name = "run_job", request_id, fields(job = id, tag = %id, dbg = ?id), args, ret, err)]
fn everything(id: u32, retries: u8) -> Result<u32, Failed> {
    if retries == 0 {
        return Err(Failed);
    }
    let v = u32::from(retries).checked_add(id).ok_or(Failed)?;
    Ok(v)
}

#[logged(request_id = "fixed", args(id), err(level = "warning"))]
async fn asynchronous(id: u32, _token: &str) -> Result<u32, Failed> {
    tokio::task::yield_now().await;
    Ok(id)
}

fn level_of(_: &Failed) -> Level {
    Level::Warning
}

#[logged(err(level = level_of, message = "job failed", backtrace))]
fn classified_by_function(id: u32) -> Result<u32, Failed> {
    if id == 0 { Err(Failed) } else { Ok(id) }
}

#[logged(err(level = |e| if e.to_string().is_empty() { Level::Info } else { Level::Error }))]
async fn classified_by_closure(id: u32) -> Result<u32, Failed> {
    if id == 0 { Err(Failed) } else { Ok(id) }
}

#[logged(args)]
fn generic<T, const N: usize>(items: &[T; N]) -> Option<T>
where
    T: Debug + Clone + PartialEq,
{
    items.first().cloned()
}

#[logged(args)]
fn impl_trait(x: impl Display) -> impl Iterator<Item = char> {
    x.to_string().chars().collect::<Vec<_>>().into_iter()
}

#[logged(fields(kind = "future"))]
fn returns_future(n: u32) -> impl Future<Output = u32> {
    async move { n + 1 }
}

#[logged(args)]
fn destructured((a, b): (u8, u8), mut c: u8) -> u8 {
    c += a;
    c + b
}

/// # Safety
/// None: only marked `unsafe`.
#[logged]
unsafe fn unsafe_fn() -> u8 {
    1
}

#[logged(args)]
extern "C" fn extern_c(x: i32) -> i32 {
    x
}

#[logged(args, ret)]
fn recursive(n: u64) -> u64 {
    if n == 0 { 0 } else { n + recursive(n - 1) }
}

#[derive(Debug, Default)]
struct Service {
    calls: u32,
}

trait Handler {
    fn handle(&self) -> u32;

    #[logged]
    fn default_method(&self) -> u32 {
        self.handle()
    }
}

impl Handler for Service {
    #[logged(args(self))]
    fn handle(&self) -> u32 {
        self.calls
    }
}

trait Job {
    fn boxed(self: Box<Self>) -> u32;
}

impl Job for Service {
    #[logged]
    fn boxed(self: Box<Self>) -> u32 {
        self.calls
    }
}

impl Service {
    #[logged]
    fn by_value(self) -> Self {
        self
    }

    #[logged]
    fn by_mut(&mut self) -> &mut Self {
        self.calls += 1;
        self
    }

    #[logged]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.calls
    }

    #[logged(ret)]
    async fn async_method(&self) -> u32 {
        self.calls
    }
}

#[async_trait::async_trait]
trait Repo {
    async fn load(&self, id: u64) -> Result<String, Failed>;
}

#[async_trait::async_trait]
impl Repo for Service {
    #[logged(args, err)]
    async fn load(&self, id: u64) -> Result<String, Failed> {
        if id == 0 {
            return Err(Failed);
        }
        Ok(id.to_string())
    }
}

#[tokio::test]
async fn every_shape_runs_under_pedantic_lints() {
    let ((), events) = pulselog::testing::capture_async(async {
        plain();
        assert!(everything(1, 0).is_err());
        assert!(classified_by_function(0).is_err());
        assert!(classified_by_closure(0).await.is_err());
        assert_eq!(everything(1, 2).ok(), Some(3));
        assert_eq!(asynchronous(5, "secret").await.ok(), Some(5));
        assert_eq!(generic(&[1, 2]), Some(1));
        assert_eq!(impl_trait(12).count(), 2);
        assert_eq!(returns_future(1).await, 2);
        assert_eq!(destructured((1, 2), 3), 6);
        // SAFETY: no requirement.
        assert_eq!(unsafe { unsafe_fn() }, 1);
        assert_eq!(extern_c(4), 4);
        assert_eq!(recursive(3), 6);
        let mut s = Service::default();
        s.by_mut();
        assert_eq!(s.default_method(), 1);
        assert_eq!(Pin::new(&mut s).pinned(), 1);
        assert_eq!(s.async_method().await, 1);
        assert!(s.load(0).await.is_err());
        assert_eq!(Box::new(s.by_value()).boxed(), 1);
    })
    .await;
    assert_eq!(events.at_least(Level::Error).count(), 3);
    assert_eq!(events.find("run_job failed").function(), "run_job");
    assert_eq!(events.find("job failed").level(), Level::Warning);
    assert_eq!(
        events.find("classified_by_closure failed").level(),
        Level::Error
    );
    assert_eq!(events.find("enter").function(), "plain");
}

/// The log macros' own expansions, under the same lints.
#[test]
fn log_macros_add_no_lint() {
    let x = 3_u32;
    let name = "n";
    let err = std::io::Error::other("boom");
    let ((), events) = pulselog::testing::capture(|| {
        trace!("t {x}");
        debug!("d {} {name:?}", x);
        info!("i {0:>4}", x, key = 1, other = "s", dotted.key = true);
        warning!("w", shown = %x, debugged = ?name, exc_info = &err);
        error!("e {k}", k = 2);
        critical!("c");
        log!(Level::Info, "l {}", x);
        info!(every: 100, "sampled {x}", key = 1);
        warning!(target: "audit", first: 10, "sampled", x);
        log!(Level::Info, per_sec: 5, "sampled");
        log_error!(err, "failed", exc_info, path = "/tmp");
    });
    assert_eq!(events.len(), 11);
}
