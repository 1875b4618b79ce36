//! `settings:` and `web:` of the main config: the time zone, state, store, budgets, downtime,
//! escalation ladders, digests, and the web pages' keys and users.

use serde::Deserialize;

use super::{LStr, Located, OneOrMany, RawSecret};

/// `settings:` in the main config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// IANA time zone, default `Asia/Shanghai`.
    pub timezone: Option<LStr>,
    /// State directory (database, file channel output).
    pub state_dir: Option<LStr>,
    /// Database file, relative to the state directory.
    pub database: Option<LStr>,
    /// Store URL (`sqlite://…` or `postgres://user@host:port/db?sslmode=…`); default `sqlite://`
    /// plus `database`. Never a password: that comes from the environment.
    pub store: Option<LStr>,
    /// Plan files or directories, relative to the config file.
    #[serde(default)]
    pub plan: Vec<LStr>,
    /// Extra calendar files or directories (holiday-cn JSON).
    #[serde(default)]
    pub calendar: Vec<LStr>,
    /// Regional overlays of the embedded calendar to apply (e.g. `[ningxia]`); none by default.
    #[serde(default)]
    pub calendar_regions: Vec<LStr>,
    /// Channel used when a reminder's own channel is disabled.
    pub fallback_channel: Option<LStr>,
    /// Channel for dead letters and operator alerts.
    pub operator_channel: Option<LStr>,
    /// Group added on escalation.
    pub leadership_group: Option<LStr>,
    /// Unit (or group) that tracks rows without a named unit or with a vague list (id, name or
    /// alias).
    pub default_unit: Option<LStr>,
    /// How far ahead reminders are materialised, in days.
    pub horizon_days: Option<Located<u32>>,
    /// Default check-in cadence for ongoing tasks.
    pub checkin: Option<LStr>,
    /// `inform` or `digest_only`.
    pub cooperating: Option<LStr>,
    /// Downtime catch-up policy.
    pub downtime: Option<RawDowntime>,
    /// Default reminder ladder.
    pub reminders: Option<RawLadder>,
    /// Digest schedules.
    #[serde(default)]
    pub digest: Vec<RawDigest>,
    /// Directory with template overrides, relative to the config file.
    pub templates: Option<LStr>,
    /// Public link shown in messages for reporting progress (optional).
    pub progress_url: Option<LStr>,
    /// The admin's address for operator alerts sent over an email channel (optional).
    pub operator_email: Option<LStr>,
    /// Who recipients answer to, one line (office, person, phone), shown in every reminder (issue 12).
    pub contact: Option<LStr>,
    /// `Reply-To` of reminder emails: the 督办 office's mailbox (issue 12, optional).
    pub reply_to: Option<LStr>,
    /// Unit that coordinates tasks led by other bureaus or townships (e.g. the 县食安办); their
    /// escalations go to it instead of the bureau's leaders (issue 12, optional).
    pub coordinator: Option<LStr>,
    /// Reminder messages per working day per recipient and channel (issue 12, optional).
    pub volume_budget: Option<RawBudget>,
    /// Between reminders, hand over to the small sleeper process (default true; SQLite only).
    pub sleep_when_idle: Option<bool>,
}

/// `settings.volume_budget`: how many reminder messages (digests aside) one recipient may get on
/// one channel in one working day before `check` and `plan` warn.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    /// Default for every recipient (1 when absent).
    pub per_day: Option<Located<u32>>,
    /// Overrides, by recipient id (`food`, `food#head`, a group id).
    #[serde(default)]
    pub recipients: Vec<RawBudgetEntry>,
}

/// One `volume_budget.recipients` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudgetEntry {
    /// Recipient id.
    pub recipient: LStr,
    /// Messages per working day and channel.
    pub per_day: Located<u32>,
}

/// `settings.downtime`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDowntime {
    /// `late` | `skip` | `all`.
    pub default: Option<LStr>,
    /// Older than this are skipped under `skip` (and under `late`).
    pub grace: Option<LStr>,
    /// Per message kind override, e.g. `checkin: skip`.
    #[serde(default)]
    pub per_kind: Vec<RawKindPolicy>,
}

