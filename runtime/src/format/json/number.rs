//! Numbers as JSON.

use super::escape::write_str;
use crate::encode::Value;
use crate::format::spare::Put;

/// Writes a value as JSON. Numbers stay numbers; a non-finite float becomes
/// `null` (JSON has no NaN, and a string would break the field's numeric
/// mapping in Elasticsearch and others).
pub(crate) fn write_value(out: &mut impl Put, v: Value<'_>) {
    match v {
        Value::I64(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::U64(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::I128(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::U128(n) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Value::F32(f) if f.is_finite() => write_float(out, zmij::Buffer::new().format_finite(f)),
        Value::F64(f) if f.is_finite() => write_float(out, zmij::Buffer::new().format_finite(f)),
        Value::F32(_) | Value::F64(_) | Value::Null => out.put(b"null"),
        Value::Bool(b) => out.put(if b { b"true" } else { b"false" }),
        Value::Char(c) => write_str(out, c.encode_utf8(&mut [0; 4])),
        Value::Str(s) => write_str(out, s),
    }
}

/// Appends a float as `zmij` renders it (the shortest text that reads
/// back as the same number), without the `+` of a positive exponent:
/// `1e300`, as JavaScript, Python's `repr` and `ryu` write it. (`zmij`
/// replaced `ryu` for its speed: for the `elapsed_ms` of a `#[logged]` exit
/// line, by callgrind, about 190 instructions against 490.)
fn write_float(out: &mut impl Put, s: &str) {
    let b = s.as_bytes();
    // The only `+` is the exponent's sign, followed by one to three digits.
    let n = b.len();
    match (2..=4)
        .filter(|&k| k < n)
        .map(|k| n - k)
        .find(|&i| b[i] == b'+')
    {
        Some(plus) => {
            out.put(&b[..plus]);
            out.put(&b[plus + 1..]);
        }
        None => out.put(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_shortest_and_exponents_have_no_plus() {
        let mut out = Vec::new();
        for v in [
            Value::F64(1e16),
            Value::F64(-2.5e123),
            Value::F64(1e-7),
            Value::F64(1.5e-300),
            Value::F64(9_999_999_999_999_998.0),
            Value::F64(0.000_29),
            Value::F64(f64::MAX),
            Value::F32(1e20),
            Value::F32(3.4e38),
            Value::F32(1e-45),
        ] {
            write_value(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1e16 -2.5e123 1e-7 1.5e-300 9999999999999998.0 0.00029 1.7976931348623157e308 1e20 3.4e38 1e-45 "
        );
    }

    #[test]
    fn numbers_keep_their_type_and_non_finite_is_null() {
        let mut out = Vec::new();
        for v in [
            Value::I64(-3),
            Value::U64(u64::MAX),
            Value::I128(i128::MIN),
            Value::F64(0.1),
            Value::F64(1e300),
            Value::F32(1.5),
            Value::F64(f64::NAN),
            Value::F64(f64::NEG_INFINITY),
            Value::Bool(true),
            Value::Null,
            Value::Char('"'),
        ] {
            write_value(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-3 18446744073709551615 -170141183460469231731687303715884105728 0.1 1e300 1.5 null null true null \"\\\"\" "
        );
    }
}
