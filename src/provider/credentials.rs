//! Signing in: azure_identity credentials behind the pipeline's [`TokenSource`], with a token cache that
//! refreshes before expiry and a forced refresh after a 401.
//!
//! Every credential sends through the provider's one HTTP client (the same TLS trust as the resource manager's
//! requests) and signs in at the cloud's authority host. No token request is written here: azure_identity builds
//! and parses them.

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

/// Tokens are renewed this long before they expire (at most half their lifetime, for short-lived tokens).
/// azure_identity's own caches renew 5 minutes before expiry too, so asking a credential again inside this margin
/// really reaches Entra.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

type Factory = Box<dyn Fn() -> Result<Arc<dyn TokenCredential>, String> + Send + Sync>;

/// A cached token and when to renew it.
struct Cached {
    token: AccessToken,
    renew_at: SystemTime,
}

/// A [`TokenSource`] over an azure_identity credential.
pub struct CredentialTokens {
    make: Factory,
    credential: Mutex<Option<Arc<dyn TokenCredential>>>,
    cached: Mutex<Option<Cached>>,
    scope: String,
    /// The sign-in method.
    pub method: AuthMethod,
    /// Who is signing in, for messages: method, tenant and client ID (never a secret).
    pub describe: String,
}

impl std::fmt::Debug for CredentialTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialTokens")
            .field("describe", &self.describe)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Builds the token source for `method` with `settings` in `cloud`, sending requests through `http`.
/// `environment` reads process variables (the managed identity's endpoint), so tests can pass their own.
pub fn token_source(
    settings: &Settings,
    method: AuthMethod,
    cloud: &CloudEndpoints,
    http: reqwest::Client,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<CredentialTokens, String> {
    let authority = cloud.authority_host.as_str().trim_end_matches('/').to_owned();
    let assertion_http = http.clone();
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
        value.clone().ok_or_else(|| format!("{} sign-in needs {what}", method.label()))
    };
    let (make, describe): (Factory, String) = match method {
        AuthMethod::ClientSecret => {
            let tenant = need(&tenant, "tenant_id (ARM_TENANT_ID)")?;
            let client_id = need(&client_id, "client_id (ARM_CLIENT_ID)")?;
            let secret = settings.client_secret.clone().ok_or("client secret sign-in needs client_secret")?;
            let describe = format!("client secret sign-in as client ID {client_id} in tenant {tenant}");
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
            let request = settings.oidc_request_url.clone().zip(settings.oidc_request_token.clone());
            let (source, from) = match (&settings.oidc_token, &settings.oidc_token_file_path, request) {
                (Some(token), _, _) => (OidcAssertion::Token(token.clone()), "an ID token".to_owned()),
                (None, Some(path), _) => {
                    (OidcAssertion::File(path.clone()), format!("the ID token in {}", path.display()))
                }
                (None, None, Some((url, bearer))) => {
                    let from = format!("an ID token requested from {}", url.origin().ascii_serialization());
                    (OidcAssertion::Request { url, bearer, http: assertion_http.clone() }, from)
                }
                (None, None, None) => {
                    return Err("OIDC sign-in needs oidc_token (ARM_OIDC_TOKEN), oidc_token_file_path \
                                (ARM_OIDC_TOKEN_FILE_PATH, AZURE_FEDERATED_TOKEN_FILE), or oidc_request_url with \
                                oidc_request_token (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN)"
                        .to_owned());
                }
            };
            let describe =
                format!("OIDC workload identity sign-in as client ID {client_id} in tenant {tenant} with {from}");
            let make: Factory = Box::new(move || {
                let options = ClientAssertionCredentialOptions { client_options: options() };
                ClientAssertionCredential::new(tenant.clone(), client_id.clone(), source.clone(), Some(options))
                    .map(|c| c as Arc<dyn TokenCredential>)
                    .map_err(|e| e.to_string())
            });
            (make, describe)
        }
        AuthMethod::ManagedIdentity => {
            // azure_identity picks the endpoint from the same variables; this only names it in messages.
            let source = match (environment("IDENTITY_ENDPOINT"), environment("IDENTITY_HEADER")) {
                (Some(endpoint), Some(_)) => format!("the App Service identity endpoint {endpoint}"),
                _ => "the instance metadata service (IMDS)".to_owned(),
            };
            let describe = match &client_id {
                Some(id) => format!("managed identity sign-in as the user-assigned identity {id} through {source}"),
                None => format!("managed identity sign-in as the system-assigned identity through {source}"),
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
                None => "Azure CLI sign-in with the CLI's default tenant".to_owned(),
            };
            let make: Factory = Box::new(move || {
                let options =
                    AzureCliCredentialOptions { tenant_id: tenant.clone(), ..AzureCliCredentialOptions::default() };
                AzureCliCredential::new(Some(options)).map(|c| c as Arc<dyn TokenCredential>).map_err(|e| e.to_string())
            });
            (make, describe)
        }
    };
    Ok(CredentialTokens::new(make, cloud.token_scope.clone(), method, describe))
}

