//! Azure Resource Manager IDs as the emulator needs them: parsed case-insensitively, printed canonically, and
//! turned into lowercase keys so that every lookup is one hash or tree access.

/// A parsed ARM ID: `/subscriptions/{s}[/resourceGroups/{rg}[/providers/{namespace}/{type}/{name}...]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArmId {
    pub subscription: String,
    pub resource_group: Option<String>,
    pub namespace: Option<String>,
    /// (type, name) pairs after the namespace, outermost first.
    pub types: Vec<(String, String)>,
}

impl ArmId {
    /// Parses an ID. Segment names are matched without case; names keep the case they were given in.
    pub fn parse(id: &str) -> Option<ArmId> {
        let trimmed = id.trim();
        let rest = trimmed.strip_prefix('/')?;
        let segments: Vec<&str> = rest.strip_suffix('/').unwrap_or(rest).split('/').collect();
        if segments.iter().any(|segment| segment.is_empty()) {
            return None;
        }
        let mut parts = segments.into_iter();
        if !parts.next()?.eq_ignore_ascii_case("subscriptions") {
            return None;
        }
        let subscription = parts.next()?.to_owned();
        let mut id = ArmId { subscription, resource_group: None, namespace: None, types: Vec::new() };
        let Some(next) = parts.next() else { return Some(id) };
        if next.eq_ignore_ascii_case("resourceGroups") {
            id.resource_group = Some(parts.next()?.to_owned());
            let Some(providers) = parts.next() else { return Some(id) };
            if !providers.eq_ignore_ascii_case("providers") {
                return None;
            }
        } else if !next.eq_ignore_ascii_case("providers") {
            return None;
        }
        id.namespace = Some(parts.next()?.to_owned());
        let remaining: Vec<&str> = parts.collect();
        if remaining.is_empty() || !remaining.len().is_multiple_of(2) {
            return None;
        }
        id.types = remaining
            .chunks(2)
            .filter_map(|pair| Some(((*pair.first()?).to_owned(), (*pair.get(1)?).to_owned())))
            .collect();
        Some(id)
    }

    /// Whether this is a resource group ID.
    pub fn is_resource_group(&self) -> bool {
        self.resource_group.is_some() && self.namespace.is_none()
    }

    /// Whether the namespace and resource types match, ignoring case.
    pub fn is_type(&self, namespace: &str, types: &[&str]) -> bool {
        self.namespace.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(namespace))
            && self.types.len() == types.len()
            && self.types.iter().zip(types).all(|((own, _), expected)| own.eq_ignore_ascii_case(expected))
    }

    /// `Microsoft.Compute/disks` for a disk ID: the namespace and the types, joined by `/`.
    pub fn resource_type(&self) -> Option<String> {
        let namespace = self.namespace.as_ref()?;
        let types: Vec<&str> = self.types.iter().map(|(kind, _)| kind.as_str()).collect();
        Some(format!("{namespace}/{}", types.join("/")))
    }

    /// The innermost name.
    pub fn name(&self) -> &str {
        self.types
            .last()
            .map(|(_, name)| name.as_str())
            .or(self.resource_group.as_deref())
            .unwrap_or(&self.subscription)
    }

    /// The ID with canonical segment names.
    pub fn canonical(&self) -> String {
        let mut id = format!("/subscriptions/{}", self.subscription);
        if let Some(resource_group) = &self.resource_group {
            id.push_str("/resourceGroups/");
            id.push_str(resource_group);
        }
        if let Some(namespace) = &self.namespace {
            id.push_str("/providers/");
            id.push_str(namespace);
            for (kind, name) in &self.types {
                id.push('/');
                id.push_str(kind);
                id.push('/');
                id.push_str(name);
            }
        }
        id
    }

    /// The lowercase key of this ID.
    pub fn key(&self) -> String {
        self.canonical().to_ascii_lowercase()
    }

    /// The key of the resource group this ID lives in.
    pub fn resource_group_key(&self) -> Option<String> {
        Some(resource_group_id(&self.subscription, self.resource_group.as_ref()?).to_ascii_lowercase())
    }
}

