//! Orchestrates validation: settings, units, groups, channels, events, then the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::model::*;
use super::names::Names;
use super::{Catalog, channels, parse, tasks, units};
use crate::calendar::Offset;
use crate::config::diag::{Diagnostic, Diagnostics, hint};
use crate::config::raw::{RawDowntime, RawLadder, RawSettings};
use crate::config::{Located, RawConfig};

/// Validation context: the file being checked and the diagnostics so far.
pub(super) struct Ctx<'a> {
    pub file: PathBuf,
    pub diags: &'a mut Diagnostics,
}

impl Ctx<'_> {
    pub fn error<T>(&mut self, at: &Located<T>, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(&self.file, at.pos, &at.path, msg));
    }

    pub fn warning<T>(&mut self, at: &Located<T>, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(&self.file, at.pos, &at.path, msg));
    }

    /// Report `r`'s error at `at`; pass its value on.
    pub fn check<T, V>(&mut self, at: &Located<T>, r: Result<V, String>) -> Option<V> {
        r.map_err(|e| self.error(at, e)).ok()
    }

    /// Report an unknown reference with a did-you-mean.
    pub fn reference(
        &mut self,
        at: &Located<String>,
        known: &BTreeSet<String>,
        what: &str,
    ) -> bool {
        if known.contains(&at.value) {
            return true;
        }
        let h = hint(&at.value, known.iter().map(String::as_str));
        self.error(at, format!("unknown {what} `{}`{h}", at.value));
        false
    }
}

