use pulselog::prelude::*;

trait Service {
    #[logged]
    fn call(&self);
}

fn main() {}
