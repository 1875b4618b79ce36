//! TLS rules: required STARTTLS, certificate verification with a private CA, implicit TLS, and
//! the refusal of plain SMTP to anything but an explicitly allowed loopback relay.

use std::path::PathBuf;

use dutybell::notify::email::{EmailChannel, EmailConfigError, SmtpTls};
use dutybell::notify::{Channel, SendError};

use super::{PASSWORD, assert_no_secret, config, note, plain_server};
use crate::smtp_harness::{ServerOptions, SmtpServer, make_test_pki};

#[tokio::test]
async fn required_starttls_without_offer_is_permanent_and_sends_no_credentials() {
    let server = plain_server();
    let ch = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::StartTls)).unwrap();
    let err = ch
        .send(&note("r-starttls", &["food@example.org"]))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err}");
    assert!(err.to_string().contains("does not offer STARTTLS"), "{err}");
    assert_no_secret(&err);
    assert!(
        server.events_of("auth").is_empty(),
        "credentials were offered: {:?}",
        server.events()
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_with_private_ca_verifies_and_authenticates() {
    let pki = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_test_pki(pki.path());
    let server = SmtpServer::start(&ServerOptions {
        tls: Some((cert, key)),
        implicit_tls: false,
        login: Some(("duban".to_owned(), PASSWORD.to_owned())),
    });

    // Without the private CA the certificate is not trusted: a permanent config error, no AUTH.
    let untrusted = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::StartTls)).unwrap();
    let err = untrusted
        .send(&note("r-tls", &["food@example.org"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent { .. })
            && err.to_string().contains("certificate was refused"),
        "{err}"
    );
    assert_no_secret(&err);
    assert!(server.events_of("auth").is_empty());

    let mut cfg = config("127.0.0.1", server.port, SmtpTls::StartTls);
    cfg.extra_root_ca = Some(ca);
    let ch = EmailChannel::new(cfg).unwrap();
    ch.send(&note("r-tls", &["food@example.org"]))
        .await
        .expect("send over STARTTLS");
    let delivered = server.events_of("message");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["tls"], true);
    let auths = server.events_of("auth");
    assert!(
        !auths.is_empty() && auths.iter().all(|a| a["ok"] == true),
        "{auths:?}"
    );
}

#[tokio::test]
async fn plain_smtp_to_a_remote_host_is_refused() {
    let mut cfg = config("smtp.example.org", 25, SmtpTls::None);
    cfg.allow_plain_loopback = true;
    let e = cfg.validate().unwrap_err();
    assert!(e.contains("refused") && !e.contains(PASSWORD), "{e}");
    match EmailChannel::new(cfg) {
        Err(EmailConfigError::Invalid(m)) => assert_eq!(m, e),
        other => panic!("expected a config error, got {other:?}"),
    }
    let mut cfg = config("127.0.0.1", 25, SmtpTls::None);
    cfg.allow_plain_loopback = false;
    assert!(cfg.validate().unwrap_err().contains("allow_plain_loopback"));
    let mut cfg = config("127.0.0.1", 465, SmtpTls::Implicit);
    cfg.extra_root_ca = Some(PathBuf::from("/nonexistent/ca.pem"));
    let e = EmailChannel::new(cfg).unwrap_err();
    assert!(matches!(e, EmailConfigError::RootCa { .. }), "{e}");
}

#[tokio::test]
async fn implicit_tls_with_private_ca() {
    let pki = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_test_pki(pki.path());
    let server = SmtpServer::start(&ServerOptions {
        tls: Some((cert, key)),
        implicit_tls: true,
        login: Some(("duban".to_owned(), PASSWORD.to_owned())),
    });
    let mut cfg = config("127.0.0.1", server.port, SmtpTls::Implicit);
    cfg.extra_root_ca = Some(ca);
    let ch = EmailChannel::new(cfg).unwrap();
    ch.send(&note("r-smtps", &["food@example.org"]))
        .await
        .expect("send over SMTPS");
    let delivered = server.events_of("message");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["tls"], true);

    // Implicit TLS against a plain server: the handshake fails; never plaintext, no AUTH.
    let plain = plain_server();
    let ch = EmailChannel::new(config("127.0.0.1", plain.port, SmtpTls::Implicit)).unwrap();
    let err = ch
        .send(&note("r-smtps-plain", &["food@example.org"]))
        .await
        .unwrap_err();
    assert_no_secret(&err);
    assert!(
        plain.events_of("auth").is_empty() && plain.messages().is_empty(),
        "{err}"
    );
}
