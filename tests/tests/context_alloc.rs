//! Entering and leaving a scope never allocates when nothing new is bound:
//! counted with a global allocator that counts this thread's allocations.

use pulselog::context::Context;
use pulselog::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::task::{Poll, Waker};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// const-initialized thread-local without a destructor, which is safe to
// touch from inside the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[logged]
fn instrumented(x: u32) -> u32 {
    x + 1
}

#[logged(args, ret)]
async fn instrumented_async(x: u32) -> u32 {
    x + 1
}

#[test]
fn scopes_without_new_fields_do_not_allocate() {
    let ctx = Context::current()
        .with_request_id("req")
        .with_field("user", 7);
    let child = ctx.with_field("step", 1);
    // Warm up thread-locals and lazy statics.
    ctx.scope(|| child.scope(|| instrumented(1)));

    let n = allocations_in(|| {
        for _ in 0..1000 {
            let _outer = ctx.enter();
            let _inner = child.enter();
            let _again = Context::current().enter();
        }
    });
    assert_eq!(n, 0, "enter/leave");

    let n = allocations_in(|| {
        for _ in 0..1000 {
            ctx.scope(|| child.scope(|| assert_eq!(Context::current().request_id(), Some("req"))));
        }
    });
    assert_eq!(n, 0, "scope");

    // A wrapped future: each poll enters and leaves the context.
    let mut fut = Box::pin(ctx.clone().wrap(std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    })));
    let mut cx = std::task::Context::from_waker(Waker::noop());
    let n = allocations_in(|| {
        for _ in 0..1000 {
            assert!(fut.as_mut().poll(&mut cx).is_pending());
        }
    });
    assert_eq!(n, 0, "polls of a WithContext");

    // The adapters capture the current context without allocating.
    let n = allocations_in(|| {
        ctx.scope(|| {
            for _ in 0..1000 {
                let f = (|| 1).in_current_context();
                assert_eq!(f(), 1);
                let mut fut = std::pin::pin!(async { 2 }.in_current_context());
                assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(2));
            }
        });
    });
    assert_eq!(n, 0, "in_current_context");

    // `#[logged]` without bound fields, with its events disabled (no logger).
    let n = allocations_in(|| {
        ctx.scope(|| {
            for i in 0..1000 {
                assert_eq!(instrumented(i), i + 1);
                let mut fut = std::pin::pin!(instrumented_async(i));
                assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(i + 1));
            }
        });
    });
    assert_eq!(n, 0, "#[logged]");

    // The counter does count: binding a field allocates.
    let n = allocations_in(|| {
        let _ = ctx.with_field("k", 1);
    });
    assert!(n > 0);
}
