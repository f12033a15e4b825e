//! A command-line tool's levels: its own from a `-v`/`-q` count (which
//! `clap-verbosity-flag` gives as a `log::LevelFilter`), its dependencies'
//! as a default, the environment over both where it speaks.

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
        _ => return false,
    }
    true
}
