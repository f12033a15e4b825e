//! Several outputs at once, each with its own format and filter.

use pulselog::{Config, Format, Output, debug, error, info, warn};
use std::fs::File;

/// A writer whose first write succeeds and whose next never returns.
#[derive(Default)]
struct Stuck {
    wrote: bool,
}

impl std::io::Write for Stuck {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.wrote {
            loop {
                std::thread::park();
            }
        }
        self.wrote = true;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `role`; false if it is not one of this module's.
pub fn run(role: &str, args: &[String]) -> bool {
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    match role {
        // stdout: the process filter (info), JSON; stderr: errors, text; a
        // file: everything from debug, ECS; another file: warnings and up,
        // JSON like stdout (so it shares stdout's lines).
        "outputs-three" => {
            let dir = std::path::Path::new(arg(0));
            let n: u64 = arg(1).parse().expect("a count");
            let ecs = File::create(dir.join("debug.log")).expect("debug.log");
            let warn_file = File::create(dir.join("warn.log")).expect("warn.log");
            let _guard = Config::new()
                .output(Output::stdout().format(Format::Json))
                .output(Output::stderr().format(Format::Text).filter("error"))
                .output(Output::writer(ecs).format(Format::Ecs).filter("debug"))
                .output(
                    Output::writer(warn_file)
                        .format(Format::Json)
                        .filter("warn"),
                )
                .install()
                .expect("install");
            for i in 0..n {
                debug!("debug {i}", i = i);
                info!("info {i}", i = i);
                warn!("warn {i}", i = i);
                error!("error {i}", i = i);
            }
        }
        // A command-line tool's logs: stderr only, its format and colour
        // decided by stderr.
        "outputs-cli" => {
            let _guard = Config::from_env()
                .output(Output::stderr())
                .install()
                .expect("install");
            println!("result line");
            info!("working", step = 1);
            warn!("careful", step = 2);
        }
        // stdout beside an output that gets stuck: a writer whose writes
        // never return after the first, or a syslog peer over TCP that
        // accepts and never reads. stdout must get every line.
        "outputs-stuck" => {
            let n: u64 = arg(1).parse().expect("a count");
            let stuck = match arg(0) {
                "writer" => Output::writer(Stuck::default()),
                addr => Output::syslog(pulselog::Syslog::tcp(addr).expect("a syslog peer")),
            };
            let guard = Config::new()
                .block_timeout(std::time::Duration::from_millis(500))
                .output(Output::stdout().format(Format::Json))
                .output(stuck.format(Format::Text))
                .install()
                .expect("install");
            let payload = "p".repeat(200);
            for i in 0..n {
                info!("line {i}", i = i, payload = payload.as_str());
            }
            let started = std::time::Instant::now();
            pulselog::flush();
            let flushed = started.elapsed();
            drop(guard);
            eprintln!(
                "flush took {} ms, exit {} ms",
                flushed.as_millis(),
                started.elapsed().as_millis()
            );
        }
        // The OTLP export as an output of its own, at INFO (the process
        // filter), with stdout at WARNING.
        #[cfg(feature = "otlp")]
        "outputs-otlp" => {
            let n: u64 = arg(1).parse().expect("a count");
            let _guard = Config::new()
                .service_name("export-test")
                .otlp_header("x-api-key", "secret value")
                .output(Output::otlp(arg(0)))
                .output(Output::stdout().format(Format::Json).filter("warning"))
                .install()
                .expect("install");
            for i in 0..n {
                if i % 2 == 0 {
                    info!("export {i}", seq = i);
                } else {
                    warn!("export {i}", seq = i);
                }
            }
        }
        // Hundreds of threads into two outputs (stdout JSON, a text file),
        // each output on its own thread; thread 0 also logs a 1 MiB value.
        "outputs-many" => {
            let path = std::path::Path::new(arg(0));
            let threads: u64 = arg(1).parse().expect("a thread count");
            let n: u64 = arg(2).parse().expect("a count");
            // `sync`: written by the threads that log (`Config::synchronous`).
            let _guard = Config::new()
                .synchronous(arg(3) == "sync")
                .output(Output::stdout().format(Format::Json))
                .output(Output::writer(File::create(path).expect("file")).format(Format::Text))
                .install()
                .expect("install");
            std::thread::scope(|s| {
                for t in 0..threads {
                    s.spawn(move || {
                        if t == 0 {
                            let big = "b".repeat(1 << 20);
                            info!("big", t = t, big = big.as_str());
                        }
                        for i in 0..n {
                            info!("event", t = t, i = i);
                        }
                    });
                }
            });
        }
        // An output with an invalid filter: install fails, naming it.
        "outputs-bad-filter" => {
            let e = Config::new()
                .output(Output::stdout().filter("info,[span]=debug"))
                .install()
                .expect_err("an invalid filter");
            eprintln!("install failed: {e}");
        }
        _ => return false,
    }
    true
}
