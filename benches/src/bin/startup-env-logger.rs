//! `bench startup`'s env_logger child: what a small command-line tool does
//! with its logger (install it, log one line, exit).

fn main() {
    env_logger::init();
    log::info!(files = 3; "started");
}
