//! PostgreSQL flexible server backup (`Microsoft.DBforPostgreSQL/flexibleServers`): the server exists, and the
//! vault's identity holds PostgreSQL Flexible Server Long Term Retention Backup Role on it and Reader on its
//! resource group.

use super::super::World;
use super::flexible_servers::{self, POSTGRESQL_SERVERS};
use super::resource_type::ResourceType;
use super::{DefaultWorld, InstanceRequest, Kind, PolicyLimits};
use crate::error::ArmError;
use crate::ids::{self, BuiltInRole};
use crate::scenario::Scenario;

/// The default world's PostgreSQL flexible server.
pub const POSTGRESQL_SERVER: &str = "psql-app-01";

/// The PostgreSQL flexible server kind.
pub(super) struct PostgreSql;

impl Kind for PostgreSql {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.DBforPostgreSQL/flexibleServers"
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &POSTGRESQL_SERVERS
    }

    fn policy_limits(&self) -> Option<PolicyLimits> {
        Some(flexible_servers::policy_limits())
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        flexible_servers::check_roles(
            world,
            instance,
            &ids::POSTGRESQL_LONG_TERM_RETENTION_BACKUP,
            "Microsoft.DBforPostgreSQL/flexibleServers/ltrBackupOperations/read",
        )
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::POSTGRESQL_LONG_TERM_RETENTION_BACKUP, ids::READER]
    }

    /// A server, and the backup role and Reader for the vault on the subscription.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        POSTGRESQL_SERVERS.add_to_default_world(
            world,
            scenario,
            POSTGRESQL_SERVER,
            &ids::POSTGRESQL_LONG_TERM_RETENTION_BACKUP,
        );
    }
}
