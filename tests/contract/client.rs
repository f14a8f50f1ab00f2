//! The reference client, checked against CONTRACT.md "The client side": what it
//! writes (pure encoders, as properties) and what it sends and concludes
//! (against a wiremock server that records every request).

use std::net::TcpListener;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate};
use proptest::prelude::*;
use serde_json::{Map, Value};
use sleuth_contract::{encode_body, encode_date, encode_value, Client, ClientDate, ClientError, KeyPlacement, Outcome};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-5f1e0c9a7b3d";
const IMPACT_ID: u64 = 42;
const ENDPOINT_PATH: &str = "/api/1/impact/42/register_impact";

// ---------------------------------------------------------------------------
// Strategies and helpers
// ---------------------------------------------------------------------------

/// Any finite double, with the edge cases the contract names mixed in so they
/// are not left to chance.
fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => proptest::num::f64::ANY.prop_filter("finite", |v| v.is_finite()),
        1 => prop::sample::select(vec![
            -0.0,
            0.0,
            5e-324,
            -5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            -f64::MAX,
            0.30000000000000004,
            1e300,
            1e-300,
        ]),
    ]
}

/// NaN (any payload, either sign, quiet or signalling) and both infinities.
fn non_finite_f64() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{INFINITE, NEGATIVE, POSITIVE, QUIET_NAN, SIGNALING_NAN};
    POSITIVE | NEGATIVE | INFINITE | QUIET_NAN | SIGNALING_NAN
}

fn json_object(body: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => fields,
        other => panic!("body {:?} is not a json object: {other:?}", String::from_utf8_lossy(body)),
    }
}

/// The significant digits of a decimal number's text, without sign, point,
/// exponent, or leading and trailing zeros.
fn significant_digits(text: &str) -> String {
    let mantissa = text.trim_start_matches('-').split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').to_owned()
}

fn date(text: &str) -> ClientDate {
    ClientDate::parse(text).unwrap_or_else(|e| panic!("{text} should parse: {e}"))
}

async fn server_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(ENDPOINT_PATH)).respond_with(answer).mount(&server).await;
    server
}

fn client_for(server: &MockServer, placement: KeyPlacement) -> Client {
    Client::builder(server.uri(), KEY, IMPACT_ID).key_placement(placement).build().expect("a wiremock uri is a valid base url")
}

async fn requests_received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("request recording is on by default")
}

async fn the_only_request(server: &MockServer) -> Request {
    let mut requests = requests_received(server).await;
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// Registers 1.5 against a server giving `answer`, and returns what the client
/// concluded and how many requests it sent to get there.
async fn outcome_of_one_registration(answer: ResponseTemplate) -> (Outcome, usize) {
    let server = server_answering(answer).await;
    let client = client_for(&server, KeyPlacement::Header);
    let outcome = client.register(1.5, None).await.expect("the server answered, so this is an outcome, not an error");
    (outcome, requests_received(&server).await.len())
}

// ---------------------------------------------------------------------------
// value
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_finite_value_parses_back_to_the_same_bits(value in finite_f64()) {
        // Act
        let body = encode_body(value, None, None).expect("finite values are encoded");

        // Assert
        let fields = json_object(&body);
        let sent = fields["value"].as_f64().expect("value is a json number");
        prop_assert_eq!(
            sent.to_bits(),
            value.to_bits(),
            "sent {} for {:?}",
            String::from_utf8_lossy(&body),
            value
        );
    }

    #[test]
    fn every_finite_value_is_written_with_the_fewest_digits_that_round_trip(
        value in finite_f64()
    ) {
        // Arrange
        let text = encode_value(value).expect("finite values are encoded");
        let digits = significant_digits(&text);

        // Act: the correctly rounded decimal with one digit fewer
        let one_digit_fewer = (digits.len() >= 2)
            .then(|| format!("{:.*e}", digits.len() - 2, value));

        // Assert
        prop_assert!(digits.len() <= 17, "{} has more than 17 digits", text);
        if let Some(shorter) = one_digit_fewer {
            let reparsed: f64 = shorter.parse().expect("rust's own exponent form parses");
            prop_assert_ne!(
                reparsed.to_bits(),
                value.to_bits(),
                "{} also round-trips, so {} is not the shortest",
                shorter,
                text
            );
        }
    }

    #[test]
    fn every_value_body_is_an_object_with_value_as_its_only_field(value in finite_f64()) {
        // Act
        let body = encode_body(value, None, None).expect("finite values are encoded");

        // Assert
        let fields = json_object(&body);
        prop_assert_eq!(fields.keys().collect::<Vec<_>>(), vec!["value"]);
    }

    #[test]
    fn every_non_finite_value_is_refused_by_the_encoders(value in non_finite_f64()) {
        // Act
        let as_value = encode_value(value);
        let as_body = encode_body(value, None, Some(KEY));

        // Assert
        prop_assert!(
            matches!(as_value, Err(ClientError::NonFinite(v)) if v.to_bits() == value.to_bits()),
            "encode_value({:?}) gave {:?}", value, as_value
        );
        prop_assert!(
            matches!(as_body, Err(ClientError::NonFinite(_))),
            "encode_body({:?}) gave {:?}", value, as_body
        );
    }
}

