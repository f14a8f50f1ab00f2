//! The input model: request classes as values that render to exact bytes.
//!
//! A [`Spec`] describes a request the way CONTRACT.md's tables do (a method, an
//! impact reference, where the key goes, a body made of raw JSON member texts) and
//! [`Spec::render`] turns it into a [`Request`] for a given target's [`Facts`].
//!
//! ### Why raw member texts?
//! Bodies are bytes, never `serde_json` structs: `serde_json` writes `f64::NAN` as
//! `null` and cannot write `1e400`, `-0`, `+1`, bare `NaN` or duplicate keys, which are
//! exactly the cases that matter. A member's value is the JSON text to splice in.

use chrono::{DateTime, Utc};

use crate::request::Request;
use crate::spec;

/// What the harness knows about a target: a valid API key, the impact ids that
/// exist, one that does not, and the instant "now" for relative dates.
#[derive(Clone)]
pub struct Facts {
    pub api_key: String,
    pub impact_ids: Vec<u64>,
    pub missing_impact_id: u64,
    pub now: DateTime<Utc>,
}

impl std::fmt::Debug for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Facts")
            .field("api_key", &"[redacted]")
            .field("impact_ids", &self.impact_ids)
            .field("missing_impact_id", &self.missing_impact_id)
            .field("now", &self.now)
            .finish()
    }
}

/// The API key of [`Facts::example`].
pub const EXAMPLE_KEY: &str = "sc-example-key-7f3a9c";
/// The unknown API key the catalogue sends (never a real key).
pub const UNKNOWN_KEY: &str = "sc-unknown-key-0000000000";

impl Facts {
    /// Fixed facts for snapshots and tests: key [`EXAMPLE_KEY`], impact ids 42 and 43,
    /// missing id 999999, now = 2024-03-01T12:00:00Z.
    pub fn example() -> Self {
        Facts {
            api_key: EXAMPLE_KEY.into(),
            impact_ids: vec![42, 43],
            missing_impact_id: 999_999,
            now: DateTime::parse_from_rfc3339("2024-03-01T12:00:00Z").expect("valid constant").with_timezone(&Utc),
        }
    }

    /// The first known impact id (callers guarantee there is one).
    pub fn impact_id(&self) -> u64 {
        self.impact_ids.first().copied().unwrap_or(1)
    }

    /// An API key that is not the valid one.
    pub fn unknown_key(&self) -> String {
        if self.api_key == UNKNOWN_KEY {
            format!("{UNKNOWN_KEY}-x")
        } else {
            UNKNOWN_KEY.to_string()
        }
    }
}

/// Which API key to put somewhere.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyRef {
    /// The target's valid key.
    Valid,
    /// A key the target does not know.
    Unknown,
    /// This exact text.
    Literal(String),
}

impl KeyRef {
    fn resolve(&self, facts: &Facts) -> String {
        match self {
            KeyRef::Valid => facts.api_key.clone(),
            KeyRef::Unknown => facts.unknown_key(),
            KeyRef::Literal(s) => s.clone(),
        }
    }
}

/// The `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No header.
    None,
    /// `<scheme> <key>`, e.g. `apikey KEY`.
    Scheme(String, KeyRef),
    /// This exact header value.
    Raw(String),
}

/// The impact segment of the path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ImpactRef {
    /// The first known impact id.
    Known,
    /// The n-th known impact id (falls back to the first).
    KnownAt(usize),
    /// The integer id that does not exist.
    Missing,
    /// The first known id with leading zeros (`042`).
    LeadingZeros,
    /// This exact path segment.
    Raw(String),
}

impl ImpactRef {
    fn resolve(&self, facts: &Facts) -> String {
        match self {
            ImpactRef::Known => facts.impact_id().to_string(),
            ImpactRef::KnownAt(i) => facts.impact_ids.get(*i).copied().unwrap_or(facts.impact_id()).to_string(),
            ImpactRef::Missing => facts.missing_impact_id.to_string(),
            ImpactRef::LeadingZeros => format!("0{}", facts.impact_id()),
            ImpactRef::Raw(s) => s.clone(),
        }
    }
}

/// A JSON member value: raw JSON text, or an API key rendered as a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Member {
    Json(String),
    Key(KeyRef),
}

/// The body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// A JSON object, members in order (duplicates allowed).
    Object(Vec<(String, Member)>),
    /// `application/x-www-form-urlencoded` pairs; `Member::Key` renders the key.
    Form(Vec<(String, Member)>),
    /// These exact bytes.
    Raw(Vec<u8>),
}

/// A request in the terms of CONTRACT.md.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    pub method: String,
    pub impact: ImpactRef,
    pub auth: Auth,
    /// `None`: no `Content-Type` header.
    pub content_type: Option<String>,
    pub body: Body,
}

/// A JSON string literal for `s` (escaped by serde_json, which is right for strings).
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialise")
}

/// The shortest JSON number text that reads back to exactly `v` (finite only).
/// Rust's `{:?}` for `f64` is the shortest round-trip form, and is valid JSON for
/// every finite value (`-0.0`, `5e-324`, `1e300`).
pub fn json_number(v: f64) -> String {
    debug_assert!(v.is_finite());
    format!("{v:?}")
}

impl Default for Spec {
    fn default() -> Self {
        Spec::valid()
    }
}

impl Spec {
    /// The canonical valid request: `POST`, the first known impact id, the key in the
    /// header, `Content-Type: application/json`, body `{"value": 1.5}`.
    pub fn valid() -> Self {
        Spec {
            method: "POST".into(),
            impact: ImpactRef::Known,
            auth: Auth::Scheme("apikey".into(), KeyRef::Valid),
            content_type: Some("application/json".into()),
            body: Body::Object(vec![("value".into(), Member::Json("1.5".into()))]),
        }
    }

