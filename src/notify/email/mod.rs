//! The email channel: one pooled lettre SMTP transport per relay (tokio + rustls).
//!
//! May touch: the network (the relay) and, once at construction, the extra root CA file named in
//! the config. Must not touch: SQL, the clock (the `Date` header comes from
//! [`Notification::attempt_at`]), retry decisions (failures are only classified, in the private
//! `classify` module). Message building is pure and lives in [`message`].

use std::sync::{Arc, Mutex, PoisonError};

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Channel, Mailbox, Notification, Receipt, SendError, SendFuture};

mod classify;
pub mod config;
pub mod message;

pub use config::{SmtpConfig, SmtpTls, is_loopback_host};
pub use message::{build_message, message_id, render_rfc5322, thread_root_id};

/// Connections kept open to one relay, and sends in flight on this channel. lettre's pool only
/// caps *idle* connections, so the channel enforces the in-flight limit itself (a semaphore):
/// a burst never runs more than this many SMTP transactions against the relay at once.
/// Throughput note: lettre 0.11.23 sends the final `.` in its own write without `TCP_NODELAY`,
/// so each message waits for the peer's delayed ACK (~40 ms on Linux): about 20 messages/s per
/// connection, ~70/s with 4 (benches/smtp.rs). Ample for a bureau's reminders; fixed upstream by
/// lettre PR #1159 (merged, not yet released).
const POOL_SIZE: u32 = 4;

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
    /// The pooled transport spawns a tokio task, so it must be built inside a runtime.
    #[error("smtp channel {0:?}: must be built inside a tokio runtime")]
    NoRuntime(String),
}

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Sends notifications as email through one SMTP relay.
pub struct EmailChannel {
    cfg: SmtpConfig,
    relay: String,
    /// Kept to build a fresh pool after a send times out (see `send_one`).
    builder: AsyncSmtpTransportBuilder,
    /// The live pooled transport; `None` only while dropping.
    transport: Mutex<Option<Arc<Transport>>>,
    in_flight: tokio::sync::Semaphore,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl EmailChannel {
    /// Validates `cfg`, reads the extra root CA (if any) and builds the pooled transport.
    ///
    /// No connection is made here; the first send connects.
    ///
    /// # Errors
    ///
    /// [`EmailConfigError`] for invalid settings, an unreadable CA file, bad TLS parameters, or
    /// when called outside a tokio runtime.
    pub fn new(cfg: SmtpConfig) -> Result<EmailChannel, EmailConfigError> {
        cfg.validate().map_err(EmailConfigError::Invalid)?;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(EmailConfigError::NoRuntime(cfg.id.clone()));
        };
        let tls = match cfg.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters(&cfg)?),
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters(&cfg)?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.as_str())
                .port(cfg.port)
                .tls(tls)
                .timeout(Some(cfg.timeout))
                .pool_config(PoolConfig::new().max_size(POOL_SIZE));
        if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(EmailChannel {
            relay: format!("{}:{}", cfg.host, cfg.port),
            transport: Mutex::new(Some(Arc::new(builder.clone().build()))),
            builder,
            runtime,
            in_flight: tokio::sync::Semaphore::new(POOL_SIZE as usize),
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
        let ctx = classify::ErrorContext {
            relay: &self.relay,
            tls: self.cfg.tls,
            secret: self.cfg.password.as_deref(),
        };
        // Never closed, so acquire cannot fail; waiting here is the intended back-pressure.
        let _permit = self.in_flight.acquire().await.map_err(|_| {
            SendError::transient(format!("smtp channel {:?} is shutting down", self.cfg.id))
        })?;
        let Some(transport) = self.slot().clone() else {
            return Err(SendError::transient("smtp channel is being dropped"));
        };
        // lettre's tokio transport bounds only the TCP connect; a relay that stops answering
        // would hang this send (and a worker) forever, so the whole send has a deadline.
        let Ok(sent) = tokio::time::timeout(self.cfg.timeout, transport.send(msg)).await else {
            self.replace_after_timeout(&transport);
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
            Err(e) => {
                let rcpts: Vec<&str> = n
                    .recipients
                    .to
                    .iter()
                    .chain(&n.recipients.cc)
                    .map(|m| m.email.as_str())
                    .collect();
                Err(classify::classify(&e, ctx, &rcpts))
            }
        }
    }
}

impl EmailChannel {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Transport>>> {
        self.transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A send cancelled by the deadline leaves its connection mid-command, yet lettre would
    /// recycle it into the pool (it only discards connections that saw an error) and the next
    /// send could read a stale reply. So the whole pool is swapped for a fresh one; the old one
    /// closes its connections when the last in-flight send lets go of it.
    fn replace_after_timeout(&self, used: &Arc<Transport>) {
        let mut slot = self.slot();
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, used)) {
            *slot = Some(Arc::new(self.builder.clone().build()));
        }
    }
}

impl Drop for EmailChannel {
    fn drop(&mut self) {
        // lettre's pool spawns its clean-up when dropped, which panics outside a runtime (e.g. a
        // CLI dropping the channel after `block_on` returned): drop it in the runtime it was built in.
        let _guard = self.runtime.enter();
        let transport = match self.transport.get_mut() {
            Ok(t) => t.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        drop(transport);
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
        POOL_SIZE as usize
    }

    fn send<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_one(n))
    }
}