/// `/subscriptions/{s}/resourceGroups/{rg}`.
pub(crate) fn resource_group_id(subscription: &str, resource_group: &str) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{resource_group}")
}

/// A resource guard's ID.
pub(crate) fn resource_guard_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/resourceGuards/{name}",
        resource_group_id(subscription, resource_group)
    )
}

/// A backup vault's ID.
pub(crate) fn vault_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/{name}",
        resource_group_id(subscription, resource_group)
    )
}

/// The lowercase key of any ID or scope. Trailing slashes are not significant.
pub(crate) fn key(id: &str) -> String {
    let trimmed = id.trim();
    let trimmed = if trimmed.len() > 1 { trimmed.trim_end_matches('/') } else { trimmed };
    match ArmId::parse(trimmed) {
        Some(parsed) => parsed.key(),
        None => trimmed.to_ascii_lowercase(),
    }
}

/// Whether a role assignment at `scope` (a key) applies to `resource` (a key): the same resource or one below it.
pub(crate) fn scope_covers(scope: &str, resource: &str) -> bool {
    scope == "/"
        || resource == scope
        || (resource.len() > scope.len()
            && resource.starts_with(scope)
            && resource.as_bytes().get(scope.len()) == Some(&b'/'))
}

/// A built-in role: definition GUID and name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BuiltInRole {
    pub guid: &'static str,
    pub name: &'static str,
}

