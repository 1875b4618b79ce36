//! Chat webhook channels: WeCom 企业微信, DingTalk 钉钉, Feishu 飞书 and generic signed JSON.
//!
//! May touch: the network, one HTTP POST per send through a shared `reqwest::Client`. Must not
//! touch: the wall clock (signatures use [`Notification::attempt_at`] plus the monotonic time
//! spent waiting for a rate-limit slot), SQL, retry decisions. Body building, signing and reply
//! classification are pure functions in the vendor files; this file is the thin I/O shell:
//! jitter → rate-limit slot → build → POST → read reply → classify → scrub secrets.

use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::time::Instant;

use super::{Channel, MessageKind, Notification, Receipt, SendError, SendFuture};

mod client;
pub mod dingtalk;
pub mod feishu;
mod feishu_card;
pub mod generic;
pub mod limiter;
pub mod parts;
pub mod reply;
pub mod split;
mod target;
pub mod text;
pub mod wecom;

pub use client::{HttpTimeouts, http_client, http_client_with};
pub use limiter::{Limit, RateLimiter};
pub use reply::{Prepared, Reply};
pub use target::{Flavour, Secret, WebhookConfigError, WebhookTarget};

/// Largest reply body read; vendor replies are tiny JSON, anything bigger is not theirs.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// HMAC-SHA256 of `msg` under `key` (any key length is valid for HMAC).
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// A chat-bot channel: one [`WebhookTarget`] sent through a shared client.
pub struct WebhookChannel {
    target: WebhookTarget,
    client: reqwest::Client,
    limiter: Mutex<RateLimiter>,
    /// This bot's bucket in a shared store ([`limiter::install_shared`]): a hash, never the key.
    bucket: String,
    /// Decoded `whsec_` key for generic targets.
    generic_key: Option<Vec<u8>>,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl WebhookChannel {
    /// Validates `target` (URLs parse, credentials present, `whsec_` decodes) and builds the
    /// channel with the vendor's rate limits.
    ///
    /// # Errors
    /// [`WebhookConfigError`] for a bad URL, an empty credential or a malformed `whsec_` secret.
    pub fn new(target: WebhookTarget, client: reqwest::Client) -> Result<Self, WebhookConfigError> {
        let id = target.id.clone();
        let (url, cred, what) = match &target.flavour {
            Flavour::Wecom { key } => (target.base().to_owned(), key, "key"),
            Flavour::Dingtalk { access_token, .. } => {
                (target.base().to_owned(), access_token, "access_token")
            }
            Flavour::Feishu { hook_id, .. } => (target.base().to_owned(), hook_id, "hook_id"),
            Flavour::Generic { url, .. } => (url.expose().to_owned(), url, "url"),
        };
        if cred.expose().trim().is_empty() {
            return Err(WebhookConfigError::Empty { id, what });
        }
        match reqwest::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(_) => {
                return Err(WebhookConfigError::BadUrl {
                    id,
                    reason: "not http(s)".into(),
                });
            }
            Err(e) => {
                return Err(WebhookConfigError::BadUrl {
                    id,
                    reason: e.to_string(),
                });
            }
        }
        let bucket = crate::store::bucket_key(&target.id, &format!("{url}\n{}", cred.expose()));
        let generic_key = match &target.flavour {
            Flavour::Generic {
                secret: Some(s), ..
            } => Some(
                generic::decode_secret(s.expose()).ok_or(WebhookConfigError::BadWhsec { id })?,
            ),
            _ => None,
        };
        let limiter = Mutex::new(RateLimiter::for_flavour(&target.flavour));
        Ok(WebhookChannel {
            target,
            client,
            limiter,
            bucket,
            generic_key,
        })
    }

    /// The configured target.
    pub fn target(&self) -> &WebhookTarget {
        &self.target
    }

