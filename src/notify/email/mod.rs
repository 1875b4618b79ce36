//! The email channel: a small pool of SMTP connections per relay (lettre's protocol code over
//! our own tokio stream with `TCP_NODELAY`, rustls for TLS).
//!
//! May touch: the network (the relay) and, once at construction, the extra root CA file named in
//! the config. Must not touch: SQL, the clock (the `Date` header comes from
//! [`Notification::attempt_at`]; idle connections are aged with tokio's monotonic clock),
//! retry decisions (failures are only classified, in the private `classify` module). Message
//! building is pure and lives in [`message`].

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::time::Instant;

use super::{Channel, Mailbox, Notification, Receipt, SendError, SendFuture};

mod classify;
pub mod config;
pub mod message;
mod stream;

pub use config::{SmtpConfig, SmtpTls, is_loopback_host};
pub use message::{build_message, message_id, render_rfc5322, thread_root_id};

/// Default number of connections to one relay, and of sends in flight on the channel, when the
/// channel's `concurrency:` is not set. The channel enforces the in-flight limit itself (a
/// semaphore), so a burst never runs more than this many SMTP transactions against the relay.
pub const DEFAULT_POOL_SIZE: usize = 4;

/// An idle connection younger than this is reused straight away (a burst pays no extra round
/// trip); an older one is first probed with `NOOP`, as the relay may have closed it meanwhile.
const PROBE_AFTER: Duration = Duration::from_secs(2);

/// Idle connections older than this are closed (`QUIT`) instead of reused: relays drop idle
/// sessions after a few minutes anyway, and the daemon may sleep for a day between bursts.
const IDLE_MAX: Duration = Duration::from_secs(60);

