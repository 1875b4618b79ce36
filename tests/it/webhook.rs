//! Webhook channels against a real HTTP server on 127.0.0.1: request shape, signatures
//! recomputed independently, reply classification from vendor fixtures, transport failures,
//! secrets never in errors, and the DingTalk rate limit on tokio's paused clock.

pub mod server;

use std::time::Duration;

use base64::Engine;
use dutybell::notify::webhook::{
    Flavour, HttpTimeouts, WebhookChannel, WebhookTarget, http_client_with,
};
use dutybell::notify::{Channel, Colour, MessageKind, Notification, Recipients, SendError};
use hmac::{Hmac, KeyInit, Mac};
use server::{Scenario, Server};
use sha2::Sha256;

const WECOM_KEY: &str = "wecom-key-5f3c0e1a";
const DING_TOKEN: &str = "ding-token-91ab77";
const DING_SECRET: &str = "SECding0123456789secret";
const FEISHU_HOOK: &str = "feishu-hook-77aa42";
const FEISHU_SECRET: &str = "feishu-secret-9zz";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRETS: [&str; 6] = [
    WECOM_KEY,
    DING_TOKEN,
    DING_SECRET,
    FEISHU_HOOK,
    FEISHU_SECRET,
    WHSEC,
];
/// 2026-06-01T01:00:00Z, a Monday.
const AT: i64 = 1_780_275_600;

fn note(mobiles: &[&str]) -> Notification {
    Notification {
        id: "T07/2026-06-30/due_today/食品室/bot".into(),
        thread: "T07/2026-06-30".into(),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【今日到期】T07 年度食品安全报告".into(),
        text: "任务 T07 今日到期。\n请食品室及时报送。".into(),
        html: None,
        markdown: "#### T07 今日到期\n> 请食品室及时报送。".into(),
        recipients: Recipients {
            mobiles: mobiles.iter().map(|m| (*m).to_owned()).collect(),
            ..Recipients::default()
        },
        data: serde_json::json!({ "task": "T07", "due": "2026-06-30" }),
        attempt_at: AT,
    }
}

fn client() -> reqwest::Client {
    http_client_with(HttpTimeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_millis(500),
    })
}

fn wecom() -> Flavour {
    Flavour::Wecom {
        key: WECOM_KEY.into(),
    }
}

fn dingtalk() -> Flavour {
    Flavour::Dingtalk {
        access_token: DING_TOKEN.into(),
        secret: Some(DING_SECRET.into()),
        keyword: Some("【平罗县提醒】".into()),
    }
}

fn feishu() -> Flavour {
    Flavour::Feishu {
        hook_id: FEISHU_HOOK.into(),
        secret: Some(FEISHU_SECRET.into()),
        keyword: None,
    }
}

