// Early `return` and `?`: `exit` is logged on every path.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged(err, ret)]
fn parse_pos(s: &str) -> Result<u32, std::num::ParseIntError> {
    if s.is_empty() {
        return Ok(0);
    }
    let n: u32 = s.trim().parse()?;
    Ok(n)
}

#[logged]
fn first_even(xs: &[u32]) -> Option<u32> {
    for &x in xs {
        if x % 2 == 0 {
            return Some(x);
        }
    }
    let last = xs.last()?;
    Some(*last)
}

#[logged(err)]
async fn parse_async(s: &str) -> Result<u32, std::num::ParseIntError> {
    if s == "0" {
        return Ok(0);
    }
    Ok(s.parse::<u32>()? + 1)
}

pub fn main() {
    for (input, messages) in [("", &["enter", "exit"][..]), ("7", &["enter", "exit"]), ("x", &["enter", "parse_pos failed", "exit"])] {
        let (_, events) = pulselog::testing::capture(|| parse_pos(input));
        assert_eq!(events.messages(), messages, "{input:?}");
    }
    let (_, events) = pulselog::testing::capture(|| first_even(&[]));
    assert_eq!(events.messages(), ["enter", "exit"]);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(parse_async("0")), Ok(0));
    assert_eq!(rt.block_on(parse_async("4")), Ok(5));
    let (r, events) = rt.block_on(pulselog::testing::capture_async(parse_async("y")));
    assert!(r.is_err());
    assert_eq!(events.messages(), ["enter", "parse_async failed", "exit"]);
}
