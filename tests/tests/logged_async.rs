//! `#[logged]` on async fns: enter on the first poll, exit when the future
//! completes or is dropped, and the bound context on every poll, across
//! awaits, nested calls and spawned tasks. Observed through
//! `pulselog::testing`.

use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::testing::{capture, capture_async};
use std::future::Future;
use std::pin::pin;
use std::task::{Poll, Waker};

#[logged(args, fields(step = "fetch"))]
async fn fetch(n: u32) -> u32 {
    tokio::task::yield_now().await;
    info!("fetched");
    n * 2
}

#[test]
fn async_exit_comes_when_the_future_completes() {
    let (_, events) = capture(|| {
        let mut fut = pin!(fetch(2));
        info!("created");
        let waker = Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        // Without a runtime, `yield_now` returns Pending once.
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        info!("pending");
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(4));
    });
    assert_eq!(
        events.messages(),
        ["created", "enter", "pending", "fetched", "exit"]
    );
    // Bound fields are there on every poll, and only inside the future.
    for msg in ["enter", "fetched", "exit"] {
        assert_eq!(events.find(msg).field("step").unwrap(), "fetch", "{msg}");
    }
    assert_eq!(events.find("pending").field("step"), None);
    assert_eq!(events.find("enter").field("n").unwrap(), 2);
    assert_eq!(events.find("fetched").function(), "fetch");
}

#[logged(request_id = "cancelled-req")]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[test]
fn dropping_an_unfinished_future_logs_exit_in_its_context() {
    let ((), events) = capture(|| {
        let mut fut = Box::pin(never_finishes());
        let mut cx = std::task::Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);
    });
    assert_eq!(events.messages(), ["enter", "exit"]);
    assert_eq!(
        events.find("exit").request_id().as_deref(),
        Some("cancelled-req")
    );
}

#[logged(request_id, fields(user = user))]
async fn handle(user: &'static str) -> Option<String> {
    tokio::task::yield_now().await;
    step_one().await;
    let spawned = pulselog::spawn(async {
        info!("in spawned task");
        Context::current().request_id().map(str::to_owned)
    });
    let from_task = spawned.await.unwrap();
    let own = Context::current().request_id().map(str::to_owned);
    assert_eq!(from_task, own);
    own
}

#[logged]
async fn step_one() {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    info!("step one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_context_follows_awaits_nested_calls_and_spawned_tasks() {
    let (id, events) = capture_async(handle("ana")).await;
    let id = id.unwrap();
    assert_eq!(
        events.messages(),
        [
            "enter",
            "enter",
            "step one",
            "exit",
            "in spawned task",
            "exit"
        ]
    );
    for e in &events {
        assert_eq!(e.request_id().as_deref(), Some(&*id), "{}", e.message());
        assert_eq!(e.field("user").unwrap(), "ana", "{}", e.message());
    }
    assert_eq!(events.find("step one").function(), "step_one");
}
