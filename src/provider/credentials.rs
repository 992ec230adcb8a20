//! Signing in: azure_identity credentials behind the pipeline's [`TokenSource`], with a token cache that
//! refreshes before expiry and a forced refresh after a 401.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientMethodOptions, ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertion, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId,
};
use tokio::sync::Mutex;

use crate::arm::auth::{AccessToken, Secret, TokenSource};
use crate::arm::error::{ArmError, ErrorKind};

use super::cloud::CloudEndpoints;
use super::config::{AuthMethod, Settings};

/// Tokens are renewed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

type Factory = Box<dyn Fn() -> Result<Arc<dyn TokenCredential>, String> + Send + Sync>;

/// A [`TokenSource`] over an azure_identity credential.
pub struct CredentialTokens {
    make: Factory,
    credential: Mutex<Option<Arc<dyn TokenCredential>>>,
    cached: Mutex<Option<AccessToken>>,
    scope: String,
    /// Who is signing in, for messages: method, tenant and client ID (never a secret).
    pub describe: String,
}

impl std::fmt::Debug for CredentialTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialTokens").field("describe", &self.describe).finish_non_exhaustive()
    }
}

/// Builds the token source for `settings` in `cloud`, sending requests through `http`.
pub fn token_source(
    settings: &Settings,
    cloud: &CloudEndpoints,
    http: reqwest::Client,
) -> Result<CredentialTokens, String> {
    let method = settings.auth_method()?;
    let authority = cloud.authority_host.as_str().trim_end_matches('/').to_owned();
    let options = move || {
        let mut custom = CustomConfiguration::default();
        custom.authority_host = authority.clone();
        ClientOptions {
            cloud: Some(Arc::new(CloudConfiguration::from(custom))),
            transport: Some(Transport::new(Arc::new(http.clone()))),
            ..ClientOptions::default()
        }
    };
    let tenant = settings.tenant_id.clone();
    let client_id = settings.client_id.clone();
    let need = |value: &Option<String>, what: &str| -> Result<String, String> {
        value.clone().ok_or_else(|| format!("{what} is required for {method:?} sign-in", method = method))
    };
    let (make, describe): (Factory, String) = match method {
        AuthMethod::ClientSecret => {
            let tenant = need(&tenant, "tenant_id (ARM_TENANT_ID)")?;
            let client_id = need(&client_id, "client_id (ARM_CLIENT_ID)")?;
            let secret = settings.client_secret.clone().unwrap_or_default();
            let describe = format!("client secret sign-in for client ID {client_id} in tenant {tenant}");
            let make: Factory = Box::new(move || {
                let options = ClientSecretCredentialOptions { client_options: options() };
                ClientSecretCredential::new(
                    &tenant,
                    client_id.clone(),
                    azure_core::credentials::Secret::new(secret.expose().to_owned()),
                    Some(options),
                )
                .map(|c| c as Arc<dyn TokenCredential>)
                .map_err(|e| e.to_string())
            });
            (make, describe)
        }
        AuthMethod::Oidc => {
            let tenant = need(&tenant, "tenant_id (ARM_TENANT_ID)")?;
            let client_id = need(&client_id, "client_id (ARM_CLIENT_ID)")?;
            let source = match (&settings.oidc_token, &settings.oidc_token_file_path) {
                (Some(token), _) => OidcAssertion::Token(token.clone()),
                (None, Some(path)) => OidcAssertion::File(path.clone()),
                (None, None) => {
                    return Err("use_oidc is set, but neither oidc_token (ARM_OIDC_TOKEN) nor oidc_token_file_path \
                                (ARM_OIDC_TOKEN_FILE_PATH, AZURE_FEDERATED_TOKEN_FILE) is"
                        .to_owned());
                }
            };
            let describe = format!("OIDC workload identity sign-in for client ID {client_id} in tenant {tenant}");
            let make: Factory = Box::new(move || {
                let options = ClientAssertionCredentialOptions { client_options: options() };
                ClientAssertionCredential::new(tenant.clone(), client_id.clone(), source.clone(), Some(options))
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| e.to_string())
            });
            (make, describe)
        }
        AuthMethod::ManagedIdentity => {
            let describe = match &client_id {
                Some(id) => format!("managed identity sign-in with the user-assigned identity {id}"),
                None => "managed identity sign-in with the system-assigned identity".to_owned(),
            };
            let make: Factory = Box::new(move || {
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                    client_options: options(),
                };
                ManagedIdentityCredential::new(Some(options))
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| e.to_string())
            });
            (make, describe)
        }
        AuthMethod::AzureCli => {
            let describe = match &tenant {
                Some(t) => format!("Azure CLI sign-in in tenant {t}"),
                None => "Azure CLI sign-in".to_owned(),
            };
            let make: Factory = Box::new(move || {
                let options =
                    AzureCliCredentialOptions { tenant_id: tenant.clone(), ..AzureCliCredentialOptions::default() };
                AzureCliCredential::new(Some(options)).map(|c| c as Arc<dyn TokenCredential>).map_err(|e| e.to_string())
            });
            (make, describe)
        }
    };
    Ok(CredentialTokens {
        make,
        credential: Mutex::new(None),
        cached: Mutex::new(None),
        scope: cloud.token_scope.clone(),
        describe,
    })
}