#[test]
fn no_non_finite_value_ever_reaches_the_server() {
    // Arrange
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let server = runtime.block_on(server_answering(ResponseTemplate::new(200)));
    let client = client_for(&server, KeyPlacement::Both);

    // Act / Assert (per case)
    proptest!(ProptestConfig::with_cases(256), |(value in non_finite_f64())| {
        let result = runtime.block_on(client.register(value, None));
        prop_assert!(
            matches!(result, Err(ClientError::NonFinite(v)) if v.to_bits() == value.to_bits()),
            "register({:?}) gave {:?}", value, result
        );
    });

    // Assert
    let received = runtime.block_on(requests_received(&server));
    assert!(received.is_empty(), "{} requests were sent", received.len());
}

#[tokio::test]
async fn nan_and_both_infinities_are_refused_before_any_request() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Header);
    let tomorrow = date("2024-03-02T12:00:00Z");

    // Act
    let nan = client.register(f64::NAN, None).await;
    let inf = client.register(f64::INFINITY, Some(&tomorrow)).await;
    let neg_inf = client.register(f64::NEG_INFINITY, None).await;

    // Assert
    assert!(matches!(nan, Err(ClientError::NonFinite(v)) if v.is_nan()));
    assert!(matches!(inf, Err(ClientError::NonFinite(v)) if v == f64::INFINITY));
    assert!(matches!(neg_inf, Err(ClientError::NonFinite(v)) if v == f64::NEG_INFINITY));
    assert!(requests_received(&server).await.is_empty());
}

#[test]
fn the_non_finite_error_names_the_value() {
    // Act
    let messages: Vec<String> =
        [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].map(|v| encode_value(v).unwrap_err().to_string()).into();

    // Assert
    assert_eq!(
        messages,
        [
            "refusing to send non-finite value NaN",
            "refusing to send non-finite value inf",
            "refusing to send non-finite value -inf",
        ]
    );
}

#[test]
fn the_edge_values_are_written_as_their_shortest_json_numbers() {
    // Arrange
    let cases = [
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (1.0, "1.0"),
        (-1.5, "-1.5"),
        (5e-324, "5e-324"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::MAX, "1.7976931348623157e308"),
        (-f64::MAX, "-1.7976931348623157e308"),
        (0.30000000000000004, "0.30000000000000004"),
        (1e300, "1e300"),
        (1e-300, "1e-300"),
        (1e16, "1e16"),
        (123456.789, "123456.789"),
    ];

    for (value, expected) in cases {
        // Act
        let text = encode_value(value).expect("finite values are encoded");

        // Assert
        assert_eq!(text, expected, "for {value:e}");
    }
}