impl CredentialTokens {
    fn new(make: Factory, scope: String, method: AuthMethod, describe: String) -> CredentialTokens {
        CredentialTokens { make, credential: Mutex::new(None), cached: Mutex::new(None), scope, method, describe }
    }

    /// Signs in now (bypassing the cache, so this proves the credentials), caches the token, and returns
    /// azure_identity's error text on failure: Entra's `AADSTS` code and description, or the CLI's message.
    pub async fn sign_in(&self) -> Result<(), String> {
        let mut cached = self.cached.lock().await;
        *cached = Some(self.fetch(false).await?);
        Ok(())
    }

    /// Asks the credential for a token; `fresh_credential` replaces the credential first, because
    /// azure_identity's credentials cache tokens and would hand back the one Azure just refused.
    async fn fetch(&self, fresh_credential: bool) -> Result<Cached, String> {
        let credential = {
            let mut slot = self.credential.lock().await;
            match slot.as_ref() {
                Some(credential) if !fresh_credential => credential.clone(),
                _ => {
                    let credential = (self.make)()?;
                    *slot = Some(credential.clone());
                    credential
                }
            }
        };
        let token =
            credential.get_token(&[self.scope.as_str()], None).await.map_err(|e| plain_error(&e.to_string()))?;
        let now = SystemTime::now();
        let expires_at = SystemTime::UNIX_EPOCH + Duration::from_secs(token.expires_on.unix_timestamp().max(0) as u64);
        let lifetime = expires_at.duration_since(now).unwrap_or_default();
        let renew_at = expires_at - REFRESH_MARGIN.min(lifetime / 2);
        tracing::debug!(
            method = self.method.label(),
            expires_in_s = lifetime.as_secs(),
            renew_in_s = renew_at.duration_since(now).unwrap_or_default().as_secs(),
            "got an access token"
        );
        Ok(Cached { token: AccessToken { token: Secret::new(token.token.secret().to_owned()), expires_at }, renew_at })
    }

    fn error(&self, message: String) -> ArmError {
        let mut error = ArmError::new(ErrorKind::Authentication, format!("{} failed: {message}", self.describe));
        error.context = Some("signing in to Azure".to_owned());
        error
    }
}

#[async_trait]
impl TokenSource for CredentialTokens {
    async fn token(&self, refresh: bool) -> Result<AccessToken, ArmError> {
        let mut cached = self.cached.lock().await;
        if !refresh
            && let Some(entry) = cached.as_ref()
            && SystemTime::now() < entry.renew_at
        {
            return Ok(entry.token.clone());
        }
        let entry = self.fetch(refresh).await.map_err(|e| self.error(e))?;
        let token = entry.token.clone();
        *cached = Some(entry);
        Ok(token)
    }

    async fn refreshed(&self, rejected: &AccessToken) -> Result<AccessToken, ArmError> {
        let mut cached = self.cached.lock().await;
        if let Some(entry) = cached.as_ref()
            && entry.token.token != rejected.token
            && SystemTime::now() < entry.renew_at
        {
            // Another request met the same 401 and renewed the token already.
            return Ok(entry.token.clone());
        }
        tracing::debug!(method = self.method.label(), "the resource manager refused the token; signing in again");
        let entry = self.fetch(true).await.map_err(|e| self.error(e))?;
        let token = entry.token.clone();
        *cached = Some(entry);
        Ok(token)
    }
}

