//! SMTP replies and transport failures against aiosmtpd, classified as transient or permanent.

use std::time::Duration;

use dutybell::notify::email::{EmailChannel, SmtpTls};
use dutybell::notify::{Channel, SendError};

use super::{assert_no_secret, config, note, plain_server};
use crate::smtp_harness::{ServerOptions, SmtpServer};

#[tokio::test]
async fn smtp_replies_are_classified() {
    let server = plain_server();
    let ch = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::None)).unwrap();

    let err = ch
        .send(&note("r-451", &["tempfail@example.org"]))
        .await
        .unwrap_err();
    assert!(
        err.is_transient() && err.to_string().contains("451"),
        "{err}"
    );
    assert_no_secret(&err);

    let err = ch
        .send(&note("r-550", &["ok@example.org", "reject@example.org"]))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err}");
    assert!(err.to_string().contains("550"), "{err}");
    assert!(
        err.to_string()
            .contains("rejected recipient: reject@example.org"),
        "{err}"
    );
    assert_no_secret(&err);

    // Connection cut after DATA, before the final reply: delivery unknown, so transient.
    let err = ch
        .send(&note("r-drop", &["dropdata@example.org"]))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_no_secret(&err);

    // The pool recovers from the dropped connection.
    ch.send(&note("r-after", &["food@example.org"]))
        .await
        .expect("send after a drop");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn wrong_password_is_permanent_and_not_echoed() {
    let server = SmtpServer::start(&ServerOptions {
        login: Some(("duban".to_owned(), "the-right-one".to_owned())),
        ..ServerOptions::default()
    });
    let ch = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::None)).unwrap();
    let err = ch
        .send(&note("r-auth", &["food@example.org"]))
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err}");
    assert!(err.to_string().contains("username and password"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn nothing_listening_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ch = EmailChannel::new(config("127.0.0.1", port, SmtpTls::None)).unwrap();
    let err = ch
        .send(&note("r-refused", &["food@example.org"]))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_no_secret(&err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_keeps_at_most_the_pool_size_in_flight() {
    let server = plain_server();
    let ch = std::sync::Arc::new(
        EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::None)).unwrap(),
    );
    let mut set = tokio::task::JoinSet::new();
    for i in 0..16 {
        let ch = std::sync::Arc::clone(&ch);
        set.spawn(async move {
            ch.send(&note(&format!("burst-{i}"), &["food@example.org"]))
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().expect("burst send");
    }
    assert_eq!(server.messages().len(), 16);
    // lettre's pool caps only idle connections; the channel's semaphore caps transactions.
    let max = server
        .events_of("message")
        .iter()
        .map(|e| e["in_flight"].as_u64().unwrap())
        .max();
    assert!(
        max.is_some_and(|m| m >= 1 && m as usize <= ch.concurrency()),
        "max in flight {max:?}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_as_transient() {
    // Accepts the connection but never greets: the channel's own deadline must fire (lettre's
    // tokio transport bounds only the TCP connect).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let hold = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let _ = held.await;
        drop(sock);
    });
    let mut cfg = config("127.0.0.1", port, SmtpTls::None);
    cfg.timeout = Duration::from_millis(300);
    let ch = EmailChannel::new(cfg).unwrap();
    let n = note("r-silent", &["food@example.org"]);
    let send = ch.send(&n);
    let err = tokio::time::timeout(Duration::from_secs(10), send)
        .await
        .expect("the channel must enforce its own deadline")
        .unwrap_err();
    assert!(
        err.is_transient() && err.to_string().contains("no answer"),
        "{err}"
    );
    assert_no_secret(&err);
    let _ = release.send(());
    hold.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_reuses_connections_and_its_size_caps_the_burst() {
    let server = plain_server();
    let cfg = config("127.0.0.1", server.port, SmtpTls::None);
    let ch = std::sync::Arc::new(EmailChannel::with_pool_size(cfg, 2).unwrap());
    assert_eq!(ch.concurrency(), 2);
    for i in 0..3 {
        ch.send(&note(&format!("seq-{i}"), &["food@example.org"]))
            .await
            .expect("sequential send");
    }
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let ch = std::sync::Arc::clone(&ch);
        set.spawn(async move {
            ch.send(&note(&format!("pool-{i}"), &["food@example.org"]))
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().expect("burst send");
    }
    let events = server.events_of("message");
    assert_eq!(events.len(), 11);
    // Back-to-back sends share one session (same client port); the burst opens at most one more.
    let peers: std::collections::BTreeSet<String> =
        events.iter().map(|e| e["peer"].to_string()).collect();
    assert_eq!(events[0]["peer"], events[2]["peer"], "{events:?}");
    assert!(peers.len() <= 2, "{peers:?}");
    assert!(
        events.iter().all(|e| e["in_flight"].as_u64().unwrap() <= 2),
        "{events:?}"
    );
}
