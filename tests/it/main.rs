//! The one integration-test binary: every file under `tests/it/` is a module here.

mod calendar;
mod calendar_notice;
mod channels_e2e;
mod config_check;
mod core;
mod crash;
mod daemon;
mod digest;
mod dispatch_pause;
mod email;
mod export;
mod fuzz_smoke;
mod helpers;
mod hostile_config;
mod pg;
mod phrases;
mod plan_fixtures;
mod plan_forms;
mod render;
mod render_cmd;
mod replicas;
mod schedule;
mod secrets;
mod seeds;
mod send_test;
#[path = "../support/smtp_harness.rs"]
mod smtp_harness;
mod storage_faults;
mod store;
mod store_contract;
mod systemd;
mod web;
mod web_browser;
mod webhook;
