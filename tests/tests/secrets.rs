//! Secrets stay out: a canary secret that the child hands to `#[logged]`
//! functions without `args`, holds in error chains (logged with
//! `log_error!`, `exc_info = ..`, `#[logged(err)]`, as `Debug` and
//! `Display`), nests in `Debug` structs wrapped in or holding a
//! `Redacted`/`SecretString`, and binds in the context is found in no
//! byte of any format's output, of stderr, nor of what
//! `pulselog::testing` captured.

mod common;

use common::child::run;

/// Messages of the events the child logs, each expected in every output.
const MESSAGES: &[&str] = &[
    "checking a password",
    "connect failed",
    "connect_traced failed",
    "signed up",
    "calling the API",
    "nested call, same context",
    "database unreachable",
    "retrying",
    "error as Debug",
    "error as Display",
    "boxed error",
    "credentials",
    "token [REDACTED] for ada",
    "session",
    "secrecy",
    "in a bound context",
];

/// A secret no source file holds: the test makes it for each run.
fn canary() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .subsec_nanos();
    format!("CaNaRy{nanos:09}x{}", std::process::id())
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| w == &needle)
        .count()
}

/// Runs the child's `secrets` role and checks every byte it wrote.
fn check(format: &str, mode: &str) {
    let secret = canary();
    let out = run(
        &["secrets", &secret, mode],
        &[("PULSELOG_FORMAT", format), ("PULSELOG_LEVEL", "trace")],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for bytes in [&out.stdout, &out.stderr] {
        assert_eq!(occurrences(bytes, secret.as_bytes()), 0, "{stdout}");
        // Nor the part of the connection string around it.
        assert_eq!(occurrences(bytes, b"postgres://"), 0, "{stdout}");
    }
    // The events were written, with their other values.
    for m in MESSAGES {
        assert!(stdout.contains(m), "no `{m}` in {format}/{mode}:\n{stdout}");
    }
    assert!(stdout.contains("ada"), "{stdout}");
    assert!(
        occurrences(&out.stdout, b"[REDACTED]") >= 20,
        "{format}/{mode}:\n{stdout}"
    );
}

#[test]
fn no_canary_in_json() {
    check("json", "");
}

#[test]
fn no_canary_in_text() {
    check("text", "");
}

#[test]
fn no_canary_in_ecs() {
    check("ecs", "");
}

#[test]
fn no_canary_in_otel() {
    check("otel", "");
}

/// The captured values and each captured event as JSON, text, ECS and
/// OTel.
#[test]
fn no_canary_in_captured_events() {
    check("json", "capture");
}

#[test]
fn redacted_values_are_written_as_redacted() {
    let secret = canary();
    let out = run(
        &["secrets", &secret],
        &[("PULSELOG_FORMAT", "json"), ("PULSELOG_LEVEL", "trace")],
    );
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = common::child::stdout_lines(&out)
        .iter()
        .map(|l| common::child::json(l))
        .collect();
    let find = |m: &str| {
        lines
            .iter()
            .find(|l| l["message"] == m)
            .unwrap_or_else(|| panic!("no `{m}` in {lines:#?}"))
    };
    assert_eq!(find("credentials")["creds"], "[REDACTED]");
    assert_eq!(find("secrecy")["token"], "[REDACTED]");
    assert_eq!(find("in a bound context")["session_key"], "[REDACTED]");
    assert_eq!(find("in a bound context")["bearer"], "[REDACTED]");
    assert_eq!(find("calling the API")["api_key"], "[REDACTED]");
    let chain = &find("database unreachable")["exc_info"]["chain"];
    assert_eq!(chain[0], "cannot connect to [REDACTED]");
    assert_eq!(chain[1], "token [REDACTED] refused");
    assert_eq!(chain[2], "connection refused");
    // `#[logged]` without `args` records no argument.
    let enter = lines
        .iter()
        .find(|l| l["message"] == "enter" && l["funcName"] == "login")
        .expect("login's enter");
    assert!(enter.get("password").is_none(), "{enter}");
}
