//! The datasource resources a vault protects, served synchronously (their real PUTs and DELETEs are long-running):
//! storage accounts and their blob containers, AKS clusters with their extensions and trusted access role
//! bindings, and PostgreSQL and MySQL flexible servers.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Context, Reply};
use crate::error::{ArmError, arm};
use crate::ids;
use crate::routes::DatasourcePath;
use crate::util::{lock, new_uuid};
use crate::world::{ClusterExtension, KubernetesCluster, TrustedAccessBinding, World};

/// `{"value": [...]}` of `(key, rendered)` pairs, in key order, so that answers do not depend on hash order.
fn list(mut items: Vec<(String, Value)>) -> Reply {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Reply::json(StatusCode::OK, json!({ "value": items.into_iter().map(|(_, value)| value).collect::<Vec<_>>() }))
}

fn created_or_ok(created: bool) -> StatusCode {
    if created { StatusCode::CREATED } else { StatusCode::OK }
}

fn deleted(existed: bool) -> Reply {
    Reply::empty(if existed { StatusCode::OK } else { StatusCode::NO_CONTENT })
}

/// A string field of `properties` in a request body.
fn property<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.pointer(&format!("/properties/{name}")).and_then(Value::as_str)
}

/// Serves one datasource route.
pub(super) fn datasource(
    context: &Context<'_>,
    subscription: &str,
    resource_group: &str,
    path: &DatasourcePath,
) -> Result<Reply, ArmError> {
    let mut guard = lock(&context.state.core);
    let world = &mut guard.world;
    let group_key = ids::resource_group_id(subscription, resource_group).to_ascii_lowercase();
    let group = world.resource_groups.get(&group_key).ok_or_else(|| arm::resource_group_not_found(resource_group))?;
    let (group_id, group_location) = (group.id.clone(), group.location.clone());
    let method = context.method.clone();
    let location = |body: &Value| {
        body.get("location")
            .and_then(Value::as_str)
            .filter(|l| !l.is_empty())
            .map_or(group_location.clone(), str::to_owned)
    };
    let prefix = |resource_type: &str| format!("{group_key}/providers/{}/", resource_type.to_ascii_lowercase());
    if !matches!(method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE) {
        return Err(arm::method_not_allowed(method.as_str()));
    }
    match path {
        DatasourcePath::StorageAccount(None) | DatasourcePath::Cluster(None) | DatasourcePath::Server(_, None)
            if method != Method::GET =>
        {
            Err(arm::method_not_allowed(method.as_str()))
        }
        DatasourcePath::StorageAccount(None) => {
            let prefix = prefix("Microsoft.Storage/storageAccounts");
            Ok(list(
                world
                    .storage_accounts
                    .iter()
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .map(|(key, account)| (key.clone(), World::render_storage_account(account)))
                    .collect(),
            ))
        }
        DatasourcePath::StorageAccount(Some(name)) => {
            let id = crate::world::storage_account_id(&group_id, name);
            let key = id.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let body = context.required_body()?;
                    let existing = world.storage_accounts.get(&key);
                    let hns = body
                        .pointer("/properties/isHnsEnabled")
                        .and_then(Value::as_bool)
                        .or_else(|| existing.map(|account| account.hns))
                        .unwrap_or(false);
                    let containers: Vec<String> =
                        existing.map(|account| account.containers.values().cloned().collect()).unwrap_or_default();
                    let created = existing.is_none();
                    world.add_storage_account(&group_id, name, &location(&body), hns, &containers);
                    let account = world.storage_accounts.get(&key).ok_or_else(|| arm::parent_not_found(&id))?;
                    Ok(Reply::json(created_or_ok(created), World::render_storage_account(account)))
                }
                Method::DELETE => Ok(deleted(world.storage_accounts.remove(&key).is_some())),
                _ => {
                    let account = world.storage_accounts.get(&key).ok_or_else(|| {
                        arm::resource_not_found("Microsoft.Storage/storageAccounts", name, resource_group)
                    })?;
                    Ok(Reply::json(StatusCode::OK, World::render_storage_account(account)))
                }
            }
        }
        DatasourcePath::Container(account_name, name) => {
            let account_id = crate::world::storage_account_id(&group_id, account_name);
            let account = world
                .storage_accounts
                .get_mut(&account_id.to_ascii_lowercase())
                .ok_or_else(|| arm::parent_not_found(&account_id))?;
            let Some(name) = name else {
                if method != Method::GET {
                    return Err(arm::method_not_allowed(method.as_str()));
                }
                let items = account
                    .containers
                    .iter()
                    .map(|(key, name)| (key.clone(), World::render_container(account, name)))
                    .collect();
                return Ok(list(items));
            };
            let key = name.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let created = !account.containers.contains_key(&key);
                    account.containers.entry(key).or_insert_with(|| name.clone());
                    Ok(Reply::json(created_or_ok(created), World::render_container(account, name)))
                }
                Method::DELETE => Ok(deleted(account.containers.remove(&key).is_some())),
                _ => {
                    let stored = account.containers.get(&key).ok_or_else(|| {
                        arm::resource_not_found(
                            "Microsoft.Storage/storageAccounts/blobServices/containers",
                            &format!("{account_name}/default/{name}"),
                            resource_group,
                        )
                    })?;
                    Ok(Reply::json(StatusCode::OK, World::render_container(account, stored)))
                }
            }
        }
        DatasourcePath::Cluster(None) => {
            let prefix = prefix("Microsoft.ContainerService/managedClusters");
            Ok(list(
                world
                    .kubernetes_clusters
                    .iter()
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .map(|(key, cluster)| (key.clone(), World::render_cluster(cluster)))
                    .collect(),
            ))
        }
        DatasourcePath::Cluster(Some(name)) => {
            let id = crate::world::cluster_id(&group_id, name);
            let key = id.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let body = context.required_body()?;
                    let location = location(&body);
                    let created = match world.kubernetes_clusters.get_mut(&key) {
                        Some(cluster) => {
                            cluster.location = location;
                            false
                        }
                        None => {
                            world.add_cluster(&group_id, name, &location, None);
                            true
                        }
                    };
                    let cluster = world.kubernetes_clusters.get(&key).ok_or_else(|| arm::parent_not_found(&id))?;
                    Ok(Reply::json(created_or_ok(created), World::render_cluster(cluster)))
                }
                Method::DELETE => Ok(deleted(world.kubernetes_clusters.remove(&key).is_some())),
                _ => {
                    let cluster = world.kubernetes_clusters.get(&key).ok_or_else(|| {
                        arm::resource_not_found("Microsoft.ContainerService/managedClusters", name, resource_group)
                    })?;
                    Ok(Reply::json(StatusCode::OK, World::render_cluster(cluster)))
                }
            }
        }
        DatasourcePath::Extension(cluster_name, name) => {
            let cluster_key = cluster_key(world, &group_id, cluster_name)?;
            let Some(name) = name else {
                return cluster_list(world, &cluster_key, &method, |cluster| {
                    cluster
                        .extensions
                        .iter()
                        .map(|(key, e)| (key.clone(), World::render_extension(cluster, e)))
                        .collect()
                });
            };
            let key = name.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let body = context.required_body()?;
                    let extension_type = property(&body, "extensionType")
                        .filter(|kind| !kind.is_empty())
                        .ok_or_else(|| arm::invalid_content("properties.extensionType is required"))?
                        .to_owned();
                    let cluster = world.kubernetes_clusters.get(&cluster_key);
                    let existing = cluster.and_then(|cluster| cluster.extensions.get(&key));
                    let created = existing.is_none();
                    let principal_id = existing.map_or_else(new_uuid, |extension| extension.principal_id.clone());
                    let configuration = body.pointer("/properties/configurationSettings").cloned().unwrap_or(json!({}));
                    let extension = ClusterExtension {
                        name: name.clone(),
                        extension_type,
                        provisioning_state: "Succeeded".to_owned(),
                        principal_id,
                        configuration,
                    };
                    world.add_extension(&cluster_key, extension);
                    let cluster = cluster_of(world, &cluster_key)?;
                    let extension = cluster.extensions.get(&key).ok_or_else(|| arm::parent_not_found(&cluster.id))?;
                    Ok(Reply::json(created_or_ok(created), World::render_extension(cluster, extension)))
                }
                Method::DELETE => {
                    let cluster = world.kubernetes_clusters.get_mut(&cluster_key);
                    Ok(deleted(cluster.and_then(|cluster| cluster.extensions.remove(&key)).is_some()))
                }
                _ => {
                    let cluster = cluster_of(world, &cluster_key)?;
                    let extension = cluster.extensions.get(&key).ok_or_else(|| {
                        arm::resource_not_found("Microsoft.KubernetesConfiguration/extensions", name, resource_group)
                    })?;
                    Ok(Reply::json(StatusCode::OK, World::render_extension(cluster, extension)))
                }
            }
        }
        DatasourcePath::Binding(cluster_name, name) => {
            let cluster_key = cluster_key(world, &group_id, cluster_name)?;
            let Some(name) = name else {
                return cluster_list(world, &cluster_key, &method, |cluster| {
                    cluster.bindings.iter().map(|(key, b)| (key.clone(), World::render_binding(cluster, b))).collect()
                });
            };
            let key = name.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let body = context.required_body()?;
                    let binding = binding_from(&body, name)?;
                    let created = !cluster_of(world, &cluster_key)?.bindings.contains_key(&key);
                    world.add_binding(&cluster_key, binding);
                    let cluster = cluster_of(world, &cluster_key)?;
                    let binding = cluster.bindings.get(&key).ok_or_else(|| arm::parent_not_found(&cluster.id))?;
                    Ok(Reply::json(created_or_ok(created), World::render_binding(cluster, binding)))
                }
                Method::DELETE => {
                    let cluster = world.kubernetes_clusters.get_mut(&cluster_key);
                    Ok(deleted(cluster.and_then(|cluster| cluster.bindings.remove(&key)).is_some()))
                }
                _ => {
                    let cluster = cluster_of(world, &cluster_key)?;
                    let binding = cluster.bindings.get(&key).ok_or_else(|| {
                        arm::resource_not_found(
                            "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings",
                            &format!("{cluster_name}/{name}"),
                            resource_group,
                        )
                    })?;
                    Ok(Reply::json(StatusCode::OK, World::render_binding(cluster, binding)))
                }
            }
        }
        DatasourcePath::Server(engine, None) => {
            let prefix = prefix(engine.resource_type());
            Ok(list(
                world
                    .flexible_servers
                    .iter()
                    .filter(|(key, _)| key.starts_with(&prefix))
                    .map(|(key, server)| (key.clone(), World::render_server(server)))
                    .collect(),
            ))
        }
        DatasourcePath::Server(engine, Some(name)) => {
            let id = crate::world::server_id(&group_id, *engine, name);
            let key = id.to_ascii_lowercase();
            match method {
                Method::PUT => {
                    let body = context.required_body()?;
                    let created = !world.flexible_servers.contains_key(&key);
                    world.add_server(&group_id, *engine, name, &location(&body));
                    let server = world.flexible_servers.get(&key).ok_or_else(|| arm::parent_not_found(&id))?;
                    Ok(Reply::json(created_or_ok(created), World::render_server(server)))
                }
                Method::DELETE => Ok(deleted(world.flexible_servers.remove(&key).is_some())),
                _ => {
                    let server = world
                        .flexible_servers
                        .get(&key)
                        .ok_or_else(|| arm::resource_not_found(engine.resource_type(), name, resource_group))?;
                    Ok(Reply::json(StatusCode::OK, World::render_server(server)))
                }
            }
        }
    }
}

