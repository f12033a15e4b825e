//! The program the pipeline's tests run as a child (`tests/pipeline.rs`):
//! each role is one of the pipeline's promises put under stress (many
//! threads, failing and stalled outputs, racing exits, memory), in a
//! process of its own. The roles are in `roles.rs`.

mod roles;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let role = args.first().map_or("", String::as_str);
    if !roles::run(role, args.get(1..).unwrap_or_default()) {
        eprintln!("unknown role `{role}`");
        std::process::exit(2);
    }
}
