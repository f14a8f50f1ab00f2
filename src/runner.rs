//! The runner behind `probe`: plans the catalogue (and generated cases) against a
//! target within a registration budget, waits through the rate-limit window, and
//! judges every exchange.
//!
//! ### The plan
//! A real target registers a real value on every 200 and then refuses
//! registrations for the window (120 s). Sending each case in turn would need one
//! window per accepted case. Instead:
//!
//! 1. **Rejections** — every case the contract requires to be refused is sent
//!    first, before any registration, so each gets its true answer.
//! 2. **Register once** (`window/first-registration`) and probe the window at once
//!    (`window/second-registration`: 429 with a valid `Retry-After`).
//! 3. **Learn the check order** (`window/invalid-inside-window`): a known-invalid
//!    case inside the window. 400 means the target validates before rate-limiting.
//! 4. **Acceptance inside the window** — if it validates first, every case that may
//!    be accepted is sent inside the window: 429 proves it was accepted without
//!    registering anything, 400 for a case the contract says is valid is a false
//!    rejection. If it rate-limits first, each such case needs a window of its own;
//!    the budget decides how many, and the rest are reported as not verified.
//! 5. **Late probe** (`window/late-in-window`) a little before the window ends,
//!    which catches a window that is too short, then **recovery**
//!    (`window/after-retry-after`): after waiting `Retry-After`, a registration
//!    must succeed, which catches a window that is too long.
//! 6. **Generated cases** (`--generated N --seed S`), sent while that new window
//!    is open so none registers; a failing one is shrunk to a minimal case.
//!
//! Against the embedded reference server, waits advance its manual clock instead of
//! sleeping, so a full verdict takes milliseconds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};

use crate::catalogue::{catalogue, Case};
use crate::checks::{self, Check, Context, Verdict};
use crate::model::{Facts, Spec};
use crate::oracle::{Expectation, Judgement, Oracle, Window};
use crate::reference::{Clock, ReferenceServer};
use crate::report::{CaseResult, Format, Observed, Report, EXIT_ERROR};
use crate::request::{Redactor, Request};
use crate::row::Row;
use crate::spec;
use crate::transport::{Exchange, Transport, TransportError};

/// `sleuth-contract probe` flags.
#[derive(clap::Args, Clone, Debug)]
pub struct ProbeArgs {
    /// Base URL of the server to probe. Without it, the embedded reference server
    /// is started and probed.
    #[arg(long)]
    pub target: Option<String>,
    /// A known impact source on the target (repeatable; more spread registrations).
    #[arg(long = "impact-id")]
    pub impact_ids: Vec<u64>,
    /// The target's API key.
    #[arg(long, env = "SLEUTH_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// An integer impact id that does not exist on the target. Default 999999999.
    #[arg(long)]
    pub missing_impact_id: Option<u64>,
    /// The target's rate-limit window in seconds.
    #[arg(long, default_value_t = spec::DEFAULT_WINDOW_SECS)]
    pub rate_window: u64,
    /// How many values the run may really register. Default 3 against a
    /// --target, unlimited against the embedded server.
    #[arg(long)]
    pub max_registrations: Option<u32>,
    /// Extra proptest-generated cases to send after the catalogue.
    #[arg(long, default_value_t = 0)]
    pub generated: usize,
    /// Seed for generated cases (printed when chosen at random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Only run catalogue cases whose id starts with one of these (repeatable).
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// Send no catalogue case at all (only --generated cases).
    #[arg(long)]
    pub no_catalogue: bool,
    /// A previous `--format json` report of this target: any case whose status or
    /// text changed since then is a violation (regression check for CI).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Allow probing the production host (app.sleuth.io). Off by default: fuzz
    /// traffic registers real values.
    #[arg(long)]
    pub allow_production: bool,
}

/// Why a probe could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Url(#[from] crate::transport::UrlError),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{0}")]
    Config(String),
    #[error("cannot start the embedded reference server: {0}")]
    Embedded(std::io::Error),
}

/// How the runner waits: real sleeps, or a manual clock it advances.
#[derive(Clone, Debug)]
pub enum Wait {
    /// Sleep for real (any external target).
    Real(Instant),
    /// Advance this clock (a reference server driven by the same clock).
    Virtual(Clock),
}

impl Wait {
    /// Real waiting, starting now.
    pub fn real() -> Self {
        Wait::Real(Instant::now())
    }

    fn now(&self) -> Duration {
        match self {
            Wait::Real(start) => start.elapsed(),
            Wait::Virtual(c) => c.now(),
        }
    }