#[test]
fn serde_json_reads_negative_zero_back_as_negative_zero() {
    // Arrange
    let body = encode_body(-0.0, None, None).expect("-0.0 is finite");

    // Act
    let sent = json_object(&body)["value"].as_f64().expect("value is a json number");

    // Assert
    assert_eq!(String::from_utf8_lossy(&body), r#"{"value":-0.0}"#);
    assert!(sent == 0.0 && sent.is_sign_negative(), "got {sent:?}");
    assert_eq!(sent.to_bits(), (-0.0f64).to_bits());
}

// ---------------------------------------------------------------------------
// date
// ---------------------------------------------------------------------------

#[test]
fn an_instant_with_an_offset_keeps_its_instant_and_its_offset() {
    // Arrange
    let given = DateTime::parse_from_rfc3339("2024-03-01T12:00:00+02:00").unwrap();

    // Act
    let text = encode_date(&date("2024-03-01T12:00:00+02:00"));

    // Assert
    let sent = DateTime::parse_from_rfc3339(&text).expect("the date sent is rfc 3339");
    assert_eq!(text, "2024-03-01T12:00:00+02:00");
    assert_eq!(sent, given, "same instant");
    assert_eq!(sent.offset(), given.offset(), "same offset");
}

#[test]
fn a_negative_half_hour_offset_is_kept() {
    // Act
    let text = encode_date(&date("2024-03-01T12:00:00-05:30"));

    // Assert
    assert_eq!(text, "2024-03-01T12:00:00-05:30");
}

#[test]
fn zulu_time_is_sent_as_the_same_instant_at_offset_zero() {
    // Arrange
    let given = DateTime::parse_from_rfc3339("2024-03-01T12:00:00Z").unwrap();

    // Act
    let text = encode_date(&date("2024-03-01T12:00:00Z"));

    // Assert
    let sent = DateTime::parse_from_rfc3339(&text).expect("the date sent is rfc 3339");
    assert_eq!(text, "2024-03-01T12:00:00+00:00");
    assert_eq!(sent, given);
    assert_eq!(sent.offset().local_minus_utc(), 0);
}

#[test]
fn fractional_seconds_survive_exactly_without_invented_digits() {
    // Arrange
    let cases = [
        "2024-03-01T12:00:00.5+02:00",
        "2024-03-01T12:00:00.123+02:00",
        "2024-03-01T12:00:00.000001Z",
        "2024-03-01T12:00:00.123456789-05:30",
        "2024-03-01T12:00:00.25",
        "2024-03-01T12:00:00.000000001",
    ];

    for given in cases {
        // Act
        let text = encode_date(&date(given));

        // Assert: same text, with UTC spelled +00:00
        assert_eq!(text, given.replace('Z', "+00:00"), "for {given}");
    }
}

#[test]
fn a_whole_second_gets_no_fraction() {
    // Act
    let text = encode_date(&date("2024-03-01T12:00:00.000+02:00"));

    // Assert
    assert_eq!(text, "2024-03-01T12:00:00+02:00");
}

#[test]
fn a_date_without_offset_is_sent_without_one() {
    // Arrange
    let expected = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap().and_hms_opt(12, 0, 0).unwrap();

    // Act
    let parsed = date("2024-03-01T12:00:00");
    let text = encode_date(&parsed);

    // Assert
    assert!(matches!(parsed, ClientDate::Local(local) if local == expected));
    assert_eq!(text, "2024-03-01T12:00:00");
}

#[test]
fn a_date_with_an_offset_parses_as_an_instant() {
    // Arrange
    let expected: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2024-03-01T10:00:00Z").unwrap();

    // Act
    let parsed = date("2024-03-01T12:00:00+02:00");

    // Assert
    assert!(matches!(parsed, ClientDate::Instant(instant) if instant == expected));
}

#[test]
fn a_blank_date_is_refused_because_blank_means_none() {
    // Act
    let results = ["", "   "].map(ClientDate::parse);

    // Assert
    for result in results {
        assert!(matches!(result, Err(ClientError::InvalidDate { .. })), "{result:?}");
    }
}

#[test]
fn a_date_that_is_not_iso_8601_is_refused_naming_the_input() {
    // Arrange
    let cases = [
        "yesterday",
        "03/01/2024",
        "1709294400",
        "2024-02-30T12:00:00Z",
        "2024-03-01T25:00:00Z",
        "2024-03-01T12:00:00+02:00 trailing",
    ];

    for given in cases {
        // Act
        let error = ClientDate::parse(given).expect_err(given);

        // Assert
        assert!(matches!(&error, ClientError::InvalidDate { input, .. } if input == given), "{error:?}");
        assert!(error.to_string().starts_with(&format!("invalid date '{given}': ")), "{error}");
    }
}

#[test]
fn a_body_with_a_date_and_key_is_valid_json_even_when_the_key_needs_escaping() {
    // Arrange
    let awkward_key = "k\"e\\y\u{7f}é";

    // Act
    let body =
        encode_body(2.5, Some(&date("2024-03-01T12:00:00.5+02:00")), Some(awkward_key)).expect("finite values are encoded");

    // Assert
    let fields = json_object(&body);
    assert_eq!(fields["value"], serde_json::json!(2.5));
    assert_eq!(fields["date"], "2024-03-01T12:00:00.5+02:00");
    assert_eq!(fields["api_key"], awkward_key);
    assert_eq!(fields.len(), 3);
}

// ---------------------------------------------------------------------------
// the request on the wire
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_request_is_a_json_post_to_the_exact_path_without_a_query() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200).set_body_string("Success")).await;
    let client = client_for(&server, KeyPlacement::Header);

    // Act
    client.register(1.5, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), ENDPOINT_PATH);
    assert_eq!(request.url.query(), None);
    assert_eq!(request.headers.get("content-type").map(|v| v.as_bytes()), Some(&b"application/json"[..]));
    assert!(!request.url.as_str().contains(KEY), "the key is in the url");
}

