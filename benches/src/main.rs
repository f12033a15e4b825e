//! `bench`: runs every contender in its own process and writes the report.
//!
//! ```text
//! cargo run --release -p pulselog-benches --bin bench -- [--quick | --full]
//!     [--only NAME,NAME] [--rounds R] [--output PATH | --no-write]
//! cargo run --release -p pulselog-benches --bin bench -- callgrind [--output PATH | --no-write]
//!     (instruction counts per call and per line, under valgrind)
//! cargo run --release -p pulselog-benches --bin bench -- build-cost [--reps R]
//!     [--output PATH | --no-write]
//!     (incremental rebuild of a crate of 1,000 log calls, pulselog and tracing)
//! cargo run --release -p pulselog-benches --bin bench -- build-weight [--rounds R]
//!     [--against REV] [--output PATH | --no-write]
//!     (clean build of a hello-world, pulselog against tracing and env_logger)
//! cargo run --release -p pulselog-benches --bin bench -- startup [--rounds R]
//!     [--against REV] [--output PATH | --no-write]
//!     (a process that installs its logger, logs one line and exits:
//!     pulselog against env_logger and /bin/true)
//! bench child CONTENDER WORKLOAD N CAPACITY OUT [W1_LINES_PER_S]
//!     (one measurement, used by the driver; the paced workloads need the
//!     logger's W1 capacity)
//! ```

use pulselog_benches::build_cost::{self, Measured, Profile, Subject};
use pulselog_benches::build_weight::{self, Stack};
use pulselog_benches::callgrind;
use pulselog_benches::report::{self, Paced, Results, Setup};
use pulselog_benches::startup;
use pulselog_benches::stats::Spread;
use pulselog_benches::stats::{parse_result, result_line};
use pulselog_benches::workload::Workload;
use pulselog_benches::{CONTENDERS, contender, run_job};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CAPACITY: usize = 16 * 1024;
/// A child that takes longer than this is stuck (a deadlock, a sink that
/// stopped draining): it is killed and reported.
const CHILD_TIMEOUT: Duration = Duration::from_secs(120);

struct Options {
    setup: Setup,
    only: Option<Vec<String>>,
    output: Option<PathBuf>,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: bench [--quick | --full] [--only NAME,NAME] [--rounds R] [--output PATH | --no-write]\n\
         \x20      bench callgrind [--output PATH | --no-write]\n\
         \x20      bench build-cost [--reps R] [--output PATH | --no-write]\n\
         \x20      bench build-weight [--rounds R] [--against REV] [--output PATH | --no-write]\n\
         \x20      bench startup [--rounds R] [--against REV] [--output PATH | --no-write]\n\
         contenders: {}",
        CONTENDERS
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    );
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => return child(&args[1..]),
        Some("callgrind") => return callgrind(&args[1..]),
        Some("build-cost") => return build_cost(&args[1..]),
        Some("build-weight") => return build_weight(&args[1..]),
        Some("startup") => return startup(&args[1..]),
        _ => {}
    }
    match parse(&args) {
        Some(opts) => drive(opts),
        None => usage(),
    }
}

fn child(args: &[String]) -> ExitCode {
    let (name, workload, n, capacity, out, w1_rate) = match args {
        [name, workload, n, capacity, out] => (name, workload, n, capacity, out, None),
        [name, workload, n, capacity, out, rate] => match rate.parse::<f64>() {
            Ok(rate) if rate > 0.0 => (name, workload, n, capacity, out, Some(rate)),
            _ => return usage(),
        },
        _ => return usage(),
    };
    let (Some(workload), Ok(n), Ok(capacity)) =
        (Workload::parse(workload), n.parse(), capacity.parse())
    else {
        return usage();
    };
    if contender(name).is_none_or(|c| !c.workloads.contains(&workload))
        || (workload.is_paced() && w1_rate.is_none())
    {
        return usage();
    }
    let figures = run_job(&pulselog_benches::Job {
        contender: name,
        workload,
        n,
        capacity,
        out: Path::new(out),
        w1_rate,
    });
    println!("{}", result_line(&figures));
    ExitCode::SUCCESS
}

