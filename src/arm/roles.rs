//! The roles a vault's identity needs, and whether it holds them: read from ARM's role assignments, so that a
//! missing permission can be told apart from one that was just granted and has not taken effect yet (Microsoft's
//! docs: role assignments take up to 10, or 30, minutes to propagate).

use http::Method;
use serde::Deserialize;

use super::client::ArmClient;
use super::error::ArmError;
use super::models::Page;
use super::pipeline::CallContext;

/// The api-version of `Microsoft.Authorization/roleAssignments`.
const ROLE_ASSIGNMENTS_API_VERSION: &str = "2022-04-01";

/// The built-in role `Disk Backup Reader`.
pub const DISK_BACKUP_READER: &str = "3e5e47e6-65f7-47ef-90b5-e5dd4d455f24";
/// The built-in role `Disk Snapshot Contributor`.
pub const DISK_SNAPSHOT_CONTRIBUTOR: &str = "7efff54f-a5b4-42b5-a1c5-5411624893ce";
/// The built-in role `Reader`.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// The built-in role `Storage Account Backup Contributor`.
pub const STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR: &str = "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1";
/// The built-in role `PostgreSQL Flexible Server Long Term Retention Backup Role`.
pub const POSTGRESQL_LTR_BACKUP: &str = "c088a766-074b-43ba-90d4-1fb21feae531";
/// The built-in role `MySQL Backup And Export Operator`.
pub const MYSQL_BACKUP_EXPORT_OPERATOR: &str = "d18ad5f3-1baf-4119-b49b-d944edb1f9d0";
/// The built-in role `Contributor`.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// The built-in role `Owner`.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// One role assignment, as ARM lists it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct RoleAssignment {
    /// Its ARM ID.
    #[serde(default)]
    pub id: Option<String>,
    /// What it grants, where and when.
    #[serde(default)]
    pub properties: RoleAssignmentProperties,
}

/// `RoleAssignmentProperties`, limited to what the provider reads.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    /// `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
    #[serde(default)]
    pub role_definition_id: Option<String>,
    /// Where it applies (and below).
    #[serde(default)]
    pub scope: Option<String>,
    /// When it was made.
    #[serde(default)]
    pub created_on: Option<String>,
}

impl RoleAssignment {
    /// Whether it grants one of `roles` (role definition GUIDs) on `target` or a scope above it.
    pub fn grants(&self, roles: &[&str], target: &str) -> bool {
        let role = self.properties.role_definition_id.as_deref().unwrap_or_default();
        let guid = role.rsplit('/').next().unwrap_or_default();
        let scope = self.properties.scope.as_deref().unwrap_or_default().trim_end_matches('/');
        let target = target.trim_end_matches('/');
        let covers = !scope.is_empty()
            && target.len() >= scope.len()
            && target.get(..scope.len()).is_some_and(|head| head.eq_ignore_ascii_case(scope))
            && (target.len() == scope.len() || target.as_bytes().get(scope.len()) == Some(&b'/'));
        covers && roles.iter().any(|r| r.eq_ignore_ascii_case(guid))
    }
}

/// A role the vault's identity needs on a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// The role's name, for messages.
    pub role: &'static str,
    /// The role definitions that grant it (the role itself, and the broader roles that include its actions).
    pub roles: &'static [&'static str],
    /// The resource it must cover.
    pub scope: String,
}

/// What disk backup needs: Disk Backup Reader on the disk, Disk Snapshot Contributor on the snapshot resource
/// group (Owner and Contributor include both).
pub fn disk_backup_needs(disk: &str, snapshot_resource_group: &str) -> Vec<Need> {
    vec![
        Need { role: "Disk Backup Reader", roles: &[DISK_BACKUP_READER, CONTRIBUTOR, OWNER], scope: disk.to_owned() },
        Need {
            role: "Disk Snapshot Contributor",
            roles: &[DISK_SNAPSHOT_CONTRIBUTOR, CONTRIBUTOR, OWNER],
            scope: snapshot_resource_group.to_owned(),
        },
    ]
}

/// The needs that none of `assignments` covers.
pub fn uncovered<'a>(needs: &'a [Need], assignments: &[RoleAssignment]) -> Vec<&'a Need> {
    needs.iter().filter(|need| !assignments.iter().any(|a| a.grants(need.roles, &need.scope))).collect()
}

impl ArmClient {
    /// The role assignments of `principal` in `subscription` (at, above or below any scope in it).
    pub async fn role_assignments_of(
        &self,
        call: &CallContext,
        subscription: &str,
        principal: &str,
    ) -> Result<Vec<RoleAssignment>, ArmError> {
        let what = || format!("reading the role assignments of {principal}");
        let mut url =
            self.url(&format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments"))?;
        url.set_query(Some(&format!(
            "api-version={ROLE_ASSIGNMENTS_API_VERSION}&$filter=principalId%20eq%20'{principal}'"
        )));
        let mut all = Vec::new();
        loop {
            let response = self.send_json::<()>(call, Method::GET, url, None).await.map_err(|e| e.context(what()))?;
            let page: Page<RoleAssignment> =
                response.error_for_status().and_then(|r| r.json()).map_err(|e| e.context(what()))?;
            all.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()).and_then(|l| url::Url::parse(&l).ok()) {
                Some(next) => url = next,
                None => return Ok(all),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(role: &str, scope: &str) -> RoleAssignment {
        RoleAssignment {
            id: None,
            properties: RoleAssignmentProperties {
                role_definition_id: Some(format!(
                    "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{role}"
                )),
                scope: Some(scope.to_owned()),
                created_on: None,
            },
        }
    }

    const DISK: &str = "/subscriptions/s/resourceGroups/rg-w/providers/Microsoft.Compute/disks/d1";
    const SNAPSHOTS: &str = "/subscriptions/s/resourceGroups/rg-snap";

    #[test]
    fn a_role_covers_its_scope_and_below_only() {
        let on_group = assignment(DISK_BACKUP_READER, "/subscriptions/S/resourcegroups/RG-W");
        assert!(on_group.grants(&[DISK_BACKUP_READER], DISK));
        assert!(!on_group.grants(&[DISK_SNAPSHOT_CONTRIBUTOR], DISK), "another role");
        let sibling = assignment(DISK_BACKUP_READER, "/subscriptions/s/resourceGroups/rg-w2");
        assert!(!sibling.grants(&[DISK_BACKUP_READER], DISK.replace("rg-w/", "rg-w2x/").as_str()));
        assert!(
            !assignment(DISK_BACKUP_READER, "/subscriptions/s/resourceGroups/rg").grants(&[DISK_BACKUP_READER], DISK)
        );
    }

    #[test]
    fn what_is_missing_is_named() {
        let needs = disk_backup_needs(DISK, SNAPSHOTS);
        let held = [assignment(DISK_BACKUP_READER, DISK)];
        let missing = uncovered(&needs, &held);
        assert_eq!(missing.iter().map(|n| n.role).collect::<Vec<_>>(), vec!["Disk Snapshot Contributor"]);
        let held = [assignment(CONTRIBUTOR, "/subscriptions/s")];
        assert!(uncovered(&needs, &held).is_empty());
    }
}
