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
//! OpenTelemetry's semantic conventions (and ECS) name
//! `http.request.method`, `url.path` (the path as requested),
//! `http.response.status_code`, `http.route` (the route that matched,
//! `/orders/{id}`, when the router says: see [`RequestIdLayer::route`])
//! and `elapsed_ms` (ECS lines add `event.duration`, in nanoseconds).
//!
//! **Panics.** A panic in the inner service (its `call` or its future) is
//! answered with an empty `500 Internal Server Error` that carries the
//! request id, and the access line is written for it. The panic itself is
//! reported once, by the panic hook ([`crate::Config::panic_hook`]), with
//! the request's context: pulselog's hook writes it at CRITICAL with the
//! request id. Layers inside `RequestIdLayer` see the panic unwind, not a
//! response (tower-http's `TraceLayer` writes no failure line for it), so
//! tower-http's `CatchPanicLayer` is not needed; placed inside, it would
//! turn the panic into a 500 that `TraceLayer` then reports a second time.
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
//! // (the layer added last is the outermost: the request id comes first;
//! // added with `Router::layer`, it runs after routing and sees the route).
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
use http::{Extensions, Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
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

/// Reads the route that matched from a request's extensions.
pub type RouteFn = fn(&Extensions) -> Option<&str>;

#[derive(Debug, Clone)]
struct Settings {
    header: HeaderName,
    access: Option<Level>,
    route: Option<RouteFn>,
}

/// axum's `MatchedPath`, which its router puts in the request's extensions
/// before a layer added with `Router::layer` runs.
#[cfg(feature = "axum")]
fn axum_route(ext: &Extensions) -> Option<&str> {
    ext.get::<axum::extract::MatchedPath>()
        .map(axum::extract::MatchedPath::as_str)
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
    /// `x-request-id`; an access line at INFO, with axum's matched route
    /// as `http.route` (feature `axum`).
    #[must_use]
    pub fn new() -> RequestIdLayer {
        #[cfg(feature = "axum")]
        let route: Option<RouteFn> = Some(axum_route);
        #[cfg(not(feature = "axum"))]
        let route: Option<RouteFn> = None;
        RequestIdLayer {
            settings: Arc::new(Settings {
                header: X_REQUEST_ID,
                access: Some(Level::Info),
                route,
            }),
        }
    }

    /// Where the access line's `http.route` comes from: a function that
    /// finds the route that matched in the request's extensions, or `None`
    /// for no `http.route`. With the `axum` feature it reads axum's
    /// `MatchedPath` (`/orders/{id}`), which the router inserts before the
    /// layers added with `Router::layer` run; a layer around the whole
    /// router runs before routing and finds none. Another router can be
    /// read the same way:
    ///
    /// ```
    /// # use pulselog::tower::RequestIdLayer;
    /// #[derive(Clone)]
    /// struct Route(&'static str); // inserted by the router
    ///
    /// let layer = RequestIdLayer::new().route(Some(|ext| ext.get::<Route>().map(|r| r.0)));
    /// # drop(layer);
    /// ```
    #[must_use]
    pub fn route(self, route: Option<RouteFn>) -> RequestIdLayer {
        self.with(|s| s.route = route)
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
        let mut settings = Settings::clone(&self.settings);
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
        let route = self
            .settings
            .route
            .and_then(|route| route(req.extensions()))
            .map(str::to_owned);
        // A panic in `call` is answered like one in its future; the hook
        // has reported it, in the request's context.
        let inner = &mut self.inner;
        let fut = std::panic::catch_unwind(AssertUnwindSafe(|| ctx.scope(|| inner.call(req))));
        ResponseFuture {
            inner: fut.ok().map(|fut| ctx.clone().wrap(fut)),
            done: Some(Done {
                ctx,
                echo,
                method,
                path,
                route,
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
    route: Option<String>,
    start: Instant,
    settings: Arc<Settings>,
}

pin_project! {
    /// The future of a [`RequestIdService`] call: the inner one, run in the
    /// request's context (`None` once it panicked).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<WithContext<F>>,
        done: Option<Done>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ContextBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let response = match this.inner.as_mut().as_pin_mut() {
            Some(inner) => match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(Ok(response))) => Ok(response.map(Some)),
                Ok(Poll::Ready(Err(err))) => {
                    // No response: no access line.
                    this.done.take();
                    return Poll::Ready(Err(err));
                }
                Err(_panic) => {
                    this.inner.set(None);
                    Err(())
                }
            },
            None => Err(()),
        };
        let Some(done) = this.done.take() else {
            // Polled again after it completed: the inner future says what
            // that means; nothing to add. (Once it panicked: another 500.)
            let response = response.unwrap_or_else(|()| internal_error());
            return Poll::Ready(Ok(
                response.map(|body| ContextBody::new(Context::default(), body))
            ));
        };
        // The hook reported the panic, with the request's context; the
        // client gets a 500 with its request id.
        let response = response.unwrap_or_else(|()| internal_error());
        let (mut parts, body) = response.into_parts();
        if let Some(echo) = done.echo {
            parts.headers.insert(done.settings.header.clone(), echo);
        }
        if let Some(level) = done.settings.access {
            done.ctx.scope(|| {
                access_line(
                    level,
                    &done.method,
                    &done.path,
                    done.route.as_deref(),
                    parts.status,
                    done.start,
                );
            });
        }
        Poll::Ready(Ok(Response::from_parts(
            parts,
            ContextBody::new(done.ctx, body),
        )))
    }
}

/// The answer to a request whose service panicked: a 500 without a body.
fn internal_error<B>() -> Response<Option<B>> {
    let mut response = Response::new(None);
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// One access line per request.
fn access_line(
    level: Level,
    method: &Method,
    path: &str,
    route: Option<&str>,
    status: StatusCode,
    start: Instant,
) {
    internal_site! {
        static ACCESS_SITE: Info,
        target = "pulselog::tower",
        template = "{http.request.method} {url.path} {http.response.status_code}",
        message = [{0} " " {1} " " {2}],
        fields = ["http.request.method", "url.path", "http.response.status_code", "elapsed_ms"],
        message_values = 0,
    }
    internal_site! {
        static ROUTED_SITE: Info,
        target = "pulselog::tower",
        template = "{http.request.method} {url.path} {http.response.status_code}",
        message = [{0} " " {1} " " {2}],
        fields = [
            "http.request.method",
            "url.path",
            "http.response.status_code",
            "http.route",
            "elapsed_ms"
        ],
        message_values = 0,
    }
    let site = if route.is_some() {
        &ROUTED_SITE
    } else {
        &ACCESS_SITE
    };
    if !site.enabled(level) {
        return;
    }
    let mut rec = RecordBuilder::new(site, level);
    let values = rec.values();
    values.push_str(method.as_str());
    values.push_str(path);
    values.push_u64(u64::from(status.as_u16()));
    if let Some(route) = route {
        values.push_str(route);
    }
    values.push_f64(start.elapsed().as_micros() as f64 / 1000.0);
    crate::logger::submit(rec);
}

pin_project! {
    /// A response body streamed in the request's context, so that what its
    /// production logs carries the request id; empty for the 500 that
    /// answers a panic.
    #[derive(Debug)]
    pub struct ContextBody<B> {
        ctx: Context,
        #[pin]
        inner: Option<B>,
    }
}

impl<B> ContextBody<B> {
    fn new(ctx: Context, inner: Option<B>) -> ContextBody<B> {
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
        match this.inner.as_pin_mut() {
            Some(inner) => inner.poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(B::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| http_body::SizeHint::with_exact(0), B::size_hint)
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
            res.body().inner.as_deref(),
            Some("abc-123"),
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

    /// Panics in `call`, or in its future.
    #[derive(Clone)]
    struct Panics {
        in_call: bool,
    }

    impl Service<Request<()>> for Panics {
        type Response = Response<String>;
        type Error = Infallible;
        type Future = std::future::PollFn<
            Box<dyn FnMut(&mut TaskContext<'_>) -> Poll<Result<Response<String>, Infallible>>>,
        >;
        fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: Request<()>) -> Self::Future {
            assert!(!self.in_call, "the service panics in call");
            std::future::poll_fn(Box::new(|_| panic!("the handler panics")))
        }
    }

    #[test]
    fn a_panic_in_the_service_is_a_500_with_the_request_id_and_an_access_line() {
        use crate::testing::capture;
        for in_call in [false, true] {
            let mut svc = RequestIdLayer::new().layer(Panics { in_call });
            let req = Request::builder()
                .uri("/orders/7")
                .header("x-request-id", "req-500")
                .body(())
                .unwrap();
            let (res, events) = capture(|| call(&mut svc, req));
            assert_eq!(res.status(), 500);
            assert_eq!(res.headers()["x-request-id"], "req-500");
            assert!(res.body().inner.is_none(), "an empty body");
            let access = events.find("GET /orders/7 500");
            assert_eq!(access.request_id().as_deref(), Some("req-500"));
            assert_eq!(access.field("http.response.status_code").unwrap(), 500);
            assert_eq!(access.function(), "access_line");
            assert_eq!(access.file(), "pulselog/src/tower.rs");
        }
    }

    #[test]
    fn the_access_line_has_the_route_the_router_found() {
        use crate::testing::capture;
        #[derive(Clone)]
        struct Route(&'static str);
        #[derive(Clone)]
        struct Routed;
        impl Service<Request<()>> for Routed {
            type Response = Response<String>;
            type Error = Infallible;
            type Future = Ready<Result<Response<String>, Infallible>>;
            fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: Request<()>) -> Self::Future {
                ready(Ok(Response::new(String::new())))
            }
        }
        let layer = RequestIdLayer::new().route(Some(|ext| ext.get::<Route>().map(|r| r.0)));
        let mut svc = layer.layer(Routed);
        let mut req = Request::builder().uri("/orders/7").body(()).unwrap();
        req.extensions_mut().insert(Route("/orders/{id}"));
        let (_, events) = capture(|| call(&mut svc, req));
        let access = events.find("GET /orders/7 200");
        assert_eq!(access.field("http.route").unwrap(), "/orders/{id}");
        assert_eq!(access.field("url.path").unwrap(), "/orders/7");
        assert_eq!(access.field("http.request.method").unwrap(), "GET");
        // No route found: no `http.route`.
        let req = Request::builder().uri("/nowhere").body(()).unwrap();
        let (_, events) = capture(|| call(&mut svc, req));
        assert_eq!(events.find("GET /nowhere 200").field("http.route"), None);
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
