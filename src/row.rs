//! The rows of CONTRACT.md, as data.
//!
//! Every allowed answer the oracle gives and every catalogue case names the row that
//! justifies it, so a verdict can always be traced back to a sentence of the contract.

/// One row (or rule) of `shared/CONTRACT.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Row {
    ValueFinite,
    ValueNotNumber,
    ValueNonFinite,
    ValueOverflow,
    ValueUnderflow,
    ValueNonJsonNumber,
    ValueNumericString,
    DateAbsent,
    DateValid,
    DateBlank,
    DateUnusual,
    DateFarRange,
    DateImpossible,
    DateNotIso,
    DateWrongType,
    DateNull,
    KeyValid,
    KeyConflict,
    KeySchemeCase,
    KeyBodyWrongType,
    KeyUnknown,
    KeyMissing,
    KeyOtherScheme,
    ImpactKnown,
    ImpactUnknown,
    ImpactNotInteger,
    ImpactLeadingZeros,
    BodyMalformed,
    BodyExtraFields,
    BodyDuplicateKeys,
    BodyForm,
    BodyContentType,
    MethodOther,
    MethodHeadOptions,
    PathOther,
    RateWindow,
    RateInWindow,
    ManyFaults,
}

impl Row {
    /// Every row, in contract order.
    pub const ALL: [Row; 38] = [
        Row::ValueFinite,
        Row::ValueNotNumber,
        Row::ValueNonFinite,
        Row::ValueOverflow,
        Row::ValueUnderflow,
        Row::ValueNonJsonNumber,
        Row::ValueNumericString,
        Row::DateAbsent,
        Row::DateValid,
        Row::DateBlank,
        Row::DateUnusual,
        Row::DateFarRange,
        Row::DateImpossible,
        Row::DateNotIso,
        Row::DateWrongType,
        Row::DateNull,
        Row::KeyValid,
        Row::KeyConflict,
        Row::KeySchemeCase,
        Row::KeyBodyWrongType,
        Row::KeyUnknown,
        Row::KeyMissing,
        Row::KeyOtherScheme,
        Row::ImpactKnown,
        Row::ImpactUnknown,
        Row::ImpactNotInteger,
        Row::ImpactLeadingZeros,
        Row::BodyMalformed,
        Row::BodyExtraFields,
        Row::BodyDuplicateKeys,
        Row::BodyForm,
        Row::BodyContentType,
        Row::MethodOther,
        Row::MethodHeadOptions,
        Row::PathOther,
        Row::RateWindow,
        Row::RateInWindow,
        Row::ManyFaults,
    ];

    /// The contract's words for this row (abridged from CONTRACT.md).
    pub fn text(self) -> &'static str {
        match self {
            Row::ValueFinite => "value: any finite JSON number -> 200",
            Row::ValueNotNumber => "value: missing, null, boolean, array, object, \"\", \"abc\" -> 400 value text",
            Row::ValueNonFinite => "value: NaN/Infinity as bare tokens or strings -> 400 value text",
            Row::ValueOverflow => "value: a number outside the double range (1e400) -> 400 value text",
            Row::ValueUnderflow => "value: a number that underflows to zero (1e-400) -> unspecified: 200 or 400",
            Row::ValueNonJsonNumber => "value: non-JSON number forms (+1, .5, 1., 01, 0x10) -> 400",
            Row::ValueNumericString => "value: a numeric string (\"1.5\") -> unspecified: 200 or 400",
            Row::DateAbsent => "date: absent -> 200",
            Row::DateValid => "date: RFC 3339 date-time, or the same without offset -> 200",
            Row::DateBlank => "date: \"\" (left blank) -> 200",
            Row::DateUnusual => "date: date only, basic, week, ordinal, lower-case t/z, space, :60, 24:00 -> unspecified",
            Row::DateFarRange => "date: before 2000 or after 2100 -> unspecified: 200 or 400",
            Row::DateImpossible => "date: impossible calendar values -> 400",
            Row::DateNotIso => "date: not ISO-8601 -> 400",
            Row::DateWrongType => "date: not a string -> 400",
            Row::DateNull => "date: null -> unspecified: 200 or 400",
            Row::KeyValid => "key: valid key in header, body or both -> 200",
            Row::KeyConflict => "key: valid in one place, unknown in the other -> unspecified: 200 or 401",
            Row::KeySchemeCase => "key: header scheme in another case with a valid key -> unspecified: 200 or 401",
            Row::KeyBodyWrongType => "key: body api_key null/number/object -> 400 or 401, text unspecified",
            Row::KeyUnknown => "key: unknown key -> 401 Unauthorized",
            Row::KeyMissing => "key: no key at all -> 401 or 400, text unspecified",
            Row::KeyOtherScheme => "key: header with another scheme -> unspecified, never 200 unless the key is valid",
            Row::ImpactKnown => "impact: existing integer -> 200",
            Row::ImpactUnknown => "impact: unknown integer -> 404 MetricImpactSource Not Found",
            Row::ImpactNotInteger => "impact: not an integer, or negative -> 404 or 400, text unspecified",
            Row::ImpactLeadingZeros => "impact: leading zeros -> unspecified: the answer for the number, 404 or 400",
            Row::BodyMalformed => "body: malformed JSON, array or number body, empty body -> 400",
            Row::BodyExtraFields => "body: unknown extra fields -> unspecified",
            Row::BodyDuplicateKeys => "body: duplicate keys -> unspecified",
            Row::BodyForm => "body: form-encoded -> unspecified: same rules as JSON, or 400/401/415",
            Row::BodyContentType => "body: JSON without application/json content type -> unspecified (not in CONTRACT.md)",
            Row::MethodOther => "method: GET, PUT, DELETE, PATCH -> any 4xx",
            Row::MethodHeadOptions => "method: HEAD, OPTIONS -> any answer but a 5xx",
            Row::PathOther => "path: not the register path -> any 4xx (not in CONTRACT.md)",
            Row::RateWindow => "window: a valid registration inside the window gets 429 with Retry-After",
            Row::RateInWindow => "window: 429 is conformant for any request to an impact source inside its window",
            Row::ManyFaults => "several faults: any status one of them allows",
        }
    }

    /// Whether the contract leaves this row's outcome open. An answer justified only
    /// by such a row is recorded as `unspecified`, never as a violation.
    pub fn is_unspecified(self) -> bool {
        matches!(
            self,
            Row::ValueUnderflow
                | Row::ValueNumericString
                | Row::DateUnusual
                | Row::DateFarRange
                | Row::DateNull
                | Row::KeyConflict
                | Row::KeySchemeCase
                | Row::KeyOtherScheme
                | Row::ImpactLeadingZeros
                | Row::BodyExtraFields
                | Row::BodyDuplicateKeys
                | Row::BodyForm
                | Row::BodyContentType
                | Row::PathOther
                | Row::RateInWindow
        )
    }

    /// The section of CONTRACT.md the row belongs to.
    pub fn section(self) -> &'static str {
        let name = format!("{self:?}");
        match () {
            _ if name.starts_with("Value") => "value",
            _ if name.starts_with("Date") => "date",
            _ if name.starts_with("Key") => "auth",
            _ if name.starts_with("Impact") => "impact",
            _ if name.starts_with("Body") => "body",
            _ if name.starts_with("Method") || name.starts_with("Path") => "method",
            _ if name.starts_with("Rate") => "rate-limit",
            _ => "multi",
        }
    }
}

impl std::fmt::Display for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}