    /// Builds the requests for `n` at Unix time `now`, in sending order (pure): one, or several
    /// when a long grouped message is split into numbered parts or a mention follows it (WeCom).
    ///
    /// # Errors
    /// Permanent if a URL or the time cannot be represented.
    pub fn prepare(&self, n: &Notification, now: i64) -> Result<Vec<Prepared>, SendError> {
        let base = self.target.base();
        let mention = self.target.mention_mobiles;
        let expose = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned());
        match &self.target.flavour {
            Flavour::Wecom { key } => wecom::prepare(base, key.expose(), n, mention),
            Flavour::Dingtalk {
                access_token,
                secret,
                keyword,
            } => dingtalk::prepare(
                base,
                access_token.expose(),
                expose(secret).as_deref(),
                keyword.as_deref(),
                n,
                mention,
                now,
            )
            .map(|p| vec![p]),
            Flavour::Feishu {
                hook_id,
                secret,
                keyword,
            } => feishu::prepare(
                base,
                hook_id.expose(),
                expose(secret).as_deref(),
                keyword.as_deref(),
                n,
                now,
            ),
            Flavour::Generic { url, .. } => {
                generic::prepare(url.expose(), self.generic_key.as_deref(), n, now).map(|p| vec![p])
            }
        }
    }

    /// Classifies a reply for this target's vendor (pure).
    ///
    /// # Errors
    /// The classified [`SendError`].
    pub fn classify(&self, r: &Reply, now: i64) -> Result<Receipt, SendError> {
        match self.target.flavour {
            Flavour::Wecom { .. } => wecom::classify(r, now),
            Flavour::Dingtalk { .. } => dingtalk::classify(r, now),
            Flavour::Feishu { .. } => feishu::classify(r, now),
            Flavour::Generic { .. } => generic::classify(r, now),
        }
    }

    /// Waits for jitter (`jitter`: the first request of a message) and a rate-limit slot;
    /// returns how long that took.
    async fn wait_turn(&self, kind: MessageKind, jitter: bool) -> Duration {
        let start = Instant::now();
        let max = self.target.jitter_max;
        // `send-test` is interactive: no jitter there.
        if jitter && !max.is_zero() && kind != MessageKind::Test {
            let ms = fastrand::u64(0..=max.as_millis().try_into().unwrap_or(u64::MAX));
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        // Replicas sharing a store share each bot's limit (issue 16). If the store cannot be
        // reached the send is not held up: this process's own limiter takes over (the bot may
        // then see more than its limit from all replicas together until the store answers).
        let limits = self
            .limiter
            .lock()
            .map(|l| l.limits().to_vec())
            .unwrap_or_default();
        if let (Some(shared), false) = (limiter::shared(), limits.is_empty()) {
            match shared.reserve(&self.bucket, &limits).await {
                Ok(wait) => {
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return start.elapsed();
                }
                Err(e) => {
                    tracing::warn!(channel = %self.target.id, error = %e, "shared rate limit unavailable; using this process's own")
                }
            }
        }
        let now = Instant::now();
        let slot = {
            let mut rl = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
            rl.reserve(now)
        };
        // Only wait for a slot in the future: tokio rounds any sleep up to its next 1 ms tick.
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        start.elapsed()
    }

    /// Sends the requests of `n` in order, leaving out the parts whose fingerprints are in
    /// `already` (delivered by an earlier attempt, see [`parts`]). A failing part fails the
    /// message; its error then ends with the marker of every part delivered so far, so the
    /// retry sends only the rest (at-least-once: a part may arrive twice after a crash, never go
    /// missing).
    async fn send_inner(&self, n: &Notification, already: &[String]) -> Result<Receipt, SendError> {
        // Fingerprints of the bodies as built for a fixed instant: the signature timestamp
        // changes between attempts, the content does not.
        let prints: Vec<String> = self
            .prepare(n, 0)?
            .iter()
            .map(|p| parts::fingerprint(&p.body))
            .collect();
        let count = prints.len();
        let mut waited = Duration::ZERO;
        let mut details = Vec::with_capacity(count);
        let mut sent: Vec<String> = Vec::new();
        let mut first = true;
        for (part, print) in prints.iter().enumerate() {
            if count > 1 && already.contains(print) {
                details.push("sent earlier".to_owned());
                sent.push(print.clone());
                continue;
            }
            // Jitter before the first request this attempt makes, not before every part.
            waited += self.wait_turn(n.kind, first).await;
            first = false;
            // The signature timestamp must be the moment of sending, not of the dispatch decision.
            let now = n
                .attempt_at
                .saturating_add(i64::try_from(waited.as_secs()).unwrap_or(0));
            let p = self
                .prepare(n, now)?
                .into_iter()
                .nth(part)
                .ok_or_else(|| SendError::permanent("message parts changed while sending"))?;
            match self.post(p, now).await {
                Ok(receipt) => {
                    details.push(receipt.detail);
                    sent.push(print.clone());
                }
                Err(e) if count > 1 => return Err(parts::failed_part(e, part, count, &sent)),
                Err(e) => return Err(e),
            }
        }
        let detail = if count > 1 {
            format!("{count} parts: {}", details.join("; "))
        } else {
            details.pop().unwrap_or_default()
        };
        Ok(Receipt { detail })
    }

    async fn post(&self, p: Prepared, now: i64) -> Result<Receipt, SendError> {
        let mut req = self
            .client
            .post(p.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(p.body);
        for (name, value) in p.headers {
            req = req.header(name, value);
        }
        let mut resp = req.send().await.map_err(reply::transport_error)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(reply::transport_error)? {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_REPLY_BYTES {
                break;
            }
        }
        self.classify(
            &Reply {
                status,
                retry_after,
                body,
            },
            now,
        )
    }

    /// Replaces any secret of this target in `message` (defence in depth: vendor errmsgs or
    /// library errors should never echo them, but a leak would be permanent in logs).
    fn scrub(&self, message: String) -> String {
        self.target
            .flavour
            .secrets()
            .into_iter()
            .fold(message, |m, s| m.replace(s, "***"))
    }
}

impl Channel for WebhookChannel {
    fn id(&self) -> &str {
        &self.target.id
    }

    fn send<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        self.send_rest(n, &[])
    }

    fn send_rest<'a>(&'a self, n: &'a Notification, sent: &'a [String]) -> SendFuture<'a> {
        Box::pin(async move {
            self.send_inner(n, sent).await.map_err(|e| match e {
                SendError::Transient {
                    message,
                    retry_after,
                } => SendError::Transient {
                    message: format!("{}: {}", self.target.id, self.scrub(message)),
                    retry_after,
                },
                SendError::Permanent { message } => SendError::Permanent {
                    message: format!("{}: {}", self.target.id, self.scrub(message)),
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(flavour: Flavour, base: Option<&str>) -> Result<WebhookChannel, WebhookConfigError> {
        let mut t = WebhookTarget::new("bot", flavour);
        t.base_url = base.map(str::to_owned);
        WebhookChannel::new(t, reqwest::Client::new())
    }

    #[test]
    fn new_validates_without_leaking_secrets() {
        crate::tls::install_default();
        let empty = build(Flavour::Wecom { key: " ".into() }, None).unwrap_err();
        assert!(matches!(
            empty,
            WebhookConfigError::Empty { what: "key", .. }
        ));
        let bad = build(
            Flavour::Wecom {
                key: "k-secret-1".into(),
            },
            Some("ftp://x"),
        )
        .unwrap_err();
        assert!(matches!(bad, WebhookConfigError::BadUrl { .. }));
        let url = "https://hooks.example.org/t0ken-secret";
        let whsec = Flavour::Generic {
            url: url.into(),
            secret: Some("whsec_!!".into()),
        };
        let e = build(whsec, None).unwrap_err();
        assert_eq!(e, WebhookConfigError::BadWhsec { id: "bot".into() });
        let no_url = Flavour::Generic {
            url: "t0ken-secret".into(),
            secret: None,
        };
        let e = build(no_url, None).unwrap_err().to_string();
        assert!(!e.contains("t0ken-secret"), "{e}");
        let ok = build(
            Flavour::Wecom {
                key: "k-secret-1".into(),
            },
            None,
        )
        .unwrap();
        assert!(!format!("{ok:?}").contains("k-secret-1"));
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::notify::{Colour, MessageKind, Notification, Recipients};

    /// A due-today reminder for task T07 with one mobile to mention.
    pub fn notification() -> Notification {
        Notification {
            id: "T07/2026-06-30/due/食品室/wecom".into(),
            thread: "T07/2026-06-30".into(),
            kind: MessageKind::DueToday,
            colour: Colour::Yellow,
            subject: "【今日到期】T07 年度食品安全报告".into(),
            text: "任务 T07 今日到期。\n请及时报送。".into(),
            html: None,
            markdown: "#### T07 今日到期\n> 请及时报送。".into(),
            recipients: Recipients {
                mobiles: vec!["13800001111".into()],
                ..Recipients::default()
            },
            data: serde_json::json!({ "task": "T07" }),
            attempt_at: 1_780_275_600,
        }
    }
}
