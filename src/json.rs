//! A JSON reader that keeps what the contract needs and `serde_json` discards.
//!
//! ### Why not `serde_json::Value`?
//! The oracle and the reference server must tell apart `1e400` (a number that
//! overflows) from `1.7976931348623157e308`, see both values of `{"value": 1,
//! "value": "x"}`, and recognise the bare `NaN`, `Infinity` and `-Infinity` tokens
//! that Python's `json` module (the real server is Django) accepts by default.
//! `serde_json` rejects the tokens, folds duplicate keys and turns numbers into
//! `f64`. This reader accepts RFC 8259 JSON plus exactly those three tokens (as
//! Python does), keeps numbers as their source text and objects as ordered pairs.

/// A parsed JSON value. Numbers keep their source text.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number token as written, e.g. `-0`, `1e400`, `5e-324`.
    Number(String),
    /// One of Python's extensions: `NaN`, `Infinity`, `-Infinity`.
    NonFinite(&'static str),
    String(String),
    Array(Vec<Json>),
    /// Members in source order, duplicates kept.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The JSON type as a word, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::NonFinite(_) => "non-finite token",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// Why a body is not JSON (in the lenient sense above).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed JSON at byte {offset}: {reason}")]
pub struct JsonError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Nesting deeper than this is refused (stack safety under fuzzing).
pub const MAX_DEPTH: usize = 512;

/// Parses `bytes` as one JSON value with optional surrounding whitespace.
pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let mut p = Parser { b: bytes, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

/// Whether `text` is a number token in RFC 8259's grammar (`-?int frac? exp?`).
pub fn is_json_number(text: &str) -> bool {
    let mut p = Parser { b: text.as_bytes(), i: 0 };
    p.number().is_ok() && p.i == text.len()
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: &'static str) -> JsonError {
        JsonError { offset: self.i, reason }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &str) -> bool {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') if self.lit("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.lit("false") => Ok(Json::Bool(false)),
            Some(b'n') if self.lit("null") => Ok(Json::Null),
            Some(b'N') if self.lit("NaN") => Ok(Json::NonFinite("NaN")),
            Some(b'I') if self.lit("Infinity") => Ok(Json::NonFinite("Infinity")),
            Some(b'-') if self.b[self.i..].starts_with(b"-Infinity") => {
                self.i += "-Infinity".len();
                Ok(Json::NonFinite("-Infinity"))
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                self.number()?;
                // Token boundaries: `1.5abc` or `0x10` must not read as a number.
                Ok(Json::Number(String::from_utf8_lossy(&self.b[start..self.i]).into_owned()))
            }
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.err("leading zero in number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("expected digit after decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected digit in exponent"));
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi) && self.b[self.i..].starts_with(b"\\u") {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.i = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // Lone surrogates are kept as U+FFFD, as a lenient server would.
                            let ch = ch.unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8 in string"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let s = self.b.get(self.i..self.i + 4).ok_or_else(|| self.err("short unicode escape"))?;
        let s = std::str::from_utf8(s).map_err(|_| self.err("invalid unicode escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err("invalid unicode escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.i += 1;
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.i += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Vec<(String, Json)> {
        match parse(s.as_bytes()).unwrap() {
            Json::Object(m) => m,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn numbers_keep_their_source_text() {
        let m = obj(r#"{"value": 1e400, "b": -0, "c": 5E-324}"#);
        assert_eq!(m[0].1, Json::Number("1e400".into()));
        assert_eq!(m[1].1, Json::Number("-0".into()));
        assert_eq!(m[2].1, Json::Number("5E-324".into()));
    }

    #[test]
    fn python_non_finite_tokens_are_read_and_nothing_else_is() {
        assert_eq!(obj(r#"{"value": NaN}"#)[0].1, Json::NonFinite("NaN"));
        assert_eq!(obj(r#"{"value":-Infinity}"#)[0].1, Json::NonFinite("-Infinity"));
        for bad in ["+1", ".5", "1.", "01", "0x10", "nan", "inf", "-", "1e", "1.5abc", "-NaN"] {
            let body = format!(r#"{{"value": {bad}}}"#);
            assert!(parse(body.as_bytes()).is_err(), "{bad} should be malformed");
        }
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let m = obj(r#"{"value": 1, "value": "x"}"#);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].1, Json::String("x".into()));
    }

    #[test]
    fn strings_decode_escapes_and_surrogate_pairs() {
        assert_eq!(parse(br#""a\n\u00e9\ud83d\ude00""#).unwrap(), Json::String("a\n\u{e9}\u{1F600}".into()));
        assert!(parse(b"\"\xff\"").is_err());
        assert!(parse(b"\"a\nb\"").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert!(parse(format!("{}{}", "[".repeat(500), "]".repeat(500)).as_bytes()).is_ok());
        assert_eq!(parse(deep.as_bytes()).unwrap_err().reason, "nesting too deep");
    }

    #[test]
    fn json_number_grammar_is_rfc_8259() {
        for ok in ["0", "-0", "1.5", "1e5", "1E+5", "-1.25e-3"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "+1", ".5", "1.", "01", "1e", "NaN", " 1"] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
