//! The provider binary Terraform starts.

use std::process::ExitCode;
use std::sync::Arc;

use dataprotection::plugin;
use dataprotection::provider::DataProtectionProvider;

fn main() -> ExitCode {
    plugin::serve(Arc::new(DataProtectionProvider::new()))
}
