//! The short form of a backtrace, as a person reads it: runs of plumbing
//! frames (the standard library, the async runtime, pulselog) collapsed
//! into one counted line, and paths relative to the workspace or a
//! dependency's own directory.

use super::frame::BacktraceFrame;
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// Crates whose frames are plumbing between the user's own: a run of them
/// is written as one counted line.
const PLUMBING: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "futures_util",
    "futures_core",
    "pulselog",
    "test",
    "backtrace",
];

/// The crate a frame's function belongs to: the first segment of its path
/// (`<tokio::runtime::task::Harness<T,S>>::poll` is tokio's; in
/// `<F as core::future::future::Future>::poll`, with a generic `F`, the
/// trait's).
pub(super) fn crate_of(function: &str) -> &str {
    let f = function.trim_start_matches(['<', '&']);
    let f = f.strip_prefix("mut ").unwrap_or(f);
    let f = f.strip_prefix("dyn ").unwrap_or(f);
    let end = f.find([':', '<', ' ', '>']).unwrap_or(f.len());
    let first = &f[..end];
    if !f[end..].starts_with("::")
        && let Some((_, trait_path)) = f.split_once(" as ")
    {
        let end = trait_path.find([':', '<', '>']).unwrap_or(trait_path.len());
        return &trait_path[..end];
    }
    first
}

/// `core` and `alloc` are the standard library too, and so are its
/// unmangled symbols (`__rust_try`, `rust_begin_unwind`).
fn plumbing_name(krate: &str) -> Option<&'static str> {
    if krate.starts_with("__rust") || krate.starts_with("rust_") {
        return Some("std");
    }
    let name = PLUMBING.iter().find(|p| **p == krate)?;
    Some(match *name {
        "core" | "alloc" => "std",
        "futures_util" | "futures_core" => "futures",
        other => other,
    })
}

/// Where the workspace is, learnt from the first frame whose file ends with
/// a file the events name; kept for the process.
static ROOT: OnceLock<String> = OnceLock::new();

/// The short form of `frames`: plumbing runs collapsed, paths shortened.
pub(super) fn short_form(frames: &[BacktraceFrame], anchor: &str) -> Vec<String> {
    if ROOT.get().is_none() && !anchor.is_empty() && !anchor.starts_with('/') {
        let root = frames.iter().find_map(|f| {
            let dir = f.file.as_deref()?.strip_suffix(anchor)?;
            dir.ends_with(['/', '\\']).then(|| dir.to_owned())
        });
        if let Some(root) = root {
            let _ = ROOT.set(root);
        }
    }
    let root = ROOT.get().map(String::as_str);
    let mut lines = Vec::new();
    let mut run: Vec<&'static str> = Vec::new();
    let mut run_len = 0usize;
    let flush = |lines: &mut Vec<String>, run: &mut Vec<&'static str>, run_len: &mut usize| {
        if *run_len > 0 {
            let noun = if *run_len == 1 { "frame" } else { "frames" };
            lines.push(format!("… {run_len} {noun} in {} …", run.join(", ")));
            run.clear();
            *run_len = 0;
        }
    };
    for frame in frames {
        // An unresolved frame is an address: it cannot be told apart, so it
        // stays on its own line.
        match plumbing_name(crate_of(&frame.function)).filter(|_| frame.resolved) {
            Some(name) => {
                if !run.contains(&name) {
                    run.push(name);
                }
                run_len += 1;
            }
            None => {
                flush(&mut lines, &mut run, &mut run_len);
                lines.push(display_with(frame, root).to_string());
            }
        }
    }
    flush(&mut lines, &mut run, &mut run_len);
    lines
}

/// A path as a person reads it: relative to the workspace, a dependency's
/// from its `<crate>-<version>` directory, the standard library's from its
/// `library` directory.
pub(super) fn short_path<'a>(file: &'a str, root: Option<&str>) -> Cow<'a, str> {
    if let Some(rel) = root.and_then(|r| file.strip_prefix(r)) {
        return Cow::Borrowed(rel);
    }
    let unix = file.replace('\\', "/");
    // `~/.cargo/registry/src/<index>/<crate>-<version>/src/lib.rs`
    if let Some((_, after)) = unix.split_once("/registry/src/")
        && let Some((_index, rel)) = after.split_once('/')
    {
        return Cow::Owned(rel.to_owned());
    }
    // `~/.cargo/git/checkouts/<repo>-<hash>/<rev>/src/lib.rs`
    if let Some((_, after)) = unix.split_once("/git/checkouts/") {
        let mut parts = after.splitn(3, '/');
        if let (Some(repo), Some(_rev), Some(rel)) = (parts.next(), parts.next(), parts.next()) {
            let repo = repo.rsplit_once('-').map_or(repo, |(name, _hash)| name);
            return Cow::Owned(format!("{repo}/{rel}"));
        }
    }
    // `/rustc/<commit>/library/core/src/…`
    if let Some(rest) = unix.strip_prefix("/rustc/")
        && let Some((_commit, rel)) = rest.split_once('/')
    {
        return Cow::Owned(rel.to_owned());
    }
    Cow::Borrowed(file)
}

/// Displays a frame with its path shortened (see [`short_path`]).
fn display_with<'a>(frame: &'a BacktraceFrame, root: Option<&str>) -> Short<'a> {
    let file = frame.file.as_deref().map(|f| short_path(f, root));
    Short(frame, file)
}

struct Short<'a>(&'a BacktraceFrame, Option<Cow<'a, str>>);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, self.1.clone())
    }
}
