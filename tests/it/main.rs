//! The one integration-test binary: every file under `tests/it/` is a module here.

mod calendar;
mod config_check;
mod daemon;
mod email;
mod export;
mod helpers;
mod render;
mod render_cmd;
mod schedule;
mod seeds;
mod send_test;
mod store;
mod webhook;
