// A method taking `self: Box<Self>`, also through a trait object.
#![deny(warnings)]
use pulselog::prelude::*;

trait Job {
    fn run(self: Box<Self>) -> u32;
}

struct Sleep(u32);

impl Job for Sleep {
    #[logged]
    fn run(self: Box<Self>) -> u32 {
        self.0
    }
}

pub fn main() {
    let job: Box<dyn Job> = Box::new(Sleep(3));
    let (v, events) = pulselog::testing::capture(|| job.run());
    assert_eq!(v, 3);
    assert_eq!(events.find("enter").function(), "run");
}
