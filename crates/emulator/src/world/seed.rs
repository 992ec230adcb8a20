//! Building a world from a scenario, and saving a world as one.

use crate::util::set_field;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::kinds::{self, disk};
use super::{
    GuardProxy, Instance, InstanceKey, Operation, Planned, Principal, Progress, ResourceGuard, Seeding, Status,
    Subscription, Target, UserIdentity, World,
};
use crate::default_world;
use crate::ids::{self, ArmId};
use crate::scenario::{
    BackupInstanceSeed, GuardProxySeed, OperationSeed, PolicySeed, PrincipalSeed, ResourceGroupSeed, ResourceGuardSeed,
    RoleAssignmentSeed, Scenario, SubscriptionSeed, UserIdentitySeed, VaultSeed,
};
use crate::settings::LroTiming;
use crate::swagger::{Direction, Spec};
use crate::util::{new_uuid, normalize_location};

/// The API version status URLs of seeded operations carry by default.
const DEFAULT_API_VERSION: &str = "2026-06-01";

impl World {
    /// Builds the world a scenario describes. Errors name the entry that is inconsistent.
    pub fn from_scenario(scenario: &Scenario, now_ms: u64) -> Result<World, String> {
        let default_tenant = scenario.tenant_id.clone().unwrap_or_else(|| default_world::TENANT_ID.to_owned());
        let mut world = World::empty(&default_tenant);
        let seeding = Seeding::new(scenario, now_ms);
        let subscription_of = |given: &Option<String>, what: &str| seeding.subscription_of(given, what);

        for seed in &scenario.subscriptions {
            if !crate::util::is_guid(&seed.id) {
                return Err(format!("subscription '{}': the ID must be a GUID", seed.id));
            }
            world.subscriptions.insert(
                seed.id.to_ascii_lowercase(),
                Subscription {
                    id: seed.id.clone(),
                    tenant_id: seed.tenant_id.clone().unwrap_or_else(|| default_tenant.clone()),
                    display_name: seed.display_name.clone().unwrap_or_else(|| format!("Subscription {}", seed.id)),
                    unregistered: seed
                        .unregistered_providers
                        .iter()
                        .map(|namespace| {
                            let registration = super::Registration { namespace: namespace.clone(), registering: None };
                            (namespace.to_ascii_lowercase(), registration)
                        })
                        .collect(),
                },
            );
        }
        for seed in &scenario.principals {
            let principal = Principal {
                kind: seed.kind,
                client_id: seed.client_id.clone(),
                object_id: seed.object_id.clone().unwrap_or_else(new_uuid),
                tenant_id: seed.tenant_id.clone().unwrap_or_else(|| default_tenant.clone()),
                display_name: seed.display_name.clone().unwrap_or_else(|| seed.client_id.clone()),
                client_secret: seed.client_secret.clone(),
                issuer: seed.issuer.clone(),
                subject: seed.subject.clone(),
                audience: seed.audience.clone(),
                identity_header: seed.identity_header.clone(),
                system_assigned: seed.system_assigned,
            };
            world.directory.insert(principal.object_id.to_ascii_lowercase(), principal.display_name.clone());
            world.principals.insert(seed.client_id.to_ascii_lowercase(), principal);
        }
        for seed in &scenario.resource_groups {
            let subscription = subscription_of(&seed.subscription_id, &format!("resource group '{}'", seed.name))?;
            if !world.subscriptions.contains_key(&subscription.to_ascii_lowercase()) {
                return Err(format!(
                    "resource group '{}': subscription '{subscription}' is not in the scenario",
                    seed.name
                ));
            }
            world.add_resource_group(&subscription, &seed.name, &seed.location, seed.tags.clone());
        }
        for resource_type in kinds::resource_types() {
            resource_type.seed(scenario, &mut world, &seeding)?;
        }
        for seed in &scenario.resource_guards {
            let subscription = subscription_of(&seed.subscription_id, &format!("resource guard '{}'", seed.name))?;
            let group_key = ids::resource_group_id(&subscription, &seed.resource_group).to_ascii_lowercase();
            let Some(group) = world.resource_groups.get(&group_key) else {
                return Err(format!(
                    "resource guard '{}': resource group '{}' is not in the scenario",
                    seed.name, seed.resource_group
                ));
            };
            let id = ids::resource_guard_id(&subscription, &group.name, &seed.name);
            let guard = ResourceGuard {
                id: id.clone(),
                name: seed.name.clone(),
                location: seed.location.clone().unwrap_or_else(|| group.location.clone()),
                tags: seed.tags.as_ref().map(|tags| json!(tags)),
                exclusions: seed.vault_critical_operation_exclusion_list.clone(),
            };
            world.resource_guards.insert(id.to_ascii_lowercase(), guard);
        }
        for seed in &scenario.vaults {
            let subscription = subscription_of(&seed.subscription_id, &format!("vault '{}'", seed.name))?;
            let group_key = ids::resource_group_id(&subscription, &seed.resource_group).to_ascii_lowercase();
            let Some(group) = world.resource_groups.get(&group_key) else {
                return Err(format!(
                    "vault '{}': resource group '{}' is not in the scenario",
                    seed.name, seed.resource_group
                ));
            };
            let location = seed.location.clone().unwrap_or_else(|| group.location.clone());
            let group_name = group.name.clone();
            let properties = super::resources::client_vault_properties(seed.properties.as_ref());
            let identity = seed.identity.then(|| seed.identity_principal_id.clone());
            let tags = seed.tags.as_ref().map(|tags| json!(tags));
            let key = world.add_vault(
                (&subscription, &group_name),
                &seed.name,
                &location,
                identity,
                properties,
                tags,
                "Succeeded",
                false,
                now_ms,
            );
            let proxy = match &seed.resource_guard_proxy {
                None => None,
                Some(proxy) if !world.resource_guards.contains_key(&proxy.resource_guard_id.to_ascii_lowercase()) => {
                    return Err(format!(
                        "vault '{}': resource guard '{}' is not in the scenario",
                        seed.name, proxy.resource_guard_id
                    ));
                }
                Some(proxy) => Some(GuardProxy {
                    name: proxy.name.clone().unwrap_or_else(|| "DppResourceGuardProxy".to_owned()),
                    guard_id: proxy.resource_guard_id.clone(),
                    last_updated: proxy.last_updated.clone().unwrap_or_else(|| crate::util::format_precise(now_ms)),
                    unlocked: Vec::new(),
                }),
            };
            if let Some(vault) = world.vaults.get_mut(&key) {
                vault.user_identities = seed
                    .user_assigned_identities
                    .iter()
                    .map(|(id, identity)| {
                        let identity = UserIdentity {
                            principal_id: identity.principal_id.clone().unwrap_or_else(new_uuid),
                            client_id: identity.client_id.clone().unwrap_or_else(new_uuid),
                        };
                        (id.clone(), identity)
                    })
                    .collect();
                vault.guard_proxy = proxy;
            }
        }
        for seed in &scenario.policies {
            let subscription = subscription_of(&seed.subscription_id, &format!("policy '{}'", seed.name))?;
            let vault_key = ids::vault_id(&subscription, &seed.resource_group, &seed.vault).to_ascii_lowercase();
            let properties = match &seed.properties {
                Some(properties) => properties.clone(),
                None => disk::policy_properties(
                    seed.schedule.as_deref().unwrap_or("R/2024-01-01T02:00:00+00:00/P1D"),
                    seed.retention.as_deref().unwrap_or("P7D"),
                ),
            };
            if let Err(violations) =
                Spec::dataprotection().validate("BaseBackupPolicy", &properties, Direction::Request)
            {
                return Err(format!("policy '{}': {}", seed.name, join(&violations)));
            }
            if world.add_policy(&vault_key, &seed.name, properties).is_none() {
                return Err(format!("policy '{}': vault '{}' is not in the scenario", seed.name, seed.vault));
            }
        }
        for seed in &scenario.role_assignments {
            world.directory.entry(seed.principal_id.to_ascii_lowercase()).or_insert_with(|| seed.principal_id.clone());
            let name = seed.name.clone().unwrap_or_else(new_uuid);
            let principal_type = seed.principal_type.as_deref().unwrap_or("ServicePrincipal");
            world
                .add_role_assignment(&name, &seed.scope, &seed.role, &seed.principal_id, principal_type, now_ms)
                .map_err(|error| format!("role assignment of '{}' on '{}': {}", seed.role, seed.scope, error.body))?;
        }
        for seed in &scenario.backup_instances {
            world.seed_instance(
                seed,
                &subscription_of(&seed.subscription_id, &format!("backup instance '{}'", seed.name))?,
            )?;
        }
        for seed in &scenario.operations {
            let subscription = subscription_of(&seed.subscription_id, &format!("operation '{}'", seed.id))?;
            world.seed_operation(seed, &subscription, now_ms)?;
        }
        Ok(world)
    }

