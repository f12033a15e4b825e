// The expansion is warning-free under `deny(warnings)` and clippy's pedantic
// lints (clippy itself runs on tests/tests/logged_pedantic.rs).
#![deny(warnings, clippy::pedantic)]
use pulselog::prelude::*;

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

#[logged(level = "info", name = "run_job", request_id, fields(job = id), args, ret, err)]
fn run(id: u32, retries: u8) -> Result<u32, Failed> {
    if retries == 0 {
        return Err(Failed);
    }
    Ok(id)
}

#[logged(request_id = "fixed", args(id), err(level = "warning"))]
async fn run_async(id: u32, _token: &str) -> Result<u32, Failed> {
    Ok(id)
}

impl pulselog::ErrorLevel for Failed {
    fn error_level(&self) -> Level {
        Level::Warning
    }
}

#[logged(err(message = "job failed", level = |e| if e.to_string().is_empty() { Level::Info } else { Level::Error }))]
fn classified(id: u32) -> Result<u32, Failed> {
    if id == 0 { Err(Failed) } else { Ok(id) }
}

#[logged(err)]
fn by_type(id: u32) -> Result<u32, Failed> {
    if id == 0 { Err(Failed) } else { Ok(id) }
}

pub fn main() {
    let _ = classified(0);
    let _ = by_type(0);
    let _ = run(1, 0);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let _ = rt.block_on(run_async(1, "secret"));
}
