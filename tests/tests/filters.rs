//! Level directives from the environment, one test per row of the table in
//! `docs/coming-from-tracing.md` (how they differ from env_logger's and
//! `EnvFilter`'s): the child logs from every target of its `filters` role
//! through the `log` bridge at every level, and the test compares what
//! was written with what the row says.

mod common;

use common::child::{json, run, stdout_lines};
use std::collections::BTreeSet;

/// The `filters` role's targets (tests/src/bin/pulselog-child/bridged.rs).
const TARGETS: &[&str] = &[
    "my_app",
    "my_app::db",
    "my_app::db::pool",
    "my_app::dbx",
    "my_app_extra",
    "other",
    "warning",
    "loud",
];

/// The `log` levels, least severe first, as pulselog names them.
const LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"];

/// What the child wrote (`target LEVEL`) with `var=value`, and its stderr.
fn written_with(args: &[&str], env: &[(&str, &str)]) -> (BTreeSet<String>, String) {
    let out = run(args, env);
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out)
        .iter()
        .map(|l| {
            let v = json(l);
            format!(
                "{} {}",
                v["name"].as_str().unwrap(),
                v["levelname"].as_str().unwrap()
            )
        })
        .collect();
    (lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn written(var: &str, value: &str) -> (BTreeSet<String>, String) {
    written_with(&["filters"], &[(var, value)])
}

/// Every target at `default` and above, except those given their own
/// lowest level (`None`: nothing).
fn expected(default: Option<&str>, own: &[(&str, Option<&str>)]) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for target in TARGETS {
        let lowest = own
            .iter()
            .find(|(t, _)| t == target)
            .map_or(default, |(_, l)| *l);
        let Some(lowest) = lowest else { continue };
        let from = LEVELS.iter().position(|l| *l == lowest).unwrap();
        for level in &LEVELS[from..] {
            set.insert(format!("{target} {level}"));
        }
    }
    set
}

/// The lines of stderr that report a skipped directive.
fn skipped(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("skipped")).collect()
}

#[test]
fn no_variable_is_info_everywhere() {
    let (lines, stderr) = written_with(&["filters"], &[]);
    assert_eq!(lines, expected(Some("INFO"), &[]));
    assert!(skipped(&stderr).is_empty(), "{stderr}");
}

#[test]
fn a_lone_module_enables_it_and_leaves_the_others_at_the_default() {
    let (lines, _) = written("PULSELOG_LEVEL", "my_app");
    let all = Some("TRACE");
    let own = [
        ("my_app", all),
        ("my_app::db", all),
        ("my_app::db::pool", all),
        ("my_app::dbx", all),
    ];
    assert_eq!(lines, expected(Some("INFO"), &own));
    // `my_app=` says the same.
    assert_eq!(written("PULSELOG_LEVEL", "my_app=").0, lines);
}

#[test]
fn a_default_level_and_a_module_level_combine() {
    let (lines, _) = written("RUST_LOG", "warn,my_app=debug");
    let d = Some("DEBUG");
    let own = [
        ("my_app", d),
        ("my_app::db", d),
        ("my_app::db::pool", d),
        ("my_app::dbx", d),
    ];
    assert_eq!(lines, expected(Some("WARNING"), &own));
}

#[test]
fn a_module_directive_matches_whole_path_segments() {
    let (lines, _) = written("PULSELOG_LEVEL", "my_app::db=debug,my_app=error");
    let own = [
        ("my_app", Some("ERROR")),
        ("my_app::db", Some("DEBUG")),
        ("my_app::db::pool", Some("DEBUG")),
        ("my_app::dbx", Some("ERROR")),
        // Not a segment of `my_app`: the default.
    ];
    assert_eq!(lines, expected(Some("INFO"), &own));
}

#[test]
fn a_message_filter_is_skipped_and_the_directives_before_it_apply() {
    let (lines, stderr) = written("RUST_LOG", "warn,my_app=debug/timeout");
    let d = Some("DEBUG");
    let own = [
        ("my_app", d),
        ("my_app::db", d),
        ("my_app::db::pool", d),
        ("my_app::dbx", d),
    ];
    assert_eq!(lines, expected(Some("WARNING"), &own));
    let said = skipped(&stderr);
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(
        said[0].contains("RUST_LOG")
            && said[0].contains("`/timeout`")
            && said[0].contains("`/regex`"),
        "{stderr}"
    );
}

