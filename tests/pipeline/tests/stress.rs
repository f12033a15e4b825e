//! 10,000 concurrent requests on a multi-threaded runtime, with random
//! yields and sleeps: every event carries exactly its own request's id,
//! fields of a nested scope vanish after it, and ids reach spawned tasks
//! and threads through the adapters.

use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::testing::{Owned, capture_async};
use std::collections::HashMap;
use std::time::Duration;

const REQUESTS: usize = 10_000;

/// Suspends for a random while: nothing, a yield, or a sleep of up to 200µs,
/// so that requests interleave and hop between worker threads.
async fn jitter() {
    match rand::random_range(0..4) {
        0 => {}
        1 | 2 => tokio::task::yield_now().await,
        _ => tokio::time::sleep(Duration::from_micros(rand::random_range(1..200))).await,
    }
}

#[logged(request_id = format!("req-{i}"), fields(expect = i), args)]
async fn handle(i: usize) {
    jitter().await;
    info!("start", check = i);
    nested(i).await;
    info!("after nested", check = i);
    jitter().await;

    let task = pulselog::spawn(async move {
        jitter().await;
        info!("in spawned task", check = i);
    });
    let adapted = tokio::spawn(
        async move {
            jitter().await;
            info!("in adapted task", check = i);
        }
        .in_current_context(),
    );
    let blocking = tokio::task::spawn_blocking(
        (move || info!("in blocking closure", check = i)).in_current_context(),
    );
    task.await.unwrap();
    adapted.await.unwrap();
    blocking.await.unwrap();
    if i.is_multiple_of(100) {
        std::thread::spawn((move || info!("in std thread", check = i)).in_current_context())
            .join()
            .unwrap();
    }
    jitter().await;
    info!("done", check = i);
}

#[logged(fields(phase = "nested"))]
async fn nested(i: usize) {
    jitter().await;
    info!("in nested", check = i);
    jitter().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_line_carries_its_own_request_id() {
    let ((), events) = capture_async(async {
        let handles: Vec<_> = (0..REQUESTS).map(|i| pulselog::spawn(handle(i))).collect();
        for h in handles {
            h.await.unwrap();
        }
    })
    .await;

    let mut mismatches = 0usize;
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for e in &events {
        let Some(id) = e.request_id() else {
            mismatches += 1;
            continue;
        };
        *per_request.entry(id.clone()).or_default() += 1;
        let msg = e.message();
        // The request's own view of who it is: an event field (`check`, or
        // the recorded argument `i`), independent of the context.
        let own = e
            .fields()
            .into_iter()
            .find(|(k, _)| k == "check" || k == "i")
            .map(|(_, v)| v);
        if let Some(own) = own
            && own != i64::try_from(id_number(&id)).unwrap()
        {
            mismatches += 1;
        }
        // The bound field agrees with the id everywhere.
        if e.field("expect").unwrap_or(Owned::Null) != i64::try_from(id_number(&id)).unwrap() {
            mismatches += 1;
        }
        // `phase` only inside `nested`.
        let in_nested = msg == "in nested" || (e.function() == "nested");
        if e.field("phase").is_some() != in_nested {
            mismatches += 1;
        }
    }
    // enter/exit of handle and nested, 8 events of handle's body, 1 more
    // for every 100th request.
    let expected_events = |n: usize| 4 + 7 + usize::from(n.is_multiple_of(100));
    let mut wrong_counts = 0;
    for i in 0..REQUESTS {
        if per_request.get(&format!("req-{i}")).copied() != Some(expected_events(i)) {
            wrong_counts += 1;
        }
    }
    let lines = events.len();
    eprintln!(
        "stress: requests={REQUESTS} lines={lines} mismatches={mismatches} wrong_per_request_counts={wrong_counts}"
    );
    assert_eq!(per_request.len(), REQUESTS);
    assert_eq!(lines, (0..REQUESTS).map(expected_events).sum::<usize>());
    assert_eq!(mismatches, 0);
    assert_eq!(wrong_counts, 0);
    assert!(Context::current().is_empty());
}

fn id_number(id: &str) -> usize {
    id.strip_prefix("req-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}
