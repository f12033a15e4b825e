// Trait methods: a default body and an implementation.
#![deny(warnings)]
use pulselog::prelude::*;

trait Greeter {
    fn name(&self) -> String;

    #[logged]
    fn greet(&self) -> String {
        format!("hello {}", self.name())
    }
}

struct En;

impl Greeter for En {
    #[logged]
    fn name(&self) -> String {
        "en".to_owned()
    }
}

pub fn main() {
    let (s, events) = pulselog::testing::capture(|| En.greet());
    assert_eq!(s, "hello en");
    let functions: Vec<_> = events.events().iter().map(|e| e.function()).collect();
    assert_eq!(functions, ["greet", "name", "name", "greet"]);
}
