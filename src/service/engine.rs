//! The engine: everything the service needs that comes from the config (catalog, calendar,
//! templates, channels, policies). Built whole or not at all, so a bad reload changes nothing.
//!
//! May touch: the config files (through the loader) and the environment's secrets (channels).

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use crate::clock::SharedClock;
use crate::clock::StartAt;
use crate::dispatch::Dispatcher;
use crate::dispatch::catchup::CatchUpPolicy;
use crate::dispatch::retry::RetryPolicy;
use crate::loader::Loaded;
use crate::notify::{Channel, MessageKind};
use crate::render::Renderer;
use crate::store::{NewReminder, OutboxItem};

/// The configuration was refused (the CLI exits with code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigRefused(pub String);

/// Everything derived from one configuration.
pub struct Engine {
    /// Catalog, calendar, warnings.
    pub loaded: Loaded,
    /// Templates.
    pub renderer: Renderer,
    /// Channels and retry policy.
    pub dispatcher: Arc<Dispatcher>,
    /// Downtime policy.
    pub catchup: CatchUpPolicy,
    /// The day's plans of single tasks, reused by the sends of that day (see
    /// [`super::send::prepare`]).
    pub(super) day_plans: std::sync::Mutex<DayPlans>,
    // ---- web loop (issue 13) ----
    /// Signs the unit links put into reminders (`None` when `web.keys` is empty).
    pub links: Option<crate::service::links::LinkSigner>,
    /// Granted 延期 as last read from the store (refreshed before each claim), so a row
    /// re-planned by an override renders from the moved due date.
    pub due_overrides: std::sync::RwLock<crate::schedule::DueOverrides>,
    /// Steps reported done and declared event windows as last read from the store (issue 14),
    /// so `after:` and `during:` reminders render at send time; see [`Engine::refresh_facts`].
    pub plan_facts: std::sync::RwLock<crate::schedule::PlanFacts>,
}

/// Plans of one task for one day, kept for the day they are about. Sends come in bursts per task
/// and day (one stage to ten units), so re-planning the task once per day instead of once per
/// row is what keeps rendering at send time cheap. Bounded by the number of tasks.
#[derive(Debug, Default)]
pub(super) struct DayPlans {
    day: Option<jiff::civil::Date>,
    by_task: std::collections::HashMap<String, Arc<crate::schedule::Plan>>,
}

impl DayPlans {
    /// Forgets every cached plan.
    pub(super) fn clear(&mut self) {
        self.day = None;
        self.by_task.clear();
    }

    /// The plan of `task` for `day`, computed by `make` on a miss.
    pub(super) fn get(
        &mut self,
        task: &str,
        day: jiff::civil::Date,
        make: impl FnOnce() -> crate::schedule::Plan,
    ) -> Arc<crate::schedule::Plan> {
        if self.day != Some(day) {
            self.day = Some(day);
            self.by_task.clear();
        }
        self.by_task
            .entry(task.to_owned())
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }
}

