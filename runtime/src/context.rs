//! Request context — pulselog's `contextvars`: a request id plus bound
//! key/value fields that every event logged inside the scope carries.
//!
//! A context is an immutable chain of frames shared through `Arc`: entering a
//! child scope pushes a frame that points at its parent, so a child sees its
//! parent's fields and nothing it binds leaks back. The current context lives
//! in a thread-local; [`WithContext`] installs it around every `poll` of a
//! future, so it follows the future across `.await` points and across the
//! worker threads of a multi-threaded executor.
//!
//! # Carrying the context into spawned work
//!
//! A new task or thread starts with an empty context: nothing is inherited
//! implicitly, and a raw `tokio::spawn(fut)` or `std::thread::spawn(f)` runs
//! without the request id of the flow that spawned it. Carry it explicitly:
//!
//! - `pulselog::spawn` (feature `tokio`): `tokio::spawn` that keeps the context;
//! - `fut.in_current_context()` ([`FutureExt`]) for any executor;
//! - `closure.in_current_context()` ([`ClosureExt`]) for `std::thread::spawn`,
//!   thread pools and `spawn_blocking`.
//!
//! ```
//! use pulselog::context::{Context, RequestId};
//! use pulselog::prelude::*;
//!
//! let ctx = Context::current().with_id(RequestId::new()).with_field("user_id", 7);
//! ctx.scope(|| {
//!     info!("in the request"); // carries request_id and user_id
//!     let worker = std::thread::spawn((|| info!("on another thread")).in_current_context());
//!     worker.join().unwrap(); // ... so does this one
//! });
//! ```
//!
//! Entering and leaving a scope (`enter`, `scope`, every poll of a
//! [`WithContext`]) never allocates; only binding a new request id or new
//! fields does, once, when the child context is made.

mod request_id;

pub(crate) use request_id::hex_encode;
pub use request_id::{
    MAX_HEADER_LEN, ParseRequestIdError, RequestId, TraceParent, TraceParentError,
};

use crate::encode::{Data, Decoder, Encoder, Value};
use crate::value::Encode;
use pin_project_lite::pin_project;
use std::any::Any;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, Weak};
use std::task::{Context as TaskContext, Poll};

/// A request context: a request id and bound fields. Cheap to clone.
#[derive(Clone, Default)]
pub struct Context(pub(crate) Option<Arc<Frame>>);

pub(crate) struct Frame {
    pub(crate) request_id: Option<RequestId>,
    pub(crate) names: Names,
    /// The field values, encoded as in a record.
    pub(crate) values: Data,
    /// A value a higher layer keeps with this scope, opaque here (as
    /// tracing-subscriber's span extensions are): a test capture marks its
    /// scope with its buffer when it makes the frame; a frame with a
    /// request id gets the request's kept events for replay on error on
    /// its first one ([`Context::request_extension_or_init`]).
    pub(crate) extension: OnceLock<Arc<dyn Any + Send + Sync>>,
    /// Set on the frames of a copy made for an event kept for replay
    /// ([`Context::replay_copy`]): the event's line says it is replayed.
    pub(crate) replayed: bool,
    pub(crate) parent: Option<Arc<Frame>>,
}

/// The keys a frame binds: fixed at compile time (`#[logged(fields(...))]`)
/// or chosen at run time.
pub(crate) enum Names {
    Static(&'static [&'static str]),
    Owned(Vec<Cow<'static, str>>),
}

impl Names {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let (fixed, owned): (&[&str], &[Cow<'static, str>]) = match self {
            Names::Static(names) => (names, &[]),
            Names::Owned(names) => (&[], names),
        };
        fixed.iter().copied().chain(owned.iter().map(|n| &**n))
    }

    fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }
}

thread_local! {
    /// A `Cell`, not a `RefCell`: nothing runs while it is read (an `Arc`
    /// clone), and every record reads it (6 instructions per `info!` less
    /// than a borrow, by callgrind).
    static CURRENT: Cell<Context> = const { Cell::new(Context(None)) };
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        if let Some(id) = self.request_id() {
            map.entry(&"request_id", &id);
        }
        self.for_each_field(|k, v| {
            map.entry(&k, &v);
        });
        map.finish()
    }
}

impl Context {
    /// The context of the current flow (empty outside any scope, and while
    /// the thread's thread-locals are being destroyed).
    #[must_use]
    #[inline]
    pub fn current() -> Context {
        CURRENT
            .try_with(|c| {
                let current = c.take();
                let copy = current.clone();
                // Empty: nothing ran since `take` but the clone, which
                // does not reach the cell. Not dropped, so that the
                // compiler does not read it again.
                std::mem::forget(c.replace(current));
                copy
            })
            .unwrap_or_default()
    }

