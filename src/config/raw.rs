//! Raw config structs: the YAML schema exactly as written (see `docs/CONFIG.md`).
//!
//! Types only: every struct denies unknown keys; values that later need a located message are
//! [`Located`]. Meaning (references, dates, rules) is checked by `catalog`.

use serde::Deserialize;

use super::de::Located;

/// A located string.
pub type LStr = Located<String>;

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

/// A unit head.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHead {
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<LStr>,
    /// Mobile (quoted).
    pub mobile: Option<LStr>,
}

/// One unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnit {
    /// Id (optional: derived from `name` when absent; plans may name units by name or alias).
    pub id: Option<LStr>,
    /// Chinese name.
    pub name: LStr,
    /// Kind.
    pub kind: LStr,
    /// Head.
    pub head: Option<RawHead>,
    /// Unit mailboxes.
    #[serde(default)]
    pub email: Vec<LStr>,
    /// Chat channel ids.
    #[serde(default)]
    pub channels: Vec<LStr>,
    /// Other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Version of the unit's signed web links; bumping it revokes every older link (default 1).
    pub link_version: Option<Located<u32>>,
}

/// One group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Id.
    pub id: LStr,
    /// Chinese name.
    pub name: LStr,
    /// Unit or group ids.
    pub members: Vec<LStr>,
    /// Other spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A reference to a secret: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSecret {
    /// Written inline in the YAML: always refused (the text is not kept).
    Inline,
    /// `{env: NAME}`.
    Env(String),
    /// `{file: PATH}`.
    File(String),
    /// `{credential: NAME}` (systemd `LoadCredential=`).
    Credential(String),
}

impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawSecret;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a secret reference `{env: NAME}`, `{file: PATH}` or `{credential: NAME}`",
                )
            }
            fn visit_str<E>(self, _: &str) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawSecret, E> {
                Ok(RawSecret::Inline)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<RawSecret, A::Error> {
                use serde::de::Error;
                let Some(k) = a.next_key::<String>()? else {
                    return Err(A::Error::custom(
                        "empty secret reference; use {env: NAME}, {file: PATH} or {credential: NAME}",
                    ));
                };
                let v: String = a.next_value()?;
                if a.next_key::<String>()?.is_some() {
                    return Err(A::Error::custom("a secret reference has exactly one key"));
                }
                match k.as_str() {
                    "env" => Ok(RawSecret::Env(v)),
                    "file" => Ok(RawSecret::File(v)),
                    "credential" => Ok(RawSecret::Credential(v)),
                    _ => Err(A::Error::unknown_field(&k, &["env", "file", "credential"])),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A mailbox in YAML: `{name: 督办提醒, email: x@example.org}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMailbox {
    /// Display name.
    pub name: Option<String>,
    /// Address.
    pub email: LStr,
}

/// One channel; which keys apply depends on `kind` (checked by the catalog).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    /// Id.
    pub id: LStr,
    /// `file` | `smtp` | `wecom` | `dingtalk` | `feishu` | `generic`.
    pub kind: LStr,
    /// Off by default for everything but `file` in the reference config.
    pub enabled: Option<bool>,
    /// file: output directory.
    pub dir: Option<LStr>,
    /// smtp: relay host.
    pub host: Option<LStr>,
    /// smtp: port.
    pub port: Option<Located<u16>>,
    /// smtp: `implicit` | `starttls` | `none`.
    pub tls: Option<LStr>,
    /// smtp: user name.
    pub username: Option<LStr>,
    /// smtp: password reference.
    pub password: Option<Located<RawSecret>>,
    /// smtp: extra root CA (PEM) for a private relay.
    pub ca_file: Option<LStr>,
    /// smtp: sender.
    pub from: Option<RawMailbox>,
    /// wecom: bot key reference.
    pub key: Option<Located<RawSecret>>,
    /// dingtalk: access token reference.
    pub token: Option<Located<RawSecret>>,
    /// feishu: hook id reference.
    pub hook: Option<Located<RawSecret>>,
    /// generic: URL reference (the URL itself is a credential).
    pub url: Option<Located<RawSecret>>,
    /// dingtalk/feishu signing secret, generic `whsec_` secret.
    pub secret: Option<Located<RawSecret>>,
    /// dingtalk/feishu keyword security.
    pub keyword: Option<LStr>,
    /// wecom/dingtalk: @-mention unit heads by mobile.
    pub mention_heads: Option<bool>,
    /// Override the vendor endpoint base (private deployments, tests).
    pub base_url: Option<LStr>,
    /// Max sends in flight.
    pub concurrency: Option<Located<u32>>,
}

/// A named yearly event (`events:` values).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// Chinese name.
    pub name: LStr,
    /// Month-day used for years without a date.
    pub default: Option<LStr>,
    /// Dates by year. Keys are years.
    #[serde(default)]
    pub dates: std::collections::BTreeMap<String, LStr>,
    /// True for an event the office declares at run time (`dutybell event start NAME`), such as
    /// 防汛应急响应: no dates here; `during:` rules plan inside its declared windows.
    #[serde(default)]
    pub declared: bool,
}

/// A local calendar override (`calendar_overrides:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendarOverride {
    /// The date.
    pub date: LStr,
    /// True: a day off; false: a working day.
    pub off: bool,
    /// Why (e.g. 开斋节).
    pub name: String,
}

/// `area:` in a plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArea {
    /// Area number (1–10 in the bundled plan).
    pub number: Located<u32>,
    /// Area title (项目).
    pub title: String,
}

/// One task in a plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    /// Id such as `4.2` (quoted).
    pub id: LStr,
    /// 具体任务.
    pub title: String,
    /// 落实措施.
    #[serde(default)]
    pub measures: String,
    /// Lead unit(s) or group(s) (id, name or alias); a list for co-leads. Absent: the units of
    /// `units` all lead (无牵头单位的，责任单位即为牵头单位), else the default unit.
    pub lead: Option<Located<OneOrMany>>,
    /// Cooperating units or groups (id, name or alias), in the source's order.
    #[serde(default)]
    pub cooperating: Vec<LStr>,
    /// Responsible units without a named lead: all of them lead.
    #[serde(default)]
    pub units: Vec<LStr>,
    /// A vague responsible-unit text kept as written (各有关部门, "…等"); routed to the default unit.
    pub units_text: Option<LStr>,
    /// `ongoing`, a date, or `{date, shift}`. Absent: the date of the task's only `once` rule,
    /// else ongoing.
    pub deadline: Option<Located<RawDeadline>>,
    /// Check-in override for ongoing tasks.
    pub checkin: Option<LStr>,
    /// Recurrence rules.
    #[serde(default)]
    pub rules: Vec<Located<RawRule>>,
    /// Ladder override or `none`.
    pub reminders: Option<Located<RawLadderOrNone>>,
    /// Free notes.
    pub notes: Option<String>,
    /// Where an imported task came from and the cells' text as written (`dutybell import`).
    pub source: Option<super::raw_source::RawSource>,
}

macro_rules! rule_forms {
    ($( $(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $f:ident : $t:ty ),* $(,)? } )*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fm])* pub $f: $t, )*
            /// Chinese label used in messages.
            pub label: Option<String>,
            /// The step's name within its task (`name: drill`), for `after: {step: drill}`.
            pub name: Option<LStr>,
            /// `none` | `previous` | `next` for dates on non-working days.
            pub shift: Option<LStr>,
            /// Ladder override or `none`.
            pub reminders: Option<Located<RawLadderOrNone>>,
            /// A routine duty reported once per period: what the units do themselves (日管控,
            /// 周排查, …), never deadlines of their own.
            pub routine: Option<Located<Vec<String>>>,
            /// Recurrence bound: only periods that end on or after this (`2024-Q2`, `2024-05`,
            /// `2024-H2`, `2024`, or a date). On non-campaign forms `from:` says the same.
            pub since: Option<Located<OffsetValue>>,
            /// Recurrence bound: only periods that start on or before this (`2027-12-31`,
            /// `2027`, `2027-Q2`, `2027-05`).
            pub until: Option<Located<OffsetValue>>,
            /// The period a report is about when it is not the due date's own:
            /// `previous_month`, `previous_quarter`, `previous_year`.
            pub covers: Option<LStr>,
        }
    )*};
}

