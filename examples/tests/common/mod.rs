//! What the examples' tests share.

use std::path::PathBuf;

/// The example `name`'s binary: `cargo test` builds the examples next to
/// the test binaries.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(path.exists(), "{} not built", path.display());
    path
}
