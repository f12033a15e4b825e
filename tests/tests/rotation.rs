//! Rotating files, from a child that writes across several rotations: every
//! line is in exactly one file, whole, in order across the files.

mod common;

use common::child::{json, run};
use std::path::{Path, PathBuf};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pulselog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `i` of every line, oldest file first (`app.log.N` … `app.log.1`,
/// `app.log`), and the number of files.
fn lines_in(dir: &Path) -> (Vec<u64>, usize) {
    let mut files: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .expect("the log directory")
        .map(|e| e.expect("an entry").path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            let n = match name.strip_prefix("app.log") {
                Some("") => 0,
                Some(suffix) => suffix.trim_start_matches('.').parse().expect("app.log.N"),
                None => panic!("unexpected file {name}"),
            };
            (n, p)
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut seen = Vec::new();
    for (_, path) in &files {
        let text = std::fs::read_to_string(path).expect("UTF-8 file");
        // Whole lines only: no line is split across two files.
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{}",
            path.display()
        );
        for line in text.lines() {
            seen.push(json(line)["i"].as_u64().expect("i"));
        }
    }
    (seen, files.len())
}

/// The child writes `n` lines of about 190 bytes into files of 256 KiB,
/// keeping `keep` old ones; returns the lines' `i` and the file count.
fn rotate(name: &str, n: u64, keep: usize) -> (Vec<u64>, usize) {
    let dir = scratch(name);
    let file = dir.join("app.log");
    let out = run(
        &[
            "rotate",
            file.to_str().unwrap(),
            &n.to_string(),
            "262144",
            &keep.to_string(),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let found = lines_in(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    found
}

#[test]
fn every_line_is_written_once_across_several_rotations() {
    let n = 20_000;
    // Some 3.8 MB: at least 14 files.
    let (seen, files) = rotate("rotate-all", n, 1000);
    assert!(files >= 5, "{files} files");
    let expected: Vec<u64> = (0..n).collect();
    assert_eq!(seen, expected, "each line once, in order across the files");
}

#[test]
fn old_files_past_the_count_are_deleted() {
    let n = 20_000;
    let (seen, files) = rotate("rotate-keep", n, 2);
    assert_eq!(files, 3, "app.log, app.log.1, app.log.2");
    // What is kept is the newest lines, each once, up to the last.
    let first = seen[0];
    assert!(first > 0, "the oldest lines were deleted");
    let expected: Vec<u64> = (first..n).collect();
    assert_eq!(seen, expected);
}
