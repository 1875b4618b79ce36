//! Feishu 飞书 / Lark custom bot: interactive card body, signature, reply classification. Pure.
//!
//! Vendor doc: <https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot> (自定义机器人使用
//! 指南): body ≤ 20 KB, 100/min and 5/s per bot, signature in the JSON body, error codes 9499,
//! 11232, 19021, 19022, 19024. Phone-number mentions are impossible for a custom bot (it needs
//! open_ids), so `mention_mobiles` has no effect here.
//!
//! The message is an `interactive` card (message card JSON, the structure of the official
//! "Message card content reference": `config`, `header` with `title` and `template` colour,
//! `elements` of `div` with `lark_md` text or `fields`, `hr`, `note`, and `action` with URL
//! buttons; a custom bot's card goes under `"card"`). The header colour is the message's colour
//! (blue/yellow/red); each item shows 责任单位, 时限 and 状态 as short fields and a button to its
//! progress link. A grouped message too large for one 20 KB body goes out as several cards split
//! between items, numbered （1/2） in the header. Digests, alerts and tests (no item data) show
//! their markdown in one `div`.

use base64::Engine;
use reqwest::Url;
use serde::Deserialize;
#[cfg(test)]
use serde_json::{Value, json};

pub use super::feishu_card::{bodies, body, template};
use super::hmac_sha256;
use super::reply::{self, Prepared, RATE_LIMIT_BACKOFF, Reply};
#[cfg(test)]
use crate::notify::Colour;
use crate::notify::{Notification, Receipt, SendError};

/// Request body limit in bytes (the doc says 20 KB; stay a little under like Apprise does).
pub const LIMIT: usize = 20_000;

/// Signature: base64(HMAC-SHA256(key = "{timestamp_s}\n{secret}", msg = empty)). The key is
/// the string to sign, the reverse of DingTalk.
pub fn sign(secret: &str, timestamp_s: i64) -> String {
    let mac = hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b"");
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// The request: `POST {base}/open-apis/bot/v2/hook/{hook_id}`.
///
/// # Errors
/// Permanent if the base URL does not parse or cannot take a path.
pub fn prepare(
    base: &str,
    hook_id: &str,
    secret: Option<&str>,
    keyword: Option<&str>,
    n: &Notification,
    now: i64,
) -> Result<Vec<Prepared>, SendError> {
    let bad = || SendError::permanent("feishu: bad base URL");
    let mut url = Url::parse(&format!("{base}/open-apis/bot/v2/hook"))
        .map_err(|e| SendError::permanent(format!("feishu: bad base URL: {e}")))?;
    // Pushed as a segment so an odd hook id cannot change the path.
    url.path_segments_mut().map_err(|()| bad())?.push(hook_id);
    Ok(bodies(n, keyword, secret, now)
        .into_iter()
        .map(|body| Prepared {
            url: url.clone(),
            headers: Vec::new(),
            body,
        })
        .collect())
}

#[derive(Deserialize)]
struct CodeReply {
    code: Option<i64>,
    #[serde(rename = "StatusCode")]
    status_code: Option<i64>,
    #[serde(default)]
    msg: String,
}

