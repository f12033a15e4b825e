//! A service that ends on SIGTERM (or Ctrl-C) with every line written,
//! without an async runtime: the signals are blocked in every thread, so
//! their default action (ending the process at once, queue and all) never
//! runs, and one thread waits for them with `sigwait`, then exits through
//! pulselog. `cargo run --example sigterm`, then `kill <pid>`.

#[cfg(unix)]
fn main() {
    let signals = signal_set(&[libc::SIGTERM, libc::SIGINT]);
    // Before any thread starts: every thread inherits the mask.
    // SAFETY: `signals` is an initialised set; the old mask may be null.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &signals, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "pthread_sigmask");
    let _guard = pulselog::init();
    std::thread::spawn(move || {
        let mut signal = 0;
        // SAFETY: `signals` is an initialised set, `signal` a valid place
        // for the number of the signal taken.
        let rc = unsafe { libc::sigwait(&signals, &mut signal) };
        pulselog::info!("stopping", signal, rc);
        // Writes everything logged until now, then ends the process.
        pulselog::exit(0);
    });
    for step in 0u64.. {
        pulselog::info!("working", step);
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// A signal set holding `signals`.
#[cfg(unix)]
fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `sigemptyset` initialises the set it is given; `sigaddset`
    // then adds valid signal numbers to it.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for &s in signals {
            libc::sigaddset(set.as_mut_ptr(), s);
        }
        set.assume_init()
    }
}

#[cfg(not(unix))]
fn main() {}
