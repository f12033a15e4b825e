//! Every dependency line naming pulselog in the README and `docs/` is one a
//! user can paste: each is built into a tiny crate, offline, with only the
//! path prefix the README documents (`../pulselog/`, a checkout beside the
//! user's project) pointed at this checkout. A line no registry can serve
//! (`version = "0.1"` alone), a wrong path or an unknown feature fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The prefix the README's Quick start tells users to change.
const DOCUMENTED_PREFIX: &str = "\"../pulselog/";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable docs")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The lines of the ```toml blocks of `text` that give the `pulselog`
/// dependency.
fn dependency_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_toml = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_toml = !in_toml && trimmed == "```toml";
            continue;
        }
        let names_pulselog = trimmed
            .strip_prefix("pulselog")
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if in_toml && names_pulselog {
            lines.push(trimmed.to_owned());
        }
    }
    lines
}

#[test]
fn every_documented_dependency_line_builds() {
    let root = root();
    let mut files = vec![root.join("README.md")];
    markdown_files(&root.join("docs"), &mut files);
    let mut lines: Vec<(String, PathBuf)> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable markdown");
        for line in dependency_lines(&text) {
            if !lines.iter().any(|(l, _)| *l == line) {
                lines.push((line, file.clone()));
            }
        }
    }
    // The README's Quick start and the pages for each feature.
    assert!(lines.len() >= 4, "{lines:?}");

    // One tiny crate, built once per distinct line into one target
    // directory: the dependencies are compiled once, then only pulselog
    // again for each set of features.
    let krate = Path::new(env!("CARGO_TARGET_TMPDIR")).join("doc-dependencies");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(krate.join("src/lib.rs"), "pub use pulselog;\n").unwrap();
    let checkout = format!("\"{}/", root.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (line, file) in &lines {
        let pasted = line.replacen(DOCUMENTED_PREFIX, &checkout, 1);
        let manifest = format!(
            "[package]\nname = \"doc-dependency\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{pasted}\n"
        );
        std::fs::write(krate.join("Cargo.toml"), manifest).unwrap();
        // The checkout's versions of everything: offline, nothing new.
        std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
        let out = Command::new(&cargo)
            .args(["check", "--offline", "--quiet", "--target-dir"])
            .arg(krate.join("target"))
            .current_dir(&krate)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "the line of {} does not build as written:\n{line}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
