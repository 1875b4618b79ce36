//! The validated plan: units, groups, channels, events, tasks and rules, ready for scheduling.
//!
//! Plain data, built only by [`super::build`]. Every reference in here has been checked.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::civil::{Date, Time, Weekday};
use serde::Serialize;

use crate::calendar::{Offset, Shift};
use crate::config::raw::RawSecret;

/// What kind of organisation a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 室 of the bureau.
    Section,
    /// 队.
    Team,
    /// 市场监管所.
    Office,
    /// 乡镇.
    Township,
    /// Another county bureau.
    CountyBureau,
    /// Anything else (e.g. 站, leadership).
    Other,
}

/// A unit head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
}

/// A responsible unit (责任单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// Head.
    pub head: Option<Head>,
    /// Unit mailboxes.
    pub email: Vec<String>,
    /// Chat channel ids.
    pub channels: Vec<String>,
    /// Other spellings.
    pub aliases: Vec<String>,
    /// Version of the unit's signed links (`units[].link_version`); older links are refused.
    pub link_version: u32,
}

/// A named group that expands to units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Direct members (unit or group ids).
    pub members: Vec<String>,
    /// Other spellings found in plans.
    pub aliases: Vec<String>,
}

/// Where a secret comes from (never the secret itself).
pub type SecretRef = RawSecret;

/// TLS mode of an SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// TLS from the first byte (465).
    Implicit,
    /// STARTTLS, required.
    Starttls,
    /// Plain, loopback only.
    None,
}

/// Kind-specific channel settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// Files in a directory.
    File {
        /// Output directory (absolute).
        dir: PathBuf,
    },
    /// SMTP relay.
    Smtp {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// TLS mode.
        tls: SmtpTls,
        /// User name.
        username: Option<String>,
        /// Password reference.
        password: Option<SecretRef>,
        /// Extra root CA.
        ca_file: Option<PathBuf>,
        /// Sender display name.
        from_name: String,
        /// Sender address.
        from_email: String,
    },
    /// A chat webhook.
    Webhook {
        /// Vendor.
        flavour: Flavour,
        /// The main credential: WeCom key, DingTalk token, Feishu hook id, generic URL.
        endpoint: SecretRef,
        /// Signing secret.
        secret: Option<SecretRef>,
        /// Keyword security.
        keyword: Option<String>,
        /// @-mention heads by mobile.
        mention_heads: bool,
        /// Endpoint base override.
        base_url: Option<String>,
    },
}

/// Chat vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// 企业微信.
    Wecom,
    /// 钉钉.
    Dingtalk,
    /// 飞书.
    Feishu,
    /// Generic JSON (Standard Webhooks).
    Generic,
}

/// A configured channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Id.
    pub id: String,
    /// Enabled.
    pub enabled: bool,
    /// Max sends in flight, when the config sets it (else the channel's own default).
    pub concurrency: Option<usize>,
    /// Kind-specific settings.
    pub kind: ChannelKind,
}

impl ChannelSpec {
    /// `file`, `smtp`, `wecom`, …
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            ChannelKind::File { .. } => "file",
            ChannelKind::Smtp { .. } => "smtp",
            ChannelKind::Webhook { flavour, .. } => match flavour {
                Flavour::Wecom => "wecom",
                Flavour::Dingtalk => "dingtalk",
                Flavour::Feishu => "feishu",
                Flavour::Generic => "generic",
            },
        }
    }
}

/// A named yearly event whose date is data (term starts, the publicity week).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedEvent {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Month and day for years without an explicit date.
    pub default: Option<(i8, i8)>,
    /// Explicit dates by year.
    pub dates: BTreeMap<i16, Date>,
    /// Declared by the office at run time (`dutybell event start`), never dated in the config:
    /// `during:` rules plan inside its windows, which the store keeps.
    pub declared: bool,
}

impl NamedEvent {
    /// The event's date in `year`, and whether it came from the default.
    pub fn date_in(&self, year: i16) -> Option<(Date, bool)> {
        if let Some(d) = self.dates.get(&year) {
            return Some((*d, false));
        }
        let (m, d) = self.default?;
        Date::new(year, m, d).ok().map(|x| (x, true))
    }
}

/// Who escalation adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalateTo {
    /// The unit's head.
    Head,
    /// A group (or unit) by id.
    Group(String),
}

