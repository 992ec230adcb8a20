//! PostgreSQL and MySQL flexible servers (`Microsoft.DBforPostgreSQL/flexibleServers`,
//! `Microsoft.DBforMySQL/flexibleServers`): what their backup kinds protect and share. A server holds only what the
//! backup rules look at (it exists, and where); its PUTs and DELETEs are synchronous.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::super::World;
use super::resource_type::{ArmType, DatasourceRoute, Put, ResourceType, TypeInfo, placed, placement};
use super::roles::{Need, missing_permission};
use super::{DefaultWorld, InstanceRequest, PolicyLimits};
use crate::error::ArmError;
use crate::ids::{self, ArmId, BuiltInRole};
use crate::scenario::{FlexibleServerSeed, Scenario};

/// The database engine of a flexible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    PostgreSql,
    MySql,
}

/// The flexible servers of one engine.
pub(crate) struct FlexibleServers {
    pub engine: Engine,
}

/// PostgreSQL flexible servers.
pub(crate) const POSTGRESQL_SERVERS: FlexibleServers = FlexibleServers { engine: Engine::PostgreSql };
/// MySQL flexible servers.
pub(crate) const MYSQL_SERVERS: FlexibleServers = FlexibleServers { engine: Engine::MySql };

/// A PostgreSQL or MySQL flexible server.
pub(crate) struct FlexibleServer {
    pub id: String,
    pub name: String,
    pub location: String,
}

const SERVERS: &str = "flexibleServers";

const ROUTES: &[DatasourceRoute] = &[DatasourceRoute {
    path: SERVERS,
    list: "Servers_ListByResourceGroup",
    get: "Servers_Get",
    put: "Servers_Create",
    delete: "Servers_Delete",
}];

/// What both kinds allow in a policy: weekly full backups into the vault store.
pub(super) fn policy_limits() -> PolicyLimits {
    PolicyLimits {
        backup_rule_required: true,
        backup_store: "VaultStore",
        backup_type: "Full",
        intervals: &["P1W"],
        retention_stores: &["VaultStore"],
        vaulted_backup_pairs_rule_and_retention: false,
        max_retention_days: None,
    }
}

/// What both kinds ask of an instance: the vault holds the engine's backup `role` (which grants `action`) on the
/// server, and Reader on its resource group.
pub(super) fn check_roles(
    world: &World,
    instance: &InstanceRequest<'_>,
    role: &'static BuiltInRole,
    action: &'static str,
) -> Result<Option<ArmError>, ArmError> {
    let datasource = instance.datasource;
    let group = datasource
        .resource_group
        .as_deref()
        .and_then(|group| ArmId::parse(&ids::resource_group_id(&datasource.subscription, group)));
    let mut needs = vec![Need::vault(datasource.clone(), role, action)];
    if let Some(group) = group {
        needs.push(Need::vault(group, &ids::READER, "Microsoft.Resources/subscriptions/resourceGroups/read"));
    }
    Ok(missing_permission(world, instance.vault, &needs, instance.activity_id))
}

impl FlexibleServers {
    /// Adds a server of the engine to the default world, and `role` and Reader for the vault on the subscription.
    pub fn add_to_default_world(
        &self,
        world: &mut DefaultWorld,
        scenario: &mut Scenario,
        name: &str,
        role: &'static BuiltInRole,
    ) {
        self.seeds_mut(scenario).push(FlexibleServerSeed {
            subscription_id: None,
            resource_group: world.workload_resource_group.to_owned(),
            name: name.to_owned(),
            location: None,
        });
        world.grant_vault_on_subscription(role);
        world.grant_vault_on_subscription(&ids::READER);
    }

    /// Adds (or replaces) a server.
    fn add(&self, world: &mut World, group_id: &str, name: &str, location: &str) {
        let id = self.id(group_id, name);
        let server = FlexibleServer { id: id.clone(), name: name.to_owned(), location: location.to_owned() };
        self.stored_mut(world).insert(id.to_ascii_lowercase(), server);
    }
}

placed!(FlexibleServer);
placement!(FlexibleServerSeed);

const POSTGRESQL: TypeInfo = TypeInfo {
    namespace: "Microsoft.DBforPostgreSQL",
    type_name: SERVERS,
    noun: "PostgreSQL flexible server",
    with: None,
    known_at_subscription_scope: false,
    routes: ROUTES,
};

const MYSQL: TypeInfo = TypeInfo { namespace: "Microsoft.DBforMySQL", noun: "MySQL flexible server", ..POSTGRESQL };

impl ArmType for FlexibleServers {
    type Item = FlexibleServer;
    type Seed = FlexibleServerSeed;

    fn info(&self) -> &'static TypeInfo {
        match self.engine {
            Engine::PostgreSql => &POSTGRESQL,
            Engine::MySql => &MYSQL,
        }
    }

    fn stored<'w>(&self, world: &'w World) -> &'w HashMap<String, FlexibleServer> {
        match self.engine {
            Engine::PostgreSql => &world.datasources.postgresql_servers,
            Engine::MySql => &world.datasources.mysql_servers,
        }
    }

    fn stored_mut<'w>(&self, world: &'w mut World) -> &'w mut HashMap<String, FlexibleServer> {
        match self.engine {
            Engine::PostgreSql => &mut world.datasources.postgresql_servers,
            Engine::MySql => &mut world.datasources.mysql_servers,
        }
    }

    fn render(&self, server: &FlexibleServer) -> Value {
        json!({
            "id": server.id,
            "name": server.name,
            "type": self.full_type(),
            "location": server.location,
            "sku": { "name": "Standard_B1ms", "tier": "Burstable" },
            "properties": { "state": "Ready", "version": match self.engine {
                Engine::PostgreSql => "16",
                Engine::MySql => "8.0.21",
            } },
        })
    }

    fn put(&self, world: &mut World, put: &Put<'_>) -> Result<(), ArmError> {
        self.add(world, &put.group.id, put.name, &put.group.location(put.body));
        Ok(())
    }

    fn seeds<'s>(&self, scenario: &'s Scenario) -> &'s [FlexibleServerSeed] {
        match self.engine {
            Engine::PostgreSql => &scenario.postgresql_flexible_servers,
            Engine::MySql => &scenario.mysql_flexible_servers,
        }
    }

    fn seeds_mut<'s>(&self, scenario: &'s mut Scenario) -> &'s mut Vec<FlexibleServerSeed> {
        match self.engine {
            Engine::PostgreSql => &mut scenario.postgresql_flexible_servers,
            Engine::MySql => &mut scenario.mysql_flexible_servers,
        }
    }

    fn add_seed(&self, world: &mut World, group_id: &str, location: &str, seed: &FlexibleServerSeed, _now_ms: u64) {
        self.add(world, group_id, &seed.name, location);
    }

    fn to_seed(&self, server: &FlexibleServer, subscription_id: String, resource_group: String) -> FlexibleServerSeed {
        FlexibleServerSeed {
            subscription_id: Some(subscription_id),
            resource_group,
            name: server.name.clone(),
            location: Some(server.location.clone()),
        }
    }
}