    /// Whether this context has neither a request id nor fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Whether events in `self` and in `other` carry the same request id
    /// and the same bound fields, frame by frame: the same context, or two
    /// that were built alike (a `#[logged(fields(..))]` function called
    /// again with the same values). A replayed event's context is never
    /// alike a live one's: their lines differ by `replayed`.
    pub(crate) fn alike(&self, other: &Context) -> bool {
        let (mut a, mut b) = (self.0.as_ref(), other.0.as_ref());
        loop {
            match (a, b) {
                (None, None) => return true,
                (Some(x), Some(y)) if Arc::ptr_eq(x, y) => return true,
                (Some(x), Some(y)) => {
                    if x.request_id != y.request_id
                        || x.replayed != y.replayed
                        || *x.values != *y.values
                        || !x.names.iter().eq(y.names.iter())
                    {
                        return false;
                    }
                    (a, b) = (x.parent.as_ref(), y.parent.as_ref());
                }
                _ => return false,
            }
        }
    }

    /// The innermost request id, as text, if any.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.id().map(RequestId::as_str)
    }

    /// The innermost request id, with its W3C trace ids if it came from a
    /// `traceparent`.
    #[must_use]
    pub fn id(&self) -> Option<&RequestId> {
        let mut frame = self.0.as_deref();
        while let Some(f) = frame {
            if let Some(id) = &f.request_id {
                return Some(id);
            }
            frame = f.parent.as_deref();
        }
        None
    }

    /// The headers that carry this context's request id to a service it
    /// calls: `x-request-id` with the id, and, when the context came from a
    /// W3C `traceparent`, a `traceparent` with the same trace id and a new
    /// span id, so that the next service continues the trace. Empty outside
    /// a request scope.
    ///
    /// ```
    /// use pulselog::context::Context;
    /// use pulselog::context::RequestId;
    ///
    /// let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    /// let ctx = Context::current().with_id(RequestId::from_traceparent(tp).unwrap());
    /// let headers: Vec<(&str, String)> = ctx.outgoing_headers().collect();
    /// assert_eq!(headers[0], ("x-request-id", "0af7651916cd43dd8448eb211c80319c".to_owned()));
    /// assert_eq!(headers[1].0, "traceparent");
    /// assert!(headers[1].1.starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
    /// assert!(!headers[1].1.contains("b7ad6b7169203331"), "a span id of its own");
    /// ```
    ///
    /// With reqwest (or any client that takes header pairs):
    ///
    /// ```ignore
    /// let mut call = client.get("http://inventory.internal/stock/7");
    /// for (name, value) in pulselog::context::Context::current().outgoing_headers() {
    ///     call = call.header(name, value);
    /// }
    /// let stock = call.send().await?;
    /// ```
    pub fn outgoing_headers(&self) -> impl Iterator<Item = (&'static str, String)> + use<> {
        let id = self.id();
        let x_request_id = id.map(|id| ("x-request-id", id.as_str().to_owned()));
        let traceparent = id
            .and_then(RequestId::trace_parent)
            .map(|tp| ("traceparent", tp.next_hop().to_string()));
        x_request_id.into_iter().chain(traceparent)
    }

    /// A child context whose request id is `id`'s text (the parent's id is
    /// hidden, not changed). To keep the trace ids of a parsed
    /// `traceparent`, pass the [`RequestId`] to [`Context::with_id`].
    #[must_use]
    pub fn with_request_id(&self, id: impl fmt::Display) -> Context {
        self.with_id(RequestId::from_display(&id))
    }

    /// A child context with this request id.
    #[must_use]
    pub fn with_id(&self, id: RequestId) -> Context {
        self.child(Some(id), Names::Owned(Vec::new()), Data::new())
    }

    /// A child context with one more bound field. Numbers, booleans and strings
    /// keep their type in output; bind several at once with [`Context::with_fields`].
    #[must_use]
    pub fn with_field(&self, key: impl Into<Cow<'static, str>>, value: impl Encode) -> Context {
        let mut values = Encoder::new();
        value.encode(&mut values);
        self.child(None, Names::Owned(vec![key.into()]), values.into_data())
    }

    /// A child context binding every `(key, value)` pair.
    #[must_use]
    pub fn with_fields<K, V>(&self, fields: impl IntoIterator<Item = (K, V)>) -> Context
    where
        K: Into<Cow<'static, str>>,
        V: Encode,
    {
        let mut values = Encoder::new();
        let mut names = Vec::new();
        for (k, v) in fields {
            names.push(k.into());
            v.encode(&mut values);
        }
        self.child(None, Names::Owned(names), values.into_data())
    }

    pub(crate) fn child(
        &self,
        request_id: Option<RequestId>,
        names: Names,
        values: Data,
    ) -> Context {
        Context(Some(Arc::new(Frame {
            request_id,
            names,
            values,
            extension: OnceLock::new(),
            replayed: false,
            parent: self.0.clone(),
        })))
    }

    /// Whether both are the same context (not merely equal ones).
    #[cfg(feature = "tracing")]
    pub(crate) fn same_as(&self, other: &Context) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }

    /// Makes `ctx` the current context without a guard, returning the one
    /// it replaces (`None` while the thread's storage is torn down). For a
    /// caller that enters and leaves in separate calls, such as a `tracing`
    /// span's enter and exit.
    #[cfg(feature = "tracing")]
    pub(crate) fn swap_current(ctx: Context) -> Option<Context> {
        CURRENT.try_with(|c| c.replace(ctx)).ok()
    }

    /// A child context that carries `extension`, for a higher layer to find
    /// again with [`Context::extension`].
    pub(crate) fn with_extension(&self, extension: Arc<dyn Any + Send + Sync>) -> Context {
        Context(Some(Arc::new(Frame {
            request_id: None,
            names: Names::Owned(Vec::new()),
            values: Data::new(),
            extension: OnceLock::from(extension),
            replayed: false,
            parent: self.0.clone(),
        })))
    }

    /// The innermost extension of type `T`, if any scope carries one.
    pub(crate) fn extension<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let mut frame = self.0.as_deref();
        while let Some(f) = frame {
            if let Some(ext) = f.extension.get()
                && let Ok(ext) = Arc::clone(ext).downcast::<T>()
            {
                return Some(ext);
            }
            frame = f.parent.as_deref();
        }
        None
    }

    /// The frame of the innermost request id: the request's own, which
    /// lives exactly as long as some flow of the request runs (or some
    /// context clone of it is kept).
    fn request_frame(&self) -> Option<&Frame> {
        let mut frame = self.0.as_deref();
        while let Some(f) = frame {
            if f.request_id.is_some() {
                return Some(f);
            }
            frame = f.parent.as_deref();
        }
        None
    }

    /// The extension of type `T` of the innermost request, if it has one;
    /// `None` as well outside a request scope.
    pub(crate) fn request_extension<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let ext = self.request_frame()?.extension.get()?;
        Arc::clone(ext).downcast::<T>().ok()
    }

    /// The extension of type `T` of the innermost request, made with
    /// `init` on first use (by whichever thread of the request comes
    /// first); `None` outside a request scope, or if the request holds an
    /// extension of another type. It goes when the request's frame does.
    pub(crate) fn request_extension_or_init<T: Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Option<Arc<T>> {
        let ext = self
            .request_frame()?
            .extension
            .get_or_init(|| Arc::new(init()));
        Arc::clone(ext).downcast::<T>().ok()
    }

    /// A copy of this context's frames, their ids and fields, without
    /// their extensions, and marked replayed: what an event kept in a
    /// request's extension holds, so that the request's frame does not
    /// keep itself alive through its own events (it would never drop, nor
    /// the events with it). Events of one context share one copy, made
    /// once through `cache`.
    pub(crate) fn replay_copy(&self, cache: &mut CopyCache) -> Context {
        let Some(frame) = &self.0 else {
            return Context(None);
        };
        if let Some((of, copy)) = &cache.last
            && std::ptr::eq(of.as_ptr(), Arc::as_ptr(frame))
        {
            return copy.clone();
        }
        let mut chain: smallvec::SmallVec<[&Frame; 8]> = smallvec::SmallVec::new();
        let mut at = Some(&**frame);
        while let Some(f) = at {
            chain.push(f);
            at = f.parent.as_deref();
        }
        let mut copy: Option<Arc<Frame>> = None;
        for f in chain.iter().rev() {
            let names = match &f.names {
                Names::Static(names) => Names::Static(names),
                Names::Owned(names) => Names::Owned(names.clone()),
            };
            copy = Some(Arc::new(Frame {
                request_id: f.request_id.clone(),
                names,
                values: f.values.clone(),
                extension: OnceLock::new(),
                replayed: true,
                parent: copy,
            }));
        }
        let copy = Context(copy);
        // A `Weak` holds the allocation, so no later frame can take its
        // address and be mistaken for this one.
        cache.last = Some((Arc::downgrade(frame), copy.clone()));
        copy
    }

    /// Whether this is a copy kept for replay on error
    /// ([`Context::replay_copy`]): its events are written with
    /// `"replayed": true`.
    #[inline]
    pub(crate) fn replayed(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.replayed)
    }

    /// Calls `f` with every bound field, outermost scope first; a key bound
    /// again in an inner scope is reported once, with the inner value.
    pub fn for_each_field(&self, mut f: impl FnMut(&str, Value<'_>)) {
        let mut frames: smallvec::SmallVec<[&Frame; 8]> = smallvec::SmallVec::new();
        let mut frame = self.0.as_deref();
        while let Some(fr) = frame {
            frames.push(fr);
            frame = fr.parent.as_deref();
        }
        for (depth, fr) in frames.iter().enumerate().rev() {
            let values = Decoder::new(&fr.values);
            for (name, value) in fr.names.iter().zip(values) {
                let shadowed = frames[..depth]
                    .iter()
                    .any(|inner| inner.names.contains(name));
                if !shadowed {
                    f(name, value);
                }
            }
        }
    }

    /// Whether some frame binds a field called `name`.
    pub(crate) fn has_field(&self, name: &str) -> bool {
        let mut frame = self.0.as_deref();
        while let Some(f) = frame {
            if f.names.contains(name) {
                return true;
            }
            frame = f.parent.as_deref();
        }
        false
    }

    /// Makes this the current context until the guard drops. The guard is
    /// not `Send`: it cannot be held across an `.await` that moves threads —
    /// use [`WithContext`] (`fut.in_current_context()`) for futures.
    #[must_use = "the context is left when the guard drops"]
    pub fn enter(&self) -> ContextGuard {
        // During thread teardown the slot may be gone: nothing to enter then.
        let prev = CURRENT.try_with(|c| c.replace(self.clone())).ok();
        ContextGuard {
            prev,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Runs `f` with this as the current context.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        f()
    }

    /// Wraps a future so that it runs in this context on every poll.
    pub fn wrap<F: Future>(self, fut: F) -> WithContext<F> {
        WithContext {
            ctx: self,
            fut: Some(fut),
        }
    }
}

/// The last context [`Context::replay_copy`] copied, and its copy.
#[derive(Default)]
pub(crate) struct CopyCache {
    last: Option<(Weak<Frame>, Context)>,
}

/// Restores the previous context when dropped.
#[derive(Debug)]
pub struct ContextGuard {
    prev: Option<Context>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            // `try_with`: during thread teardown the slot may be gone already.
            let _ = CURRENT.try_with(|c| c.replace(prev));
        }
    }
}