    /// Waits `d`; `why` is shown on stderr for real waits of 2 s or more, so a
    /// long silent pause always has a reason on screen.
    async fn sleep(&self, d: Duration, why: &str) {
        match self {
            Wait::Real(_) => {
                if d >= Duration::from_secs(2) {
                    eprintln!("waiting {}s: {why}", d.as_secs());
                }
                tokio::time::sleep(d).await
            }
            Wait::Virtual(c) => {
                c.advance(d);
            }
        }
    }
}

/// Everything a probe run needs.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// Base URL of the target.
    pub base_url: String,
    /// What the run knows of the target (key, ids, now).
    pub facts: Facts,
    /// The target's window.
    pub window: Duration,
    /// Registrations allowed.
    pub max_registrations: u32,
    /// Generated cases to send, and the seed.
    pub generated: usize,
    pub seed: u64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How to wait.
    pub wait: Wait,
    /// Catalogue id prefixes to run (empty: all).
    pub only: Vec<String>,
    /// Send no catalogue case (generated cases only).
    pub no_catalogue: bool,
    /// Requests a shrink may send per failing generated case.
    pub shrink_budget: usize,
}

impl ProbeConfig {
    /// A config for `base_url` and `facts` with the defaults: 120 s window, 3
    /// registrations, no generated cases, seed 0, 10 s timeout, real waits.
    pub fn new(base_url: impl Into<String>, facts: Facts) -> Self {
        ProbeConfig {
            base_url: base_url.into(),
            facts,
            window: Duration::from_secs(spec::DEFAULT_WINDOW_SECS),
            max_registrations: 3,
            generated: 0,
            seed: 0,
            timeout: Duration::from_secs(10),
            wait: Wait::real(),
            only: Vec::new(),
            no_catalogue: false,
            shrink_budget: 200,
        }
    }
}

/// What the runner believes about one impact source's window.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// When the last registration we saw opened the window.
    opened: Option<Duration>,
    /// Whether we already waited out a window we did not open (once per run).
    waited_stale: bool,
}

/// How the target orders rate limiting and validation, as learnt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Unknown,
    ValidatesFirst,
    RateLimitsFirst,
}

struct Runner {
    cfg: ProbeConfig,
    transport: Transport,
    oracle: Oracle,
    redactor: Redactor,
    checks: Vec<Box<dyn Check>>,
    tracks: HashMap<u64, Track>,
    report: Report,
    order: Order,
    started: Duration,
    stopped: Option<String>,
    /// The slowest answer so far (plans what fits inside a window).
    max_latency: Duration,
}

/// The outcome of shrinking: the last failing variant observed, if any.
struct Shrunk {
    best: Option<(Exchange, Expectation)>,
    steps: usize,
    requests: usize,
    why: &'static str,
}

/// Runs a probe and returns its report. Errors only when the run cannot start
/// (invalid URL, target unreachable); everything the target answers is a finding.
pub async fn run(cfg: ProbeConfig) -> Result<Report, ProbeError> {
    let redactor = Redactor::new([cfg.facts.api_key.clone()]);
    let transport = Transport::new(&cfg.base_url, cfg.timeout, redactor.clone())?;
    let oracle = Oracle::new(cfg.facts.impact_ids.clone(), [cfg.facts.api_key.clone()]);
    let started = cfg.wait.now();
    let mut r = Runner {
        report: Report { command: "probe".into(), target: transport.base().to_string(), ..Report::default() },
        cfg,
        transport,
        oracle,
        redactor,
        checks: checks::default_checks(),
        tracks: HashMap::new(),
        order: Order::Unknown,
        started,
        stopped: None,
        max_latency: Duration::from_millis(50),
    };
    let wall = Instant::now();
    r.run_all().await?;
    r.report.elapsed = match r.cfg.wait {
        Wait::Real(_) => wall.elapsed(),
        // Against a virtual clock, report wall time (the clock only says how much
        // waiting was skipped).
        Wait::Virtual(_) => wall.elapsed(),
    };
    if let Wait::Virtual(_) = r.cfg.wait {
        let skipped = r.cfg.wait.now().saturating_sub(r.started);
        if skipped.as_secs() > 0 {
            r.report.notes.push(format!("virtual clock advanced {}s instead of sleeping", skipped.as_secs()));
        }
    }
    // The same sentence can be learnt twice (e.g. once per impact source).
    let mut seen = std::collections::HashSet::new();
    r.report.notes.retain(|n| seen.insert(n.clone()));
    if let Some(why) = r.stopped.take() {
        r.report.notes.push(why);
    }
    Ok(r.report)
}

impl Runner {
    fn window_of(&self, id: u64) -> Window {
        match self.tracks.get(&id).and_then(|t| t.opened) {
            Some(at) if self.cfg.wait.now() < at + self.cfg.window => Window::Open,
            _ => Window::Closed,
        }
    }

