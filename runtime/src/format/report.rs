//! The report of an event's error (its chain and backtrace), which every
//! format writes in its own way.

/// The report of an error, line by line, as `f(literal, data)`: the data
/// (type, messages, frames) comes from the program and is for the caller to
/// escape as its format needs. The backtrace is in its short form (see
/// `ExcInfo::backtrace_lines`), its paths relative to the directory that
/// `file`, the event's own source file, names.
///
/// ```text
/// app::ConfigError: could not load the configuration
///   Caused by: could not read /etc/app.toml
///   Caused by: No such file or directory (os error 2)
/// Backtrace:
///     app::load at src/main.rs:42:9
///     … 9 frames in tokio, std …
///     app::main at src/main.rs:12:5
/// ```
pub(crate) fn error_report(
    exc: &crate::exc_info::ExcInfo,
    file: &str,
    mut f: impl FnMut(&str, &str),
) {
    f("", &format!("{}: {}", exc.type_name(), exc.message()));
    for cause in exc.chain().skip(1) {
        f("  Caused by: ", cause);
    }
    if exc.chain_truncated() {
        let cut = format!(
            "  Caused by: … (chain cut at {} causes)",
            crate::exc_info::MAX_CHAIN
        );
        f(&cut, "");
    }
    if let Some(lines) = exc.backtrace_lines(file) {
        f("Backtrace:", "");
        for line in &lines {
            f("    ", line);
        }
    }
}

/// [`error_report`] as plain text, one line per line.
pub(crate) fn error_report_text(exc: &crate::exc_info::ExcInfo, file: &str) -> String {
    let mut report = String::new();
    error_report(exc, file, |literal, data| {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(literal);
        report.push_str(data);
    });
    report
}
