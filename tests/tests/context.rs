//! The request context: scopes, request ids, and the adapters that carry it
//! into futures, tasks and threads.

use pulselog::context::Context;
use pulselog::context::{RequestId, WithContext};
use pulselog::prelude::*;
use pulselog::testing::{capture, capture_async};
use std::future::Future;
use std::pin::Pin;
use std::task::{Poll, Waker};

fn current_id() -> Option<String> {
    Context::current().request_id().map(str::to_owned)
}

#[test]
fn scopes_nest_and_restore() {
    assert!(Context::current().is_empty());
    let outer = Context::current()
        .with_request_id("outer")
        .with_field("a", 1);
    outer.scope(|| {
        assert_eq!(current_id().as_deref(), Some("outer"));
        let inner = Context::current().with_field("b", 2);
        {
            let _guard = inner.enter();
            assert_eq!(current_id().as_deref(), Some("outer"), "inherited");
            let mut keys = Vec::new();
            Context::current().for_each_field(|k, _| keys.push(k.to_owned()));
            assert_eq!(keys, ["a", "b"]);
        }
        let mut keys = Vec::new();
        Context::current().for_each_field(|k, _| keys.push(k.to_owned()));
        assert_eq!(keys, ["a"], "the child's field does not leak back");
        Context::current().with_request_id("inner").scope(|| {
            assert_eq!(current_id().as_deref(), Some("inner"));
        });
        assert_eq!(current_id().as_deref(), Some("outer"));
    });
    assert!(Context::current().is_empty());
}

#[test]
fn with_id_keeps_trace_ids_and_with_request_id_takes_any_display() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let ctx = Context::current().with_id(RequestId::from_traceparent(tp).unwrap());
    let kept = ctx.id().unwrap().trace_parent().unwrap();
    assert_eq!(kept.to_string(), tp);
    assert_eq!(kept.flags(), 0);
    let ctx = Context::current().with_request_id(42);
    assert_eq!(ctx.request_id(), Some("42"));
    assert!(ctx.id().unwrap().trace_parent().is_none());
    let ctx = Context::current().with_id(RequestId::from_headers(Some("up-1"), Some(tp)));
    assert_eq!(ctx.request_id(), Some("up-1"));
    assert_eq!(ctx.id().unwrap().trace_parent().unwrap().to_string(), tp);
}

#[test]
fn events_carry_the_request_id_and_fields() {
    let ((), events) = capture(|| {
        info!("outside");
        Context::current()
            .with_id(RequestId::from_header("req-1").unwrap())
            .with_fields([("user", "ana"), ("role", "admin")])
            .scope(|| info!("inside"));
    });
    assert_eq!(events.find("outside").request_id(), None);
    let inside = events.find("inside");
    assert_eq!(inside.request_id().as_deref(), Some("req-1"));
    assert_eq!(inside.field("role").unwrap(), "admin");
    // A line outside any request has no `request_id` key at all.
    let line = events.find("outside").to_json(&pulselog::JsonFormat::new());
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(json.get("request_id").is_none(), "{line}");
    let line = inside.to_json(&pulselog::JsonFormat::new());
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(json["request_id"], "req-1");
}

#[test]
fn closure_adapter_carries_the_context_into_threads() {
    let ((), events) = capture(|| {
        Context::current().with_request_id("thread-req").scope(|| {
            let carried = std::thread::spawn(
                (|| {
                    info!("in thread");
                    current_id()
                })
                .in_current_context(),
            );
            let bare = std::thread::spawn(current_id);
            assert_eq!(carried.join().unwrap().as_deref(), Some("thread-req"));
            assert_eq!(bare.join().unwrap(), None, "threads inherit nothing");
        });
    });
    assert_eq!(
        events.find("in thread").request_id().as_deref(),
        Some("thread-req")
    );
}

#[test]
fn the_closure_adapter_captures_the_context_when_called_not_later() {
    let f = Context::current()
        .with_request_id("at-wrap")
        .scope(|| (|| current_id()).in_current_context());
    Context::current()
        .with_request_id("at-call")
        .scope(|| assert_eq!(f().as_deref(), Some("at-wrap")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_and_in_current_context_carry_the_context_into_tasks() {
    // The context is made inside the capture, so that it descends from it.
    let (ids, events) = capture_async(async {
        let ctx = Context::current().with_request_id("task-req");
        ctx.wrap(async {
            let via_spawn = pulselog::spawn(async {
                tokio::task::yield_now().await;
                info!("spawned");
                current_id()
            });
            let via_adapter = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    current_id()
                }
                .in_current_context(),
            );
            let raw = tokio::spawn(async { current_id() });
            let blocking = tokio::task::spawn_blocking((|| current_id()).in_current_context());
            (
                via_spawn.await.unwrap(),
                via_adapter.await.unwrap(),
                raw.await.unwrap(),
                blocking.await.unwrap(),
            )
        })
        .await
    })
    .await;
    assert_eq!(ids.0.as_deref(), Some("task-req"));
    assert_eq!(ids.1.as_deref(), Some("task-req"));
    assert_eq!(
        ids.2, None,
        "a raw tokio::spawn does not inherit the context"
    );
    assert_eq!(ids.3.as_deref(), Some("task-req"));
    assert_eq!(
        events.find("spawned").request_id().as_deref(),
        Some("task-req")
    );
}

/// A future that records the request id on each poll and returns Pending
/// the first `n` times.
struct Probe {
    pending: u32,
    seen: Vec<Option<String>>,
}

impl Future for Probe {
    type Output = Vec<Option<String>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        self.seen.push(current_id());
        if self.pending == 0 {
            Poll::Ready(std::mem::take(&mut self.seen))
        } else {
            self.pending -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn with_context_installs_the_context_on_every_poll_only() {
    let mut fut: Pin<Box<WithContext<Probe>>> =
        Box::pin(Context::current().with_request_id("polled").wrap(Probe {
            pending: 2,
            seen: Vec::new(),
        }));
    let mut cx = std::task::Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    assert_eq!(current_id(), None, "nothing stays installed between polls");
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let Poll::Ready(seen) = fut.as_mut().poll(&mut cx) else {
        panic!("ready on the third poll");
    };
    assert_eq!(seen, vec![Some("polled".to_owned()); 3]);
}

struct LogsOnDrop;

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        info!("dropped");
    }
}

#[test]
fn a_wrapped_future_is_dropped_inside_its_context() {
    let ((), events) = capture(|| {
        let guard = LogsOnDrop;
        let fut = Context::current()
            .with_request_id("drop-req")
            .wrap(async move {
                let _g = guard;
                std::future::pending::<()>().await;
            });
        drop(fut);
    });
    assert_eq!(
        events.find("dropped").request_id().as_deref(),
        Some("drop-req")
    );
}