/// One `per_kind` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKindPolicy {
    /// Message kind (`lead`, `due_today`, `overdue`, `escalation`, `checkin`, `campaign_opening`, `digest`).
    pub kind: LStr,
    /// `late` | `skip` | `all`.
    pub policy: LStr,
}

/// A reminder ladder (settings default, or a task/rule override with only some keys).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLadder {
    /// Time of day, `"09:00"`.
    pub time: Option<LStr>,
    /// Lead offsets, `[14d, 3wd, 0d]`.
    pub before: Option<Vec<LStr>>,
    /// Repeat while overdue, `3wd`.
    pub overdue_every: Option<LStr>,
    /// Escalate after this long overdue, `5wd`.
    pub escalate_after: Option<LStr>,
    /// `head` and/or group ids.
    pub escalate_to: Option<Vec<LStr>>,
    /// Allow reminders on non-working days.
    pub on_non_working_days: Option<bool>,
    /// `inform` | `digest_only` for cooperating units.
    pub cooperating: Option<LStr>,
}

/// `reminders:` on a task or rule: a ladder override, or `none` (digest only).
#[derive(Debug, Clone)]
pub enum RawLadderOrNone {
    /// Tracked and shown in digests, never pushed.
    None,
    /// Override some keys of the ladder.
    Ladder(Box<RawLadder>),
}

impl<'de> Deserialize<'de> for RawLadderOrNone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawLadderOrNone;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`none` or a mapping of ladder keys (time, before, overdue_every, …)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                match s {
                    "none" => Ok(RawLadderOrNone::None),
                    _ => Err(E::custom(format!(
                        "expected `none` or a mapping, found `{s}`"
                    ))),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                RawLadder::deserialize(serde::de::value::MapAccessDeserializer::new(a))
                    .map(|l| RawLadderOrNone::Ladder(Box::new(l)))
            }
        }
        d.deserialize_any(V)
    }
}

/// One digest schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDigest {
    /// Digest id, e.g. `weekly`.
    pub id: LStr,
    /// Cron expression (tokio-cron-scheduler syntax, seconds first).
    pub cron: LStr,
    /// Who reads it: `section_heads` (default for `scope: unit`), `office_heads`, unit and group
    /// ids, one or a list.
    pub to: Option<Located<OneOrMany>>,
    /// `unit` (default: each head gets their unit's tasks) or `bureau` (one bureau-wide digest
    /// for the leaders; `to` defaults to `settings.leadership_group`).
    pub scope: Option<LStr>,
    /// Chat channels that get a summary.
    #[serde(default)]
    pub chat: Vec<LStr>,
    /// `all_clear` | `skip` when there is nothing to report.
    pub empty: Option<LStr>,
}

/// `web:` in the main config: the pages served by `dutybell run`/`dutybell serve`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    /// Listen address, default `127.0.0.1:8080`; `off` disables the web server in the daemon.
    pub bind: Option<LStr>,
    /// The public base URL links are built from (may carry a path prefix), e.g.
    /// `https://duban.example.org/dutybell`.
    pub public_url: Option<LStr>,
    /// Link-signing keys; several may be active while keys rotate (the first signs).
    #[serde(default)]
    pub keys: Vec<RawWebKey>,
    /// Office users (督查办/办公室) who log in.
    #[serde(default)]
    pub users: Vec<RawWebUser>,
    /// How long a signed link stays valid, in days (default 60).
    pub link_days: Option<Located<u32>>,
}

/// One link-signing key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebKey {
    /// Key id carried in every token, e.g. `k1`.
    pub id: LStr,
    /// Where the key comes from (never inline).
    pub secret: Located<RawSecret>,
}

/// One office user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebUser {
    /// Login name.
    pub name: LStr,
    /// Name shown in pages and the audit log, e.g. `督查办 李四`.
    pub display: Option<String>,
    /// Argon2 PHC hash of the password (`$argon2id$v=19$...`); never the password.
    pub password_hash: LStr,
}
