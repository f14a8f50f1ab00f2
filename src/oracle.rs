//! The oracle: for any request, the set of answers the contract allows.
//!
//! The page gives no precedence between faults and leaves many edge cases open, so
//! the oracle answers with a *set* ([`Expectation`]), each member carrying the
//! CONTRACT.md [`Row`] that justifies it. It is pure and total: any request, however
//! malformed, gets a non-empty set, and no I/O happens here.
//!
//! ### How the set is built
//! A request is read aspect by aspect (impact id, API key, body shape and content
//! type, `value`, `date`, extra fields). Each aspect says whether it *may* be
//! accepted (and on which row) and which rejections it allows. The request may get
//! `200 Success` only if every aspect may be accepted; its rejections are the union
//! of every aspect's (CONTRACT.md: "several faults in one request: any status that
//! one of its faults allows"). Inside a rate-limit window a request that would be
//! accepted gets `429` instead, and any request to that impact source may get `429`.

use crate::date::{self, DateClass};
use crate::json::{self, Json};
use crate::request::{Answer, Request};
use crate::row::Row;
use crate::spec;

/// Which statuses an allowed answer covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusRule {
    /// Exactly this status.
    Exact(u16),
    /// Any 4xx.
    ClientError,
    /// Anything below 500.
    NotServerError,
}

impl StatusRule {
    /// Whether `status` is covered.
    pub fn covers(self, status: u16) -> bool {
        match self {
            StatusRule::Exact(s) => s == status,
            StatusRule::ClientError => (400..500).contains(&status),
            StatusRule::NotServerError => (100..500).contains(&status),
        }
    }
}

impl std::fmt::Display for StatusRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusRule::Exact(s) => write!(f, "{s}"),
            StatusRule::ClientError => f.write_str("4xx"),
            StatusRule::NotServerError => f.write_str("any but 5xx"),
        }
    }
}

/// What the body text of an allowed answer must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextRule {
    /// Byte for byte, after trimming one trailing newline.
    Exact(&'static str),
    /// Any text.
    Any,
}

impl TextRule {
    /// Whether `text` (already trimmed of one trailing newline) satisfies the rule.
    pub fn matches(self, text: &str) -> bool {
        match self {
            TextRule::Exact(t) => t == text,
            TextRule::Any => true,
        }
    }
}

/// One allowed answer: a status (or class), a text rule, and the row behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Allowed {
    pub status: StatusRule,
    pub text: TextRule,
    pub row: Row,
}

impl Allowed {
    fn new(status: StatusRule, text: TextRule, row: Row) -> Self {
        Allowed { status, text, row }
    }
    fn exact(status: u16, text: &'static str, row: Row) -> Self {
        Allowed::new(StatusRule::Exact(status), TextRule::Exact(text), row)
    }
    fn any(status: u16, row: Row) -> Self {
        Allowed::new(StatusRule::Exact(status), TextRule::Any, row)
    }
}

impl std::fmt::Display for Allowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text {
            TextRule::Exact(t) => write!(f, "{} {:?}", self.status, t),
            TextRule::Any => write!(f, "{} (any text)", self.status),
        }
    }
}

/// The rate-limit state of the impact source a request names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// No registration inside the window: a valid request must be accepted.
    #[default]
    Closed,
    /// Inside the window: a valid request must get 429.
    Open,
    /// Not known (another client may have registered): 200 and 429 both allowed.
    Unknown,
}

/// The answers the contract allows for one request.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Expectation {
    /// Allowed answers, most specific first; never empty.
    pub allowed: Vec<Allowed>,
    /// Whether a `200` would register a value (every aspect may be accepted).
    pub may_register: bool,
    /// Whether the contract *requires* acceptance when the window is closed
    /// (every aspect is accepted on a specified row).
    pub must_accept: bool,
}

/// How an answer compares with an [`Expectation`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Judgement {
    /// Allowed, on a row the contract specifies.
    Conforms { row: Row },
    /// Allowed, but only because the contract is silent.
    Unspecified { row: Row },
    /// A 5xx: never allowed.
    ServerError,
    /// The status is not in the allowed set.
    UnexpectedStatus,
    /// The status is allowed but the text is not the one the contract prescribes.
    WrongText { expected: Vec<&'static str> },
}