    fn window_for(&self, req: &Request) -> Window {
        match self.oracle.impact_of(req) {
            Some(id) => self.window_of(id),
            None => Window::Closed,
        }
    }

    fn budget_left(&self) -> bool {
        self.report.registrations < self.cfg.max_registrations
    }

    /// Sends and keeps the registration books. A 2xx to a POST for a known impact
    /// source registered a value and opened its window.
    async fn send(&mut self, req: &Request) -> Exchange {
        let ex = self.transport.send(req).await;
        if ex.outcome.is_ok() {
            self.max_latency = self.max_latency.max(ex.elapsed);
        }
        if let Ok(a) = &ex.outcome {
            if (200..300).contains(&a.status) && req.method == "POST" {
                self.report.registrations += 1;
                if let Some(id) = self.oracle.impact_of(req) {
                    self.tracks.entry(id).or_default().opened = Some(self.cfg.wait.now());
                }
            }
        }
        ex
    }

    /// Sends a case and judges it against the window state believed in *before*
    /// sending. A 429 when we believe the window closed means someone else (a
    /// previous run) opened it: once per source, wait it out and ask again.
    async fn ask(&mut self, req: &Request) -> (Exchange, Expectation) {
        let mut window = self.window_for(req);
        let mut ex = self.send(req).await;
        let stale = matches!(&ex.outcome, Ok(a) if a.status == 429) && window == Window::Closed;
        if let (true, Some(id)) = (stale, self.oracle.impact_of(req)) {
            let track = self.tracks.entry(id).or_default();
            if !track.waited_stale {
                track.waited_stale = true;
                let ra = ex.outcome.as_ref().ok().and_then(|a| a.header("retry-after")).and_then(checks::parse_retry_after);
                let wait = ra.map(Duration::from_secs).unwrap_or(self.cfg.window).min(self.cfg.window);
                self.report.notes.push(format!(
                    "impact {id} was inside a window the run did not open (a previous run or another client?); waited {}s and asked again",
                    wait.as_secs()
                ));
                self.cfg.wait.sleep(wait, &format!("impact {id} is inside a window this run did not open")).await;
                window = self.window_for(req);
                ex = self.send(req).await;
            }
        }
        // An exchange that straddled the end of the window we believed open may
        // have been answered either way.
        let after = match self.oracle.impact_of(req) {
            Some(id)
                if self.tracks.get(&id).and_then(|t| t.opened).is_some_and(|at| at + self.cfg.window <= self.cfg.wait.now()) =>
            {
                Window::Closed
            }
            _ => window,
        };
        if window == Window::Open && after == Window::Closed {
            window = Window::Unknown;
        }
        let expectation = self.oracle.expect(req, window);
        (ex, expectation)
    }

    fn record(
        &mut self,
        id: &str,
        row: Option<Row>,
        ex: &Exchange,
        expectation: &Expectation,
        extra_note: Option<String>,
    ) -> Verdict {
        let ctx = Context { expectation, window_secs: self.cfg.window.as_secs() };
        let (verdict, failures) = checks::classify(&ctx, ex, &self.checks);
        let mut message: Vec<String> = failures.iter().map(|f| format!("{}: {}", f.check, f.message)).collect();
        if verdict == Verdict::Unspecified {
            if let Ok(a) = &ex.outcome {
                if let Judgement::Unspecified { row } = expectation.judge(a) {
                    message.push(format!("allowed because the contract is silent ({})", row.text()));
                }
            }
        }
        if let Some(n) = extra_note {
            message.push(n);
        }
        let r = &self.redactor;
        let curl =
            matches!(verdict, Verdict::Violation | Verdict::Error).then(|| r.redact(&ex.request.to_curl(self.transport.base())));
        self.report.cases.push(CaseResult {
            id: id.to_string(),
            verdict,
            row,
            expected: r.redact(&expectation.summary()),
            observed: ex.outcome.as_ref().ok().map(|a| Observed::from_answer(a, r)),
            message: r.redact(&message.join("; ")),
            failures: failures.into_iter().map(|f| checks::Failure { message: r.redact(&f.message), ..f }).collect(),
            curl,
            elapsed_ms: ex.elapsed.as_millis() as u64,
        });
        verdict
    }

    async fn case(&mut self, id: &str, row: Option<Row>, req: &Request) -> Result<(Exchange, Verdict), ProbeError> {
        let (ex, expectation) = self.ask(req).await;
        if self.report.cases.is_empty() {
            if let Err(TransportError::Connect(reason)) = &ex.outcome {
                return Err(ProbeError::Unreachable { url: self.transport.base().to_string(), reason: reason.clone() });
            }
        }
        let verdict = self.record(id, row, &ex, &expectation, None);
        Ok((ex, verdict))
    }

