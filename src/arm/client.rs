//! Typed calls to the Data Protection API.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use url::Url;

use std::future::Future;

use super::error::{ArmError, ErrorKind};
use super::ids::{BackupInstanceId, BackupPolicyId, BackupVaultId, ResourceGuardId, ResourceGuardProxyId};
use super::listing::Listings;
use super::models::{
    BackupInstance, BackupInstanceResource, BackupPolicyResource, BackupVaultResource, Page, PatchBackupVaultRequest,
    ResourceGuardProxyResource, ResourceGuardResource, UnlockDeleteRequest, ValidateForBackupRequest,
    ValidateForModifyBackupRequest,
};
use super::pipeline::{CallContext, HttpResponse, Pipeline, server_delay};
use super::poller::Operation;
use super::protection::{self, NotGone};

/// The one api-version the provider speaks to Microsoft.DataProtection.
///
/// Not the newest: from `2025-09-01` on, the service refuses to create or change a vault, and to protect anything
/// in one, unless its soft delete is `AlwaysOn` ("This API version requires backup vaults to have the soft delete
/// setting configured to Enable Always-On Soft Delete"), which can never be undone. `2025-07-01` accepts `On`
/// (Azure's own default) and `Off`. The bodies the provider sends and reads for disk backup are the same in both
/// (the emulator checks them against the 2026-06-01 spec).
pub const API_VERSION: &str = "2025-07-01";

/// Waits for this process's turn to write backup instances in a vault, within the call's deadline.
async fn wait_for_turn(
    call: &CallContext,
    now: std::time::Instant,
    lock: Arc<tokio::sync::Mutex<()>>,
) -> Result<tokio::sync::OwnedMutexGuard<()>, ArmError> {
    let remaining = call.deadline.saturating_duration_since(now);
    tokio::select! {
        biased;
        _ = call.stop.cancelled() => Err(ArmError::new(ErrorKind::Stopped, "Terraform asked the provider to stop")),
        turn = tokio::time::timeout(remaining, lock.lock_owned()) => turn.map_err(|_| {
            ArmError::new(
                ErrorKind::Timeout,
                format!(
                    "the {} ran out while waiting for other backup instance writes in the vault, which Azure takes \
                     one at a time",
                    call.timeout_label
                ),
            )
        }),
    }
}

/// The Data Protection client: typed calls over a shared [`Pipeline`].
#[derive(Clone, Debug)]
pub struct ArmClient {
    pipeline: Arc<Pipeline>,
    /// Vaults (lower-case IDs) that refused a backup instance write while another ran, each with the lock that
    /// serialises this process's instance writes there from then on.
    serial_vaults: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Per-vault lists that answer refresh reads, when they are on ([`ArmClient::with_listings`]).
    listings: Option<Arc<Listings>>,
}

/// The first pause before a backup instance write that Azure refused because of another operation is sent
/// again; it doubles up to [`CONFLICT_MAX_PAUSE`].
const CONFLICT_FIRST_PAUSE: Duration = Duration::from_secs(5);
/// The longest pause between tries of a write Azure refused because of another operation.
const CONFLICT_MAX_PAUSE: Duration = Duration::from_secs(60);

/// Whether `error` is Azure refusing a backup instance write because another operation runs in the vault: a 409
/// (but not ARM's `MissingSubscriptionRegistration`, which waiting does not cure), an empty 406 (how the service
/// answered parallel instance creates in one vault, azurerm #26911), or the disk backup docs'
/// `UserErrorMaxConcurrentOperationLimitReached`.
pub fn is_concurrency_conflict(error: &ArmError) -> bool {
    let code = error.code.as_deref().unwrap_or_default();
    (error.status == Some(409) && !code.eq_ignore_ascii_case("MissingSubscriptionRegistration"))
        || (error.status == Some(406) && code.is_empty())
        || code.eq_ignore_ascii_case("UserErrorMaxConcurrentOperationLimitReached")
}

impl ArmClient {
    /// A client over `pipeline`.
    pub fn new(pipeline: Arc<Pipeline>) -> ArmClient {
        ArmClient { pipeline, serial_vaults: Arc::default(), listings: None }
    }

    /// The same client, answering refresh reads from per-vault lists no older than `max_age`
    /// ([`ArmClient::read_backup_instance`]).
    pub fn with_listings(mut self, max_age: Duration) -> ArmClient {
        self.listings = Some(Arc::new(Listings::new(max_age)));
        self
    }

    /// Forgets the lists of `vault` before a write to it.
    fn forget_lists(&self, vault: &BackupVaultId) {
        if let Some(listings) = &self.listings {
            listings.forget(vault);
        }
    }

    /// The lock of `vault`'s instance writes, once Azure has refused parallel ones there.
    fn vault_lock(&self, vault: &str, create: bool) -> Option<Arc<tokio::sync::Mutex<()>>> {
        let mut vaults = self.serial_vaults.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = vault.to_ascii_lowercase();
        if create { Some(vaults.entry(key).or_default().clone()) } else { vaults.get(&key).cloned() }
    }

    /// The pipeline, for following operations.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The URL of `path` (an ARM ID or ID plus action) with the api-version.
    pub fn url(&self, path: &str) -> Result<Url, ArmError> {
        let mut url = self.pipeline.endpoint().clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url.set_query(Some(&format!("api-version={API_VERSION}")));
        // A percent sign is kept as it is by `set_path`, but the server decodes it: `%2F` would become a `/`.
        if url.path() != format!("{base}{path}") || path.contains('%') {
            return Err(ArmError::new(ErrorKind::Refused, format!("{path:?} would change the request path")));
        }
        Ok(url)
    }

