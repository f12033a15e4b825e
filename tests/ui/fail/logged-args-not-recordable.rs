use pulselog::prelude::*;

struct Key([u8; 32]);

// An argument `args` records needs `Display` or `Debug` (or a native type);
// the error points at the argument.
#[logged(args)]
fn sign(key: Key, msg_len: usize) -> usize {
    key.0.len() + msg_len
}

fn main() {
    sign(Key([0; 32]), 1);
}
