//! The example HTTP service (`cargo run --example axum_service`): an axum
//! router whose every line, its own, its `#[logged]` functions', the `log`
//! and `tracing` lines of the crates under it and the access line, carries
//! the request's id.
//!
//! - [`pulselog::tower::RequestIdLayer`] takes the id from `x-request-id`
//!   or `traceparent` (or makes one), runs the request in it and echoes it;
//! - tower-http's `TraceLayer` logs through `tracing`, which pulselog
//!   bridges, with its span's `method` and `uri` bound on every line inside;
//! - the handler hands work to a task with [`pulselog::spawn`], which keeps
//!   the context (a raw `tokio::spawn` would not: `clippy.toml` in this
//!   crate forbids it).

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use pulselog::prelude::*;
use pulselog::tower::RequestIdLayer;
use tower_http::trace::TraceLayer;

/// The service's routes and layers. The layer added last is the outermost:
/// the request id is in place before `TraceLayer` makes its span.
pub fn app() -> Router {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .layer(TraceLayer::new_for_http())
        .layer(RequestIdLayer::new())
}

/// `GET /orders/{id}`.
async fn get_order(Path(id): Path<u64>) -> String {
    info!("looking up an order", order = id);
    let total = load_order(id).await;
    // Work handed to another task keeps the request's context.
    let audit = pulselog::spawn(async move {
        info!("audited", order = id);
    });
    let _ = audit.await;
    // A dependency that logs through the `log` facade.
    log::info!(target: "orders::cache", order = id; "cache refreshed");
    format!("order {id}: {total}\n")
}

/// Loads an order (instrumented: `enter` and `exit` lines, the order id
/// bound to every line inside).
#[logged(level = "info", fields(order = id))]
async fn load_order(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id * 100
}