    fn seed_instance(&mut self, seed: &BackupInstanceSeed, subscription: &str) -> Result<(), String> {
        let what = format!("backup instance '{}'", seed.name);
        let vault_key = ids::vault_id(subscription, &seed.resource_group, &seed.vault).to_ascii_lowercase();
        let Some(vault) = self.vaults.get(&vault_key) else {
            return Err(format!("{what}: vault '{}' is not in the scenario", seed.vault));
        };
        let properties = match &seed.properties {
            Some(properties) => properties.clone(),
            None => {
                let datasource_id =
                    seed.datasource_id.as_deref().ok_or_else(|| format!("{what}: datasource_id is required"))?;
                let datasource =
                    ArmId::parse(datasource_id).ok_or_else(|| format!("{what}: '{datasource_id}' is not an ARM ID"))?;
                let policy = seed.policy.as_deref().ok_or_else(|| format!("{what}: policy is required"))?;
                let policy_id = if policy.starts_with('/') {
                    policy.to_owned()
                } else {
                    format!("{}/backupPolicies/{policy}", vault.id)
                };
                let location = self
                    .datasources
                    .disks
                    .get(&datasource.key())
                    .map_or_else(|| vault.location.clone(), |disk| disk.location.clone());
                let resource_type = datasource.resource_type().unwrap_or_default();
                let mut policy_info = json!({ "policyId": policy_id });
                if let Some(group) = &seed.snapshot_resource_group_id {
                    set_field(
                        &mut policy_info,
                        "policyParameters",
                        json!({ "dataStoreParametersList": [{
                            "objectType": "AzureOperationalStoreParameters",
                            "dataStoreType": "OperationalStore",
                            "resourceGroupId": group,
                        }]}),
                    );
                }
                json!({
                    "objectType": "BackupInstance",
                    "friendlyName": datasource.name(),
                    "dataSourceInfo": {
                        "objectType": "Datasource",
                        "datasourceType": resource_type,
                        "resourceType": resource_type,
                        "resourceID": datasource.canonical(),
                        "resourceName": datasource.name(),
                        "resourceLocation": location,
                        "resourceUri": datasource.canonical(),
                    },
                    "policyInfo": policy_info,
                })
            }
        };
        if let Err(violations) = Spec::dataprotection().validate("BackupInstance", &properties, Direction::Request) {
            return Err(format!("{what}: {}", join(&violations)));
        }
        let policy_id = properties.pointer("/policyInfo/policyId").and_then(Value::as_str).unwrap_or_default();
        let policy_key = ids::key(policy_id);
        let policy_known = ArmId::parse(policy_id)
            .and_then(|id| {
                self.vaults
                    .get(policy_key.rsplit_once("/backuppolicies/")?.0)
                    .map(|vault| vault.policies.contains_key(&id.name().to_ascii_lowercase()))
            })
            .unwrap_or(false);
        if !policy_known {
            return Err(format!("{what}: policy '{policy_id}' is not in the scenario"));
        }
        let datasource_id =
            properties.pointer("/dataSourceInfo/resourceID").and_then(Value::as_str).unwrap_or_default();
        let datasource =
            ArmId::parse(datasource_id).ok_or_else(|| format!("{what}: '{datasource_id}' is not an ARM ID"))?;
        let datasource_key = datasource.key();
        if disk::is_disk_id(&datasource) && !self.datasources.disks.contains_key(&datasource_key) {
            return Err(format!("{what}: disk '{datasource_id}' is not in the scenario"));
        }
        if self.protected.contains_key(&datasource_key) {
            return Err(format!("{what}: '{datasource_id}' is already protected by another instance"));
        }
        let mut stored: Map<String, Value> = properties.as_object().cloned().unwrap_or_default();
        for computed in ["provisioningState", "currentProtectionState", "protectionStatus", "protectionErrorDetails"] {
            stored.remove(computed);
        }
        let key = InstanceKey { vault: vault_key, name: seed.name.to_ascii_lowercase() };
        let instance = Instance {
            id: format!("{}/backupInstances/{}", vault.id, seed.name),
            name: seed.name.clone(),
            properties: stored,
            tags: seed.tags.as_ref().map(|tags| json!(tags)),
            datasource_key,
            policy_key,
            provisioning_state: seed.provisioning_state.clone().unwrap_or_else(|| "Succeeded".to_owned()),
            protection_state: seed.protection_state.clone().unwrap_or_else(|| "ProtectionConfigured".to_owned()),
            protection_error: seed.protection_error.clone(),
            pending_operation: None,
            configuring: None,
        };
        let configuring = instance.protection_state == "ConfiguringProtection";
        let mut instance = instance;
        if configuring {
            // The configuration's progress is not saved; a restored instance finishes it on its next read.
            instance.configuring = Some(Progress { polls_left: 0, due_ms: 0 });
        }
        self.insert_instance(key, instance);
        Ok(())
    }

