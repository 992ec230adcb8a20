//! `terraform-provider-azurerm`: a stand-in for the azurerm provider in the tests of moves from azurerm
//! (tests/acceptance/moved_from_azurerm.rs). Terraform needs the source provider of a `moved` block present, not its
//! code: of this provider it asks the handshake, the schema and the provider block's checks; the state moves through
//! the target provider's MoveResourceState. The stand-in declares the `azurerm_data_protection_*` types with no
//! attributes but `id`, and does nothing with them. It is a Cargo example, so `cargo test` builds it and release
//! builds of the provider never contain it.

use std::process::ExitCode;
use std::sync::Arc;

use dataprotection::plugin;
use dataprotection::plugin::diagnostics::Diagnostics;
use dataprotection::plugin::interface::*;
use dataprotection::plugin::schema::{Attribute, Block, Schema};
use dataprotection::plugin::value::Type;

/// The azurerm types the tests move from.
const TYPES: &[&str] = &[
    "azurerm_data_protection_backup_vault",
    "azurerm_data_protection_backup_policy_disk",
    "azurerm_data_protection_backup_policy_blob_storage",
    "azurerm_data_protection_backup_policy_kubernetes_cluster",
    "azurerm_data_protection_backup_policy_postgresql_flexible_server",
    "azurerm_data_protection_backup_policy_mysql_flexible_server",
    "azurerm_data_protection_backup_policy_data_lake_storage",
    "azurerm_data_protection_backup_instance_disk",
    "azurerm_data_protection_backup_instance_blob_storage",
    "azurerm_data_protection_backup_instance_kubernetes_cluster",
    "azurerm_data_protection_backup_instance_postgresql_flexible_server",
    "azurerm_data_protection_backup_instance_mysql_flexible_server",
    "azurerm_data_protection_backup_instance_data_lake_storage",
    "azurerm_data_protection_backup_instance_cosmosdb_account",
];

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
        TYPES.iter().map(|name| Arc::new(Inert(name)) as Arc<dyn Resource>).collect()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    async fn configure(&self, _: &Context, _: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

/// A resource type that exists by name only.
struct Inert(&'static str);

fn refused() -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    diagnostics.error("Stand-in provider", "This stand-in for azurerm only lends its name to moved blocks.");
    diagnostics
}

#[async_trait::async_trait]
impl Resource for Inert {
    fn type_name(&self) -> &'static str {
        self.0
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block { attributes: vec![Attribute::computed("id", Type::String)], ..Block::default() },
        }
    }

    async fn plan(&self, _: &Context, _: PlanRequest) -> PlanResponse {
        PlanResponse { diagnostics: refused(), ..PlanResponse::default() }
    }

    async fn apply(&self, _: &Context, _: ApplyRequest) -> ApplyResponse {
        ApplyResponse { diagnostics: refused(), ..ApplyResponse::default() }
    }

    async fn read(&self, _: &Context, request: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: request.current_state, private: request.private, ..ReadResponse::default() }
    }

    async fn import(&self, _: &Context, _: ImportRequest) -> ImportResponse {
        ImportResponse { diagnostics: refused(), ..ImportResponse::default() }
    }
}