/// Why an [`EmailChannel`] could not be built. Texts never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum EmailConfigError {
    /// [`SmtpConfig::validate`] refused the settings.
    #[error("{0}")]
    Invalid(String),
    /// The extra root CA file could not be read or holds no usable certificate.
    #[error("smtp channel {id:?}: extra_root_ca {path:?}: {reason}")]
    RootCa {
        /// Channel id.
        id: String,
        /// The configured file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// TLS parameters could not be set up (e.g. the host is not a valid TLS server name).
    #[error("smtp channel {id:?}: TLS setup for host {host:?} failed: {reason}")]
    Tls {
        /// Channel id.
        id: String,
        /// Relay host.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// Sends run on tokio, so the channel must be built inside a runtime (checked up front).
    #[error("smtp channel {0:?}: must be built inside a tokio runtime")]
    NoRuntime(String),
}

/// A connection waiting in the pool, with the instant it was put back.
struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Sends notifications as email through one SMTP relay.
pub struct EmailChannel {
    cfg: SmtpConfig,
    relay: String,
    /// `Some` for STARTTLS and implicit TLS.
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    pool_size: usize,
    /// Connections not in use, most recently used last. A send owns its connection until it
    /// finishes, so a send cancelled by the deadline drops its connection instead of
    /// returning it half-way through a command.
    idle: Mutex<Vec<Idle>>,
    in_flight: tokio::sync::Semaphore,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("cfg", &self.cfg)
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

/// What can go wrong in one transaction: lettre's protocol errors, or our own connect.
enum Failed {
    Smtp(lettre::transport::smtp::Error),
    Connect(std::io::Error),
}

impl From<lettre::transport::smtp::Error> for Failed {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Failed::Smtp(e)
    }
}

impl From<stream::ConnectError> for Failed {
    fn from(e: stream::ConnectError) -> Self {
        match e {
            stream::ConnectError::Io(e) => Failed::Connect(e),
            stream::ConnectError::Smtp(e) => Failed::Smtp(e),
        }
    }
}

impl EmailChannel {
    /// As [`EmailChannel::with_pool_size`] with [`DEFAULT_POOL_SIZE`].
    ///
    /// # Errors
    ///
    /// As [`EmailChannel::with_pool_size`].
    pub fn new(cfg: SmtpConfig) -> Result<EmailChannel, EmailConfigError> {
        EmailChannel::with_pool_size(cfg, DEFAULT_POOL_SIZE)
    }

    /// Validates `cfg`, reads the extra root CA (if any) and prepares a pool of up to
    /// `pool_size` connections (at least 1), which is also the number of sends in flight.
    ///
    /// No connection is made here; the first send connects.
    ///
    /// # Errors
    ///
    /// [`EmailConfigError`] for invalid settings, an unreadable CA file, bad TLS parameters, or
    /// when called outside a tokio runtime.
    pub fn with_pool_size(
        cfg: SmtpConfig,
        pool_size: usize,
    ) -> Result<EmailChannel, EmailConfigError> {
        cfg.validate().map_err(EmailConfigError::Invalid)?;
        // Not needed to build anything any more, but sends need tokio, and a channel built
        // outside a runtime is a caller's mistake worth catching at start-up.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(EmailConfigError::NoRuntime(cfg.id.clone()));
        };
        let tls = match cfg.tls {
            SmtpTls::None => None,
            SmtpTls::StartTls | SmtpTls::Implicit => Some(tls_parameters(&cfg)?),
        };
        let credentials = match (&cfg.username, &cfg.password) {
            (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
            _ => None,
        };
        let pool_size = pool_size.max(1);
        Ok(EmailChannel {
            relay: format!("{}:{}", cfg.host, cfg.port),
            tls,
            credentials,
            hello: ClientId::default(),
            pool_size,
            idle: Mutex::new(Vec::with_capacity(pool_size)),
            in_flight: tokio::sync::Semaphore::new(pool_size),
            runtime,
            cfg,
        })
    }

    /// The sender used for every message.
    pub fn from(&self) -> &Mailbox {
        &self.cfg.from
    }

    /// The email this channel would send for `n` (same bytes as on the wire, minus dot-stuffing).
    ///
    /// # Errors
    ///
    /// As [`build_message`].
    pub fn render(&self, n: &Notification) -> Result<Vec<u8>, SendError> {
        render_rfc5322(n, &self.cfg.from, message::host_of(&self.cfg.from))
    }

    async fn send_one(&self, n: &Notification) -> Result<Receipt, SendError> {
        let msg = build_message(n, &self.cfg.from, message::host_of(&self.cfg.from))?;
        let envelope = msg.envelope().clone();
        let body = msg.formatted();
        let ctx = classify::ErrorContext {
            relay: &self.relay,
            tls: self.cfg.tls,
            secret: self.cfg.password.as_deref(),
        };
        // Never closed, so acquire cannot fail; waiting here is the intended back-pressure.
        let _permit = self.in_flight.acquire().await.map_err(|_| {
            SendError::transient(format!("smtp channel {:?} is shutting down", self.cfg.id))
        })?;
        // A relay that stops answering would hang this send (and a worker) forever, so the whole
        // send has a deadline. On expiry the future, and with it the connection, is dropped: a
        // connection left mid-command never goes back to the pool.
        let Ok(sent) =
            tokio::time::timeout(self.cfg.timeout, self.transact(&envelope, &body)).await
        else {
            return Err(SendError::transient(format!(
                "no answer from SMTP relay {} within {:?}; delivery unknown (a retry reuses the \
                 Message-ID)",
                self.relay, self.cfg.timeout
            )));
        };
        match sent {
            Ok(resp) => {
                let text: Vec<&str> = resp.message().collect();
                let detail = format!("{} {}", resp.code(), text.join(" "));
                Ok(Receipt {
                    detail: classify::redact(detail.trim_end(), ctx.secret),
                })
            }
            Err(Failed::Smtp(e)) => {
                let rcpts: Vec<&str> = n
                    .recipients
                    .to
                    .iter()
                    .chain(&n.recipients.cc)
                    .map(|m| m.email.as_str())
                    .collect();
                Err(classify::classify(&e, ctx, &rcpts))
            }
            Err(Failed::Connect(e)) => Err(classify::classify_io(&e, ctx)),
        }
    }

    /// One SMTP transaction on a pooled or new connection.
    async fn transact(&self, envelope: &Envelope, body: &[u8]) -> Result<Response, Failed> {
        let mut conn = match self.checkout().await {
            Some(c) => c,
            None => self.connect().await?,
        };
        let resp = conn.send(envelope, body).await;
        // lettre marks a connection broken (and sends QUIT) on every protocol error; a healthy
        // one goes back, also after a refused message (e.g. an early client-side check).
        if !conn.has_broken() {
            self.checkin(conn);
        }
        Ok(resp?)
    }

    /// The most recently used idle connection that is still good, if any.
    async fn checkout(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let Idle { mut conn, since } = self.pool().pop()?;
            let idle_for = since.elapsed();
            if idle_for > IDLE_MAX {
                conn.abort().await;
            } else if idle_for <= PROBE_AFTER || conn.test_connected().await {
                return Some(conn);
            } else {
                conn.abort().await;
            }
        }
    }

    fn checkin(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.pool();
        if idle.len() < self.pool_size {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new session: TCP with `TCP_NODELAY`, TLS (from the first byte, or the REQUIRED
    /// `STARTTLS` after `EHLO`), and only then `AUTH`: credentials never travel in clear text
    /// unless the config allowed plain SMTP to a loopback relay.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Failed> {
        let implicit = match self.cfg.tls {
            SmtpTls::Implicit => self.tls.as_ref(),
            SmtpTls::StartTls | SmtpTls::None => None,
        };
        let stream = stream::connect(&self.cfg.host, self.cfg.port, implicit).await?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
        if self.cfg.tls == SmtpTls::StartTls {
            let params = self.tls.clone().ok_or_else(|| {
                Failed::Connect(std::io::Error::other("STARTTLS without TLS parameters"))
            })?;
            // Refuses (client error "STARTTLS is not supported") when the relay does not offer
            // it: never a fallback to plain text. On failure the connection is only dropped: after
            // a failed handshake lettre has no stream left to send QUIT on (it would panic).
            conn.starttls(params, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }
}

impl Drop for EmailChannel {
    fn drop(&mut self) {
        // Idle connections hold tokio sockets; drop them inside the runtime they were made in so
        // a CLI dropping the channel after `block_on` returned never trips over a missing
        // reactor. They close without QUIT (no await in `drop`); relays accept that.
        let _guard = self.runtime.enter();
        let idle = match self.idle.get_mut() {
            Ok(v) => std::mem::take(v),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        drop(idle);
    }
}

fn tls_parameters(cfg: &SmtpConfig) -> Result<TlsParameters, EmailConfigError> {
    let mut b = TlsParameters::builder(cfg.host.clone());
    if let Some(path) = &cfg.extra_root_ca {
        let ca_err = |reason: String| EmailConfigError::RootCa {
            id: cfg.id.clone(),
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| ca_err(e.to_string()))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| EmailConfigError::Tls {
        id: cfg.id.clone(),
        host: cfg.host.clone(),
        reason: e.to_string(),
    })
}

impl Channel for EmailChannel {
    fn id(&self) -> &str {
        &self.cfg.id
    }

    fn concurrency(&self) -> usize {
        self.pool_size
    }

    fn send<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_one(n))
    }
}