/// What cooperating units receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cooperating {
    /// The same reminders, marked as supporting.
    Inform,
    /// Only in digests.
    DigestOnly,
}

/// A reminder ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ladder {
    /// Time of day.
    pub time: Time,
    /// Lead offsets before the date.
    pub before: Vec<Offset>,
    /// Repeat while overdue.
    pub overdue_every: Option<Offset>,
    /// Escalate after.
    pub escalate_after: Option<Offset>,
    /// Escalation recipients.
    pub escalate_to: Vec<EscalateTo>,
    /// Allow sends on non-working days.
    pub on_non_working_days: bool,
    /// Cooperating policy.
    pub cooperating: Cooperating,
    /// False: tracked, shown in digests, never pushed (`reminders: none`).
    pub push: bool,
}

impl Default for Ladder {
    /// The built-in ladder (also the reference config's): 09:00; 14 days, 3 working days and the
    /// day itself before; overdue every 3 working days; escalate to the head after 5.
    fn default() -> Self {
        Ladder {
            time: jiff::civil::time(9, 0, 0, 0),
            before: vec![Offset::Days(14), Offset::Workdays(3), Offset::Days(0)],
            overdue_every: Some(Offset::Workdays(3)),
            escalate_after: Some(Offset::Workdays(5)),
            escalate_to: vec![EscalateTo::Head],
            on_non_working_days: false,
            cooperating: Cooperating::Inform,
            push: true,
        }
    }
}

/// Check-in cadence for ongoing tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkin {
    /// Monthly.
    Monthly,
    /// Quarterly (default).
    Quarterly,
    /// Twice a year.
    HalfYearly,
    /// Yearly.
    Yearly,
    /// No check-in.
    None,
}

/// A task's deadline (完成时限).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// 长期坚持.
    Ongoing,
    /// A date.
    Date(Date),
}

/// Day of month for monthly rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthDay {
    /// 1–31 (clamped to the month's last day for short months; see docs).
    Day(i8),
    /// The last calendar day.
    LastDay,
    /// The last working day.
    LastWorkday,
}

/// Quarterly due position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuarterDue {
    /// Nth working day after the quarter's end.
    WorkdaysAfterEnd(u32),
    /// Day of the first month after the quarter.
    Day(i8),
}

/// The form of a recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleForm {
    /// A one-off date.
    Once {
        /// The date.
        date: Date,
    },
    /// Every year on a month-day.
    YearlyDate {
        /// Month.
        month: i8,
        /// Day.
        day: i8,
    },
    /// Every year relative to a named event.
    YearlyEvent {
        /// Event id.
        event: String,
        /// Offset from the event.
        offset: Offset,
    },
    /// A yearly window around a named event.
    CampaignEvent {
        /// Event id.
        event: String,
        /// Opening offset.
        opens: Offset,
        /// Closing offset.
        closes: Offset,
    },
    /// A fixed yearly window.
    CampaignFixed {
        /// Opening month-day.
        from: (i8, i8),
        /// Closing month-day.
        to: (i8, i8),
    },
    /// Every N years, at least `times` per period.
    EveryNYears {
        /// Period length.
        years: u32,
        /// First year of a period.
        anchor: i16,
        /// Due month-day in the period's last year.
        due: (i8, i8),
        /// Minimum completions per period.
        times: u32,
    },
    /// Twice a year.
    HalfYearly {
        /// Month-day in the first half.
        due: (i8, i8),
    },
    /// Quarterly.
    Quarterly {
        /// Due position.
        due: QuarterDue,
    },
    /// Monthly.
    Monthly {
        /// Day.
        day: MonthDay,
    },
    /// Weekly.
    Weekly {
        /// Weekday.
        #[serde(serialize_with = "ser_weekday")]
        weekday: Weekday,
    },
    /// Daily.
    Daily {
        /// Only working days.
        workdays_only: bool,
    },
    /// Before each listed statutory holiday, from the calendar data.
    BeforeHolidays {
        /// Holiday names (a calendar day matches when its name contains one); empty = every
        /// national holiday.
        names: Vec<String>,
        /// Due this long before the first day off.
        before: Offset,
    },
    /// A step due `within` after the task's rule named `step` is reported done (no occurrence
    /// before that report). See `schedule::steps`.
    After {
        /// Name of the rule it follows.
        step: String,
        /// Due this long after the report's date.
        within: Offset,
    },
    /// Due every `every` from the first day of each declared window of `event` to its last.
    During {
        /// Declared event id.
        event: String,
        /// Cadence (`1d` daily, `1wd` each working day).
        every: Offset,
    },
    /// Cron expression (seconds first), parsed once at load.
    Cron {
        /// Expression (boxed: a parsed cron is large and rare among rules).
        expr: Box<crate::model::CronExpr>,
    },
}