/// The key of an existing cluster; 404 `ParentResourceNotFound` for its sub-resources otherwise.
fn cluster_key(world: &World, group_id: &str, name: &str) -> Result<String, ArmError> {
    let id = crate::world::cluster_id(group_id, name);
    let key = id.to_ascii_lowercase();
    if world.kubernetes_clusters.contains_key(&key) { Ok(key) } else { Err(arm::parent_not_found(&id)) }
}

fn cluster_of<'a>(world: &'a World, key: &str) -> Result<&'a KubernetesCluster, ArmError> {
    world.kubernetes_clusters.get(key).ok_or_else(|| arm::parent_not_found(key))
}

fn cluster_list(
    world: &World,
    key: &str,
    method: &Method,
    items: impl Fn(&KubernetesCluster) -> Vec<(String, Value)>,
) -> Result<Reply, ArmError> {
    if *method != Method::GET {
        return Err(arm::method_not_allowed(method.as_str()));
    }
    Ok(list(items(cluster_of(world, key)?)))
}

/// A trusted access role binding from a request body. A Data Protection role granted to something that is not a
/// backup vault is refused as the service refuses it (Azure/azure-cli#27174).
fn binding_from(body: &Value, name: &str) -> Result<TrustedAccessBinding, ArmError> {
    let source = property(body, "sourceResourceId")
        .filter(|source| !source.is_empty())
        .ok_or_else(|| arm::invalid_content("properties.sourceResourceId is required"))?;
    let roles: Vec<String> = body
        .pointer("/properties/roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .filter(|roles: &Vec<String>| !roles.is_empty())
        .ok_or_else(|| arm::invalid_content("properties.roles is required"))?;
    let is_vault = ids::ArmId::parse(source)
        .is_some_and(|id| id.resource_group.is_some() && id.is_type("Microsoft.DataProtection", &["backupVaults"]));
    let backup_role =
        roles.iter().any(|role| role.to_ascii_lowercase().starts_with("microsoft.dataprotection/backupvaults/"));
    if backup_role && !is_vault {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "The value of parameter properties.roles is invalid.",
        ));
    }
    Ok(TrustedAccessBinding { name: name.to_owned(), source_resource_id: source.to_owned(), roles })
}
