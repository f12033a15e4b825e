//! A command-line tool's levels: its own from a `-v`/`-q` count (which
//! `clap-verbosity-flag` gives as a `log::LevelFilter`), its dependencies'
//! as a default, the environment over both where it speaks. And a small
//! tool on `pulselog::cli!()`: data on stdout, logs on stderr.

use pulselog::prelude::*;
use pulselog::{Config, Format, LevelFilter};

/// Runs `role` if it is one of this module's; false otherwise.
pub fn run(role: &str, args: &[String]) -> bool {
    match role {
        // cli-levels <own> <dependencies> [force]: the program's own level
        // as a `log::LevelFilter` (`off`, `error`, … `trace`), set with
        // `module_level(this_crate!(), ..)` from this module (not the crate
        // root); its dependencies' as pulselog's (`warning`, `critical`,
        // `off`, …) with `default_level`; `force`: `Config::level` with
        // the dependencies' level as well. Logs at every level from the
        // crate root and `db`, and as two dependencies: `hyper::proto`
        // (pulselog's macros) and `reqwest::connect` (the `log` facade).
        "cli-levels" => {
            let arg = |i: usize| args.get(i).map_or("", String::as_str);
            let own: log::LevelFilter = arg(0).parse().expect("a log::LevelFilter");
            let dependencies: LevelFilter = arg(1).parse().expect("a pulselog::LevelFilter");
            let mut config = Config::from_env()
                .format(Format::Json)
                .default_level(dependencies)
                .module_level(pulselog::this_crate!(), own);
            if arg(2) == "force" {
                config = config.level(dependencies);
            }
            let _guard = config.install().expect("install");
            crate::log_all();
            crate::db::log_all();
            for level in Level::ALL {
                log!(target: "hyper::proto", level, "hyper {level}");
            }
            for level in log::Level::iter() {
                log::log!(target: "reqwest::connect", level, "reqwest {level}");
            }
        }
        // cli-tool [-q | -v | -vv] <count | panic | load>: a tool on
        // `pulselog::cli!()`. `count` prints its data on stdout between
        // log lines (its own at every level, a dependency's at DEBUG and
        // WARNING); `panic` panics after one line; `load` prints its pid
        // on stdout, then logs from four threads until a signal ends it.
        "cli-tool" => {
            let verbosity = match args.first().map(String::as_str) {
                Some("-q") => LevelFilter::Off,
                Some("-v") => LevelFilter::Debug,
                Some("-vv") => LevelFilter::Trace,
                _ => LevelFilter::Info,
            };
            let mode = args.last().map_or("", String::as_str);
            let _guard = pulselog::cli!()
                .verbosity(verbosity)
                // `load raw`: without the signal handling, to show what it
                // prevents.
                .flush_on_signal(!args.iter().any(|a| a == "raw"))
                .install()
                .expect("install");
            let mode = if mode == "raw" { "load" } else { mode };
            match mode {
                "count" => count(),
                "panic" => {
                    info!("about to fail");
                    let n = 42;
                    panic!("boom {n}");
                }
                "load" => load(),
                other => panic!("unknown mode {other}"),
            }
        }
        // signal-backlog <n>: logs `n` events to stdout with
        // `flush_on_signal` and a queue that holds them all, says `logged`
        // on stderr, then waits for a signal: the parent reads stdout only
        // after it sent one, so the events are still queued when it comes.
        "signal-backlog" => {
            let n: u64 = args[0].parse().expect("a count");
            let _guard = Config::new()
                .format(Format::Json)
                .capacity(1 << 17)
                .flush_on_signal(true)
                .install()
                .expect("install");
            for i in 0..n {
                info!("queued", i);
            }
            eprintln!("logged");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
        _ => return false,
    }
    true
}

/// Counts two files' lines, one of them missing, as a tool that prints
/// its result on stdout would.
fn count() {
    info!("counting", files = 2);
    println!("a.txt 3");
    trace!("read a.txt", bytes = 18);
    error!("cannot read", file = "missing.txt");
    log!(target: "hyper::proto", Level::Debug, "dependency detail");
    println!("b.txt 5");
    debug!("done counting");
    log!(target: "hyper::proto", Level::Warning, "dependency trouble");
    println!("total 8");
}

/// Logs from four threads, each line numbered, until a signal ends the
/// process; the main thread prints on stdout meanwhile. Worker 0's lines
/// carry 256 KiB each: longer than a pipe takes in one write, so a signal
/// is likely to come while one is being written.
fn load() -> ! {
    println!("pid={}", std::process::id());
    for worker in 0..4u32 {
        std::thread::spawn(move || {
            let pad = if worker == 0 {
                "p".repeat(256 << 10)
            } else {
                String::new()
            };
            for n in 0u64.. {
                info!("tick", worker, n, pad = pad.as_str());
            }
        });
    }
    for n in 0u64.. {
        println!("data {n}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    unreachable!("the loop above ends only with the process")
}