/// Owner: counts for any role the service checks.
pub(crate) const OWNER: BuiltInRole = BuiltInRole { guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" };
/// Contributor: counts for any role the service checks.
pub(crate) const CONTRIBUTOR: BuiltInRole =
    BuiltInRole { guid: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor" };
/// Reader.
pub(crate) const READER: BuiltInRole = BuiltInRole { guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7", name: "Reader" };
/// Disk Backup Reader.
pub(crate) const DISK_BACKUP_READER: BuiltInRole =
    BuiltInRole { guid: "3e5e47e6-65f7-47ef-90b5-e5dd4d455f24", name: "Disk Backup Reader" };
/// Disk Snapshot Contributor.
pub(crate) const DISK_SNAPSHOT_CONTRIBUTOR: BuiltInRole =
    BuiltInRole { guid: "7efff54f-a5b4-42b5-a1c5-5411624893ce", name: "Disk Snapshot Contributor" };
/// Storage Account Backup Contributor.
pub(crate) const STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR: BuiltInRole =
    BuiltInRole { guid: "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1", name: "Storage Account Backup Contributor" };
/// PostgreSQL Flexible Server Long Term Retention Backup Role.
pub(crate) const POSTGRESQL_LONG_TERM_RETENTION_BACKUP: BuiltInRole = BuiltInRole {
    guid: "c088a766-074b-43ba-90d4-1fb21feae531",
    name: "PostgreSQL Flexible Server Long Term Retention Backup Role",
};
/// MySQL Backup And Export Operator.
pub(crate) const MYSQL_BACKUP_AND_EXPORT_OPERATOR: BuiltInRole =
    BuiltInRole { guid: "d18ad5f3-1baf-4119-b49b-d944edb1f9d0", name: "MySQL Backup And Export Operator" };

/// The built-in roles the emulator knows.
pub(crate) const BUILT_IN_ROLES: &[BuiltInRole] = &[
    OWNER,
    CONTRIBUTOR,
    READER,
    BuiltInRole { guid: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator" },
    DISK_BACKUP_READER,
    DISK_SNAPSHOT_CONTRIBUTOR,
    BuiltInRole { guid: "b50d9833-a0cb-478e-945f-707fcc997c13", name: "Disk Restore Operator" },
    STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR,
    BuiltInRole { guid: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", name: "Storage Blob Data Contributor" },
    BuiltInRole { guid: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", name: "Storage Blob Data Reader" },
    BuiltInRole { guid: "17d1049b-9a84-46fb-8f53-869881c3d3ab", name: "Storage Account Contributor" },
    POSTGRESQL_LONG_TERM_RETENTION_BACKUP,
    MYSQL_BACKUP_AND_EXPORT_OPERATOR,
    BuiltInRole { guid: "5e467623-bb1f-42f4-a55d-6e525e11384b", name: "Backup Contributor" },
    BuiltInRole { guid: "00c29273-979b-4161-815c-10b084fb9324", name: "Backup Operator" },
    BuiltInRole { guid: "a795c7a0-d4a2-40c1-ae25-d81f01202912", name: "Backup Reader" },
];

/// Finds a built-in role by GUID, by role definition ID (`.../roleDefinitions/{guid}`) or by name.
pub(crate) fn built_in_role(reference: &str) -> Option<&'static BuiltInRole> {
    let guid = reference.rsplit('/').next().unwrap_or(reference);
    BUILT_IN_ROLES.iter().find(|role| role.guid.eq_ignore_ascii_case(guid) || role.name.eq_ignore_ascii_case(reference))
}

/// `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
pub(crate) fn role_definition_id(subscription: &str, guid: &str) -> String {
    format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_of_every_depth_without_case() {
        let disk =
            ArmId::parse("/SUBSCRIPTIONS/s1/resourcegroups/RG-Work/providers/microsoft.compute/Disks/Disk-1").unwrap();
        assert!(disk.is_type("Microsoft.Compute", &["disks"]));
        assert_eq!(disk.name(), "Disk-1");
        assert_eq!(
            disk.canonical(),
            "/subscriptions/s1/resourceGroups/RG-Work/providers/microsoft.compute/Disks/Disk-1"
        );
        assert_eq!(disk.key(), "/subscriptions/s1/resourcegroups/rg-work/providers/microsoft.compute/disks/disk-1");
        assert_eq!(disk.resource_group_key().unwrap(), "/subscriptions/s1/resourcegroups/rg-work");
        assert_eq!(disk.resource_type().unwrap(), "microsoft.compute/Disks");

        let group = ArmId::parse("/subscriptions/s1/resourceGroups/rg/").unwrap();
        assert!(group.is_resource_group());
        let subscription = ArmId::parse("/subscriptions/s1").unwrap();
        assert!(!subscription.is_resource_group());
        let nested = ArmId::parse(
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b",
        )
        .unwrap();
        assert!(nested.is_type("microsoft.dataprotection", &["BACKUPVAULTS", "backupinstances"]));
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "subscriptions/s",
            "/subscriptions",
            "/subscriptions/s/resourceGroups",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks",
            "/subscriptions/s/resourceGroups/r/somethingElse/x",
            "/subscriptions//resourceGroups/r",
            "/tenants/t",
        ] {
            assert_eq!(ArmId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn scopes_cover_only_their_own_subtree() {
        let group = "/subscriptions/s/resourcegroups/rg";
        assert!(scope_covers(group, group));
        assert!(scope_covers(group, "/subscriptions/s/resourcegroups/rg/providers/x/y/z"));
        assert!(!scope_covers(group, "/subscriptions/s/resourcegroups/rg2"));
        assert!(scope_covers("/", group));
        assert!(!scope_covers("/subscriptions/s/resourcegroups/rg/providers/x/y/z", group));
    }

    #[test]
    fn built_in_roles_resolve_by_guid_id_or_name() {
        assert_eq!(built_in_role("Disk Backup Reader"), Some(&DISK_BACKUP_READER));
        assert_eq!(
            built_in_role(&role_definition_id("s", DISK_SNAPSHOT_CONTRIBUTOR.guid)).unwrap().name,
            "Disk Snapshot Contributor"
        );
        assert_eq!(built_in_role("B24988AC-6180-42A0-AB88-20F7382DD24C").unwrap().name, "Contributor");
        assert!(built_in_role("Chief Wizard").is_none());
    }
}
