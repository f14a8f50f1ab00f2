//! `sleuth-contract verify-client -- CMD [ARGS...]`: runs a command-line client
//! against the reference server, run after run, and judges what it sent and how it
//! exited.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use super::plan::{plan, render_args, Planned, DEFAULT_RUNS};
use super::rules::{clip, outcome, secs};
use super::{check_requests, ClientExpectation, ClientViolation, Rule, Scenario};
use crate::checks::{Failure, Verdict};
use crate::reference::{Received, ReferenceServer};
use crate::report::{CaseResult, Format, Observed, Report, EXIT_ERROR};
use crate::request::Redactor;

/// `sleuth-contract verify-client` flags.
#[derive(clap::Args, Clone, Debug)]
pub struct VerifyArgs {
    /// How many times to run the client (each run is one registration, or one
    /// refusal, or one reaction to a forced answer).
    #[arg(long, default_value_t = DEFAULT_RUNS)]
    pub runs: usize,
    /// Seed for the generated values and dates (printed when chosen at random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The reference server's rate-limit window in seconds, which is also the
    /// `Retry-After` of forced 429s. Short so a 429 run takes about a second; pass
    /// 120 to check a client honours Sleuth's real window.
    #[arg(long, default_value_t = 1)]
    pub rate_window: u64,
    /// Seconds each client run may take before it is killed (a violation), plus
    /// `Retry-After` for every 429 the run forces.
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The client to run, after `--`. In its arguments `{value}` becomes the value
    /// (`0.1`, `-0.0`, `NaN`, `inf`) and `{date}` an RFC 3339 date-time; an argument
    /// containing `{date}` is left out on runs without a date. It gets
    /// SLEUTH_BASE_URL, SLEUTH_API_KEY and SLEUTH_IMPACT_ID in its environment.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Why a verification could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A flag is out of range.
    #[error("{0}")]
    Config(String),
    /// The reference server could not bind.
    #[error("cannot start the reference server: {0}")]
    Server(std::io::Error),
    /// The client command could not be started (not found, not executable).
    #[error("cannot run `{command}`: {source}")]
    Spawn { command: String, source: std::io::Error },
}

/// How one run of the client ended.
#[derive(Debug)]
struct ClientRun {
    /// The exit code; `None` if killed by a signal (or by us).
    exit: Option<i32>,
    timed_out: bool,
    /// The last line the client wrote to stderr.
    stderr_line: String,
    elapsed: Duration,
}

impl ClientRun {
    fn success(&self) -> bool {
        self.exit == Some(0) && !self.timed_out
    }

    /// `exited 1 (stderr: "…")`, for messages.
    fn how(&self) -> String {
        let how = match self.exit {
            _ if self.timed_out => "was killed after the timeout".to_string(),
            Some(code) => format!("exited {code}"),
            None => "was killed by a signal".to_string(),
        };
        if self.stderr_line.is_empty() {
            how
        } else {
            format!("{how} (stderr: {:?})", clip(&self.stderr_line, 120))
        }
    }
}