/// azure_identity's error text without its `XyzCredential authentication failed.` lead, which only repeats what
/// the provider's own message says: Entra's `AADSTS` code and description, or the CLI's words, come first.
fn plain_error(message: &str) -> String {
    match message.split_once(" authentication failed.") {
        Some((credential, rest)) if credential.ends_with("Credential") && !credential.contains(' ') => {
            rest.trim_start().to_owned()
        }
        _ => message.to_owned(),
    }
}

/// Where the OIDC ID token comes from. A file is read at each sign-in, since platforms rotate it (Kubernetes
/// projects a new token about every hour); a requested token (GitHub Actions) is requested at each sign-in.
#[derive(Clone)]
enum OidcAssertion {
    Token(Secret),
    File(PathBuf),
    /// GitHub Actions' ID token request: `GET {url}&audience=api://AzureADTokenExchange` with the job's bearer
    /// token answers `{"value": "<ID token>"}`.
    Request {
        url: url::Url,
        bearer: Secret,
        http: reqwest::Client,
    },
}

/// The audience Entra expects in federated ID tokens.
const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";

impl std::fmt::Debug for OidcAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OidcAssertion::Token(_) => f.write_str("OidcAssertion::Token([redacted])"),
            OidcAssertion::File(path) => write!(f, "OidcAssertion::File({path:?})"),
            OidcAssertion::Request { url, .. } => {
                write!(f, "OidcAssertion::Request({}, [redacted])", url.origin().ascii_serialization())
            }
        }
    }
}