fn channel(flavour: Flavour, base: String) -> WebhookChannel {
    let mut t = WebhookTarget::new("bot", flavour);
    t.base_url = Some(base);
    t.jitter_max = Duration::ZERO;
    WebhookChannel::new(t, client()).expect("valid target")
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(msg);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Fails the test if any secret shows up in the error's text or debug form.
fn assert_clean(e: &SendError) {
    let shown = format!("{e} {e:?}");
    for s in SECRETS {
        assert!(!shown.contains(s), "secret leaked in {shown}");
    }
    assert!(!shown.contains("127.0.0.1"), "URL leaked in {shown}");
}

/// Sends `n` through a fresh channel whose server answers `scenario`; returns the error.
async fn fails(srv: &Server, name: &str, flavour: Flavour, scenario: Scenario) -> SendError {
    let base = srv.on(name, scenario);
    // A generic target's URL is complete; point it at the scenario too.
    let flavour = match flavour {
        Flavour::Generic { secret, .. } => Flavour::Generic {
            url: format!("{base}/hook").into(),
            secret,
        },
        other => other,
    };
    let ch = channel(flavour, base);
    let e = ch.send(&note(&["13800001111"])).await.expect_err(name);
    assert_clean(&e);
    e
}

fn retry_after(e: &SendError) -> Option<Duration> {
    match e {
        SendError::Transient { retry_after, .. } => *retry_after,
        SendError::Permanent { .. } => None,
    }
}

#[tokio::test]
async fn wecom_sends_markdown_and_a_mention_text_with_mobiles() {
    let srv = Server::start().await;
    let ch = channel(
        wecom(),
        srv.on("wecom-ok", Scenario::fixture("wecom_ok.json")),
    );
    let receipt = ch.send(&note(&[])).await.unwrap();
    assert!(receipt.detail.contains("errcode 0"));
    ch.send(&note(&["13800001111"])).await.unwrap();
    let hits = srv.hits("wecom-ok");
    assert_eq!(hits[0].path, "/cgi-bin/webhook/send");
    assert_eq!(hits[0].query_param("key").as_deref(), Some(WECOM_KEY));
    assert!(
        hits[0]
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert!(
        hits[0]
            .header("user-agent")
            .unwrap()
            .starts_with("dutybell/")
    );
    let md = hits[0].json();
    assert_eq!(md["msgtype"], "markdown");
    assert!(md["markdown"]["content"].as_str().unwrap().contains("T07"));
    // With mobiles: the markdown, then a text that @-mentions them by mobile.
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[1].json()["msgtype"], "markdown");
    let tx = hits[2].json();
    assert_eq!(tx["msgtype"], "text");
    assert!(tx["text"]["content"].as_str().unwrap().contains("T07"));
    assert_eq!(
        tx["text"]["mentioned_mobile_list"],
        serde_json::json!(["13800001111"])
    );
}

#[tokio::test]
async fn wecom_reply_classes() {
    let srv = Server::start().await;
    let rl = fails(
        &srv,
        "w-rl",
        wecom(),
        Scenario::fixture("wecom_rate_limited.json"),
    )
    .await;
    assert!(retry_after(&rl).unwrap() >= Duration::from_secs(60));
    assert!(
        fails(
            &srv,
            "w-busy",
            wecom(),
            Scenario::fixture("wecom_busy.json")
        )
        .await
        .is_transient()
    );
    let key = fails(
        &srv,
        "w-key",
        wecom(),
        Scenario::fixture("wecom_bad_key.json"),
    )
    .await;
    assert!(!key.is_transient() && key.to_string().contains("93000"));
    let big = fails(
        &srv,
        "w-big",
        wecom(),
        Scenario::fixture("wecom_oversize.json"),
    )
    .await;
    assert!(!big.is_transient() && big.to_string().contains("40058"));
}

#[tokio::test]
async fn dingtalk_signs_once_encoded_and_mentions() {
    let srv = Server::start().await;
    let ch = channel(
        dingtalk(),
        srv.on("ding-ok", Scenario::fixture("dingtalk_ok.json")),
    );
    ch.send(&note(&["13800001111"])).await.unwrap();
    let hit = &srv.hits("ding-ok")[0];
    assert_eq!(hit.path, "/robot/send");
    assert_eq!(hit.query_param("access_token").as_deref(), Some(DING_TOKEN));
    let ts = hit.query_param("timestamp").unwrap();
    assert_eq!(ts, (AT * 1000).to_string());
    let expected = hmac_b64(
        DING_SECRET.as_bytes(),
        format!("{ts}\n{DING_SECRET}").as_bytes(),
    );
    assert_eq!(hit.query_param("sign").unwrap(), expected);
    assert!(
        !hit.query.as_deref().unwrap().contains("%25"),
        "double-encoded sign"
    );
    let b = hit.json();
    assert_eq!(b["msgtype"], "markdown");
    assert!(
        b["markdown"]["title"]
            .as_str()
            .unwrap()
            .starts_with("【平罗县提醒】")
    );
    let text = b["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains("【平罗县提醒】") && text.contains("T07") && text.contains("@13800001111")
    );
    assert_eq!(b["at"]["atMobiles"], serde_json::json!(["13800001111"]));
}

#[tokio::test]
async fn dingtalk_reply_classes() {
    let srv = Server::start().await;
    let rl = fails(
        &srv,
        "d-rl",
        dingtalk(),
        Scenario::fixture("dingtalk_rate_limited.json"),
    )
    .await;
    assert_eq!(retry_after(&rl), Some(Duration::from_secs(600)));
    for (name, fixture) in [
        ("d-sign", "dingtalk_bad_sign.json"),
        ("d-kw", "dingtalk_keyword.json"),
        ("d-token", "dingtalk_bad_token.json"),
        ("d-stop", "dingtalk_stopped.json"),
    ] {
        let e = fails(&srv, name, dingtalk(), Scenario::fixture(fixture)).await;
        assert!(!e.is_transient(), "{name}: {e}");
    }
}

#[tokio::test]
async fn feishu_signs_in_body_and_classifies() {
    let srv = Server::start().await;
    let ch = channel(
        feishu(),
        srv.on("fs-ok", Scenario::fixture("feishu_ok.json")),
    );
    ch.send(&note(&[])).await.unwrap();
    let hit = &srv.hits("fs-ok")[0];
    assert_eq!(hit.path, format!("/open-apis/bot/v2/hook/{FEISHU_HOOK}"));
    let b = hit.json();
    let ts = b["timestamp"].as_str().expect("timestamp is a string");
    assert_eq!(ts, AT.to_string());
    assert_eq!(
        b["sign"],
        hmac_b64(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b"")
    );
    assert_eq!(b["msg_type"], "interactive");
    let header = &b["card"]["header"];
    assert!(header["title"]["content"].as_str().unwrap().contains("T07"));
    assert_eq!(header["template"], "yellow");

    let rl = fails(
        &srv,
        "f-rl",
        feishu(),
        Scenario::fixture("feishu_rate_limited.json"),
    )
    .await;
    assert!(retry_after(&rl).unwrap() >= Duration::from_secs(60));
    for (name, scenario) in [
        ("f-sign", Scenario::fixture("feishu_bad_sign.json")),
        ("f-ip", Scenario::fixture("feishu_ip.json")),
        ("f-kw", Scenario::fixture("feishu_keyword.json")),
        (
            "f-big",
            Scenario::fixture("feishu_oversize.json").with_status(400),
        ),
    ] {
        let e = fails(&srv, name, feishu(), scenario).await;
        assert!(!e.is_transient(), "{name}: {e}");
    }
}

#[tokio::test]
async fn generic_is_signed_and_idempotent_across_retries() {
    let srv = Server::start().await;
    let url = format!("{}/hooks/dutybell", srv.on("gen", Scenario::status(204)));
    let t = WebhookTarget::new(
        "gen",
        Flavour::Generic {
            url: url.into(),
            secret: Some(WHSEC.into()),
        },
    );
    let ch = WebhookChannel::new(t, client()).unwrap();
    let mut n = note(&[]);
    ch.send(&n).await.unwrap();
    n.attempt_at += 300; // the retry five minutes later
    ch.send(&n).await.unwrap();
    let hits = srv.hits("gen");
    let key = base64::engine::general_purpose::STANDARD
        .decode(WHSEC.trim_start_matches("whsec_"))
        .unwrap();
    let id = hits[0].header("webhook-id").expect("ASCII webhook-id");
    assert_eq!(percent_decode(&id), n.id);
    for (hit, at) in hits.iter().zip([AT, AT + 300]) {
        assert_eq!(hit.header("webhook-id").as_deref(), Some(id.as_str()));
        let ts = hit.header("webhook-timestamp").unwrap();
        assert_eq!(ts, at.to_string());
        let mut signed = format!("{id}.{ts}.").into_bytes();
        signed.extend_from_slice(&hit.body);
        let sig = format!("v1,{}", hmac_b64(&key, &signed));
        assert_eq!(
            hit.header("webhook-signature").as_deref(),
            Some(sig.as_str())
        );
        let b = hit.json();
        assert_eq!(b["type"], "reminder.due_today");
        assert_eq!(b["data"]["task"], "T07");
        assert_eq!(b["data"]["subject"], n.subject);
    }
}

/// Decodes `%XX` escapes (the test's own decoder, independent of the library's encoder).
fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: String = bytes.by_ref().take(2).map(char::from).collect();
            out.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap()
}

