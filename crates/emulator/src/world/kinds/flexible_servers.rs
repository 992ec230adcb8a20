//! PostgreSQL and MySQL flexible servers (`Microsoft.DBforPostgreSQL/flexibleServers`,
//! `Microsoft.DBforMySQL/flexibleServers`): what their backup kinds protect and share. A server holds only what the
//! backup rules look at (it exists, and where); its PUTs and DELETEs are synchronous.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::{Seeding, World};
use super::resource_type::{
    Answer, DatasourceRoute, RequestGroup, ResourceRequest, ResourceType, created_or_ok, deleted, list_only,
    unknown_route,
};
use super::roles::{Need, missing_permission};
use super::{DefaultWorld, InstanceRequest, PolicyLimits};
use crate::error::{ArmError, arm};
use crate::ids::{self, ArmId, BuiltInRole};
use crate::inventory::{Inventory, InventoryDatasource};
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
    engine: Engine,
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

    fn seeds<'a>(&self, scenario: &'a Scenario) -> &'a [FlexibleServerSeed] {
        match self.engine {
            Engine::PostgreSql => &scenario.postgresql_flexible_servers,
            Engine::MySql => &scenario.mysql_flexible_servers,
        }
    }

    fn seeds_mut<'a>(&self, scenario: &'a mut Scenario) -> &'a mut Vec<FlexibleServerSeed> {
        match self.engine {
            Engine::PostgreSql => &mut scenario.postgresql_flexible_servers,
            Engine::MySql => &mut scenario.mysql_flexible_servers,
        }
    }

    /// The servers of this engine, by key.
    fn servers<'a>(&self, world: &'a World) -> impl Iterator<Item = (&'a String, &'a FlexibleServer)> {
        let engine = self.engine;
        world.datasources.flexible_servers.iter().filter(move |(_, server)| server.engine == engine)
    }

    /// Adds (or replaces) a server.
    fn add(&self, world: &mut World, group_id: &str, name: &str, location: &str) {
        let id = self.id(group_id, name);
        let server = FlexibleServer {
            id: id.clone(),
            name: name.to_owned(),
            location: location.to_owned(),
            engine: self.engine,
        };
        world.datasources.flexible_servers.insert(id.to_ascii_lowercase(), server);
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
}

impl ResourceType for FlexibleServers {
    fn namespace(&self) -> &'static str {
        match self.engine {
            Engine::PostgreSql => "Microsoft.DBforPostgreSQL",
            Engine::MySql => "Microsoft.DBforMySQL",
        }
    }

    fn type_name(&self) -> &'static str {
        SERVERS
    }

    fn noun(&self) -> &'static str {
        match self.engine {
            Engine::PostgreSql => "PostgreSQL flexible server",
            Engine::MySql => "MySQL flexible server",
        }
    }

    fn routes(&self) -> &'static [DatasourceRoute] {
        ROUTES
    }

    fn serve(&self, world: &mut World, request: &ResourceRequest<'_>) -> Result<Answer, ArmError> {
        let group = RequestGroup::checked(world, request)?;
        let path = request.path;
        let (SERVERS, []) = (path.route.path, path.parents.as_slice()) else { return Err(unknown_route(path)) };
        let Some(name) = &path.name else {
            let prefix = group.prefix(self);
            return list_only(request, || {
                self.servers(world)
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .map(|(key, server)| (key.clone(), self.render(server)))
                    .collect()
            });
        };
        let id = self.id(&group.id, name);
        let key = id.to_ascii_lowercase();
        match *request.method {
            Method::PUT => {
                let body = (request.body)()?;
                let created = !world.datasources.flexible_servers.contains_key(&key);
                self.add(world, &group.id, name, &group.location(&body));
                let server = world.datasources.flexible_servers.get(&key).ok_or_else(|| arm::parent_not_found(&id))?;
                Ok(Answer::json(created_or_ok(created), self.render(server)))
            }
            Method::DELETE => Ok(deleted(world.datasources.flexible_servers.remove(&key).is_some())),
            _ => {
                let server = world
                    .datasources
                    .flexible_servers
                    .get(&key)
                    .ok_or_else(|| arm::resource_not_found(&self.full_type(), name, request.resource_group))?;
                Ok(Answer::json(StatusCode::OK, self.render(server)))
            }
        }
    }

    fn contains(&self, world: &World, key: &str) -> bool {
        world.datasources.flexible_servers.get(key).is_some_and(|server| server.engine == self.engine)
    }

    fn seed(&self, scenario: &Scenario, world: &mut World, seeding: &Seeding) -> Result<(), String> {
        for seed in self.seeds(scenario) {
            let what = format!("{} '{}'", self.full_type(), seed.name);
            let (group_id, group_location) =
                seeding.group_of(world, &seed.subscription_id, &seed.resource_group, what)?;
            let location = seed.location.clone().unwrap_or(group_location);
            self.add(world, &group_id, &seed.name, &location);
        }
        Ok(())
    }

    fn save(&self, world: &World, scenario: &mut Scenario) {
        let mut servers: Vec<(&String, &FlexibleServer)> = self.servers(world).collect();
        servers.sort_by(|a, b| a.0.cmp(b.0));
        for (_, server) in servers {
            let Some(id) = ArmId::parse(&server.id) else { continue };
            self.seeds_mut(scenario).push(FlexibleServerSeed {
                subscription_id: Some(id.subscription.clone()),
                resource_group: id.resource_group.clone().unwrap_or_default(),
                name: server.name.clone(),
                location: Some(server.location.clone()),
            });
        }
    }

    fn inventory(&self, world: &World, protected_by: &dyn Fn(&str) -> Option<String>, inventory: &mut Inventory) {
        for (key, server) in self.servers(world) {
            inventory.datasources.push(InventoryDatasource {
                id: server.id.clone(),
                resource_type: self.full_type(),
                location: server.location.clone(),
                protected_by: protected_by(key),
                ..InventoryDatasource::default()
            });
        }
    }

    fn remove_in_group(&self, world: &mut World, prefix: &str) {
        let engine = self.engine;
        world.datasources.flexible_servers.retain(|key, server| !(key.starts_with(prefix) && server.engine == engine));
    }
}