    /// Lists a case the run did not send, with the reason.
    fn skip(&mut self, c: &Case, why: &str) {
        let expected = self.redactor.redact(&self.oracle.expect(&c.request, Window::Closed).summary());
        self.report.cases.push(CaseResult {
            id: c.id.clone(),
            verdict: Verdict::Skipped,
            row: Some(c.row),
            expected,
            observed: None,
            message: why.to_string(),
            failures: Vec::new(),
            curl: None,
            elapsed_ms: 0,
        });
    }

    /// Waits until `id`'s window (as we believe it) is closed.
    async fn wait_closed(&mut self, id: u64) {
        if let Some(at) = self.tracks.get(&id).and_then(|t| t.opened) {
            let end = at + self.cfg.window;
            let now = self.cfg.wait.now();
            if now < end {
                self.cfg
                    .wait
                    .sleep(end - now, &format!("impact {id}'s rate-limit window must close before the next registration"))
                    .await;
            }
        }
    }

    /// Facts with the impact ids rotated so that `Known` names a source whose window
    /// is closed, if there is one.
    fn facts_with_closed_source(&self) -> Facts {
        self.facts_with_source(Window::Closed).unwrap_or_else(|| self.cfg.facts.clone())
    }

    /// Facts with the impact ids rotated so that `Known` names a source whose
    /// window is in `state`; `None` if there is none.
    fn facts_with_source(&self, state: Window) -> Option<Facts> {
        let mut f = self.cfg.facts.clone();
        let pos = f.impact_ids.iter().position(|id| self.window_of(*id) == state)?;
        f.impact_ids.rotate_left(pos);
        Some(f)
    }

