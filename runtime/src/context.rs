//! Request context — pulselog's `contextvars`: a request id plus bound
//! key/value fields that every event logged inside the scope carries.
//!
//! A context is an immutable chain of frames shared through `Arc`: entering a
//! child scope pushes a frame that points at its parent, so a child sees its
//! parent's fields and nothing it binds leaks back. The current context lives
//! in a thread-local; [`WithContext`] installs it around every `poll` of a
//! future, so it follows the future across `.await` points and across the
//! worker threads of a multi-threaded executor.

use crate::record::RecordBuilder;
use crate::value::{Decoder, Encode, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

/// A request context: a request id and bound fields. Cheap to clone.
#[derive(Clone, Default)]
pub struct Context(pub(crate) Option<Arc<Frame>>);

pub(crate) struct Frame {
    pub(crate) request_id: Option<Arc<str>>,
    pub(crate) names: Vec<Cow<'static, str>>,
    /// The field values, encoded as in a record.
    pub(crate) values: Vec<u8>,
    /// Set by `testing::capture`: events in this scope go there.
    pub(crate) capture: Option<crate::testing::Sink>,
    pub(crate) parent: Option<Arc<Frame>>,
}

thread_local! {
    static CURRENT: RefCell<Context> = const { RefCell::new(Context(None)) };
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
    /// The context of the current flow (empty outside any scope).
    #[must_use]
    pub fn current() -> Context {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// Whether this context has neither a request id nor fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The innermost request id, if any.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        let mut frame = self.0.as_deref();
        while let Some(f) = frame {
            if let Some(id) = &f.request_id {
                return Some(id);
            }
            frame = f.parent.as_deref();
        }
        None
    }

    /// A child context with this request id (the parent's id is hidden, not
    /// changed).
    #[must_use]
    pub fn with_request_id(&self, id: impl fmt::Display) -> Context {
        self.child(Some(Arc::from(id.to_string())), Vec::new(), Vec::new())
    }

    /// A child context with one more bound field. Numbers, booleans and strings
    /// keep their type in output; bind several at once with [`Context::with_fields`].
    #[must_use]
    pub fn with_field(&self, key: impl Into<Cow<'static, str>>, value: impl Encode) -> Context {
        let mut rec = RecordBuilder::scratch();
        value.encode(&mut rec);
        self.child(None, vec![key.into()], rec.into_bytes())
    }

    /// A child context binding every `(key, value)` pair.
    #[must_use]
    pub fn with_fields<K, V>(&self, fields: impl IntoIterator<Item = (K, V)>) -> Context
    where
        K: Into<Cow<'static, str>>,
        V: Encode,
    {
        let mut rec = RecordBuilder::scratch();
        let mut names = Vec::new();
        for (k, v) in fields {
            names.push(k.into());
            v.encode(&mut rec);
        }
        self.child(None, names, rec.into_bytes())
    }

    fn child(
        &self,
        request_id: Option<Arc<str>>,
        names: Vec<Cow<'static, str>>,
        values: Vec<u8>,
    ) -> Context {
        Context(Some(Arc::new(Frame {
            request_id,
            names,
            values,
            capture: None,
            parent: self.0.clone(),
        })))
    }

    pub(crate) fn with_capture(&self, sink: crate::testing::Sink) -> Context {
        Context(Some(Arc::new(Frame {
            request_id: None,
            names: Vec::new(),
            values: Vec::new(),
            capture: Some(sink),
            parent: self.0.clone(),
        })))
    }

    /// Calls `f` with every bound field, outermost scope first; a key bound
    /// again in an inner scope is reported once, with the inner value.
    pub fn for_each_field(&self, mut f: impl FnMut(&str, Value<'_>)) {
        let mut frames = Vec::new();
        let mut frame = self.0.as_deref();
        while let Some(fr) = frame {
            frames.push(fr);
            frame = fr.parent.as_deref();
        }
        for (depth, fr) in frames.iter().enumerate().rev() {
            for (name, value) in fr.names.iter().zip(Decoder::new(&fr.values)) {
                let shadowed = frames[..depth]
                    .iter()
                    .any(|inner| inner.names.iter().any(|n| n == name));
                if !shadowed {
                    f(name, value);
                }
            }
        }
    }

    /// Makes this the current context until the guard drops. The guard is
    /// not `Send`: it cannot be held across an `.await` that moves threads —
    /// use [`WithContext`] (`fut.in_current_context()`) for futures.
    #[must_use = "the context is left when the guard drops"]
    pub fn enter(&self) -> ContextGuard {
        let prev = CURRENT.with(|c| c.replace(self.clone()));
        ContextGuard {
            prev: Some(prev),
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
        WithContext { ctx: self, fut }
    }
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

/// A future that runs inside a given context on every poll.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct WithContext<F> {
    ctx: Context,
    fut: F,
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        // SAFETY: `fut` is structurally pinned: it is never moved out of
        // `self`, and `ctx` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let _guard = this.ctx.enter();
        // SAFETY: see above; `this.fut` stays where it is.
        unsafe { Pin::new_unchecked(&mut this.fut) }.poll(cx)
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