rule_forms! {
    /// `once: {date}`.
    RawOnce { /// The date.
        date: LStr, /// An activity's time: `"10:00"`, `上午` or `下午` (6月11日10时, 6月19日上午):
        /// reminded before it, never overdue after it.
        at: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `yearly: {date}` or `yearly: {event, offset}`.
    RawYearly { /// Month-day.
        date: Option<LStr>, /// Named event.
        event: Option<LStr>, /// Days (or `3wd`) from the event.
        offset: Option<Located<OffsetValue>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `campaign: {event, opens, closes}` or `campaign: {from, to}`.
    RawCampaign { /// Named event.
        event: Option<LStr>, /// Opening offset from the event.
        opens: Option<Located<OffsetValue>>, /// Closing offset from the event.
        closes: Option<Located<OffsetValue>>, /// Fixed opening month-day.
        from: Option<LStr>, /// Fixed closing month-day.
        to: Option<LStr> }
    /// `every_n_years: {years, anchor, due, times}`.
    RawEveryNYears { /// Period length in years.
        years: Located<u32>, /// First year of a period.
        anchor: Located<i32>, /// Month-day in the period's last year.
        due: LStr, /// At least this many completions per period.
        times: Option<Located<u32>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `half_yearly: {due}`.
    RawHalfYearly { /// Month-day in the first half; the second is six months later.
        due: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `quarterly: {workdays_after_end}` or `quarterly: {day}`.
    RawQuarterly { /// Nth working day after quarter end.
        workdays_after_end: Option<Located<u32>>, /// Day of the month after the quarter.
        day: Option<Located<u32>>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `monthly: {day}`.
    RawMonthly { /// 1–31, -1 (last day), or `last_workday`.
        day: Located<OffsetValue>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `weekly: {weekday}`.
    RawWeekly { /// mon … sun.
        weekday: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `daily: {workdays_only}`.
    RawDaily { /// Only working days (default true).
        workdays_only: Option<bool>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `cron: {expr}`.
    RawCron { /// tokio-cron-scheduler syntax.
        expr: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `before_holidays: {holidays, before}`: before each statutory holiday (节假日前).
    RawBeforeHolidays { /// Holiday names as the calendar data writes them (元旦, 春节, 劳动节,
        /// 国庆节…), or `all` (the national holidays).
        holidays: Located<OneOrMany>, /// Lead before the first day off (default `1wd`: the
        /// last working day before it).
        before: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `after: {step, within}`: a step due `within` (`10wd`, `7d`) after the task's step named
    /// `step` is reported done (演练活动结束后10日内报送总结); no occurrence until then.
    RawAfter { /// The name of the rule it follows (`name:` of another rule of the task).
        step: LStr, /// How long after the report: `10wd` (working days), `7d`.
        within: LStr, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
    /// `during: {event, every}`: due every `every` (`1d`, `1wd`, `7d`) while a window of a
    /// declared event (`events: {flood_response: {declared: true}}`) is open (应急响应期间每日报告).
    RawDuring { /// A declared event's id.
        event: LStr, /// Cadence inside the window (default `1d`: every day).
        every: Option<LStr>, /// Recurrence bound (same as `since`).
        from: Option<Located<OffsetValue>> }
}

/// A recurrence rule: a one-key map naming its form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawRule {
    /// One-off date.
    Once(RawOnce),
    /// Yearly on a month-day or named event.
    Yearly(RawYearly),
    /// A window.
    Campaign(RawCampaign),
    /// Every N years.
    EveryNYears(RawEveryNYears),
    /// Twice a year.
    HalfYearly(RawHalfYearly),
    /// Quarterly.
    Quarterly(RawQuarterly),
    /// Monthly.
    Monthly(RawMonthly),
    /// Weekly.
    Weekly(RawWeekly),
    /// Daily.
    Daily(RawDaily),
    /// Cron escape hatch.
    Cron(RawCron),
    /// Before each statutory holiday.
    BeforeHolidays(RawBeforeHolidays),
    /// A step that follows another step of the task once it is reported done.
    After(RawAfter),
    /// Repeated while a declared event's window is open.
    During(RawDuring),
}

pub use super::raw_source::RawDeadline;

/// An integer or a string such as `-3wd` / `last_workday`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetValue {
    /// Plain integer (calendar days, or a day number).
    Int(i64),
    /// Text to parse.
    Text(String),
}

impl<'de> Deserialize<'de> for OffsetValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = OffsetValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer or an offset like `-3wd`")
            }
            fn visit_i64<E>(self, v: i64) -> Result<OffsetValue, E> {
                Ok(OffsetValue::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OffsetValue, E> {
                i64::try_from(v).map(OffsetValue::Int).map_err(E::custom)
            }
            fn visit_str<E>(self, v: &str) -> Result<OffsetValue, E> {
                Ok(OffsetValue::Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A single string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// `to: section_heads`.
    One(String),
    /// `to: [food, catering]`.
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<String>()? {
                    v.push(x);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(V)
    }
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
