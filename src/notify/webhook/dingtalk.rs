//! DingTalk 钉钉 custom robot: markdown body, 加签 signature, reply classification. Pure.
//!
//! Vendor docs: <https://developer.alibaba.com/doc2/apiDetail.htm?apiId=37246> (robot.send fields);
//! security settings and signing, copies of open.dingtalk.com/document/orgapp/custom-robot-access:
//! <https://apifox.com/apidoc/docs-site/467052/doc-3550006>. Rate limit 20/min per robot, 10 min
//! throttle when exceeded: <https://juejin.cn/post/7129698690297495583>.
//!
//! Markdown as the DingTalk client renders it (message-type doc, copied at
//! <https://cscoder.cn/docs/open/aliyun/robot-messages-markdown.html>): headings `#`…`######`,
//! quotes, bold, links, lists; a single newline is NOT a line break there, so each line inside a
//! block ends with two spaces. The heading line becomes `####`. Mentions: `at.atMobiles` holds
//! the unit's contact mobiles and the text carries `@mobile` for each, as the API requires for the
//! mention to show.

use std::time::Duration;

use base64::Engine;
use reqwest::Url;
use serde_json::json;

use super::hmac_sha256;
use super::reply::{self, Prepared, Reply};
use super::text::{keyword_prefix, shorten};
use crate::notify::{Notification, Receipt, SendError};

/// Message size limit in UTF-8 bytes (third-party "exceed 20000 bytes"; unconfirmed officially).
pub const LIMIT: usize = 20_000;
/// DingTalk throttles a robot for 10 minutes after it exceeds 20 messages a minute.
pub const THROTTLE: Duration = Duration::from_secs(600);

/// 加签: base64(HMAC-SHA256(key = secret, msg = "{timestamp_ms}\n{secret}")). Not URL-encoded:
/// the caller adds it with `append_pair`, which encodes exactly once.
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let mac = hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// `markdown` in DingTalk's dialect: a first line `**title**` becomes a `####` heading, and every
/// line break inside a block becomes a hard break (two trailing spaces); blank lines stay.
pub fn dingtalk_markdown(markdown: &str) -> String {
    let mut lines: Vec<String> = markdown.lines().map(str::to_owned).collect();
    if let Some(first) = lines.first_mut()
        && let Some(inner) = first
            .strip_prefix("**")
            .and_then(|f| f.strip_suffix("**"))
            .map(str::to_owned)
    {
        *first = format!("#### {inner}");
    }
    let mut out = String::with_capacity(markdown.len() + lines.len() * 2);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        let next_blank = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
        if i + 1 < lines.len() {
            if !line.trim().is_empty() && !next_blank {
                out.push_str("  ");
            }
            out.push('\n');
        }
    }
    out
}

/// The markdown body; the keyword (if any) leads title and text, mobiles are @-ed in the text
/// and listed in `at.atMobiles` when `mention_mobiles` is set.
pub fn body(n: &Notification, keyword: Option<&str>, mention_mobiles: bool) -> serde_json::Value {
    let mobiles: &[String] = if mention_mobiles {
        &n.recipients.mobiles
    } else {
        &[]
    };
    let md = dingtalk_markdown(&n.markdown);
    let head = keyword_prefix(keyword, &md, "\n\n");
    let tail: String = if mobiles.is_empty() {
        String::new()
    } else {
        let ats: Vec<String> = mobiles.iter().map(|m| format!("@{m}")).collect();
        format!("\n\n{}", ats.join(" "))
    };
    let budget = LIMIT.saturating_sub(head.len() + tail.len());
    let text = format!("{head}{}{tail}", shorten(&md, budget));
    json!({
        "msgtype": "markdown",
        "markdown": {
            "title": format!("{}{}", keyword_prefix(keyword, &n.subject, ""), n.subject),
            "text": text,
        },
        "at": { "atMobiles": mobiles, "isAtAll": false },
    })
}