/// Classifies a Feishu reply by `code` (legacy `StatusCode` as fallback). The HTTP status of
/// error replies is undocumented, so the body is parsed on 4xx too.
///
/// # Errors
/// Transient for 11232 (rate limit) and HTTP 5xx/429; permanent for 19021 (signature or
/// timestamp), 19022 (IP), 19024 (keyword), 9499 (malformed or too large) and the rest.
pub fn classify(r: &Reply, now: i64) -> Result<Receipt, SendError> {
    if let Some(e) = reply::http_status_error(r, now) {
        return Err(e);
    }
    let parsed = serde_json::from_slice::<CodeReply>(&r.body).ok();
    let Some((code, msg)) = parsed.and_then(|p| p.code.or(p.status_code).map(|c| (c, p.msg)))
    else {
        return Err(reply::unparseable("feishu", r));
    };
    if code == 0 && (200..300).contains(&r.status) {
        return reply::ok_receipt("feishu", "code", &msg);
    }
    let m = reply::excerpt(&msg);
    let permanent = |what: &str| {
        Err(SendError::permanent(format!(
            "feishu code {code} {what}: {m}"
        )))
    };
    match code {
        11232 => Err(SendError::Transient {
            message: format!("feishu code 11232 rate limited: {m}"),
            retry_after: Some(RATE_LIMIT_BACKOFF),
        }),
        19021 => permanent("signature mismatch or timestamp off by over an hour"),
        19022 => permanent("IP not allowed"),
        19024 => permanent("keyword missing from message"),
        9499 => permanent("bad request (malformed or over 20 KB)"),
        _ => permanent("rejected"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::webhook::test_support::notification;

    #[test]
    fn reference_sign_vectors() {
        assert_eq!(
            sign("demo", 1_599_360_473),
            "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
        );
        assert_eq!(
            sign("SEC0123456789abcdef", 1_735_689_600),
            "knwPpX4D7oOjU5G55H54T061tnBTI1ZKiiFNGjKRUS8="
        );
    }

    #[test]
    fn card_body_signed_titled_and_coloured() {
        let n = notification();
        let b: Value =
            serde_json::from_slice(&body(&n, Some("【提醒】"), Some("demo"), 1_599_360_473))
                .unwrap();
        assert_eq!(b["msg_type"], "interactive");
        assert_eq!(b["timestamp"], "1599360473");
        assert_eq!(b["sign"], "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
        let header = &b["card"]["header"];
        assert!(
            header["title"]["content"]
                .as_str()
                .unwrap()
                .starts_with("【提醒】")
        );
        assert_eq!(header["template"], "yellow");
        let unsigned: Value = serde_json::from_slice(&body(&n, None, None, 0)).unwrap();
        assert!(unsigned.get("sign").is_none());
    }

    #[test]
    fn a_reminder_card_has_fields_and_a_button() {
        let mut n = notification();
        n.colour = Colour::Red;
        n.data = json!({
            "task": { "id": "4.2", "short_title": "春季开学校园食品安全专项整治" },
            "period": "2026年春季开学", "colour": "red", "due": "2026-03-31",
            "status": "已逾期3个工作日", "supporting": false,
            "units": { "lead": [{ "id": "catering", "name": "餐饮室" }], "cooperating": [] },
            "links": { "progress_url": "https://duban.example.org/u/catering" },
        });
        let b: Value = serde_json::from_slice(&body(&n, None, None, 0)).unwrap();
        assert_eq!(b["card"]["header"]["template"], "red");
        let els = b["card"]["elements"].as_array().unwrap();
        let fields = els.iter().find(|e| e["fields"].is_array()).unwrap()["fields"].clone();
        let texts: Vec<&str> = fields
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "**责任单位**\n餐饮室",
                "**时限**\n2026年3月31日",
                "**状态**\n已逾期3个工作日"
            ]
        );
        let button = &els.iter().find(|e| e["tag"] == "action").unwrap()["actions"][0];
        assert_eq!(button["url"], "https://duban.example.org/u/catering");
    }

    #[test]
    fn long_markdown_goes_out_as_cards_each_within_20k() {
        let mut n = notification();
        n.markdown = format!(
            "**标题**\n\n{}",
            (0..900)
                .map(|i| format!("第{i}项：请于\"6月30日\"前完成食品安全年度报告填报工作。"))
                .collect::<Vec<_>>()
                .join("\n\n")
        );
        let all = bodies(&n, None, Some("demo"), 1);
        assert!(all.len() > 1);
        for (i, b) in all.iter().enumerate() {
            assert!(b.len() <= LIMIT, "{}", b.len());
            let v: Value = serde_json::from_slice(b).unwrap();
            let title = v["card"]["header"]["title"]["content"].as_str().unwrap();
            assert!(
                title.ends_with(&format!("（{}/{}）", i + 1, all.len())),
                "{title}"
            );
        }
    }

    #[test]
    fn classification_table() {
        let c = |status: u16, body: &str| classify(&Reply::new(status, body), 0);
        assert!(
            c(
                200,
                r#"{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}"#
            )
            .is_ok()
        );
        assert!(
            c(200, r#"{"code":11232,"msg":"frequency limited"}"#)
                .unwrap_err()
                .is_transient()
        );
        for (status, bad) in [
            (200, r#"{"code":19021,"msg":"sign match fail"}"#),
            (200, r#"{"code":19022,"msg":"Ip Not Allowed"}"#),
            (200, r#"{"code":19024,"msg":"Key Words Not Found"}"#),
            (400, r#"{"code":9499,"msg":"Bad Request","data":{}}"#),
            (400, "nope"),
        ] {
            assert!(!c(status, bad).unwrap_err().is_transient(), "{bad}");
        }
    }
}
