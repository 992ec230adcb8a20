//! Sign-in: every credential the provider takes, the clouds, and what must never show up in a log, against the
//! emulator's token endpoints.

#[path = "../auth_support/mod.rs"]
mod auth_support;
#[path = "../support/mod.rs"]
mod support;
use support::terraform_version;

mod clouds;
mod secrets;
mod sign_in;
mod tokens;
