//! Side-by-side benchmarks of pulselog and its peers.
//!
//! The `bench` binary is both the driver and the child: the driver re-runs
//! its own executable once per (contender, workload, round), so that every
//! logger gets a fresh process (one global logger per process, its own peak
//! RSS), and collects the `RESULT` line each child prints. See
//! `benches/README.md`.

pub mod build_cost;
pub mod build_weight;
pub mod callgrind;
pub mod clock;
pub mod contenders;
pub mod report;
pub mod startup;
pub mod stats;
pub mod workload;

use clock::Clock;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use workload::Workload;

/// One row of the report: a logger and how it is configured.
#[derive(Debug, Clone, Copy)]
pub struct Contender {
    /// Command-line name.
    pub name: &'static str,
    /// What the row shows (output format, queue).
    pub setup: &'static str,
    /// Which workloads it runs; the others are not applicable.
    pub workloads: &'static [Workload],
}

const LOGGER_WORKLOADS: &[Workload] = &[Workload::W1, Workload::W2, Workload::W3];
/// The loggers compared under paced load as well.
const PACED_LOGGER_WORKLOADS: &[Workload] = &[
    Workload::W1,
    Workload::W2,
    Workload::W3,
    Workload::Paced(workload::LOADS[0]),
    Workload::Paced(workload::LOADS[1]),
    Workload::Paced(workload::LOADS[2]),
    Workload::Bursts,
];
const FUNCTION_WORKLOADS: &[Workload] = &[Workload::W4On, Workload::W4Off];
const VOLUME_WORKLOADS: &[Workload] = &[Workload::Volume];

/// Every contender, in report order.
pub const CONTENDERS: &[Contender] = &[
    Contender {
        name: "pulselog",
        setup: "JSON, bounded queue, Overflow::Block",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "ring-bound",
        setup: "pulselog's lower bound: per-thread rtrb rings, its JSON line, nothing else",
        workloads: &[Workload::W1, Workload::W2],
    },
    Contender {
        name: "pulselog-via-log",
        setup: "log::info! through pulselog's log bridge, JSON",
        workloads: LOGGER_WORKLOADS,
    },
    Contender {
        name: "pulselog-via-tracing",
        setup: "tracing::info! through pulselog's tracing bridge, JSON",
        workloads: LOGGER_WORKLOADS,
    },
    Contender {
        name: "pulselog-ecs",
        setup: "ECS (PULSELOG_FORMAT=ecs), same queue",
        workloads: &[Workload::W1, Workload::W2],
    },
    Contender {
        name: "pulselog-otel",
        setup: "OTLP/JSON (PULSELOG_FORMAT=otel), same queue",
        workloads: &[Workload::W1, Workload::W2],
    },
    Contender {
        name: "pulselog-two-outputs",
        setup: "two outputs: JSON to the sink and text to a second file, same queue",
        workloads: &[Workload::W1, Workload::W2, Workload::W3],
    },
    Contender {
        name: "tracing",
        setup: "fmt JSON + tracing-appender non_blocking, lossy(false)",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "slog",
        setup: "slog-json + slog-async, OverflowStrategy::Block",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "env_logger",
        setup: "log + env_logger, text, synchronous",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "ftlog",
        setup: "log + ftlog, text, bounded(block)",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "spdlog",
        setup: "spdlog-rs JsonFormatter, AsyncPoolSink, Block",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "logforth",
        setup: "log + logforth JsonLayout, Async, overflow_block",
        workloads: PACED_LOGGER_WORKLOADS,
    },
    Contender {
        name: "baseline",
        setup: "no logger: the harness's own cost",
        workloads: &[
            Workload::W1,
            Workload::W2,
            Workload::Paced(workload::LOADS[0]),
            Workload::Paced(workload::LOADS[1]),
            Workload::Paced(workload::LOADS[2]),
            Workload::Bursts,
        ],
    },
    Contender {
        name: "plain-function",
        setup: "W4's function without instrumentation (not inlined), for reference",
        workloads: &[Workload::W4Off],
    },
    Contender {
        name: "pulselog-logged",
        setup: "#[logged(level = \"info\")]: enter + exit JSON lines",
        workloads: FUNCTION_WORKLOADS,
    },
    Contender {
        name: "tracing-instrument",
        setup: "#[instrument] + fmt JSON close events, non_blocking lossless",
        workloads: FUNCTION_WORKLOADS,
    },
    Contender {
        name: "pulselog-request",
        setup: "#[logged(request_id = id)] async fn + log_error! with type and chain, JSON",
        workloads: &[Workload::W5],
    },
    Contender {
        name: "tracing-request",
        setup: "#[instrument(fields(request_id))] async fn + error! with the error, fmt JSON",
        workloads: &[Workload::W5],
    },
    Contender {
        name: "fastrace",
        setup: "#[trace], JSON line per span, 100 calls per root",
        workloads: FUNCTION_WORKLOADS,
    },
    Contender {
        name: "pulselog-every",
        setup: "info!(every: 1_000_000, …): all calls but the first skipped",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-per-sec",
        setup: "info!(per_sec: 1, …): all calls but one a second skipped",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-debug-off",
        setup: "debug! below the INFO filter, replay off",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-debug-off-scoped",
        setup: "debug! below the INFO filter, replay off, request scopes of 100 calls",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-replay",
        setup: "debug! kept by replay_on_error(Level::Debug), request scopes of 100 calls that succeed",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-guard-drop",
        setup: "info! under Sampling::new().first(1).thereafter(0): all but one a second dropped",
        workloads: VOLUME_WORKLOADS,
    },
    Contender {
        name: "pulselog-guard-pass",
        setup: "info! under Sampling::new().first(u32::MAX): all written",
        workloads: VOLUME_WORKLOADS,
    },
];

