//! Request ids at the HTTP edge (feature `tower`).
//!
//! [`RequestIdLayer`] is a tower [`Layer`] for HTTP services (an axum
//! `Router::layer`, a hyper service): every request runs in a request
//! context whose id comes from the request's `x-request-id` header or its
//! W3C `traceparent` (validated by [`RequestId::from_headers`]), or is made
//! new. The handler, every `.await` in it, the tasks it starts with
//! [`spawn`](crate::context::spawn) (feature `tokio`) and the response body's
//! streaming all log with that id, and so do `tracing` events inside (with
//! feature `tracing`). The response carries the id back in `x-request-id`
//! (the id pulselog validated or made, never an unchecked value), and the
//! request's own `x-request-id` header is set to the same id for the
//! handler. Unless turned off, one access line per request is logged at
//! INFO when the response is ready: `GET /orders/7 200` with the fields
//! `http.method`, `url.path`, `http.status_code` and `elapsed_ms`.
//!
//! ```
//! use pulselog::tower::RequestIdLayer;
//! use tower_layer::Layer as _;
//!
//! # let service = tower_service_fn();
//! # fn tower_service_fn() -> impl tower_service::Service<http::Request<()>, Response = http::Response<()>, Error = std::convert::Infallible> + Clone {
//! #     #[derive(Clone)] struct S;
//! #     impl tower_service::Service<http::Request<()>> for S {
//! #         type Response = http::Response<()>; type Error = std::convert::Infallible;
//! #         type Future = std::future::Ready<Result<http::Response<()>, std::convert::Infallible>>;
//! #         fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
//! #         fn call(&mut self, _: http::Request<()>) -> Self::Future { std::future::ready(Ok(http::Response::new(()))) }
//! #     }
//! #     S
//! # }
//! let service = RequestIdLayer::new().layer(service);
//! // axum: `Router::new().route(..).layer(TraceLayer::new_for_http()).layer(RequestIdLayer::new())`
//! // (the layer added last is the outermost: the request id comes first).
//! # drop(service);
//! ```
//!
//! To carry the id on to the services a handler calls, see
//! [`Context::outgoing_headers`](crate::context::Context::outgoing_headers)
//! and [`inject`].

use crate::callsite::internal_site;
use crate::context::{Context, RequestId, WithContext};
use crate::level::Level;
use crate::record::RecordBuilder;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, ready};
use std::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

/// The `x-request-id` header.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The W3C `traceparent` header.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Puts the current request id on an outgoing request's headers: see
/// [`Context::outgoing_headers`](crate::context::Context::outgoing_headers).
pub fn inject(headers: &mut HeaderMap) {
    for (name, value) in Context::current().outgoing_headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

#[derive(Debug)]
struct Settings {
    header: HeaderName,
    access: Option<Level>,
}

/// Runs each request in a request context with its id: see the [module
/// docs](self).
#[derive(Debug, Clone)]
pub struct RequestIdLayer {
    settings: Arc<Settings>,
}

impl Default for RequestIdLayer {
    fn default() -> Self {
        RequestIdLayer::new()
    }
}

impl RequestIdLayer {
    /// The id from `x-request-id` or `traceparent`, echoed in
    /// `x-request-id`; an access line at INFO.
    #[must_use]
    pub fn new() -> RequestIdLayer {
        RequestIdLayer {
            settings: Arc::new(Settings {
                header: X_REQUEST_ID,
                access: Some(Level::Info),
            }),
        }
    }

    /// Another header for the id, read and echoed (`x-correlation-id`, say);
    /// `traceparent` is read as well.
    #[must_use]
    pub fn header(self, name: HeaderName) -> RequestIdLayer {
        self.with(|s| s.header = name)
    }

    /// The access line's level, or `None` for no access line.
    #[must_use]
    pub fn access_log(self, level: Option<Level>) -> RequestIdLayer {
        self.with(|s| s.access = level)
    }

    fn with(self, f: impl FnOnce(&mut Settings)) -> RequestIdLayer {
        let mut settings = Settings {
            header: self.settings.header.clone(),
            access: self.settings.access,
        };
        f(&mut settings);
        RequestIdLayer {
            settings: Arc::new(settings),
        }
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> RequestIdService<S> {
        RequestIdService {
            inner,
            settings: Arc::clone(&self.settings),
        }
    }
}

/// The service [`RequestIdLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestIdService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ContextBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> ResponseFuture<S::Future> {
        let start = Instant::now();
        let header = |name: &HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
        let id = RequestId::from_headers(header(&self.settings.header), header(&TRACEPARENT));
        // A validated id is visible ASCII, so it is always a header value.
        let echo = HeaderValue::from_str(id.as_str()).ok();
        if let Some(echo) = &echo {
            req.headers_mut()
                .insert(self.settings.header.clone(), echo.clone());
        }
        let ctx = Context::current().with_id(id);
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let fut = ctx.scope(|| self.inner.call(req));
        ResponseFuture {
            inner: ctx.clone().wrap(fut),
            done: Some(Done {
                ctx,
                echo,
                method,
                path,
                start,
                settings: Arc::clone(&self.settings),
            }),
        }
    }
}

/// What the response needs once it is ready.
#[derive(Debug)]
struct Done {
    ctx: Context,
    echo: Option<HeaderValue>,
    method: Method,
    path: String,
    start: Instant,
    settings: Arc<Settings>,
}

