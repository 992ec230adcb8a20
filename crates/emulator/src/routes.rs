//! Request paths to routes. ARM matches path segments without case, which a router with literal routes cannot,
//! so ARM paths are parsed here once per request; the result names the operation for the journal and faults.

use super::util::percent_decode;
use super::world::kinds::DatasourcePath;

/// The path of a vault: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{v}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VaultPath {
    pub subscription: String,
    pub resource_group: String,
    pub vault: String,
}

/// The actions on a backup instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceAction {
    AdhocBackup,
    StopProtection,
    SuspendBackups,
    ResumeProtection,
    ResumeBackups,
    Sync,
    ValidateForModifyBackup,
}

impl InstanceAction {
    fn parse(segment: &str) -> Option<InstanceAction> {
        Some(match segment.to_ascii_lowercase().as_str() {
            "backup" => InstanceAction::AdhocBackup,
            "stopprotection" => InstanceAction::StopProtection,
            "suspendbackups" => InstanceAction::SuspendBackups,
            "resumeprotection" => InstanceAction::ResumeProtection,
            "resumebackups" => InstanceAction::ResumeBackups,
            "sync" => InstanceAction::Sync,
            "validateformodifybackup" => InstanceAction::ValidateForModifyBackup,
            _ => return None,
        })
    }

    pub fn operation(self) -> &'static str {
        match self {
            InstanceAction::AdhocBackup => "BackupInstances_AdhocBackup",
            InstanceAction::StopProtection => "BackupInstances_StopProtection",
            InstanceAction::SuspendBackups => "BackupInstances_SuspendBackups",
            InstanceAction::ResumeProtection => "BackupInstances_ResumeProtection",
            InstanceAction::ResumeBackups => "BackupInstances_ResumeBackups",
            InstanceAction::Sync => "BackupInstances_SyncBackupInstance",
            InstanceAction::ValidateForModifyBackup => "BackupInstances_ValidateForModifyBackup",
        }
    }
}

/// An ARM route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArmRoute {
    Subscription {
        subscription: String,
    },
    ResourceGroups {
        subscription: String,
    },
    ResourceGroup {
        subscription: String,
        resource_group: String,
    },
    SubscriptionOperationResult {
        subscription: String,
        operation: String,
    },
    /// A route of a datasource kind's resource type (managed disks, storage accounts and their containers, AKS
    /// clusters and their extensions and trusted access role bindings, flexible servers) in a resource group.
    Datasource {
        subscription: String,
        resource_group: String,
        path: DatasourcePath,
    },
    Vaults {
        subscription: String,
        resource_group: String,
    },
    Vault(VaultPath),
    /// `{group}/providers/Microsoft.DataProtection/resourceGuards/{name}`.
    ResourceGuard {
        subscription: String,
        resource_group: String,
        name: String,
    },
    /// `{vault}/backupResourceGuardProxies/{name}`.
    GuardProxy(VaultPath, String),
    /// `{vault}/backupResourceGuardProxies/{name}/unlockDelete`.
    UnlockDelete(VaultPath, String),
    Policies(VaultPath),
    Policy(VaultPath, String),
    Instances(VaultPath),
    Instance(VaultPath, String),
    /// `{vault}/deletedBackupInstances`.
    DeletedInstances(VaultPath),
    /// `{vault}/deletedBackupInstances/{name}`.
    DeletedInstance(VaultPath, String),
    /// `{vault}/deletedBackupInstances/{name}/undelete`.
    Undelete(VaultPath, String),
    Action(VaultPath, String, InstanceAction),
    InstanceOperationResult(VaultPath, String, String),
    ValidateForBackup(VaultPath),
    VaultOperationStatus(VaultPath, String),
    VaultOperationResult(VaultPath, String),
    GroupOperationStatus {
        subscription: String,
        resource_group: String,
        operation: String,
    },
    GroupOperationResult {
        subscription: String,
        resource_group: String,
        operation: String,
    },
    LocationOperationStatus {
        subscription: String,
        location: String,
        operation: String,
    },
    LocationOperationResult {
        subscription: String,
        location: String,
        operation: String,
    },
    RoleAssignments {
        scope: String,
    },
    RoleAssignment {
        scope: String,
        name: String,
    },
    /// `/{resourceId}/providers/Microsoft.DataProtection/backupInstances`: the instances protecting a resource.
    ExtensionInstances {
        subscription: String,
        resource_id: String,
    },
    /// `/subscriptions/{s}/providers/{namespace}`: a resource provider and its registration state.
    Provider {
        subscription: String,
        namespace: String,
    },
    /// `/subscriptions/{s}/providers/{namespace}/register`.
    ProviderRegister {
        subscription: String,
        namespace: String,
    },
    /// A namespace the emulator does not serve.
    UnsupportedNamespace {
        subscription: String,
        namespace: String,
    },
    /// A path under a served namespace that names no resource type the emulator knows.
    UnknownType {
        subscription: String,
        namespace: String,
        resource_type: String,
    },
}

