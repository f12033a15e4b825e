//! Lines come out in the order things happened: across threads (a token
//! handed from thread to thread) and for a task that tokio moves between
//! worker threads. A test binary of its own: it installs the process's one
//! logger.

mod common;

use common::Shared;
use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::sync::mpsc;

/// The values of `key` in the lines whose message is `message`, in the
/// order written.
fn sequence(out: &Shared, message: &str, key: &str) -> Vec<u64> {
    out.lines()
        .iter()
        .filter(|l| l["message"] == message)
        .map(|l| l[key].as_u64().expect("a number"))
        .collect()
}

/// A token handed around a ring of threads, each logging its hop before it
/// passes the token on: every line is caused by the one before it.
fn token_ring(threads: usize, hops: u64) {
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..threads).map(|_| mpsc::channel::<u64>()).unzip();
    let handles: Vec<_> = receivers
        .into_iter()
        .enumerate()
        .map(|(i, rx)| {
            let next = senders[(i + 1) % threads].clone();
            std::thread::spawn(move || {
                while let Ok(hop) = rx.recv() {
                    if hop == hops {
                        let _ = next.send(hops);
                        return;
                    }
                    info!("hop", hop = hop, producer = i);
                    let _ = next.send(hop + 1);
                }
            })
        })
        .collect();
    senders[0].send(0).unwrap();
    drop(senders);
    for h in handles {
        h.join().unwrap();
    }
}

/// Tasks on a multi-threaded runtime, each logging numbered steps and
/// yielding often, so that it resumes on whichever worker is free.
fn tasks_across_workers(tasks: u64, steps: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|task| {
                tokio::spawn(async move {
                    for step in 0..steps {
                        info!("step", task = task, step = step);
                        if step % 3 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
}

#[test]
fn lines_come_out_in_the_order_things_happened() {
    let out = Shared::default();
    let _guard = Config::new()
        .format(Format::Json)
        .writer(out.clone())
        .install()
        .unwrap();

    let hops = 16_000;
    token_ring(8, hops);
    pulselog::flush();
    let written = sequence(&out, "hop", "hop");
    let inversions = written.windows(2).filter(|w| w[0] > w[1]).count();
    assert_eq!(inversions, 0, "a causal chain across 8 threads");
    assert_eq!(written, (0..hops).collect::<Vec<_>>());

    let (tasks, steps) = (6, 20_000);
    tasks_across_workers(tasks, steps);
    pulselog::flush();
    let lines = out.lines();
    for task in 0..tasks {
        let written: Vec<u64> = lines
            .iter()
            .filter(|l| l["message"] == "step" && l["task"] == task)
            .map(|l| l["step"].as_u64().unwrap())
            .collect();
        assert_eq!(
            written,
            (0..steps).collect::<Vec<_>>(),
            "task {task}'s own order"
        );
    }
}
