//! Channels: one send of one rendered [`Notification`] over email, a chat webhook or the file channel.
//!
//! May touch: the network (one send), the file system (file channel). Must not touch: SQL, the
//! clock (a send that needs a timestamp, e.g. a webhook signature, gets `now` from the caller via
//! [`Notification::attempt_at`]), retry decisions (it only classifies failures as
//! [`SendError::Transient`] or [`SendError::Permanent`]; `dispatch` decides what to do).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod build;
pub mod email;
pub mod file;
pub mod literal;
pub mod secret;
pub mod webhook;

/// What a message is about; decides the template and the wording of the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A campaign window opens (开展专项整治).
    CampaignOpening,
    /// A lead-time reminder before a due date.
    Lead,
    /// The due date is today.
    DueToday,
    /// Overdue repeat.
    Overdue,
    /// Overdue with escalation to the head / leadership.
    Escalation,
    /// Periodic progress check-in for an ongoing (长期坚持) task.
    Checkin,
    /// Weekly digest.
    Digest,
    /// The office's answer to a unit's request from the web page (办结 returned: 退办; 延期 not
    /// granted), sent at once.
    Decision,
    /// Operator alert (dead letters, configuration trouble).
    OperatorAlert,
    /// `dutybell send-test`.
    Test,
}

/// Colour state shown in messages, digests and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// 蓝: upcoming.
    Blue,
    /// 黄: due soon or behind.
    Yellow,
    /// 红: overdue.
    Red,
}

impl Colour {
    /// The Chinese name used in messages.
    pub fn zh(self) -> &'static str {
        match self {
            Colour::Blue => "蓝",
            Colour::Yellow => "黄",
            Colour::Red => "红",
        }
    }
}

/// A mailbox: optional display name and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// Display name (Chinese allowed), e.g. 食品室.
    pub name: Option<String>,
    /// Address, e.g. `food@example.org`.
    pub email: String,
}

/// Who a notification is for, as far as the channel can use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipients {
    /// Email `To`.
    pub to: Vec<Mailbox>,
    /// Email `Cc` (cooperating units, heads and leadership on escalation).
    pub cc: Vec<Mailbox>,
    /// Mobile numbers to @-mention in chat groups (WeCom `mentioned_mobile_list`, DingTalk `atMobiles`).
    pub mobiles: Vec<String>,
    /// Email `Reply-To`: the 督办 office's mailbox (`settings.reply_to`), so "reply to this email"
    /// reaches the office and not the sending robot. Absent in snapshots of older versions.
    #[serde(default)]
    pub reply_to: Option<Mailbox>,
}

/// A rendered, channel-neutral message: everything a channel needs to send, nothing it must compute.
///
/// This is what the outbox stores as the message snapshot (as JSON), so a retry after a restart
/// sends exactly what was planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable identity of the reminder (the outbox dedupe key). Email uses it for `Message-ID`,
    /// generic webhooks for `webhook-id`; a retry reuses it.
    pub id: String,
    /// Thread key: every message about one occurrence of one task shares it (email
    /// `In-Reply-To`/`References`).
    pub thread: String,
    /// What the message is about.
    pub kind: MessageKind,
    /// Colour state at render time.
    pub colour: Colour,
    /// Subject line (zh-CN).
    pub subject: String,
    /// Plain-text body (zh-CN).
    pub text: String,
    /// HTML body for email (zh-CN); `None` sends text only.
    pub html: Option<String>,
    /// Markdown for chat (zh-CN), already within the generic limits; flavours may shorten further.
    pub markdown: String,
    /// Recipients.
    pub recipients: Recipients,
    /// Structured fields for machine receivers (generic webhook `data`): task, occurrence, stage,
    /// colour, due, units, links.
    pub data: serde_json::Value,
    /// Unix seconds of this attempt, set by the dispatcher from the clock (webhook signatures and
    /// the `Date` header need it; channels never read the clock).
    pub attempt_at: i64,
}

/// What a successful send returns (for logs and `send-test`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// A short description of the vendor's answer, e.g. `250 2.0.0 Ok` or `errcode 0 ok`.
    pub detail: String,
}

/// Why a send failed, classified for the retry policy. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: connection failures, timeouts, 4xx SMTP replies, HTTP 5xx, vendor rate limits.
    #[error("transient: {message}")]
    Transient {
        /// What happened (no secrets).
        message: String,
        /// The earliest sensible retry (e.g. from `Retry-After` or a vendor throttle).
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help: rejected recipient, bad key or signature, malformed content.
    #[error("permanent: {message}")]
    Permanent {
        /// What happened (no secrets).
        message: String,
    },
}

impl SendError {
    /// A transient error without a retry hint.
    pub fn transient(message: impl Into<String>) -> Self {
        SendError::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A permanent error.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError::Permanent {
            message: message.into(),
        }
    }

    /// True for [`SendError::Transient`].
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }
}

/// Boxed future returned by [`Channel::send`] (keeps the trait object-safe without async-trait).
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Receipt, SendError>> + Send + 'a>>;

/// One configured way out: the file channel, an SMTP relay, or a chat bot.
pub trait Channel: Send + Sync {
    /// The channel id from the config (`file`, `smtp`, `wecom-food`, …).
    fn id(&self) -> &str;
    /// How many sends may be in flight at once on this channel.
    fn concurrency(&self) -> usize {
        4
    }
    /// Send one notification. Implementations apply their own vendor rate limits (waiting, not
    /// failing) and classify every failure.
    fn send<'a>(&'a self, n: &'a Notification) -> SendFuture<'a>;
    /// Send `n` leaving out the parts of a split chat message an earlier attempt delivered
    /// (`sent`: their fingerprints, read back from the row's last error, see
    /// `webhook::parts`). Channels that send one request per message ignore `sent`.
    fn send_rest<'a>(&'a self, n: &'a Notification, sent: &'a [String]) -> SendFuture<'a> {
        let _ = sent;
        self.send(n)
    }
}
