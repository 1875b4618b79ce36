//! What every request passes through: a time limit, security headers, the cross-site POST
//! check, metrics; plus office sessions (HttpOnly, SameSite=Strict cookies, a form token) and a
//! per-token rate limit on POSTs.
//!
//! Rules (why):
//! - GET never changes anything; only POST does, and a POST that a browser marks cross-site
//!   (`Sec-Fetch-Site: cross-site`/`same-site`) or whose `Origin` is another site is refused
//!   (403) before any handler runs: a link in a mail must not be turned into a form post elsewhere.
//! - Cookie-based forms (office, login) also carry a random form token tied to the session (or,
//!   before login, to a short-lived cookie): belt and braces for old browsers without the headers.
//! - CSP without inline scripts (there are none), `frame-ancestors 'none'`, no referrer (links
//!   carry tokens), `nosniff`, and `no-store` so a shared phone's back button shows nothing.
//!
//! May touch: request and response headers; in-memory sessions and counters.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use jiff::{SignedDuration, Timestamp};

use super::{St, plain};

/// Session cookie name.
pub const SESSION_COOKIE: &str = "dutybell_session";
/// Pre-login form-token cookie name.
pub const LOGIN_COOKIE: &str = "dutybell_login";
/// How long an office session lasts.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_hours(8);
/// POSTs allowed per key (link token, session or address) per window.
pub const POSTS_PER_WINDOW: u32 = 30;
/// The rate-limit window.
pub const WINDOW_SECS: i64 = 600;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Wraps the routes with the guard middleware.
pub fn layers(app: Router<St>, state: St) -> Router<St> {
    app.layer(axum::middleware::from_fn_with_state(state, guard))
}

async fn guard(State(st): State<St>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    st.activity.request(st.clock.now());
    let mut resp = if req.method() == Method::POST && cross_site(req.headers(), &st) {
        plain(
            StatusCode::FORBIDDEN,
            "请求被拒绝：不接受来自其他网站的提交。",
        )
    } else if req.method() != Method::GET
        && req.method() != Method::POST
        && req.method() != Method::HEAD
    {
        plain(StatusCode::METHOD_NOT_ALLOWED, "不支持的请求方式。")
    } else {
        match tokio::time::timeout(super::REQUEST_TIMEOUT, next.run(req)).await {
            Ok(r) => r,
            Err(_) => plain(StatusCode::SERVICE_UNAVAILABLE, "服务器繁忙，请稍后再试。"),
        }
    };
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    st.metrics
        .observe_request(&route, resp.status().as_u16(), started.elapsed());
    resp
}

/// True when a browser says the POST comes from another site.
fn cross_site(h: &HeaderMap, st: &St) -> bool {
    if let Some(v) = h.get("sec-fetch-site") {
        return !matches!(v.to_str().unwrap_or(""), "same-origin" | "none");
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No browser marks: not a browser form post (curl, scripts), which carry no cookies of
        // a victim; cookie forms still need their form token.
        return false;
    };
    let public = &st.engine().loaded.catalog.web.public_url;
    let public_origin = public
        .split_once("://")
        .map(|(s, r)| format!("{s}://{}", r.split('/').next().unwrap_or("")))
        .unwrap_or_default();
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !(origin == public_origin
        || origin == format!("http://{host}")
        || origin == format!("https://{host}"))
}

/// The client's address: the peer, or the proxy's `X-Forwarded-For` when the peer is loopback
/// (nginx on the same host).
pub fn client_address(h: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> String {
    let peer_ip = peer.map(|c| c.0.ip());
    if peer_ip.is_some_and(|ip| ip.is_loopback())
        && let Some(xff) = h.get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(first) = xff.split(',').next()
    {
        return first.trim().chars().take(64).collect();
    }
    peer_ip.map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

/// A fresh random token (256 bits, base64url).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    // The OS generator does not fail on Linux after boot; an all-zero token would still be
    // tied to one session and refused by the constant comparison with any other.
    let _ = getrandom::fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Constant-time string equality (form tokens).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie value from the request.
pub fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, scoped to the path prefix, Secure on https.
pub fn set_cookie(st: &St, name: &str, value: &str, max_age: i64) -> String {
    let web = &st.engine().loaded.catalog.web;
    let path = if web.path_prefix().is_empty() {
        "/"
    } else {
        web.path_prefix()
    };
    let secure = if web.https() { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// An office session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Login name.
    pub user: String,
    /// Shown name.
    pub display: String,
    /// Form token.
    pub csrf: String,
    /// Expiry.
    pub expires: Timestamp,
}

/// Sessions in memory: a restart logs everyone out, which is acceptable for a handful of
/// office users and keeps session secrets out of the database.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    /// Starts a session; returns its id.
    pub fn start(&self, user: &str, display: &str, now: Timestamp) -> String {
        let id = random_token();
        let s = Session {
            user: user.to_owned(),
            display: display.to_owned(),
            csrf: random_token(),
            expires: now.saturating_add(SESSION_TTL).unwrap_or(now),
        };
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, s| s.expires > now);
        m.insert(id.clone(), s);
        id
    }

    /// The live session of the request's cookie.
    pub fn get(&self, h: &HeaderMap, now: Timestamp) -> Option<Session> {
        let id = cookie(h, SESSION_COOKIE)?;
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&id).filter(|s| s.expires > now).cloned()
    }

    /// Ends the request's session.
    pub fn end(&self, h: &HeaderMap) {
        if let Some(id) = cookie(h, SESSION_COOKIE) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        }
    }
}

/// Counts POSTs per key in fixed windows.
#[derive(Default)]
pub struct RateLimiter(Mutex<HashMap<String, (i64, u32)>>);

impl RateLimiter {
    /// True when `key` may POST once more at `now`.
    pub fn allow(&self, key: &str, now: Timestamp) -> bool {
        let window = now.as_second() / WINDOW_SECS;
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, (w, _)| *w == window);
        }
        let e = m.entry(key.to_owned()).or_insert((window, 0));
        if e.0 != window {
            *e = (window, 0);
        }
        e.1 += 1;
        e.1 <= POSTS_PER_WINDOW
    }
}

/// 429 page.
pub fn too_many() -> Response {
    plain(StatusCode::TOO_MANY_REQUESTS, "提交过于频繁，请稍后再试。").into_response()
}