    pub(super) async fn send_json<T: serde::Serialize>(
        &self,
        call: &CallContext,
        method: Method,
        url: Url,
        body: Option<&T>,
    ) -> Result<HttpResponse, ArmError> {
        let body = match body {
            Some(b) => Some(Bytes::from(serde_json::to_vec(b).map_err(|e| {
                ArmError::new(ErrorKind::InvalidResponse, format!("could not encode the request body: {e}"))
            })?)),
            None => None,
        };
        self.pipeline.send(call, method, url, body).await
    }

    /// Sends a request that may start an operation: the URL of `path` and Azure's first answer, whatever its
    /// status. Errors name `what`.
    async fn send_to<T: serde::Serialize>(
        &self,
        call: &CallContext,
        method: Method,
        path: &str,
        body: Option<&T>,
        what: &str,
    ) -> Result<(Url, HttpResponse), ArmError> {
        let url = self.url(path)?;
        let response = self.send_json(call, method, url.clone(), body).await.map_err(|e| e.context(what))?;
        Ok((url, response))
    }

    /// The operation Azure's first answer started, or the error it is.
    fn operation(&self, method: Method, url: Url, first: HttpResponse, what: &str) -> Result<Operation, ArmError> {
        let first = first.error_for_status().map_err(|e| e.context(what))?;
        Operation::begin(&self.pipeline, method, url, first, what)
    }

    /// GETs a backup instance; `None` when it does not exist.
    pub async fn get_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<BackupInstanceResource>, ArmError> {
        Ok(self.get_backup_instance_polled(call, id).await?.map(|(instance, _)| instance))
    }

