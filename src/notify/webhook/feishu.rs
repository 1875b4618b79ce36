//! Feishu 飞书 / Lark custom bot: `post` body, signature, reply classification. Pure.
//!
//! Vendor doc: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (自定义机器人使用
//! 指南): body ≤ 20 KB, 100/min and 5/s per bot, signature in the JSON body, error codes 9499,
//! 11232, 19021, 19022, 19024. Phone-number mentions are impossible for a custom bot (it needs
//! open_ids), so `mention_mobiles` has no effect here.

use base64::Engine;
use reqwest::Url;
use serde::Deserialize;
use serde_json::json;

use super::hmac_sha256;
use super::reply::{self, Prepared, RATE_LIMIT_BACKOFF, Reply};
use super::text::{fit_body, keyword_prefix, shorten};
use crate::notify::{Notification, Receipt, SendError};

/// Request body limit in bytes (the doc says 20 KB; stay a little under like Apprise does).
pub const LIMIT: usize = 20_000;

/// Signature: base64(HMAC-SHA256(key = "{timestamp_s}\n{secret}", msg = empty)). The key is
/// the string to sign, the reverse of DingTalk.
pub fn sign(secret: &str, timestamp_s: i64) -> String {
    let mac = hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b"");
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// The `post` body with the text shortened to `budget` bytes, plus signature fields if signed.
fn body_with(
    n: &Notification,
    keyword: Option<&str>,
    signed: Option<(i64, String)>,
    budget: usize,
) -> serde_json::Value {
    let text = shorten(&n.text, budget);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| json!([{ "tag": "text", "text": l }]))
        .collect();
    let mut b = json!({
        "msg_type": "post",
        "content": { "post": { "zh_cn": {
            "title": format!("{}{}", keyword_prefix(keyword, &n.subject, ""), n.subject),
            "content": lines,
        } } },
    });
    if let Some((ts, sign)) = signed {
        // The official example sends the timestamp as a string.
        b["timestamp"] = json!(ts.to_string());
        b["sign"] = json!(sign);
    }
    b
}

/// The serialised body for `n`, shortened so the whole body is ≤ [`LIMIT`] bytes.
pub fn body(n: &Notification, keyword: Option<&str>, secret: Option<&str>, now: i64) -> Vec<u8> {
    let signed = secret.map(|s| (now, sign(s, now)));
    fit_body(LIMIT, |budget| {
        serde_json::to_vec(&body_with(n, keyword, signed.clone(), budget)).unwrap_or_default()
    })
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
) -> Result<Prepared, SendError> {
    let bad = || SendError::permanent("feishu: bad base URL");
    let mut url = Url::parse(&format!("{base}/open-apis/bot/v2/hook"))
        .map_err(|e| SendError::permanent(format!("feishu: bad base URL: {e}")))?;
    // Pushed as a segment so an odd hook id cannot change the path.
    url.path_segments_mut().map_err(|()| bad())?.push(hook_id);
    Ok(Prepared {
        url,
        headers: Vec::new(),
        body: body(n, keyword, secret, now),
    })
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
    fn post_body_signed_and_titled() {
        let n = notification();
        let b: serde_json::Value =
            serde_json::from_slice(&body(&n, Some("【提醒】"), Some("demo"), 1_599_360_473))
                .unwrap();
        assert_eq!(b["msg_type"], "post");
        assert_eq!(b["timestamp"], "1599360473");
        assert_eq!(b["sign"], "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
        let post = &b["content"]["post"]["zh_cn"];
        assert!(post["title"].as_str().unwrap().starts_with("【提醒】"));
        assert_eq!(post["content"][0][0]["tag"], "text");
        let unsigned: serde_json::Value = serde_json::from_slice(&body(&n, None, None, 0)).unwrap();
        assert!(unsigned.get("sign").is_none());
    }

    #[test]
    fn long_chinese_body_fits_20k() {
        let mut n = notification();
        n.text = "请于\"6月30日\"前完成食品安全年度报告填报工作。\n".repeat(1000);
        let b = body(&n, None, Some("demo"), 1);
        assert!(b.len() <= LIMIT && b.len() > LIMIT - 200, "{}", b.len());
        assert!(String::from_utf8(b).unwrap().contains("完整内容见邮件"));
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
