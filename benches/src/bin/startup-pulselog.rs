//! `bench startup`'s pulselog child: what a small command-line tool does
//! with its logger (install it, log one line, exit).

fn main() {
    let _guard = pulselog::init();
    pulselog::info!("started", files = 3);
}
