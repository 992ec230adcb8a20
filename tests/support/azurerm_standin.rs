//! `terraform-provider-azurerm`: a stand-in for the azurerm provider in the tests of moves from azurerm
//! (tests/acceptance/moved_from_azurerm.rs). Terraform needs the source provider of a `moved` block present, not its
//! code: measured with terraform 1.11.4, it starts the source provider and calls GetProviderSchema, once per command
//! that plans or applies, and nothing else; a schema without resource types will do, since the state moves through
//! the target provider's MoveResourceState as raw JSON. So the stand-in is a provider named `azurerm` with nothing
//! in it. It is a Cargo example, so `cargo test` builds it and release builds of the provider never contain it.

use std::process::ExitCode;
use std::sync::Arc;

use dataprotection::plugin;
use dataprotection::plugin::diagnostics::Diagnostics;
use dataprotection::plugin::interface::{ConfigureRequest, Context, DataSource, Provider, Resource};
use dataprotection::plugin::schema::Schema;

fn main() -> ExitCode {
    plugin::serve(Arc::new(StandIn))
}

struct StandIn;

#[async_trait::async_trait]
impl Provider for StandIn {
    fn type_name(&self) -> &'static str {
        "azurerm"
    }

    fn schema(&self) -> Schema {
        Schema::default()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    async fn configure(&self, _: &Context, _: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}