/// Instruction counts under callgrind, written into `BENCHMARKS.md`.
fn callgrind(args: &[String]) -> ExitCode {
    let output = match args {
        [] => Some(workspace_root().join("BENCHMARKS.md")),
        [flag] if flag == "--no-write" => None,
        [flag, path] if flag == "--output" => Some(PathBuf::from(path)),
        _ => return usage(),
    };
    let exe = std::env::current_exe().expect("own executable");
    let scratch = std::env::temp_dir().join(format!("pulselog-callgrind-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    eprintln!(
        "bench: {} children under callgrind, {} events each",
        6 + callgrind::FORMATS.len() + callgrind::VOLUME.len(),
        callgrind::N
    );
    let counts =
        callgrind::counts(&exe, &scratch).and_then(|c| Ok((c, callgrind::volume(&exe, &scratch)?)));
    let _ = std::fs::remove_dir_all(&scratch);
    let (counts, volume) = match counts {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let generated = callgrind::render(&counts);
    let written = write_section(
        output.as_deref(),
        &generated,
        callgrind::BEGIN,
        callgrind::END,
    );
    if written != ExitCode::SUCCESS {
        return written;
    }
    write_section(
        output.as_deref(),
        &callgrind::render_volume(&counts, &volume),
        callgrind::VOLUME_BEGIN,
        callgrind::VOLUME_END,
    )
}

/// Incremental rebuilds of a generated pulselog crate and its `tracing`
/// twin, written into `BENCHMARKS.md`.
fn build_cost(args: &[String]) -> ExitCode {
    let mut reps = 5;
    let mut output = Some(workspace_root().join("BENCHMARKS.md"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--reps" => match it.next().and_then(|r| r.parse().ok()) {
                Some(r) if r > 0 => reps = r,
                _ => return usage(),
            },
            "--output" => match it.next() {
                Some(path) => output = Some(PathBuf::from(path)),
                None => return usage(),
            },
            "--no-write" => output = None,
            _ => return usage(),
        }
    }
    let root = workspace_root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let scratch = std::env::temp_dir().join(format!("pulselog-build-cost-{}", std::process::id()));
    let dirs = Subject::ALL.map(|s| scratch.join(s.name()));
    for (dir, subject) in dirs.iter().zip(Subject::ALL) {
        if let Err(e) = build_cost::generate(dir, subject, &root.join("runtime"), &lock) {
            eprintln!("bench: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "bench: two crates of {} calls in {} functions in {}, {reps} rebuilds each per profile",
        build_cost::CALLS,
        build_cost::FUNCTIONS,
        scratch.display()
    );
    let load_before = load_average();
    let mut results = Vec::new();
    for profile in Profile::ALL {
        match build_cost::measure(&dirs, profile, reps) {
            Ok(times) => results.push((profile, times)),
            Err(e) => {
                eprintln!("bench: {e}");
                let _ = std::fs::remove_dir_all(&scratch);
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let mut rows = vec![("Commit".to_owned(), commit())];
    rows.extend(
        environment()
            .into_iter()
            .filter(|(label, _)| label != "Crates"),
    );
    rows.push(("Crates".to_owned(), versions(&["pulselog", "tracing"])));
    rows.push((
        "Load average (1 min), before and after".to_owned(),
        format!("{load_before} and {}", load_average()),
    ));
    let measured = Measured {
        reps,
        environment: rows,
    };
    let generated = build_cost::render(&measured, &results);
    write_section(
        output.as_deref(),
        &generated,
        build_cost::BEGIN,
        build_cost::END,
    )
}

/// The options of `build-weight` and `startup`.
struct RoundsArgs {
    rounds: usize,
    /// `--against REV`: a commit of pulselog measured beside this checkout.
    against: Option<String>,
    /// Where the table goes (`None`: `--no-write`).
    output: Option<PathBuf>,
}

impl RoundsArgs {
    /// `[--rounds R] [--against REV] [--output PATH | --no-write]`;
    /// `None` for anything else.
    fn parse(args: &[String], rounds: usize) -> Option<RoundsArgs> {
        let mut parsed = RoundsArgs {
            rounds,
            against: None,
            output: Some(workspace_root().join("BENCHMARKS.md")),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--rounds" => parsed.rounds = it.next()?.parse().ok().filter(|&r| r > 0)?,
                "--against" => parsed.against = Some(it.next()?.clone()),
                "--output" => parsed.output = Some(PathBuf::from(it.next()?)),
                "--no-write" => parsed.output = None,
                _ => return None,
            }
        }
        Some(parsed)
    }
}

/// Clean builds of a hello-world with pulselog (this checkout, and the
/// commit `--against` names), with the `tracing` stack and with
/// `env_logger`, written into `BENCHMARKS.md`.
fn build_weight(args: &[String]) -> ExitCode {
    let Some(RoundsArgs {
        rounds,
        against,
        output,
    }) = RoundsArgs::parse(args, 3)
    else {
        return usage();
    };
    let root = workspace_root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let scratch =
        std::env::temp_dir().join(format!("pulselog-build-weight-{}", std::process::id()));
    let pulselog = |label: String, runtime: PathBuf| build_weight::Subject {
        label,
        stack: Stack::Pulselog,
        runtime: Some(runtime),
    };
    let mut subjects = vec![(
        pulselog(format!("pulselog at {}", commit()), root.join("runtime")),
        lock.clone(),
    )];
    if let Some(rev) = &against {
        match export(rev, &scratch.join("before")) {
            Ok((dir, label, old_lock)) => {
                subjects.push((
                    pulselog(format!("pulselog at {label}"), dir.join("runtime")),
                    old_lock,
                ));
            }
            Err(e) => {
                eprintln!("bench: {e}");
                let _ = std::fs::remove_dir_all(&scratch);
                return ExitCode::FAILURE;
            }
        }
    }
    for stack in [Stack::Tracing, Stack::EnvLogger] {
        let subject = build_weight::Subject {
            label: stack.name().to_owned(),
            stack,
            runtime: None,
        };
        subjects.push((subject, lock.clone()));
    }
    let mut dirs = Vec::new();
    let mut results = build_weight::Results::default();
    for (i, (subject, lock)) in subjects.into_iter().enumerate() {
        let package = format!("hello-{i}");
        let dir = scratch.join(&package);
        if let Err(e) = build_weight::generate(&dir, &subject, &package, &lock) {
            eprintln!("bench: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        let graph = match build_weight::graph(&dir) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("bench: {e}");
                let _ = std::fs::remove_dir_all(&scratch);
                return ExitCode::FAILURE;
            }
        };
        eprintln!("  {package}: {} ({} crates)", subject.label, graph.len());
        results.subjects.push((subject, graph, Vec::new()));
        dirs.push(dir);
    }
    eprintln!(
        "bench: {rounds} rounds of {} clean builds in {}",
        dirs.len(),
        scratch.display()
    );
    let load = || load_average().parse().unwrap_or(f64::NAN);
    let builds = build_weight::measure(&dirs, rounds, load);
    let _ = std::fs::remove_dir_all(&scratch);
    let builds = match builds {
        Ok(b) => b,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (entry, b) in results.subjects.iter_mut().zip(builds) {
        entry.2 = b;
    }
    let mut rows: Vec<(String, String)> = environment()
        .into_iter()
        .filter(|(label, _)| label != "Crates")
        .collect();
    rows.push((
        "Crates".to_owned(),
        versions(&[
            "tracing",
            "tracing-subscriber",
            "tracing-appender",
            "log",
            "env_logger",
        ]),
    ));
    let measured = build_weight::Measured {
        rounds,
        environment: rows,
    };
    let generated = build_weight::render(&measured, &results);
    write_section(
        output.as_deref(),
        &generated,
        build_weight::BEGIN,
        build_weight::END,
    )
}

/// Start-up of a process that installs its logger and logs one line:
/// pulselog (this checkout, and the commit `--against` names), env_logger
/// and `/bin/true`, written into `BENCHMARKS.md`.
fn startup(args: &[String]) -> ExitCode {
    let Some(RoundsArgs {
        rounds,
        against,
        output,
    }) = RoundsArgs::parse(args, 100)
    else {
        return usage();
    };
    let exe = std::env::current_exe().expect("own executable");
    let bin_dir = exe
        .parent()
        .expect("executable in a directory")
        .to_path_buf();
    // The children are this crate's binaries, built beside this one (with
    // the same profile) if they are not up to date.
    let mut build = cargo();
    build
        .args(["build", "--release", "-p", "pulselog-benches"])
        .args(["--bin", "startup-pulselog", "--bin", "startup-pulselog-cli"])
        .args(["--bin", "startup-env-logger"])
        .current_dir(workspace_root());
    if let Err(e) = run_quietly(build) {
        eprintln!("bench: {e}");
        return ExitCode::FAILURE;
    }
    let mut subjects = vec![
        startup::Subject {
            label: format!("pulselog at {}", commit()),
            exe: bin_dir.join("startup-pulselog"),
        },
        startup::Subject {
            label: format!("pulselog `cli!()` at {}", commit()),
            exe: bin_dir.join("startup-pulselog-cli"),
        },
    ];
    let scratch = std::env::temp_dir().join(format!("pulselog-startup-{}", std::process::id()));
    if let Some(rev) = &against {
        match build_startup_at(rev, &scratch, &bin_dir) {
            Ok(subject) => subjects.push(subject),
            Err(e) => {
                eprintln!("bench: {e}");
                let _ = std::fs::remove_dir_all(&scratch);
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    subjects.push(startup::Subject {
        label: "env_logger".to_owned(),
        exe: bin_dir.join("startup-env-logger"),
    });
    subjects.push(startup::Subject {
        label: "`/bin/true`".to_owned(),
        exe: PathBuf::from("/bin/true"),
    });
    eprintln!(
        "bench: {rounds} interleaved runs of {} binaries",
        subjects.len()
    );
    let load_before = load_average();
    let times = match startup::measure(&subjects, rounds) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut rows: Vec<(String, String)> = environment()
        .into_iter()
        .filter(|(label, _)| label != "Crates")
        .collect();
    rows.push((
        "Crates".to_owned(),
        format!(
            "{} (the children are this crate's binaries: pulselog with its `log` and `tracing` features, env_logger without its default features, as the other tables)",
            versions(&["pulselog", "log", "env_logger"])
        ),
    ));
    rows.push((
        "Load average (1 min), before and after".to_owned(),
        format!("{load_before} and {}", load_average()),
    ));
    let measured = startup::Measured {
        rounds,
        environment: rows,
    };
    let generated = startup::render(&measured, &subjects, &times);
    write_section(output.as_deref(), &generated, startup::BEGIN, startup::END)
}

/// Builds the pulselog start-up child against `runtime/` at `rev`, in a
/// crate of its own under `scratch` whose build shares this build's target
/// directory (its dependencies compiled once).
fn build_startup_at(rev: &str, scratch: &Path, bin_dir: &Path) -> Result<startup::Subject, String> {
    let (dir, label, lock) = export(rev, &scratch.join("before"))?;
    let krate = scratch.join("startup-before");
    let name = "startup-pulselog-before";
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\npulselog = {{ path = {:?}, features = [\"log\", \"tracing\"] }}\n\n\
         [workspace]\n",
        dir.join("runtime")
    );
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().expect("a file in a directory"))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(krate.join("Cargo.toml"), &manifest)?;
    write(krate.join("Cargo.lock"), &lock)?;
    write(krate.join("src/main.rs"), startup::PULSELOG_SOURCE)?;
    let target = bin_dir.parent().expect("target/release has a parent");
    let mut build = cargo();
    build
        .args(["build", "--release"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&krate);
    eprintln!("bench: building the pulselog child at {label}");
    run_quietly(build)?;
    Ok(startup::Subject {
        label: format!("pulselog at {label}"),
        exe: bin_dir.join(name),
    })
}

/// The `cargo` that runs this benchmark, or the one on the path.
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command`, its output shown only when it fails.
fn run_quietly(mut command: Command) -> Result<(), String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Writes the workspace's manifest, `runtime/` and `macros/` at `rev` into
/// `dir`; returns the `runtime/`'s directory's parent, the commit's short
/// name and its `Cargo.lock` (the versions it pinned).
fn export(rev: &str, dir: &Path) -> Result<(PathBuf, String, String), String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))
            .and_then(|o| {
                if o.status.success() {
                    Ok(o.stdout)
                } else {
                    Err(format!(
                        "git {}: {}",
                        args.join(" "),
                        String::from_utf8_lossy(&o.stderr).trim()
                    ))
                }
            })
    };
    let label = String::from_utf8_lossy(&git(&["log", "-1", "--format=%h (%cs)", rev])?)
        .trim()
        .to_owned();
    let lock = String::from_utf8_lossy(&git(&["show", &format!("{rev}:Cargo.lock")])?).into_owned();
    let tar = git(&[
        "archive",
        "--format=tar",
        rev,
        "Cargo.toml",
        "README.md",
        "runtime",
        "macros",
    ])?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut child = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(&tar).map_err(|e| format!("tar: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar -x into {} failed", dir.display()));
    }
    Ok((dir.to_path_buf(), label, lock))
}

/// The machine's 1-minute load average (`/proc/loadavg`): other builds
/// running beside the measured ones slow them down.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The checked-out commit, marked when `runtime/` or `macros/` differ from
/// it (the code a build measures).
fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["log", "-1", "--format=%h (%cs)"]) else {
        return "unknown".to_owned();
    };
    let changed =
        git(&["status", "--porcelain", "--", "runtime", "macros"]).is_some_and(|s| !s.is_empty());
    if changed {
        format!("{head} (with uncommitted changes to runtime/ or macros/)")
    } else {
        head
    }
}

/// Writes a generated section into `path` between its markers, or prints
/// it.
fn write_section(path: Option<&Path>, generated: &str, begin: &str, end: &str) -> ExitCode {
    let Some(path) = path else {
        print!("{generated}");
        return ExitCode::SUCCESS;
    };
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let spliced = report::splice_between(&existing, generated, begin, end);
    if let Err(e) = std::fs::write(path, spliced) {
        eprintln!("bench: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("bench: wrote {}", path.display());
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Option<Options> {
    let mut quick = false;
    let mut rounds = None;
    let mut only = None;
    let mut output = Some(workspace_root().join("BENCHMARKS.md"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--full" => quick = false,
            "--rounds" => rounds = Some(it.next()?.parse().ok()?),
            "--only" => only = Some(it.next()?.split(',').map(str::to_owned).collect()),
            "--output" => output = Some(PathBuf::from(it.next()?)),
            "--no-write" => output = None,
            _ => return None,
        }
    }
    let (mode, default_rounds, n, n_disabled, n_function) = if quick {
        ("quick", 3, 200_000, 20_000_000, 50_000)
    } else {
        ("full", 5, 1_000_000, 100_000_000, 200_000)
    };
    let paced = if quick {
        Paced {
            seconds: 0.2,
            min_events: 10_000,
            burst_events: 10_000,
        }
    } else {
        Paced {
            seconds: 0.5,
            min_events: 20_000,
            burst_events: 20_000,
        }
    };
    Some(Options {
        setup: Setup {
            mode,
            rounds: rounds.unwrap_or(default_rounds),
            n,
            n_disabled,
            n_function,
            paced,
            capacity: CAPACITY,
            environment: Vec::new(),
            elapsed_s: 0.0,
        },
        only,
        output,
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ sits in the workspace")
        .to_path_buf()
}

fn drive(mut opts: Options) -> ExitCode {
    let started = Instant::now();
    let exe = std::env::current_exe().expect("own executable");
    let selected: Vec<_> = CONTENDERS
        .iter()
        .filter(|c| {
            opts.only
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == c.name))
        })
        .collect();
    let (paced_jobs, jobs): (Vec<Job<'_>>, Vec<Job<'_>>) = selected
        .iter()
        .flat_map(|c| c.workloads.iter().map(|w| (c.name, *w)))
        .filter(|(_, w)| *w != Workload::Volume)
        .partition(|(_, w)| matches!(w, Workload::Paced(_) | Workload::Bursts));
    let setup = &opts.setup;
    let n_for = |w: Workload| match w {
        Workload::W1 | Workload::W2 | Workload::Volume => setup.n,
        Workload::W3 => setup.n_disabled,
        Workload::W4On | Workload::W4Off | Workload::W5 => setup.n_function,
        Workload::Paced(_) | Workload::Bursts => setup.paced.burst_events,
    };
    let scratch = std::env::temp_dir().join(format!("pulselog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    let mut results = Results::default();
    eprintln!(
        "bench: {} mode, {} rounds of {} jobs, plus a file run per throughput job, then {} rounds of {} paced jobs",
        setup.mode,
        setup.rounds,
        jobs.len(),
        setup.rounds,
        paced_jobs.len()
    );

    // File runs first (lossless check), then interleaved rounds: each round
    // runs every job once, starting one job later than the round before.
    for &(name, w) in jobs.iter().filter(|(name, w)| {
        *name != "baseline"
            && matches!(
                w,
                Workload::W1 | Workload::W2 | Workload::W4On | Workload::W5
            )
    }) {
        let file = scratch.join(format!("{name}-{}.log", w.name()));
        match run_child(&exe, name, w, n_for(w), setup.capacity, &file, None) {
            Ok(fig) => {
                let found = fig.get("lines").copied().unwrap_or(0.0) as u64;
                let expected = fig
                    .get("expected_lines")
                    .copied()
                    .unwrap_or(n_for(w) as f64) as u64;
                eprintln!(
                    "  file  {name:<20} {:<7} {found}/{expected} lines",
                    w.name()
                );
                results
                    .files
                    .insert((name.to_owned(), w), (found, expected));
            }
            Err(e) => results.failures.push(e),
        }
        let _ = std::fs::remove_file(&file);
    }
    run_rounds(&exe, setup, &jobs, &mut results, |_, w| (n_for(w), None));

    // The paced runs offer a fraction of each logger's W1 capacity in this
    // run (the baseline, the harness alone, runs at pulselog's rates).
    let capacities: BTreeMap<String, f64> = results
        .runs
        .iter()
        .filter(|((_, w), _)| *w == Workload::W1)
        .filter_map(|((name, _), runs)| {
            let rates: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.get("lines_per_s").copied())
                .collect();
            Some((name.clone(), Spread::of(&rates)?.median))
        })
        .collect();
    let capacity_of = |name: &str| {
        let of = if name == "baseline" && capacities.contains_key("pulselog") {
            "pulselog"
        } else {
            name
        };
        capacities.get(of).copied()
    };
    let paced_jobs: Vec<Job<'_>> = paced_jobs
        .into_iter()
        .filter(|(name, _)| capacity_of(name).is_some())
        .collect();
    run_rounds(&exe, setup, &paced_jobs, &mut results, |name, w| {
        let w1 = capacity_of(name);
        match (w, w1) {
            (Workload::Paced(load), Some(w1)) => {
                let rate = w1 * f64::from(load) / 100.0;
                (setup.paced.events_at(rate), Some(w1))
            }
            _ => (n_for(w), None),
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);

    opts.setup.environment = environment();
    opts.setup.elapsed_s = started.elapsed().as_secs_f64();
    let generated = report::render(&opts.setup, &results);
    let written = write_section(
        opts.output.as_deref(),
        &generated,
        report::BEGIN,
        report::END,
    );
    if written != ExitCode::SUCCESS {
        return written;
    }
    if results.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &results.failures {
            eprintln!("bench: {f}");
        }
        ExitCode::FAILURE
    }
}

/// A contender and a workload it runs.
type Job<'a> = (&'a str, Workload);

/// Runs every job once per round, each round starting one job later than
/// the round before; `params` gives a job's N and the W1 capacity it is
/// paced by.
fn run_rounds(
    exe: &Path,
    setup: &Setup,
    jobs: &[Job<'_>],
    results: &mut Results,
    params: impl Fn(&str, Workload) -> (u64, Option<f64>),
) {
    for round in 0..setup.rounds {
        for k in 0..jobs.len() {
            let (name, w) = jobs[(k + round) % jobs.len()];
            let (n, w1_rate) = params(name, w);
            match run_child(
                exe,
                name,
                w,
                n,
                setup.capacity,
                Path::new("/dev/null"),
                w1_rate,
            ) {
                Ok(mut fig) => {
                    eprintln!("  r{round}    {name:<20} {:<8} {}", w.name(), brief(&fig));
                    // Rows of one round ran close in time: the report pairs them.
                    fig.insert("round".to_owned(), round as f64);
                    results
                        .runs
                        .entry((name.to_owned(), w))
                        .or_default()
                        .push(fig);
                }
                Err(e) => results.failures.push(e),
            }
        }
    }
}

fn brief(fig: &std::collections::BTreeMap<String, f64>) -> String {
    let g = |k: &str| fig.get(k).copied().unwrap_or(f64::NAN);
    if fig.contains_key("disabled_ns") {
        format!(
            "disabled {:.2} ns, empty {:.2} ns",
            g("disabled_ns"),
            g("empty_ns")
        )
    } else if let Some(offered) = fig.get("offered_per_s") {
        format!(
            "p50 {:.0} ns, p99.9 {:.0} ns, offered {:.2} M/s, achieved {:.2} M/s",
            g("p50_ns"),
            g("p999_ns"),
            offered / 1e6,
            g("achieved_per_s") / 1e6
        )
    } else {
        format!(
            "mean {:.0} ns, p50 {:.0} ns, {:.2} M/s, rss {:.1} MiB",
            g("mean_ns"),
            g("p50_ns"),
            g("lines_per_s") / 1e6,
            g("rss_kib") / 1024.0
        )
    }
}

/// Runs one measurement in a fresh process.
fn run_child(
    exe: &Path,
    name: &str,
    w: Workload,
    n: u64,
    capacity: usize,
    out: &Path,
    w1_rate: Option<f64>,
) -> Result<std::collections::BTreeMap<String, f64>, String> {
    let what = format!("{name} {}", w.name());
    let mut child = Command::new(exe)
        .args([
            "child",
            name,
            w.name(),
            &n.to_string(),
            &capacity.to_string(),
        ])
        .arg(out)
        .args(w1_rate.map(|r| format!("{r:.0}")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    let deadline = Instant::now() + CHILD_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what}: killed after {CHILD_TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("{what}: {e}")),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(format!("{what}: exited with {}: {last}", output.status));
    }
    parse_result(&stdout).ok_or_else(|| format!("{what}: no result line"))
}

/// Machine, toolchain, crate versions and date.
fn environment() -> Vec<(String, String)> {
    let mut env = Vec::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    env.push((
        "Machine".to_owned(),
        format!("{cpu}, {cores} logical CPUs, {}", std::env::consts::OS),
    ));
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    env.push(("Toolchain".to_owned(), rustc));
    env.push(("Crates".to_owned(), crate_versions()));
    env.push((
        "Date".to_owned(),
        jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
    ));
    env
}

/// Versions of the compared crates, as resolved in `Cargo.lock`.
fn crate_versions() -> String {
    versions(&[
        "pulselog",
        "tracing",
        "tracing-subscriber",
        "tracing-appender",
        "slog",
        "slog-json",
        "slog-async",
        "log",
        "env_logger",
        "ftlog",
        "spdlog-rs",
        "logforth",
        "fastrace",
    ])
}

/// Versions of `crates`, as resolved in `Cargo.lock`.
fn versions(crates: &[&str]) -> String {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap_or_default();
    let mut found = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && crates.contains(&n.as_str())
        {
            found.push(format!("{n} {}", v.trim_matches('"')));
        }
    }
    found.join(", ")
}