    /// Checks the run's own settings before judging the target: a request with the
    /// given key and impact id but no `value` (nothing can be registered) must not be
    /// refused for its key or its id. A key refused in the header *and* in the body,
    /// or an impact id answered 404, is a mistake in the flags far more often than
    /// in the target, and judging 200 cases on it would bury that in false
    /// violations. A target that checks the body first answers 400 here; then the
    /// first registration's answer carries the hint instead.
    async fn preflight(&mut self) -> Result<(), ProbeError> {
        let ids = self.cfg.facts.impact_ids.clone();
        for id in ids {
            let facts = Facts { impact_ids: vec![id], ..self.cfg.facts.clone() };
            let header = Spec::valid().without("value").render(&facts);
            let ex = self.send(&header).await;
            let status = match &ex.outcome {
                Ok(a) => a.status,
                Err(TransportError::Connect(reason)) => {
                    return Err(ProbeError::Unreachable { url: self.transport.base().to_string(), reason: reason.clone() })
                }
                Err(_) => continue,
            };
            if status == 404 {
                return Err(ProbeError::Config(format!(
                    "the target answered 404 for impact id {id}, which --impact-id says exists: check the id (or pass the right --target)"
                )));
            }
            if status == 401 {
                let body = Spec::valid()
                    .without("value")
                    .auth(crate::model::Auth::None)
                    .body_key(crate::model::KeyRef::Valid)
                    .render(&facts);
                let ex = self.send(&body).await;
                if matches!(&ex.outcome, Ok(a) if a.status == 401) {
                    return Err(ProbeError::Config(
                        "the target answered 401 Unauthorized to the API key in the header and in the body: check --api-key / SLEUTH_API_KEY".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn run_all(&mut self) -> Result<(), ProbeError> {
        let facts = self.cfg.facts.clone();
        let mut cases: Vec<Case> = catalogue(&facts);
        if !self.cfg.only.is_empty() {
            cases.retain(|c| self.cfg.only.iter().any(|p| c.id.starts_with(p.as_str())));
        }
        if self.cfg.no_catalogue {
            cases.clear();
        }
        let window_named = self.cfg.only.iter().any(|p| "window/".starts_with(p.as_str()) || p.starts_with("window"));
        if cases.is_empty() && !window_named && self.cfg.generated == 0 {
            return Err(ProbeError::Config(if self.cfg.no_catalogue {
                "--no-catalogue without --generated leaves nothing to send".into()
            } else {
                format!(
                    "no catalogue case matches --case {}: `sleuth-contract cases` lists the ids",
                    self.cfg.only.join(", --case ")
                )
            }));
        }
        self.preflight().await?;
        let (reject, accept): (Vec<Case>, Vec<Case>) =
            cases.into_iter().partition(|c| !self.oracle.expect(&c.request, Window::Closed).may_register);

        // 1. Rejections, before any registration.
        for (i, c) in reject.iter().enumerate() {
            if self.stopped.is_some() {
                let why = "not sent: the run stopped when the registration budget was spent (raise --max-registrations)";
                for c in reject[i..].iter().chain(accept.iter()) {
                    self.skip(c, why);
                }
                break;
            }
            let mut case = c.clone();
            // A previous faulty 200 may have opened the window: use a closed source
            // if there is one, or wait the window out, so each case gets its true answer.
            if let Some(id) = self.oracle.impact_of(&case.request) {
                if self.window_of(id) == Window::Open {
                    let f = self.facts_with_closed_source();
                    case.request = case.spec.render(&f);
                    if let Some(new_id) = self.oracle.impact_of(&case.request) {
                        if self.window_of(new_id) == Window::Open {
                            self.wait_closed(new_id).await;
                        }
                    }
                }
            }
            let (_, verdict) = self.case(&case.id, Some(case.row), &case.request).await?;
            if verdict == Verdict::Violation && !self.budget_left() && self.stopped.is_none() {
                self.stopped = Some(format!(
                    "stopped after {} registrations (--max-registrations): the target accepted cases it must refuse",
                    self.report.registrations
                ));
            }
        }
        if self.stopped.is_some() {
            return Ok(());
        }

        // 2. Register once, then probe the window (unless --case leaves it out).
        // The window scenario runs for a whole catalogue, when window/ is named, or
        // when selected cases may be accepted: checking them inside one window costs
        // one window, not one each.
        let window_selected = !self.cfg.no_catalogue && (self.cfg.only.is_empty() || window_named || !accept.is_empty());
        if !window_selected {
            self.accept_without_window(accept).await?;
            if self.cfg.generated > 0 {
                self.generated().await?;
            }
            return Ok(());
        }
        let valid_spec = Spec::valid();
        let primary = self.facts_with_closed_source();
        let id0 = primary.impact_id();
        self.wait_closed(id0).await;
        let valid = valid_spec.render(&primary);
        if !self.budget_left() {
            self.report
                .notes
                .push("no registration left in the budget: the window scenario and acceptance checks were skipped".into());
            for c in &accept {
                self.skip(c, "not sent: no registration left in the budget (raise --max-registrations)");
            }
            return Ok(());
        }
        let (first, _) = self.case("window/first-registration", Some(Row::ValueFinite), &valid).await?;
        let registered = matches!(&first.outcome, Ok(a) if (200..300).contains(&a.status));
        let mut window_checks = registered;
        if !registered {
            let hint = match &first.outcome {
                Ok(a) if a.status == 401 => " (answered 401: if --api-key is right, the target refuses valid keys)",
                Ok(a) if a.status == 404 => " (answered 404: if --impact-id is right, the target refuses existing ids)",
                _ => "",
            };
            self.report.notes.push(format!("the first valid registration was not accepted{hint}: window checks skipped"));
        }
        let mut first_retry: Option<(Duration, u64)> = None;
        if window_checks {
            let (ex, _) = self.case("window/second-registration", Some(Row::RateWindow), &valid).await?;
            match &ex.outcome {
                Ok(a) if a.status == 429 => {
                    first_retry = a.header("retry-after").and_then(checks::parse_retry_after).map(|s| (self.cfg.wait.now(), s));
                }
                _ => window_checks = matches!(&ex.outcome, Ok(a) if (200..300).contains(&a.status)),
            }
        }

        // 3. Learn the order: a known-invalid case inside the window.
        if window_checks && self.window_of(id0) == Window::Open {
            let invalid = valid_spec.clone().value("\"abc\"").render(&primary);
            let (ex, _) = self.case("window/invalid-inside-window", Some(Row::RateInWindow), &invalid).await?;
            self.order = match &ex.outcome {
                Ok(a) if a.status == 429 => Order::RateLimitsFirst,
                Ok(a) if a.status == 400 => Order::ValidatesFirst,
                _ => Order::Unknown,
            };
            let learnt = match self.order {
                Order::ValidatesFirst => "the target validates before rate-limiting: cases that may be accepted were checked inside the window without registering",
                Order::RateLimitsFirst => "the target rate-limits before validating: each case that may be accepted needs a window of its own",
                Order::Unknown => "the target's check order could not be learnt",
            };
            self.report.notes.push(learnt.into());
        }

        // 4. Acceptance.
        let mut deferred: Vec<Case> = Vec::new();
        for c in &accept {
            if c.id == "valid/header-key" {
                // Sent as window/first-registration.
                self.report.notes.push("valid/header-key was sent as window/first-registration".into());
                continue;
            }
            let id = self.oracle.impact_of(&c.request);
            let in_window = id.is_some_and(|id| self.window_of(id) == Window::Open);
            let time_left = id
                .and_then(|id| self.tracks.get(&id).and_then(|t| t.opened))
                .map(|at| (at + self.cfg.window).saturating_sub(self.cfg.wait.now()))
                .unwrap_or_default();
            let safe = time_left > self.margin() + self.max_latency * 4;
            if self.order == Order::ValidatesFirst && in_window && safe {
                self.case(&c.id, Some(c.row), &c.request).await?;
            } else if id.is_some_and(|id| self.window_of(id) == Window::Closed) && self.budget_left() {
                // A source with a closed window (e.g. a second impact id): this
                // case registers (or is refused) for real.
                self.case(&c.id, Some(c.row), &c.request).await?;
            } else if id.is_none() {
                self.case(&c.id, Some(c.row), &c.request).await?;
            } else {
                deferred.push(c.clone());
            }
        }

        // 5. Late probe and recovery.
        if window_checks {
            self.late_probe_and_recovery(id0, &valid, first_retry).await?;
        }

        // Cases that each need a window of their own (rate-limit-first targets).
        for c in deferred {
            if self.budget_left() {
                let req = c.spec.render(&self.facts_with_closed_source());
                if let Some(id) = self.oracle.impact_of(&req) {
                    self.wait_closed(id).await;
                }
                self.case(&c.id, Some(c.row), &req).await?;
                continue;
            }
            // Budget spent: only a source inside its window may be asked (nothing
            // can register there); otherwise the case is not sent at all.
            let note = "not verified: the registration budget was spent and the target rate-limits before validating";
            let in_open_window =
                |r: &Self, req: &Request| r.oracle.impact_of(req).is_some_and(|id| r.window_of(id) == Window::Open);
            let open_req =
                self.facts_with_source(Window::Open).map(|f| c.spec.render(&f)).filter(|req| in_open_window(self, req));
            match open_req {
                Some(req) => {
                    let (ex, expectation) = self.ask(&req).await;
                    self.record(&c.id, Some(c.row), &ex, &expectation, Some(note.to_string()));
                }
                None => self.skip(&c, &format!("{note}; not sent")),
            }
        }

        // 6. Generated cases.
        if self.cfg.generated > 0 {
            self.generated().await?;
        }
        Ok(())
    }

    /// Runs selected cases that may be accepted when the window scenario is not
    /// selected: each may register, within the budget, one window per source.
    async fn accept_without_window(&mut self, accept: Vec<Case>) -> Result<(), ProbeError> {
        for c in accept {
            let facts = self.facts_with_closed_source();
            let req = c.spec.render(&facts);
            if !self.budget_left() {
                self.skip(&c, "not sent: the registration budget was spent (raise --max-registrations)");
                continue;
            }
            if let Some(id) = self.oracle.impact_of(&req) {
                self.wait_closed(id).await;
            }
            self.case(&c.id, Some(c.row), &req).await?;
        }
        Ok(())
    }

    /// How long before the window's end the late probe is sent.
    fn margin(&self) -> Duration {
        Duration::from_secs(2).min(self.cfg.window / 3)
    }

    async fn late_probe_and_recovery(
        &mut self,
        id: u64,
        valid: &Request,
        first_retry: Option<(Duration, u64)>,
    ) -> Result<(), ProbeError> {
        let Some(opened) = self.tracks.get(&id).and_then(|t| t.opened) else {
            return Ok(());
        };
        let late_at = opened + self.cfg.window.saturating_sub(self.margin());
        let now = self.cfg.wait.now();
        if now < late_at {
            self.cfg
                .wait
                .sleep(late_at - now, &format!("window/late-in-window is sent just before impact {id}'s window ends"))
                .await;
        }
        let (ex, verdict) = self.case("window/late-in-window", Some(Row::RateWindow), valid).await?;
        let mut wait = self.margin();
        if let Ok(a) = &ex.outcome {
            if a.status == 429 {
                if let Some(ra) = a.header("retry-after").and_then(checks::parse_retry_after) {
                    // Retry-After must not run past the window's end by more than a
                    // second of rounding.
                    if verdict != Verdict::Violation {
                        if let Some((t0, ra0)) = first_retry {
                            let elapsed = self.cfg.wait.now().saturating_sub(t0).as_secs();
                            if ra > ra0.saturating_sub(elapsed) + 2 {
                                self.report.notes.push(format!(
                                    "Retry-After did not count down: {ra0}s, then {ra}s {elapsed}s later (allowed by the contract, but a client waits longer than needed)"
                                ));
                            }
                        }
                    }
                    wait = Duration::from_secs(ra.clamp(1, self.cfg.window.as_secs()));
                }
            } else if (200..300).contains(&a.status) {
                // The window was shorter than configured and a new one opened now.
                return Ok(());
            }
        }
        self.cfg.wait.sleep(wait, &format!("the Retry-After given, before window/after-retry-after on impact {id}")).await;
        if !self.budget_left() {
            self.report.notes.push("window/after-retry-after not sent: the registration budget was spent".into());
            return Ok(());
        }
        self.case("window/after-retry-after", Some(Row::RateWindow), valid).await?;
        Ok(())
    }

    async fn generated(&mut self) -> Result<(), ProbeError> {
        let seed = self.cfg.seed;
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
        let mut runner = TestRunner::new_with_rng(PtConfig::default(), rng);
        let strategy = crate::strategy::any_spec();
        let facts = self.cfg.facts.clone();
        let mut skipped = 0usize;
        let mut sent = 0usize;
        for n in 1..=self.cfg.generated {
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let spec = tree.current();
            let req = spec.render(&facts);
            if !Transport::sendable(&req) {
                skipped += 1;
                continue;
            }
            // Generated cases must not register: a case that may be accepted is sent
            // only while its source's window is open.
            let expectation = self.oracle.expect(&req, self.window_for(&req));
            if expectation.may_register && self.window_for(&req) == Window::Closed {
                skipped += 1;
                continue;
            }
            sent += 1;
            let id = format!("generated/{n:04}");
            let (ex, expectation) = self.ask(&req).await;
            let ctx = Context { expectation: &expectation, window_secs: self.cfg.window.as_secs() };
            let (verdict, failures) = checks::classify(&ctx, &ex, &self.checks);
            if verdict != Verdict::Violation {
                self.record(&id, None, &ex, &expectation, None);
                continue;
            }
            let check = failures.first().map(|f| f.check).unwrap_or("");
            let registering = matches!(&ex.outcome, Ok(a) if (200..300).contains(&a.status));
            let shrunk = self.shrink(&mut tree, check, &facts, registering).await;
            let note = match &shrunk.best {
                Some(_) => format!(
                    "seed {seed}, case {n}; shrunk in {} steps ({} requests); reproduce with --generated {n} --seed {seed}",
                    shrunk.steps, shrunk.requests
                ),
                None => {
                    format!("seed {seed}, case {n}; not shrunk ({}); reproduce with --generated {n} --seed {seed}", shrunk.why)
                }
            };
            // Report a failure that was observed, never a re-send: re-sending can
            // meet another window state and hide the fault.
            let (fex, fexp) = shrunk.best.unwrap_or((ex, expectation));
            self.record(&id, None, &fex, &fexp, Some(note));
        }
        self.report.notes.push(format!(
            "generated {} cases with seed {seed}: {sent} sent, {skipped} skipped (unsendable, or would have registered a value)",
            self.cfg.generated
        ));
        Ok(())
    }

    /// Shrinks a failing generated case by re-sending simpler variants (proptest's
    /// simplify/complicate walk), keeping a variant when it still fails the same
    /// check. Bounded by the shrink budget. Variants that could register a value are
    /// not sent, except when the failure itself is a wrongful registration (2xx):
    /// then each attempt registers, so it is tried only on a virtual clock (windows
    /// cost nothing) and within the registration budget.
    async fn shrink(
        &mut self,
        tree: &mut Box<dyn ValueTree<Value = Spec>>,
        check: &str,
        facts: &Facts,
        registering: bool,
    ) -> Shrunk {
        let mut out = Shrunk { best: None, steps: 0, requests: 0, why: "" };
        let virtual_clock = matches!(self.cfg.wait, Wait::Virtual(_));
        if registering && !virtual_clock {
            out.why = "each attempt would register a real value";
            return out;
        }
        if !tree.simplify() {
            out.why = "already minimal";
            return out;
        }
        while out.requests < self.cfg.shrink_budget {
            let candidate = tree.current().render(facts);
            if registering {
                if !self.budget_left() {
                    out.why = "registration budget spent";
                    break;
                }
                if let Some(id) = self.oracle.impact_of(&candidate) {
                    self.wait_closed(id).await;
                }
            }
            let window = self.window_for(&candidate);
            let risky = self.oracle.expect(&candidate, window).may_register && window == Window::Closed;
            let mut failing = None;
            if Transport::sendable(&candidate) && !risky {
                out.requests += 1;
                let ex = self.send(&candidate).await;
                let expectation = self.oracle.expect(&candidate, window);
                let ctx = Context { expectation: &expectation, window_secs: self.cfg.window.as_secs() };
                let (v, f) = checks::classify(&ctx, &ex, &self.checks);
                if v == Verdict::Violation && f.iter().any(|f| f.check == check) {
                    failing = Some((ex, expectation));
                }
            }
            let more = match failing {
                Some(found) => {
                    out.best = Some(found);
                    out.steps += 1;
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !more {
                break;
            }
        }
        if out.best.is_none() && out.why.is_empty() {
            out.why = "no simpler variant failed the same way";
        }
        out
    }
}

/// Whether `url` points at the production host.
pub fn is_production(url: &str) -> bool {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| h == spec::PRODUCTION_HOST)
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

/// Turns flags into a config, starting the embedded server when there is no
/// target (the server is returned so it lives as long as the run).
pub async fn config_from_args(args: &ProbeArgs) -> Result<(ProbeConfig, Option<ReferenceServer>), ProbeError> {
    let timeout = crate::transport::timeout_from_secs(args.timeout).map_err(ProbeError::Config)?;
    crate::report::check_output(args.output.as_deref()).map_err(ProbeError::Config)?;
    if args.rate_window == 0 {
        return Err(ProbeError::Config("--rate-window must be at least 1 second".into()));
    }
    let window = Duration::from_secs(args.rate_window);
    let now = chrono::Utc::now();
    let seed = args.seed.unwrap_or_else(random_u64);
    let (base, facts, wait, max, server) = match &args.target {
        None => {
            let key =
                args.api_key.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| format!("sc-embedded-{:016x}", random_u64()));
            let ids = if args.impact_ids.is_empty() { vec![42, 43] } else { args.impact_ids.clone() };
            let clock = Clock::manual();
            let mut b = ReferenceServer::builder().api_key(key.clone()).window(window).clock(clock.clone());
            for id in &ids {
                b = b.impact_id(*id);
            }
            let server = b.start().await.map_err(ProbeError::Embedded)?;
            let missing = args.missing_impact_id.unwrap_or(999_999);
            let facts = Facts { api_key: key, impact_ids: ids, missing_impact_id: missing, now };
            (server.url(), facts, Wait::Virtual(clock), args.max_registrations.unwrap_or(u32::MAX), Some(server))
        }
        Some(url) => {
            crate::transport::parse_base_url(url)?;
            if is_production(url) && !args.allow_production {
                return Err(ProbeError::Config(format!(
                    "refusing to probe the production host {}: every accepted case registers a real value; pass --allow-production to do it anyway (at most --max-registrations values, default 3)",
                    spec::PRODUCTION_HOST
                )));
            }
            let key = args.api_key.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
                ProbeError::Config("probing a --target needs its API key: pass --api-key KEY or set SLEUTH_API_KEY".into())
            })?;
            if args.impact_ids.is_empty() {
                return Err(ProbeError::Config("probing a --target needs at least one known --impact-id".into()));
            }
            let missing = args.missing_impact_id.unwrap_or(999_999_999);
            if args.impact_ids.contains(&missing) {
                return Err(ProbeError::Config(format!("--missing-impact-id {missing} is also given as --impact-id")));
            }
            let facts = Facts { api_key: key, impact_ids: args.impact_ids.clone(), missing_impact_id: missing, now };
            (url.clone(), facts, Wait::real(), args.max_registrations.unwrap_or(3), None)
        }
    };
    let cfg = ProbeConfig {
        base_url: base,
        facts,
        window,
        max_registrations: max,
        generated: args.generated,
        seed,
        timeout,
        wait,
        only: args.cases.clone(),
        no_catalogue: args.no_catalogue,
        shrink_budget: 200,
    };
    Ok((cfg, server))
}

/// `sleuth-contract probe`: runs, writes the report, returns the exit code.
pub async fn probe_main(args: ProbeArgs) -> i32 {
    let baseline = match args.baseline.as_deref().map(crate::report::Baseline::load).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let (cfg, server) = match config_from_args(&args).await {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let redactor = Redactor::new([cfg.facts.api_key.clone()]);
    // The seed of generated cases is in the report's notes; nothing is printed
    // before the run, so a configuration error stays a single line.
    let report = match run(cfg).await {
        Ok(mut r) => {
            if server.is_some() {
                r.target = format!("{} (embedded reference server)", r.target);
            }
            r
        }
        Err(e) => {
            eprintln!("error: {}", redactor.redact(&e.to_string()));
            return EXIT_ERROR;
        }
    };
    let mut report = report;
    if let Some(b) = &baseline {
        report.compare_with_baseline(b);
    }
    let code = crate::report::finish(&report, args.format, args.output.as_deref(), &redactor);
    drop(server);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_production_host_is_production() {
        assert!(is_production("https://app.sleuth.io"));
        assert!(is_production("https://APP.sleuth.io/"));
        assert!(!is_production("http://127.0.0.1:8080"));
        assert!(!is_production("https://staging.sleuth.io"));
    }
}
