//! A program the process-level tests run as a child: each role exercises
//! one behaviour that only a whole process shows (flush at exit, closed
//! stdout, environment configuration). The pipeline's roles (many threads,
//! failing and stalled outputs, racing exits, memory) are a program of
//! their own, `pulselog-pipeline-child` (`tests/pipeline/`).

mod bridged;
mod cli;
mod full_disk;
mod guarded;
mod hostile;
mod outputs;
mod panics;
mod reopen;
mod repeats;
mod replay;
mod sample;
mod sampled;
mod secrets;
mod storm;

use pulselog::prelude::*;
use pulselog::{Config, Overflow};
use std::io::Write;
use std::time::Duration;

mod db {
    use pulselog::prelude::*;

    pub fn log_all() {
        trace!("db trace");
        debug!("db debug");
        info!("db info");
        warning!("db warning");
        error!("db error");
        critical!("db critical");
    }
}

fn log_all() {
    trace!("root trace");
    debug!("root debug");
    info!("root info");
    warning!("root warning");
    error!("root error");
    critical!("root critical");
}

fn side_effect(what: &str) -> &str {
    eprintln!("EVALUATED {what}");
    what
}

/// Writes slowly, to make the queue fill up.
struct Slow<W>(W);

impl<W: Write> Write for Slow<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(2));
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Takes its time over every write, as a congested pipe does.
struct SlowBatches<W>(W);

impl<W: Write> Write for SlowBatches<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(40));
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Never finishes a write: an output that stopped draining.
struct Stuck;

