//! Turns a lettre SMTP error into a [`SendError`] the retry policy can act on.
//!
//! Pure apart from inspecting the error value. 4xx replies, timeouts and dropped connections are
//! transient (a drop after `DATA` is ambiguous: the retry reuses the same `Message-ID`, so the
//! receiver can recognise a duplicate); 5xx replies, TLS trouble and a missing required
//! `STARTTLS` are permanent. Every text passes [`redact`], so a password never leaks.

use std::error::Error as _;

use lettre::transport::smtp::Error as SmtpError;

use super::config::SmtpTls;
use crate::notify::SendError;

/// What we need to know about the relay to explain a failure.
#[derive(Clone, Copy)]
pub(crate) struct ErrorContext<'a> {
    /// `host:port`.
    pub relay: &'a str,
    /// Transport security in use.
    pub tls: SmtpTls,
    /// The password, only to scrub it from texts.
    pub secret: Option<&'a str>,
}

/// The shape of a lettre error, separated so the mapping is testable without a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 4xx reply with its code.
    Transient(u16),
    /// 5xx reply with its code.
    Permanent(u16),
    /// The relay's certificate was refused (untrusted issuer, wrong name, expired).
    Certificate,
    /// Any other TLS setup or handshake failure (e.g. a plain port used with implicit TLS).
    Tls,
    /// The client refused to go on (e.g. `STARTTLS` required but not offered).
    Client,
    /// Timeout on connect or on a command.
    Timeout,
    /// Connection refused, reset or dropped; unparsable reply.
    Connection,
}

/// Sorts a lettre error into a [`Failure`].
pub(crate) fn failure_of(err: &SmtpError) -> Failure {
    let code = || {
        err.status()
            .map_or(0, |c| c.to_string().parse().unwrap_or(0))
    };
    if err.is_permanent() {
        Failure::Permanent(code())
    } else if err.is_transient() {
        Failure::Transient(code())
    } else if let Some(tls) = rustls_error(err) {
        if matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        ) {
            Failure::Certificate
        } else {
            Failure::Tls
        }
    } else if err.is_tls() {
        Failure::Tls
    } else if err.is_client() {
        Failure::Client
    } else if err.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Connection
    }
}

/// A rustls handshake error arrives wrapped in an `io::Error` inside a "connection" error.
fn rustls_error(err: &SmtpError) -> Option<&rustls::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        source = e.source();
    }
    None
}

/// Classifies a lettre error for the relay in `ctx`; `recipients` are named when the reply
/// mentions them (lettre stops at the first refused `RCPT` and keeps the server's text).
pub(crate) fn classify(err: &SmtpError, ctx: ErrorContext<'_>, recipients: &[&str]) -> SendError {
    classify_parts(failure_of(err), &err.to_string(), ctx, recipients)
}

/// Classifies a failure of our own TCP connect (before lettre takes over): always transient,
/// a timeout when the OS says so.
pub(crate) fn classify_io(err: &std::io::Error, ctx: ErrorContext<'_>) -> SendError {
    let failure = if err.kind() == std::io::ErrorKind::TimedOut {
        Failure::Timeout
    } else {
        Failure::Connection
    };
    classify_parts(failure, &format!("connection error: {err}"), ctx, &[])
}

