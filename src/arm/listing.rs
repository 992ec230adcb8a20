//! Refresh at scale: the first read of a backup instance (or policy) in a vault lists the vault's instances (or
//! policies) once, and later reads in the same vault are answered from that list while it is fresh. A plan of a
//! thousand instances then costs a few list pages instead of a thousand GETs that drain ARM's read bucket.
//!
//! What the list does not hold is read with a GET (so a stale list never drops an object from state), a list that
//! fails falls back to GETs, one list per vault is in flight at a time, and every write this process sends to a
//! vault forgets its lists.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::client::ArmClient;
use super::error::ArmError;
use super::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId};
use super::models::{BackupInstanceResource, BackupPolicyResource};
use super::pipeline::CallContext;

/// How long a vault's list answers reads: long enough for one plan's refresh, short enough that a provider process
/// that lives on (Terraform keeps one per command) reads again.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60);

/// One vault's list, filled once by whichever read comes first.
type Listing<T> = Arc<tokio::sync::OnceCell<Option<(Instant, HashMap<String, T>)>>>;

/// The lists of one configured provider.
#[derive(Debug)]
pub struct Listings {
    max_age: Duration,
    instances: Mutex<HashMap<String, Listing<BackupInstanceResource>>>,
    policies: Mutex<HashMap<String, Listing<BackupPolicyResource>>>,
}

impl Listings {
    /// Lists that answer reads for `max_age` after they were read.
    pub fn new(max_age: Duration) -> Listings {
        Listings { max_age, instances: Mutex::default(), policies: Mutex::default() }
    }

    /// Forgets what is known of `vault`: this process is about to change something in it.
    pub fn forget(&self, vault: &BackupVaultId) {
        let key = vault.to_string().to_ascii_lowercase();
        self.instances.lock().unwrap_or_else(PoisonError::into_inner).remove(&key);
        self.policies.lock().unwrap_or_else(PoisonError::into_inner).remove(&key);
    }
}

/// The listing of `vault` in `lists`: the current one, or a new, empty one when there is none or it is older than
/// `max_age` (a list that failed counts as old at once, so the next read tries again).
fn current<T>(lists: &Mutex<HashMap<String, Listing<T>>>, vault: &BackupVaultId, max_age: Duration) -> Listing<T> {
    let mut lists = lists.lock().unwrap_or_else(PoisonError::into_inner);
    let key = vault.to_string().to_ascii_lowercase();
    let stale = lists.get(&key).is_some_and(|listing| match listing.get() {
        Some(Some((at, _))) => at.elapsed() > max_age,
        Some(None) => true,
        None => false,
    });
    if stale {
        lists.remove(&key);
    }
    lists.entry(key).or_default().clone()
}

/// The item named `name` (lower case) of `vault`'s list, reading the list first when no fresh one is known. `None`
/// when the list does not hold it, or could not be read.
async fn from_list<T, F, Fut>(
    lists: &Mutex<HashMap<String, Listing<T>>>,
    max_age: Duration,
    vault: &BackupVaultId,
    name: &str,
    list: F,
) -> Option<T>
where
    T: Clone + Send + Sync,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Vec<(String, T)>, ArmError>>,
{
    let listing = current(lists, vault, max_age);
    let entries = listing
        .get_or_init(|| async {
            match list().await {
                Ok(items) => {
                    tracing::debug!(vault = %vault, items = items.len(), "listed the vault for the reads that follow");
                    Some((
                        Instant::now(),
                        items.into_iter().map(|(name, item)| (name.to_ascii_lowercase(), item)).collect(),
                    ))
                }
                Err(error) => {
                    tracing::debug!(vault = %vault, error = %error, "listing the vault failed; reading one by one");
                    None
                }
            }
        })
        .await;
    entries.as_ref().and_then(|(_, items)| items.get(&name.to_ascii_lowercase()).cloned())
}

/// The name in an item's ARM ID (its last segment), lower case.
fn name_of(id: Option<&str>, name: Option<&str>) -> String {
    name.map(str::to_owned).or_else(|| id.and_then(|id| id.rsplit('/').next()).map(str::to_owned)).unwrap_or_default()
}

