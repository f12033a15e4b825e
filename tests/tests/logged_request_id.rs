//! `#[logged(request_id)]` and `#[logged(request_id = expr)]`: the request
//! scope a call starts or keeps. Observed through `pulselog::testing`.

use pulselog::context::Context;
use pulselog::context::RequestId;
use pulselog::prelude::*;
use pulselog::testing::capture;

#[logged(request_id)]
fn new_request() -> Option<String> {
    inner_request()
}

#[logged(request_id)]
fn inner_request() -> Option<String> {
    info!("inner");
    Context::current().request_id().map(str::to_owned)
}

#[test]
fn request_id_starts_a_request_unless_one_is_active() {
    let (id, events) = capture(new_request);
    let id = id.expect("an id inside");
    let uuid: uuid_like::Parsed = id.parse().expect("a UUID");
    assert_eq!(uuid.version, 4);
    // Every event, the nested function's included, has the outer id.
    assert_eq!(events.len(), 5);
    assert!(
        events
            .events()
            .iter()
            .all(|e| e.request_id().as_deref() == Some(&*id))
    );
    // A second call is a second request.
    let (id2, _) = capture(new_request);
    assert_ne!(id2.unwrap(), id);
    // Inside an existing request the id is kept.
    let kept = Context::current()
        .with_request_id("upstream")
        .scope(new_request);
    assert_eq!(kept.as_deref(), Some("upstream"));
    // And nothing leaks out.
    assert_eq!(Context::current().request_id(), None);
}

/// Just enough UUID parsing for the test, without another dependency.
mod uuid_like {
    pub struct Parsed {
        pub version: u32,
    }
    impl std::str::FromStr for Parsed {
        type Err = ();
        fn from_str(s: &str) -> Result<Parsed, ()> {
            let groups: Vec<&str> = s.split('-').collect();
            let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            if lens != [8, 4, 4, 4, 12]
                || !s
                    .chars()
                    .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
            {
                return Err(());
            }
            let version = groups[2][..1].parse().map_err(|_| ())?;
            Ok(Parsed { version })
        }
    }
}

struct Req {
    id: String,
    user: u64,
}

#[logged(request_id = req.id, fields(user_id = req.user))]
fn with_given_id(req: &Req) -> Option<String> {
    info!("handling");
    Context::current().request_id().map(str::to_owned)
}

#[logged(request_id = id)]
fn with_typed_id(id: RequestId) -> Option<String> {
    Context::current()
        .id()
        .and_then(|id| id.trace_parent())
        .map(|tp| tp.span_id_hex())
}

#[test]
fn request_id_from_an_expression() {
    let req = Req {
        id: "abc-1".into(),
        user: 42,
    };
    let (id, events) = capture(|| with_given_id(&req));
    assert_eq!(id.as_deref(), Some("abc-1"));
    let handling = events.find("handling");
    assert_eq!(handling.request_id().as_deref(), Some("abc-1"));
    assert_eq!(handling.field("user_id").unwrap(), 42);
    // A given id replaces the flow's one inside the call.
    let inner = Context::current()
        .with_request_id("outer")
        .scope(|| with_given_id(&req));
    assert_eq!(inner.as_deref(), Some("abc-1"));

    // A `RequestId` keeps its W3C trace ids.
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let id = RequestId::from_traceparent(tp).unwrap();
    let (span, events) = capture(|| with_typed_id(id));
    assert_eq!(span.as_deref(), Some("b7ad6b7169203331"));
    assert_eq!(
        events.find("enter").request_id().as_deref(),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
}