impl CredentialTokens {
    async fn fetch(&self, fresh_credential: bool) -> Result<AccessToken, ArmError> {
        let credential = {
            let mut slot = self.credential.lock().await;
            if fresh_credential || slot.is_none() {
                // A new credential instance has an empty cache of its own, so this really asks Entra again.
                *slot = Some((self.make)().map_err(|e| self.error(e))?);
            }
            slot.clone().unwrap_or_else(|| unreachable!("set above"))
        };
        let token = credential.get_token(&[self.scope.as_str()], None).await.map_err(|e| self.error(e.to_string()))?;
        let expires_at = SystemTime::UNIX_EPOCH + Duration::from_secs(token.expires_on.unix_timestamp().max(0) as u64);
        Ok(AccessToken { token: Secret::new(token.token.secret().to_owned()), expires_at })
    }

    fn error(&self, message: String) -> ArmError {
        let mut error = ArmError::new(ErrorKind::Authentication, format!("{}: {message}", self.describe));
        error.context = Some("signing in to Azure".to_owned());
        error
    }
}

#[async_trait]
impl TokenSource for CredentialTokens {
    async fn token(&self, refresh: bool) -> Result<AccessToken, ArmError> {
        let mut cached = self.cached.lock().await;
        if !refresh
            && let Some(token) = cached.as_ref()
            && token.expires_at > SystemTime::now() + REFRESH_MARGIN
        {
            return Ok(token.clone());
        }
        let token = self.fetch(refresh).await?;
        *cached = Some(token.clone());
        Ok(token)
    }
}

/// Where the OIDC ID token comes from. A file is read at each sign-in, since platforms rotate it.
#[derive(Clone)]
enum OidcAssertion {
    Token(Secret),
    File(PathBuf),
}

impl std::fmt::Debug for OidcAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OidcAssertion::Token(_) => f.write_str("OidcAssertion::Token([redacted])"),
            OidcAssertion::File(path) => write!(f, "OidcAssertion::File({path:?})"),
        }
    }
}

#[async_trait]
impl ClientAssertion for OidcAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        match self {
            OidcAssertion::Token(token) => Ok(token.expose().to_owned()),
            OidcAssertion::File(path) => {
                tokio::fs::read_to_string(path).await.map(|s| s.trim().to_owned()).map_err(|e| {
                    azure_core::Error::with_message(
                        azure_core::error::ErrorKind::Credential,
                        format!("could not read the OIDC token file {}: {e}", path.display()),
                    )
                })
            }
        }
    }
}
