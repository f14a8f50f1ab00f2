//! The reference server's HTTP shell: hyper on `127.0.0.1`, one core behind a lock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::core::SHELL_FAULT;
use super::{Clock, Core, Fault, Leniency, Settings, Stage};
use crate::request::{Answer, Request};

/// Bodies larger than this get 413 without being read further.
pub const MAX_BODY: usize = 1 << 20;

/// How many exchanges the journal keeps (oldest dropped first).
pub const JOURNAL_LIMIT: usize = 100_000;

/// One request the server received, with its answer and the time it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    /// Clock time when the request arrived.
    pub at: Duration,
    pub request: Request,
    pub answer: Answer,
}

struct Shared {
    core: Mutex<Core>,
    clock: Clock,
    journal: Mutex<Vec<Received>>,
    /// Answers to give before asking the core (client-verification scenarios).
    forced: Mutex<std::collections::VecDeque<Answer>>,
}

/// A running reference server. Binds `127.0.0.1`; stops when dropped.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use sleuth_contract::ReferenceServer;
/// let server = ReferenceServer::builder().impact_id(42).api_key("secret").start().await?;
/// println!("{}", server.url()); // http://127.0.0.1:<port>
/// # Ok(()) }
/// ```
pub struct ReferenceServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for ReferenceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// Builds a [`ReferenceServer`]. Every option states its default.
#[derive(Clone, Debug, Default)]
pub struct ServerBuilder {
    settings: Settings,
    ids_set: bool,
    port: u16,
    clock: Option<Clock>,
}

impl ServerBuilder {
    /// Adds an impact id that exists. Default: only `1`.
    pub fn impact_id(mut self, id: u64) -> Self {
        if !self.ids_set {
            self.settings.impact_ids.clear();
            self.ids_set = true;
        }
        self.settings.impact_ids.push(id);
        self
    }

    /// Adds a valid API key. Default: none.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.settings.api_keys.push(key.into());
        self
    }

    /// The rate-limit window. Default 120 s.
    pub fn window(mut self, window: Duration) -> Self {
        self.settings.window = window;
        self
    }

    /// The check order. Default [`Stage::VALIDATE_FIRST`].
    pub fn order(mut self, order: &[Stage]) -> Self {
        self.settings.order = order.to_vec();
        self
    }

    /// Choices where the contract is silent. Default [`Leniency::default`].
    pub fn leniency(mut self, leniency: Leniency) -> Self {
        self.settings.leniency = leniency;
        self
    }

    /// Switches on a deliberate fault. Default: none.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.settings.faults.push(fault);
        self
    }

    /// Replaces all settings at once.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self.ids_set = true;
        self
    }

    /// The port on 127.0.0.1. Default 0 (a free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The clock. Default [`Clock::system`]; use [`Clock::manual`] to walk windows
    /// without waiting.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Binds and starts serving. Fails only if the port cannot be bound.
    pub async fn start(self) -> std::io::Result<ReferenceServer> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core::new(self.settings)),
            clock: self.clock.unwrap_or_default(),
            journal: Mutex::new(Vec::new()),
            forced: Mutex::new(std::collections::VecDeque::new()),
        });
        let (shutdown, rx) = watch::channel(false);
        tokio::spawn(accept_loop(listener, shared.clone(), rx));
        Ok(ReferenceServer { addr, shared, shutdown })
    }
}

impl ReferenceServer {
    /// A builder with the defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The base URL, `http://127.0.0.1:<port>`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The server's clock (advance it if it is manual).
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The settings it runs with.
    pub fn settings(&self) -> Settings {
        lock(&self.shared.core).settings().clone()
    }

    /// Every exchange so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.journal).clone()
    }

    /// Forgets the journal.
    pub fn clear_received(&self) {
        lock(&self.shared.journal).clear();
    }

    /// Answers the next requests with these answers, in order, instead of asking
    /// the core (which then sees nothing of them). Used to force 400/401/404/429
    /// when verifying how a client reacts. Replaces any answers still queued.
    pub fn force_answers(&self, answers: impl IntoIterator<Item = Answer>) {
        *lock(&self.shared.forced) = answers.into_iter().collect();
    }

    /// Closes every rate-limit window.
    pub fn reset_windows(&self) {
        lock(&self.shared.core).reset();
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Locks, recovering from a poisoned lock (a panicking test must not wedge others).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, shared.clone()));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

async fn handle(req: hyper::Request<Incoming>, shared: Arc<Shared>) -> Result<hyper::Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Ok(respond(Answer::text(413, "Payload Too Large"))),
    };
    let request = Request {
        method: parts.method.to_string(),
        target: parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into()),
        headers: parts.headers.iter().map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())).collect(),
        body,
    };
    let at = shared.clock.now();
    let forced = lock(&shared.forced).pop_front();
    let mut answer = match forced {
        Some(a) => a,
        None => lock(&shared.core).decide(&request, at),
    };
    let shell = answer.header(SHELL_FAULT).map(str::to_string);
    answer.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(SHELL_FAULT));
    {
        let mut j = lock(&shared.journal);
        if j.len() >= JOURNAL_LIMIT {
            j.remove(0);
        }
        j.push(Received { at, request, answer: answer.clone() });
    }
    match shell.as_deref() {
        Some("reset") => Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "deliberate reset")),
        Some("hang") => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(respond(answer))
        }
        _ => Ok(respond(answer)),
    }
}

fn respond(a: Answer) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(a.body)));
    *r.status_mut() = hyper::StatusCode::from_u16(a.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (n, v) in a.headers {
        if let (Ok(n), Ok(v)) = (hyper::header::HeaderName::from_bytes(n.as_bytes()), hyper::header::HeaderValue::from_str(&v)) {
            r.headers_mut().append(n, v);
        }
    }
    r
}
