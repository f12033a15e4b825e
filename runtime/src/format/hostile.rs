//! The characters no format writes raw, although JSON and a terminal allow
//! them.

/// Whether a character is escaped (`\uXXXX` in JSON, `\u{…}` in text)
/// although JSON allows it raw: it could end a line for a JavaScript-based
/// reader (U+2028/2029), is invisible and steers terminals (DEL, C1
/// controls), or reorders the text a human reads (bidi embeddings,
/// overrides, isolates and marks).
#[inline]
pub(crate) fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{7F}'..='\u{9F}'
        | '\u{061C}'
        | '\u{200E}' | '\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}')
}