/// Contenders a child runs by hand (`bench child NAME …`), outside the
/// tables.
pub const BY_HAND: &[Contender] = &[Contender {
    name: "pulselog-text",
    setup: "text lines (the default template), same queue",
    workloads: &[Workload::W1, Workload::W2],
}];

/// Looks a contender up by name (of the tables' or [`BY_HAND`]).
#[must_use]
pub fn contender(name: &str) -> Option<&'static Contender> {
    CONTENDERS.iter().chain(BY_HAND).find(|c| c.name == name)
}

/// What a child is asked to do.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The contender.
    pub contender: &'a str,
    /// The workload.
    pub workload: Workload,
    /// Events (W1/W2, paced, bursts), loop iterations (W3) or calls (W4).
    pub n: u64,
    /// Queue capacity, where the logger lets one set it.
    pub capacity: usize,
    /// Output path (`/dev/null` for throughput runs).
    pub out: &'a Path,
    /// The logger's W1 capacity in lines per second, from which a paced
    /// workload's rate is taken.
    pub w1_rate: Option<f64>,
}

/// Runs one job in this process and returns its figures. A process runs one
/// job: loggers install themselves globally.
///
/// # Panics
/// On an unknown contender or a workload it does not run.
#[must_use]
pub fn run_job(job: &Job<'_>) -> BTreeMap<&'static str, f64> {
    use contenders::{
        baseline::Baseline, baseline::PlainFunction, env_logger::EnvLogger, fastrace::Fastrace,
        ftlog::Ftlog, logforth::Logforth, pulselog::Logged, pulselog::Pulselog,
        pulselog::PulselogEcs, pulselog::PulselogOtel, pulselog::PulselogText,
        pulselog::RequestScope, pulselog::TwoOutputs, pulselog::ViaLog, pulselog::ViaTracing,
        ring_bound::RingBound, slog::Slog, spdlog::Spdlog, tracing::Instrument,
        tracing::RequestSpan, tracing::Tracing, volume,
    };
    fn logger<L: workload::Logger>(job: &Job<'_>) -> BTreeMap<&'static str, f64> {
        let clock = Clock::calibrate(Duration::from_millis(50));
        match job.workload {
            Workload::W1 => workload::producers::<L>(&clock, job.out, job.capacity, job.n, 1),
            Workload::W2 => workload::producers::<L>(&clock, job.out, job.capacity, job.n, 2),
            Workload::Volume => workload::producers::<L>(&clock, job.out, job.capacity, job.n, 1),
            Workload::W3 => workload::disabled::<L>(job.out, job.capacity, job.n),
            Workload::Paced(load) => {
                let w1 = job.w1_rate.expect("a paced workload needs the W1 capacity");
                let rate = w1 * f64::from(load) / 100.0;
                workload::paced::<L>(&clock, job.out, job.capacity, job.n, rate)
            }
            Workload::Bursts => workload::bursts::<L>(&clock, job.out, job.capacity, job.n),
            w => panic!("{} does not run {}", job.contender, w.name()),
        }
    }
    fn traced<T: workload::Traced>(job: &Job<'_>) -> BTreeMap<&'static str, f64> {
        let clock = Clock::calibrate(Duration::from_millis(50));
        match job.workload {
            Workload::W4On => workload::function::<T>(&clock, job.out, job.capacity, job.n, true),
            Workload::W4Off => workload::function::<T>(&clock, job.out, job.capacity, job.n, false),
            w => panic!("{} does not run {}", job.contender, w.name()),
        }
    }
    fn request<R: workload::Request>(job: &Job<'_>) -> BTreeMap<&'static str, f64> {
        let clock = Clock::calibrate(Duration::from_millis(50));
        match job.workload {
            Workload::W5 => workload::requests::<R>(&clock, job.out, job.capacity, job.n),
            w => panic!("{} does not run {}", job.contender, w.name()),
        }
    }
    match job.contender {
        "pulselog" => logger::<Pulselog>(job),
        "ring-bound" => logger::<RingBound>(job),
        "pulselog-via-log" => logger::<ViaLog>(job),
        "pulselog-via-tracing" => logger::<ViaTracing>(job),
        "pulselog-ecs" => logger::<PulselogEcs>(job),
        "pulselog-otel" => logger::<PulselogOtel>(job),
        "pulselog-text" => logger::<PulselogText>(job),
        "pulselog-two-outputs" => logger::<TwoOutputs>(job),
        "tracing" => logger::<Tracing>(job),
        "slog" => logger::<Slog>(job),
        "env_logger" => logger::<EnvLogger>(job),
        "ftlog" => logger::<Ftlog>(job),
        "spdlog" => logger::<Spdlog>(job),
        "logforth" => logger::<Logforth>(job),
        "baseline" => logger::<Baseline>(job),
        "plain-function" => traced::<PlainFunction>(job),
        "pulselog-logged" => traced::<Logged>(job),
        "pulselog-request" => request::<RequestScope>(job),
        "tracing-instrument" => traced::<Instrument>(job),
        "fastrace" => traced::<Fastrace>(job),
        "tracing-request" => request::<RequestSpan>(job),
        "pulselog-every" => logger::<volume::Every>(job),
        "pulselog-per-sec" => logger::<volume::PerSec>(job),
        "pulselog-debug-off" => logger::<volume::DebugOff>(job),
        "pulselog-debug-off-scoped" => logger::<volume::DebugOffScoped>(job),
        "pulselog-replay" => logger::<volume::Replay>(job),
        "pulselog-guard-drop" => logger::<volume::GuardDrop>(job),
        "pulselog-guard-pass" => logger::<volume::GuardPass>(job),
        other => panic!("unknown contender `{other}`"),
    }
}
