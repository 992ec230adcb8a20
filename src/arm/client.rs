//! Typed calls to the Data Protection API.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use url::Url;

use super::error::{ArmError, ErrorKind};
use super::ids::{BackupInstanceId, BackupVaultId};
use super::models::{BackupInstance, BackupInstanceResource, Page, ValidateForBackupRequest};
use super::pipeline::{CallContext, HttpResponse, Pipeline, server_delay};
use super::poller::Operation;

/// The one api-version the provider speaks.
pub const API_VERSION: &str = "2026-06-01";

/// The Data Protection client: typed calls over a shared [`Pipeline`].
#[derive(Clone, Debug)]
pub struct ArmClient {
    pipeline: Arc<Pipeline>,
}

impl ArmClient {
    /// A client over `pipeline`.
    pub fn new(pipeline: Arc<Pipeline>) -> ArmClient {
        ArmClient { pipeline }
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

    async fn send_json<T: serde::Serialize>(
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
        response.json().map(|instance| Some((instance, delay))).map_err(|e| e.context(what()))
    }

    /// PUTs a backup instance. `Ok` means Azure accepted it: from here on the instance may exist.
    pub async fn begin_put_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
        body: &BackupInstanceResource,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let url = self.url(&id.to_string())?;
        let response = self.send_json(call, Method::PUT, url.clone(), Some(body)).await.map_err(|e| e.context(what))?;
        let response = response.error_for_status().map_err(|e| e.context(what))?;
        Operation::begin(&self.pipeline, Method::PUT, url, response, what)
    }

    /// DELETEs a backup instance. `None` when Azure says it did not exist (204).
    pub async fn begin_delete_backup_instance(
        &self,
        call: &CallContext,
        id: &BackupInstanceId,
    ) -> Result<Option<Operation>, ArmError> {
        let what = format!("deleting backup instance {id}");
        let url = self.url(&id.to_string())?;
        let response =
            self.send_json::<()>(call, Method::DELETE, url.clone(), None).await.map_err(|e| e.context(&what))?;
        if matches!(response.status.as_u16(), 204 | 404) {
            return Ok(None);
        }
        let response = response.error_for_status().map_err(|e| e.context(&what))?;
        Operation::begin(&self.pipeline, Method::DELETE, url, response, what).map(Some)
    }

    /// POSTs validateForBackup for an instance that would be created in `vault`.
    pub async fn begin_validate_for_backup(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
        instance: &BackupInstance,
        what: &str,
    ) -> Result<Operation, ArmError> {
        let url = self.url(&format!("{vault}/validateForBackup"))?;
        let body = ValidateForBackupRequest { backup_instance: instance.clone() };
        let response =
            self.send_json(call, Method::POST, url.clone(), Some(&body)).await.map_err(|e| e.context(what))?;
        let response = response.error_for_status().map_err(|e| e.context(what))?;
        Operation::begin(&self.pipeline, Method::POST, url, response, what)
    }

    /// Lists the backup instances of a vault, following `nextLink`.
    pub async fn list_backup_instances(
        &self,
        call: &CallContext,
        vault: &BackupVaultId,
    ) -> Result<Vec<BackupInstanceResource>, ArmError> {
        let what = || format!("listing the backup instances of {vault}");
        let mut url = self.url(&format!("{vault}/backupInstances"))?;
        let mut all = Vec::new();
        loop {
            let response = self.send_json::<()>(call, Method::GET, url, None).await.map_err(|e| e.context(what()))?;
            let page: Page<BackupInstanceResource> =
                response.error_for_status().and_then(|r| r.json()).map_err(|e| e.context(what()))?;
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
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::testing::*;
    use super::*;

    fn client(h: Harness) -> (ArmClient, Arc<ScriptedTransport>, Duration) {
        let transport = h.transport.clone();
        (ArmClient::new(Arc::new(h.pipeline)), transport, Duration::from_secs(60))
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
}
