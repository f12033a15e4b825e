//! Text templates: `{key}`, `{key:<8}`, or Python's `%(key)-8s`, parsed
//! into literal text and keys.

use crate::format::common::{IdKey, StdKey};

/// What a template's key writes: a standard key or one of the context's
/// ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Std(StdKey),
    Id(IdKey),
    /// `origin`: a space and the logger's name, for an event from outside
    /// the program (see `TextFormat::program`); nothing for its own.
    Origin,
}

/// Where a key's text goes in its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
    Center,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Lit(String),
    Key {
        key: Key,
        align: Align,
        width: usize,
    },
}

fn key_from_name(name: &str) -> Result<Key, String> {
    if let Some(id) = IdKey::from_name(name) {
        return Ok(Key::Id(id));
    }
    if name == "origin" {
        return Ok(Key::Origin);
    }
    StdKey::from_name(name)
        .map(Key::Std)
        .ok_or_else(|| format!("unknown key `{name}` in the text template"))
}

pub(super) fn parse_template(t: &str) -> Result<Vec<Segment>, String> {
    let mut segs = Vec::new();
    let mut lit = String::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("{{").or_else(|| rest.strip_prefix("}}")) {
            lit.push(c);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("%%") {
            lit.push('%');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('{') {
            let (inner, after) = r
                .split_once('}')
                .ok_or_else(|| format!("unclosed `{{` in the text template `{t}`"))?;
            let (name, spec) = inner.split_once(':').unwrap_or((inner, ""));
            let (align, width) = parse_brace_spec(spec)
                .ok_or_else(|| format!("unsupported spec `{{{inner}}}` in the text template: use `<`, `>` or `^` and a width"))?;
            flush(&mut segs, &mut lit);
            segs.push(Segment::Key {
                key: key_from_name(name.trim())?,
                align,
                width,
            });
            rest = after;
        } else if let Some(r) = rest.strip_prefix("%(") {
            let (name, after) = r
                .split_once(')')
                .ok_or_else(|| format!("unclosed `%(` in the text template `{t}`"))?;
            let conv_at = after
                .find(|c: char| c.is_ascii_alphabetic())
                .ok_or_else(|| {
                    format!("missing conversion after `%({name})` in the text template")
                })?;
            let spec = &after[..conv_at];
            let (left, digits) = match spec.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, spec),
            };
            let digits = digits.split('.').next().unwrap_or("");
            let width = if digits.is_empty() {
                0
            } else {
                digits
                    .parse()
                    .map_err(|_| format!("bad width in `%({name}){spec}` in the text template"))?
            };
            flush(&mut segs, &mut lit);
            segs.push(Segment::Key {
                key: key_from_name(name.trim())?,
                align: if left || width == 0 {
                    Align::Left
                } else {
                    Align::Right
                },
                width,
            });
            rest = &after[conv_at + 1..];
        } else if rest.starts_with('}') {
            return Err(format!(
                "unmatched `}}` in the text template `{t}`: write `}}}}`"
            ));
        } else {
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    flush(&mut segs, &mut lit);
    Ok(segs)
}

fn flush(segs: &mut Vec<Segment>, lit: &mut String) {
    if !lit.is_empty() {
        segs.push(Segment::Lit(std::mem::take(lit)));
    }
}

fn parse_brace_spec(spec: &str) -> Option<(Align, usize)> {
    let (align, digits) = match spec.chars().next() {
        Some('<') => (Align::Left, &spec[1..]),
        Some('>') => (Align::Right, &spec[1..]),
        Some('^') => (Align::Center, &spec[1..]),
        _ => (Align::Left, spec),
    };
    let width = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some((align, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_brace_templates_parse_alike() {
        let a = parse_template("%(asctime)s | %(levelname)-8s | %(lineno)5d %%").unwrap();
        let b = parse_template("{asctime} | {levelname:<8} | {lineno:>5} %").unwrap();
        assert_eq!(a, b);
        assert!(
            parse_template("{nope}")
                .unwrap_err()
                .contains("unknown key `nope`")
        );
        assert!(parse_template("{message").unwrap_err().contains("unclosed"));
        assert!(parse_template("a } b").unwrap_err().contains("unmatched"));
        assert!(
            parse_template("{message:+}")
                .unwrap_err()
                .contains("unsupported spec")
        );
    }
}