/// Any route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Metadata,
    Token,
    ManagedIdentityToken,
    Arm(ArmRoute),
    /// A path that could not be decoded (bad percent-escapes).
    BadPath,
    Unknown,
}

impl Route {
    /// Parses a request path.
    pub fn parse(path: &str) -> Route {
        let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut segments = Vec::with_capacity(raw.len());
        for segment in raw {
            match percent_decode(segment) {
                Some(decoded) => segments.push(decoded),
                None => return Route::BadPath,
            }
        }
        while segments.last().is_some_and(String::is_empty) {
            segments.pop();
        }
        if segments.iter().any(String::is_empty) {
            return Route::Unknown;
        }
        let lower: Vec<String> = segments.iter().map(|segment| segment.to_ascii_lowercase()).collect();
        let words: Vec<&str> = lower.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["metadata", "endpoints"] => return Route::Metadata,
            [_, "oauth2", "v2.0", "token"] => return Route::Token,
            ["msi", "token"] => return Route::ManagedIdentityToken,
            _ => {}
        }
        parse_arm(&segments, &words).map_or(Route::Unknown, Route::Arm)
    }

    /// The operation name the journal and fault rules use for a request on this route.
    pub fn operation(&self, method: &str) -> &'static str {
        let route = match self {
            Route::Metadata => return "Metadata_Endpoints",
            Route::Token => return "Token",
            Route::ManagedIdentityToken => return "ManagedIdentityToken",
            Route::BadPath | Route::Unknown => return "Unknown",
            Route::Arm(route) => route,
        };
        let by_method = |get: &'static str, put: &'static str, delete: &'static str| match method {
            "GET" | "HEAD" => get,
            "PUT" | "PATCH" => put,
            "DELETE" => delete,
            _ => "Unknown",
        };
        match route {
            ArmRoute::Subscription { .. } => "Subscriptions_Get",
            ArmRoute::ResourceGroups { .. } => "ResourceGroups_List",
            ArmRoute::ResourceGroup { .. } if method == "HEAD" => "ResourceGroups_CheckExistence",
            ArmRoute::ResourceGroup { .. } => {
                by_method("ResourceGroups_Get", "ResourceGroups_CreateOrUpdate", "ResourceGroups_Delete")
            }
            ArmRoute::SubscriptionOperationResult { .. } => "OperationResults_Get",
            ArmRoute::Datasource { path, .. } => path.operation(method),
            ArmRoute::Vaults { .. } => "BackupVaults_GetInResourceGroup",
            ArmRoute::Vault(_) if method == "PATCH" => "BackupVaults_Update",
            ArmRoute::Vault(_) => by_method("BackupVaults_Get", "BackupVaults_CreateOrUpdate", "BackupVaults_Delete"),
            ArmRoute::ResourceGuard { .. } if method == "PATCH" => "ResourceGuards_Patch",
            ArmRoute::ResourceGuard { .. } => {
                by_method("ResourceGuards_Get", "ResourceGuards_Put", "ResourceGuards_Delete")
            }
            ArmRoute::GuardProxy(..) => by_method(
                "DppResourceGuardProxy_Get",
                "DppResourceGuardProxy_CreateOrUpdate",
                "DppResourceGuardProxy_Delete",
            ),
            ArmRoute::UnlockDelete(..) => "DppResourceGuardProxy_UnlockDelete",
            ArmRoute::Policies(_) => "BackupPolicies_List",
            ArmRoute::Policy(..) => {
                by_method("BackupPolicies_Get", "BackupPolicies_CreateOrUpdate", "BackupPolicies_Delete")
            }
            ArmRoute::Instances(_) => "BackupInstances_List",
            ArmRoute::Instance(..) => {
                by_method("BackupInstances_Get", "BackupInstances_CreateOrUpdate", "BackupInstances_Delete")
            }
            ArmRoute::Action(_, _, action) => action.operation(),
            ArmRoute::DeletedInstances(_) => "DeletedBackupInstances_List",
            ArmRoute::DeletedInstance(..) => "DeletedBackupInstances_Get",
            ArmRoute::Undelete(..) => "DeletedBackupInstances_Undelete",
            ArmRoute::InstanceOperationResult(..) => "BackupInstances_GetBackupInstanceOperationResult",
            ArmRoute::ValidateForBackup(_) => "BackupInstances_ValidateForBackup",
            ArmRoute::VaultOperationStatus(..) => "OperationStatusBackupVaultContext_Get",
            ArmRoute::VaultOperationResult(..) => "BackupVaultOperationResults_Get",
            ArmRoute::GroupOperationStatus { .. } => "OperationStatusResourceGroupContext_Get",
            ArmRoute::GroupOperationResult { .. } => "OperationResultResourceGroupContext_Get",
            ArmRoute::LocationOperationStatus { .. } => "OperationStatus_Get",
            ArmRoute::LocationOperationResult { .. } => "OperationResult_Get",
            ArmRoute::RoleAssignments { .. } => "RoleAssignments_ListForScope",
            ArmRoute::RoleAssignment { .. } => {
                by_method("RoleAssignments_Get", "RoleAssignments_Create", "RoleAssignments_Delete")
            }
            ArmRoute::ExtensionInstances { .. } => "BackupInstancesExtensionRouting_List",
            ArmRoute::Provider { .. } => "Providers_Get",
            ArmRoute::ProviderRegister { .. } => "Providers_Register",
            ArmRoute::UnsupportedNamespace { .. } | ArmRoute::UnknownType { .. } => "Unknown",
        }
    }
}

