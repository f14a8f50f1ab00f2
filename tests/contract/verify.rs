//! `verify-client` through the real binary, against deliberately faulty clients
//! (`tests/clients/*.py`: each subclasses the conformant `sleuth_client.py` and
//! overrides one method) and conformant ones; and the library checks
//! (`verify::check_requests`) against the reference client.
//!
//! Every faulty client must give exit 1 *and* a report naming the rule it breaks.

use std::path::{Path, PathBuf};
use std::process::Command;

use sleuth_contract::verify::{self, ClientExpectation, Kind, Rule, Scenario};
use sleuth_contract::{Client, ClientDate, KeyPlacement, Outcome, ReferenceServer};

const BIN: &str = env!("CARGO_BIN_EXE_sleuth-contract");
const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");
/// With seed 7, five runs give: 0.0 (normal), forced 401, NaN (normal), forced
/// 429, -0.0 (normal), with random values and dates; each single fault shows.
const RUNS: &str = "5";
/// Ten runs add forced 400, f64::MAX, forced 404, 5e-324 and the forced double 429.
const ALL_SCENARIOS: &str = "10";
const SEED: &str = "7";

struct Verified {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `sleuth-contract verify-client [flags] -- CMD...` and collects its output.
fn verify_command(flags: &[&str], command: &[&str]) -> Verified {
    let out = Command::new(BIN)
        .arg("verify-client")
        .args(flags)
        .arg("--")
        .args(command)
        // Keep `tests/clients/__pycache__` from appearing.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("sleuth-contract runs");
    Verified {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn script(client: &str) -> String {
    format!("{CLIENTS}/{client}.py")
}

/// `verify-client --runs <runs> --seed 7 -- python3 tests/clients/<client>.py --value={value} --date={date}`.
fn verify_python(client: &str, runs: &str, extra_flags: &[&str]) -> Verified {
    let mut flags = vec!["--runs", runs, "--seed", SEED];
    flags.extend_from_slice(extra_flags);
    verify_command(&flags, &["python3", &script(client), "--value={value}", "--date={date}"])
}

/// Asserts exit 1 and a failure line `      <rule>: <kind>: …` that contains `detail`.
#[track_caller]
fn assert_caught(client: &str, rule: &str, kind: &str, detail: &str) -> Verified {
    assert_caught_in(client, RUNS, rule, kind, detail)
}

/// [`assert_caught`] with another number of runs.
#[track_caller]
fn assert_caught_in(client: &str, runs: &str, rule: &str, kind: &str, detail: &str) -> Verified {
    let v = verify_python(client, runs, &[]);
    assert_eq!(v.code, 1, "{client}: expected exit 1 (violations)\n{}{}", v.stdout, v.stderr);
    let prefix = format!("      {rule}: {kind}: ");
    assert!(
        v.stdout.lines().any(|l| l.starts_with(&prefix) && l.contains(detail)),
        "{client}: no line starts with {prefix:?} and contains {detail:?}:\n{}",
        v.stdout
    );
    assert!(v.stdout.contains("  VIOLATION   run-"), "{}", v.stdout);
    v
}

// ---------------------------------------------------------------------------
// Faulty clients: one fault each
// ---------------------------------------------------------------------------

#[test]
fn a_client_that_quotes_the_value_breaks_value_is_json_number() {
    assert_caught("value_quoted", "value_is_json_number", "mismatch", "input 0.0 was sent as the string \"0.0\"");
}

#[test]
fn a_client_that_rounds_to_six_digits_breaks_value_round_trips() {
    assert_caught(
        "value_rounded",
        "value_round_trips",
        "mismatch",
        "input -2.8889141231029798e231 was sent as -2.88891e+231, a different double",
    );
}

#[test]
fn a_client_that_goes_through_float32_breaks_value_round_trips() {
    assert_caught("value_float32", "value_round_trips", "mismatch", "rounded to float32");
}

#[test]
fn a_client_that_sends_nan_breaks_non_finite_refused() {
    assert_caught(
        "nan_sent",
        "non_finite_refused",
        "unexpected request",
        "input NaN is not finite and must be refused without a request; received POST",
    );
}

#[test]
fn a_client_that_rejects_zero_breaks_finite_value_sent() {
    assert_caught(
        "rejects_zero",
        "finite_value_sent",
        "missing request",
        "for input 0.0; received no request; the client exited 1",
    );
}

#[test]
fn a_client_that_drops_the_offset_breaks_date_same_instant() {
    assert_caught("date_naive", "date_same_instant", "mismatch", "the offset was dropped");
}

#[test]
fn a_client_that_separates_date_and_time_with_a_space_breaks_date_is_rfc3339() {
    assert_caught("date_space", "date_is_rfc3339", "mismatch", "not RFC 3339 (space instead of 'T')");
}

#[test]
fn a_client_that_sends_a_null_date_breaks_date_omitted() {
    assert_caught("date_null", "date_omitted", "mismatch", "received \"date\": null");
}

#[test]
fn a_client_that_puts_the_key_in_the_query_breaks_key_not_in_url_without_leaking_it() {
    let v = assert_caught("key_in_query", "key_not_in_url", "mismatch", "?api_key=$SLEUTH_API_KEY");
    assert!(v.stdout.contains("no_query_string: mismatch"), "{}", v.stdout);
    assert!(!v.stdout.contains("sk-verify-"), "the key leaked:\n{}", v.stdout);
}

#[test]
fn a_client_that_sends_a_bearer_token_breaks_api_key_sent() {
    assert_caught("key_bearer", "api_key_sent", "mismatch", "received Authorization: Bearer $SLEUTH_API_KEY");
}

#[test]
fn a_client_that_labels_json_as_text_plain_breaks_content_type_json() {
    assert_caught("content_type_text", "content_type_json", "mismatch", "received Content-Type: text/plain");
}

#[test]
fn a_client_that_sends_a_form_breaks_content_type_and_body_rules() {
    let v = assert_caught("form_body", "content_type_json", "mismatch", "application/x-www-form-urlencoded");
    assert!(v.stdout.contains("body_is_json_object: mismatch: the body is not JSON"), "{}", v.stdout);
}

#[test]
fn a_client_that_uses_put_breaks_method_is_post() {
    assert_caught("wrong_method", "method_is_post", "mismatch", "received PUT /api/1/impact/");
}

#[test]
fn a_client_with_a_trailing_slash_breaks_exact_path() {
    assert_caught("wrong_path", "exact_path", "mismatch", "/register_impact/; expected /api/1/impact/");
}

#[test]
fn a_client_that_exits_0_on_401_breaks_exit_code_matches_answer() {
    assert_caught(
        "exits_0_on_401",
        "exit_code_matches_answer",
        "mismatch",
        "the final answer was 401 \"Unauthorized\", but the client exited 0",
    );
}

#[test]
fn a_client_that_retries_400_401_404_breaks_no_retry_on_400_401_404() {
    let v = assert_caught_in("retries_refusals", "8", "no_retry_on_400_401_404", "unexpected request", "request 2: retried");
    for status in ["400", "401", "404"] {
        assert!(v.stdout.contains(&format!("after {status} \"")), "no retry after {status} reported:\n{}", v.stdout);
    }
}

#[test]
fn a_client_that_retries_a_429_at_once_breaks_retry_after_respected() {
    assert_caught(
        "retry_429_early",
        "retry_after_respected",
        "unexpected request",
        "after a 429 with Retry-After: 1; expected at least 1s",
    );
}

#[test]
fn a_client_that_retries_a_429_again_and_again_breaks_at_most_one_retry() {
    assert_caught_in("retry_storm", ALL_SCENARIOS, "at_most_one_retry", "unexpected request", "request 3: another retry");
}

#[test]
fn a_client_that_never_finishes_is_killed_and_breaks_finished_in_time() {
    let v =
        verify_command(&["--runs", "1", "--seed", SEED, "--timeout", "0.5"], &["python3", &script("hangs"), "--value={value}"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("      finished_in_time: mismatch: the client was still running after 0.5s and was killed"),
        "{}",
        v.stdout
    );
}

// ---------------------------------------------------------------------------
// Conformant clients
// ---------------------------------------------------------------------------

#[test]
fn a_conformant_client_with_the_key_in_the_header_that_waits_on_429_passes() {
    let v = verify_python("conformant_header", ALL_SCENARIOS, &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("10 cases: 10 conform, 0 unspecified, 0 violations, 0 errors"), "{}", v.stdout);
    assert!(v.stdout.contains("API key seen in the Authorization header only in 11 request(s)"), "{}", v.stdout);
}

#[test]
fn a_conformant_client_with_the_key_in_the_body_that_gives_up_on_429_passes() {
    let v = verify_python("conformant_body", ALL_SCENARIOS, &[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("in the body only in 9,"), "{}", v.stdout);
}

/// `target/<profile>/examples/register`, built on demand (`cargo test --test contract`
/// does not build examples).
fn reference_example() -> PathBuf {
    let dir = Path::new(BIN).parent().expect("the binary has a directory");
    let exe = dir.join("examples").join(format!("register{}", std::env::consts::EXE_SUFFIX));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--example", "register"]).current_dir(env!("CARGO_MANIFEST_DIR"));
    // Cargo sets these for the test process. Build scripts that watch them (ring
    // watches CARGO_MANIFEST_DIR) would otherwise rebuild, and the next outer
    // `cargo test` would rebuild them back: minutes of churn on every run.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo =
            ["CARGO_PKG_", "CARGO_BIN_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_PRIMARY_", "CARGO_TARGET_TMPDIR"]
                .iter()
                .any(|p| name.starts_with(p));
        if set_by_cargo || name == "CARGO_RUSTC_CURRENT_DIR" {
            build.env_remove(&*name);
        }
    }
    // Build next to this test binary, whatever CARGO_TARGET_DIR says.
    if let Some(target) = dir.parent() {
        build.env("CARGO_TARGET_DIR", target);
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build --example register failed");
    assert!(exe.exists(), "{} was not built", exe.display());
    exe
}

#[test]
fn the_reference_client_passes_whether_it_gives_up_or_waits_on_429() {
    let exe = reference_example();
    let exe = exe.to_str().expect("a UTF-8 path");
    for extra in [&[][..], &["--wait-on-429"][..]] {
        let mut command = vec![exe, "--value={value}", "--date={date}"];
        command.extend_from_slice(extra);
        let v = verify_command(&["--runs", "20", "--seed", SEED], &command);
        assert_eq!(v.code, 0, "{extra:?}\n{}{}", v.stdout, v.stderr);
        assert!(v.stdout.contains("20 cases: 20 conform"), "{}", v.stdout);
    }
}

// ---------------------------------------------------------------------------
// The command itself
// ---------------------------------------------------------------------------

#[test]
fn a_client_command_that_does_not_exist_is_a_one_line_error_and_exit_2() {
    let v = verify_command(&["--runs", "2"], &["/nonexistent/sleuth-client", "--value={value}"]);
    assert_eq!(v.code, 2);
    assert_eq!(v.stdout, "");
    assert_eq!(v.stderr.lines().count(), 1, "{}", v.stderr);
    assert!(v.stderr.starts_with("error: cannot run `/nonexistent/sleuth-client`: "), "{}", v.stderr);
}

#[test]
fn no_report_format_prints_the_api_key() {
    let dir = std::env::temp_dir().join(format!("sleuth-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key");
    let key_arg = format!("--key-file={}", key_file.display());
    for format in ["text", "json", "junit"] {
        let out = dir.join(format!("report.{format}"));
        let v = verify_command(
            &["--runs", "3", "--seed", SEED, "--format", format, "--output", out.to_str().unwrap()],
            &["python3", &script("key_in_query"), "--value={value}", &key_arg],
        );
        assert_eq!(v.code, 1, "{}", v.stderr);
        let key = std::fs::read_to_string(&key_file).unwrap();
        assert!(key.starts_with("sk-verify-"), "{key}");
        let report = std::fs::read_to_string(&out).unwrap();
        assert!(report.contains("key_not_in_url"), "{format}:\n{report}");
        assert!(!report.contains(&key), "{format} leaked the key:\n{report}");
        assert!(!v.stdout.contains(&key) && !v.stderr.contains(&key));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn json_and_junit_reports_have_one_case_per_run() {
    let dir = std::env::temp_dir().join(format!("sleuth-verify-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json_path = dir.join("r.json");
    let v = verify_command(
        &["--runs", "5", "--seed", SEED, "--format", "json", "--output", json_path.to_str().unwrap()],
        &["python3", &script("conformant_body"), "--value={value}", "--date={date}"],
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["command"], "verify-client");
    assert_eq!(json["summary"]["cases"], 5);
    assert_eq!(json["summary"]["conforms"], 5);
    let ids: Vec<&str> = json["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(&ids[..4], ["run-001/normal", "run-002/forced-401", "run-003/normal", "run-004/forced-429"]);
    assert_eq!(json["cases"][1]["observed"]["status"], 401);

    let junit_path = dir.join("r.xml");
    let v = verify_command(
        &["--runs", "4", "--seed", SEED, "--format", "junit", "--output", junit_path.to_str().unwrap()],
        &["python3", &script("exits_0_on_401"), "--value={value}", "--date={date}"],
    );
    assert_eq!(v.code, 1);
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
    assert!(xml.contains("name=\"run-002/forced-401\""), "{xml}");
    assert!(xml.contains("<failure message=\"exit_code_matches_answer: mismatch:"), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_seed_gives_the_same_inputs() {
    let run = || verify_python("value_quoted", "4", &[]).stdout;
    let strip_ports =
        |s: String| s.lines().filter(|l| !l.contains("reproduce:") && !l.contains(" cases: ")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip_ports(run()), strip_ports(run()));
}

// ---------------------------------------------------------------------------
// As a library
// ---------------------------------------------------------------------------

async fn server() -> ReferenceServer {
    ReferenceServer::builder().impact_id(42).api_key("sk-lib-test").start().await.expect("the server starts")
}

#[tokio::test]
async fn the_reference_client_conforms_with_every_key_placement() {
    let server = server().await;
    for placement in [KeyPlacement::Header, KeyPlacement::Body, KeyPlacement::Both] {
        server.reset_windows();
        server.clear_received();
        let client = Client::builder(server.url(), "sk-lib-test", 42).key_placement(placement).build().unwrap();
        let date = ClientDate::parse("2024-03-01T12:00:00.5-05:30").unwrap();
        let outcome = client.register(-0.0, Some(&date)).await.unwrap();
        let expected = ClientExpectation::for_server(&server, -0.0).date("2024-03-01T12:00:00.5-05:30").key_placement(placement);
        assert_eq!(verify::check_requests(&server.received(), &expected), vec![], "{placement:?}");
        assert_eq!(verify::check_outcome(&server.received(), &expected, outcome == Outcome::Registered), None);
    }
}

#[tokio::test]
async fn a_request_with_a_quoted_value_is_reported_with_input_and_evidence() {
    let server = server().await;
    reqwest::Client::new()
        .post(format!("{}/api/1/impact/42/register_impact", server.url()))
        .header("Content-Type", "application/json")
        .header("Authorization", "apikey sk-lib-test")
        .body(r#"{"value": "0.1"}"#)
        .send()
        .await
        .unwrap();
    let violations = verify::check_requests(&server.received(), &ClientExpectation::for_server(&server, 0.1));
    assert_eq!(violations.len(), 1);
    assert_eq!((violations[0].rule, violations[0].kind), (Rule::ValueIsJsonNumber, Kind::Mismatch));
    assert_eq!(
        violations[0].to_string(),
        "value_is_json_number: mismatch: input 0.1 was sent as the string \"0.1\"; expected a JSON number"
    );
}

#[tokio::test]
async fn a_forced_401_is_judged_by_what_the_client_reports() {
    let server = server().await;
    server.force_answers(Scenario::Forced401.forced_answers(1));
    let client = Client::builder(server.url(), "sk-lib-test", 42).build().unwrap();
    let outcome = client.register(1.5, None).await.unwrap();
    assert_eq!(outcome, Outcome::Unauthorized);
    let expected = ClientExpectation::for_server(&server, 1.5);
    verify::assert_conforms(&server.received(), &expected);
    assert_eq!(verify::check_outcome(&server.received(), &expected, false), None);
    let claimed = verify::check_outcome(&server.received(), &expected, true).expect("claiming success after 401 is a violation");
    assert_eq!(claimed.rule, Rule::ExitCodeMatchesAnswer);
}

#[tokio::test]
#[should_panic(expected = "api_key_sent: mismatch: received Authorization: Bearer $SLEUTH_API_KEY")]
async fn assert_conforms_panics_with_the_broken_rule_and_no_key() {
    let server = server().await;
    reqwest::Client::new()
        .post(format!("{}/api/1/impact/42/register_impact", server.url()))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer sk-lib-test")
        .body(r#"{"value": 1}"#)
        .send()
        .await
        .unwrap();
    verify::assert_conforms(&server.received(), &ClientExpectation::for_server(&server, 1.0));
}