impl Engine {
    /// Drops the day's cached task plans (their inputs changed).
    fn forget_day_plans(&self) {
        self.day_plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Replaces the granted 延期 the renderer plans with; the day's cached task plans are dropped
    /// when they changed, so no send renders from a stale due date.
    pub fn set_due_overrides(&self, new: crate::schedule::DueOverrides) {
        let Ok(mut cur) = self.due_overrides.write() else {
            return;
        };
        if *cur != new {
            *cur = new;
            self.forget_day_plans();
        }
    }

    /// Re-reads the run-time facts (issue 14: steps reported done, declared event windows) and
    /// returns whether they changed since the last read; a change drops the day's cached task
    /// plans, and the daemon then re-plans at once instead of at the 6-hourly re-check.
    ///
    /// # Errors
    /// A store error.
    pub fn refresh_facts(
        &self,
        store: &dyn crate::store::Store,
    ) -> Result<bool, crate::store::StoreError> {
        let mut new = super::events::facts(store, &self.loaded)?;
        // 延期 have their own field and refresh (`set_due_overrides`).
        new.overrides.clear();
        let Ok(mut cur) = self.plan_facts.write() else {
            return Ok(false);
        };
        if *cur == new {
            return Ok(false);
        }
        *cur = new;
        self.forget_day_plans();
        Ok(true)
    }

    /// Load the config at `config` and build channels from the environment's secrets.
    ///
    /// # Errors
    /// [`ConfigRefused`] for a bad config, template or missing secret.
    pub fn load(config: &Path, clock: &SharedClock) -> anyhow::Result<Engine> {
        Self::from_loaded(load_config(config, clock)?, clock)
    }

    /// [`Engine::load`] from a configuration already loaded (its warnings already logged): the
    /// daemon loads once at start (a 4,300-task plan takes a third of a second to load).
    ///
    /// # Errors
    /// [`ConfigRefused`] for a bad template or missing secret.
    pub fn from_loaded(loaded: Loaded, clock: &SharedClock) -> anyhow::Result<Engine> {
        let secrets = crate::notify::secret::SystemSecrets::from_env();
        let set =
            crate::notify::build::build_channels(&loaded.catalog, &secrets).map_err(|errs| {
                ConfigRefused(format!(
                    "channels cannot be built:\n  {}",
                    errs.join("\n  ")
                ))
            })?;
        let channels: Vec<Arc<dyn Channel>> = set.ids().filter_map(|id| set.get(id)).collect();
        // Web loop (issue 13): the link keys are secrets like the channels'.
        let links =
            crate::service::link_key::signer(&loaded.catalog, &secrets).map_err(ConfigRefused)?;
        let mut e = Self::with_channels(loaded, channels, clock)?;
        e.links = links;
        Ok(e)
    }

    /// An engine over the given channels (simulation and tests).
    ///
    /// # Errors
    /// [`ConfigRefused`] for a template problem.
    pub fn with_channels(
        loaded: Loaded,
        channels: Vec<Arc<dyn Channel>>,
        clock: &SharedClock,
    ) -> anyhow::Result<Engine> {
        let s = &loaded.catalog.settings;
        let renderer = Renderer::new(s.templates.as_deref())
            .map_err(|e| ConfigRefused(format!("templates: {e}")))?;
        renderer
            .check()
            .map_err(|e| ConfigRefused(format!("templates: {e}")))?;
        let mut dispatcher = Dispatcher::new(
            channels,
            &s.fallback_channel,
            RetryPolicy::default(),
            clock.clone(),
        );
        for spec in &loaded.catalog.channels {
            if let Some(n) = spec.concurrency {
                dispatcher = dispatcher.limit(&spec.id, n);
            }
        }
        let dispatcher = Arc::new(dispatcher);
        let catchup = CatchUpPolicy {
            default: s.downtime_default,
            grace: s.downtime_grace,
            per_kind: s.downtime_per_kind.clone(),
        };
        Ok(Engine {
            loaded,
            renderer,
            dispatcher,
            catchup,
            day_plans: std::sync::Mutex::default(),
            links: None,
            due_overrides: Default::default(),
            plan_facts: Default::default(),
        })
    }

    /// The unit's signed link for a reminder to `recipient` about `occurrence` (web loop, issue
    /// 13): a unit or a unit head gets the unit's page; a group gets none (its members each have
    /// their own). Falls back to `settings.progress_url`.
    pub fn progress_link(
        &self,
        recipient: &str,
        occurrence: &str,
        now: Timestamp,
    ) -> Option<String> {
        let cat = &self.loaded.catalog;
        let unit = recipient.strip_suffix("#head").unwrap_or(recipient);
        match &self.links {
            Some(l) if cat.unit(unit).is_some() => Some(l.unit_url(unit, Some(occurrence), now)),
            _ => cat.settings.progress_url.clone(),
        }
    }

    /// The plan's time zone.
    pub fn tz(&self) -> &jiff::tz::TimeZone {
        self.loaded.catalog.settings.tz.tz()
    }

    /// Missed rows that fired before this instant are beyond the downtime grace: the grace is
    /// counted back from `now` in working days (`5wd`) or calendar days (`14d`).
    pub fn grace_cutoff(&self, now: Timestamp) -> Timestamp {
        let zoned = now.to_zoned_datetime(self.tz().clone());
        let today = zoned.date();
        let day = match self.catchup.grace {
            crate::calendar::Offset::Days(d) => {
                today.saturating_sub(jiff::Span::new().days(i64::from(d.unsigned_abs())))
            }
            crate::calendar::Offset::Workdays(d) => {
                self.loaded.calendar.add_workdays(today, d.saturating_neg())
            }
        };
        day.to_datetime(zoned.time())
            .to_zoned_datetime(self.tz().clone())
            .map(|z| z.timestamp())
            .unwrap_or(now)
    }

    /// The next instant after `now` at which a digest falls due (the loop wakes for it).
    pub fn next_digest(&self, now: Timestamp) -> Option<Timestamp> {
        let l = &self.loaded;
        crate::digest::next_due(&l.catalog.settings.digests, &l.calendar, self.tz(), now)
    }

    /// A local `YYYY-MM-DD HH:MM` for logs and status.
    pub fn local(&self, t: Timestamp) -> String {
        t.to_zoned_datetime(self.tz().clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The outbox row that tells the operator channel about a dead row (none for an alert that
    /// itself died, so alerts cannot loop).
    pub fn operator_alert(
        &self,
        item: &OutboxItem,
        error: &str,
        now: Timestamp,
    ) -> Option<NewReminder> {
        if item.kind == MessageKind::OperatorAlert {
            return None;
        }
        let detail = format!(
            "任务 {} 的提醒（{}，发往 {}，渠道 {}）已放弃投递",
            item.task_id, item.stage, item.recipient, item.channel
        );
        let body = format!(
            "{detail}。\n原因：{error}\n处理：检查渠道配置后执行 `dutybell outbox retry {}`。",
            item.id
        );
        let mut n = crate::render::operator_alert(&self.renderer, &detail, &body);
        if let Some(to) = &self.loaded.catalog.settings.operator_email {
            n.recipients.to.push(crate::notify::Mailbox {
                name: Some("dutybell 管理员".into()),
                email: to.clone(),
            });
        }
        Some(NewReminder {
            dedupe_key: format!("operator|dead|{}", item.id),
            occurrence_key: item.occurrence_key.clone(),
            task_id: item.task_id.clone(),
            stage: "operator-alert".into(),
            kind: MessageKind::OperatorAlert,
            recipient: "operator".into(),
            channel: self.loaded.catalog.settings.operator_channel.clone(),
            fire_at: now,
            message: Some(serde_json::to_string(&n).ok()?),
        })
    }
}

/// Load and validate the config, logging its warnings.
///
/// # Errors
/// [`ConfigRefused`] with every located problem.
pub fn load_config(config: &Path, clock: &SharedClock) -> anyhow::Result<Loaded> {
    let loaded = crate::loader::load(config, StartAt::Instant(clock.now()))
        .map_err(|d| ConfigRefused(d.to_string()))?;
    for w in loaded.warnings.warnings() {
        tracing::warn!("{w}");
    }
    Ok(loaded)
}
