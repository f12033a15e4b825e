//! Backtraces as a person reads them, from a child that logs an error with
//! its backtrace inside a tokio task: the short form by default, every
//! frame with `RUST_BACKTRACE=full`.

mod common;

use common::child::{json, run, stdout_lines};

fn backtrace(env: &[(&str, &str)]) -> Vec<String> {
    let out = run(&["backtrace"], env);
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = json(&lines[0]);
    line["exc_info"]["backtrace"]
        .as_array()
        .expect("a backtrace")
        .iter()
        .map(|f| f.as_str().expect("a frame line").to_owned())
        .collect()
}

#[test]
fn the_short_form_starts_at_the_caller_and_collapses_the_runtime() {
    let frames = backtrace(&[]);
    assert!(
        frames[0].starts_with("pulselog_child::main::{{closure}}")
            && frames[0].contains(" at tests/src/bin/pulselog-child/main.rs:"),
        "{frames:#?}"
    );
    let collapsed: Vec<&String> = frames.iter().filter(|f| f.starts_with("… ")).collect();
    assert!(
        collapsed
            .iter()
            .any(|f| f.contains(" frames in ") && f.contains("tokio")),
        "{frames:#?}"
    );
    for f in &frames {
        // Every frame is the program's own or a counted run of plumbing.
        assert!(
            f.starts_with("pulselog_child::") || (f.starts_with("… ") && f.ends_with(" …")),
            "{f}"
        );
        assert!(!f.contains("/rustc/") && !f.contains("/.cargo/"), "{f}");
    }
    assert!(frames.len() <= 12, "{frames:#?}");
}

#[test]
fn rust_backtrace_full_keeps_every_frame() {
    let short = backtrace(&[]);
    let full = backtrace(&[("RUST_BACKTRACE", "full")]);
    assert!(full.len() > short.len() * 2, "{full:#?}");
    assert!(full.iter().all(|f| !f.starts_with("… ")), "{full:#?}");
    assert!(full.iter().any(|f| f.starts_with("tokio::")), "{full:#?}");
    // From the capture itself, and below the program's entry.
    assert!(full[0].starts_with("backtrace::"), "{full:#?}");
    assert!(
        full.iter()
            .any(|f| f.contains("__rust_begin_short_backtrace"))
    );
    let caller = full
        .iter()
        .find(|f| f.starts_with("pulselog_child::main::{{closure}}"))
        .expect("the caller");
    assert!(
        caller.contains("/tests/src/bin/pulselog-child/main.rs:"),
        "{caller}"
    );
}
