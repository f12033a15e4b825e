//! What a format refuses to be built from.

use std::fmt;

/// A `JsonFormat` or `TextFormat` that cannot be used: an unknown key, a
/// key used twice, a template or a `datefmt` that does not parse. Every
/// problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatterError {
    formatter: &'static str,
    problems: Vec<String>,
}

impl FormatterError {
    pub(crate) fn new(formatter: &'static str, problems: Vec<String>) -> FormatterError {
        FormatterError {
            formatter,
            problems,
        }
    }

    /// Each problem, in the order found.
    #[must_use]
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for FormatterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} format: ", self.formatter)?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(p)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatterError {}
