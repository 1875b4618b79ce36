//! `dutybell simulate`: the whole pipeline (plan, outbox, dispatch, record) through simulated
//! time, against a throw-away database. By default every channel is replaced by a file channel
//! in an output directory, so nobody is messaged; `--live` uses the configured channels.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use jiff::SignedDuration;
use jiff::civil::Date;

use super::{Engine, engine::load_config, planner};
use crate::clock::{ManualClock, SharedClock};
use crate::dispatch::Outcome;
use crate::notify::Channel;
use crate::notify::file::FileChannel;
use crate::store::Store;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Config file.
    pub config: PathBuf,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Where the file channels write (one directory per channel id).
    pub out: PathBuf,
    /// Send over the configured channels instead of files.
    pub live: bool,
}

/// Counts at the end of a simulation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SimReport {
    /// Sends that succeeded.
    pub sent: usize,
    /// Sends that will be retried.
    pub retried: usize,
    /// Sends given up.
    pub dead: usize,
}

/// Run the simulation, printing one line per send to `out`.
///
/// # Errors
/// A bad config, or a database or file problem.
pub async fn simulate(o: &SimOptions, print: &mut dyn std::io::Write) -> anyhow::Result<SimReport> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let start = o.from.to_zoned_datetime(tz.clone())?.timestamp();
    let end =
        o.to.saturating_add(jiff::Span::new().days(1))
            .to_zoned_datetime(tz)?
            .timestamp();
    let manual = ManualClock::new(start);
    let clock: SharedClock = Arc::new(manual.clone());
    let loaded = load_config(&o.config, &clock)?;
    let engine = if o.live {
        Engine::load(&o.config, &clock)?
    } else {
        let ids = channel_ids(&loaded);
        let chans: Vec<Arc<dyn Channel>> = ids
            .iter()
            .map(|id| Arc::new(FileChannel::new(id.clone(), o.out.join(id))) as Arc<dyn Channel>)
            .collect();
        Engine::with_channels(loaded, chans, &clock)?
    };
    std::fs::create_dir_all(&o.out)
        .with_context(|| format!("cannot create {}", o.out.display()))?;
    let mut store = Store::open(o.out.join("simulate.db"))?;
    let mut report = SimReport::default();
    let mut next_plan = start;
    loop {
        let now = clock.now();
        if now >= next_plan {
            let set = planner::plan_set(&engine.loaded, &engine.renderer, now)?;
            store.sync_plan(&set, now)?;
            next_plan = now.saturating_add(SignedDuration::from_hours(24 * 30))?;
        }
        let l = &engine.loaded;
        crate::digest::enqueue_due_digests(
            &mut store,
            &l.catalog,
            &l.calendar,
            &engine.renderer,
            now,
        )?;
        let digest = engine.next_digest(now);
        let Some(wake) = [store.next_wakeup()?, digest].into_iter().flatten().min() else {
            break;
        };
        let wake = wake.max(now);
        if wake >= end {
            break;
        }
        if wake >= next_plan {
            manual.set(next_plan);
            continue;
        }
        manual.set(wake);
        for item in store.claim_due(wake, 10_000)? {
            let outcome = engine.dispatcher.deliver(&item, false).await;
            let at = clock.now();
            let who = engine
                .loaded
                .catalog
                .name_of(item.recipient.split('#').next().unwrap_or(""));
            let head = if item.recipient.contains('#') {
                "负责人"
            } else {
                ""
            };
            let verdict = match &outcome {
                Outcome::Sent(_) => "sent".to_string(),
                Outcome::Retry { error, .. } => format!("retry ({error})"),
                Outcome::Dead(e) => format!("dead ({e})"),
            };
            writeln!(
                print,
                "{}  {:<6} {:<12} {}{} → {}  {}",
                engine.local(item.fire_at),
                item.task_id,
                item.stage,
                who,
                head,
                item.channel,
                verdict
            )?;
            match outcome {
                Outcome::Sent(d) => {
                    report.sent += 1;
                    store.record_sent(item.id, at, &d)?;
                }
                Outcome::Retry { at: next, error } => {
                    report.retried += 1;
                    store.record_retry(item.id, at, next, &error)?;
                }
                Outcome::Dead(e) => {
                    report.dead += 1;
                    store.record_dead(item.id, at, &e)?;
                }
            }
        }
    }
    Ok(report)
}

/// Every channel id a reminder can name: the configured ones plus fallback and operator.
fn channel_ids(l: &crate::loader::Loaded) -> Vec<String> {
    let s = &l.catalog.settings;
    let mut ids: Vec<String> = l.catalog.channels.iter().map(|c| c.id.clone()).collect();
    ids.extend([s.fallback_channel.clone(), s.operator_channel.clone()]);
    ids.sort();
    ids.dedup();
    ids
}

/// A fresh output directory under the system temp dir.
pub fn default_out(from: Date) -> PathBuf {
    std::env::temp_dir().join(format!("dutybell-simulate-{from}-{}", std::process::id()))
}

/// Remove a previous simulation database so runs do not mix.
pub fn reset(out: &Path) {
    for f in ["simulate.db", "simulate.db-wal", "simulate.db-shm"] {
        let _ = std::fs::remove_file(out.join(f));
    }
}