/// The request: `POST {base}/robot/send?access_token=T[&timestamp=MS&sign=B64]`.
///
/// # Errors
/// Permanent if the base URL does not parse.
pub fn prepare(
    base: &str,
    access_token: &str,
    secret: Option<&str>,
    keyword: Option<&str>,
    n: &Notification,
    mention_mobiles: bool,
    now: i64,
) -> Result<Prepared, SendError> {
    let mut url = Url::parse(&format!("{base}/robot/send"))
        .map_err(|e| SendError::permanent(format!("dingtalk: bad base URL: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("access_token", access_token);
        if let Some(secret) = secret {
            let ts = now.saturating_mul(1000);
            q.append_pair("timestamp", &ts.to_string());
            q.append_pair("sign", &sign(secret, ts));
        }
    }
    Prepared::json("dingtalk", url, &body(n, keyword, mention_mobiles))
}

/// Classifies a DingTalk reply: `errcode` 0 is success whatever the HTTP status says.
///
/// # Errors
/// Transient for busy (-1), 130101 (10-minute throttle) and HTTP 5xx/429; permanent for 310000
/// (keyword, timestamp, signature or IP), 300005/400101 (no such token), 400102 (bot stopped).
pub fn classify(r: &Reply, now: i64) -> Result<Receipt, SendError> {
    if let Some(e) = reply::http_status_error(r, now) {
        return Err(e);
    }
    let (errcode, errmsg) = reply::errcode_reply("dingtalk", r)?;
    let msg = reply::excerpt(&errmsg);
    let permanent = |what: &str| {
        Err(SendError::permanent(format!(
            "dingtalk errcode {errcode} {what}: {msg}"
        )))
    };
    match errcode {
        0 => reply::ok_receipt("dingtalk", "errcode", &errmsg),
        -1 => Err(SendError::transient(format!(
            "dingtalk errcode -1 system busy: {msg}"
        ))),
        130101 => Err(SendError::Transient {
            message: format!("dingtalk errcode 130101 rate limited (throttled 10 min): {msg}"),
            retry_after: Some(THROTTLE),
        }),
        310000 if errmsg.contains("keywords") => permanent("keyword missing from message"),
        310000 if errmsg.contains("timestamp") => permanent("timestamp rejected (check NTP)"),
        310000 if errmsg.contains("sign") => permanent("signature mismatch (check the secret)"),
        310000 if errmsg.contains("ip") => permanent("IP not in the robot's allowlist"),
        310000 => permanent("security check failed"),
        300005 | 400101 => permanent("access token does not exist"),
        400102 => permanent("robot is stopped"),
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
            sign("SEC0123456789abcdef", 1_735_689_600_000),
            "qAeD+CL39X2n/2i8f2T3wd5/G0i+d2cNPAVJZbbFshs="
        );
        assert_eq!(
            sign("this is secret", 1_735_689_600_000),
            "dkeymkFpjBA1G9P6/2xChysgaRYrfT4DkgaQ/emJQY0="
        );
    }

    #[test]
    fn sign_is_url_encoded_exactly_once() {
        let n = notification();
        let p = prepare(
            "https://oapi.dingtalk.com",
            "T",
            Some("SEC0123456789abcdef"),
            None,
            &n,
            true,
            1_735_689_600,
        )
        .unwrap();
        assert_eq!(
            p.url.query(),
            Some(
                "access_token=T&timestamp=1735689600000&sign=qAeD%2BCL39X2n%2F2i8f2T3wd5%2FG0i%2Bd2cNPAVJZbbFshs%3D"
            )
        );
    }

    #[test]
    fn body_has_keyword_title_and_mentions() {
        let n = notification();
        let b = body(&n, Some("【平罗县提醒】"), true);
        assert_eq!(b["msgtype"], "markdown");
        assert!(
            b["markdown"]["title"]
                .as_str()
                .unwrap()
                .starts_with("【平罗县提醒】")
        );
        let text = b["markdown"]["text"].as_str().unwrap();
        assert!(text.starts_with("【平罗县提醒】") && text.ends_with("@13800001111"));
        assert_eq!(b["at"]["atMobiles"][0], "13800001111");
        let quiet = body(&n, None, false);
        assert_eq!(quiet["at"]["atMobiles"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn long_text_stays_under_limit_with_mentions() {
        let mut n = notification();
        n.markdown = "各市场监管所开展校园食品安全专项检查。\n".repeat(2000);
        assert!(dingtalk_markdown("**题**\n甲\n乙\n\n丙") == "#### 题  \n甲  \n乙\n\n丙");
        let b = body(&n, Some("【提醒】"), true);
        let text = b["markdown"]["text"].as_str().unwrap();
        assert!(
            text.len() <= LIMIT
                && text.contains("完整内容见邮件")
                && text.ends_with("@13800001111")
        );
    }

    #[test]
    fn classification_table() {
        let c = |body: &str| classify(&Reply::new(200, body), 0);
        assert!(c(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let t = c(r#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#);
        assert!(
            matches!(t, Err(SendError::Transient { retry_after: Some(d), .. }) if d == THROTTLE)
        );
        for bad in [
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
            r#"{"errcode":310000,"errmsg":"keywords not in content"}"#,
            r#"{"errcode":300005,"errmsg":"token is not exist"}"#,
            r#"{"errcode":400102,"errmsg":"robot stopped"}"#,
        ] {
            assert!(!c(bad).unwrap_err().is_transient(), "{bad}");
        }
        assert!(
            c(r#"{"errcode":-1,"errmsg":"busy"}"#)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            c(r#"{"errcode":310000,"errmsg":"sign not match"}"#)
                .unwrap_err()
                .to_string()
                .contains("signature")
        );
    }
}