    /// GETs a backup instance, with the delay the response asks for before the next GET (when it asks for one).
    pub async fn get_backup_instance_polled(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<(BackupInstanceResource, Option<Duration>)>, ArmError> {
        let what = || format!("reading backup instance {id}");
        let response = self
            .send_json::<()>(call, Method::GET, self.url(&id.to_string())?, None)
            .await
            .map_err(|e| e.context(what()))?;
        if response.status.as_u16() == 404 {
            return Ok(None);
        }
        let response = response.error_for_status().map_err(|e| e.context(what()))?;
        let delay = server_delay(&response.headers, self.pipeline.clock().wall());
        let instance: BackupInstanceResource = response.json().map_err(|e| e.context(what()))?;
        // A soft-deleted instance (in a vault with soft delete on) is gone for Terraform: it is kept for undelete,
        // it protects nothing, and waiting for it to go would wait out the retention.
        if protection::is_soft_deleted(&instance) {
            return Ok(None);
        }
        Ok(Some((instance, delay)))
    }

    /// Reads a backup instance for a refresh: from its vault's list when lists are on and the list holds it, with a
    /// GET otherwise. `None` when Azure does not have it.
    pub async fn read_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<BackupInstanceResource>, ArmError> {
        if let Some(listings) = &self.listings
            && let Some(listed) = listings.backup_instance(id, || self.list_backup_instances(call, &id.vault)).await
        {
            return Ok(Some(listed));
        }
        self.get_backup_instance(call, id).await
    }

    /// Follows a backup instance until its protection state is `target`, reading it with
    /// [`ArmClient::get_backup_instance_polled`] ([`protection::wait_for_protection_state`] says how).
    pub async fn wait_for_protection_state(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
        target: &str,
        first: (BackupInstanceResource, Option<Duration>),
        seen: impl FnMut(&BackupInstanceResource) + Send,
    ) -> Result<BackupInstanceResource, ArmError> {
        let get = || self.get_backup_instance_polled(call, id);
        protection::wait_for_protection_state(self.pipeline.clock().as_ref(), call, id, target, first, seen, get).await
    }

    /// After a delete: GETs through `get` until Azure reports the resource gone ([`protection::wait_until_gone`]).
    pub async fn wait_until_gone<F, Fut>(&self, call: &CallContext, what: &str, get: F) -> Result<(), NotGone>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<Option<Duration>>, ArmError>>,
    {
        protection::wait_until_gone(self.pipeline.clock().as_ref(), call, what, get).await
    }

    /// PUTs a backup instance. `Ok` means Azure accepted it: from here on the instance may exist.
    ///
    /// When Azure refuses the write because another operation runs in the vault ([`is_concurrency_conflict`]),
    /// this process's instance writes in that vault go one at a time from then on (the operation returned holds
    /// the vault's turn until it is dropped), and the write is sent again after growing pauses, within the
    /// deadline.
    pub async fn begin_put_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
        body: &BackupInstanceResource,
        what: &str,
    ) -> Result<Operation, ArmError> {
        self.forget_lists(&id.vault);
        let vault = id.vault.to_string();
        let mut turn = match self.vault_lock(&vault, false) {
            Some(lock) => Some(wait_for_turn(call, self.pipeline.clock().now(), lock).await?),
            None => None,
        };
        let mut pause = CONFLICT_FIRST_PAUSE;
        loop {
            let (url, response) = self.send_to(call, Method::PUT, &id.to_string(), Some(body), what).await?;
            match self.operation(Method::PUT, url, response, what) {
                Ok(operation) => return Ok(operation.holding(turn)),
                Err(error) if is_concurrency_conflict(&error) => {
                    if turn.is_none() {
                        tracing::info!(vault = %vault, "Azure refused a backup instance write while another operation \
                            ran in the vault; this vault's instance writes go one at a time from now on");
                        let lock = self.vault_lock(&vault, true).unwrap_or_default();
                        turn = Some(wait_for_turn(call, self.pipeline.clock().now(), lock).await?);
                    }
                    let clock = self.pipeline.clock();
                    if clock.now() + pause > call.deadline {
                        return Err(error);
                    }
                    tracing::info!(id = %id, pause_s = pause.as_secs(), "another operation runs in the vault; \
                        sending the write again after a pause");
                    tokio::select! {
                        biased;
                        _ = call.stop.cancelled() => return Err(error),
                        _ = clock.sleep(pause) => {}
                    }
                    pause = (pause * 2).min(CONFLICT_MAX_PAUSE);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// DELETEs a backup instance. `None` when Azure says it did not exist (204).
    pub async fn begin_delete_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<Operation>, ArmError> {
        let what = format!("deleting backup instance {id}");
        self.forget_lists(&id.vault);
        let (url, response) = self.send_to::<()>(call, Method::DELETE, &id.to_string(), None, &what).await?;
        if matches!(response.status.as_u16(), 204 | 404) {
            return Ok(None);
        }
        self.operation(Method::DELETE, url, response, &what).map(Some)
    }

    /// POSTs validateForBackup for an instance that would be created in `vault`.
    pub async fn begin_validate_for_backup(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
        instance: &BackupInstance,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let body = ValidateForBackupRequest { backup_instance: instance.clone() };
        let path = format!("{vault}/validateForBackup");
        let (url, response) = self.send_to(call, Method::POST, &path, Some(&body), what).await?;
        self.operation(Method::POST, url, response, what)
    }

    /// POSTs validateForModifyBackup: whether a PUT of `instance` on the existing instance `id` would succeed.
    /// Azure answers 202 only; the operation ends `Failed` with the error the update would meet. It changes
    /// nothing, so the vault's listings stay valid.
    pub async fn begin_validate_for_modify_backup(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
        instance: &BackupInstance,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let body = ValidateForModifyBackupRequest { backup_instance: instance.clone() };
        let path = format!("{id}/validateForModifyBackup");
        let (url, response) = self.send_to(call, Method::POST, &path, Some(&body), what).await?;
        self.operation(Method::POST, url, response, what)
    }

    /// Lists the backup instances of a vault, following `nextLink`. Soft-deleted instances are left out: for
    /// Terraform they are gone (see [`ArmClient::list_deleted_backup_instances`]).
    pub async fn list_backup_instances(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
    ) -> Result<Vec<BackupInstanceResource>, ArmError> {
        let what = format!("listing the backup instances of {vault}");
        let mut all = self.list_all(call, &format!("{vault}/backupInstances"), &what).await?;
        all.retain(|instance| !protection::is_soft_deleted(instance));
        Ok(all)
    }

    /// Lists the backup policies of a vault, following `nextLink`.
    pub async fn list_backup_policies(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
    ) -> Result<Vec<BackupPolicyResource>, ArmError> {
        let what = format!("listing the backup policies of {vault}");
        self.list_all(call, &format!("{vault}/backupPolicies"), &what).await
    }

    /// Lists the soft-deleted backup instances of a vault (`deletedBackupInstances`), following `nextLink`.
    pub async fn list_deleted_backup_instances(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
    ) -> Result<Vec<BackupInstanceResource>, ArmError> {
        let what = format!("listing the soft-deleted backup instances of {vault}");
        self.list_all(call, &format!("{vault}/deletedBackupInstances"), &what).await
    }

    /// Every item of the list at `path`, following `nextLink`.
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        call: &CallContext,
        path: &str,
        what: &str,
    ) -> Result<Vec<T>, ArmError> {
        let what = || what.to_owned();
        let mut url = self.url(path)?;
        let mut all = Vec::new();
        loop {
            let response = self.send_json::<()>(call, Method::GET, url, None).await.map_err(|e| e.context(what()))?;
            let page: Page<T> = response.error_for_status().and_then(|r| r.json()).map_err(|e| e.context(what()))?;
            all.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                Some(next) => {
                    url = Url::parse(&next).map_err(|_| {
                        ArmError::new(ErrorKind::InvalidResponse, "Azure's nextLink is not an absolute URL")
                            .context(what())
                    })?;
                }
                None => return Ok(all),
            }
        }
    }
    /// GETs the resource at `path`, with the delay the response asks for before the next GET (when it asks for
    /// one); `None` when it does not exist.
    async fn get_polled<T: serde::de::DeserializeOwned>(
        &self,
        call: &CallContext,
        path: &str,
        what: &str,
    ) -> Result<Option<(T, Option<Duration>)>, ArmError> {
        let response =
            self.send_json::<()>(call, Method::GET, self.url(path)?, None).await.map_err(|e| e.context(what))?;
        if response.status.as_u16() == 404 {
            return Ok(None);
        }
        let response = response.error_for_status().map_err(|e| e.context(what))?;
        let delay = server_delay(&response.headers, self.pipeline.clock().wall());
        response.json().map(|body| Some((body, delay))).map_err(|e| e.context(what))
    }

    /// GETs a backup vault; `None` when it does not exist.
    pub async fn get_backup_vault(
        &self,
        call: &CallContext,
        id: &BackupVaultId,
    ) -> Result<Option<BackupVaultResource>, ArmError> {
        Ok(self.get_backup_vault_polled(call, id).await?.map(|(vault, _)| vault))
    }

    /// GETs a backup vault, with the delay the response asks for before the next GET (when it asks for one).
    pub async fn get_backup_vault_polled(
        &self,
        call: &CallContext,
        id: &BackupVaultId,
    ) -> Result<Option<(BackupVaultResource, Option<Duration>)>, ArmError> {
        self.get_polled(call, &id.to_string(), &format!("reading backup vault {id}")).await
    }

    /// PUTs a backup vault (create). `Ok` means Azure accepted it: from here on the vault may exist.
    pub async fn begin_put_backup_vault(
        &self,
        call: &CallContext,
        id: &BackupVaultId,
        body: &BackupVaultResource,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let (url, response) = self.send_to(call, Method::PUT, &id.to_string(), Some(body), what).await?;
        self.operation(Method::PUT, url, response, what)
    }

    /// PATCHes a backup vault: only the settings in `body` change.
    pub async fn begin_patch_backup_vault(
        &self,
        call: &CallContext,
        id: &BackupVaultId,
        body: &PatchBackupVaultRequest,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let (url, response) = self.send_to(call, Method::PATCH, &id.to_string(), Some(body), what).await?;
        self.operation(Method::PATCH, url, response, what)
    }

    /// DELETEs a backup vault. `None` when Azure says it did not exist (204) or it is already gone (404).
    pub async fn begin_delete_backup_vault(
        &self,
        call: &CallContext,
        id: &BackupVaultId,
    ) -> Result<Option<Operation>, ArmError> {
        let what = format!("deleting backup vault {id}");
        let (url, response) = self.send_to::<()>(call, Method::DELETE, &id.to_string(), None, &what).await?;
        if matches!(response.status.as_u16(), 204 | 404) {
            return Ok(None);
        }
        self.operation(Method::DELETE, url, response, &what).map(Some)
    }

    /// GETs a backup policy; `None` when it does not exist.
    pub async fn get_backup_policy(
        &self,
        call: &CallContext,
        id: &BackupPolicyId,
    ) -> Result<Option<BackupPolicyResource>, ArmError> {
        let found = self.get_polled(call, &id.to_string(), &format!("reading backup policy {id}")).await?;
        Ok(found.map(|(policy, _)| policy))
    }

    /// Reads a backup policy for a refresh, as [`ArmClient::read_backup_instance`] reads instances.
    pub async fn read_backup_policy(
        &self,
        call: &CallContext,
        id: &BackupPolicyId,
    ) -> Result<Option<BackupPolicyResource>, ArmError> {
        if let Some(listings) = &self.listings
            && let Some(listed) = listings.backup_policy(id, || self.list_backup_policies(call, &id.vault)).await
        {
            return Ok(Some(listed));
        }
        self.get_backup_policy(call, id).await
    }

    /// PUTs a backup policy. Policy calls are synchronous: the answer is the policy as stored.
    pub async fn put_backup_policy(
        &self,
        call: &CallContext,
        id: &BackupPolicyId,
        body: &BackupPolicyResource,
    ) -> Result<BackupPolicyResource, ArmError> {
        let what = format!("creating backup policy {id}");
        self.forget_lists(&id.vault);
        let (_, response) = self.send_to(call, Method::PUT, &id.to_string(), Some(body), &what).await?;
        response.error_for_status().and_then(|r| r.json()).map_err(|e| e.context(&what))
    }

    /// DELETEs a backup policy (synchronous). `false` when it did not exist.
    pub async fn delete_backup_policy(&self, call: &CallContext, id: &BackupPolicyId) -> Result<bool, ArmError> {
        let what = format!("deleting backup policy {id}");
        self.forget_lists(&id.vault);
        let (_, response) = self.send_to::<()>(call, Method::DELETE, &id.to_string(), None, &what).await?;
        if matches!(response.status.as_u16(), 204 | 404) {
            return Ok(false);
        }
        response.error_for_status().map_err(|e| e.context(&what))?;
        Ok(true)
    }

    /// GETs a resource guard; `None` when it does not exist.
    pub async fn get_resource_guard(
        &self,
        call: &CallContext,
        id: &ResourceGuardId,
    ) -> Result<Option<ResourceGuardResource>, ArmError> {
        let found = self.get_polled(call, &id.to_string(), &format!("reading resource guard {id}")).await?;
        Ok(found.map(|(guard, _)| guard))
    }

    /// PUTs a resource guard (create or update; synchronous in the spec: 200 or 201 with the guard).
    pub async fn put_resource_guard(
        &self,
        call: &CallContext,
        id: &ResourceGuardId,
        body: &ResourceGuardResource,
        what: &str,
    ) -> Result<ResourceGuardResource, ArmError> {
        self.put_sync(call, &id.to_string(), body, what).await
    }

    /// DELETEs a resource guard (synchronous). `false` when it did not exist.
    pub async fn delete_resource_guard(&self, call: &CallContext, id: &ResourceGuardId) -> Result<bool, ArmError> {
        self.delete_sync(call, &id.to_string(), &format!("deleting resource guard {id}")).await
    }

    /// GETs a vault's resource guard proxy; `None` when the vault has none (or does not exist).
    pub async fn get_resource_guard_proxy(
        &self,
        call: &CallContext,
        id: &ResourceGuardProxyId,
    ) -> Result<Option<ResourceGuardProxyResource>, ArmError> {
        let what = format!("reading resource guard association {id}");
        let found = self.get_polled(call, &id.to_string(), &what).await?;
        Ok(found.map(|(proxy, _)| proxy))
    }

    /// PUTs a vault's resource guard proxy (synchronous: 200 with the proxy).
    pub async fn put_resource_guard_proxy(
        &self,
        call: &CallContext,
        id: &ResourceGuardProxyId,
        body: &ResourceGuardProxyResource,
        what: &str,
    ) -> Result<ResourceGuardProxyResource, ArmError> {
        self.put_sync(call, &id.to_string(), body, what).await
    }

    /// POSTs `unlockDelete` on a vault's resource guard proxy: authorises the next delete of
    /// `body.resource_to_be_deleted` with the resource guard requests it names.
    pub async fn unlock_delete(
        &self,
        call: &CallContext,
        id: &ResourceGuardProxyId,
        body: &UnlockDeleteRequest,
    ) -> Result<(), ArmError> {
        let what = format!("unlocking the delete of {}", body.resource_to_be_deleted);
        let (_, response) = self.send_to(call, Method::POST, &format!("{id}/unlockDelete"), Some(body), &what).await?;
        response.error_for_status().map_err(|e| e.context(&what))?;
        Ok(())
    }

    /// DELETEs a vault's resource guard proxy (synchronous). `false` when it did not exist.
    pub async fn delete_resource_guard_proxy(
        &self,
        call: &CallContext,
        id: &ResourceGuardProxyId,
    ) -> Result<bool, ArmError> {
        self.delete_sync(call, &id.to_string(), &format!("deleting resource guard association {id}")).await
    }

    /// A synchronous PUT: the answer is the object as stored.
    async fn put_sync<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        call: &CallContext,
        path: &str,
        body: &T,
        what: &str,
    ) -> Result<T, ArmError> {
        let (_, response) = self.send_to(call, Method::PUT, path, Some(body), what).await?;
        response.error_for_status().and_then(|r| r.json()).map_err(|e| e.context(what))
    }

    /// A synchronous DELETE. `false` when the object did not exist (204 or 404).
    async fn delete_sync(&self, call: &CallContext, path: &str, what: &str) -> Result<bool, ArmError> {
        let (_, response) = self.send_to::<()>(call, Method::DELETE, path, None, what).await?;
        if matches!(response.status.as_u16(), 204 | 404) {
            return Ok(false);
        }
        response.error_for_status().map_err(|e| e.context(what))?;
        Ok(true)
    }

    /// POSTs stopProtection: backups stop and the recovery points are kept. `None` when the instance does not
    /// exist (404).
    pub async fn begin_stop_protection(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<Operation>, ArmError> {
        self.begin_instance_action(call, id, InstanceAction::StopProtection).await
    }

    /// POSTs one of the actions that move a backup instance between its protection states. `None` when the
    /// instance does not exist (404).
    pub async fn begin_instance_action(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
        action: InstanceAction,
    ) -> Result<Option<Operation>, ArmError> {
        let what = format!("{} of backup instance {id}", action.describe());
        self.forget_lists(&id.vault);
        let mut body = match action {
            InstanceAction::Sync => serde_json::json!({ "syncType": "Default" }),
            _ => serde_json::json!({}),
        };
        if let Some(operation) = action.critical_operation() {
            let requests = self.guard_requests(call, &id.vault, operation).await?;
            if !requests.is_empty() {
                body["resourceGuardOperationRequests"] = serde_json::json!(requests);
            }
        }
        let path = format!("{id}/{}", action.path());
        let (url, response) = self.send_to(call, Method::POST, &path, Some(&body), &what).await?;
        if response.status.as_u16() == 404 {
            return Ok(None);
        }
        self.operation(Method::POST, url, response, &what).map(Some)
    }
}

impl ArmClient {
    /// The requests of the resource guard associated with `vault` that authorise `operation`: empty when the vault
    /// has no guard or its guard excludes the operation. Azure checks the caller's rights on the guard when a
    /// request names it (multi-user authorisation: someone with rights on the guard grants them, often just in
    /// time); without the request a protected operation is refused.
    async fn guard_requests(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
        operation: &str,
    ) -> Result<Vec<String>, ArmError> {
        let Some(proxy) = self.get_resource_guard_proxy(call, &ResourceGuardProxyId::of(vault)).await? else {
            return Ok(Vec::new());
        };
        Ok(proxy
            .properties
            .resource_guard_operation_details
            .into_iter()
            .filter(|d| d.vault_critical_operation.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(operation)))
            .filter_map(|d| d.default_resource_request)
            .collect())
    }
}

/// The actions that move a backup instance between protection states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceAction {
    /// stopProtection: no more backups; the recovery points are kept (`ProtectionStopped`).
    StopProtection,
    /// suspendBackups: no more backups for now; retention goes on (`BackupSchedulesSuspended`).
    SuspendBackups,
    /// resumeProtection: protection of a stopped instance starts again.
    ResumeProtection,
    /// resumeBackups: backups of a suspended instance start again.
    ResumeBackups,
    /// sync (`syncType: Default`): Azure retries the instance's last failed operation, which brings an instance
    /// in `ProtectionError` back once its cause is fixed.
    Sync,
}