impl ArmClient {
    /// Reads a backup instance for a refresh: from its vault's list when lists are on and the list holds it, with a
    /// GET otherwise. `None` when Azure does not have it.
    pub async fn read_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<BackupInstanceResource>, ArmError> {
        if let Some(listings) = self.listings() {
            let listed = from_list(&listings.instances, listings.max_age, &id.vault, &id.name, || async {
                let all = self.list_backup_instances(call, &id.vault).await?;
                Ok(all.into_iter().map(|i| (name_of(i.id.as_deref(), i.name.as_deref()), i)).collect())
            })
            .await;
            if listed.is_some() {
                return Ok(listed);
            }
        }
        self.get_backup_instance(call, id).await
    }

    /// Reads a backup policy for a refresh, as [`ArmClient::read_backup_instance`] reads instances.
    pub async fn read_backup_policy(
        &self,
        call: &CallContext,
        id: &BackupPolicyId,
    ) -> Result<Option<BackupPolicyResource>, ArmError> {
        if let Some(listings) = self.listings() {
            let listed = from_list(&listings.policies, listings.max_age, &id.vault, &id.name, || async {
                let all = self.list_backup_policies(call, &id.vault).await?;
                Ok(all.into_iter().map(|p| (name_of(p.id.as_deref(), p.name.as_deref()), p)).collect())
            })
            .await;
            if listed.is_some() {
                return Ok(listed);
            }
        }
        self.get_backup_policy(call, id).await
    }

    /// Forgets the lists of `vault` before a write to it.
    pub(super) fn forget_lists(&self, vault: &BackupVaultId) {
        if let Some(listings) = self.listings() {
            listings.forget(vault);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::testing::{Harness, Scripted};
    use super::*;

    const VAULT: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v";

    fn instance(name: &str) -> BackupInstanceId {
        format!("{VAULT}/backupInstances/{name}").parse().unwrap()
    }

    #[tokio::test]
    async fn one_list_answers_the_reads_of_a_vault_a_miss_is_read_alone_and_a_write_forgets() {
        let list = r#"{"value":[{"id":"/subscriptions/s/resourcegroups/r/providers/Microsoft.DataProtection/BackupVaults/v/backupInstances/A","name":"A","properties":{"currentProtectionState":"ProtectionConfigured"}},{"name":"b","properties":{}}]}"#;
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], list),
            Scripted::Respond(404, vec![], r#"{"error":{"code":"UserErrorGenericResourceNotFound","message":"gone"}}"#),
            Scripted::Respond(202, vec![("location", format!("https://management.example.test{VAULT}/x"))], ""),
            Scripted::Respond(200, vec![], list),
        ]);
        let call = h.call(Duration::from_secs(60));
        let seen = h.transport.clone();
        let client = ArmClient::new(h.pipeline).with_listings(DEFAULT_MAX_AGE);
        let a = client.read_backup_instance(&call, &instance("a")).await.unwrap().unwrap();
        assert_eq!(a.name.as_deref(), Some("A"));
        assert!(client.read_backup_instance(&call, &instance("B")).await.unwrap().is_some());
        assert!(client.read_backup_instance(&call, &instance("c")).await.unwrap().is_none(), "a miss, then a 404");
        let urls: Vec<String> = seen.seen.lock().unwrap().iter().map(|s| s.url.clone()).collect();
        assert_eq!(urls.len(), 2, "one list, one GET: {urls:?}");
        assert!(
            urls[0].contains("/backupInstances?api-version")
                && urls[1].ends_with("/backupInstances/c?api-version=2025-07-01")
        );
        // A write to the vault forgets its list: the next read lists again.
        let _ = client.begin_delete_backup_instance(&call, &instance("b")).await.unwrap();
        assert!(client.read_backup_instance(&call, &instance("a")).await.unwrap().is_some());
        assert_eq!(seen.seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn without_lists_every_read_is_a_get() {
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], r#"{"properties":{}}"#),
            Scripted::Respond(200, vec![], r#"{"properties":{}}"#),
        ]);
        let call = h.call(Duration::from_secs(60));
        let seen = h.transport.clone();
        let client = ArmClient::new(h.pipeline);
        client.read_backup_instance(&call, &instance("a")).await.unwrap().unwrap();
        client.read_backup_instance(&call, &instance("b")).await.unwrap().unwrap();
        assert!(seen.seen.lock().unwrap().iter().all(|s| s.url.contains("/backupInstances/")));
    }
}
