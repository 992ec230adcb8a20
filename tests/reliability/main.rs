//! Reliability: faults, interrupts and kills, load under ARM's throttling, bad input and security.

#[path = "../reliability_support/mod.rs"]
mod reliability_support;
#[path = "../support/mod.rs"]
mod support;
use support::terraform_version;

mod faults;
mod input;
mod interrupts;
mod load;
mod replay;
mod security;
