//! Roles that log through the `log` bridge: the filter's directives
//! applied to bridged targets, and targets made at run time.

/// The targets the `filters` role logs from: modules, a module that only
/// shares a prefix with another, names that are level names elsewhere.
pub const TARGETS: &[&str] = &[
    "my_app",
    "my_app::db",
    "my_app::db::pool",
    "my_app::dbx",
    "my_app_extra",
    "other",
    "warning",
    "loud",
];

/// Runs `role` if it is one of this module's; false otherwise.
pub fn run(role: &str, args: &[String]) -> bool {
    match role {
        // filters [strict]: every target of `TARGETS` at every `log` level,
        // the logger from `init()` (`try_init()` with `strict`).
        "filters" => {
            let _guard = if args.first().is_some_and(|a| a == "strict") {
                match pulselog::try_init() {
                    Ok(guard) => guard,
                    Err(e) => {
                        eprintln!("try_init: {e}");
                        std::process::exit(4);
                    }
                }
            } else {
                pulselog::init()
            };
            for target in TARGETS {
                for level in [
                    log::Level::Trace,
                    log::Level::Debug,
                    log::Level::Info,
                    log::Level::Warn,
                    log::Level::Error,
                ] {
                    log::log!(target: target, level, "{target} {level} timeout");
                }
            }
        }
        // targets <n>: `n` records from `n` distinct targets made at run
        // time, then the process's peak resident set (`rss_kb=`) on stderr.
        "targets" => {
            let n: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
            let _guard = pulselog::init();
            for i in 0..n {
                log::info!(target: &format!("tenant-{i}"), i = i; "request served");
            }
            pulselog::flush();
            eprintln!("rss_kb={}", peak_rss_kb());
        }
        _ => return false,
    }
    true
}

/// `VmHWM` of `/proc/self/status`: the most this process has held in RAM.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
