//! The web pages (issue 13, "close the loop"): a unit's page behind a signed link, the office's
//! login and request queue, the leaders' board, an item's history, `/healthz` and `/metrics`.
//!
//! Served by the daemon (when `web.bind` is set; default `127.0.0.1:8080`) and by
//! `dutybell serve`. Pages are server-rendered minijinja templates embedded in the binary (no
//! JavaScript, nothing from a CDN). Every rule lives in [`crate::service`]; this module parses
//! requests, checks access, calls the service on the store thread and renders.
//!
//! Files: `pages` (templates), `security` (headers, CSRF, limits, sessions, rate limit), `unit`,
//! `office`, `board`, `admin` (health, metrics).
//!
//! May touch: the network socket it binds, the store through the trait (its own connection),
//! the clock it is given. `axum` is used only under this module.

// Access checks return the ready refusal page as their error: it is built once, on the error
// path only, and boxing it would only add noise to every handler.
#![allow(clippy::result_large_err)]

mod admin;
mod board;
mod office;
mod pages;
mod security;
mod unit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::clock::SharedClock;
use crate::service::Engine;
use crate::store::{Store, StoreThread};

pub use admin::WebMetrics;

/// Largest request body accepted (a form with three 2000-character fields fits easily).
pub const BODY_LIMIT: usize = 32 * 1024;
/// A request taking longer than this is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What every handler shares.
pub struct WebState {
    /// Catalog, calendar, link signer: the daemon's current engine, replaced on every good
    /// reload (SIGHUP), so the pages follow the config the reminders follow.
    engine: tokio::sync::watch::Receiver<Arc<Engine>>,
    /// The web server's own store connection, on a thread of its own.
    pub store: StoreThread,
    /// The clock (so `--now` runs the pages "in" another month too).
    pub clock: SharedClock,
    pages: pages::Pages,
    sessions: security::Sessions,
    limiter: security::RateLimiter,
    metrics: WebMetrics,
    /// When the pages were last used: the daemon does not go to sleep under someone's hands.
    pub activity: Arc<crate::service::Activity>,
}

type St = Arc<WebState>;

impl WebState {
    /// State over an engine and a store.
    pub fn new(engine: Arc<Engine>, store: StoreThread, clock: SharedClock) -> WebState {
        Self::following(tokio::sync::watch::channel(engine).1, store, clock)
    }

    /// State that follows an engine published by the daemon (see `RunOptions::engine_feed`).
    pub fn following(
        engine: tokio::sync::watch::Receiver<Arc<Engine>>,
        store: StoreThread,
        clock: SharedClock,
    ) -> WebState {
        WebState {
            engine,
            store,
            clock,
            pages: pages::Pages::new(),
            sessions: security::Sessions::default(),
            limiter: security::RateLimiter::default(),
            metrics: WebMetrics::default(),
            activity: Arc::default(),
        }
    }

    /// The engine in force now (a request keeps the one it started with).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.borrow().clone()
    }

    /// The path prefix of `web.public_url` (links in pages start with it).
    fn base(&self) -> String {
        self.engine().loaded.catalog.web.path_prefix().to_owned()
    }

    /// Today in the plan's zone.
    fn today(&self) -> jiff::civil::Date {
        self.clock
            .now()
            .to_zoned_datetime(self.engine().tz().clone())
            .date()
    }

    /// Runs `f` on the store's thread.
    async fn store<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut dyn Store, &WebState) -> T + Send + 'static,
    ) -> Result<T, Response> {
        let st = self.clone();
        self.store.call(move |s| f(s, &st)).await.map_err(|_| {
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "服务器内部错误，请稍后再试。",
            )
        })
    }
}

/// A plain page with only `text` (errors never carry details).
pub(crate) fn plain(status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>督办提醒</title></head><body><p>{}</p></body></html>",
        pages::escape(text)
    );
    (status, Html(body)).into_response()
}

/// The application: every route with its limits and security layers.
pub fn router(state: Arc<WebState>) -> Router {
    let app = Router::new()
        .route("/", get(office::home))
        .route("/u/{token}", get(unit::page).post(unit::submit))
        .route("/login", get(office::login_page).post(office::login))
        .route("/logout", post(office::logout))
        .route("/office", get(office::queue))
        .route("/office/requests/{id}", post(office::decide))
        .route("/board", get(board::office_board))
        .route("/board/h/{key}", get(board::office_history))
        .route("/b/{token}", get(board::link_board))
        .route("/b/{token}/h/{key}", get(board::link_history))
        .route("/healthz", get(admin::healthz))
        .route("/metrics", get(admin::metrics))
        .route("/static/style.css", get(pages::stylesheet))
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "页面不存在。") });
    security::layers(app, state.clone()).with_state(state)
}

/// Serves `state` on `addr` until `shutdown` resolves.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    state: Arc<WebState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("web: cannot listen on {addr}: {e}"))?;
    tracing::info!(address = %listener.local_addr().unwrap_or(addr), "web pages served");
    serve_on(listener, state, shutdown).await
}

/// Serves on an already bound listener (tests bind port 0).
///
/// # Errors
/// When the server fails.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: Arc<WebState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(state).layer(DefaultBodyLimit::max(BODY_LIMIT));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