    fn seed_operation(&mut self, seed: &OperationSeed, subscription: &str, now_ms: u64) -> Result<(), String> {
        let status = Status::parse(&seed.status)
            .ok_or_else(|| format!("operation '{}': unknown status '{}'", seed.id, seed.status))?;
        let target = match (&seed.resource_group, &seed.vault, &seed.backup_instance) {
            (Some(group), Some(vault), Some(instance)) => Some(Target::Instance(InstanceKey {
                vault: ids::vault_id(subscription, group, vault).to_ascii_lowercase(),
                name: instance.to_ascii_lowercase(),
            })),
            _ => None,
        };
        let error = seed.error.clone().or_else(|| {
            matches!(status, Status::Failed | Status::Canceled)
                .then(|| json!({ "code": "OperationFailed", "message": "The operation failed." }))
        });
        let planned = match (&error, status) {
            (Some(error), Status::Canceled) => Planned::Cancel(error.clone()),
            (Some(error), _) => Planned::Fail(error.clone(), 400),
            (None, _) => Planned::Succeed,
        };
        let start_ms = seed.start_unix_ms.unwrap_or(now_ms);
        let operation = Operation {
            id: seed.id.clone(),
            kind: seed.kind,
            subscription: subscription.to_owned(),
            resource_group: seed.resource_group.clone(),
            vault: seed.vault.clone(),
            instance: seed.backup_instance.clone(),
            location: normalize_location(&seed.location),
            target: target.clone(),
            status,
            start_ms,
            end_ms: if status == Status::InProgress { None } else { Some(seed.end_unix_ms.unwrap_or(start_ms)) },
            progress: Progress { polls_left: seed.polls_left.unwrap_or(0), due_ms: seed.due_unix_ms.unwrap_or(now_ms) },
            never_finish: seed.never_finish,
            planned,
            error: if status == Status::InProgress { None } else { error },
            error_status: 400,
            job_id: seed.job_id.clone(),
            timing: LroTiming::default(),
            not_before_ms: 0,
            api_version: seed.api_version.clone().unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
            creates: false,
            configure_timing: None,
        };
        let key = seed.id.to_ascii_lowercase();
        let running = status == Status::InProgress;
        self.insert_operation(operation);
        if running {
            if let Some(Target::Instance(instance)) = &target
                && let Some(instance) = self.instance_mut(instance)
            {
                instance.pending_operation = Some(key.clone());
            }
            if !seed.never_finish && seed.polls_left.unwrap_or(0) == 0 {
                self.schedule(seed.due_unix_ms.unwrap_or(now_ms), super::Timer::Operation(key));
            }
        }
        Ok(())
    }

