// A field key reads the same in the log macros and in
// `#[logged(fields(...))]`: a raw identifier is its name, a keyword is a
// name like any other, dots are kept.
use pulselog::prelude::*;

#[logged(fields(r#type = 1, http.method = "GET", r#use.r#as = true, match = 2))]
fn with_fields() {
    info!("inside");
}

pub fn main() {
    let (_, events) = pulselog::testing::capture(|| {
        info!("event", r#type = 1, http.method = "GET", r#use.r#as = true, match = 2);
        with_fields();
    });
    let keys = |fields: Vec<(String, pulselog::testing::Owned)>| {
        fields.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
    };
    let expected = ["type", "http.method", "use.as", "match"];
    assert_eq!(keys(events.find("event").fields()), expected);
    assert_eq!(keys(events.find("inside").context_fields()), expected);
}
