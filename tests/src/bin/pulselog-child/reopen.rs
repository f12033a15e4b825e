//! A file pulselog never rotates, left to another tool (logrotate) that
//! moves it, truncates it and signals the process while it logs.

use pulselog::{Config, Format, Output, RollingFile, info};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs `role`; false if it is not one of this module's.
pub fn run(role: &str, args: &[String]) -> bool {
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    match role {
        // reopen <file> <stop file> <sighup|no-sighup>: numbered lines into
        // a watched file, about 15 000 a second, until <stop file> exists;
        // then `lines=N` on stderr.
        "reopen" => {
            if arg(2) == "sighup" {
                RollingFile::reopen_all_on_sighup().expect("the SIGHUP handler");
                // A second call finds it installed.
                RollingFile::reopen_all_on_sighup().expect("installed once");
            }
            let file = RollingFile::watched(arg(0)).expect("the log file opens");
            let _guard = Config::new()
                .output(Output::file(file).format(Format::Json))
                .install()
                .expect("install");
            let stop = Path::new(arg(1));
            let payload = "p".repeat(40);
            let mut i: u64 = 0;
            loop {
                info!("line {i}", i = i, payload = payload.as_str());
                i += 1;
                if i.is_multiple_of(16) {
                    if stop.exists() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            eprintln!("lines={i}");
        }
        // The program has a SIGHUP handler of its own: pulselog's is
        // refused, and the program's still runs.
        "reopen-sighup-taken" => {
            static OWN: AtomicBool = AtomicBool::new(false);
            extern "C" fn own(_: libc::c_int) {
                OWN.store(true, Ordering::Relaxed);
            }
            let handler = own as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: `own` only stores to an atomic, which is
            // async-signal-safe.
            let previous = unsafe { libc::signal(libc::SIGHUP, handler) };
            assert_ne!(previous, libc::SIG_ERR);
            let e = RollingFile::reopen_all_on_sighup().expect_err("refused");
            eprintln!("refused: {:?}: {e}", e.kind());
            // SAFETY: raising a signal whose handler is `own`.
            assert_eq!(unsafe { libc::raise(libc::SIGHUP) }, 0);
            if OWN.load(Ordering::Relaxed) {
                eprintln!("the program's handler ran");
            }
        }
        _ => return false,
    }
    true
}