fn generic() -> Flavour {
    Flavour::Generic {
        url: "http://replaced.invalid/".into(),
        secret: Some(WHSEC.into()),
    }
}

#[tokio::test]
async fn http_level_failures_for_every_flavour() {
    let srv = Server::start().await;
    for (v, flavour) in [
        ("w", wecom()),
        ("d", dingtalk()),
        ("f", feishu()),
        ("g", generic()),
    ] {
        let f = || flavour.clone();
        let e = fails(&srv, &format!("{v}-503"), f(), Scenario::status(503)).await;
        assert!(e.is_transient(), "{v}: {e}");
        let s429 = Scenario::status(429).header("retry-after", "120");
        let e = fails(&srv, &format!("{v}-429s"), f(), s429).await;
        assert_eq!(retry_after(&e), Some(Duration::from_secs(120)), "{v}");
        let date = Scenario::status(429).header("retry-after", "Mon, 01 Jun 2026 01:02:30 GMT");
        let e = fails(&srv, &format!("{v}-429d"), f(), date).await;
        assert_eq!(retry_after(&e), Some(Duration::from_secs(150)), "{v}");
        let elsewhere = srv.on(
            &format!("{v}-elsewhere"),
            Scenario::fixture("wecom_ok.json"),
        );
        let redirect = Scenario::status(302).header("location", &elsewhere);
        let e = fails(&srv, &format!("{v}-302"), f(), redirect).await;
        assert!(!e.is_transient() && e.to_string().contains("redirects are not followed"));
        assert!(
            srv.hits(&format!("{v}-elsewhere")).is_empty(),
            "{v} followed a redirect"
        );
        let e = fails(&srv, &format!("{v}-404"), f(), Scenario::status(404)).await;
        assert!(!e.is_transient(), "{v}: {e}");
        let slow = Scenario::fixture("wecom_ok.json").delay(Duration::from_secs(5));
        let e = fails(&srv, &format!("{v}-slow"), f(), slow).await;
        assert!(
            e.is_transient() && e.to_string().contains("timed out"),
            "{v}: {e}"
        );
    }
}

