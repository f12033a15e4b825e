//! A command-line tool's levels (`docs/cli.md`): the program's own level
//! from a `-v`/`-q` count, its dependencies' as a default, `PULSELOG_LEVEL`
//! (or `RUST_LOG`) over both where it speaks, `Config::level` over all, and
//! `Off` for nothing. The child's `cli-levels` role sets its own level with
//! `this_crate!()` and logs from its crate (`pulselog_child` and
//! `pulselog_child::db`) and as two dependencies at every level.

mod common;

use common::child::{json, run, stdout_lines};
use std::collections::BTreeSet;

/// The child's own loggers, then the dependencies it stands in for.
const OWN: [&str; 2] = ["pulselog_child", "pulselog_child::db"];
const HYPER: &str = "hyper::proto";
/// Logs through the `log` facade, which has no CRITICAL.
const REQWEST: &str = "reqwest::connect";

const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/// What the child wrote (`logger LEVEL`) with `args` after the role and
/// `env`.
fn written(args: &[&str], env: &[(&str, &str)]) -> BTreeSet<String> {
    let args: Vec<&str> = ["cli-levels"].iter().chain(args).copied().collect();
    let out = run(&args, env);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    stdout_lines(&out)
        .iter()
        .map(|l| {
            let v = json(l);
            format!(
                "{} {}",
                v["name"].as_str().unwrap(),
                v["levelname"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every logger at `lowest` and above: the first of `own` that names it,
/// else `default` (`None`: nothing).
fn expected(own: &[(&str, Option<&str>)], default: Option<&str>) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for logger in OWN.into_iter().chain([HYPER, REQWEST]) {
        let lowest = own
            .iter()
            .find(|(l, _)| *l == logger)
            .map_or(default, |(_, lowest)| *lowest);
        let Some(lowest) = lowest else { continue };
        let from = LEVELS.iter().position(|l| *l == lowest).unwrap();
        for level in &LEVELS[from..] {
            if !(logger == REQWEST && *level == "CRITICAL") {
                set.insert(format!("{logger} {level}"));
            }
        }
    }
    set
}

/// The child's own loggers at `lowest`, for `expected`.
fn own(lowest: Option<&str>) -> [(&'static str, Option<&str>); 2] {
    OWN.map(|logger| (logger, lowest))
}

#[test]
fn the_program_logs_its_debug_lines_and_not_a_dependencys() {
    let lines = written(&["debug", "warning"], &[]);
    assert_eq!(lines, expected(&own(Some("DEBUG")), Some("WARNING")));
    assert!(lines.contains("pulselog_child::db DEBUG"), "{lines:?}");
    assert!(!lines.contains("hyper::proto INFO"), "{lines:?}");
    // `-vv` of `clap-verbosity-flag`'s default, `log`'s TRACE.
    assert_eq!(
        written(&["trace", "error"], &[]),
        expected(&own(Some("TRACE")), Some("ERROR"))
    );
}

#[test]
fn pulselog_level_overrides_the_code_defaults_where_it_speaks() {
    // A bare level speaks for every module, the program's own included.
    for (var, level) in [("PULSELOG_LEVEL", "error"), ("RUST_LOG", "trace")] {
        let lowest = level.to_uppercase();
        assert_eq!(
            written(&["debug", "warning"], &[(var, level)]),
            expected(&[], Some(&lowest)),
            "{var}={level}"
        );
    }
    // A module directive speaks for that module and its submodules only.
    assert_eq!(
        written(&["debug", "warning"], &[("PULSELOG_LEVEL", "hyper=debug")]),
        expected(
            &[
                (OWN[0], Some("DEBUG")),
                (OWN[1], Some("DEBUG")),
                (HYPER, Some("DEBUG"))
            ],
            Some("WARNING")
        )
    );
    assert_eq!(
        written(
            &["debug", "warning"],
            &[("PULSELOG_LEVEL", "pulselog_child::db=critical")]
        ),
        expected(
            &[(OWN[0], Some("DEBUG")), (OWN[1], Some("CRITICAL"))],
            Some("WARNING")
        )
    );
    assert_eq!(
        written(
            &["debug", "warning"],
            &[("PULSELOG_LEVEL", "pulselog_child=error")]
        ),
        expected(&own(Some("ERROR")), Some("WARNING"))
    );
}

#[test]
fn off_silences_everything() {
    assert_eq!(written(&["off", "off"], &[]), BTreeSet::new());
    assert_eq!(
        written(&["trace", "trace"], &[("PULSELOG_LEVEL", "off")]),
        BTreeSet::new()
    );
    // `-q`: the program says nothing, its dependencies still warn.
    assert_eq!(
        written(&["off", "warning"], &[]),
        expected(&own(None), Some("WARNING"))
    );
    // `Config::level` forces, over the environment and the defaults.
    assert_eq!(
        written(&["trace", "off", "force"], &[("PULSELOG_LEVEL", "trace")]),
        BTreeSet::new()
    );
}

#[test]
fn config_level_forces_one_level_over_the_environment_and_the_defaults() {
    assert_eq!(
        written(
            &["trace", "warning", "force"],
            &[("PULSELOG_LEVEL", "trace,hyper=off")]
        ),
        expected(&[], Some("WARNING"))
    );
}