pin_project! {
    /// A future that runs inside a given context on every poll.
    ///
    /// The context is installed around each `poll` (and around the inner
    /// future's destructor) and removed before returning, so no guard is ever
    /// held across an `.await` and the future may move between threads.
    #[must_use = "futures do nothing unless polled"]
    pub struct WithContext<F> {
        ctx: Context,
        // `Some` until the wrapper drops: the destructor drops the future in
        // place, inside the context, by setting this to `None`.
        #[pin]
        fut: Option<F>,
    }

    impl<F> PinnedDrop for WithContext<F> {
        fn drop(this: Pin<&mut Self>) {
            // What the future logs while it is dropped (a `#[logged]` exit
            // event of a cancelled call, a guard's destructor) belongs to its
            // flow too.
            let mut this = this.project();
            let _guard = this.ctx.enter();
            this.fut.set(None);
        }
    }
}

impl<F: fmt::Debug> fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithContext")
            .field("ctx", &self.ctx)
            .field("fut", &self.fut)
            .finish()
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _guard = this.ctx.enter();
        match this.fut.as_pin_mut() {
            Some(fut) => fut.poll(cx),
            // Only the destructor empties it, and nothing polls a future
            // that is being dropped.
            None => Poll::Pending,
        }
    }
}

/// Carries the current context into a future: `fut.in_current_context()`.
pub trait FutureExt: Future + Sized {
    /// Wraps the future so that it runs in the context current *now*, on
    /// whichever thread polls it.
    fn in_current_context(self) -> WithContext<Self> {
        Context::current().wrap(self)
    }
}