/// Decision documented in `reply::unparseable`: a vendor flavour getting a non-JSON 200 (proxy
/// login page, wrong host) fails permanently.
#[tokio::test]
async fn non_json_200_is_permanent_for_vendors() {
    let srv = Server::start().await;
    for (v, flavour) in [("w", wecom()), ("d", dingtalk()), ("f", feishu())] {
        let html = Scenario::status(200).body("<html>portal login</html>");
        let e = fails(&srv, &format!("{v}-html"), flavour, html).await;
        assert!(!e.is_transient(), "{v}: {e}");
    }
}

#[tokio::test]
async fn connection_refused_is_transient_without_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let ch = channel(feishu(), format!("http://{addr}"));
    let e = ch.send(&note(&[])).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert_clean(&e);
}

/// Sequential sends to one DingTalk bot on tokio's paused clock: arrivals at the server never
/// exceed 20 in any rolling minute (the limiter core is tested with 100 sends in the library).
#[tokio::test(start_paused = true)]
async fn dingtalk_limiter_holds_end_to_end() {
    let srv = Server::start().await;
    // No client timers: with a paused clock an idle runtime jumps to the next timer. Built by
    // hand, so it needs the rustls provider that `http_client_with` would have installed.
    dutybell::tls::install_default();
    let client = reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap();
    let mut t = WebhookTarget::new("ding", dingtalk());
    t.base_url = Some(srv.on("lim", Scenario::fixture("dingtalk_ok.json")));
    t.jitter_max = Duration::ZERO;
    let ch = WebhookChannel::new(t, client).unwrap();
    let start = tokio::time::Instant::now();
    for _ in 0..45 {
        ch.send(&note(&[])).await.unwrap();
    }
    let at: Vec<_> = srv.hits("lim").iter().map(|h| h.at).collect();
    assert_eq!(at.len(), 45);
    let minute = Duration::from_secs(60);
    for &a in &at {
        let in_window = at.iter().filter(|&&b| b >= a && b < a + minute).count();
        assert!(in_window <= 20, "{in_window} sends within a minute");
    }
    assert!(at[44] - start >= Duration::from_secs(120));
    assert!(
        at[44] - start < Duration::from_secs(130),
        "limiter is too slow"
    );
}
