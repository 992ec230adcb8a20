//! The provider binary Terraform starts.

use std::process::ExitCode;
use std::sync::Arc;

use dataprotection::plugin;

fn main() -> ExitCode {
    plugin::serve(Arc::new(EmptyProvider))
}

/// A provider with no resources yet.
struct EmptyProvider;

#[async_trait::async_trait]
impl plugin::provider::Provider for EmptyProvider {
    fn type_name(&self) -> &'static str {
        "dataprotection"
    }

    fn schema(&self) -> plugin::schema::Schema {
        plugin::schema::Schema::default()
    }

    fn resources(&self) -> Vec<Arc<dyn plugin::provider::Resource>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn plugin::provider::DataSource>> {
        Vec::new()
    }

    async fn configure(
        &self,
        _: &plugin::provider::Context,
        _: plugin::provider::ConfigureRequest,
    ) -> plugin::diagnostics::Diagnostics {
        plugin::diagnostics::Diagnostics::new()
    }
}
