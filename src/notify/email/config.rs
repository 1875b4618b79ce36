//! SMTP relay settings for the email channel and the rules that keep them safe.
//!
//! Pure data and checks: no network, no files (the extra CA file is only named here; the channel
//! reads it when it is built). The catalog fills an [`SmtpConfig`] after resolving secrets and calls
//! [`SmtpConfig::validate`], so an unsafe relay is refused at start-up, not at the first send.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::notify::Mailbox;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmtpTls {
    /// TLS from the first byte (SMTPS, usually port 465). Certificates are verified.
    Implicit,
    /// Plain connect, then a REQUIRED `STARTTLS` (usually port 587). A server that does not offer
    /// it is refused before any credentials are sent. Certificates are verified.
    StartTls,
    /// No encryption at all. Only for a loopback relay with `allow_plain_loopback: true`.
    None,
}

/// One SMTP relay as the email channel needs it. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Channel id from the config, e.g. `smtp`.
    pub id: String,
    /// Relay host name or IP address; also the name the certificate must carry.
    pub host: String,
    /// Relay port (465 for [`SmtpTls::Implicit`], 587 for [`SmtpTls::StartTls`] as a rule).
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// Login name; `None` sends without `AUTH`.
    pub username: Option<String>,
    /// Login password (a resolved secret). Required with `username`.
    pub password: Option<String>,
    /// Sender, with display name (e.g. 督办提醒 `<duban@example.org>`).
    pub from: Mailbox,
    /// Extra trusted root certificate(s), PEM file: for a private relay or tests.
    pub extra_root_ca: Option<PathBuf>,
    /// Must be `true` (and the host a loopback address) for [`SmtpTls::None`].
    pub allow_plain_loopback: bool,
    /// Deadline for one whole send (connect, TLS, AUTH, the transaction); also the TCP connect
    /// timeout. A relay that stops answering fails the send as transient after this.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("id", &self.id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("extra_root_ca", &self.extra_root_ca)
            .field("allow_plain_loopback", &self.allow_plain_loopback)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmtpConfig {
    /// Checks the settings; every problem is reported, joined by `; `.
    ///
    /// # Errors
    ///
    /// A readable description (naming the channel id, never the password) when the host or port
    /// is empty, the sender address is invalid, credentials are half given, the timeout is zero,
    /// or plain SMTP is asked for a host that is not loopback or without `allow_plain_loopback`.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.host.trim().is_empty() {
            problems.push("host is empty".to_owned());
        }
        if self.port == 0 {
            problems.push("port must not be 0".to_owned());
        }
        if self.from.email.parse::<lettre::Address>().is_err() {
            problems.push(format!(
                "from address {:?} is not a valid email address",
                self.from.email
            ));
        }
        match (&self.username, &self.password) {
            (Some(_), None) => problems.push("username is set but password is missing".to_owned()),
            (None, Some(_)) => problems.push("password is set but username is missing".to_owned()),
            _ => {}
        }
        if self.timeout.is_zero() {
            problems.push("timeout must be greater than zero".to_owned());
        }
        if self.tls == SmtpTls::None {
            if !is_loopback_host(&self.host) {
                problems.push(format!(
                    "plain SMTP (tls: none) is refused for non-loopback host {:?}: use tls: implicit \
                     (port 465) or tls: starttls (port 587)",
                    self.host
                ));
            } else if !self.allow_plain_loopback {
                problems.push(format!(
                    "plain SMTP (tls: none) to loopback host {:?} must be enabled explicitly with \
                     allow_plain_loopback: true",
                    self.host
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "smtp channel {:?}: {}",
                self.id,
                problems.join("; ")
            ))
        }
    }
}

pub use crate::catalog::parse::is_loopback_host;

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(host: &str, tls: SmtpTls, allow: bool) -> SmtpConfig {
        SmtpConfig {
            id: "smtp".into(),
            host: host.into(),
            port: 25,
            tls,
            username: Some("duban".into()),
            password: Some("s3cret-pw".into()),
            from: Mailbox {
                name: Some("督办提醒".into()),
                email: "duban@example.org".into(),
            },
            extra_root_ca: None,
            allow_plain_loopback: allow,
            timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "smtp.example.org",
            "10.0.0.1",
            "128.0.0.1",
            "localhost.example.org",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn plain_needs_loopback_and_explicit_opt_in() {
        assert!(cfg("127.0.0.1", SmtpTls::None, true).validate().is_ok());
        let e = cfg("127.0.0.1", SmtpTls::None, false)
            .validate()
            .unwrap_err();
        assert!(e.contains("allow_plain_loopback"), "{e}");
        let e = cfg("smtp.example.org", SmtpTls::None, true)
            .validate()
            .unwrap_err();
        assert!(
            e.contains("refused") && e.contains("smtp.example.org"),
            "{e}"
        );
        assert!(!e.contains("s3cret-pw"));
        assert!(
            cfg("smtp.example.org", SmtpTls::StartTls, false)
                .validate()
                .is_ok()
        );
        assert!(
            cfg("smtp.example.org", SmtpTls::Implicit, false)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn collects_every_problem() {
        let mut c = cfg("", SmtpTls::Implicit, false);
        c.port = 0;
        c.password = None;
        c.from.email = "not an address".into();
        c.timeout = Duration::ZERO;
        let e = c.validate().unwrap_err();
        for part in [
            "host is empty",
            "port",
            "password is missing",
            "not a valid",
            "timeout",
        ] {
            assert!(e.contains(part), "{part} missing in {e}");
        }
    }

    #[test]
    fn debug_redacts_password() {
        let d = format!("{:?}", cfg("smtp.example.org", SmtpTls::Implicit, false));
        assert!(!d.contains("s3cret-pw"), "{d}");
        assert!(d.contains("<redacted>"));
    }
}
