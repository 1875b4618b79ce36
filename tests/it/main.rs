//! The one integration-test binary: every file under `tests/it/` is a module here.

mod calendar;
mod config_check;
mod daemon;
mod digest;
mod email;
mod export;
mod helpers;
mod render;
mod schedule;
mod seeds;
mod send_test;
mod store;
mod webhook;