#[async_trait]
impl ClientAssertion for OidcAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        let fail = |message: String| azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, message);
        match self {
            OidcAssertion::Token(token) => Ok(token.expose().to_owned()),
            OidcAssertion::File(path) => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| fail(format!("could not read the OIDC token file {}: {e}", path.display())))?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(fail(format!("the OIDC token file {} is empty", path.display())));
                }
                Ok(token.to_owned())
            }
            OidcAssertion::Request { url, bearer, http } => {
                let mut url = url.clone();
                url.query_pairs_mut().append_pair("audience", FEDERATED_AUDIENCE);
                let origin = url.origin().ascii_serialization();
                let response = http
                    .get(url)
                    .bearer_auth(bearer.expose())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .map_err(|e| fail(format!("requesting an OIDC ID token from {origin}: {e}")))?;
                let status = response.status();
                if !status.is_success() {
                    return Err(fail(format!("requesting an OIDC ID token from {origin}: HTTP {status}")));
                }
                #[derive(serde::Deserialize)]
                struct Answer {
                    value: Option<String>,
                }
                let answer: Answer = response
                    .json()
                    .await
                    .map_err(|e| fail(format!("the OIDC token answer from {origin} is unreadable: {e}")))?;
                answer
                    .value
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| fail(format!("the OIDC token answer from {origin} holds no token")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use azure_core::credentials::TokenRequestOptions;
    use azure_core::time::OffsetDateTime;

    use super::*;

    /// Hands out `token-N`, valid for `lifetime` seconds; counts credentials made and tokens issued.
    #[derive(Debug)]
    struct Fake {
        issued: Arc<AtomicUsize>,
        lifetime: i64,
        fail: Option<String>,
    }

    #[async_trait]
    impl TokenCredential for Fake {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            assert_eq!(scopes, ["https://management.core.windows.net//.default"]);
            if let Some(message) = &self.fail {
                return Err(azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, message.clone()));
            }
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(azure_core::credentials::AccessToken::new(
                format!("token-{n}"),
                OffsetDateTime::now_utc() + azure_core::time::Duration::seconds(self.lifetime),
            ))
        }
    }

    struct Counts {
        made: Arc<AtomicUsize>,
        issued: Arc<AtomicUsize>,
    }

    fn source(lifetime: i64, fail: Option<&str>) -> (CredentialTokens, Counts) {
        let made = Arc::new(AtomicUsize::new(0));
        let issued = Arc::new(AtomicUsize::new(0));
        let counts = Counts { made: made.clone(), issued: issued.clone() };
        let fail = fail.map(str::to_owned);
        let make: Factory = Box::new(move || {
            made.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::new(Fake { issued: issued.clone(), lifetime, fail: fail.clone() }) as Arc<dyn TokenCredential>)
        });
        let tokens = CredentialTokens::new(
            make,
            "https://management.core.windows.net//.default".to_owned(),
            AuthMethod::ClientSecret,
            "client secret sign-in as client ID c in tenant t".to_owned(),
        );
        (tokens, counts)
    }

    #[tokio::test]
    async fn tokens_are_cached_until_shortly_before_they_expire() {
        let (tokens, counts) = source(3600, None);
        tokens.sign_in().await.unwrap();
        let first = tokens.token(false).await.unwrap();
        let again = tokens.token(false).await.unwrap();
        assert_eq!(first.token.expose(), "token-1");
        assert_eq!(again.token.expose(), "token-1");
        assert_eq!(counts.issued.load(Ordering::SeqCst), 1, "sign-in at configuration serves later calls");
        let remaining = first.expires_at.duration_since(SystemTime::now()).unwrap();
        assert!(remaining > Duration::from_secs(3500), "{remaining:?}");

        // A token inside its renewal margin is renewed; a one-second token is renewed at once.
        let (tokens, counts) = source(1, None);
        tokens.token(false).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(tokens.token(false).await.unwrap().token.expose(), "token-2");
        assert_eq!(counts.made.load(Ordering::SeqCst), 1, "renewal before expiry reuses the credential");
    }

    #[tokio::test]
    async fn a_refused_token_is_replaced_once_for_all_who_saw_it() {
        let (tokens, counts) = source(3600, None);
        let tokens = Arc::new(tokens);
        let rejected = tokens.token(false).await.unwrap();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (tokens, rejected, seen) = (tokens.clone(), rejected.clone(), seen.clone());
            tasks.push(tokio::spawn(async move {
                let token = tokens.refreshed(&rejected).await.unwrap();
                seen.lock().unwrap().push(token.token.expose().to_owned());
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert!(seen.lock().unwrap().iter().all(|t| t == "token-2"), "{:?}", seen.lock().unwrap());
        assert_eq!(counts.issued.load(Ordering::SeqCst), 2, "eight 401s, one new sign-in");
        assert_eq!(counts.made.load(Ordering::SeqCst), 2, "a fresh credential, whose cache cannot return token-1");
        assert_eq!(tokens.token(false).await.unwrap().token.expose(), "token-2");
        // A second refusal of the new token signs in again.
        let again = tokens.refreshed(&tokens.token(false).await.unwrap()).await.unwrap();
        assert_eq!(again.token.expose(), "token-3");
    }

    #[tokio::test]
    async fn failures_say_who_was_signing_in() {
        let (tokens, _) = source(3600, Some("AADSTS7000215: Invalid client secret provided."));
        assert_eq!(tokens.sign_in().await.unwrap_err(), "AADSTS7000215: Invalid client secret provided.");
        let error = tokens.token(false).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Authentication);
        assert_eq!(
            error.message,
            "client secret sign-in as client ID c in tenant t failed: AADSTS7000215: Invalid client secret provided."
        );
    }

    #[test]
    fn errors_lose_azure_identitys_lead_only() {
        assert_eq!(
            plain_error("ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret."),
            "AADSTS7000215: Invalid client secret."
        );
        assert_eq!(
            plain_error("AzureCliCredential authentication failed.\nERROR: run az login"),
            "ERROR: run az login"
        );
        assert_eq!(plain_error("the request failed: refused"), "the request failed: refused");
    }

    #[tokio::test]
    async fn oidc_token_files_are_read_at_each_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let assertion = OidcAssertion::File(path.clone());
        assert!(assertion.secret(None).await.unwrap_err().to_string().contains("could not read the OIDC token file"));
        std::fs::write(&path, "first\n").unwrap();
        assert_eq!(assertion.secret(None).await.unwrap(), "first");
        std::fs::write(&path, "second").unwrap();
        assert_eq!(assertion.secret(None).await.unwrap(), "second");
        std::fs::write(&path, " \n").unwrap();
        assert!(assertion.secret(None).await.unwrap_err().to_string().contains("is empty"));
        let token = OidcAssertion::Token(Secret::new("eyJ.secret.jwt"));
        assert!(!format!("{token:?}").contains("secret"));
    }
}