impl Write for Stuck {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        loop {
            std::thread::park();
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn lines(n: u64) {
    let payload = "p".repeat(40);
    for i in 0..n {
        info!("line {i}", i = i, payload = payload.as_str());
    }
}

/// `always`, `never`, or anything else for auto: one of `[always, never,
/// auto]`.
fn choice<T: Copy>(arg: &str, [always, never, auto]: [T; 3]) -> T {
    match arg {
        "always" => always,
        "never" => never,
        _ => auto,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    let n: u64 = arg(1).parse().unwrap_or(0);
    match arg(0) {
        "lines" => {
            let _guard = pulselog::init();
            lines(n);
        }
        "exit" => {
            let _guard = pulselog::init();
            lines(n);
            pulselog::exit(3);
        }
        "after-guard" => {
            let guard = pulselog::init();
            info!("before drop");
            drop(guard);
            info!("after drop");
        }
        "epipe" => {
            let _guard = pulselog::init();
            lines(n);
            eprintln!("child finished logging");
        }
        "levels" => {
            let _guard = pulselog::init();
            log_all();
            db::log_all();
            debug!(
                "disabled {}",
                side_effect("debug-arg"),
                field = side_effect("debug-field")
            );
            info!("enabled {}", side_effect("info-arg"));
        }
        "config-filter" => {
            let _guard = Config::new()
                .format(pulselog::Format::Json)
                .filter(arg(1))
                .install()
                .expect("install");
            log_all();
            db::log_all();
        }
        "config-level" => {
            let _guard = Config::new()
                .format(pulselog::Format::Json)
                .level(Level::Warning)
                .install()
                .expect("install");
            log_all();
        }
        "tls-destructor" => {
            struct LogsOnDrop;
            impl Drop for LogsOnDrop {
                fn drop(&mut self) {
                    info!("from a thread-local destructor");
                }
            }
            thread_local! {
                static SLOT: LogsOnDrop = const { LogsOnDrop };
            }
            let _guard = pulselog::init();
            std::thread::spawn(|| SLOT.with(|_| ()))
                .join()
                .expect("the thread exits cleanly");
            info!("joined");
        }
        "sample" => sample::run(),
        // threads per_thread ordinary window_ms pause_us shown|hidden [drop]
        "repeat-storm" => {
            let num = |i: usize| arg(i).parse().expect("a number");
            repeats::run(&repeats::Storm {
                threads: n,
                per_thread: num(2),
                ordinary: num(3),
                window_ms: num(4),
                pause_us: num(5),
                shown: arg(6) == "shown",
                drop: arg(7) == "drop",
            });
        }
        "secrets" => secrets::run(arg(1), arg(2)),
        // error-storm <threads> <errors per thread> <ordinary events>
        "error-storm" => storm::run(n, arg(2).parse().unwrap_or(0), arg(3).parse().unwrap_or(0)),
        // Logs `n` numbered events, paced: 50 every 15 ms; the OTLP export
        // is configured by the environment. `short` (second argument): a
        // block timeout of 300 ms.
        "export" => {
            let mut config = Config::from_env();
            if arg(2) == "short" {
                config = config.block_timeout(Duration::from_millis(300));
            }
            let _guard = config.install().expect("install");
            for i in 0..n {
                info!("export {i}", seq = i);
                if i % 50 == 49 {
                    std::thread::sleep(Duration::from_millis(15));
                }
            }
        }
        "double-init" => {
            let first = pulselog::init();
            let second = pulselog::init();
            let third = pulselog::init();
            let err = pulselog::try_init().map(|_| ()).unwrap_err();
            info!(
                "state",
                first = first.is_active(),
                second = second.is_active(),
                third = third.is_active(),
                err = %err
            );
        }
        "overflow-drop" => {
            let _guard = Config::new()
                .format(pulselog::Format::Json)
                .capacity(8)
                .overflow(Overflow::Drop)
                .writer(Slow(std::io::stdout()))
                .install()
                .expect("install");
            lines(n);
        }
        "slow-drain" => {
            let _guard = Config::new()
                .format(pulselog::Format::Json)
                .capacity(8192)
                .block_timeout(Duration::from_millis(300))
                .writer(SlowBatches(std::io::stdout()))
                .install()
                .expect("install");
            lines(n);
        }
        "stalled" => {
            let guard = Config::new()
                .capacity(4)
                .block_timeout(Duration::from_millis(100))
                .writer(Stuck)
                .install()
                .expect("install");
            lines(n);
            eprintln!("logging returned");
            pulselog::flush();
            eprintln!("flush returned");
            drop(guard);
            eprintln!("guard dropped");
        }
        "backtrace" => {
            let _guard = pulselog::init();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .expect("a runtime");
            rt.block_on(async {
                pulselog::spawn(async {
                    let err = std::io::Error::other("disk on fire");
                    log_error!(err, "failed in a task", exc_info);
                })
                .await
                .expect("the task")
            });
        }
        "panic" => {
            use pulselog::PanicStderr::{Always, Auto, Never};
            let stderr = choice(arg(1), [Always, Never, Auto]);
            let _guard = Config::from_env()
                .panic_stderr(stderr)
                .install()
                .expect("install");
            let worker = std::thread::Builder::new()
                .name("worker".into())
                .spawn(|| {
                    let v: Vec<u32> = Vec::new();
                    v[std::hint::black_box(3)]
                })
                .expect("a thread");
            assert!(worker.join().is_err());
            info!("after the panic");
        }
        "rotate" => {
            // rotate <file> <lines> <bytes per file> <old files kept>
            let file = pulselog::RollingFile::new(
                arg(1),
                pulselog::Rotation::Size(arg(3).parse().expect("a size")),
                arg(4).parse().expect("a count"),
            )
            .expect("the log file opens");
            let _guard = Config::new()
                .format(pulselog::Format::Json)
                .writer(file)
                .install()
                .expect("install");
            lines(arg(2).parse().expect("a line count"));
        }
        "colour" => {
            use pulselog::ColorChoice::{Always, Auto, Never};
            let _guard = Config::new()
                .format(pulselog::Format::Text)
                .text(pulselog::TextFormat::new().color(choice(arg(1), [Always, Never, Auto])))
                .install()
                .expect("install");
            lines(2);
        }
        other => {
            if !hostile::run(other)
                && !bridged::run(other, &args[1..])
                && !panics::run(other, &args[1..])
                && !outputs::run(other, &args[1..])
                && !reopen::run(other, &args[1..])
                && !full_disk::run(other, &args[1..])
                && !cli::run(other, &args[1..])
                && !sampled::run(other, &args[1..])
                && !guarded::run(other, &args[1..])
                && !replay::run(other, &args[1..])
            {
                eprintln!("unknown role `{other}`");
                std::process::exit(2);
            }
        }
    }
}