impl ArmRoute {
    /// The subscription in the path.
    pub fn subscription(&self) -> &str {
        match self {
            ArmRoute::Subscription { subscription }
            | ArmRoute::ResourceGroups { subscription }
            | ArmRoute::ResourceGroup { subscription, .. }
            | ArmRoute::SubscriptionOperationResult { subscription, .. }
            | ArmRoute::Datasource { subscription, .. }
            | ArmRoute::Vaults { subscription, .. }
            | ArmRoute::ResourceGuard { subscription, .. }
            | ArmRoute::GroupOperationStatus { subscription, .. }
            | ArmRoute::GroupOperationResult { subscription, .. }
            | ArmRoute::LocationOperationStatus { subscription, .. }
            | ArmRoute::LocationOperationResult { subscription, .. }
            | ArmRoute::ExtensionInstances { subscription, .. }
            | ArmRoute::Provider { subscription, .. }
            | ArmRoute::ProviderRegister { subscription, .. }
            | ArmRoute::UnsupportedNamespace { subscription, .. }
            | ArmRoute::UnknownType { subscription, .. } => subscription,
            ArmRoute::Vault(vault)
            | ArmRoute::GuardProxy(vault, _)
            | ArmRoute::UnlockDelete(vault, _)
            | ArmRoute::Policies(vault)
            | ArmRoute::Policy(vault, _)
            | ArmRoute::Instances(vault)
            | ArmRoute::Instance(vault, _)
            | ArmRoute::DeletedInstances(vault)
            | ArmRoute::DeletedInstance(vault, _)
            | ArmRoute::Undelete(vault, _)
            | ArmRoute::Action(vault, ..)
            | ArmRoute::InstanceOperationResult(vault, ..)
            | ArmRoute::ValidateForBackup(vault)
            | ArmRoute::VaultOperationStatus(vault, _)
            | ArmRoute::VaultOperationResult(vault, _) => &vault.subscription,
            ArmRoute::RoleAssignments { scope } | ArmRoute::RoleAssignment { scope, .. } => {
                scope.trim_start_matches('/').split('/').nth(1).unwrap_or_default()
            }
        }
    }

