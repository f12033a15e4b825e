//! The `thread`, `threadName` and `taskName` keys: the OS thread id and
//! name of the thread that logged, and the tokio task's id inside a task. A
//! test binary of its own: it installs the process's one logger.

mod common;

use common::Shared;
use pulselog::prelude::*;
use pulselog::{Config, Format, JsonFormat, TextFormat};

fn os_thread_id() -> u64 {
    // SAFETY: `gettid` has no preconditions.
    u64::try_from(unsafe { libc::gettid() }).unwrap()
}

#[test]
fn lines_name_the_thread_and_the_task_that_logged() {
    let out = Shared::default();
    let _guard = Config::new()
        .format(Format::Json)
        .json(JsonFormat::new().keys("message thread threadName taskName"))
        .writer(out.clone())
        .install()
        .unwrap();

    info!("from the test thread");
    let worker = std::thread::Builder::new()
        .name("worker-7".into())
        .spawn(|| {
            info!("from a named thread");
            os_thread_id()
        })
        .unwrap();
    let worker_id = worker.join().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("shop-worker")
        .build()
        .unwrap();
    let task_id = rt.block_on(async {
        pulselog::spawn(async {
            info!("from a task");
            tokio::task::id().to_string()
        })
        .await
        .unwrap()
    });
    pulselog::flush();

    let lines = out.lines();
    assert_eq!(lines.len(), 3);
    let [main, named, task] = &lines[..] else {
        unreachable!()
    };
    assert_eq!(main["thread"], os_thread_id());
    assert!(main["taskName"].is_null(), "outside a task: {main}");
    assert_eq!(named["thread"], worker_id);
    assert_eq!(named["threadName"], "worker-7");
    assert_ne!(named["thread"], main["thread"]);
    assert_eq!(task["threadName"], "shop-worker");
    assert_eq!(task["taskName"], task_id);
    // Only the keys asked for are written, in the order asked.
    let keys: Vec<&String> = task.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["message", "thread", "threadName", "taskName"]);

    // A text template asks for them too; where there is none, `-`.
    let ((), events) = pulselog::testing::capture(|| info!("captured"));
    let text = events
        .only()
        .to_text(&TextFormat::new().template("{taskName} {message}"));
    assert_eq!(text, "- captured");
}