/// Validate raw config into a catalog.
///
/// # Errors
/// All problems found, located; warnings ride along in the `Ok` value too.
pub fn build(raw: &RawConfig) -> Result<(Catalog, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut ctx = Ctx {
        file: raw.main_file.clone(),
        diags: &mut diags,
    };
    let mut ids = BTreeSet::new();
    let units = units::units(&mut ctx, &raw.units, &mut ids);
    let mut groups = units::groups(&mut ctx, &raw.groups, &mut ids);
    let names = Names::new(&units, &groups);
    units::members(&mut ctx, &raw.groups, &mut groups, &names);
    let channels = channels::channels(&mut ctx, raw);
    let channel_ids: BTreeSet<String> = channels.iter().map(|c| c.id.clone()).collect();
    for u in &raw.units {
        for c in &u.channels {
            ctx.reference(c, &channel_ids, "channel");
        }
    }
    let mut settings = settings(&mut ctx, raw, &ids, &names, &channel_ids);
    settings.default_unit = raw
        .settings
        .default_unit
        .as_ref()
        .and_then(|d| names.resolve(&mut ctx, d));
    let events = events(&mut ctx, raw);
    let calendar_overrides = raw
        .calendar_overrides
        .iter()
        .filter_map(|o| {
            let date = ctx.check(&o.date, parse::date(&o.date.value))?;
            Some(CalendarOverride {
                date,
                off: o.off,
                name: o.name.clone(),
            })
        })
        .collect();
    let web = match &raw.web {
        Some(w) => super::web::web(&mut ctx, w),
        None => super::web::WebSettings::off(),
    };
    let (areas, tasks) = tasks::plan(&mut diags, raw, &settings, &names, &events);
    let cat = Catalog {
        settings,
        units,
        groups,
        channels,
        events,
        areas,
        tasks,
        calendar_overrides,
        web,
    };
    diags.sort();
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((cat, diags))
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn settings(
    ctx: &mut Ctx,
    raw: &RawConfig,
    ids: &BTreeSet<String>,
    names: &Names,
    channel_ids: &BTreeSet<String>,
) -> Settings {
    let s: &RawSettings = &raw.settings;
    let timezone = s
        .timezone
        .as_ref()
        .map(|t| t.value.clone())
        .unwrap_or_else(|| crate::model::Zone::DEFAULT_NAME.into());
    // An unknown name is reported here and the build fails, so the default stand-in below never
    // reaches a caller.
    let tz = match (&s.timezone, crate::model::Zone::get(&timezone)) {
        (_, Ok(z)) => z,
        (Some(t), Err(_)) => {
            ctx.error(
                t,
                format!(
                    "unknown time zone `{}`; expected an IANA name such as Asia/Shanghai",
                    t.value
                ),
            );
            crate::model::Zone::default_zone()
        }
        (None, Err(_)) => crate::model::Zone::default_zone(),
    };
    let state_dir = raw.state_dir.clone();
    let database = resolve(
        &state_dir,
        s.database
            .as_ref()
            .map(|d| d.value.as_str())
            .unwrap_or("dutybell.db"),
    );
    let (store, database) = store_url(ctx, s, &state_dir, database);
    let channel_ref = |name: &Option<Located<String>>, ctx: &mut Ctx| -> String {
        match name {
            Some(c) => {
                ctx.reference(c, channel_ids, "channel");
                c.value.clone()
            }
            None => "file".into(),
        }
    };
    let fallback_channel = channel_ref(&s.fallback_channel, ctx);
    let operator_channel = channel_ref(&s.operator_channel, ctx);
    let leadership_group = s
        .leadership_group
        .as_ref()
        .and_then(|g| names.resolve(ctx, g));
    // The coordinator of other bureaus' and townships' tasks, named like any unit (issue 12).
    let coordinator = s.coordinator.as_ref().and_then(|c| names.resolve(ctx, c));
    // `settings.cooperating` is the default ladder's cooperating mode (docs/CONFIG.md); the
    // ladder keys under `settings.reminders` apply over it. Both at once is ambiguous.
    let no_keys = RawLadder::default();
    let reminders = s.reminders.as_ref().unwrap_or(&no_keys);
    let mut base = Ladder::default();
    if let Some(c) = &s.cooperating {
        if let Some(other) = &reminders.cooperating {
            ctx.error(
                other,
                format!(
                    "`cooperating` is also set at {}:{} (settings.cooperating); give it once",
                    c.pos.line, c.pos.col
                ),
            );
        }
        base.cooperating = cooperating(ctx, c).unwrap_or(base.cooperating);
    }
    let ladder = ladder(ctx, reminders, Some(&base), names);
    let (downtime_default, downtime_grace, downtime_per_kind) = downtime(ctx, s.downtime.as_ref());
    let digests = s
        .digest
        .iter()
        .filter_map(|d| digest(ctx, d, ids, channel_ids, leadership_group.is_some()))
        .collect();
    Settings {
        timezone,
        tz,
        state_dir,
        database,
        store,
        calendar: s
            .calendar
            .iter()
            .map(|c| resolve(&raw.base_dir, &c.value))
            .collect(),
        calendar_regions: s
            .calendar_regions
            .iter()
            .filter(|r| {
                let known = crate::calendar::REGIONS.contains(&r.value.as_str());
                if !known {
                    let hint = crate::config::diag::hint(
                        &r.value,
                        crate::calendar::REGIONS.iter().copied(),
                    );
                    ctx.error(
                        *r,
                        format!(
                            "unknown calendar region `{}`{hint}; embedded regions: {}",
                            r.value,
                            crate::calendar::REGIONS.join(", ")
                        ),
                    );
                }
                known
            })
            .map(|r| r.value.clone())
            .collect(),
        fallback_channel,
        operator_channel,
        leadership_group,
        default_unit: None,
        horizon_days: horizon_days(ctx, s),
        downtime_default,
        downtime_grace,
        downtime_per_kind,
        ladder,
        checkin: s
            .checkin
            .as_ref()
            .and_then(|c| ctx.check(c, checkin(&c.value)))
            .unwrap_or(Checkin::Quarterly),
        digests,
        templates: s
            .templates
            .as_ref()
            .map(|t| resolve(&raw.base_dir, &t.value)),
        progress_url: s.progress_url.as_ref().map(|u| u.value.clone()),
        operator_email: s
            .operator_email
            .as_ref()
            .and_then(|e| ctx.check(e, parse::email(&e.value))),
        contact: s.contact.as_ref().map(|c| c.value.trim().to_owned()),
        reply_to: s
            .reply_to
            .as_ref()
            .and_then(|e| ctx.check(e, parse::email(&e.value))),
        coordinator,
        volume_budget: volume_budget(s),
        sleep_when_idle: s.sleep_when_idle.unwrap_or(true),
    }
}

/// `settings.volume_budget` (issue 12); recipient ids are checked by `dutybell check`, which
/// knows the units.
fn volume_budget(s: &RawSettings) -> VolumeBudget {
    let mut b = VolumeBudget::default();
    if let Some(raw) = &s.volume_budget {
        if let Some(p) = &raw.per_day {
            b.per_day = p.value;
        }
        for e in &raw.recipients {
            b.recipients
                .insert(e.recipient.value.clone(), e.per_day.value);
        }
    }
    b
}

/// `settings.store`, validated (a bad URL is reported at its position), or the SQLite file
/// `database`. A relative SQLite path is relative to the state directory, like `database`.
fn store_url(
    ctx: &mut Ctx,
    s: &crate::config::raw::RawSettings,
    state_dir: &std::path::Path,
    database: std::path::PathBuf,
) -> (crate::store::StoreUrl, std::path::PathBuf) {
    use crate::store::StoreUrl;
    let fallback = (StoreUrl::Sqlite(database.clone()), database.clone());
    let Some(url) = &s.store else {
        return fallback;
    };
    if let Some(db) = &s.database {
        ctx.error(
            db,
            "set either settings.store or settings.database, not both (store: sqlite://FILE \
             replaces database: FILE)"
                .to_owned(),
        );
    }
    match StoreUrl::parse(&url.value) {
        Ok(StoreUrl::Sqlite(p)) => {
            let path = resolve(state_dir, &p.to_string_lossy());
            (StoreUrl::Sqlite(path.clone()), path)
        }
        Ok(pg) => (pg, database),
        Err(e) => {
            ctx.error(url, e.to_string());
            fallback
        }
    }
}

pub(super) fn checkin(s: &str) -> Result<Checkin, String> {
    Ok(match s {
        "monthly" => Checkin::Monthly,
        "quarterly" => Checkin::Quarterly,
        "half_yearly" => Checkin::HalfYearly,
        "yearly" => Checkin::Yearly,
        "none" => Checkin::None,
        _ => {
            return Err(format!(
                "`{s}` is not a check-in cadence; expected monthly, quarterly, half_yearly, yearly or none"
            ));
        }
    })
}

fn catch_up(s: &str) -> Result<CatchUp, String> {
    Ok(match s {
        "late" => CatchUp::Late,
        "skip" => CatchUp::Skip,
        "all" => CatchUp::All,
        _ => {
            return Err(format!(
                "`{s}` is not a downtime policy; expected late, skip or all"
            ));
        }
    })
}

fn downtime(
    ctx: &mut Ctx,
    d: Option<&RawDowntime>,
) -> (CatchUp, Offset, BTreeMap<String, CatchUp>) {
    let Some(d) = d else {
        return (CatchUp::Late, Offset::Days(14), BTreeMap::new());
    };
    let def = d
        .default
        .as_ref()
        .and_then(|p| ctx.check(p, catch_up(&p.value)))
        .unwrap_or(CatchUp::Late);
    let grace = d
        .grace
        .as_ref()
        .and_then(|g| ctx.check(g, parse::offset(&g.value)))
        .unwrap_or(Offset::Days(14));
    const KINDS: &[&str] = &[
        "campaign_opening",
        "lead",
        "due_today",
        "overdue",
        "escalation",
        "checkin",
        "digest",
    ];
    let mut per = BTreeMap::new();
    for k in &d.per_kind {
        if !KINDS.contains(&k.kind.value.as_str()) {
            ctx.error(
                &k.kind,
                format!(
                    "unknown message kind `{}`{}; expected one of: {}",
                    k.kind.value,
                    hint(&k.kind.value, KINDS.iter().copied()),
                    KINDS.join(", ")
                ),
            );
        }
        if let Some(p) = ctx.check(&k.policy, catch_up(&k.policy.value)) {
            per.insert(k.kind.value.clone(), p);
        }
    }
    (def, grace, per)
}

fn digest(
    ctx: &mut Ctx,
    d: &crate::config::raw::RawDigest,
    ids: &BTreeSet<String>,
    channels: &BTreeSet<String>,
    has_leadership: bool,
) -> Option<DigestSpec> {
    use crate::config::raw::OneOrMany;
    let cron = ctx.check(&d.cron, parse::cron(&d.cron.value));
    for c in &d.chat {
        ctx.reference(c, channels, "channel");
    }
    let to = match d.to.as_ref().map(|t| &t.value) {
        None => None,
        Some(OneOrMany::One(s)) => Some(vec![s.clone()]),
        Some(OneOrMany::Many(v)) => Some(v.clone()),
    };
    if let (Some(list), Some(at)) = (&to, &d.to) {
        // The audience keywords read like ids to an admin: suggest them alongside the ids.
        let mut known = ids.clone();
        known.extend([DigestSpec::SECTION_HEADS, DigestSpec::OFFICE_HEADS].map(String::from));
        for id in list {
            let l = Located {
                value: id.clone(),
                pos: at.pos,
                path: at.path.clone(),
            };
            ctx.reference(
                &l,
                &known,
                "unit, group or keyword (section_heads, office_heads)",
            );
        }
    }
    let scope = match d.scope.as_ref().map(|s| s.value.as_str()) {
        None | Some("unit") => DigestScope::Unit,
        Some("bureau") => DigestScope::Bureau,
        Some(other) => {
            ctx.error(
                d.scope.as_ref()?,
                format!("`{other}` is not valid; expected unit or bureau"),
            );
            DigestScope::Unit
        }
    };
    if let (DigestScope::Bureau, None, false) = (scope, &d.to, has_leadership) {
        ctx.error(
            &d.id,
            "a `scope: bureau` digest needs `to:` (who reads it) or settings.leadership_group",
        );
    }
    let send_empty = match d.empty.as_ref().map(|e| e.value.as_str()) {
        None | Some("all_clear") => true,
        Some("skip") => false,
        Some(other) => {
            ctx.error(
                d.empty.as_ref()?,
                format!("`{other}` is not valid; expected all_clear or skip"),
            );
            true
        }
    };
    Some(DigestSpec {
        id: d.id.value.clone(),
        cron: cron?,
        to,
        scope,
        chat: d.chat.iter().map(|c| c.value.clone()).collect(),
        send_empty,
    })
}

/// Merge a raw ladder over `base` (or over built-in defaults), checking every key.
pub(super) fn ladder(ctx: &mut Ctx, r: &RawLadder, base: Option<&Ladder>, names: &Names) -> Ladder {
    let mut l = base.cloned().unwrap_or_default();
    if let Some(t) = &r.time
        && let Some(v) = ctx.check(t, parse::time(&t.value))
    {
        l.time = v;
    }
    if let Some(b) = &r.before {
        l.before = b
            .iter()
            .filter_map(|o| ctx.check(o, parse::offset(&o.value)))
            .collect();
        for (o, v) in b.iter().zip(&l.before) {
            if matches!(v, Offset::Days(n) | Offset::Workdays(n) if *n < 0) {
                ctx.error(o, format!("`{}`: lead offsets count backwards already; write them without a minus sign", o.value));
            }
        }
    }
    // `none`: an activity (a meeting at 10:00) is not overdue after it happened.
    if let Some(o) = &r.overdue_every {
        l.overdue_every = match o.value.as_str() {
            "none" => None,
            v => ctx.check(o, parse::offset(v)).filter(|v| !v.is_zero()),
        };
    }
    if let Some(o) = &r.escalate_after {
        l.escalate_after = match o.value.as_str() {
            "none" => None,
            v => ctx.check(o, parse::offset(v)),
        };
    }
    if let Some(list) = &r.escalate_to {
        l.escalate_to = list
            .iter()
            .filter_map(|e| match e.value.as_str() {
                "head" => Some(EscalateTo::Head),
                _ => names
                    .resolve_or(ctx, e, Some(("head", "the head of the unit that leads")))
                    .map(EscalateTo::Group),
            })
            .collect();
    }
    if let Some(b) = r.on_non_working_days {
        l.on_non_working_days = b;
    }
    if let Some(c) = &r.cooperating {
        l.cooperating = cooperating(ctx, c).unwrap_or(l.cooperating);
    }
    l
}

/// `inform` or `digest_only` (`settings.cooperating` and any ladder's `cooperating`).
fn cooperating(ctx: &mut Ctx, c: &Located<String>) -> Option<Cooperating> {
    match c.value.as_str() {
        "inform" => Some(Cooperating::Inform),
        "digest_only" => Some(Cooperating::DigestOnly),
        other => {
            ctx.error(
                c,
                format!("`{other}` is not valid; expected inform or digest_only"),
            );
            None
        }
    }
}

fn events(ctx: &mut Ctx, raw: &RawConfig) -> BTreeMap<String, NamedEvent> {
    let mut out = BTreeMap::new();
    for (id, ev) in &raw.events {
        ctx.check(id, parse::id(&id.value));
        let default = ev
            .default
            .as_ref()
            .and_then(|d| ctx.check(d, parse::month_day(&d.value)));
        let mut dates = BTreeMap::new();
        for (year, d) in &ev.dates {
            let Some(date) = ctx.check(d, parse::date(&d.value)) else {
                continue;
            };
            match year.parse::<i16>() {
                Ok(y) if y == date.year() => {
                    dates.insert(y, date);
                }
                _ => ctx.error(d, format!("date {} is listed under year `{year}`", d.value)),
            }
        }
        if ev.declared {
            super::steps::declared_event_check(ctx, id, ev);
        } else if default.is_none() && dates.is_empty() {
            ctx.error(
                id,
                format!(
                    "event `{}` has neither `default` nor any `dates`, so it never happens",
                    id.value
                ),
            );
        }
        out.insert(
            id.value.clone(),
            NamedEvent {
                id: id.value.clone(),
                name: ev.name.value.clone(),
                default,
                dates,
                declared: ev.declared,
            },
        );
    }
    out
}

/// The most days ahead a plan may be materialised. Three years covers a biennial drill with its
/// lead reminders; more would only fill the outbox with rows nobody will read for years.
pub const MAX_HORIZON_DAYS: u32 = 1100;

/// `settings.horizon_days`, default 400, bounded to `1..=MAX_HORIZON_DAYS`.
fn horizon_days(ctx: &mut Ctx, s: &RawSettings) -> u32 {
    let Some(h) = s.horizon_days.as_ref() else {
        return 400;
    };
    if h.value == 0 || h.value > MAX_HORIZON_DAYS {
        ctx.error(
            h,
            format!(
                "horizon_days {} is out of range; expected 1 to {MAX_HORIZON_DAYS} (about three \
                 years)",
                h.value
            ),
        );
        return 400;
    }
    h.value
}