    /// The world as a scenario (what `--state-dir` persists). Settings and faults are added by the caller.
    pub fn to_scenario(&self) -> Scenario {
        let mut scenario = Scenario { tenant_id: Some(self.default_tenant.clone()), ..Scenario::default() };
        let mut subscriptions: Vec<&Subscription> = self.subscriptions.values().collect();
        subscriptions.sort_by(|a, b| a.id.cmp(&b.id));
        scenario.subscriptions = subscriptions
            .into_iter()
            .map(|subscription| SubscriptionSeed {
                id: subscription.id.clone(),
                tenant_id: Some(subscription.tenant_id.clone()),
                display_name: Some(subscription.display_name.clone()),
                unregistered_providers: subscription.unregistered.values().map(|r| r.namespace.clone()).collect(),
            })
            .collect();
        let mut principals: Vec<&Principal> = self.principals.values().collect();
        principals.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        scenario.principals = principals
            .into_iter()
            .map(|principal| PrincipalSeed {
                kind: principal.kind,
                client_id: principal.client_id.clone(),
                object_id: Some(principal.object_id.clone()),
                tenant_id: Some(principal.tenant_id.clone()),
                display_name: Some(principal.display_name.clone()),
                client_secret: principal.client_secret.clone(),
                issuer: principal.issuer.clone(),
                subject: principal.subject.clone(),
                audience: principal.audience.clone(),
                identity_header: principal.identity_header.clone(),
                system_assigned: principal.system_assigned,
            })
            .collect();
        for key in sorted(self.resource_groups.keys()) {
            let Some(group) = self.resource_groups.get(key) else { continue };
            scenario.resource_groups.push(ResourceGroupSeed {
                subscription_id: Some(group.subscription.clone()),
                name: group.name.clone(),
                location: group.location.clone(),
                tags: group.tags.clone(),
            });
        }
        for resource_type in kinds::resource_types() {
            resource_type.save(self, &mut scenario);
        }
        for key in sorted(self.resource_guards.keys()) {
            let Some(guard) = self.resource_guards.get(key) else { continue };
            let Some(ArmId { subscription, resource_group: Some(resource_group), .. }) = ArmId::parse(&guard.id) else {
                continue;
            };
            scenario.resource_guards.push(ResourceGuardSeed {
                subscription_id: Some(subscription),
                resource_group,
                name: guard.name.clone(),
                location: Some(guard.location.clone()),
                vault_critical_operation_exclusion_list: guard.exclusions.clone(),
                tags: guard.tags.as_ref().and_then(|tags| serde_json::from_value(tags.clone()).ok()),
            });
        }
        for key in sorted(self.vaults.keys()) {
            let Some(vault) = self.vaults.get(key) else { continue };
            scenario.vaults.push(VaultSeed {
                subscription_id: Some(vault.subscription.clone()),
                resource_group: vault.resource_group.clone(),
                name: vault.name.clone(),
                location: Some(vault.location.clone()),
                identity_principal_id: vault.identity.as_ref().map(|identity| identity.principal_id.clone()),
                identity: vault.identity.is_some(),
                properties: Some(vault.properties.clone()),
                tags: vault
                    .tags
                    .as_ref()
                    .and_then(|tags| serde_json::from_value::<BTreeMap<String, String>>(tags.clone()).ok()),
                user_assigned_identities: vault
                    .user_identities
                    .iter()
                    .map(|(id, identity)| {
                        let seed = UserIdentitySeed {
                            principal_id: Some(identity.principal_id.clone()),
                            client_id: Some(identity.client_id.clone()),
                        };
                        (id.clone(), seed)
                    })
                    .collect(),
                resource_guard_proxy: vault.guard_proxy.as_ref().map(|proxy| GuardProxySeed {
                    name: Some(proxy.name.clone()),
                    resource_guard_id: proxy.guard_id.clone(),
                    last_updated: Some(proxy.last_updated.clone()),
                }),
            });
            for policy in vault.policies.values() {
                scenario.policies.push(PolicySeed {
                    subscription_id: Some(vault.subscription.clone()),
                    resource_group: vault.resource_group.clone(),
                    vault: vault.name.clone(),
                    name: policy.name.clone(),
                    schedule: None,
                    retention: None,
                    properties: Some(policy.properties.clone()),
                });
            }
            for instance in vault.instances.values() {
                scenario.backup_instances.push(BackupInstanceSeed {
                    subscription_id: Some(vault.subscription.clone()),
                    resource_group: vault.resource_group.clone(),
                    vault: vault.name.clone(),
                    name: instance.name.clone(),
                    datasource_id: None,
                    policy: None,
                    snapshot_resource_group_id: None,
                    protection_state: Some(instance.protection_state.clone()),
                    provisioning_state: Some(instance.provisioning_state.clone()),
                    protection_error: instance.protection_error.clone(),
                    properties: Some(Value::Object(instance.properties.clone())),
                    tags: instance.tags.as_ref().and_then(|tags| serde_json::from_value(tags.clone()).ok()),
                });
            }
        }
        for key in sorted(self.role_assignments.keys()) {
            let Some(assignment) = self.role_assignments.get(key) else { continue };
            scenario.role_assignments.push(RoleAssignmentSeed {
                name: Some(assignment.name.clone()),
                scope: assignment.scope.clone(),
                role: assignment.role_guid.clone(),
                principal_id: assignment.principal_id.clone(),
                principal_type: Some(assignment.principal_type.clone()),
            });
        }
        for key in &self.operation_order {
            let Some(operation) = self.operations.get(key) else { continue };
            scenario.operations.push(OperationSeed {
                id: operation.id.clone(),
                kind: operation.kind,
                subscription_id: Some(operation.subscription.clone()),
                location: operation.location.clone(),
                resource_group: operation.resource_group.clone(),
                vault: operation.vault.clone(),
                backup_instance: operation.instance.clone(),
                status: operation.status.as_str().to_owned(),
                error: operation.error.clone().or_else(|| match &operation.planned {
                    Planned::Fail(error, _) | Planned::Cancel(error) if operation.status == Status::InProgress => {
                        Some(error.clone())
                    }
                    _ => None,
                }),
                job_id: operation.job_id.clone(),
                start_unix_ms: Some(operation.start_ms),
                end_unix_ms: operation.end_ms,
                polls_left: Some(operation.progress.polls_left),
                due_unix_ms: Some(operation.progress.due_ms),
                never_finish: operation.never_finish,
                api_version: Some(operation.api_version.clone()),
            });
        }
        scenario
    }
}

fn join(violations: &[crate::swagger::SchemaViolation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn sorted<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut keys: Vec<&String> = keys.collect();
    keys.sort();
    keys
}
