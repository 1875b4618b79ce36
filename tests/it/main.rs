//! The one integration-test binary: every file under `tests/it/` is a module here.

mod helpers;
mod webhook;