impl Judgement {
    /// Whether this is a violation of the contract.
    pub fn is_violation(&self) -> bool {
        !matches!(self, Judgement::Conforms { .. } | Judgement::Unspecified { .. })
    }
}

impl Expectation {
    /// Whether `status` is allowed with some text.
    pub fn allows_status(&self, status: u16) -> bool {
        self.allowed.iter().any(|a| a.status.covers(status))
    }

    /// Whether the status-and-text pair is allowed.
    pub fn allows(&self, status: u16, text: &str) -> bool {
        self.allowed.iter().any(|a| a.status.covers(status) && a.text.matches(text))
    }

    /// Compares an answer with the set. 5xx is always a violation.
    pub fn judge(&self, answer: &Answer) -> Judgement {
        self.judge_parts(answer.status, &answer.text_for_comparison())
    }

    /// [`Expectation::judge`] on a status and an already-trimmed text.
    pub fn judge_parts(&self, status: u16, text: &str) -> Judgement {
        if status >= 500 {
            return Judgement::ServerError;
        }
        let same_status: Vec<&Allowed> = self.allowed.iter().filter(|a| a.status.covers(status)).collect();
        if same_status.is_empty() {
            return Judgement::UnexpectedStatus;
        }
        let matching: Vec<&&Allowed> = same_status.iter().filter(|a| a.text.matches(text)).collect();
        match matching.iter().find(|a| !a.row.is_unspecified()).or(matching.first()) {
            Some(a) if a.row.is_unspecified() => Judgement::Unspecified { row: a.row },
            Some(a) => Judgement::Conforms { row: a.row },
            None => Judgement::WrongText {
                expected: same_status
                    .iter()
                    .filter_map(|a| match a.text {
                        TextRule::Exact(t) => Some(t),
                        TextRule::Any => None,
                    })
                    .collect(),
            },
        }
    }

    /// The distinct status rules, sorted (for summaries and cross-checks).
    pub fn statuses(&self) -> Vec<StatusRule> {
        let mut v: Vec<StatusRule> = self.allowed.iter().map(|a| a.status).collect();
        v.sort();
        v.dedup();
        v
    }

    /// A one-line summary such as `200 "Success" | 400 (any text)`.
    pub fn summary(&self) -> String {
        self.allowed.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ")
    }
}

/// The oracle for one target: which impact ids exist and which API keys are valid.
#[derive(Clone)]
pub struct Oracle {
    impact_ids: Vec<u64>,
    api_keys: Vec<String>,
}

impl std::fmt::Debug for Oracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oracle").field("impact_ids", &self.impact_ids).field("api_keys", &"[redacted]").finish()
    }
}

/// What one aspect of a request allows.
#[derive(Default)]
struct Aspect {
    /// `Some(row)`: this aspect may be accepted, on that row.
    accept: Option<Row>,
    reject: Vec<Allowed>,
}

impl Aspect {
    fn ok(row: Row) -> Self {
        Aspect { accept: Some(row), reject: Vec::new() }
    }
    fn fault(reject: Vec<Allowed>) -> Self {
        Aspect { accept: None, reject }
    }
    fn either(row: Row, reject: Vec<Allowed>) -> Self {
        Aspect { accept: Some(row), reject }
    }
}

/// How the impact segment of the path reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImpactClass {
    Known(u64),
    Unknown,
    NotInteger,
    LeadingZeros(Option<u64>),
}

/// Where and how the API key was given, as a server could read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyReading {
    Valid,
    Unknown,
    WrongType,
    Absent,
    /// A header whose scheme differs only in case: a server that does not honour
    /// it answers 401 (CONTRACT.md allows only 200 or 401 there).
    Unhonoured,
}

impl Oracle {
    /// An oracle for a target with these impact ids and valid API keys.
    pub fn new(impact_ids: impl IntoIterator<Item = u64>, api_keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Oracle { impact_ids: impact_ids.into_iter().collect(), api_keys: api_keys.into_iter().map(Into::into).collect() }
    }

    /// The impact ids the oracle knows.
    pub fn impact_ids(&self) -> &[u64] {
        &self.impact_ids
    }

