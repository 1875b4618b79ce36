//! The daemon's reminders for the bundled plan, end to end over real protocols: a real SMTP server
//! (aiosmtpd) and a real HTTP server standing in for WeCom, DingTalk, Feishu and a generic
//! receiver. Mail is parsed with a MIME parser, webhook bodies as JSON, signatures recomputed here
//! with the vendors' documented algorithms.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use mailparse::MailHeaderMap;

use crate::daemon::wait_for;
use crate::helpers::{bin, bundled_config_text};
use crate::smtp_harness::{ServerOptions, SmtpServer};
use crate::webhook::server::{Scenario, Server};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const NOW: &str = "2026-09-23T09:00:00+08:00";
const DING_SECRET: &str = "SEC0123456789abcdef";
const FEISHU_SECRET: &str = "demo";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

#[test]
fn bundled_reminders_arrive_as_chinese_mail_and_signed_vendor_payloads() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = rt.block_on(Server::start());
    let smtp = SmtpServer::start(&ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let wecom = http.on("wecom", Scenario::fixture("wecom_ok.json"));
    let ding = http.on("dingtalk", Scenario::fixture("dingtalk_ok.json"));
    let feishu = http.on("feishu", Scenario::fixture("feishu_ok.json"));
    let generic = http.on("generic", Scenario::status(200).body("{}"));
    let reference = bundled_config_text(&dir.path().join("state"));
    // Keep everything but the channels, which point at the local servers (ids unchanged, so the
    // units' routing is the bundled one).
    let (head, rest) = reference
        .split_once("\nchannels:\n")
        .expect("channels section");
    let (_, events) = rest.split_once("\nevents:").expect("events section");
    let channels = format!(
        "\nchannels:
  - {{ id: file, kind: file, dir: outbox }}
  - {{ id: smtp, kind: smtp, host: 127.0.0.1, port: {port}, tls: none, from: {{ name: 督办提醒, email: dutybell@example.org }} }}
  - {{ id: wecom-food, kind: wecom, key: {{ env: DUTYBELL_WECOM_FOOD_KEY }}, mention_heads: true, base_url: \"{wecom}\" }}
  - {{ id: dingtalk-office, kind: dingtalk, token: {{ env: DUTYBELL_DINGTALK_TOKEN }}, secret: {{ env: DUTYBELL_DINGTALK_SECRET }}, keyword: 督办提醒, base_url: \"{ding}\" }}
  - {{ id: feishu-leaders, kind: feishu, hook: {{ env: DUTYBELL_FEISHU_HOOK }}, secret: {{ env: DUTYBELL_FEISHU_SECRET }}, base_url: \"{feishu}\" }}
  - {{ id: generic-hook, kind: generic, url: {{ env: DUTYBELL_GENERIC_URL }}, secret: {{ env: DUTYBELL_GENERIC_SECRET }} }}
\nevents:",
        port = smtp.port
    );
    let text = format!("{head}{channels}{events}");
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, text).unwrap();
    let env = [
        ("DUTYBELL_WECOM_FOOD_KEY", "wecom-key-1".to_string()),
        ("DUTYBELL_DINGTALK_TOKEN", "ding-token-1".into()),
        ("DUTYBELL_DINGTALK_SECRET", DING_SECRET.into()),
        ("DUTYBELL_FEISHU_HOOK", "feishu-hook-1".into()),
        ("DUTYBELL_FEISHU_SECRET", FEISHU_SECRET.into()),
        ("DUTYBELL_GENERIC_URL", format!("{generic}/hook")),
        ("DUTYBELL_GENERIC_SECRET", WHSEC.into()),
    ];
    // What the plan says goes out at 09:00 on 2026-09-23, per channel.
    let out = Command::new(bin())
        .args([
            "plan",
            "--from",
            "2026-09-23",
            "--to",
            "2026-09-23",
            "--json",
            "--config",
        ])
        .arg(&config)
        .env("DUTYBELL_NOW", NOW)
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Reminders to one recipient on one channel at one instant go out as one grouped message
    // (issue 12), so a channel receives one message per distinct recipient.
    let mut pairs = std::collections::BTreeSet::new();
    for r in plan["reminders"].as_array().unwrap() {
        if r["at"] == "2026-09-23T01:00:00Z" {
            pairs.insert((
                r["channel"].as_str().unwrap().to_string(),
                r["recipient"].as_str().unwrap().to_string(),
            ));
        }
    }
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (channel, _) in pairs {
        *expected.entry(channel).or_default() += 1;
    }
    for ch in [
        "smtp",
        "wecom-food",
        "dingtalk-office",
        "feishu-leaders",
        "generic-hook",
    ] {
        assert!(
            expected.get(ch).copied().unwrap_or(0) > 0,
            "no reminder for {ch} at {NOW}: {expected:?}"
        );
    }
    let mut child = Command::new(bin())
        .args(["run", "--config"])
        .arg(&config)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("DUTYBELL_NOW", NOW)
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let count = |name: &str| http.hits(name).len();
    let all_in = || {
        smtp.messages().len() >= expected["smtp"]
            && count("wecom") >= expected["wecom-food"]
            && count("dingtalk") >= expected["dingtalk-office"]
            && count("feishu") >= expected["feishu-leaders"]
            && count("generic") >= expected["generic-hook"]
    };
    let arrived = wait_for(Duration::from_secs(90), all_in);
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(
        arrived,
        "expected {expected:?}; smtp {} wecom {} dingtalk {} feishu {} generic {}",
        smtp.messages().len(),
        count("wecom"),
        count("dingtalk"),
        count("feishu"),
        count("generic")
    );

    // Email: Chinese subject and display name decode, both parts present, threading headers.
    for raw in smtp.messages() {
        let mail = mailparse::parse_mail(&raw).unwrap();
        let subject = mail.headers.get_first_value("Subject").unwrap();
        // Reminders, and the week's digests caught up on this Wednesday start (marked 补发).
        let digest = subject.contains("【督办周报】");
        assert!(subject.starts_with("【督办提醒·") || digest, "{subject}");
        assert!(
            mail.headers
                .get_first_value("From")
                .unwrap()
                .contains("督办提醒")
        );
        assert_eq!(mail.subparts.len(), 2, "{subject}");
        assert!(digest || mail.headers.get_first_value("In-Reply-To").is_some());
        assert_eq!(
            mail.headers.get_first_value("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
    }
    // WeCom: the key in the URL, a markdown or text message naming a task.
    for h in http.hits("wecom") {
        assert_eq!(h.query_param("key").as_deref(), Some("wecom-key-1"));
        let v = h.json();
        assert!(v["msgtype"] == "markdown" || v["msgtype"] == "text", "{v}");
    }
    // DingTalk: HMAC-SHA256(secret, "{ts}\n{secret}") in the query, keyword in the text.
    for h in http.hits("dingtalk") {
        let ts = h.query_param("timestamp").unwrap();
        let want = b64(&hmac(
            DING_SECRET.as_bytes(),
            format!("{ts}\n{DING_SECRET}").as_bytes(),
        ));
        assert_eq!(h.query_param("sign").unwrap(), want);
        assert!(
            h.json()["markdown"]["text"]
                .as_str()
                .unwrap()
                .contains("督办提醒")
        );
    }
    // Feishu: HMAC-SHA256 keyed by "{ts}\n{secret}" over nothing, in the body.
    for h in http.hits("feishu") {
        let v = h.json();
        let ts = v["timestamp"].as_str().unwrap();
        let want = b64(&hmac(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b""));
        assert_eq!(v["sign"], want.as_str());
        assert_eq!(v["msg_type"], "interactive");
    }
    // Generic: Standard Webhooks signature over "{id}.{ts}.{body}".
    let key = base64::engine::general_purpose::STANDARD
        .decode(WHSEC.trim_start_matches("whsec_"))
        .unwrap();
    for h in http.hits("generic") {
        let (id, ts) = (
            h.header("webhook-id").unwrap(),
            h.header("webhook-timestamp").unwrap(),
        );
        let mut signed = format!("{id}.{ts}.").into_bytes();
        signed.extend_from_slice(&h.body);
        let want = format!("v1,{}", b64(&hmac(&key, &signed)));
        assert!(
            h.header("webhook-signature")
                .unwrap()
                .split(' ')
                .any(|s| s == want)
        );
        assert!(h.json()["data"].is_object());
    }
}
