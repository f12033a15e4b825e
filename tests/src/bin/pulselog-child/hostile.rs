//! Roles for the "no panic escapes, no deadlock" matrix: user code that
//! panics, fails, logs or sleeps inside formatting, logging from the odd
//! places (a `Drop` while unwinding, a panic hook, the output writer), and
//! `init`/`flush`/`exit` from many threads at once. Each role ends by
//! printing `done` on stderr once it has returned from everything it did.

use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Runs the role `role`; false if there is none.
pub fn run(role: &str) -> bool {
    match role {
        "format-faults" => format_faults(),
        "recursive-field" => recursive_field(),
        "sleepy-display" => sleepy_display(),
        "drop-while-unwinding" => drop_while_unwinding(),
        "logging-panic-hook" => logging_panic_hook(),
        "logging-writer" => logging_writer(),
        "everything-at-once" => everything_at_once(),
        _ => return false,
    }
    eprintln!("done");
    true
}

fn json() -> Config {
    Config::new().format(Format::Json)
}

struct PanicsInDisplay;
impl fmt::Display for PanicsInDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display exploded")
    }
}

struct PanicsInDebug;
impl fmt::Debug for PanicsInDebug {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug exploded")
    }
}

struct FailsInDisplay;
impl fmt::Display for FailsInDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

struct FailsInDebug;
impl fmt::Debug for FailsInDebug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("half")?;
        Err(fmt::Error)
    }
}

/// `Display`/`Debug` that panic or return `fmt::Error`, as message
/// arguments and as fields, with the panic hook installed: placeholders,
/// no report of the caught panics.
fn format_faults() {
    let _guard = json().install().expect("install");
    info!("display panics {}", PanicsInDisplay, field = %PanicsInDisplay);
    info!("debug panics {:?}", PanicsInDebug, field = ?PanicsInDebug);
    info!("display fails {}", FailsInDisplay, field = %FailsInDisplay);
    info!("debug fails {:?}", FailsInDebug, field = ?FailsInDebug);
    info!("after");
}

/// A value whose `Display` logs an event with a field of its own type.
struct LogsItself(u32);
impl fmt::Display for LogsItself {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        info!("formatting level {}", self.0, inner = %LogsItself(self.0 + 1));
        write!(f, "level {}", self.0)
    }
}

fn recursive_field() {
    let _guard = json().install().expect("install");
    info!("recursive", value = %LogsItself(0));
    info!("after");
}

/// A `Display` that sleeps while other threads log and flush: the caller
/// formats on its own thread, holding nothing that they wait for.
struct Sleeps;
impl fmt::Display for Sleeps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        std::thread::sleep(Duration::from_millis(300));
        f.write_str("slept")
    }
}

fn sleepy_display() {
    let _guard = json().install().expect("install");
    let start = Arc::new(Barrier::new(2));
    let sleeper = {
        let start = Arc::clone(&start);
        std::thread::spawn(move || {
            start.wait();
            info!("slow value", value = %Sleeps);
        })
    };
    start.wait();
    for i in 0..1000 {
        info!("meanwhile", i = i);
    }
    pulselog::flush();
    eprintln!("flushed while the value slept");
    sleeper.join().expect("the sleeping thread");
}

/// Logs when dropped.
struct LogsOnDrop(&'static str);
impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        let unwinding = std::thread::panicking();
        warning!("dropped", what = self.0, unwinding = unwinding);
    }
}

/// A `Drop` that logs while a panic unwinds, on a thread and under
/// `catch_unwind`, with the panic hook installed.
fn drop_while_unwinding() {
    let _guard = json().install().expect("install");
    let worker = std::thread::spawn(|| {
        let _d = LogsOnDrop("thread guard");
        panic!("worker failed");
    });
    assert!(worker.join().is_err());
    let caught = std::panic::catch_unwind(|| {
        let _d = LogsOnDrop("caught guard");
        panic!("caught failure");
    });
    assert!(caught.is_err());
    info!("after");
}

/// A panic hook of the program's own, installed over pulselog's, that
/// logs and flushes before handing the panic on.
fn logging_panic_hook() {
    let _guard = json().install().expect("install");
    let pulselog_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        error!(
            "from the program's hook",
            panicking = std::thread::panicking()
        );
        pulselog::flush();
        pulselog_hook(info);
    }));
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| panic!("worker failed"))
        .expect("a thread");
    assert!(worker.join().is_err());
    info!("after");
}

/// An output writer that logs (and flushes) on every write: its events go
/// out in later writes, and neither the writer thread nor the shutdown
/// waits for itself.
struct LogsOnWrite {
    writes: u64,
}
impl Write for LogsOnWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if self.writes <= 20 {
            info!("from the writer", write = self.writes, bytes = buf.len());
            pulselog::flush();
        }
        io::stdout().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        info!("from the writer's flush");
        io::stdout().flush()
    }
}

fn logging_writer() {
    let guard = json()
        .writer(LogsOnWrite { writes: 0 })
        .install()
        .expect("install");
    for i in 0..100 {
        info!("event", i = i);
        if i % 10 == 9 {
            pulselog::flush();
        }
    }
    drop(guard);
    info!("after the guard");
    pulselog::flush();
}

/// Eight threads each call `init`, log, `flush`, drop their guard and log
/// again, all at once; then two threads call `exit` at once.
fn everything_at_once() {
    const THREADS: u64 = 8;
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let guard = pulselog::init();
                for seq in 0..100u64 {
                    info!("event", producer = t, seq = seq);
                }
                pulselog::flush();
                drop(guard);
                for seq in 100..200u64 {
                    info!("event", producer = t, seq = seq);
                }
                pulselog::flush();
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a thread");
    }
    eprintln!("done");
    std::thread::spawn(|| pulselog::exit(0));
    pulselog::exit(0);
}
