//! A request as raw parts, and an answer as raw parts.
//!
//! ### Why not `http::Request`?
//! The harness must send and judge requests that typed HTTP libraries refuse to
//! build or silently normalise (bodies with bare `NaN` tokens, duplicate keys,
//! invalid UTF-8). Keeping the parts as bytes keeps every case expressible, and keeps
//! the reference server's core a pure function that fuzzers can call directly.

use std::fmt::Write as _;

/// An HTTP request as the harness sends it: method, request target (path and
/// optional query), headers in order, and body bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
    #[serde(serialize_with = "ser_bytes")]
    pub body: Vec<u8>,
}

impl Request {
    /// A `POST` to `target` with no headers and an empty body.
    pub fn post(target: impl Into<String>) -> Self {
        Request { method: "POST".into(), target: target.into(), headers: Vec::new(), body: Vec::new() }
    }

    /// Adds a header (names are kept as given; lookups are case-insensitive).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Every value of the header `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// The first value of the header `name` (case-insensitive).
    pub fn first_header<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        self.header_values(name).next()
    }

    /// The request line and body as a person reads them: `POST /path` then the body
    /// (lossy UTF-8, so garbage bytes show as `\u{FFFD}`).
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.method, self.target);
        for (n, v) in &self.headers {
            let _ = write!(s, "\n{}: {}", n, String::from_utf8_lossy(v));
        }
        if !self.body.is_empty() {
            let _ = write!(s, "\n\n{}", String::from_utf8_lossy(&self.body));
        }
        s
    }

    /// A `curl` command that reproduces this request against `base_url`.
    ///
    /// Bodies that are valid UTF-8 go in `--data-raw`; others are written with
    /// `printf` escapes piped to `--data-binary @-`, so the exact bytes are sent.
    /// Secrets are not removed here: pass the result through [`Redactor`].
    pub fn to_curl(&self, base_url: &str) -> String {
        let url = format!("{}{}", base_url.trim_end_matches('/'), self.target);
        let mut parts = vec!["curl".to_string(), "-sS".into(), "-i".into()];
        if self.method == "HEAD" {
            parts.push("--head".into());
        } else {
            parts.push("-X".into());
            parts.push(shell_quote(&self.method));
        }
        parts.push(shell_quote(&url));
        for (n, v) in &self.headers {
            parts.push("-H".into());
            parts.push(shell_quote(&format!("{}: {}", n, String::from_utf8_lossy(v))));
        }
        if self.body.is_empty() {
            return parts.join(" ");
        }
        // Control bytes (NUL above all) cannot travel in a shell argument; such
        // bodies go through printf like invalid UTF-8.
        let printable = |t: &str| t.chars().all(|c| !c.is_control() || c == '\n' || c == '\t');
        match std::str::from_utf8(&self.body).ok().filter(|t| printable(t)).ok_or(()) {
            Ok(text) => {
                parts.push("--data-raw".into());
                parts.push(shell_quote(text));
                parts.join(" ")
            }
            Err(_) => {
                let mut esc = String::new();
                for b in &self.body {
                    let _ = write!(esc, "\\{:03o}", b);
                }
                parts.push("--data-binary".into());
                parts.push("@-".into());
                format!("printf '{}' | {}", esc, parts.join(" "))
            }
        }
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn ser_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(b))
}

/// An answer as the harness saw it (or as the reference server gives it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(serialize_with = "ser_bytes")]
    pub body: Vec<u8>,
}

impl Answer {
    /// A plain-text answer.
    pub fn text(status: u16, text: &str) -> Self {
        Answer {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as the contract compares it: lossy UTF-8 with one trailing newline
    /// (`\n` or `\r\n`) removed.
    pub fn text_for_comparison(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        let s = s.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&s);
        s.to_string()
    }
}

/// Replaces secrets with a placeholder in anything the tool prints or writes.
///
/// Every reporter and every error path goes through one of these, so the API key
/// never reaches a report, a snapshot or a log, even when a target echoes it back.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Secrets shorter than this are redacted only as whole tokens.
pub const SHORT_SECRET: usize = 8;

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Replaces `secret` in `text` where it is not part of a longer token.
fn replace_tokens(text: &str, secret: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices(secret) {
        if at < last {
            continue;
        }
        let end = at + secret.len();
        let before_ok = at == 0 || !is_token_byte(bytes[at - 1]);
        let after_ok = end == bytes.len() || !is_token_byte(bytes[end]);
        if before_ok && after_ok {
            out.push_str(&text[last..at]);
            out.push_str(REDACTED);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// What secrets are replaced with: the environment variable a reader would use.
pub const REDACTED: &str = "$SLEUTH_API_KEY";

impl Redactor {
    /// A redactor for these secrets (empty strings are ignored).
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(secrets: I) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().map(Into::into).filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    ///
    /// A secret shorter than [`SHORT_SECRET`] bytes is replaced only where it
    /// stands as a whole token (not inside a longer run of letters, digits, `-` or
    /// `_`): a one-letter test key must not turn "shrunk" into "shrun$SLEUTH_API_KEY".
    /// Longer secrets are replaced wherever they occur.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if !out.contains(s.as_str()) {
                continue;
            }
            out = if s.len() >= SHORT_SECRET { out.replace(s.as_str(), REDACTED) } else { replace_tokens(&out, s) };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_line_quotes_the_body_and_headers() {
        let r =
            Request::post("/api/1/impact/1/register_impact").header("Content-Type", "application/json").body(r#"{"value": 'x'}"#);
        let c = r.to_curl("http://127.0.0.1:8080/");
        assert_eq!(
            c,
            r#"curl -sS -i -X POST http://127.0.0.1:8080/api/1/impact/1/register_impact -H 'Content-Type: application/json' --data-raw '{"value": '\''x'\''}'"#
        );
    }

    #[test]
    fn curl_line_sends_invalid_utf8_bodies_byte_for_byte() {
        let r = Request::post("/x").body(vec![0xff, b'a']);
        assert_eq!(r.to_curl("http://h"), r"printf '\377\141' | curl -sS -i -X POST http://h/x --data-binary @-");
    }

    #[test]
    fn a_short_secret_is_redacted_only_as_a_whole_token() {
        let r = Redactor::new(["k"]);
        assert_eq!(
            r.redact("shrunk; Authorization: apikey k; {\"api_key\": \"k\"}"),
            "shrunk; Authorization: apikey $SLEUTH_API_KEY; {\"api_key\": \"$SLEUTH_API_KEY\"}"
        );
    }

    #[test]
    fn curl_line_sends_control_bytes_through_printf() {
        let r = Request::post("/x").body(b"{\"value\": 1.5}\x00".to_vec());
        let c = r.to_curl("http://h");
        assert!(c.starts_with("printf '") && !c.contains('\0'), "{c}");
    }

    #[test]
    fn redactor_replaces_every_occurrence_longest_first() {
        let r = Redactor::new(["abc", "abcdef", ""]);
        assert_eq!(r.redact("k=abcdef; k2=abc"), "k=$SLEUTH_API_KEY; k2=$SLEUTH_API_KEY");
    }

    #[test]
    fn comparison_text_drops_exactly_one_trailing_newline() {
        assert_eq!(Answer::text(200, "Success\n").text_for_comparison(), "Success");
        assert_eq!(Answer::text(200, "Success\r\n").text_for_comparison(), "Success");
        assert_eq!(Answer::text(200, "Success\n\n").text_for_comparison(), "Success\n");
    }
}