impl InstanceAction {
    /// The last segment of the action's path.
    pub fn path(self) -> &'static str {
        match self {
            InstanceAction::StopProtection => "stopProtection",
            InstanceAction::SuspendBackups => "suspendBackups",
            InstanceAction::ResumeProtection => "resumeProtection",
            InstanceAction::ResumeBackups => "resumeBackups",
            InstanceAction::Sync => "sync",
        }
    }

    /// The critical operation a resource guard may protect that the action is (multi-user authorisation).
    pub fn critical_operation(self) -> Option<&'static str> {
        match self {
            InstanceAction::StopProtection => {
                Some("Microsoft.DataProtection/backupVaults/backupInstances/stopProtection/action")
            }
            InstanceAction::SuspendBackups => {
                Some("Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action")
            }
            _ => None,
        }
    }

    /// What the action does, for messages: "stopping protection (keeping the recovery points)".
    pub fn describe(self) -> &'static str {
        match self {
            InstanceAction::StopProtection => "stopping protection (keeping the recovery points)",
            InstanceAction::SuspendBackups => "suspending backups",
            InstanceAction::ResumeProtection => "resuming protection",
            InstanceAction::ResumeBackups => "resuming backups",
            InstanceAction::Sync => "syncing (retrying the last failed operation)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::testing::*;
    use super::*;

    fn client(h: Harness) -> (ArmClient, Arc<ScriptedTransport>, Duration) {
        let transport = h.transport.clone();
        (ArmClient::new(h.pipeline), transport, Duration::from_secs(60))
    }

    #[tokio::test]
    async fn a_write_refused_for_another_operation_is_sent_again_and_the_vault_goes_one_at_a_time() {
        let status = "https://management.example.test/subscriptions/s/providers/Microsoft.DataProtection/locations/l/operationStatus/o";
        let h = Harness::new(vec![
            Scripted::Respond(
                409,
                vec![],
                r#"{"error":{"code":"UserErrorAnotherOperationInProgress","message":"busy"}}"#,
            ),
            Scripted::Respond(406, vec![], ""),
            Scripted::Respond(201, vec![("azure-asyncoperation", status.into())], r#"{"properties":{}}"#),
            Scripted::Respond(201, vec![("azure-asyncoperation", status.into())], r#"{"properties":{}}"#),
        ]);
        let call = h.call(Duration::from_secs(600));
        let clock = h.clock.clone();
        let (c, t, _) = client(h);
        let id: BackupInstanceId =
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b"
                .parse()
                .unwrap();
        let body = BackupInstanceResource::default();
        let first = c.begin_put_backup_instance(&call, &id, &body, "creating").await.unwrap();
        let at: Vec<u64> = t.seen.lock().unwrap().iter().map(|s| s.at.as_secs()).collect();
        assert_eq!(at, vec![0, 5, 15], "sent again after 5 s, then 10 s");
        // The vault now takes one write at a time: the next waits for the first operation's turn to end.
        let second = {
            let c = c.clone();
            let call = call.clone();
            let id = id.clone();
            tokio::spawn(async move { c.begin_put_backup_instance(&call, &id, &body, "creating").await.map(|_| ()) })
        };
        tokio::task::yield_now().await;
        assert_eq!(t.seen.lock().unwrap().len(), 3, "the second write waits for the first operation");
        drop(first);
        second.await.unwrap().unwrap();
        assert_eq!(t.seen.lock().unwrap().len(), 4);
        assert!(clock.elapsed() >= Duration::from_secs(15));
    }

    #[test]
    fn only_refusals_that_waiting_can_cure_are_conflicts() {
        let error = |status: u16, body: &str| {
            ArmError::from_response(
                http::StatusCode::from_u16(status).unwrap(),
                &http::HeaderMap::new(),
                body.as_bytes(),
            )
        };
        assert!(is_concurrency_conflict(&error(409, r#"{"error":{"code":"Conflict","message":"busy"}}"#)));
        assert!(is_concurrency_conflict(&error(406, "")));
        let limit = r#"{"error":{"code":"UserErrorMaxConcurrentOperationLimitReached","message":"wait"}}"#;
        assert!(is_concurrency_conflict(&error(400, limit)));
        let unregistered = r#"{"error":{"code":"MissingSubscriptionRegistration","message":"register"}}"#;
        assert!(!is_concurrency_conflict(&error(409, unregistered)));
        assert!(!is_concurrency_conflict(&error(406, r#"{"error":{"code":"BadThing","message":"no"}}"#)));
        assert!(!is_concurrency_conflict(&error(
            400,
            r#"{"error":{"code":"UserErrorDppDatasourceAlreadyProtected","message":"no"}}"#
        )));
    }

    #[tokio::test]
    async fn a_conflict_that_outlasts_the_deadline_is_the_answer() {
        let h = Harness::new(vec![
            Scripted::Respond(409, vec![], r#"{"error":{"code":"Conflict","message":"busy"}}"#),
            Scripted::Respond(409, vec![], r#"{"error":{"code":"Conflict","message":"busy"}}"#),
        ]);
        let call = h.call(Duration::from_secs(12));
        let (c, t, _) = client(h);
        let id: BackupInstanceId =
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b"
                .parse()
                .unwrap();
        let error =
            c.begin_put_backup_instance(&call, &id, &BackupInstanceResource::default(), "creating").await.unwrap_err();
        assert_eq!(error.status, Some(409));
        assert_eq!(t.seen.lock().unwrap().len(), 2, "at 0 s and 5 s; the next (15 s) would pass the deadline");
    }

    #[tokio::test]
    async fn get_maps_404_to_none() {
        let h = Harness::new(vec![Scripted::Respond(404, vec![], r#"{"error":{"code":"NotFound","message":"gone"}}"#)]);
        let call = h.call(Duration::from_secs(60));
        let (c, _, _) = client(h);
        let id: BackupInstanceId =
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b"
                .parse()
                .unwrap();
        assert!(c.get_backup_instance(&call, &id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_soft_deleted_instance_reads_as_gone_and_is_left_out_of_lists() {
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], r#"{"properties":{"currentProtectionState":"SoftDeleting"}}"#),
            Scripted::Respond(200, vec![], r#"{"properties":{"protectionStatus":{"status":"SoftDeleted"}}}"#),
            Scripted::Respond(
                200,
                vec![],
                r#"{"value":[{"name":"a","properties":{"currentProtectionState":"SoftDeleted"}},{"name":"b","properties":{"currentProtectionState":"ProtectionConfigured"}}]}"#,
            ),
        ]);
        let call = h.call(Duration::from_secs(60));
        let (c, _, _) = client(h);
        let id: BackupInstanceId =
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b"
                .parse()
                .unwrap();
        assert!(c.get_backup_instance(&call, &id).await.unwrap().is_none());
        assert!(c.get_backup_instance(&call, &id).await.unwrap().is_none());
        let listed = c.list_backup_instances(&call, &id.vault).await.unwrap();
        assert_eq!(listed.iter().map(|i| i.name.clone().unwrap()).collect::<Vec<_>>(), vec!["b"]);
    }

    #[tokio::test]
    async fn urls_carry_the_api_version_and_keep_the_path() {
        let h = Harness::new(vec![]);
        let (c, _, _) = client(h);
        let url = c.url("/subscriptions/s/resourceGroups/r").unwrap();
        assert_eq!(
            url.as_str(),
            format!("https://management.example.test/subscriptions/s/resourceGroups/r?api-version={API_VERSION}")
        );
        assert!(c.url("/subscriptions/s/../x").is_err());
        assert!(c.url("/subscriptions/s/resourceGroups/a%2Fb").is_err(), "the server would decode %2F to /");
    }

    #[tokio::test]
    async fn list_follows_next_links_on_the_same_host_only() {
        let next = "https://management.example.test/page2";
        let h = Harness::new(vec![
            Scripted::Respond(
                200,
                vec![],
                Box::leak(format!(r#"{{"value":[{{"properties":{{}}}}],"nextLink":"{next}"}}"#).into_boxed_str()),
            ),
            Scripted::Respond(200, vec![], r#"{"value":[{"properties":{}},{"properties":{}}]}"#),
        ]);
        let call = h.call(Duration::from_secs(60));
        let (c, t, _) = client(h);
        let vault: BackupVaultId =
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v".parse().unwrap();
        assert_eq!(c.list_backup_instances(&call, &vault).await.unwrap().len(), 3);
        assert_eq!(t.seen.lock().unwrap()[1].url, next);

        let h = Harness::new(vec![Scripted::Respond(
            200,
            vec![],
            r#"{"value":[],"nextLink":"https://elsewhere.example.test/p"}"#,
        )]);
        let call = h.call(Duration::from_secs(60));
        let (c, _, _) = client(h);
        let e = c.list_backup_instances(&call, &vault).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused);
    }

    const VAULT: &str = "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v";

    #[tokio::test]
    async fn a_vault_delete_is_followed_and_a_missing_vault_is_no_operation() {
        let status = "https://management.example.test/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/operationStatus/op1";
        let h = Harness::new(vec![
            Scripted::Respond(202, vec![("azure-asyncoperation", status.into()), ("retry-after", "2".into())], ""),
            Scripted::Respond(200, vec![], r#"{"status":"Succeeded"}"#),
            Scripted::Respond(204, vec![], ""),
        ]);
        let call = h.call(Duration::from_secs(60));
        let (c, t, _) = client(h);
        let vault: BackupVaultId = VAULT.parse().unwrap();
        let mut operation = c.begin_delete_backup_vault(&call, &vault).await.unwrap().expect("an operation");
        operation.wait(&call).await.unwrap();
        assert!(c.begin_delete_backup_vault(&call, &vault).await.unwrap().is_none(), "204: nothing to follow");
        let seen = t.seen.lock().unwrap();
        assert_eq!(seen.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(), vec!["DELETE", "GET", "DELETE"]);
        assert_eq!(seen[1].url, status);
    }

    #[tokio::test]
    async fn policy_calls_are_synchronous_and_a_policy_in_use_is_azures_error() {
        let h = Harness::new(vec![
            Scripted::Respond(
                200,
                vec![],
                r#"{"id":"/p","properties":{"objectType":"BackupPolicy","datasourceTypes":["Microsoft.Compute/disks"],"policyRules":[]}}"#,
            ),
            Scripted::Respond(
                400,
                vec![],
                r#"{"error":{"code":"UserErrorDppPolicyObjectInUse","message":"The backup policy is in use."}}"#,
            ),
            Scripted::Respond(204, vec![], ""),
        ]);
        let call = h.call(Duration::from_secs(60));
        let (c, _, _) = client(h);
        let id: BackupPolicyId = format!("{VAULT}/backupPolicies/p").parse().unwrap();
        let stored = c.put_backup_policy(&call, &id, &BackupPolicyResource::default()).await.unwrap();
        assert_eq!(stored.properties.datasource_types, vec!["Microsoft.Compute/disks"]);
        let e = c.delete_backup_policy(&call, &id).await.unwrap_err();
        assert_eq!(e.code.as_deref(), Some("UserErrorDppPolicyObjectInUse"));
        assert!(!c.delete_backup_policy(&call, &id).await.unwrap(), "204: it did not exist");
    }

    #[tokio::test]
    async fn stop_protection_posts_to_the_instance_action() {
        let gone = r#"{"error":{"code":"NotFound","message":"gone"}}"#;
        let h = Harness::new(vec![Scripted::Respond(404, vec![], gone), Scripted::Respond(404, vec![], gone)]);
        let call = h.call(Duration::from_secs(60));
        let (c, t, _) = client(h);
        let id: BackupInstanceId = format!("{VAULT}/backupInstances/b").parse().unwrap();
        assert!(c.begin_stop_protection(&call, &id).await.unwrap().is_none(), "a missing instance has nothing to stop");
        let seen = t.seen.lock().unwrap();
        assert_eq!(seen[0].method, "GET", "the vault's resource guard association first");
        assert!(seen[0].url.contains("/backupResourceGuardProxies/DppResourceGuardProxy?"), "{}", seen[0].url);
        assert_eq!(seen[1].method, "POST");
        assert!(seen[1].url.contains("/backupInstances/b/stopProtection?api-version="), "{}", seen[1].url);
        assert_eq!(seen[1].body.as_deref(), Some(&b"{}"[..]), "no guard, no request");
    }

    #[tokio::test]
    async fn a_guarded_action_names_the_guards_request_and_an_unguarded_one_does_not() {
        let guard = "/subscriptions/s/resourceGroups/g/providers/Microsoft.DataProtection/resourceGuards/rg1";
        let proxy = r#"{"properties":{"resourceGuardResourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.DataProtection/resourceGuards/rg1","resourceGuardOperationDetails":[
            {"vaultCriticalOperation":"Microsoft.DataProtection/backupVaults/backupInstances/delete","defaultResourceRequest":"/subscriptions/s/resourceGroups/g/providers/Microsoft.DataProtection/resourceGuards/rg1/deleteBackupInstanceRequests/default"},
            {"vaultCriticalOperation":"Microsoft.DataProtection/backupVaults/backupInstances/suspendBackups/action","defaultResourceRequest":"/subscriptions/s/resourceGroups/g/providers/Microsoft.DataProtection/resourceGuards/rg1/dppDisableSuspendBackupsRequests/default"}]}}"#;
        let gone = r#"{"error":{"code":"NotFound","message":"gone"}}"#;
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], proxy),
            Scripted::Respond(404, vec![], gone),
            Scripted::Respond(200, vec![], proxy),
            Scripted::Respond(404, vec![], gone),
            Scripted::Respond(404, vec![], gone),
        ]);
        let call = h.call(Duration::from_secs(60));
        let (c, t, _) = client(h);
        let id: BackupInstanceId = format!("{VAULT}/backupInstances/b").parse().unwrap();
        c.begin_instance_action(&call, &id, InstanceAction::SuspendBackups).await.unwrap();
        c.begin_instance_action(&call, &id, InstanceAction::StopProtection).await.unwrap();
        c.begin_instance_action(&call, &id, InstanceAction::ResumeBackups).await.unwrap();
        let seen = t.seen.lock().unwrap();
        let body = |i: usize| serde_json::from_slice::<serde_json::Value>(seen[i].body.as_deref().unwrap()).unwrap();
        let expected = format!("{guard}/dppDisableSuspendBackupsRequests/default");
        assert_eq!(body(1), serde_json::json!({ "resourceGuardOperationRequests": [expected] }));
        assert_eq!(body(3), serde_json::json!({}), "the guard does not protect stopping protection");
        assert_eq!(seen.len(), 5, "resuming is no critical operation: no read of the association");
        assert!(seen[4].url.contains("/resumeBackups?"), "{}", seen[4].url);
    }

    #[tokio::test]
    async fn validate_for_modify_backup_posts_to_the_instance_and_a_refusal_is_azures_error() {
        let refusal = r#"{"error":{"code":"UserErrorDatasourceAndPolicyTypeMismatch","message":"wrong policy"}}"#;
        let h = Harness::new(vec![Scripted::Respond(400, vec![], refusal)]);
        let call = h.call(Duration::from_secs(60));
        let (c, t, _) = client(h);
        let id: BackupInstanceId = format!("{VAULT}/backupInstances/b").parse().unwrap();
        let error = c
            .begin_validate_for_modify_backup(&call, &id, &BackupInstance::default(), "validating b")
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(error.code.as_deref(), Some("UserErrorDatasourceAndPolicyTypeMismatch"));
        assert_eq!(error.status, Some(400));
        let seen = t.seen.lock().unwrap();
        assert_eq!(seen[0].method, "POST");
        assert!(seen[0].url.contains("/backupInstances/b/validateForModifyBackup?api-version="), "{}", seen[0].url);
    }

    fn listed_instance(name: &str) -> BackupInstanceId {
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
        let client = ArmClient::new(h.pipeline).with_listings(crate::arm::listing::DEFAULT_MAX_AGE);
        let a = client.read_backup_instance(&call, &listed_instance("a")).await.unwrap().unwrap();
        assert_eq!(a.name.as_deref(), Some("A"));
        assert!(client.read_backup_instance(&call, &listed_instance("B")).await.unwrap().is_some());
        assert!(
            client.read_backup_instance(&call, &listed_instance("c")).await.unwrap().is_none(),
            "a miss, then a 404"
        );
        let urls: Vec<String> = seen.seen.lock().unwrap().iter().map(|s| s.url.clone()).collect();
        assert_eq!(urls.len(), 2, "one list, one GET: {urls:?}");
        assert!(
            urls[0].contains("/backupInstances?api-version")
                && urls[1].ends_with("/backupInstances/c?api-version=2025-07-01")
        );
        // A write to the vault forgets its list: the next read lists again.
        let _ = client.begin_delete_backup_instance(&call, &listed_instance("b")).await.unwrap();
        assert!(client.read_backup_instance(&call, &listed_instance("a")).await.unwrap().is_some());
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
        client.read_backup_instance(&call, &listed_instance("a")).await.unwrap().unwrap();
        client.read_backup_instance(&call, &listed_instance("b")).await.unwrap().unwrap();
        assert!(seen.seen.lock().unwrap().iter().all(|s| s.url.contains("/backupInstances/")));
    }
}
