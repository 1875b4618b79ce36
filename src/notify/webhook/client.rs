//! The shared HTTP client for every webhook channel: timeouts, no redirects, User-Agent, rustls
//! with the ring provider.
//!
//! Touches nothing at build time except installing the process-wide rustls crypto provider.

use std::time::Duration;

/// Timeouts of the shared HTTP client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// Whole request including reading the reply.
    pub request: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// The shared client with default timeouts. See [`http_client_with`].
pub fn http_client() -> reqwest::Client {
    http_client_with(HttpTimeouts::default())
}

/// A client for all webhook channels: the given timeouts, no redirects followed (a redirect
/// would re-send a signed body to a host nobody configured), a dutybell User-Agent, connection
/// reuse. Installs the ring rustls provider once (reqwest is built without one).
///
/// # Panics
/// If the TLS backend cannot be initialised, which is a build defect, not a runtime condition.
pub fn http_client_with(timeouts: HttpTimeouts) -> reqwest::Client {
    crate::tls::install_default();
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.request)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dutybell/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("reqwest client with rustls ring provider")
}
