//! The roles a vault's identity needs, and whether it holds them: read from ARM's role assignments, so that a
//! missing permission can be told apart from one that was just granted and has not taken effect yet (Microsoft's
//! docs: role assignments take up to 10, or 30, minutes to propagate); and the pauses between tries while one
//! propagates, on the pipeline's clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use serde::Deserialize;

use super::client::ArmClient;
use super::error::{ArmError, ErrorKind};
use super::ids::BackupVaultId;
use super::models::Page;
use super::pipeline::{CallContext, Clock};

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

/// Whether the vault's identity holds the role assignments the datasource's backup needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RolesHeld {
    /// It holds them all: the newest assignment's `createdOn`, and the roles, as "role on scope".
    All(Option<String>, Vec<String>),
    /// These are missing: "role on scope".
    Missing(Vec<String>),
}

/// The first pause before trying again while role assignments propagate; it doubles up to
/// [`PROPAGATION_MAX_PAUSE`].
const PROPAGATION_FIRST_PAUSE: Duration = Duration::from_secs(2);
/// The longest pause between tries while role assignments propagate.
const PROPAGATION_MAX_PAUSE: Duration = Duration::from_secs(60);

/// The pauses between tries while role assignments the vault's identity holds have not taken effect in Azure yet:
/// from 2 s, doubling up to 60 s, on the pipeline's clock (so that tests run them without sleeping).
pub struct Propagation {
    clock: Arc<dyn Clock>,
    started: Instant,
    pause: Duration,
}

impl Propagation {
    /// Starts counting now, by `clock`.
    pub fn start(clock: Arc<dyn Clock>) -> Propagation {
        let started = clock.now();
        Propagation { clock, started, pause: PROPAGATION_FIRST_PAUSE }
    }

    /// The next pause.
    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// Whether the next pause ends by `deadline`.
    pub fn fits_before(&self, deadline: Instant) -> bool {
        self.clock.now() + self.pause <= deadline
    }

    /// How long since [`Propagation::start`].
    pub fn waited(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.started)
    }

    /// Sleeps the next pause (then doubles it, up to `PROPAGATION_MAX_PAUSE`) while role assignments take effect;
    /// `false` when Terraform asked the provider to stop first.
    pub async fn sleep(&mut self, call: &CallContext) -> bool {
        tokio::select! {
            biased;
            _ = call.stop.cancelled() => return false,
            _ = self.clock.sleep(self.pause) => {}
        }
        self.pause = (self.pause * 2).min(PROPAGATION_MAX_PAUSE);
        true
    }
}

impl ArmClient {
    /// The pauses of a wait for role assignments to propagate, starting now by the pipeline's clock.
    pub fn role_propagation(&self) -> Propagation {
        Propagation::start(self.pipeline().clock().clone())
    }

    /// Reads the identity of `vault` and its role assignments, and compares them with `needs`.
    pub async fn roles_held(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
        needs: &[Need],
    ) -> Result<RolesHeld, ArmError> {
        let not_checkable = |why: &str| ArmError::new(ErrorKind::InvalidResponse, why.to_owned());
        let found = self.get_backup_vault(call, vault).await?.ok_or_else(|| not_checkable("no vault"))?;
        let principal = found
            .identity
            .and_then(|identity| identity.principal_id)
            .ok_or_else(|| not_checkable("the vault has no managed identity"))?;
        let subscription = &vault.resource_group.subscription_id;
        let assignments = self.role_assignments_of(call, subscription, &principal).await?;
        let missing = uncovered(needs, &assignments);
        if missing.is_empty() {
            let newest = assignments.iter().filter_map(|a| a.properties.created_on.clone()).max();
            Ok(RolesHeld::All(newest, needs.iter().map(|need| format!("{} on {}", need.role, need.scope)).collect()))
        } else {
            Ok(RolesHeld::Missing(
                missing.iter().map(|need| format!("{} on {} (principal {principal})", need.role, need.scope)).collect(),
            ))
        }
    }

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
    use crate::arm::pipeline::testing::{Harness, Scripted};

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

