//! One frame of a backtrace, and where a panic happened.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Where a panic happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// One frame of a backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktraceFrame {
    pub(in crate::exc_info) function: Arc<str>,
    pub(super) file: Option<Arc<str>>,
    pub(super) line: Option<u32>,
    pub(super) column: Option<u32>,
    pub(in crate::exc_info) resolved: bool,
}

impl BacktraceFrame {
    /// The function's demangled path (`my_app::handlers::charge`); the
    /// instruction address in hex for a frame that was not symbolized.
    #[must_use]
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The source file, when debug info has it.
    #[must_use]
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The source line, when debug info has it.
    #[must_use]
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// The source column, when debug info has it.
    #[must_use]
    pub fn column(&self) -> Option<u32> {
        self.column
    }

    /// Whether the frame was symbolized (false past the symbolization
    /// budget, see [`MISS_BUDGET`](crate::MISS_BUDGET)).
    #[must_use]
    pub fn is_resolved(&self) -> bool {
        self.resolved
    }

    pub(in crate::exc_info) fn is_at(&self, loc: &Location) -> bool {
        self.line == Some(loc.line)
            && self.file.as_deref().is_some_and(|f| {
                f == loc.file
                    || f.strip_suffix(loc.file)
                        .is_some_and(|dir| dir.ends_with(['/', '\\']))
            })
    }

    pub(super) fn unresolved(ip: usize) -> BacktraceFrame {
        BacktraceFrame {
            function: format!("{ip:#x}").into(),
            file: None,
            line: None,
            column: None,
            resolved: false,
        }
    }
}

/// `function at file:line:column`, as much as is known.
impl fmt::Display for BacktraceFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, self.file.as_deref().map(Cow::Borrowed))
    }
}

impl BacktraceFrame {
    /// Writes `function at file:line:column` with `file` in place of the
    /// frame's own path.
    pub(super) fn write(
        &self,
        f: &mut fmt::Formatter<'_>,
        file: Option<Cow<'_, str>>,
    ) -> fmt::Result {
        f.write_str(&self.function)?;
        if let Some(file) = file {
            write!(f, " at {file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
        }
        Ok(())
    }
}