/// The mapping itself: `detail` is lettre's text for the error.
pub(crate) fn classify_parts(
    failure: Failure,
    detail: &str,
    ctx: ErrorContext<'_>,
    recipients: &[&str],
) -> SendError {
    let relay = ctx.relay;
    let clean = |s: String| redact(&s, ctx.secret);
    match failure {
        Failure::Transient(code) => SendError::transient(clean(format!(
            "SMTP relay {relay} answered {code} (temporary): {detail}"
        ))),
        Failure::Permanent(code) => {
            let mut m = format!("SMTP relay {relay} refused with {code}: {detail}");
            let lower = detail.to_lowercase();
            let named: Vec<&str> = recipients
                .iter()
                .copied()
                .filter(|r| lower.contains(&r.to_lowercase()))
                .collect();
            if !named.is_empty() {
                m.push_str(&format!("; rejected recipient: {}", named.join(", ")));
            }
            if matches!(code, 530 | 534 | 535 | 538) {
                m.push_str("; check the SMTP username and password");
            }
            SendError::permanent(clean(m))
        }
        Failure::Certificate => SendError::permanent(clean(format!(
            "config: TLS with SMTP relay {relay} failed: its certificate was refused (not \
             trusted or not valid for this host name; set extra_root_ca for a private CA): {detail}"
        ))),
        Failure::Tls => SendError::permanent(clean(format!(
            "config: TLS handshake with SMTP relay {relay} failed (does the port match the mode? \
             tls: implicit is usually port 465, tls: starttls port 587): {detail}"
        ))),
        Failure::Client if ctx.tls == SmtpTls::StartTls && detail.contains("STARTTLS") => {
            SendError::permanent(clean(format!(
                "config: SMTP relay {relay} does not offer STARTTLS, which tls: starttls requires; \
                 nothing was sent and no credentials were used"
            )))
        }
        Failure::Client => SendError::permanent(clean(format!(
            "SMTP client refused to continue with relay {relay}: {detail}"
        ))),
        Failure::Timeout => SendError::transient(clean(format!(
            "timed out talking to SMTP relay {relay}: {detail}"
        ))),
        Failure::Connection => SendError::transient(clean(format!(
            "connection to SMTP relay {relay} failed or dropped (delivery unknown if after DATA; \
             a retry reuses the Message-ID): {detail}"
        ))),
    }
}

/// Replaces every occurrence of `secret` with `***`.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "***"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: ErrorContext<'static> = ErrorContext {
        relay: "mx.example.org:587",
        tls: SmtpTls::StartTls,
        secret: Some("pw-9x"),
    };

    #[test]
    fn replies_by_class() {
        let e = classify_parts(Failure::Transient(451), "try later", CTX, &[]);
        assert!(e.is_transient() && e.to_string().contains("451"), "{e}");
        let e = classify_parts(
            Failure::Permanent(550),
            "permanent error (550): 5.1.1 <Reject@example.org>: no such user",
            CTX,
            &["ok@example.org", "reject@example.org"],
        );
        assert!(!e.is_transient());
        assert!(
            e.to_string()
                .ends_with("rejected recipient: reject@example.org"),
            "{e}"
        );
        let e = classify_parts(Failure::Permanent(535), "auth failed", CTX, &[]);
        assert!(e.to_string().contains("username and password"), "{e}");
    }

    #[test]
    fn transport_failures() {
        assert!(classify_parts(Failure::Timeout, "t", CTX, &[]).is_transient());
        assert!(classify_parts(Failure::Connection, "reset", CTX, &[]).is_transient());
        let e = classify_parts(Failure::Certificate, "invalid peer certificate", CTX, &[]);
        assert!(
            !e.is_transient() && e.to_string().contains("certificate was refused"),
            "{e}"
        );
        let e = classify_parts(Failure::Tls, "corrupt message", CTX, &[]);
        assert!(
            !e.is_transient() && e.to_string().contains("config: TLS"),
            "{e}"
        );
        let e = classify_parts(Failure::Client, "STARTTLS is not supported", CTX, &[]);
        assert!(
            !e.is_transient() && e.to_string().contains("does not offer STARTTLS"),
            "{e}"
        );
    }

    #[test]
    fn password_is_scrubbed() {
        let e = classify_parts(Failure::Connection, "echo pw-9x back", CTX, &[]);
        assert!(
            !e.to_string().contains("pw-9x") && e.to_string().contains("***"),
            "{e}"
        );
        assert_eq!(redact("abc", None), "abc");
        assert_eq!(redact("abc", Some("")), "abc");
    }
}