    /// How an impact path segment reads against this target's impact ids.
    pub fn classify_impact(&self, seg: &str) -> ImpactClass {
        if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()) {
            return ImpactClass::NotInteger;
        }
        let trimmed = seg.trim_start_matches('0');
        let n: Option<u64> = if trimmed.is_empty() { Some(0) } else { trimmed.parse().ok() };
        let known = n.filter(|n| self.impact_ids.contains(n));
        if seg.len() > 1 && seg.starts_with('0') {
            return ImpactClass::LeadingZeros(known);
        }
        match known {
            Some(id) => ImpactClass::Known(id),
            None => ImpactClass::Unknown,
        }
    }

    /// The impact id a request is about, if it names a known one (leading zeros
    /// included): the impact source whose window applies.
    pub fn impact_of(&self, req: &Request) -> Option<u64> {
        let (seg, _) = spec::split_target(&req.target)?;
        match self.classify_impact(seg) {
            ImpactClass::Known(id) | ImpactClass::LeadingZeros(Some(id)) => Some(id),
            _ => None,
        }
    }

    /// The answers the contract allows for `req` when its impact source's window is
    /// in state `window`.
    pub fn expect(&self, req: &Request, window: Window) -> Expectation {
        match req.method.as_str() {
            "POST" => {}
            "HEAD" | "OPTIONS" => {
                return single(Allowed::new(StatusRule::NotServerError, TextRule::Any, Row::MethodHeadOptions));
            }
            _ => return single(Allowed::new(StatusRule::ClientError, TextRule::Any, Row::MethodOther)),
        }
        let Some((seg, _query)) = spec::split_target(&req.target) else {
            return single(Allowed::new(StatusRule::ClientError, TextRule::Any, Row::PathOther));
        };
        let impact = self.classify_impact(seg);
        let mut aspects = vec![impact_aspect(impact)];

        let variants = self.body_variants(req);
        let mut outcomes: Vec<(Option<Row>, Vec<Allowed>)> = Vec::new();
        let dup = variants.len() > 1;
        for body in &variants {
            let mut all = Vec::new();
            all.push(self.auth_aspect(req, body));
            all.extend(body_aspects(body));
            let accept = combined_accept(all.iter().chain(aspects.iter()));
            let reject = all.into_iter().flat_map(|a| a.reject).collect();
            outcomes.push((accept, reject));
        }
        let mut allowed: Vec<Allowed> = aspects.drain(..).flat_map(|a| a.reject).collect();
        let mut accept_row: Option<Row> = None;
        let mut must_accept = !dup;
        for (acc, rej) in outcomes {
            match acc {
                Some(row) => {
                    if accept_row.is_none() || row.is_unspecified() {
                        accept_row = Some(if dup { Row::BodyDuplicateKeys } else { row });
                    }
                    if row.is_unspecified() {
                        must_accept = false;
                    }
                }
                None => must_accept = false,
            }
            allowed.extend(rej.into_iter().map(|a| if dup { Allowed { row: Row::BodyDuplicateKeys, ..a } } else { a }));
        }
        if dup {
            allowed.push(Allowed::any(400, Row::BodyDuplicateKeys));
        }
        let may_register = accept_row.is_some();
        let known_source = matches!(impact, ImpactClass::Known(_) | ImpactClass::LeadingZeros(Some(_)));
        let mut accepted: Vec<Allowed> = Vec::new();
        if let Some(row) = accept_row {
            if window != Window::Open {
                accepted.push(Allowed::exact(200, spec::TEXT_SUCCESS, row));
            }
            if window != Window::Closed {
                let row = if row.is_unspecified() { row } else { Row::RateWindow };
                accepted.push(Allowed::exact(429, spec::TEXT_RATE_LIMITED, row));
            }
        }
        if window != Window::Closed && known_source {
            allowed.push(Allowed::exact(429, spec::TEXT_RATE_LIMITED, Row::RateInWindow));
        }
        accepted.extend(allowed);
        Expectation { allowed: dedup(accepted), may_register, must_accept: must_accept && may_register }
    }

    /// The body as the aspects read it. Duplicate keys give two readings (first
    /// wins, last wins), since the contract leaves the choice open.
    fn body_variants(&self, req: &Request) -> Vec<BodyReading> {
        let ct = req.first_header("content-type").map(|v| String::from_utf8_lossy(v).to_ascii_lowercase());
        let media = ct.as_deref().map(|c| c.split(';').next().unwrap_or("").trim().to_string());
        let mut body: &[u8] = &req.body;
        let mut notes = Vec::new();
        if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF".as_slice()) {
            body = rest;
            notes.push(Row::BodyContentType);
        }
        let kind = match media.as_deref() {
            Some("application/json") => ContentKind::Json,
            Some("application/x-www-form-urlencoded") => ContentKind::Form,
            _ => ContentKind::Other,
        };
        if kind != ContentKind::Json {
            notes.push(if kind == ContentKind::Form { Row::BodyForm } else { Row::BodyContentType });
        }
        let members: Result<Vec<(String, Field)>, ()> = if kind == ContentKind::Form {
            Ok(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), Field::Form(v.into_owned()))).collect())
        } else {
            match json::parse(body) {
                Ok(Json::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k, Field::Json(v))).collect()),
                _ => Err(()),
            }
        };
        let Ok(members) = members else {
            return vec![BodyReading { kind, notes, fields: None }];
        };
        let names = ["value", "date", "api_key"];
        let has_dup = names.iter().any(|n| members.iter().filter(|(k, _)| k == n).count() > 1);
        let pick = |last: bool| -> Vec<(String, Field)> {
            let mut out: Vec<(String, Field)> = Vec::new();
            for (k, v) in &members {
                if let Some(slot) = out.iter_mut().find(|(ok, _)| ok == k) {
                    if last {
                        slot.1 = v.clone();
                    }
                } else {
                    out.push((k.clone(), v.clone()));
                }
            }
            out
        };
        let mut readings = vec![BodyReading { kind, notes: notes.clone(), fields: Some(pick(false)) }];
        if has_dup {
            readings.push(BodyReading { kind, notes, fields: Some(pick(true)) });
        }
        readings
    }

    fn valid_key(&self, key: &str) -> bool {
        self.api_keys.iter().any(|k| k == key)
    }

    fn auth_aspect(&self, req: &Request, body: &BodyReading) -> Aspect {
        // Each place gives the readings a server could make of it, each with the row
        // that allows that reading.
        let header: Vec<(KeyReading, Row)> = match req.first_header("authorization") {
            None => vec![(KeyReading::Absent, Row::KeyMissing)],
            Some(raw) => {
                let v = String::from_utf8_lossy(raw);
                let v = v.trim();
                let (scheme, key) = match v.split_once(' ') {
                    Some((s, k)) => (s, k.trim_start()),
                    None => (v, ""),
                };
                let valid = self.valid_key(key);
                let read = if valid { KeyReading::Valid } else { KeyReading::Unknown };
                if scheme == "apikey" && !key.is_empty() {
                    vec![(read, if valid { Row::KeyValid } else { Row::KeyUnknown })]
                } else if scheme.eq_ignore_ascii_case("apikey") && !key.is_empty() {
                    vec![
                        (read, if valid { Row::KeySchemeCase } else { Row::KeyUnknown }),
                        (KeyReading::Unhonoured, Row::KeySchemeCase),
                    ]
                } else {
                    // Another scheme, or the key alone: never 200 unless the key is valid.
                    let whole_valid = self.valid_key(v);
                    let mut r = vec![(KeyReading::Absent, Row::KeyOtherScheme), (KeyReading::Unknown, Row::KeyOtherScheme)];
                    if valid || whole_valid {
                        r.push((KeyReading::Valid, Row::KeyOtherScheme));
                    }
                    r
                }
            }
        };
        let body_key: Vec<(KeyReading, Row)> = match body.get("api_key") {
            None => vec![(KeyReading::Absent, Row::KeyMissing)],
            Some(Field::Json(Json::String(k))) | Some(Field::Form(k)) => {
                if k.is_empty() {
                    vec![(KeyReading::Absent, Row::KeyMissing), (KeyReading::Unknown, Row::KeyMissing)]
                } else if self.valid_key(k) {
                    vec![(KeyReading::Valid, Row::KeyValid)]
                } else {
                    vec![(KeyReading::Unknown, Row::KeyUnknown)]
                }
            }
            Some(Field::Json(_)) => vec![(KeyReading::WrongType, Row::KeyBodyWrongType)],
        };
        let mut aspect = Aspect::default();
        let mut accept_rows = Vec::new();
        let mut every_reading_accepts = true;
        for (h, hrow) in &header {
            for (b, brow) in &body_key {
                let rows = [*hrow, *brow];
                let unspec = rows.into_iter().find(|r| r.is_unspecified());
                let readings = [*h, *b];
                let valid = readings.contains(&KeyReading::Valid);
                let unknown = readings.contains(&KeyReading::Unknown);
                let wrong = readings.contains(&KeyReading::WrongType);
                if valid && unknown {
                    accept_rows.push(Row::KeyConflict);
                    aspect.reject.push(Allowed::exact(401, spec::TEXT_UNAUTHORIZED, Row::KeyConflict));
                } else if valid && wrong {
                    accept_rows.push(Row::KeyBodyWrongType);
                    aspect.reject.push(Allowed::any(400, Row::KeyBodyWrongType));
                    aspect.reject.push(Allowed::any(401, Row::KeyBodyWrongType));
                    every_reading_accepts = false;
                } else if valid {
                    accept_rows.push(unspec.unwrap_or(Row::KeyValid));
                } else {
                    every_reading_accepts = false;
                    if unknown {
                        aspect.reject.push(Allowed::exact(401, spec::TEXT_UNAUTHORIZED, unspec.unwrap_or(Row::KeyUnknown)));
                    }
                    if wrong {
                        aspect.reject.push(Allowed::any(400, Row::KeyBodyWrongType));
                        aspect.reject.push(Allowed::any(401, Row::KeyBodyWrongType));
                    }
                    if readings.contains(&KeyReading::Unhonoured) && !unknown && !wrong {
                        aspect.reject.push(Allowed::any(401, Row::KeySchemeCase));
                    } else if !unknown && !wrong {
                        let row = unspec.unwrap_or(Row::KeyMissing);
                        aspect.reject.push(Allowed::any(401, row));
                        aspect.reject.push(Allowed::any(400, row));
                    }
                }
            }
        }
        if !accept_rows.is_empty() {
            // Some reading accepts. An unspecified reading makes the 200 unspecified;
            // a valid key beside a wrongly typed body key is open too, but the
            // contract names no row for it, so it rests on the wrong-type row.
            let open = accept_rows.iter().copied().find(|r| r.is_unspecified());
            aspect.accept = Some(open.unwrap_or(if every_reading_accepts { Row::KeyValid } else { Row::KeyBodyWrongType }));
        }
        aspect
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContentKind {
    Json,
    Form,
    Other,
}

#[derive(Clone, Debug)]
enum Field {
    Json(Json),
    Form(String),
}

struct BodyReading {
    kind: ContentKind,
    /// Unspecified conditions of the body as a whole (content type, BOM, form).
    notes: Vec<Row>,
    /// `None`: the body is not a JSON object (or readable form).
    fields: Option<Vec<(String, Field)>>,
}

impl BodyReading {
    fn get(&self, name: &str) -> Option<&Field> {
        self.fields.as_ref()?.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// The row a `200` rests on when every aspect may be accepted: an unspecified
/// row if any aspect is open, else the most specific accepting row.
fn combined_accept<'a>(aspects: impl Iterator<Item = &'a Aspect>) -> Option<Row> {
    let rows: Vec<Row> = aspects.map(|a| a.accept).collect::<Option<Vec<Row>>>()?;
    let generic = [Row::ImpactKnown, Row::KeyValid, Row::DateAbsent, Row::ValueFinite];
    rows.iter()
        .copied()
        .find(|r| r.is_unspecified())
        .or_else(|| rows.iter().copied().find(|r| !generic.contains(r)))
        .or_else(|| rows.iter().copied().find(|r| *r == Row::ValueFinite))
        .or(Some(Row::KeyValid))
}

fn single(a: Allowed) -> Expectation {
    Expectation { allowed: vec![a], may_register: false, must_accept: false }
}

/// Keeps the first of each (status, text) pair, preferring a specified row.
fn dedup(list: Vec<Allowed>) -> Vec<Allowed> {
    let mut out: Vec<Allowed> = Vec::new();
    for a in list {
        match out.iter_mut().find(|o| o.status == a.status && o.text == a.text) {
            Some(o) => {
                if o.row.is_unspecified() && !a.row.is_unspecified() {
                    o.row = a.row;
                }
            }
            None => out.push(a),
        }
    }
    // An exact text is redundant next to "any text" for the same status only for
    // matching purposes; both are kept so reports show the prescribed text.
    out
}

fn impact_aspect(impact: ImpactClass) -> Aspect {
    let open = |row| vec![Allowed::any(404, row), Allowed::any(400, row)];
    match impact {
        ImpactClass::Known(_) => Aspect::ok(Row::ImpactKnown),
        ImpactClass::Unknown => Aspect::fault(vec![Allowed::exact(404, spec::TEXT_NOT_FOUND, Row::ImpactUnknown)]),
        ImpactClass::NotInteger => Aspect::fault(open(Row::ImpactNotInteger)),
        ImpactClass::LeadingZeros(Some(_)) => Aspect::either(Row::ImpactLeadingZeros, open(Row::ImpactLeadingZeros)),
        ImpactClass::LeadingZeros(None) => {
            let mut r = vec![Allowed::exact(404, spec::TEXT_NOT_FOUND, Row::ImpactLeadingZeros)];
            r.extend(open(Row::ImpactLeadingZeros));
            Aspect::fault(r)
        }
    }
}

fn value_text(row: Row) -> Vec<Allowed> {
    vec![Allowed::exact(400, spec::TEXT_BAD_VALUE, row)]
}

fn body_aspects(body: &BodyReading) -> Vec<Aspect> {
    let mut out = Vec::new();
    for row in &body.notes {
        match row {
            Row::BodyForm => out.push(Aspect::either(
                Row::BodyForm,
                vec![Allowed::any(400, Row::BodyForm), Allowed::any(401, Row::BodyForm), Allowed::any(415, Row::BodyForm)],
            )),
            _ => out.push(Aspect::either(*row, vec![Allowed::any(400, *row), Allowed::any(415, *row)])),
        }
    }
    if body.fields.is_none() {
        let row = if body.kind == ContentKind::Form { Row::BodyForm } else { Row::BodyMalformed };
        out.push(Aspect::fault(vec![Allowed::any(400, row)]));
        return out;
    }
    out.push(value_aspect(body.get("value")));
    out.push(date_aspect(body.get("date")));
    let extra: Vec<&(String, Field)> =
        body.fields.iter().flatten().filter(|(k, _)| !matches!(k.as_str(), "value" | "date" | "api_key")).collect();
    if !extra.is_empty() {
        out.push(Aspect::either(Row::BodyExtraFields, vec![Allowed::any(400, Row::BodyExtraFields)]));
    }
    out
}

/// Whether a number token's mantissa has a non-zero digit (so a parse to zero is
/// an underflow, not a zero).
fn nonzero_mantissa(token: &str) -> bool {
    token.split(['e', 'E']).next().unwrap_or("").bytes().any(|b| (b'1'..=b'9').contains(&b))
}

fn numeric_string(s: &str, row_if_ok: Row) -> Aspect {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let bare = lower.trim_start_matches(['+', '-']);
    if matches!(bare, "nan" | "inf" | "infinity") {
        return Aspect::fault(value_text(Row::ValueNonFinite));
    }
    match t.replace('_', "").parse::<f64>() {
        Ok(v) if v.is_finite() && !t.is_empty() => Aspect::either(row_if_ok, value_text(row_if_ok)),
        Ok(_) => Aspect::fault(value_text(Row::ValueOverflow)),
        Err(_) => Aspect::fault(value_text(Row::ValueNotNumber)),
    }
}

fn value_aspect(field: Option<&Field>) -> Aspect {
    match field {
        None => Aspect::fault(value_text(Row::ValueNotNumber)),
        Some(Field::Form(s)) => numeric_string(s, Row::BodyForm),
        Some(Field::Json(v)) => match v {
            Json::Number(t) => {
                let x: f64 = t.parse().unwrap_or(f64::INFINITY);
                if !x.is_finite() {
                    Aspect::fault(value_text(Row::ValueOverflow))
                } else if x == 0.0 && nonzero_mantissa(t) {
                    Aspect::either(Row::ValueUnderflow, value_text(Row::ValueUnderflow))
                } else {
                    Aspect::ok(Row::ValueFinite)
                }
            }
            Json::NonFinite(_) => Aspect::fault(value_text(Row::ValueNonFinite)),
            Json::String(s) => numeric_string(s, Row::ValueNumericString),
            _ => Aspect::fault(value_text(Row::ValueNotNumber)),
        },
    }
}

fn date_aspect(field: Option<&Field>) -> Aspect {
    let s = match field {
        None => return Aspect::ok(Row::DateAbsent),
        Some(Field::Form(s)) => s.as_str(),
        Some(Field::Json(Json::String(s))) => s.as_str(),
        Some(Field::Json(Json::Null)) => return Aspect::either(Row::DateNull, vec![Allowed::any(400, Row::DateNull)]),
        Some(Field::Json(_)) => return Aspect::fault(vec![Allowed::any(400, Row::DateWrongType)]),
    };
    let class = date::classify(s);
    match class {
        DateClass::Blank => Aspect::ok(Row::DateBlank),
        DateClass::Rfc3339(_) | DateClass::Local(_) if class.far_from_now() => {
            Aspect::either(Row::DateFarRange, vec![Allowed::any(400, Row::DateFarRange)])
        }
        DateClass::Rfc3339(_) | DateClass::Local(_) => Aspect::ok(Row::DateValid),
        DateClass::Unusual(_) => Aspect::either(Row::DateUnusual, vec![Allowed::any(400, Row::DateUnusual)]),
        DateClass::Invalid(why) if why.starts_with("impossible") => Aspect::fault(vec![Allowed::any(400, Row::DateImpossible)]),
        DateClass::Invalid(_) => Aspect::fault(vec![Allowed::any(400, Row::DateNotIso)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oracle() -> Oracle {
        Oracle::new([42], ["good-key"])
    }

    fn req(body: &str) -> Request {
        Request::post(spec::register_path("42"))
            .header("Content-Type", "application/json")
            .header("Authorization", "apikey good-key")
            .body(body)
    }

    #[test]
    fn a_valid_request_must_succeed_when_the_window_is_closed() {
        let e = oracle().expect(&req(r#"{"value": 1.5}"#), Window::Closed);
        assert_eq!(e.allowed, vec![Allowed::exact(200, "Success", Row::ValueFinite)]);
        assert!(e.must_accept);
    }

    #[test]
    fn a_valid_request_must_get_429_inside_the_window() {
        let e = oracle().expect(&req(r#"{"value": 1.5}"#), Window::Open);
        assert_eq!(e.statuses(), vec![StatusRule::Exact(429)]);
        assert_eq!(e.judge_parts(429, spec::TEXT_RATE_LIMITED), Judgement::Conforms { row: Row::RateWindow });
        assert_eq!(e.judge_parts(200, "Success"), Judgement::UnexpectedStatus);
    }

    #[test]
    fn nan_token_requires_the_value_text() {
        let e = oracle().expect(&req(r#"{"value": NaN}"#), Window::Closed);
        assert_eq!(e.judge_parts(400, spec::TEXT_BAD_VALUE), Judgement::Conforms { row: Row::ValueNonFinite });
        assert!(matches!(e.judge_parts(400, "Bad Request"), Judgement::WrongText { .. }));
    }

    #[test]
    fn faults_union_their_answers() {
        let r = Request::post(spec::register_path("7"))
            .header("Content-Type", "application/json")
            .header("Authorization", "apikey nope")
            .body(r#"{"value": 1}"#);
        let e = oracle().expect(&r, Window::Closed);
        assert_eq!(e.statuses(), vec![StatusRule::Exact(401), StatusRule::Exact(404)]);
        assert!(e.allows(404, spec::TEXT_NOT_FOUND));
        assert!(!e.allows(404, "Not Found"));
    }

    #[test]
    fn server_errors_are_always_violations() {
        let e = Expectation {
            allowed: vec![Allowed::new(StatusRule::NotServerError, TextRule::Any, Row::MethodHeadOptions)],
            may_register: false,
            must_accept: false,
        };
        assert_eq!(e.judge_parts(503, ""), Judgement::ServerError);
    }
}
