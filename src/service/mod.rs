//! The service layer: the rules of the 督办 loop, through the [`Store`](crate::store::Store) trait
//! and the channels. The daemon, the CLI (and the web pages) call these functions; they hold no
//! business rules of their own.
//!
//! - [`engine`]: everything derived from one configuration (catalog, calendar, templates,
//!   channels, policies), built whole or not at all.
//! - [`plan`]: plan the horizon and sync it into the store, skipped when the inputs are unchanged.
//! - [`cycle`]: one turn of dispatch: downtime catch-up over every missed row, claim with a lease,
//!   record outcomes (with operator alerts for dead rows).
//! - [`send`]: render a claimed row at send time and send it.
//! - [`progress`]: which occurrence a progress report is about.
//! - [`ticks`]: the daemon's cron-shaped jobs (calendar warning, plan re-check), each tick
//!   recorded in the store and caught up once after downtime.
//! - [`replica`]: leader lease, heartbeats and configuration generations on a shared store.
//! - [`links`]: signed links (unit pages, board) for reminders and the web.
//! - [`desk`]: a unit's items, its reports and requests (申请办结/申请延期) from the web.
//! - [`decide`]: the office's decisions (办结 confirmed, 退办, 延期 granted or refused).
//! - [`board`]: the leaders' board (督办看板) and an item's history.
//! - [`events`]: office-declared events (`event start/end`) and the run-time facts plans read.
//! - [`activity`]: when the web pages were last used (the daemon does not sleep under them).
//! - [`backlog`]: the first start's summary of work already overdue (截至今日仍未办结的N项).
//!
//! May touch: the store (through the trait) and channels. Must not: name a concrete store, read
//! the wall clock (every function takes `now`).

pub mod activity;
pub mod backlog;
pub mod board;
pub mod cycle;
pub mod decide;
pub mod desk;
pub mod engine;
pub mod events;
pub mod group;
pub mod link_key;
pub mod links;
pub mod plan;
pub mod progress;
pub mod replica;
pub mod send;
pub mod ticks;

pub use activity::Activity;
pub use engine::{ConfigRefused, Engine, load_config};
