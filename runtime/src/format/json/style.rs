//! How a JSON line is punctuated and how its level and its error are
//! written: python-json-logger's way by default; presets (ECS) choose
//! otherwise.

/// The key of an event's error or panic in the nested form.
pub(super) const EXC_INFO: &str = "exc_info";

/// The punctuation of a line and the shape of its level and error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    /// `", "` and `": "` between items, as python-json-logger writes them,
    /// or `","` and `":"`.
    pub(crate) spaced: bool,
    /// `info` instead of `INFO`.
    pub(crate) lowercase_level: bool,
    /// Where the event's error goes.
    pub(crate) error: ErrorKeys,
    /// A key written after `elapsed_ms` with the same duration in
    /// nanoseconds (ECS's `event.duration`), or none.
    pub(crate) duration: Option<&'static str>,
}

/// How an event's error is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKeys {
    /// `"exc_info": {"type": …, "message": …, "chain": […], "backtrace":
    /// […]}`.
    Nested,
    /// The type, the message and the report (chain and backtrace as plain
    /// text) under three keys of their own, in this order.
    Flat([&'static str; 3]),
}

impl Style {
    /// python-json-logger's: `", "`, `": "`, `INFO`, `"exc_info": {…}`.
    pub(crate) const PYTHON: Style = Style {
        spaced: true,
        lowercase_level: false,
        error: ErrorKeys::Nested,
        duration: None,
    };

    pub(super) fn comma(&self) -> &'static [u8] {
        if self.spaced { b", " } else { b"," }
    }

    pub(super) fn colon(&self) -> &'static [u8] {
        if self.spaced { b": " } else { b":" }
    }

    /// The keys an event's error takes.
    pub(super) fn error_keys(&self) -> &[&'static str] {
        match &self.error {
            ErrorKeys::Nested => &[EXC_INFO],
            ErrorKeys::Flat(keys) => keys,
        }
    }
}
