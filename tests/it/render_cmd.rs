//! `dutybell render` with the real binary: the email is a complete RFC 5322 message a MIME parser
//! reads back, and webhook bodies are the vendors' JSON.

use std::process::Command;

use crate::helpers::{bin, repo};

fn render(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(bin())
        .args([
            "render",
            "--config",
            "config/dutybell.yaml",
            "--now",
            "2026-08-01T10:00:00+08:00",
        ])
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn email_render_is_a_complete_mime_message() {
    let (code, out, err) = render(&["--task", "4.2", "--stage", "lead", "--channel", "smtp"]);
    assert_eq!(code, 0, "{err}");
    let mail = mailparse::parse_mail(&out).unwrap();
    let subject = mail
        .headers
        .iter()
        .find(|h| h.get_key() == "Subject")
        .unwrap()
        .get_value();
    assert!(
        subject.contains("4.2") && subject.contains("秋季开学"),
        "{subject}"
    );
    assert_eq!(mail.subparts.len(), 2, "text and html");
    assert!(mail.subparts[0].get_body().unwrap().contains("餐饮室"));
    assert!(err.contains("4.2 lead-"), "{err}");
}

#[test]
fn webhook_renders_are_vendor_json() {
    for (kind, key) in [
        ("wecom", "msgtype"),
        ("dingtalk", "msgtype"),
        ("feishu", "msg_type"),
        ("generic", "type"),
    ] {
        let (code, out, err) = render(&["--task", "10.2", "--stage", "due", "--channel", kind]);
        assert_eq!(code, 0, "{kind}: {err}");
        let all: serde_json::Value =
            serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{kind}: {e}"));
        // Several requests (WeCom's markdown then its mention text) print as an array.
        let v = match &all {
            serde_json::Value::Array(a) => a[0].clone(),
            one => one.clone(),
        };
        assert!(v.get(key).is_some(), "{kind}: {v}");
        assert!(v.to_string().contains("10.2"), "{kind}: {v}");
    }
}

#[test]
fn unknown_stage_is_a_usage_error() {
    let (code, _, err) = render(&["--task", "4.2", "--stage", "nonsense"]);
    assert_eq!(code, 2);
    assert!(err.contains("no `nonsense` reminder"), "{err}");
}
