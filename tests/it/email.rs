//! The email channel against a real SMTP server (aiosmtpd on 127.0.0.1, see
//! `tests/support/smtp_server.py`): encoding, ids, threading, TLS rules, reply classification.

use std::path::PathBuf;
use std::time::Duration;

use dutybell::notify::email::{
    EmailChannel, EmailConfigError, SmtpConfig, SmtpTls, message_id, thread_root_id,
};
use dutybell::notify::{
    Channel, Colour, Mailbox, MessageKind, Notification, Recipients, SendError,
};
use mailparse::MailHeaderMap;

#[path = "../support/smtp_harness.rs"]
mod smtp_harness;

use smtp_harness::{ServerOptions, SmtpServer, make_test_pki};

const PASSWORD: &str = "Pw-7fQ2-very-secret";
const SUBJECT: &str = "【督办】食品安全专项整治：还有3天到期（蓝→黄）";
const TEXT: &str = "食品室：\n请于2026年12月1日前报送“校园食品安全”工作进展。\n督办提醒";

fn mbox(name: Option<&str>, email: &str) -> Mailbox {
    Mailbox {
        name: name.map(str::to_owned),
        email: email.to_owned(),
    }
}

fn note(id: &str, to: &[&str]) -> Notification {
    Notification {
        id: id.to_owned(),
        thread: "task-07|2026-12-01".to_owned(),
        kind: MessageKind::Lead,
        colour: Colour::Yellow,
        subject: SUBJECT.to_owned(),
        text: TEXT.to_owned(),
        html: Some(format!("<p>{}</p>", TEXT.replace('\n', "<br>"))),
        markdown: String::new(),
        recipients: Recipients {
            to: to.iter().map(|e| mbox(Some("食品室"), e)).collect(),
            cc: vec![mbox(Some("分管领导"), "leader@example.org")],
            mobiles: vec![],
        },
        data: serde_json::Value::Null,
        attempt_at: 1_795_000_000,
    }
}

fn config(host: &str, port: u16, tls: SmtpTls) -> SmtpConfig {
    SmtpConfig {
        id: "smtp".to_owned(),
        host: host.to_owned(),
        port,
        tls,
        username: Some("duban".to_owned()),
        password: Some(PASSWORD.to_owned()),
        from: mbox(Some("督办提醒"), "duban@scjgj.example.org"),
        extra_root_ca: None,
        allow_plain_loopback: tls == SmtpTls::None,
        timeout: Duration::from_secs(10),
    }
}

fn plain_server() -> SmtpServer {
    SmtpServer::start(&ServerOptions {
        login: Some(("duban".to_owned(), PASSWORD.to_owned())),
        ..ServerOptions::default()
    })
}

fn assert_no_secret(e: &SendError) {
    let s = format!("{e} {e:?}");
    assert!(!s.contains(PASSWORD), "password leaked: {s}");
}

#[tokio::test]
async fn chinese_multipart_with_stable_ids_and_threading() {
    let server = plain_server();
    let ch = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::None)).unwrap();
    let n = note("task-07/2026-12-01/lead-3/food/smtp", &["food@example.org"]);
    let receipt = ch.send(&n).await.expect("first send");
    assert!(receipt.detail.starts_with("250"), "{receipt:?}");
    ch.send(&n).await.expect("retry of the same reminder");

    let msgs = server.messages();
    assert_eq!(msgs.len(), 2);
    let expected_id = message_id(&n.id, "scjgj.example.org");
    let root = thread_root_id(&n.thread, "scjgj.example.org");
    for raw in &msgs {
        let m = mailparse::parse_mail(raw).unwrap();
        let h = &m.headers;
        assert_eq!(h.get_first_value("Subject").unwrap(), SUBJECT);
        let from = &mailparse::addrparse_header(h.get_first_header("From").unwrap()).unwrap()[0];
        match from {
            mailparse::MailAddr::Single(s) => {
                assert_eq!(s.display_name.as_deref(), Some("督办提醒"));
                assert_eq!(s.addr, "duban@scjgj.example.org");
            }
            other => panic!("unexpected From {other:?}"),
        }
        assert_eq!(h.get_first_value("Message-ID").unwrap(), expected_id);
        assert_eq!(h.get_first_value("In-Reply-To").unwrap(), root);
        assert_eq!(h.get_first_value("References").unwrap(), root);
        assert_eq!(
            h.get_first_value("Auto-Submitted").unwrap(),
            "auto-generated"
        );
        assert_eq!(
            h.get_first_value("X-Auto-Response-Suppress").unwrap(),
            "All"
        );
        assert_eq!(
            mailparse::dateparse(&h.get_first_value("Date").unwrap()).unwrap(),
            n.attempt_at
        );
        assert_eq!(m.ctype.mimetype, "multipart/alternative");
        let kinds: Vec<&str> = m
            .subparts
            .iter()
            .map(|p| p.ctype.mimetype.as_str())
            .collect();
        assert_eq!(kinds, ["text/plain", "text/html"]);
        for p in &m.subparts {
            assert_eq!(p.ctype.charset, "utf-8");
        }
        assert_eq!(
            m.subparts[0]
                .get_body()
                .unwrap()
                .replace("\r\n", "\n")
                .trim_end(),
            TEXT
        );
        assert!(
            m.subparts[1]
                .get_body()
                .unwrap()
                .contains("请于2026年12月1日前报送“校园食品安全”")
        );
    }
    // On the wire lettre ends the data with CRLF before the final dot; the server keeps that CRLF.
    let rendered = ch.render(&n).unwrap();
    assert!(
        msgs[0] == [rendered.as_slice(), b"\r\n"].concat(),
        "render() differs from the wire"
    );

    let delivered = server.events_of("message");
    assert_eq!(
        delivered[0]["rcpt_tos"],
        serde_json::json!(["food@example.org", "leader@example.org"])
    );
    assert!(
        server
            .events_of("auth")
            .iter()
            .all(|a| a["ok"] == true && a["login"] == "duban")
    );
}

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
        login: Some(("duban".to_owned(), PASSWORD.to_owned())),
    });

    // Without the private CA the certificate is not trusted: a permanent config error, no AUTH.
    let untrusted = EmailChannel::new(config("127.0.0.1", server.port, SmtpTls::StartTls)).unwrap();
    let err = untrusted
        .send(&note("r-tls", &["food@example.org"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SendError::Permanent { .. }) && err.to_string().contains("config: TLS"),
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

#[test]
fn dropping_the_channel_outside_the_runtime_does_not_panic() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ch = rt
        .block_on(async { EmailChannel::new(config("127.0.0.1", 25, SmtpTls::None)) })
        .unwrap();
    assert!(matches!(
        EmailChannel::new(config("127.0.0.1", 25, SmtpTls::None)),
        Err(EmailConfigError::NoRuntime(_))
    ));
    drop(ch);
}
