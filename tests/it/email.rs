//! The email channel against a real SMTP server (aiosmtpd on 127.0.0.1, see
//! `tests/support/smtp_server.py`): encoding, ids, threading, TLS rules, reply classification.

use std::time::Duration;

use dutybell::notify::email::{
    EmailChannel, EmailConfigError, SmtpConfig, SmtpTls, message_id, thread_root_id,
};
use dutybell::notify::{
    Channel, Colour, Mailbox, MessageKind, Notification, Recipients, SendError,
};
use mailparse::MailHeaderMap;

mod replies;
mod tls;

use crate::smtp_harness::{ServerOptions, SmtpServer};

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
            reply_to: None,
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