    /// Sets (or adds) member `name` to raw JSON `text`, on an object body.
    pub fn set(mut self, name: &str, member: Member) -> Self {
        if let Body::Object(m) | Body::Form(m) = &mut self.body {
            match m.iter_mut().find(|(k, _)| k == name) {
                Some(slot) => slot.1 = member,
                None => m.push((name.into(), member)),
            }
        }
        self
    }

    /// Appends member `name` even if present (duplicate keys).
    pub fn push(mut self, name: &str, member: Member) -> Self {
        if let Body::Object(m) | Body::Form(m) = &mut self.body {
            m.push((name.into(), member));
        }
        self
    }

    /// Removes member `name`.
    pub fn without(mut self, name: &str) -> Self {
        if let Body::Object(m) | Body::Form(m) = &mut self.body {
            m.retain(|(k, _)| k != name);
        }
        self
    }

    /// Sets `value` to raw JSON text (`1.5`, `NaN`, `"abc"`, `null`).
    pub fn value(self, raw: &str) -> Self {
        self.set("value", Member::Json(raw.into()))
    }

    /// Sets `date` to a JSON string.
    pub fn date(self, s: &str) -> Self {
        self.set("date", Member::Json(json_string(s)))
    }

    /// Sets `date` to raw JSON text.
    pub fn date_raw(self, raw: &str) -> Self {
        self.set("date", Member::Json(raw.into()))
    }

    /// Puts a key in the body.
    pub fn body_key(self, key: KeyRef) -> Self {
        self.set("api_key", Member::Key(key))
    }

    /// Sets the `Authorization` header.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Sets the impact reference.
    pub fn impact(mut self, impact: ImpactRef) -> Self {
        self.impact = impact;
        self
    }

    /// Sets the method.
    pub fn method(mut self, m: &str) -> Self {
        self.method = m.into();
        self
    }

    /// Sets or removes the content type.
    pub fn content_type(mut self, ct: Option<&str>) -> Self {
        self.content_type = ct.map(Into::into);
        self
    }

    /// Replaces the body with exact bytes.
    pub fn raw_body(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw(bytes.into());
        self
    }

    /// Turns an object body into a form body with the same members (JSON string
    /// members lose their quotes; other texts are sent as written).
    pub fn as_form(mut self) -> Self {
        if let Body::Object(m) = &self.body {
            let pairs = m
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Member::Json(t) => Member::Json(serde_json::from_str::<String>(t).unwrap_or_else(|_| t.clone())),
                        other => other.clone(),
                    };
                    (k.clone(), v)
                })
                .collect();
            self.body = Body::Form(pairs);
        }
        self.content_type = Some("application/x-www-form-urlencoded".into());
        self
    }

    /// The body bytes for `facts`.
    pub fn body_bytes(&self, facts: &Facts) -> Vec<u8> {
        match &self.body {
            Body::Raw(b) => b.clone(),
            Body::Object(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Member::Json(t) => t.clone(),
                            Member::Key(k) => json_string(&k.resolve(facts)),
                        };
                        format!("{}: {}", json_string(k), v)
                    })
                    .collect();
                format!("{{{}}}", parts.join(", ")).into_bytes()
            }
            Body::Form(m) => {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                for (k, v) in m {
                    let v = match v {
                        Member::Json(t) => t.clone(),
                        Member::Key(k) => k.resolve(facts),
                    };
                    ser.append_pair(k, &v);
                }
                ser.finish().into_bytes()
            }
        }
    }

    /// The exact request for `facts`.
    pub fn render(&self, facts: &Facts) -> Request {
        let mut r = Request {
            method: self.method.clone(),
            target: spec::register_path(&self.impact.resolve(facts)),
            headers: Vec::new(),
            body: self.body_bytes(facts),
        };
        if let Some(ct) = &self.content_type {
            r.headers.push(("Content-Type".into(), ct.clone().into_bytes()));
        }
        match &self.auth {
            Auth::None => {}
            Auth::Scheme(scheme, key) => {
                r.headers.push(("Authorization".into(), format!("{} {}", scheme, key.resolve(facts)).into_bytes()))
            }
            Auth::Raw(v) => r.headers.push(("Authorization".into(), v.clone().into_bytes())),
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_valid_spec_renders_the_pages_header_example() {
        let r = Spec::valid().render(&Facts::example());
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/api/1/impact/42/register_impact");
        assert_eq!(r.first_header("content-type"), Some(&b"application/json"[..]));
        assert_eq!(r.first_header("authorization"), Some(format!("apikey {EXAMPLE_KEY}").as_bytes()));
        assert_eq!(r.body, br#"{"value": 1.5}"#);
    }

    #[test]
    fn raw_member_texts_are_spliced_unchanged_and_duplicates_kept() {
        let r = Spec::valid().value("NaN").push("value", Member::Json("\"x\"".into())).render(&Facts::example());
        assert_eq!(r.body, br#"{"value": NaN, "value": "x"}"#);
    }

    #[test]
    fn form_bodies_carry_the_key_and_unquoted_strings() {
        let r = Spec::valid().date("2024-03-01T12:00:00+02:00").body_key(KeyRef::Valid).as_form().render(&Facts::example());
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            format!("value=1.5&date=2024-03-01T12%3A00%3A00%2B02%3A00&api_key={EXAMPLE_KEY}")
        );
    }

    #[test]
    fn json_number_is_shortest_and_round_trips() {
        for v in [0.1, -0.0, 5e-324, 1e300, 0.30000000000000004, f64::MAX] {
            let t = json_number(v);
            assert!(crate::json::is_json_number(&t), "{t}");
            assert_eq!(t.parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(json_number(-0.0), "-0.0");
    }
}
