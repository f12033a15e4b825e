// A method taking `&self`, returning a borrow of it.
#![deny(warnings)]
use pulselog::prelude::*;

struct User {
    name: String,
}

impl User {
    #[logged]
    fn name(&self) -> &str {
        &self.name
    }

    #[logged(ret)]
    fn first_char(&self) -> Option<char> {
        self.name().chars().next()
    }
}

pub fn main() {
    let u = User { name: "ada".into() };
    let (c, events) = pulselog::testing::capture(|| u.first_char());
    assert_eq!(c, Some('a'));
    assert_eq!(u.name(), "ada");
    assert_eq!(events.messages(), ["enter", "enter", "exit", "exit"]);
    assert_eq!(events.events()[3].field("return").unwrap(), "Some('a')");
}