    /// The resource provider namespace that serves this route, for api-version checks.
    pub fn namespace(&self) -> Namespace {
        match self {
            ArmRoute::Subscription { .. }
            | ArmRoute::ResourceGroups { .. }
            | ArmRoute::ResourceGroup { .. }
            | ArmRoute::SubscriptionOperationResult { .. }
            | ArmRoute::Provider { .. }
            | ArmRoute::ProviderRegister { .. }
            | ArmRoute::UnsupportedNamespace { .. }
            | ArmRoute::UnknownType { .. } => Namespace::Resources,
            ArmRoute::Datasource { .. } => Namespace::Datasource,
            ArmRoute::RoleAssignments { .. } | ArmRoute::RoleAssignment { .. } => Namespace::Authorization,
            _ => Namespace::DataProtection,
        }
    }
}

/// The resource providers the emulator serves, as far as the api-version checks tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespace {
    Resources,
    /// The namespace of a datasource kind's resource type (`Microsoft.Compute`, `Microsoft.Storage`, ...).
    Datasource,
    Authorization,
    DataProtection,
}

fn parse_arm(segments: &[String], words: &[&str]) -> Option<ArmRoute> {
    let at = |index: usize| segments.get(index).cloned().unwrap_or_default();
    if words.first() != Some(&"subscriptions") || segments.len() < 2 {
        return None;
    }
    let subscription = at(1);

    // Role assignments at any scope: {scope}/providers/Microsoft.Authorization/roleAssignments[/{name}].
    if let Some(index) =
        words.windows(3).position(|window| window == ["providers", "microsoft.authorization", "roleassignments"])
    {
        let scope = format!("/{}", segments.get(..index)?.join("/"));
        return match segments.get(index + 3..)? {
            [] => Some(ArmRoute::RoleAssignments { scope }),
            [name] => Some(ArmRoute::RoleAssignment { scope, name: name.clone() }),
            _ => Some(ArmRoute::UnknownType {
                subscription,
                namespace: "Microsoft.Authorization".to_owned(),
                resource_type: "roleAssignments".to_owned(),
            }),
        };
    }
    // The extension route: a resource ID followed by providers/Microsoft.DataProtection/backupInstances.
    if let [prefix @ .., "providers", "microsoft.dataprotection", "backupinstances"] = words
        && prefix.len() > 4
        && prefix.get(2..).is_some_and(|rest| rest.contains(&"providers"))
    {
        let resource_id = format!("/{}", segments.get(..prefix.len())?.join("/"));
        return Some(ArmRoute::ExtensionInstances { subscription, resource_id });
    }

    let rest = words.get(2..)?;
    let group = || at(3);
    match rest {
        [] => Some(ArmRoute::Subscription { subscription }),
        ["resourcegroups"] => Some(ArmRoute::ResourceGroups { subscription }),
        ["resourcegroups", _] => Some(ArmRoute::ResourceGroup { subscription, resource_group: group() }),
        ["operationresults", _] => Some(ArmRoute::SubscriptionOperationResult { subscription, operation: at(3) }),
        ["resourcegroups", _, "providers", namespace, tail @ ..] => {
            let offset = 6;
            let name = |index: usize| at(offset + index);
            let resource_group = group();
            if let Some(path) = DatasourcePath::parse(namespace, tail, name) {
                return Some(ArmRoute::Datasource { subscription, resource_group, path });
            }
            let vault = || VaultPath {
                subscription: subscription.clone(),
                resource_group: resource_group.clone(),
                vault: name(1),
            };
            match (*namespace, tail) {
                ("microsoft.dataprotection", ["backupvaults"]) => Some(ArmRoute::Vaults {
                    subscription: subscription.clone(),
                    resource_group: resource_group.clone(),
                }),
                ("microsoft.dataprotection", ["backupvaults", _]) => Some(ArmRoute::Vault(vault())),
                ("microsoft.dataprotection", ["resourceguards", _]) => Some(ArmRoute::ResourceGuard {
                    subscription: subscription.clone(),
                    resource_group: resource_group.clone(),
                    name: name(1),
                }),
                ("microsoft.dataprotection", ["backupvaults", _, "backupresourceguardproxies", _]) => {
                    Some(ArmRoute::GuardProxy(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backupresourceguardproxies", _, "unlockdelete"]) => {
                    Some(ArmRoute::UnlockDelete(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backuppolicies"]) => {
                    Some(ArmRoute::Policies(vault()))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backuppolicies", _]) => {
                    Some(ArmRoute::Policy(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backupinstances"]) => {
                    Some(ArmRoute::Instances(vault()))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backupinstances", _]) => {
                    Some(ArmRoute::Instance(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "deletedbackupinstances"]) => {
                    Some(ArmRoute::DeletedInstances(vault()))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "deletedbackupinstances", _]) => {
                    Some(ArmRoute::DeletedInstance(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "deletedbackupinstances", _, "undelete"]) => {
                    Some(ArmRoute::Undelete(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backupinstances", _, "operationresults", _]) => {
                    Some(ArmRoute::InstanceOperationResult(vault(), name(3), name(5)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "backupinstances", _, action]) => {
                    match InstanceAction::parse(action) {
                        Some(action) => Some(ArmRoute::Action(vault(), name(3), action)),
                        None => unknown_type(&subscription, namespace_name(segments, 5), tail),
                    }
                }
                ("microsoft.dataprotection", ["backupvaults", _, "validateforbackup"]) => {
                    Some(ArmRoute::ValidateForBackup(vault()))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "operationstatus", _]) => {
                    Some(ArmRoute::VaultOperationStatus(vault(), name(3)))
                }
                ("microsoft.dataprotection", ["backupvaults", _, "operationresults", _]) => {
                    Some(ArmRoute::VaultOperationResult(vault(), name(3)))
                }
                // A vault delete's status URL (recorded): the location scope under the resource group.
                ("microsoft.dataprotection", ["locations", _, "operationstatus", _]) => {
                    Some(ArmRoute::LocationOperationStatus {
                        subscription: subscription.clone(),
                        location: name(1),
                        operation: name(3),
                    })
                }
                ("microsoft.dataprotection", ["operationstatus", _]) => Some(ArmRoute::GroupOperationStatus {
                    subscription: subscription.clone(),
                    resource_group: resource_group.clone(),
                    operation: name(1),
                }),
                ("microsoft.dataprotection", ["operationresults", _]) => Some(ArmRoute::GroupOperationResult {
                    subscription: subscription.clone(),
                    resource_group: resource_group.clone(),
                    operation: name(1),
                }),
                ("microsoft.dataprotection", _) => unknown_type(&subscription, namespace_name(segments, 5), tail),
                _ if DatasourcePath::is_served_namespace(namespace) => {
                    unknown_type(&subscription, namespace_name(segments, 5), tail)
                }
                _ => Some(ArmRoute::UnsupportedNamespace {
                    subscription: subscription.clone(),
                    namespace: namespace_name(segments, 5),
                }),
            }
        }
        ["providers", _] => Some(ArmRoute::Provider { subscription, namespace: at(3) }),
        ["providers", _, "register"] => Some(ArmRoute::ProviderRegister { subscription, namespace: at(3) }),
        ["providers", namespace, tail @ ..] => match (*namespace, tail) {
            ("microsoft.dataprotection", ["locations", _, "operationstatus", _]) => {
                Some(ArmRoute::LocationOperationStatus { subscription, location: at(5), operation: at(7) })
            }
            ("microsoft.dataprotection", ["locations", _, "operationresults", _]) => {
                Some(ArmRoute::LocationOperationResult { subscription, location: at(5), operation: at(7) })
            }
            ("microsoft.dataprotection", _) => unknown_type(&subscription, namespace_name(segments, 3), tail),
            _ if DatasourcePath::is_known_at_subscription_scope(namespace) => {
                unknown_type(&subscription, namespace_name(segments, 3), tail)
            }
            _ => Some(ArmRoute::UnsupportedNamespace { namespace: namespace_name(segments, 3), subscription }),
        },
        _ => None,
    }
}

fn namespace_name(segments: &[String], index: usize) -> String {
    segments.get(index).cloned().unwrap_or_default()
}

fn unknown_type(subscription: &str, namespace: String, tail: &[&str]) -> Option<ArmRoute> {
    Some(ArmRoute::UnknownType {
        subscription: subscription.to_owned(),
        namespace,
        resource_type: tail.first().copied().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.DataProtection/backupVaults/Vault1";

    fn vault() -> VaultPath {
        VaultPath { subscription: "S1".into(), resource_group: "RG".into(), vault: "Vault1".into() }
    }

    /// The subscription, resource group, route, parents and name of a datasource route.
    type Parsed = (String, String, &'static str, Vec<String>, Option<String>);

    fn datasource(path: &str) -> Option<Parsed> {
        match Route::parse(path) {
            Route::Arm(ArmRoute::Datasource { subscription, resource_group, path }) => {
                Some((subscription, resource_group, path.route.path, path.parents, path.name))
            }
            _ => None,
        }
    }

    #[test]
    fn arm_paths_parse_without_case_and_keep_names() {
        let lowered = VAULT.replace("resourceGroups", "RESOURCEGROUPS").replace("backupVaults", "BackupVaults");
        assert_eq!(
            Route::parse(&format!("{lowered}/backupinstances/Bi%201")),
            Route::Arm(ArmRoute::Instance(vault(), "Bi 1".into()))
        );
        assert_eq!(Route::parse(&format!("{VAULT}/backupInstances")), Route::Arm(ArmRoute::Instances(vault())));
        assert_eq!(Route::parse(&format!("{VAULT}/backupInstances/")), Route::Arm(ArmRoute::Instances(vault())));
        assert_eq!(
            Route::parse(&format!("{VAULT}/backupInstances/b/STOPPROTECTION")),
            Route::Arm(ArmRoute::Action(vault(), "b".into(), InstanceAction::StopProtection))
        );
        assert_eq!(
            Route::parse(&format!("{VAULT}/backupInstances/b/operationResults/op")),
            Route::Arm(ArmRoute::InstanceOperationResult(vault(), "b".into(), "op".into()))
        );
        assert_eq!(
            Route::parse("/subscriptions/S1/providers/Microsoft.DataProtection/locations/westus/operationStatus/x=="),
            Route::Arm(ArmRoute::LocationOperationStatus {
                subscription: "S1".into(),
                location: "westus".into(),
                operation: "x==".into()
            })
        );
    }

    #[test]
    fn role_assignments_and_extension_routes_work_at_any_scope() {
        let disk = "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.Compute/disks/d1";
        assert_eq!(
            Route::parse(&format!("{disk}/providers/Microsoft.Authorization/roleAssignments/abc")),
            Route::Arm(ArmRoute::RoleAssignment { scope: disk.into(), name: "abc".into() })
        );
        assert_eq!(
            Route::parse("/subscriptions/S1/providers/microsoft.authorization/roleassignments"),
            Route::Arm(ArmRoute::RoleAssignments { scope: "/subscriptions/S1".into() })
        );
        assert_eq!(
            Route::parse(&format!("{disk}/providers/Microsoft.DataProtection/backupInstances")),
            Route::Arm(ArmRoute::ExtensionInstances { subscription: "S1".into(), resource_id: disk.into() })
        );
    }

    #[test]
    fn other_paths_are_classified() {
        assert_eq!(Route::parse("/metadata/endpoints"), Route::Metadata);
        assert_eq!(Route::parse("/tenant/oauth2/v2.0/token"), Route::Token);
        assert_eq!(Route::parse("/msi/token/"), Route::ManagedIdentityToken);
        assert_eq!(Route::parse("/nothing/here"), Route::Unknown);
        assert_eq!(Route::parse("/subscriptions/s//resourceGroups"), Route::Unknown);
        assert_eq!(Route::parse("/subscriptions/s/resourceGroups/%zz"), Route::BadPath);
        assert!(matches!(
            Route::parse("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/a"),
            Route::Arm(ArmRoute::UnsupportedNamespace { .. })
        ));
        assert_eq!(
            datasource("/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a"),
            Some(("s".into(), "r".into(), "storageAccounts", vec![], Some("a".into())))
        );
        let cluster = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c";
        assert_eq!(
            datasource(&format!("{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/backup")),
            Some((
                "s".into(),
                "r".into(),
                "managedClusters/{}/providers/Microsoft.KubernetesConfiguration/extensions",
                vec!["c".into()],
                Some("backup".into())
            ))
        );
        assert_eq!(
            datasource("/subscriptions/s/resourceGroups/r/providers/microsoft.compute/DISKS"),
            Some(("s".into(), "r".into(), "disks", vec![], None))
        );
        assert_eq!(
            Route::parse("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d").operation("PUT"),
            "Disks_CreateOrUpdate"
        );
        assert!(matches!(
            Route::parse("/subscriptions/s/providers/Microsoft.Compute/disks"),
            Route::Arm(ArmRoute::UnknownType { .. })
        ));
        assert!(matches!(
            Route::parse("/subscriptions/s/providers/Microsoft.Storage/storageAccounts"),
            Route::Arm(ArmRoute::UnsupportedNamespace { .. })
        ));
        assert_eq!(
            Route::parse(&format!("{cluster}/trustedAccessRoleBindings/b")).operation("PUT"),
            "TrustedAccessRoleBindings_CreateOrUpdate"
        );
        assert_eq!(
            Route::parse(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a/blobServices/default/containers"
            )
            .operation("GET"),
            "BlobContainers_List"
        );
        assert!(matches!(
            Route::parse(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.DBforMySQL/flexibleServers/m/databases"
            ),
            Route::Arm(ArmRoute::UnknownType { .. })
        ));
        assert!(matches!(
            Route::parse(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a/fileServices"
            ),
            Route::Arm(ArmRoute::UnknownType { .. })
        ));
        assert!(matches!(Route::parse(&format!("{VAULT}/backupJobs")), Route::Arm(ArmRoute::UnknownType { .. })));
    }

    #[test]
    fn operations_are_named_like_the_spec() {
        let instance = Route::parse(&format!("{VAULT}/backupInstances/b"));
        assert_eq!(instance.operation("PUT"), "BackupInstances_CreateOrUpdate");
        assert_eq!(instance.operation("GET"), "BackupInstances_Get");
        assert_eq!(instance.operation("DELETE"), "BackupInstances_Delete");
        assert_eq!(
            Route::parse(&format!("{VAULT}/validateForBackup")).operation("POST"),
            "BackupInstances_ValidateForBackup"
        );
        assert_eq!(
            Route::parse(&format!("{VAULT}/operationStatus/x")).operation("GET"),
            "OperationStatusBackupVaultContext_Get"
        );
    }
}
