//! A warm log call with primitive and short-string values allocates
//! nothing on the caller's thread: values are encoded into the record
//! inline, the record goes onto the thread's ring, and everything else
//! happens on the writer thread.

use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by threads that opted in.
struct Counting;

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    if TRACKED.with(Cell::get) {
        ALLOCS.with(|a| a.set(a.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator unchanged; the
// bookkeeping touches only const-initialized thread-locals, which never
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    ALLOCS.with(|a| a.set(0));
    TRACKED.with(|t| t.set(true));
    f();
    TRACKED.with(|t| t.set(false));
    ALLOCS.with(Cell::get)
}

#[test]
fn a_warm_log_call_does_not_allocate() {
    // A thread's ring starts at 64 events and doubles when it fills, up to
    // the capacity (or past it, to hold two ordering graces' worth of the
    // thread's events): a handful of allocations in a thread's life. With
    // the capacity at the first ring's size and no grace, the ring never
    // grows, and a log call must allocate nothing at all.
    let _guard = Config::new()
        .format(Format::Json)
        .capacity(64)
        .ordering_grace(std::time::Duration::ZERO)
        .writer(std::io::sink())
        .install()
        .unwrap();
    let gateway = String::from("stripe");
    let log_all = |i: u64| {
        info!("request {i} failed", user_id = 99, gateway = "stripe");
        warning!("slow: {} ms", 12.5, path = "/api/v1/charge", retry = true);
        error!(
            "declined",
            code = -42i32,
            gateway = gateway.as_str(),
            ch = 'x'
        );
        info!("none here", maybe = None::<u32>, some = Some(7u8));
    };
    // Warm up: the thread's ring and the call sites' registration.
    for i in 0..10 {
        log_all(i);
    }
    pulselog::flush();

    // The counter sees allocations made here (and would see a ring or a
    // spilled record).
    assert!(allocations(|| drop(std::hint::black_box(vec![0u8; 200]))) >= 1);

    let n = allocations(|| {
        for i in 0..10_000 {
            log_all(i);
        }
    });
    assert_eq!(n, 0, "allocations on the caller for 40 000 warm log calls");

    // A value too long for the record's inline buffer is copied once to the
    // heap (a buffer and its box): not zero, proof that the counter sees
    // the log path.
    let long = "x".repeat(500);
    let n = allocations(|| info!("long", body = long.as_str()));
    assert_eq!(n, 2);
}
