//! The binary as users run it: exit codes, one-line errors, formats, secrecy.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sleuth_contract::reference::ReferenceServer;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sleuth-contract"));
    c.env_remove("SLEUTH_API_KEY");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_one_line_error(o: &Output, contains: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(err.contains(contains), "{err:?} lacks {contains:?}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn probe_without_a_target_checks_the_embedded_server_and_exits_0() {
    let o = run(&["probe"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("(embedded reference server)"));
    assert!(out.contains(" 0 violations, 0 errors"), "{out}");
    assert!(out.contains("window/after-retry-after"), "{out}");
}

#[test]
fn a_malformed_target_url_is_a_one_line_error_with_exit_2() {
    assert_one_line_error(
        &run(&["probe", "--target", "not a url", "--impact-id", "1", "--api-key", "k"]),
        "invalid target URL 'not a url'",
    );
    assert_one_line_error(
        &run(&["probe", "--target", "ftp://example.test", "--impact-id", "1", "--api-key", "k"]),
        "scheme must be http or https",
    );
}

#[test]
fn an_unreachable_target_is_a_one_line_error_with_exit_2() {
    // Bind then drop a listener: the port is free and nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    assert_one_line_error(&run(&["probe", "--target", &url, "--impact-id", "1", "--api-key", "k"]), "cannot reach");
}

#[test]
fn a_missing_key_or_impact_id_is_a_one_line_error_with_exit_2() {
    assert_one_line_error(&run(&["probe", "--target", "http://127.0.0.1:9", "--impact-id", "1"]), "needs its API key");
    assert_one_line_error(&run(&["probe", "--target", "http://127.0.0.1:9", "--api-key", "k"]), "at least one known --impact-id");
}

#[test]
fn an_unknown_flag_exits_2_without_a_panic() {
    let o = run(&["probe", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-such-flag"));
    assert!(!stderr(&o).contains("panicked"));
}

#[test]
fn the_production_host_is_refused_unless_allowed_explicitly() {
    let o = run(&["probe", "--target", "https://app.sleuth.io", "--impact-id", "1", "--api-key", "k"]);
    assert_one_line_error(&o, "refusing to probe the production host app.sleuth.io");
}

#[test]
fn the_api_key_never_appears_in_any_output_format() {
    let secret = "sc-very-secret-key-5d41402abc4b2a76";
    for format in ["text", "json", "junit"] {
        let o = bin().args(["probe", "--format", format]).env("SLEUTH_API_KEY", secret).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert!(!stdout(&o).contains(secret) && !stderr(&o).contains(secret), "{format} leaked the key");
        assert!(stdout(&o).len() > 1000, "{format}: suspiciously short output");
    }
}

#[test]
fn json_and_junit_reports_are_written_to_the_output_file() {
    let dir = std::env::temp_dir().join(format!("sc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("r.json");
    let o = run(&["probe", "--format", "json", "--output", json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["summary"]["violations"], 0);
    assert!(v["summary"]["cases"].as_u64().unwrap() >= 150);
    assert!(v["summary"]["registrations"].as_u64().unwrap() >= 1);
    let xml = dir.join("r.xml");
    let o = run(&["probe", "--format", "junit", "--output", xml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let x = std::fs::read_to_string(&xml).unwrap();
    assert!(x.starts_with("<?xml") && x.contains("<testsuite ") && x.contains("failures=\"0\""), "{}", &x[..300.min(x.len())]);
    assert_eq!(x.matches("<testcase ").count() as u64, v["summary"]["cases"].as_u64().unwrap());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_real_three_second_window_probe_finishes_quickly_and_registers_at_most_three_values() {
    let server = ReferenceServer::builder().impact_id(7).api_key("k3").window(Duration::from_secs(3)).start().await.unwrap();
    let url = server.url();
    let start = Instant::now();
    let o = tokio::task::spawn_blocking(move || {
        run(&["probe", "--target", &url, "--impact-id", "7", "--api-key", "k3", "--rate-window", "3", "--format", "json"])
    })
    .await
    .unwrap();
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["summary"]["registrations"].as_u64().unwrap() <= 3, "{}", v["summary"]);
    assert!(took < Duration::from_secs(13), "took {took:?}");
    let posts_200 = server.received().iter().filter(|r| r.answer.status == 200).count();
    assert!(posts_200 <= 3, "server registered {posts_200} values");
}

#[test]
fn a_violation_exits_1_and_prints_a_curl_reproduction_with_the_key_as_a_variable() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(
            ReferenceServer::builder()
                .impact_id(7)
                .api_key("k-secret-1")
                .fault(sleuth_contract::reference::Fault::AcceptNanToken)
                .start(),
        )
        .unwrap();
    let o =
        run(&["probe", "--target", &server.url(), "--impact-id", "7", "--api-key", "k-secret-1", "--case", "value/nan-token"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("VIOLATION   value/nan-token"), "{out}");
    assert!(out.contains("reproduce: curl -sS -i -X POST"), "{out}");
    assert!(out.contains("apikey $SLEUTH_API_KEY"), "{out}");
    assert!(!out.contains("k-secret-1"));
}

#[test]
fn serve_without_a_key_is_a_one_line_error() {
    assert_one_line_error(&run(&["serve", "--port", "0"]), "serve needs an API key");
}

#[test]
fn serve_answers_the_pages_curl_examples_with_success() {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .args(["serve", "--port", "0", "--api-key", "page-key", "--impact-id", "42", "--impact-id", "43"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    // The page's "API key in Header" example (with its missing backslash mended).
    let header = rt.block_on(
        http.post(format!("{url}/api/1/impact/42/register_impact"))
            .header("Authorization", "apikey page-key")
            .header("Content-Type", "application/json")
            .body("{\n  \"value\": 1.5\n}")
            .send(),
    );
    // The page's "API key in Body" example, on the second impact source (the first
    // is inside its 120 s window now).
    let body = rt.block_on(
        http.post(format!("{url}/api/1/impact/43/register_impact"))
            .header("Content-Type", "application/json")
            .body("{\n  \"value\": 2.5,\n  \"api_key\": \"page-key\"\n}")
            .send(),
    );
    let texts: Vec<(u16, String)> = [header, body]
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            (r.status().as_u16(), rt.block_on(r.text()).unwrap())
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(texts, vec![(200, "Success".to_string()), (200, "Success".to_string())]);
}

#[test]
fn out_of_range_timeouts_and_bad_flag_values_are_one_line_errors() {
    assert_one_line_error(&run(&["probe", "--timeout", "99999999999999999999"]), "--timeout must be between");
    assert_one_line_error(&run(&["probe", "--timeout", "1e-12"]), "--timeout must be between");
    assert_one_line_error(&run(&["verify-client", "--timeout", "1e30", "--", "true"]), "--timeout must be between");
    assert_one_line_error(&run(&["probe", "--format", "xml"]), "invalid value 'xml'");
    assert_one_line_error(&run(&["probe", "--bogus"]), "unexpected argument '--bogus'");
    assert_one_line_error(&run(&["serve", "--rate-window", "0", "--api-key", "k"]), "--rate-window must be at least 1");
}

#[test]
fn an_unwritable_output_fails_before_anything_is_sent() {
    let o = run(&["probe", "--output", "/nonexistent-dir-sc/x.json"]);
    assert_one_line_error(&o, "cannot write the report to /nonexistent-dir-sc/x.json");
    assert!(stdout(&o).is_empty(), "the probe ran anyway: {}", stdout(&o));
}

#[test]
fn a_wrong_api_key_or_impact_id_is_a_configuration_error_not_200_violations() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(ReferenceServer::builder().impact_id(42).api_key("right-key").start()).unwrap();
    let o = run(&["probe", "--target", &server.url(), "--impact-id", "42", "--api-key", "wrong-key"]);
    assert_one_line_error(&o, "answered 401 Unauthorized to the API key in the header and in the body: check --api-key");
    let o = run(&["probe", "--target", &server.url(), "--impact-id", "77", "--api-key", "right-key"]);
    assert_one_line_error(&o, "answered 404 for impact id 77");
    assert!(server.received().iter().all(|r| r.answer.status != 200), "the preflight registered a value");
}

#[test]
fn a_case_filter_that_matches_nothing_is_an_error_not_a_silent_pass() {
    assert_one_line_error(
        &run(&["probe", "--case", "nonexistent-prefix"]),
        "no catalogue case matches --case nonexistent-prefix",
    );
    assert_one_line_error(&run(&["probe", "--no-catalogue"]), "--no-catalogue without --generated");
    let o = run(&["probe", "--no-catalogue", "--generated", "50", "--seed", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("generated/") && !stdout(&o).contains("value/"), "{}", stdout(&o));
}

#[test]
fn a_baseline_passes_when_nothing_changed_and_names_every_changed_answer_otherwise() {
    use sleuth_contract::reference::Leniency;
    let dir = std::env::temp_dir().join(format!("sc-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("base.json");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let start = |lenient: bool| {
        let b = ReferenceServer::builder().impact_id(7).impact_id(8).api_key("kb-key-123456").window(Duration::from_secs(2));
        rt.block_on(if lenient { b.leniency(Leniency::permissive()) } else { b }.start()).unwrap()
    };
    let probe = |url: &str, extra: &[&str]| {
        let mut a = vec![
            "probe",
            "--target",
            url,
            "--impact-id",
            "7",
            "--impact-id",
            "8",
            "--api-key",
            "kb-key-123456",
            "--rate-window",
            "2",
            "--max-registrations",
            "6",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    // A baseline from the default reference server; the same server again: no change.
    let server = start(false);
    let o = probe(&server.url(), &["--format", "json", "--output", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = probe(&server.url(), &["--baseline", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("note: 0 of "), "{}", stdout(&o));
    drop(server);
    // A permissive server is conformant too, but answers differently where the
    // contract is silent: the baseline catches exactly that.
    let server = start(true);
    let o = probe(&server.url(), &["--baseline", base.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("VIOLATION   value/numeric-string"), "{out}");
    assert!(out.contains("unchanged_since_baseline: was 400 \"Bad Request - impact value must be a number\", now"), "{out}");
    assert!(!out.contains("status_code_conformance"), "the permissive server broke the contract itself: {out}");
    // A file that is not a report is a one-line error before anything is sent.
    std::fs::write(dir.join("bad.json"), "[1, 2]").unwrap();
    assert_one_line_error(&run(&["probe", "--baseline", dir.join("bad.json").to_str().unwrap()]), "cannot use");
    let _ = std::fs::remove_dir_all(dir);
}