fn ser_weekday<S: serde::Serializer>(w: &Weekday, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{w:?}").to_lowercase())
}

/// A validated recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The form.
    pub form: RuleForm,
    /// Chinese label.
    pub label: Option<String>,
    /// Non-working-day shift.
    pub shift: Shift,
    /// Effective ladder (settings ← task ← rule).
    pub ladder: Ladder,
    /// Non-empty for a routine duty reported once per period (`routine: [日管控, 周排查]`): the
    /// cadences the units keep themselves, never deadlines of their own.
    pub routine: Vec<String>,
    /// True for a report about the previous period (`covers: previous_month`…): the occurrence
    /// is keyed and labelled by the period it reports on, and its due date never moves back into
    /// that period.
    pub covers_previous: bool,
    /// An activity's time of day as written (`10时`, `上午`, `下午`; `once: {date, at}`): it is
    /// reminded before it, never overdue after it, and its date does not move.
    pub at: Option<String>,
    /// Recurrence bound (`since:`/`from:`): only periods that end on or after this day.
    pub since: Option<Date>,
    /// Recurrence bound (`until:`): only periods that start on or before this day.
    pub until: Option<Date>,
    /// The step's name within its task (`name: drill`), which `after: {step: drill}` refers to.
    pub name: Option<String>,
}

/// A task of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Id, e.g. `4.2`.
    pub id: String,
    /// Area number.
    pub area: u32,
    /// 具体任务.
    pub title: String,
    /// 落实措施.
    pub measures: String,
    /// The first lead unit or group id (the default unit when the row names none).
    pub lead: String,
    /// Every lead unit or group id, `lead` first: co-leads (`lead: [县安委办, 县应急办]`) or all the
    /// units of a row without a named lead (`units:`).
    pub leads: Vec<String>,
    /// Cooperating unit or group ids, in the source's order.
    pub cooperating: Vec<String>,
    /// A vague responsible-unit text kept as written (各有关部门, "…等"), routed to the default unit.
    pub units_text: Option<String>,
    /// 完成时限.
    pub deadline: Deadline,
    /// How a dated deadline on a non-working day moves (`deadline: {date, shift}`; default
    /// `previous`).
    pub deadline_shift: Shift,
    /// Effective check-in for ongoing tasks.
    pub checkin: Checkin,
    /// Rules.
    pub rules: Vec<Rule>,
    /// Effective task-level ladder.
    pub ladder: Ladder,
    /// Notes.
    pub notes: Option<String>,
    /// A 完成时限 phrase not yet turned into rules (`deadline: { todo: … }`, from `dutybell
    /// import`): the task has no rules and no check-ins until someone writes them.
    pub todo: Option<String>,
    /// Source file and line.
    pub source: String,
}

/// An area (项目) of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    /// Number.
    pub number: u32,
    /// Title.
    pub title: String,
}

/// Downtime catch-up policy for one kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Send once, marked late (older than grace: skip).
    Late,
    /// Skip whatever fell due while down.
    Skip,
    /// Send everything.
    All,
}

/// Whose tasks a digest lists (`settings.digest[].scope`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestScope {
    /// Each reader (a unit head) gets the tasks their unit leads or supports.
    #[default]
    Unit,
    /// One bureau-wide digest (counts by colour, by area and unit, red items with their lead
    /// unit, tasks led by other county bureaus as 协调 items) for the leaders.
    Bureau,
}

