//! MySQL flexible server backup (`Microsoft.DBforMySQL/flexibleServers`): the server exists, and the vault's
//! identity holds MySQL Backup And Export Operator on it and Reader on its resource group.

use super::super::World;
use super::flexible_servers::{self, MYSQL_SERVERS};
use super::resource_type::ResourceType;
use super::{DefaultWorld, InstanceRequest, Kind, PolicyLimits};
use crate::error::ArmError;
use crate::ids::{self, BuiltInRole};
use crate::scenario::Scenario;

/// The default world's MySQL flexible server.
pub const MYSQL_SERVER: &str = "mysql-app-01";

/// The MySQL flexible server kind.
pub(super) struct MySql;

impl Kind for MySql {
    fn datasource_type(&self) -> &'static str {
        "Microsoft.DBforMySQL/flexibleServers"
    }

    fn resource_type(&self) -> &'static dyn ResourceType {
        &MYSQL_SERVERS
    }

    fn policy_limits(&self) -> Option<PolicyLimits> {
        Some(flexible_servers::policy_limits())
    }

    fn check_instance(&self, world: &World, instance: &InstanceRequest<'_>) -> Result<Option<ArmError>, ArmError> {
        flexible_servers::check_roles(
            world,
            instance,
            &ids::MYSQL_BACKUP_AND_EXPORT_OPERATOR,
            "Microsoft.DBforMySQL/flexibleServers/backupAndExport/action",
        )
    }

    fn vault_roles(&self) -> &'static [BuiltInRole] {
        &[ids::MYSQL_BACKUP_AND_EXPORT_OPERATOR, ids::READER]
    }

    /// A server, and the backup role and Reader for the vault on the subscription.
    fn add_to_default_world(&self, world: &mut DefaultWorld, scenario: &mut Scenario) {
        MYSQL_SERVERS.add_to_default_world(world, scenario, MYSQL_SERVER, &ids::MYSQL_BACKUP_AND_EXPORT_OPERATOR);
    }
}
