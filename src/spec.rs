//! The contract as data: the path template, the exact response texts, the window.
//!
//! Everything here is quoted from `shared/spec/register-impact.md` as read by
//! `shared/CONTRACT.md`. Keeping the texts in one place means a change of wording
//! on the vendor's side is a one-line change here, visible in every snapshot.

/// The text of a `200` answer.
pub const TEXT_SUCCESS: &str = "Success";
/// The text of a `400` answer for a missing or non-numeric `value`.
pub const TEXT_BAD_VALUE: &str = "Bad Request - impact value must be a number";
/// The text of a `401` answer for an unknown API key.
pub const TEXT_UNAUTHORIZED: &str = "Unauthorized";
/// The text of a `404` answer for an integer `IMPACT_ID` that does not exist.
pub const TEXT_NOT_FOUND: &str = "MetricImpactSource Not Found";
/// The text of a `429` answer. The page hard-codes 120 seconds in it; the harness
/// keeps the text as published even when a target runs a shorter window.
pub const TEXT_RATE_LIMITED: &str = "You may only register a custom metric once every 120 seconds";

/// The window the page documents, in seconds.
pub const DEFAULT_WINDOW_SECS: u64 = 120;

/// The path prefix before the impact id.
pub const PATH_PREFIX: &str = "/api/1/impact/";
/// The path suffix after the impact id.
pub const PATH_SUFFIX: &str = "/register_impact";

/// The production host. The tool refuses to send fuzz traffic there unless told to.
pub const PRODUCTION_HOST: &str = "app.sleuth.io";

/// The path for an impact reference, as sent (no validation: the reference may be
/// deliberately wrong).
pub fn register_path(impact: &str) -> String {
    format!("{PATH_PREFIX}{impact}{PATH_SUFFIX}")
}

/// Extracts the impact segment from a request target (`/api/1/impact/{seg}/register_impact`).
/// Returns `None` when the target does not have that shape (other path, extra segments).
/// A query string is split off and returned separately.
pub fn split_target(target: &str) -> Option<(&str, Option<&str>)> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let seg = path.strip_prefix(PATH_PREFIX)?.strip_suffix(PATH_SUFFIX)?;
    if seg.contains('/') {
        return None;
    }
    Some((seg, query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_target_finds_the_impact_segment_and_query() {
        assert_eq!(split_target("/api/1/impact/42/register_impact"), Some(("42", None)));
        assert_eq!(split_target("/api/1/impact//register_impact"), Some(("", None)));
        assert_eq!(split_target("/api/1/impact/42/register_impact?api_key=x"), Some(("42", Some("api_key=x"))));
        assert_eq!(split_target("/api/1/impact/4/2/register_impact"), None);
        assert_eq!(split_target("/api/1/impact/42/register"), None);
    }
}
