//! Webhook channel configuration: which vendor, where, and the secret parts, with redacted `Debug`.
//!
//! Pure data built by the catalog after it resolves secrets. Touches nothing.

use std::fmt;
use std::time::Duration;

/// A secret string (webhook key, token, signing secret, secret URL). `Debug` and `Display` print
/// `***`, so a secret cannot leak through logs or error formatting by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where it goes on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

/// The vendor of a chat bot and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavour {
    /// WeCom 企业微信 group robot; the `key` query parameter is the whole credential.
    Wecom {
        /// The robot key (the `key=` part of the webhook URL, not the whole URL).
        key: Secret,
    },
    /// DingTalk 钉钉 custom robot.
    Dingtalk {
        /// The `access_token` of the robot URL.
        access_token: Secret,
        /// The 加签 secret (`SEC…`), when signing is enabled.
        secret: Option<Secret>,
        /// A 自定义关键词 to put in every message, e.g. `【平罗县提醒】`.
        keyword: Option<String>,
    },
    /// Feishu 飞书 / Lark custom bot.
    Feishu {
        /// The hook id at the end of `/open-apis/bot/v2/hook/<hook_id>`.
        hook_id: Secret,
        /// The 签名校验 secret, when enabled.
        secret: Option<Secret>,
        /// A keyword to put in every message title.
        keyword: Option<String>,
    },
    /// A generic JSON receiver signed per Standard Webhooks.
    Generic {
        /// The full receiver URL (treated as secret: it may embed tokens).
        url: Secret,
        /// The `whsec_<base64>` signing secret; `None` sends unsigned.
        secret: Option<Secret>,
    },
}

impl Flavour {
    /// Short lower-case vendor name for logs and receipts.
    pub fn name(&self) -> &'static str {
        match self {
            Flavour::Wecom { .. } => "wecom",
            Flavour::Dingtalk { .. } => "dingtalk",
            Flavour::Feishu { .. } => "feishu",
            Flavour::Generic { .. } => "generic",
        }
    }

    /// The public vendor base URL (scheme and host) used when the target does not override it.
    pub fn default_base_url(&self) -> &'static str {
        match self {
            // https://developer.work.weixin.qq.com/document/path/91770
            Flavour::Wecom { .. } => "https://qyapi.weixin.qq.com",
            // https://developer.alibaba.com/doc2/apiDetail.htm?apiId=37246
            Flavour::Dingtalk { .. } => "https://oapi.dingtalk.com",
            // https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
            Flavour::Feishu { .. } => "https://open.feishu.cn",
            Flavour::Generic { .. } => "",
        }
    }

    /// Every secret value of this flavour (used to scrub error messages defensively).
    pub fn secrets(&self) -> Vec<&str> {
        let all: Vec<&Secret> = match self {
            Flavour::Wecom { key } => vec![key],
            Flavour::Dingtalk {
                access_token,
                secret,
                ..
            } => std::iter::once(access_token).chain(secret).collect(),
            Flavour::Feishu {
                hook_id, secret, ..
            } => std::iter::once(hook_id).chain(secret).collect(),
            Flavour::Generic { url, secret } => std::iter::once(url).chain(secret).collect(),
        };
        all.into_iter()
            .map(Secret::expose)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// A configuration problem found when building a channel (messages never contain secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookConfigError {
    /// The base URL or generic URL does not parse as an absolute http(s) URL.
    #[error("webhook channel {id}: invalid URL ({reason})")]
    BadUrl {
        /// Channel id.
        id: String,
        /// Parser message (no URL in it).
        reason: String,
    },
    /// A required credential is empty.
    #[error("webhook channel {id}: {what} is empty")]
    Empty {
        /// Channel id.
        id: String,
        /// Which credential.
        what: &'static str,
    },
    /// The generic secret is not `whsec_<base64>`.
    #[error("webhook channel {id}: signing secret is not whsec_<base64>")]
    BadWhsec {
        /// Channel id.
        id: String,
    },
}

/// One configured chat-bot channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// Channel id from the config, e.g. `wecom-food`.
    pub id: String,
    /// Vendor and credentials.
    pub flavour: Flavour,
    /// Base URL (scheme, host, optional path prefix) replacing the vendor default: for tests,
    /// 政务微信 / private deployments, or Lark (`https://open.larksuite.com`). Ignored for
    /// [`Flavour::Generic`], whose URL is complete.
    pub base_url: Option<String>,
    /// @-mention `Recipients::mobiles` where the vendor supports it (WeCom text, DingTalk).
    pub mention_mobiles: bool,
    /// Upper bound of a random delay before each send (Feishu, DingTalk), so reminders scheduled
    /// at 09:00 do not all hit the vendor in the same second. Zero disables it.
    pub jitter_max: Duration,
}

impl WebhookTarget {
    /// A target with the vendor default base URL, mentions on, and the default jitter (2 s for
    /// Feishu and DingTalk, none otherwise).
    pub fn new(id: impl Into<String>, flavour: Flavour) -> Self {
        let jitter_max = match flavour {
            Flavour::Dingtalk { .. } | Flavour::Feishu { .. } => Duration::from_secs(2),
            _ => Duration::ZERO,
        };
        WebhookTarget {
            id: id.into(),
            flavour,
            base_url: None,
            mention_mobiles: true,
            jitter_max,
        }
    }

    /// The base URL in effect (override or vendor default), without a trailing slash.
    pub fn base(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or(self.flavour.default_base_url())
            .trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        let t = WebhookTarget::new(
            "ding",
            Flavour::Dingtalk {
                access_token: "tok-abc123".into(),
                secret: Some("SECxyz789".into()),
                keyword: Some("【提醒】".into()),
            },
        );
        let dbg = format!("{t:?}");
        assert!(
            !dbg.contains("tok-abc123") && !dbg.contains("SECxyz789"),
            "{dbg}"
        );
        assert!(dbg.contains("【提醒】") && dbg.contains("***"));
        assert_eq!(t.flavour.secrets(), vec!["tok-abc123", "SECxyz789"]);
    }

    #[test]
    fn base_url_override_and_default() {
        let mut t = WebhookTarget::new("w", Flavour::Wecom { key: "k".into() });
        assert_eq!(t.base(), "https://qyapi.weixin.qq.com");
        t.base_url = Some("http://127.0.0.1:9/x/".into());
        assert_eq!(t.base(), "http://127.0.0.1:9/x");
        assert_eq!(t.jitter_max, Duration::ZERO);
    }
}
