//! Shared pieces of a webhook send: the prepared request, the received reply, and the
//! vendor-neutral part of classifying it (redirects, 429 with `Retry-After`, 5xx, transport
//! errors). Pure except for reading a `reqwest::Error`; touches no network itself.

use std::time::Duration;

use reqwest::Url;

use crate::notify::{Receipt, SendError};

/// Minimum back-off after a vendor rate-limit answer: WeCom and Feishu count per minute.
pub const RATE_LIMIT_BACKOFF: Duration = Duration::from_secs(60);

/// A request ready to send: built by a flavour from a notification, no I/O yet. The URL holds
/// secrets, so it is never formatted into messages (no `Debug` on purpose).
pub struct Prepared {
    /// Full URL including secret query parameters or path.
    pub url: Url,
    /// Extra headers (`Content-Type: application/json` is always added by the sender).
    pub headers: Vec<(&'static str, String)>,
    /// The exact JSON body bytes (signatures cover these bytes).
    pub body: Vec<u8>,
}

impl Prepared {
    /// A request whose body is `value` as JSON and that needs no extra headers.
    ///
    /// # Errors
    /// Permanent when the value cannot be serialised (a bug, not a vendor problem).
    pub fn json(vendor: &str, url: Url, value: &serde_json::Value) -> Result<Prepared, SendError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| SendError::permanent(format!("{vendor}: body: {e}")))?;
        Ok(Prepared {
            url,
            headers: Vec::new(),
            body,
        })
    }
}

/// What came back from the server, reduced to what classification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The raw `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The response body (capped by the sender).
    pub body: Vec<u8>,
}

impl Reply {
    /// A reply with no `Retry-After` header (handy in tests).
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            retry_after: None,
            body: body.into(),
        }
    }
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay seconds, or an HTTP date compared with `now`
/// (Unix seconds of the attempt). A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is a subset of RFC 2822 with zone "GMT".
    let ts = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let secs = ts.as_second().saturating_sub(now).max(0);
    Some(Duration::from_secs(secs.unsigned_abs()))
}

/// The vendor-neutral verdict on HTTP status: `Some(error)` for redirects, 429, 5xx; `None` when
/// the body decides (2xx, and 4xx where the vendors still send a JSON error code).
pub fn http_status_error(reply: &Reply, now: i64) -> Option<SendError> {
    let status = reply.status;
    match status {
        300..=399 => Some(SendError::permanent(format!(
            "HTTP {status} redirect; redirects are not followed (check the base URL)"
        ))),
        429 => Some(SendError::Transient {
            message: "HTTP 429 too many requests".into(),
            retry_after: Some(
                reply
                    .retry_after
                    .as_deref()
                    .and_then(|v| parse_retry_after(v, now))
                    .unwrap_or(RATE_LIMIT_BACKOFF),
            ),
        }),
        408 => Some(SendError::transient("HTTP 408 request timeout")),
        500..=599 => Some(SendError::Transient {
            message: format!("HTTP {status} server error"),
            retry_after: reply
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now)),
        }),
        _ => None,
    }
}

/// The error for a body that is not the vendor's JSON.
///
/// Decision: on HTTP 200 this is **permanent**. A real vendor always answers JSON, so a non-JSON
/// 200 means the base URL points at something else (a proxy login page, a wrong host); retrying
/// cannot fix configuration, and if the message did get through, a retry would post it twice.
/// On a 4xx it is permanent for the usual reason.
pub fn unparseable(vendor: &str, reply: &Reply) -> SendError {
    SendError::permanent(format!(
        "{vendor}: HTTP {} with a body that is not the vendor's JSON reply ({} bytes)",
        reply.status,
        reply.body.len()
    ))
}

/// The `{"errcode": …, "errmsg": …}` reply shared by WeCom and DingTalk.
#[derive(serde::Deserialize)]
struct ErrcodeReply {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Reads `errcode` and `errmsg` from a WeCom or DingTalk reply body.
///
/// # Errors
/// [`unparseable`] when the body is not that JSON.
pub fn errcode_reply(vendor: &str, reply: &Reply) -> Result<(i64, String), SendError> {
    serde_json::from_slice::<ErrcodeReply>(&reply.body)
        .map(|r| (r.errcode, r.errmsg))
        .map_err(|_| unparseable(vendor, reply))
}

/// A short, single-line excerpt of a vendor `errmsg` (it may embed hints and IPs; never secrets,
/// but keep logs tidy).
pub fn excerpt(msg: &str) -> String {
    let one_line: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.chars().take(120).collect()
}

/// The receipt for a vendor "code 0" answer.
pub fn ok_receipt(vendor: &str, code_field: &str, msg: &str) -> Result<Receipt, SendError> {
    Ok(Receipt {
        detail: format!("{vendor} {code_field} 0 {}", excerpt(msg)),
    })
}

/// Classifies a transport failure. The URL (which carries secrets) is stripped first, and only
/// the error chain's messages are kept.
pub fn transport_error(err: reqwest::Error) -> SendError {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if err.is_builder() || err.is_redirect() {
        SendError::permanent(message)
    } else if err.is_timeout() {
        SendError::transient(format!("timed out: {message}"))
    } else {
        // Connection refused/reset, DNS, TLS handshake, body read: all worth retrying.
        SendError::transient(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        assert_eq!(
            parse_retry_after(" 120 ", 0),
            Some(Duration::from_secs(120))
        );
        // 1994-11-06T08:49:37Z = 784111777
        let now = 784_111_777 - 90;
        let d = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        assert_eq!(d, Some(Duration::from_secs(90)));
        let past = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 1000);
        assert_eq!(past, Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn status_classes() {
        let redirect = http_status_error(&Reply::new(302, ""), 0).unwrap();
        assert!(!redirect.is_transient());
        assert!(redirect.to_string().contains("redirects are not followed"));
        let mut r = Reply::new(429, "");
        r.retry_after = Some("7".into());
        assert_eq!(
            http_status_error(&r, 0),
            Some(SendError::Transient {
                message: "HTTP 429 too many requests".into(),
                retry_after: Some(Duration::from_secs(7))
            })
        );
        assert!(
            http_status_error(&Reply::new(503, ""), 0)
                .unwrap()
                .is_transient()
        );
        assert!(http_status_error(&Reply::new(200, ""), 0).is_none());
        assert!(http_status_error(&Reply::new(400, ""), 0).is_none());
    }
}
