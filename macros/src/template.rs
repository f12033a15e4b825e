//! Parsing of the message literal, in `format!` syntax, done once at compile
//! time so that the runtime renders the message from static pieces and the
//! values the call site encoded.

/// Which argument a placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgRef {
    /// `{}`: the next positional argument.
    Next,
    /// `{0}`: a positional argument by index.
    Index(usize),
    /// `{name}`: a field of the call, or else a variable captured from scope.
    Name(String),
}

/// One piece of a parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text written as it is (with `{{`/`}}` already unescaped).
    Lit(String),
    /// A placeholder. `spec` is what followed the `:`, empty when absent.
    Arg { arg: ArgRef, spec: String },
}

/// Splits a message literal into pieces, or says what is wrong with it.
pub fn parse(src: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = src.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                chars.next();
                lit.push('}');
            }
            '}' => {
                return Err("unmatched `}` in the message: write `}}` for a literal brace".into());
            }
            '{' => {
                let mut inner = String::new();
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    if n == '{' {
                        return Err(
                            "unexpected `{` inside a placeholder: write `{{` for a literal brace"
                                .into(),
                        );
                    }
                    inner.push(n);
                }
                if !closed {
                    return Err(
                        "unclosed `{` in the message: close the placeholder with `}` or write `{{` for a literal brace"
                            .into(),
                    );
                }
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(placeholder(&inner)?);
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(pieces)
}

fn placeholder(inner: &str) -> Result<Piece, String> {
    let (name, spec) = match inner.split_once(':') {
        Some((n, s)) => (n.trim(), s),
        None => (inner.trim(), ""),
    };
    if spec.contains('$') || spec.contains('*') {
        return Err(format!(
            "width or precision taken from an argument (`{{{inner}}}`) is not supported in a log message: write the number into the message, or format the value first"
        ));
    }
    let arg = if name.is_empty() {
        ArgRef::Next
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        ArgRef::Index(
            name.parse()
                .map_err(|_| format!("`{{{name}}}` is not a valid argument index"))?,
        )
    } else if is_ident(name) {
        ArgRef::Name(name.to_owned())
    } else {
        return Err(format!(
            "invalid placeholder `{{{inner}}}`: expected `{{}}`, `{{0}}`, `{{name}}`, optionally followed by `:spec`"
        ));
    };
    Ok(Piece::Arg {
        arg,
        spec: spec.to_owned(),
    })
}

fn is_ident(s: &str) -> bool {
    let s = s.strip_prefix("r#").unwrap_or(s);
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && s != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.into())
    }
    fn arg(a: ArgRef, spec: &str) -> Piece {
        Piece::Arg {
            arg: a,
            spec: spec.into(),
        }
    }

    #[test]
    fn splits_literals_and_placeholders() {
        assert_eq!(
            parse("a {} b {0} c {name:?} {{x}}").unwrap(),
            vec![
                lit("a "),
                arg(ArgRef::Next, ""),
                lit(" b "),
                arg(ArgRef::Index(0), ""),
                lit(" c "),
                arg(ArgRef::Name("name".into()), "?"),
                lit(" {x}"),
            ]
        );
    }

    #[test]
    fn rejects_bad_braces_and_specs() {
        assert!(parse("a } b").unwrap_err().contains("unmatched `}`"));
        assert!(parse("a { b").unwrap_err().contains("unclosed `{`"));
        assert!(parse("{:>w$}").unwrap_err().contains("not supported"));
        assert!(parse("{a-b}").unwrap_err().contains("invalid placeholder"));
        assert!(parse("{_}").unwrap_err().contains("invalid placeholder"));
    }

    #[test]
    fn keeps_unicode_text() {
        assert_eq!(parse("héllo {x} ✓").unwrap().len(), 3);
    }
}
