//! The short form of a backtrace, as a person reads it: the program's own
//! frames, each on its line, with every run of other frames between them
//! (the standard library, the async runtime, the web framework, any
//! dependency, pulselog) collapsed into one counted line; paths relative
//! to the workspace.
//!
//! A frame is the program's own when its file is in the workspace (learnt
//! from the file the event names) and not in a dependency's source (the
//! registry, a git checkout, the toolchain); a frame without a file when
//! its crate is one whose frames are; never pulselog's (a path dependency
//! inside the workspace is still pulselog).

use super::frame::BacktraceFrame;
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// Crates whose frames are never the program's own, wherever their files
/// are.
const NEVER_OWN: &[&str] = &[
    "pulselog",
    "pulselog_macros",
    "std",
    "core",
    "alloc",
    "backtrace",
];

/// Most crates a collapsed line names; the rest are counted.
const NAMED: usize = 5;

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

/// The name a collapsed line gives a crate: `core` and `alloc` are the
/// standard library, and so are its unmangled symbols (`__rust_try`,
/// `rust_begin_unwind`); `futures_util` and `futures_core` are `futures`.
fn crate_label(krate: &str) -> &str {
    if krate.starts_with("__rust") || krate.starts_with("rust_") {
        return "std";
    }
    match krate {
        "core" | "alloc" => "std",
        "futures_util" | "futures_core" => "futures",
        other => other,
    }
}

/// Whether `file` is in a dependency's source, not in the program's: the
/// registry's, a git checkout's, the toolchain's.
fn in_dependency(file: &str) -> bool {
    let unix = file.replace('\\', "/");
    unix.contains("/registry/src/")
        || unix.contains("/git/checkouts/")
        || unix.starts_with("/rustc/")
        || unix.contains("/.rustup/toolchains/")
}

/// Where the workspace is, learnt from the first frame whose file ends with
/// a file the events name; kept for the process.
static ROOT: OnceLock<String> = OnceLock::new();

/// The short form of `frames`: the program's own frames, runs of others
/// collapsed, paths shortened.
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
    // Own by its file: in the workspace (when it is known) and not a
    // dependency's.
    let own_file =
        |frame: &BacktraceFrame| {
            frame.file.as_deref().is_some_and(|file| {
                root.is_none_or(|r| file.starts_with(r)) && !in_dependency(file)
            }) && !NEVER_OWN.contains(&crate_of(&frame.function))
        };
    // The crates of those frames: a frame of theirs without a file (no
    // debug info for it, an inlined shim) is the program's too.
    let mut own_crates: Vec<&str> = frames
        .iter()
        .filter(|f| f.resolved && own_file(f))
        .map(|f| crate_of(&f.function))
        .collect();
    own_crates.sort_unstable();
    own_crates.dedup();
    let mut lines = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut run_len = 0usize;
    let flush = |lines: &mut Vec<String>, run: &mut Vec<&str>, run_len: &mut usize| {
        if *run_len > 0 {
            let noun = if *run_len == 1 { "frame" } else { "frames" };
            let mut names = run[..run.len().min(NAMED)].join(", ");
            if run.len() > NAMED {
                names.push_str(&format!(" and {} more", run.len() - NAMED));
            }
            lines.push(format!("… {run_len} {noun} in {names} …"));
            run.clear();
            *run_len = 0;
        }
    };
    for frame in frames {
        let krate = crate_of(&frame.function);
        // An unresolved frame is an address: it cannot be told apart, so it
        // stays on its own line.
        let own = !frame.resolved
            || own_file(frame)
            || (frame.file.is_none() && own_crates.contains(&krate));
        if own {
            flush(&mut lines, &mut run, &mut run_len);
            lines.push(display_with(frame, root).to_string());
        } else {
            let name = crate_label(krate);
            if !run.contains(&name) {
                run.push(name);
            }
            run_len += 1;
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