/// Runs the whole verification and returns the report, with the redactor for the
/// generated API key (pass both to [`crate::report::emit`]).
pub async fn verify_client(args: &VerifyArgs) -> Result<(Report, Redactor), VerifyError> {
    if args.runs == 0 {
        return Err(VerifyError::Config("--runs must be at least 1".into()));
    }
    if args.rate_window == 0 {
        return Err(VerifyError::Config("--rate-window must be at least 1 second".into()));
    }
    crate::transport::timeout_from_secs(args.timeout).map_err(VerifyError::Config)?;
    crate::report::check_output(args.output.as_deref()).map_err(VerifyError::Config)?;
    let Some((program, client_args)) = args.command.split_first() else {
        return Err(VerifyError::Config("no client command: pass it after `--`".into()));
    };
    let started = Instant::now();
    let seed = args.seed.unwrap_or_else(random_u64);
    let mut plan = plan(args.runs, seed);
    // A client never told a date must not be blamed for not sending one.
    let takes_dates = client_args.iter().any(|a| a.contains("{date}"));
    if !takes_dates {
        for planned in &mut plan.runs {
            planned.input.date = None;
        }
    }
    let key = format!("sk-verify-{:016x}", random_u64());
    let redactor = Redactor::new([key.clone()]);
    let server = ReferenceServer::builder()
        .impact_id(plan.impact_id)
        .api_key(key.clone())
        .window(Duration::from_secs(args.rate_window))
        .start()
        .await
        .map_err(VerifyError::Server)?;
    let env =
        [("SLEUTH_BASE_URL", server.url()), ("SLEUTH_API_KEY", key.clone()), ("SLEUTH_IMPACT_ID", plan.impact_id.to_string())];
    let mut report = Report { command: "verify-client".into(), target: shell_words(&args.command), ..Report::default() };
    let mut placements = [0usize; 3];
    for planned in &plan.runs {
        server.reset_windows();
        server.clear_received();
        let forced = planned.scenario.forced_answers(args.rate_window);
        // A client that waits out each forced 429 must not be killed for it.
        let forced_429s = forced.iter().filter(|a| a.status == 429).count();
        server.force_answers(forced);
        let argv = render_args(client_args, &planned.input);
        let timeout_secs = args.timeout + (forced_429s as u64 * args.rate_window) as f64;
        let run = run_client(program, &argv, &env, Duration::from_secs_f64(timeout_secs))
            .await
            .map_err(|source| VerifyError::Spawn { command: program.clone(), source })?;
        server.force_answers([]);
        let received = server.received();
        count_placements(&received, &mut placements);
        report.registrations += received.iter().filter(|r| r.answer.status == 200).count() as u32;
        let mut expectation = ClientExpectation::new(plan.impact_id, key.clone(), planned.input.value);
        expectation.date = planned.input.date.clone();
        let violations = judge(&received, &expectation, &run, timeout_secs);
        let reproduce = format!(
            "{} {}",
            env.iter().map(|(k, v)| format!("{k}={}", shell_quote(v))).collect::<Vec<_>>().join(" "),
            shell_words(&[std::slice::from_ref(program), &argv[..]].concat())
        );
        report.cases.push(case_result(planned, &received, &run, violations, args.rate_window, reproduce, &redactor));
    }
    report.elapsed = started.elapsed();
    report.notes.push(format!(
        "seed {seed}: pass --seed {seed} to repeat these inputs; impact id {}; forced 429s carry Retry-After: {}",
        plan.impact_id, args.rate_window
    ));
    if !takes_dates {
        report.notes.push("no client argument contains {date}: every run was without a date".into());
    }
    report.notes.push(format!(
        "API key seen in the Authorization header only in {} request(s), in the body only in {}, in both in {}",
        placements[0], placements[1], placements[2]
    ));
    Ok((report, redactor))
}

/// `sleuth-contract verify-client`: runs, writes the report, returns the exit code.
pub async fn verify_main(args: VerifyArgs) -> i32 {
    let (report, redactor) = match verify_client(&args).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    crate::report::finish(&report, args.format, args.output.as_deref(), &redactor)
}

/// Every violation of one run: the requests, then how the client finished.
fn judge(received: &[Received], expectation: &ClientExpectation, run: &ClientRun, timeout_secs: f64) -> Vec<ClientViolation> {
    let mut violations = check_requests(received, expectation);
    for v in &mut violations {
        if v.rule == Rule::FiniteValueSent {
            v.message = format!("{}; the client {}", v.message, expectation.redactor().redact(&run.how()));
        }
    }
    if run.timed_out {
        violations.push(ClientViolation {
            rule: Rule::FinishedInTime,
            kind: super::Kind::Mismatch,
            request: None,
            message: format!("the client was still running after {timeout_secs}s and was killed"),
        });
    } else if let Some(v) = outcome(received, expectation, run.success(), &run.how()) {
        violations.push(v);
    }
    violations
}

fn case_result(
    planned: &Planned,
    received: &[Received],
    run: &ClientRun,
    violations: Vec<ClientViolation>,
    retry_after: u64,
    reproduce: String,
    redactor: &Redactor,
) -> CaseResult {
    let rule = if planned.input.value.is_finite() {
        planned.scenario.rule_text(retry_after)
    } else {
        "no request; a non-zero exit".to_string()
    };
    let failures: Vec<Failure> = violations
        .iter()
        .map(|v| {
            let shown = v.to_string();
            let message = shown.strip_prefix(&format!("{}: ", v.rule)).unwrap_or(&shown).to_string();
            Failure { check: v.rule.name(), message: redactor.redact(&message) }
        })
        .collect();
    let message = if violations.is_empty() {
        what_happened(received, run, planned.scenario)
    } else {
        violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    };
    CaseResult {
        id: planned.id(),
        verdict: if violations.is_empty() { Verdict::Conforms } else { Verdict::Violation },
        row: None,
        expected: format!("{}: {rule}", planned.input),
        observed: received.last().map(|r| Observed::from_answer(&r.answer, redactor)),
        message: redactor.redact(&message),
        failures,
        curl: (!violations.is_empty()).then(|| redactor.redact(&reproduce)),
        elapsed_ms: run.elapsed.as_millis() as u64,
    }
}

