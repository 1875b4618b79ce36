//! A recording HTTP server on 127.0.0.1:0 that plays vendor replies for the webhook tests.
//!
//! The first path segment names a scenario (`/wecom-ok/cgi-bin/webhook/send` → `wecom-ok`), so
//! one server serves every case; each request is recorded with its arrival time on tokio's clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use tokio::time::Instant;

/// What the server answers for one scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Scenario {
    /// HTTP 200 with a fixture file from `tests/fixtures/webhook/`.
    pub fn fixture(name: &str) -> Self {
        Scenario::status(200).body(&fixture(name))
    }

    /// A bare status with an empty body.
    pub fn status(status: u16) -> Self {
        Scenario {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    /// Replaces the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Sleeps this long before answering.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// Reads a vendor reply fixture.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/webhook")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One received request.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Path after the scenario segment.
    pub path: String,
    /// Raw (still percent-encoded) query string.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Bytes,
    /// Arrival on tokio's clock.
    pub at: Instant,
}

impl Hit {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    /// A decoded query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("http://x/?{}", self.query.as_deref()?)).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

#[derive(Default)]
struct Shared {
    scenarios: Mutex<HashMap<String, Scenario>>,
    /// Scenarios answered in turn, one per request (the last one repeats).
    sequences: Mutex<HashMap<String, Vec<Scenario>>>,
    hits: Mutex<HashMap<String, Vec<Hit>>>,
}

/// The running server.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds 127.0.0.1:0 and serves in the background of the current runtime.
    pub async fn start() -> Server {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { addr, shared }
    }

    /// Registers (or replaces) a scenario and returns its base URL.
    pub fn on(&self, name: &str, s: Scenario) -> String {
        self.shared
            .scenarios
            .lock()
            .unwrap()
            .insert(name.to_owned(), s);
        format!("http://{}/{name}", self.addr)
    }

    /// Registers a sequence: the n-th request gets `seq[n]`, the requests after the last get the
    /// last one (e.g. the second part of a split message fails once). Returns the base URL.
    pub fn on_seq(&self, name: &str, seq: Vec<Scenario>) -> String {
        assert!(!seq.is_empty());
        self.shared
            .sequences
            .lock()
            .unwrap()
            .insert(name.to_owned(), seq);
        format!("http://{}/{name}", self.addr)
    }

    /// Requests received for a scenario, in arrival order.
    pub fn hits(&self, name: &str) -> Vec<Hit> {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (name, rest) = path.split_once('/').unwrap_or((path, ""));
    let hit = Hit {
        path: format!("/{rest}"),
        query: uri.query().map(str::to_owned),
        headers,
        body,
        at: Instant::now(),
    };
    let nth = {
        let mut hits = shared.hits.lock().unwrap();
        let list = hits.entry(name.to_owned()).or_default();
        list.push(hit);
        list.len() - 1
    };
    let in_turn = shared
        .sequences
        .lock()
        .unwrap()
        .get(name)
        .and_then(|seq| seq.get(nth).or(seq.last()).cloned());
    let scenario = in_turn.or_else(|| shared.scenarios.lock().unwrap().get(name).cloned());
    let Some(s) = scenario else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::empty())
            .unwrap();
    };
    if !s.delay.is_zero() {
        tokio::time::sleep(s.delay).await;
    }
    let mut resp = Response::builder().status(s.status);
    for (k, v) in &s.headers {
        resp = resp.header(*k, v);
    }
    resp.header("content-type", "application/json")
        .body(Body::from(s.body))
        .unwrap()
}
