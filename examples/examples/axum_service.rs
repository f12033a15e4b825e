//! An axum service whose every line carries its request's id:
//! `cargo run --example axum_service`, then
//! `curl -H 'x-request-id: abc-123' localhost:3000/orders/7`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let _guard = pulselog::init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    pulselog::info!("listening", addr = %listener.local_addr()?);
    axum::serve(listener, pulselog_examples::service::app()).await
}