#[tokio::test]
async fn header_placement_sends_the_key_in_the_header_and_not_in_the_body() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Header);

    // Act
    client.register(1.5, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert_eq!(request.headers.get("authorization").map(|v| v.as_bytes()), Some(format!("apikey {KEY}").as_bytes()));
    assert!(!json_object(&request.body).contains_key("api_key"));
}

#[tokio::test]
async fn body_placement_sends_the_key_in_the_body_and_not_in_the_header() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Body);

    // Act
    client.register(1.5, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(json_object(&request.body)["api_key"], KEY);
}

#[tokio::test]
async fn both_placement_sends_the_key_in_the_header_and_in_the_body() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Both);

    // Act
    client.register(1.5, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert_eq!(request.headers.get("authorization").map(|v| v.as_bytes()), Some(format!("apikey {KEY}").as_bytes()));
    assert_eq!(json_object(&request.body)["api_key"], KEY);
}

#[test]
fn the_default_key_placement_is_the_header() {
    // Act / Assert
    assert_eq!(KeyPlacement::default(), KeyPlacement::Header);
}

#[tokio::test]
async fn without_a_date_the_body_has_no_date_field_at_all() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Header);

    // Act
    client.register(-0.0, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert_eq!(String::from_utf8_lossy(&request.body), r#"{"value":-0.0}"#);
}

#[tokio::test]
async fn a_date_and_the_exact_value_reach_the_server() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Header);
    let when = date("2024-03-01T12:00:00.125-05:30");

    // Act
    client.register(0.30000000000000004, Some(&when)).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    assert_eq!(String::from_utf8_lossy(&request.body), r#"{"value":0.30000000000000004,"date":"2024-03-01T12:00:00.125-05:30"}"#);
}

#[tokio::test]
async fn one_trailing_slash_on_the_base_url_is_not_doubled() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client =
        Client::builder(format!("{}/", server.uri()), KEY, IMPACT_ID).build().expect("a base url with a trailing slash is valid");

    // Act
    let outcome = client.register(1.0, None).await.expect("the server answers");

    // Assert
    assert_eq!(outcome, Outcome::Registered);
    assert_eq!(the_only_request(&server).await.url.path(), ENDPOINT_PATH);
}