impl<F: Future> FutureExt for F {}

/// Carries the current context into a closure that runs elsewhere:
/// `std::thread::spawn(closure.in_current_context())`.
///
/// ```
/// use pulselog::context::Context;
/// use pulselog::prelude::*;
///
/// Context::current().with_request_id("req-7").scope(|| {
///     let id = std::thread::spawn((|| Context::current().request_id().map(str::to_owned)).in_current_context())
///         .join()
///         .unwrap();
///     assert_eq!(id.as_deref(), Some("req-7"));
/// });
/// ```
pub trait ClosureExt<R>: FnOnce() -> R + Sized {
    /// Wraps the closure so that it runs in the context current *now*, on
    /// whichever thread calls it. The wrapper is `Send` when the closure is.
    fn in_current_context(self) -> impl FnOnce() -> R {
        let ctx = Context::current();
        move || ctx.scope(self)
    }
}

impl<F: FnOnce() -> R, R> ClosureExt<R> for F {}

/// Spawns a task on the current tokio runtime, carrying the current context
/// into it. Same signature as `tokio::spawn`; a raw `tokio::spawn` starts the
/// task with an empty context.
///
/// # Panics
///
/// When called outside a tokio runtime, as `tokio::spawn` does.
#[cfg(feature = "tokio")]
#[track_caller]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_current_context())
}
