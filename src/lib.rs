//! dutybell (督办提醒): turns a government work plan into timely reminders.
//!
//! The pipeline is the module tree (see `docs/ARCHITECTURE.md`):
//!
//! - [`clock`]: the only wall-clock read; everything else takes `now` as a parameter.
//! - [`model`]: types every layer shares (the resolved time zone, recipients).
//! - [`config`]: reads the YAML files (the YAML crate is used only here) into raw structs with locations.
//! - [`catalog`]: validates raw config into the [`catalog::Catalog`] (units, groups, channels, tasks, rules).
//! - [`calendar`]: the Chinese working-day calendar (statutory holidays, 调休, regional overlay).
//! - [`schedule`]: occurrences and reminders from rules, calendar and ladders (pure).
//! - [`store`]: the [`store::Store`] trait and its SQLite adapter: occurrences, the leased outbox,
//!   deliveries, progress, ticks.
//! - [`service`]: the rules of the 督办 loop over the store trait: plan sync, catch-up, claims,
//!   render at send time, outcomes, progress targeting.
//! - [`daemon`]: the loop (real or simulated time), signals, systemd; calls the service.
//! - [`digest`]: weekly digests (督办周报) to unit heads: content, templates, due week, outbox rows.
//! - [`dispatch`]: send claimed rows, retry policy, downtime catch-up (no SQL).
//! - [`notify`]: channels (file, email, webhooks) that send one rendered notification.
//! - [`export`]: the checklist back as xlsx/csv/md with 进展情况, and a unit's calendar as ics.
//! - [`progress_csv`]: validates a progress CSV returned by a section into notes to record.
//! - [`render`]: minijinja templates (zh-CN, overridable) that turn reminders into notifications.
//! - [`import`]: a plan document (Word/Excel table) to a checked YAML draft, and plan-diff.
//! - [`loader`]: loads config + plan + calendar for a command, all or nothing.
//! - [`web`]: the web pages (unit page by signed link, office, board, health, metrics); `axum`
//!   only here.
//! - [`metrics`]: process-wide send counters for `/metrics`.
//! - [`cli`]: argument parsing, one library call per command, printing, exit codes.

pub mod calendar;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod dispatch;
pub mod export;
pub mod import;
pub mod loader;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod progress_csv;
pub mod render;
pub mod schedule;
pub mod service;
pub mod store;
pub mod tls;
pub mod web;