#[test]
fn a_base_url_path_prefix_is_kept() {
    // Act
    let client = Client::builder("https://sleuth.example/proxy/", KEY, 7).build().expect("a base url with a path is valid");

    // Assert
    assert_eq!(client.endpoint(), "https://sleuth.example/proxy/api/1/impact/7/register_impact");
}

#[tokio::test]
async fn the_user_agent_names_this_crate_by_default() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200)).await;
    let client = client_for(&server, KeyPlacement::Header);

    // Act
    client.register(1.0, None).await.expect("the server answers");

    // Assert
    let request = the_only_request(&server).await;
    let agent = request.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(agent.starts_with("sleuth-contract/"), "user agent {agent:?}");
}

// ---------------------------------------------------------------------------
// reading the answer: one request per call, never a retry
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_200_is_registered() {
    // Act
    let (outcome, requests) = outcome_of_one_registration(ResponseTemplate::new(200).set_body_string("Success")).await;

    // Assert
    assert_eq!(outcome, Outcome::Registered);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_400_is_a_bad_request_carrying_the_servers_text_and_is_not_retried() {
    // Arrange
    let text = "Bad Request - impact value must be a number";

    // Act
    let (outcome, requests) = outcome_of_one_registration(ResponseTemplate::new(400).set_body_string(text)).await;

    // Assert
    assert_eq!(outcome, Outcome::BadRequest(text.to_owned()));
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_401_is_unauthorized_and_is_not_retried() {
    // Act
    let (outcome, requests) = outcome_of_one_registration(ResponseTemplate::new(401).set_body_string("Unauthorized")).await;

    // Assert
    assert_eq!(outcome, Outcome::Unauthorized);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_404_is_not_found_and_is_not_retried() {
    // Act
    let (outcome, requests) =
        outcome_of_one_registration(ResponseTemplate::new(404).set_body_string("MetricImpactSource Not Found")).await;

    // Assert
    assert_eq!(outcome, Outcome::NotFound);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_429_with_retry_after_is_rate_limited_for_that_many_seconds_and_is_not_retried() {
    // Act
    let (outcome, requests) = outcome_of_one_registration(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .set_body_string("You may only register a custom metric once every 120 seconds"),
    )
    .await;

    // Assert
    assert_eq!(outcome, Outcome::RateLimited { retry_after: Some(Duration::from_secs(7)) });
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_429_without_retry_after_is_rate_limited_with_no_delay_known() {
    // Act
    let (outcome, requests) = outcome_of_one_registration(ResponseTemplate::new(429)).await;

    // Assert
    assert_eq!(outcome, Outcome::RateLimited { retry_after: None });
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_429_whose_retry_after_is_not_delay_seconds_has_no_delay_known() {
    // Arrange
    let unusable = ["Wed, 21 Oct 2015 07:28:00 GMT", "1.5", "-3", "", "soon"];

    for header in unusable {
        // Act
        let (outcome, _) = outcome_of_one_registration(ResponseTemplate::new(429).insert_header("Retry-After", header)).await;

        // Assert
        assert_eq!(outcome, Outcome::RateLimited { retry_after: None }, "for Retry-After: {header:?}");
    }
}

#[tokio::test]
async fn a_500_is_unexpected_with_its_status_and_text_and_is_not_retried() {
    // Act
    let (outcome, requests) = outcome_of_one_registration(ResponseTemplate::new(500).set_body_string("boom")).await;

    // Assert
    assert_eq!(outcome, Outcome::Unexpected { status: 500, text: "boom".to_owned() });
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_redirect_is_reported_and_not_followed() {
    // Act
    let (outcome, requests) =
        outcome_of_one_registration(ResponseTemplate::new(302).insert_header("Location", "/elsewhere")).await;

    // Assert
    assert!(matches!(outcome, Outcome::Unexpected { status: 302, .. }), "{outcome:?}");
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn each_call_sends_exactly_one_request() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(429).insert_header("Retry-After", "1")).await;
    let client = client_for(&server, KeyPlacement::Header);

    // Act
    for _ in 0..3 {
        client.register(1.0, None).await.expect("the server answers");
    }

    // Assert
    assert_eq!(requests_received(&server).await.len(), 3);
}

// ---------------------------------------------------------------------------
// errors and the secret
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_timeout_is_a_transport_error_that_does_not_mention_the_key() {
    // Arrange
    let server = server_answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let client = Client::builder(server.uri(), KEY, IMPACT_ID)
        .key_placement(KeyPlacement::Both)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("valid options");

    // Act
    let error = client.register(1.0, None).await.unwrap_err();

    // Assert
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(error.to_string().starts_with("request failed: "), "{error}");
    assert!(!error.to_string().contains(KEY), "{error}");
    assert!(!format!("{error:?}").contains(KEY), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_naming_the_url_but_not_the_key() {
    // Arrange: a port that was free a moment ago and has no listener now
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("an ephemeral port is available")
        .port();
    let client = Client::builder(format!("http://127.0.0.1:{port}"), KEY, IMPACT_ID)
        .key_placement(KeyPlacement::Both)
        .build()
        .expect("valid options");

    // Act
    let error = client.register(1.0, None).await.unwrap_err();

    // Assert
    let message = error.to_string();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains(KEY), "{message}");
}

#[test]
fn debug_output_of_a_client_and_its_builder_does_not_contain_the_key() {
    // Arrange
    let builder = Client::builder("https://app.sleuth.io", KEY, IMPACT_ID).key_placement(KeyPlacement::Both);
    let builder_debug = format!("{builder:?}");

    // Act
    let client = builder.build().expect("valid options");
    let client_debug = format!("{client:?}");
    let pretty_debug = format!("{client:#?}");

    // Assert
    for debug in [&builder_debug, &client_debug, &pretty_debug] {
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }
}

#[test]
fn a_base_url_that_cannot_name_the_endpoint_is_refused_naming_the_url() {
    // Arrange
    let cases =
        ["not a url", "app.sleuth.io", "ftp://app.sleuth.io", "https://app.sleuth.io/?org=1", "https://app.sleuth.io#top"];

    for given in cases {
        // Act
        let error = Client::builder(given, KEY, IMPACT_ID).build().unwrap_err();

        // Assert
        assert!(matches!(&error, ClientError::InvalidBaseUrl { url, .. } if url == given), "{error:?}");
        assert!(error.to_string().starts_with(&format!("invalid base url '{given}': ")), "{error}");
    }
}

#[test]
fn a_key_that_cannot_be_sent_is_refused_without_echoing_it() {
    // Arrange
    let unsendable = "line\nbreak-secret";

    // Act
    let empty = Client::builder("https://app.sleuth.io", "", IMPACT_ID).build().unwrap_err();
    let broken = Client::builder("https://app.sleuth.io", unsendable, IMPACT_ID).build().unwrap_err();

    // Assert
    assert!(matches!(empty, ClientError::InvalidApiKey { .. }), "{empty:?}");
    assert!(matches!(broken, ClientError::InvalidApiKey { .. }), "{broken:?}");
    assert!(!broken.to_string().contains("secret"), "{broken}");
    assert!(!format!("{broken:?}").contains("secret"), "{broken:?}");
}

#[test]
fn a_user_agent_that_is_not_a_header_value_is_refused_naming_it() {
    // Act
    let error = Client::builder("https://app.sleuth.io", KEY, IMPACT_ID).user_agent("bad\nagent").build().unwrap_err();

    // Assert
    assert!(matches!(&error, ClientError::InvalidUserAgent { input, .. } if input == "bad\nagent"), "{error:?}");
}

#[test]
fn a_non_finite_value_is_refused_as_such_even_with_an_unwritable_date() {
    use chrono::TimeZone;
    let far = sleuth_contract::ClientDate::Instant(
        chrono::FixedOffset::east_opt(0).unwrap().with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
    );
    assert!(matches!(sleuth_contract::encode_body(f64::NAN, Some(&far), None), Err(sleuth_contract::ClientError::NonFinite(_))));
    assert!(matches!(sleuth_contract::encode_body(1.0, Some(&far), None), Err(sleuth_contract::ClientError::InvalidDate { .. })));
}
