//! Generic JSON webhook signed per Standard Webhooks v1. Pure.
//!
//! Spec: <https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>
//! Headers `webhook-id` (the notification id, stable across retries so receivers can
//! deduplicate), `webhook-timestamp` (Unix seconds of this attempt) and
//! `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{ts}.{body}")>` keyed with the base64-decoded
//! part of the `whsec_` secret.

use base64::Engine;
use reqwest::Url;
use serde_json::json;

use super::hmac_sha256;
use super::reply::{self, Prepared, Reply};
use crate::notify::{Notification, Receipt, SendError};

/// Decodes a `whsec_<base64>` secret into the HMAC key. Returns `None` if it is malformed
/// (the `whsec_` prefix is optional, as in the reference libraries).
pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// The `webhook-id` header value for a notification id: the id itself when it is visible
/// ASCII, otherwise with every other byte (and `%`) percent-encoded. Header values cannot
/// portably carry UTF-8, and our ids contain Chinese unit names; the result is still stable
/// across retries and decodes back to the id.
pub fn webhook_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut content = format!("{id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let mac = hmac_sha256(key, &content);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    )
}

/// The JSON body: `{"type":"reminder.<kind>","timestamp":RFC3339,"data":{…}}`, where `data` is
/// the notification's structured data plus `id`, `subject`, `text` and `colour`.
///
/// # Errors
/// Permanent if `now` is outside the representable time range.
pub fn body(n: &Notification, now: i64) -> Result<serde_json::Value, SendError> {
    let ts = jiff::Timestamp::from_second(now)
        .map_err(|e| SendError::permanent(format!("generic: bad attempt time: {e}")))?;
    let kind = serde_json::to_value(n.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut data = match &n.data {
        serde_json::Value::Object(m) => m.clone(),
        serde_json::Value::Null => serde_json::Map::new(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("fields".into(), other.clone());
            m
        }
    };
    data.insert("id".into(), json!(n.id));
    data.insert("subject".into(), json!(n.subject));
    data.insert("text".into(), json!(n.text));
    data.insert("colour".into(), json!(n.colour));
    Ok(json!({ "type": format!("reminder.{kind}"), "timestamp": ts.to_string(), "data": data }))
}

/// The request to `url` with Standard Webhooks headers; signed when `key` is given.
///
/// # Errors
/// Permanent if the URL does not parse or the time is out of range.
pub fn prepare(
    url: &str,
    key: Option<&[u8]>,
    n: &Notification,
    now: i64,
) -> Result<Prepared, SendError> {
    let url =
        Url::parse(url).map_err(|e| SendError::permanent(format!("generic: bad URL: {e}")))?;
    let body = serde_json::to_vec(&body(n, now)?)
        .map_err(|e| SendError::permanent(format!("generic: body: {e}")))?;
    // The signature covers the id exactly as sent in the header, which is what receivers use.
    let id = webhook_id(&n.id);
    let mut headers = vec![("webhook-timestamp", now.to_string())];
    if let Some(key) = key {
        headers.push(("webhook-signature", sign(key, &id, now, &body)));
    }
    headers.insert(0, ("webhook-id", id));
    Ok(Prepared { url, headers, body })
}

/// Classifies a generic receiver's reply: any 2xx is success.
///
/// # Errors
/// Transient for 5xx, 408 and 429 (honouring `Retry-After`); permanent for redirects and other
/// statuses.
pub fn classify(r: &Reply, now: i64) -> Result<Receipt, SendError> {
    if let Some(e) = reply::http_status_error(r, now) {
        return Err(e);
    }
    match r.status {
        200..=299 => Ok(Receipt {
            detail: format!("generic HTTP {}", r.status),
        }),
        s => Err(SendError::permanent(format!("generic: HTTP {s} rejected"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::webhook::test_support::notification;

    #[test]
    fn standard_webhooks_spec_vector() {
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(decode_secret("whsec_not base64!").is_none());
        assert_eq!(
            webhook_id("msg_p5jXN8AQM9LWM0D4loKWxJek"),
            "msg_p5jXN8AQM9LWM0D4loKWxJek"
        );
        assert_eq!(webhook_id("a b%c"), "a%20b%25c");
    }

    #[test]
    fn body_and_headers() {
        let n = notification();
        let p = prepare("http://127.0.0.1:1/hook", Some(b"k"), &n, 1_780_275_600).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
        assert_eq!(b["type"], "reminder.due_today");
        assert_eq!(b["timestamp"], "2026-06-01T01:00:00Z");
        assert_eq!(b["data"]["id"], n.id);
        assert_eq!(b["data"]["task"], "T07");
        assert_eq!(b["data"]["colour"], "yellow");
        let id = "T07/2026-06-30/due/%E9%A3%9F%E5%93%81%E5%AE%A4/wecom";
        assert_eq!(p.headers[0], ("webhook-id", id.to_owned()));
        assert_eq!(p.headers[2].1, sign(b"k", id, 1_780_275_600, &p.body));
    }

    #[test]
    fn classification() {
        assert!(classify(&Reply::new(204, ""), 0).is_ok());
        assert!(
            classify(&Reply::new(502, ""), 0)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            !classify(&Reply::new(404, ""), 0)
                .unwrap_err()
                .is_transient()
        );
    }
}