/// A digest schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestSpec {
    /// Id.
    pub id: String,
    /// Cron expression, parsed once at load.
    pub cron: crate::model::CronExpr,
    /// Who reads it: None = the default audience of the scope (section heads; the leadership
    /// group for a bureau digest); else unit and group ids and the keywords
    /// [`SECTION_HEADS`](DigestSpec::SECTION_HEADS) and [`OFFICE_HEADS`](DigestSpec::OFFICE_HEADS).
    pub to: Option<Vec<String>>,
    /// Whose tasks: each reader's own unit, or the whole bureau.
    pub scope: DigestScope,
    /// Chat channels for a summary.
    pub chat: Vec<String>,
    /// Send an all-clear when empty.
    pub send_empty: bool,
}

impl DigestSpec {
    /// `to:` keyword: the head of every section (室) whose head has an email.
    pub const SECTION_HEADS: &'static str = "section_heads";
    /// `to:` keyword: the head of every market-supervision office (所) whose head has an email.
    pub const OFFICE_HEADS: &'static str = "office_heads";
}

/// Global settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Time zone name as configured.
    pub timezone: String,
    /// The time zone, resolved once at load (an unknown name is a config error).
    #[serde(skip)]
    pub tz: crate::model::Zone,
    /// State directory.
    pub state_dir: PathBuf,
    /// Database path (the SQLite file; also where a SQLite `store` URL points).
    pub database: PathBuf,
    /// Where the state lives: `settings.store`, or the SQLite file `database`.
    #[serde(skip)]
    pub store: crate::store::StoreUrl,
    /// Calendar files/dirs.
    pub calendar: Vec<PathBuf>,
    /// Embedded regional overlays in force (e.g. `ningxia`); the national calendar alone when
    /// empty, so a plan in another province never gets Ningxia's days off.
    pub calendar_regions: Vec<String>,
    /// Fallback channel id.
    pub fallback_channel: String,
    /// Operator channel id.
    pub operator_channel: String,
    /// Leadership group id.
    pub leadership_group: Option<String>,
    /// Unit (or group) id that tracks rows without a named unit or with a vague list
    /// (`settings.default_unit`, by id, name or alias).
    pub default_unit: Option<String>,
    /// Horizon in days.
    pub horizon_days: u32,
    /// Downtime policy: default, grace, per kind.
    pub downtime_default: CatchUp,
    /// Grace for `late`/`skip`.
    pub downtime_grace: Offset,
    /// Per message-kind overrides.
    pub downtime_per_kind: BTreeMap<String, CatchUp>,
    /// Default ladder.
    pub ladder: Ladder,
    /// Default check-in.
    pub checkin: Checkin,
    /// Digests.
    pub digests: Vec<DigestSpec>,
    /// Template override directory.
    pub templates: Option<PathBuf>,
    /// Link for reporting progress.
    pub progress_url: Option<String>,
    /// The admin's address for operator alerts.
    pub operator_email: Option<String>,
    /// Contact line shown in reminders (`settings.contact`), e.g. `局督查办 张三 0952-1234567`.
    pub contact: Option<String>,
    /// `Reply-To` of reminder emails (`settings.reply_to`).
    pub reply_to: Option<String>,
    /// Coordinating unit for tasks led outside the bureau (`settings.coordinator`).
    pub coordinator: Option<String>,
    /// Reminder messages per working day per recipient and channel (`settings.volume_budget`).
    pub volume_budget: VolumeBudget,
    /// Between reminders the daemon hands over to a small sleeper process (`daemon::sleeper`;
    /// `settings.sleep_when_idle`, default true; a shared PostgreSQL store never sleeps).
    pub sleep_when_idle: bool,
}

/// `settings.volume_budget`: `check` and `plan` warn when a recipient would get more reminder
/// messages (digests aside) on one channel in one working day (issue 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeBudget {
    /// Default per recipient and channel and working day.
    pub per_day: u32,
    /// Overrides by recipient id.
    pub recipients: BTreeMap<String, u32>,
}

impl Default for VolumeBudget {
    fn default() -> Self {
        VolumeBudget {
            per_day: 1,
            recipients: BTreeMap::new(),
        }
    }
}

impl VolumeBudget {
    /// The budget of `recipient`.
    pub fn of(&self, recipient: &str) -> u32 {
        self.recipients
            .get(recipient)
            .copied()
            .unwrap_or(self.per_day)
    }
}

/// A local calendar override from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarOverride {
    /// Date.
    pub date: Date,
    /// Day off?
    pub off: bool,
    /// Why.
    pub name: String,
}
