//! WeCom 企业微信 group robot: body builder and reply classification. Pure; touches nothing.
//!
//! Vendor doc: <https://developer.work.weixin.qq.com/document/path/91770> (群机器人配置说明);
//! error codes: <https://developer.work.weixin.qq.com/document/path/96213>.
//!
//! Message choice: `markdown` (≤ 4096 bytes of `content`), split at item boundaries into numbered
//! parts （1/3） when a grouped message is longer ([`super::split`]). The markdown payload has no
//! mention list and `<@userid>` needs WeCom user ids, which the plan does not have (only mobiles),
//! so when mentions are on and the notification has mobiles, one short `text` message (≤ 2048
//! bytes) with `mentioned_mobile_list` follows the parts: the vendor's supported way to @ by mobile
//! (doc 91770), without giving up the markdown.

use reqwest::Url;
use serde_json::json;

use super::reply::{self, Prepared, RATE_LIMIT_BACKOFF, Reply};
use super::split::split_parts;
use super::text::shorten;
use crate::notify::literal::chat_text;
use crate::notify::{Notification, Receipt, SendError};

/// Markdown `content` limit in UTF-8 bytes.
pub const MARKDOWN_LIMIT: usize = 4096;
/// Text `content` limit in UTF-8 bytes.
pub const TEXT_LIMIT: usize = 2048;

/// The JSON bodies for `n`, in sending order: one `markdown` body per part, then (mentions on and
/// mobiles known) a `text` body that @-mentions them by mobile.
pub fn bodies(n: &Notification, mention_mobiles: bool) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = split_parts(&n.markdown, MARKDOWN_LIMIT)
        .into_iter()
        .map(|content| json!({ "msgtype": "markdown", "markdown": { "content": content } }))
        .collect();
    if mention_mobiles && !n.recipients.mobiles.is_empty() {
        // The subject holds plan text: `<@userid>` in it must not mention anyone.
        let content = format!("请查收以上督办提醒：{}", chat_text(&n.subject));
        out.push(json!({
            "msgtype": "text",
            "text": {
                "content": shorten(&content, TEXT_LIMIT),
                "mentioned_mobile_list": n.recipients.mobiles,
            }
        }));
    }
    out
}

/// The requests, in sending order: `POST {base}/cgi-bin/webhook/send?key=KEY`, one per body.
///
/// # Errors
/// Permanent if the base URL does not parse.
pub fn prepare(
    base: &str,
    key: &str,
    n: &Notification,
    mention_mobiles: bool,
) -> Result<Vec<Prepared>, SendError> {
    let mut url = Url::parse(&format!("{base}/cgi-bin/webhook/send"))
        .map_err(|e| SendError::permanent(format!("wecom: bad base URL: {e}")))?;
    url.query_pairs_mut().append_pair("key", key);
    bodies(n, mention_mobiles)
        .iter()
        .map(|b| Prepared::json("wecom", url.clone(), b))
        .collect()
}

/// Classifies a WeCom reply. HTTP 200 is not success: `errcode` must be 0.
///
/// # Errors
/// Transient for busy (-1), rate limits (45009, 45033, or an errmsg mentioning "freq") and
/// HTTP 5xx/429; permanent for bad key (93000), over-long content (40058, 45002) and the rest.
pub fn classify(r: &Reply, now: i64) -> Result<Receipt, SendError> {
    if let Some(e) = reply::http_status_error(r, now) {
        return Err(e);
    }
    let (errcode, errmsg) = reply::errcode_reply("wecom", r)?;
    let msg = reply::excerpt(&errmsg);
    match errcode {
        0 => reply::ok_receipt("wecom", "errcode", &errmsg),
        -1 => Err(SendError::transient(format!(
            "wecom errcode -1 system busy: {msg}"
        ))),
        45009 | 45033 => Err(rate_limited(errcode, &msg)),
        _ if errmsg.contains("freq") => Err(rate_limited(errcode, &msg)),
        93000 => Err(SendError::permanent(format!(
            "wecom errcode 93000 invalid webhook key (bot deleted or key wrong; configure only the key, not the URL): {msg}"
        ))),
        40058 | 45002 => Err(SendError::permanent(format!(
            "wecom errcode {errcode} content invalid or too long: {msg}"
        ))),
        _ => Err(SendError::permanent(format!(
            "wecom errcode {errcode}: {msg}"
        ))),
    }
}

fn rate_limited(code: i64, msg: &str) -> SendError {
    SendError::Transient {
        message: format!("wecom errcode {code} rate limited: {msg}"),
        retry_after: Some(RATE_LIMIT_BACKOFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::webhook::test_support::notification;

    #[test]
    fn markdown_always_and_a_mention_text_only_with_mobiles() {
        let mut n = notification();
        n.recipients.mobiles.clear();
        let b = bodies(&n, true);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0]["msgtype"], "markdown");
        assert_eq!(b[0]["markdown"]["content"], n.markdown);
        let n = notification();
        let b = bodies(&n, true);
        assert_eq!(
            (b[0]["msgtype"].as_str(), b[1]["msgtype"].as_str()),
            (Some("markdown"), Some("text"))
        );
        assert_eq!(b[1]["text"]["mentioned_mobile_list"][0], "13800001111");
        assert_eq!(bodies(&n, false).len(), 1);
    }

    #[test]
    fn long_chinese_is_split_within_the_byte_limits() {
        let mut n = notification();
        n.markdown = (0..300)
            .map(|i| format!("**{i}.【红】食品安全督办事项**\n进展情况说明。"))
            .collect::<Vec<_>>()
            .join("\n\n");
        let b = bodies(&n, true);
        assert!(b.len() > 3);
        for part in &b[..b.len() - 1] {
            assert!(part["markdown"]["content"].as_str().unwrap().len() <= MARKDOWN_LIMIT);
        }
        assert!(b[b.len() - 1]["text"]["content"].as_str().unwrap().len() <= TEXT_LIMIT);
    }

    #[test]
    fn classification_table() {
        let c = |body: &str| classify(&Reply::new(200, body), 0);
        assert!(c(r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        let rl = c(r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#).unwrap_err();
        assert!(
            matches!(rl, SendError::Transient { retry_after: Some(d), .. } if d.as_secs() >= 60)
        );
        assert!(
            c(r#"{"errcode":45999,"errmsg":"freq limit"}"#)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            c(r#"{"errcode":-1,"errmsg":"busy"}"#)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            !c(r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            !c(r#"{"errcode":40058,"errmsg":"exceed max length 4096"}"#)
                .unwrap_err()
                .is_transient()
        );
        assert!(!c("<html>login</html>").unwrap_err().is_transient());
    }
}
