// Every option of `#[logged]`, alone and combined, with and without a
// trailing comma.
#![deny(warnings)]
use pulselog::context::RequestId;
use pulselog::prelude::*;

#[logged]
fn a() {}
#[logged()]
fn b() {}
#[logged(level = "info")]
fn c() {}
#[logged(level = "WARN",)]
fn d() {}
#[logged(name = "renamed")]
fn e() {}
#[logged(request_id)]
fn f() {}
#[logged(request_id = "abc")]
fn g() {}
#[logged(request_id = String::from("s"))]
fn h() {}
#[logged(request_id = uuid())]
fn i() {}
#[logged(request_id = RequestId::new())]
fn j() {}
#[logged(request_id = &id, args)]
fn k(id: RequestId) {
    let _ = id;
}
#[logged(fields(a = 1))]
fn l() {}
#[logged(fields(a = 1, b.c = "x", d = %1.5, e = ?Some(1),))]
fn m() {}
#[logged(args)]
fn n(x: u8) -> u8 {
    x
}
#[logged(args(x, y))]
fn o(x: u8, y: u8, z: u8) -> u8 {
    x + y + z
}
#[logged(args, skip(z))]
fn p(x: u8, z: u8) -> u8 {
    x + z
}
#[logged(ret)]
fn q() -> u8 {
    1
}
#[logged(err)]
fn r() -> Result<u8, String> {
    Ok(1)
}
#[logged(err(level = "warning"))]
fn s() -> Result<u8, String> {
    Ok(1)
}
#[logged(err(level = "info",), ret)]
fn t() -> Result<u8, String> {
    Ok(1)
}
#[logged(crate = ::pulselog)]
fn u() {}
#[logged(level = "trace", name = "all", request_id, fields(f = 1), args, skip(y), ret, err, crate = pulselog,)]
fn v(x: u8, y: u8) -> Result<u8, String> {
    Ok(x + y)
}

fn uuid() -> RequestId {
    RequestId::new()
}

pub fn main() {
    a();
    b();
    c();
    d();
    e();
    f();
    g();
    h();
    i();
    j();
    k(RequestId::new());
    l();
    m();
    n(1);
    o(1, 2, 3);
    p(1, 2);
    q();
    let _ = r();
    let _ = s();
    let _ = t();
    u();
    let _ = v(1, 2);
}