/// A one-line account of a conforming run: `2 requests, retry 1.004s after the 429; exited 0`.
fn what_happened(received: &[Received], run: &ClientRun, scenario: Scenario) -> String {
    let requests = match received {
        [] => "no request".to_string(),
        [_] => "1 request".to_string(),
        [first, second, ..] if matches!(scenario, Scenario::Forced429 | Scenario::Forced429Twice) => {
            format!("{} requests, retry {} after the 429", received.len(), secs(second.at.saturating_sub(first.at)))
        }
        _ => format!("{} requests", received.len()),
    };
    let how = match run.exit {
        Some(code) => format!("exited {code}"),
        None => "killed by a signal".into(),
    };
    format!("{requests}; {how}")
}

fn count_placements(received: &[Received], counts: &mut [usize; 3]) {
    for r in received {
        let header = r.request.first_header("authorization").is_some();
        let body = matches!(crate::json::parse(&r.request.body), Ok(crate::json::Json::Object(m)) if m.iter().any(|(k, _)| k == "api_key"));
        match (header, body) {
            (true, false) => counts[0] += 1,
            (false, true) => counts[1] += 1,
            (true, true) => counts[2] += 1,
            (false, false) => {}
        }
    }
}

/// Keeps at most this much of a client's stderr (the end of it).
const STDERR_KEPT: usize = 16 * 1024;

/// Runs the client once: stdin empty, stdout discarded, stderr's tail kept, killed
/// after `timeout`.
///
/// ### Implementation notes
/// Only the client process itself is killed on timeout, not processes it started
/// (a wrapper such as `cargo run` may leave its child running until it finishes);
/// stderr is therefore read for at most a second after the client ends, so a
/// grandchild holding the pipe cannot hang the harness.
async fn run_client(program: &str, args: &[String], env: &[(&str, String)], timeout: Duration) -> std::io::Result<ClientRun> {
    let started = Instant::now();
    let mut command = tokio::process::Command::new(program);
    for name in set_by_cargo_for_this_crate() {
        command.env_remove(name);
    }
    let mut child = command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut stderr = child.stderr.take();
    let mut reader = tokio::spawn(async move {
        let mut kept: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4096];
        if let Some(s) = stderr.as_mut() {
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > STDERR_KEPT {
                    kept.drain(..kept.len() - STDERR_KEPT);
                }
            }
        }
        kept
    });
    let status = tokio::select! {
        s = child.wait() => Some(s?),
        _ = tokio::time::sleep(timeout) => None,
    };
    let timed_out = status.is_none();
    if timed_out {
        let _ = child.kill().await;
    }
    let elapsed = started.elapsed();
    let stderr = match tokio::time::timeout(Duration::from_secs(1), &mut reader).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            reader.abort();
            Vec::new()
        }
    };
    let text = String::from_utf8_lossy(&stderr);
    let stderr_line = text.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string();
    Ok(ClientRun { exit: status.and_then(|s| s.code()), timed_out, stderr_line, elapsed })
}

/// The variables Cargo sets for a crate it runs (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …), present when the harness itself runs under `cargo run` or
/// `cargo test`.
///
/// ### Why remove them from the client's environment?
/// They describe this crate, not the client, and build scripts watch some of them
/// (ring reruns on `CARGO_MANIFEST_DIR`): with them, a client run as `cargo run
/// --example register` from `cargo run -- verify-client` rebuilds ring and
/// everything above it on every run, and again at the next plain `cargo build`.
fn set_by_cargo_for_this_crate() -> Vec<std::ffi::OsString> {
    const PREFIXES: [&str; 4] = ["CARGO_PKG_", "CARGO_BIN_", "CARGO_MANIFEST_", "CARGO_CRATE_"];
    const NAMES: [&str; 3] = ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "CARGO_RUSTC_CURRENT_DIR"];
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| {
            let n = name.to_string_lossy();
            PREFIXES.iter().any(|p| n.starts_with(p)) || NAMES.contains(&&*n)
        })
        .collect()
}

fn shell_words(words: &[String]) -> String {
    words.iter().map(|w| shell_quote(w)).collect::<Vec<_>>().join(" ")
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%{}".contains(&b)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_the_shell_needs_it() {
        let w: Vec<String> = ["python3", "c.py", "--value={value}", "it's", ""].map(String::from).to_vec();
        assert_eq!(shell_words(&w), r"python3 c.py --value={value} 'it'\''s' ''");
    }

    #[tokio::test]
    async fn a_client_that_cannot_start_is_an_error_not_a_violation() {
        let args = VerifyArgs {
            runs: 1,
            seed: Some(1),
            rate_window: 1,
            timeout: 5.0,
            format: Format::Text,
            output: None,
            command: vec!["/nonexistent/sleuth-client".into()],
        };
        let e = verify_client(&args).await.unwrap_err();
        assert!(e.to_string().starts_with("cannot run `/nonexistent/sleuth-client`: "), "{e}");
    }
}
