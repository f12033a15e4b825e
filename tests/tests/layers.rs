//! The runtime's layering, checked: every `crate::<module>` reference in
//! `runtime/src` (a `use`, a path, a doc link) points at the same layer or a
//! lower one. The table is the one in `runtime/src/lib.rs`'s module docs.

use std::path::{Path, PathBuf};

/// Layers from the bottom up, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    ("primitives", &["level", "filter", "clock", "sync"]),
    (
        "event model",
        &[
            "value", "callsite", "record", "context", "exc_info", "logged", "capture",
        ],
    ),
    ("formats", &["format"]),
    (
        "pipeline",
        &["queue", "repeats", "writer", "export", "logger", "file"],
    ),
    ("testing", &["testing"]),
    ("integrations", &["log_bridge", "tracing", "tower"]),
    ("install", &["config", "panic", "lib"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("runtime/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`lib` for the crate root).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under runtime/src");
    let first = rel.components().next().expect("a file name");
    let first = first.as_os_str().to_str().expect("UTF-8 path");
    first.strip_suffix(".rs").unwrap_or(first).to_owned()
}

/// The modules a line names through `crate::`: `crate::a::…` and each name
/// of a grouped `crate::{a, b::…}`. `$crate` (macro paths) is not a
/// reference from this file.
fn referenced(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        let after = &rest[at + "crate::".len()..];
        rest = after;
        let prefix_ok = !before.ends_with('$')
            && !before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !prefix_ok {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// Violations in one file: (line number, referenced module, its layer).
fn violations(src: &Path, file: &Path) -> Vec<String> {
    let module = module_of(src, file);
    let Some(own) = layer_of(&module) else {
        return vec![format!(
            "{}: module `{module}` is in no layer: add it to the table here and in lib.rs",
            file.display()
        )];
    };
    let text = std::fs::read_to_string(file).expect("a source file");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for name in referenced(line) {
            // An item re-exported at the crate root (`crate::Level`) is a
            // reference to the root, the top layer.
            let target =
                if name.starts_with(|c: char| c.is_uppercase()) || layer_of(&name).is_none() {
                    "lib".to_owned()
                } else {
                    name
                };
            let theirs = layer_of(&target).expect("lib is in the table");
            if theirs > own && target != module {
                out.push(format!(
                    "{}:{}: `{module}` ({}) refers to `crate::{target}` ({}), a higher layer: {}",
                    file.display(),
                    n + 1,
                    LAYERS[own].0,
                    LAYERS[theirs].0,
                    line.trim()
                ));
            }
        }
    }
    out
}

#[test]
fn no_module_refers_to_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 10, "found the runtime's sources");
    let found: Vec<String> = files.iter().flat_map(|f| violations(&src, f)).collect();
    assert!(
        found.is_empty(),
        "imports from a lower layer to a higher one:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_every_form_of_reference() {
    assert_eq!(referenced("use crate::logger::flush;"), ["logger"]);
    assert_eq!(
        referenced("use crate::{Level, critical, format::json};"),
        ["Level", "critical", "format"]
    );
    assert_eq!(
        referenced("/// see [`flush`](crate::logger::flush) and crate::queue"),
        ["logger", "queue"]
    );
    assert!(referenced("$crate::__private::event!").is_empty());
    assert!(referenced("pub(crate) fn x() {}").is_empty());
    assert!(referenced("use pulselog_crate::x;").is_empty());
}
