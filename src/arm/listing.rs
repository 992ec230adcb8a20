//! Refresh at scale: the first read of a backup instance (or policy) in a vault lists the vault's instances (or
//! policies) once, and later reads in the same vault are answered from that list while it is fresh. A plan of a
//! thousand instances then costs a few list pages instead of a thousand GETs that drain ARM's read bucket.
//!
//! This module keeps the lists; the client reads through them (`ArmClient::read_backup_instance`). What a list does
//! not hold is read with a GET (so a stale list never drops an object from state), a list that fails falls back to
//! GETs, one list per vault is in flight at a time, and every write this process sends to a vault forgets its lists.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::ArmError;
use super::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId};
use super::models::{BackupInstanceResource, BackupPolicyResource};

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

    /// The backup instance `id` from its vault's list, which `list` reads when no fresh one is known. `None` when
    /// the list does not hold it, or could not be read: the caller reads it with a GET.
    pub async fn backup_instance<F, Fut>(&self, id: &BackupInstanceId, list: F) -> Option<BackupInstanceResource>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<BackupInstanceResource>, ArmError>>,
    {
        from_list(&self.instances, self.max_age, &id.vault, &id.name, || async {
            let all = list().await?;
            Ok(all.into_iter().map(|i| (name_of(i.id.as_deref(), i.name.as_deref()), i)).collect())
        })
        .await
    }

    /// The backup policy `id` from its vault's list, as [`Listings::backup_instance`] finds instances.
    pub async fn backup_policy<F, Fut>(&self, id: &BackupPolicyId, list: F) -> Option<BackupPolicyResource>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<BackupPolicyResource>, ArmError>>,
    {
        from_list(&self.policies, self.max_age, &id.vault, &id.name, || async {
            let all = list().await?;
            Ok(all.into_iter().map(|p| (name_of(p.id.as_deref(), p.name.as_deref()), p)).collect())
        })
        .await
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::arm::error::ErrorKind;

    const VAULT: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v";

    fn instance(name: &str) -> BackupInstanceId {
        format!("{VAULT}/backupInstances/{name}").parse().unwrap()
    }

    fn listed(id: Option<&str>, name: Option<&str>) -> BackupInstanceResource {
        BackupInstanceResource { id: id.map(str::to_owned), name: name.map(str::to_owned), ..Default::default() }
    }

    #[tokio::test]
    async fn one_list_answers_a_vault_by_name_or_id_until_a_write_forgets_it() {
        let listings = Listings::new(DEFAULT_MAX_AGE);
        let lists = AtomicUsize::new(0);
        let list = || async {
            lists.fetch_add(1, Ordering::SeqCst);
            Ok(vec![listed(Some(&format!("{VAULT}/backupInstances/A")), None), listed(None, Some("b"))])
        };
        assert!(listings.backup_instance(&instance("a"), list).await.is_some(), "named by its ID's last segment");
        assert!(listings.backup_instance(&instance("B"), list).await.is_some(), "named by its name, any case");
        assert!(listings.backup_instance(&instance("c"), list).await.is_none(), "not in the list");
        assert_eq!(lists.load(Ordering::SeqCst), 1);
        listings.forget(&instance("a").vault);
        assert!(listings.backup_instance(&instance("a"), list).await.is_some());
        assert_eq!(lists.load(Ordering::SeqCst), 2, "a forgotten vault is listed again");
    }

    #[tokio::test]
    async fn a_list_that_fails_answers_nothing_and_the_next_read_lists_again() {
        let listings = Listings::new(DEFAULT_MAX_AGE);
        let failing = || async { Err(ArmError::new(ErrorKind::Transport, "no answer")) };
        assert!(listings.backup_instance(&instance("a"), failing).await.is_none());
        let working = || async { Ok(vec![listed(None, Some("a"))]) };
        assert!(listings.backup_instance(&instance("a"), working).await.is_some());
    }
}