#[test]
fn off_and_none_turn_everything_or_a_module_off() {
    for off in ["off", "OFF", "none"] {
        assert!(written("PULSELOG_LEVEL", off).0.is_empty(), "{off}");
    }
    let (lines, _) = written("PULSELOG_LEVEL", "my_app=off");
    let own = [
        ("my_app", None),
        ("my_app::db", None),
        ("my_app::db::pool", None),
        ("my_app::dbx", None),
    ];
    assert_eq!(lines, expected(Some("INFO"), &own));
}

#[test]
fn level_names_ignore_case_and_module_paths_do_not() {
    assert_eq!(
        written("PULSELOG_LEVEL", "WARN,my_app=Debug").0,
        written("PULSELOG_LEVEL", "warn,my_app=debug").0
    );
    let (lines, stderr) = written("PULSELOG_LEVEL", "MY_APP=debug");
    assert_eq!(lines, expected(Some("INFO"), &[]));
    assert!(skipped(&stderr).is_empty(), "{stderr}");
}

#[test]
fn python_s_level_names_are_levels_and_numbers_are_not() {
    // `warning` is a level here; env_logger and `EnvFilter` take it for a
    // module name.
    let (lines, _) = written("PULSELOG_LEVEL", "warning");
    assert_eq!(lines, expected(Some("WARNING"), &[]));
    // `critical` (and `fatal`, its other name) is above every `log` level.
    assert!(written("PULSELOG_LEVEL", "critical").0.is_empty());
    assert!(written("PULSELOG_LEVEL", "fatal").0.is_empty());
    // `EnvFilter` reads 4 as DEBUG; here it is a directive skipped.
    let (lines, stderr) = written("PULSELOG_LEVEL", "error,my_app=4");
    assert_eq!(lines, expected(Some("ERROR"), &[]));
    let said = skipped(&stderr);
    assert!(
        said.len() == 1 && said[0].contains("my_app=4") && said[0].contains("unknown level `4`"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_word_alone_is_a_module() {
    let (lines, stderr) = written("PULSELOG_LEVEL", "error,loud");
    assert_eq!(lines, expected(Some("ERROR"), &[("loud", Some("TRACE"))]));
    assert!(skipped(&stderr).is_empty(), "{stderr}");
}

#[test]
fn an_unknown_level_is_said_once_and_skipped_and_the_rest_applies() {
    for var in ["PULSELOG_LEVEL", "RUST_LOG"] {
        let (lines, stderr) = written(var, "warn,my_app=loud,other=error");
        assert_eq!(
            lines,
            expected(Some("WARNING"), &[("other", Some("ERROR"))]),
            "{var}"
        );
        let said = skipped(&stderr);
        assert_eq!(said.len(), 1, "once: {stderr}");
        assert!(
            said[0].starts_with(&format!(
                "pulselog: {var}: invalid level directive `my_app=loud`: unknown level `loud`"
            )),
            "{stderr}"
        );
        assert_eq!(stderr.matches("my_app=loud").count(), 1, "{stderr}");
    }
}

#[test]
fn try_init_refuses_what_init_skips() {
    let out = run(
        &["filters", "strict"],
        &[("PULSELOG_LEVEL", "warn,my_app=loud")],
    );
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("try_init: PULSELOG_LEVEL: invalid level directive `my_app=loud`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing installed");
    let (lines, _) = written_with(&["filters", "strict"], &[("PULSELOG_LEVEL", "warn")]);
    assert_eq!(lines, expected(Some("WARNING"), &[]));
}

#[test]
fn a_span_filter_is_said_with_what_to_write_and_skipped() {
    let (lines, stderr) = written("RUST_LOG", "warn,my_app[request]=debug,[{user_id}]=trace");
    assert_eq!(lines, expected(Some("WARNING"), &[]));
    let said = skipped(&stderr);
    assert_eq!(said.len(), 2, "{stderr}");
    for line in &said {
        assert!(
            line.contains("span filters") && line.contains("not supported"),
            "{line}"
        );
    }
    assert!(
        said[0].contains("write `my_app=debug` instead"),
        "{}",
        said[0]
    );
    assert!(said[1].contains("e.g. `my_app=trace`"), "{}", said[1]);
}