    const VAULT: &str = "/subscriptions/s/resourceGroups/rg-b/providers/Microsoft.DataProtection/backupVaults/v";

    #[tokio::test]
    async fn held_roles_are_told_from_missing_ones_by_the_vault_identitys_assignments() {
        let identity = r#"{"identity":{"type":"SystemAssigned","principalId":"p-1"}}"#;
        let reader = r#"{"value":[{"properties":{"roleDefinitionId":"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/3e5e47e6-65f7-47ef-90b5-e5dd4d455f24","scope":"/subscriptions/s/resourceGroups/rg-w","createdOn":"2026-01-02T03:04:05Z"}}]}"#;
        let owner = r#"{"value":[{"properties":{"roleDefinitionId":"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635","scope":"/subscriptions/s","createdOn":"2026-01-02T03:04:05Z"}}]}"#;
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], identity),
            Scripted::Respond(200, vec![], reader),
            Scripted::Respond(200, vec![], identity),
            Scripted::Respond(200, vec![], owner),
            Scripted::Respond(200, vec![], r#"{"identity":{"type":"None"}}"#),
        ]);
        let call = h.call(Duration::from_secs(60));
        let client = ArmClient::new(h.pipeline.clone());
        let vault: BackupVaultId = VAULT.parse().unwrap();
        let needs = disk_backup_needs(DISK, SNAPSHOTS);
        assert_eq!(
            client.roles_held(&call, &vault, &needs).await.unwrap(),
            RolesHeld::Missing(vec![format!("Disk Snapshot Contributor on {SNAPSHOTS} (principal p-1)")])
        );
        assert_eq!(
            client.roles_held(&call, &vault, &needs).await.unwrap(),
            RolesHeld::All(
                Some("2026-01-02T03:04:05Z".to_owned()),
                vec![format!("Disk Backup Reader on {DISK}"), format!("Disk Snapshot Contributor on {SNAPSHOTS}")]
            )
        );
        let error = client.roles_held(&call, &vault, &needs).await.unwrap_err();
        assert!(error.message.contains("no managed identity"), "{error}");
        let urls: Vec<String> = h.seen().iter().map(|s| s.url.clone()).collect();
        assert!(urls[1].contains("/subscriptions/s/providers/Microsoft.Authorization/roleAssignments?"), "{urls:?}");
        assert!(urls[1].ends_with("principalId%20eq%20%27p-1%27"), "{urls:?}");
    }

    #[tokio::test]
    async fn propagation_pauses_double_up_to_a_minute_on_the_pipelines_clock_within_the_deadline() {
        let h = Harness::new(vec![]);
        let call = h.call(Duration::from_secs(600));
        let client = ArmClient::new(h.pipeline.clone());
        let mut propagation = client.role_propagation();
        let mut pauses = Vec::new();
        while propagation.fits_before(call.deadline) {
            pauses.push(propagation.pause().as_secs());
            assert!(propagation.sleep(&call).await);
        }
        assert_eq!(pauses, [2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60]);
        assert_eq!(propagation.waited(), Duration::from_secs(542), "the next minute would end after 600 s");
        assert_eq!(h.clock.elapsed(), propagation.waited(), "only the test clock advanced");
    }

    #[tokio::test]
    async fn a_stop_ends_a_propagation_pause_before_it_starts() {
        let h = Harness::new(vec![]);
        let call = h.call(Duration::from_secs(600));
        let mut propagation = ArmClient::new(h.pipeline.clone()).role_propagation();
        call.stop.cancel();
        assert!(!propagation.sleep(&call).await);
        assert_eq!(h.clock.elapsed(), Duration::ZERO);
        assert_eq!(propagation.pause(), Duration::from_secs(2), "the pause does not grow");
    }
}