pin_project! {
    /// The future of a [`RequestIdService`] call: the inner one, run in the
    /// request's context.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: WithContext<F>,
        done: Option<Done>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ContextBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let Some(done) = this.done.take() else {
            // Polled again after it completed: the inner future says what
            // that means; nothing to add.
            return Poll::Ready(
                result.map(|r| r.map(|body| ContextBody::new(Context::default(), body))),
            );
        };
        Poll::Ready(result.map(|response| {
            let (mut parts, body) = response.into_parts();
            if let Some(echo) = done.echo {
                parts.headers.insert(done.settings.header.clone(), echo);
            }
            if let Some(level) = done.settings.access {
                done.ctx.scope(|| {
                    access_line(level, &done.method, &done.path, parts.status, done.start);
                });
            }
            Response::from_parts(parts, ContextBody::new(done.ctx, body))
        }))
    }
}

internal_site! {
    static ACCESS_SITE: Info,
    target = "pulselog::tower",
    template = "{http.method} {url.path} {http.status_code}",
    message = [{0} " " {1} " " {2}],
    fields = ["http.method", "url.path", "http.status_code", "elapsed_ms"],
    message_values = 0,
}

/// One access line per request.
fn access_line(level: Level, method: &Method, path: &str, status: StatusCode, start: Instant) {
    if !ACCESS_SITE.enabled(level) {
        return;
    }
    let mut rec = RecordBuilder::new(&ACCESS_SITE, level);
    let values = rec.values();
    values.push_str(method.as_str());
    values.push_str(path);
    values.push_u64(u64::from(status.as_u16()));
    values.push_f64(start.elapsed().as_micros() as f64 / 1000.0);
    crate::logger::submit(rec);
}

pin_project! {
    /// A response body streamed in the request's context, so that what its
    /// production logs carries the request id.
    #[derive(Debug)]
    pub struct ContextBody<B> {
        ctx: Context,
        #[pin]
        inner: B,
    }
}

impl<B> ContextBody<B> {
    fn new(ctx: Context, inner: B) -> ContextBody<B> {
        ContextBody { ctx, inner }
    }
}

impl<B: http_body::Body> http_body::Body for ContextBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let _in_ctx = this.ctx.enter();
        this.inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::{RequestIdLayer, inject};
    use crate::context::{Context, RequestId};
    use http::{HeaderMap, HeaderName, Request, Response};
    use std::convert::Infallible;
    use std::future::{Future, Ready, ready};
    use std::task::{Context as TaskContext, Poll, Waker};
    use tower_layer::Layer;
    use tower_service::Service;

    /// Answers with the request id the handler saw, in its body.
    #[derive(Clone)]
    struct Echo;

    impl Service<Request<()>> for Echo {
        type Response = Response<String>;
        type Error = Infallible;
        type Future = Ready<Result<Response<String>, Infallible>>;
        fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: Request<()>) -> Self::Future {
            let id = Context::current().request_id().unwrap_or("none").to_owned();
            ready(Ok(Response::new(id)))
        }
    }

    fn call<S>(svc: &mut S, req: Request<()>) -> S::Response
    where
        S: Service<Request<()>, Error = Infallible>,
    {
        let mut fut = std::pin::pin!(svc.call(req));
        match fut
            .as_mut()
            .poll(&mut TaskContext::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(r)) => r,
            Poll::Pending => panic!("ready at once"),
        }
    }

    #[test]
    fn the_id_is_taken_checked_used_and_echoed_under_the_configured_header() {
        let header = HeaderName::from_static("x-correlation-id");
        let mut svc = RequestIdLayer::new()
            .header(header.clone())
            .access_log(None)
            .layer(Echo);
        let req = Request::builder()
            .header(&header, "abc-123")
            .body(())
            .unwrap();
        let res = call(&mut svc, req);
        assert_eq!(res.headers()[&header], "abc-123");
        assert_eq!(
            res.body().inner,
            "abc-123",
            "the handler ran in the context"
        );
        // `x-request-id` is not the configured header: a new id.
        let req = Request::builder()
            .header("x-request-id", "abc-123")
            .body(())
            .unwrap();
        let res = call(&mut svc, req);
        assert_eq!(res.headers()[&header].len(), 36);
        assert!(res.headers().get("x-request-id").is_none());
    }

    #[test]
    fn inject_carries_the_current_id_to_an_outgoing_request() {
        let mut headers = HeaderMap::new();
        inject(&mut headers);
        assert!(headers.is_empty(), "outside a request: nothing");
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        Context::current()
            .with_id(RequestId::from_traceparent(tp).unwrap())
            .scope(|| inject(&mut headers));
        assert_eq!(headers["x-request-id"], "0af7651916cd43dd8448eb211c80319c");
        let next = headers["traceparent"].to_str().unwrap();
        let parsed = RequestId::from_traceparent(next).unwrap();
        let parsed = parsed.trace_parent().unwrap();
        assert_eq!(parsed.trace_id_hex(), "0af7651916cd43dd8448eb211c80319c");
        assert_ne!(parsed.span_id_hex(), "b7ad6b7169203331");
        assert_eq!(parsed.flags(), 1);
    }
}
