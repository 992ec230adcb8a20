//! The `provider` block: its schema, and resolving each argument against its `ARM_*` environment fallback.

use std::path::PathBuf;

use url::Url;

use crate::arm::auth::Secret;
use crate::plugin::diagnostics::{AttributePath, Diagnostics};
use crate::plugin::schema::{Attribute, Block, Schema};
use crate::plugin::value::{Type, Value};

use super::cloud;

/// The provider block's schema.
pub fn schema() -> Schema {
    let s = |name: &str, text: &str| Attribute::optional(name, Type::String).description(text);
    let b = |name: &str, text: &str| Attribute::optional(name, Type::Bool).description(text);
    Schema {
        version: 0,
        block: Block {
            description: "Manages Azure Backup's Data Protection resources (backup vaults, policies and instances)."
                .into(),
            attributes: vec![
                s(
                    "subscription_id",
                    "The default subscription ID. Resources carry their own subscription in their IDs, so this is only a default. Falls back to `ARM_SUBSCRIPTION_ID`.",
                ),
                s("tenant_id", "The Microsoft Entra tenant ID. Falls back to `ARM_TENANT_ID`."),
                s(
                    "client_id",
                    "The client ID of the service principal, app registration or user-assigned managed identity. Falls back to `ARM_CLIENT_ID`.",
                ),
                s("client_secret", "The client secret of the service principal. Falls back to `ARM_CLIENT_SECRET`.")
                    .sensitive(),
                b(
                    "use_oidc",
                    "Sign in with OpenID Connect workload identity federation (for example GitHub Actions or Kubernetes). Falls back to `ARM_USE_OIDC`.",
                ),
                s("oidc_token", "The OIDC ID token to exchange for an access token. Falls back to `ARM_OIDC_TOKEN`.")
                    .sensitive(),
                s(
                    "oidc_token_file_path",
                    "A file holding the OIDC ID token. Falls back to `ARM_OIDC_TOKEN_FILE_PATH`, then `AZURE_FEDERATED_TOKEN_FILE`.",
                ),
                s(
                    "oidc_request_url",
                    "The URL from which to request an OIDC ID token, as GitHub Actions provides it to jobs with `id-token: write` permission. Falls back to `ARM_OIDC_REQUEST_URL`, then `ACTIONS_ID_TOKEN_REQUEST_URL`.",
                ),
                s(
                    "oidc_request_token",
                    "The bearer token for `oidc_request_url`. Falls back to `ARM_OIDC_REQUEST_TOKEN`, then `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.",
                )
                .sensitive(),
                b(
                    "use_msi",
                    "Sign in with a managed identity (IMDS, or the App Service `IDENTITY_ENDPOINT`). Falls back to `ARM_USE_MSI`.",
                ),
                b(
                    "use_cli",
                    "Sign in with the Azure CLI's token. The default when no other method is configured. Falls back to `ARM_USE_CLI`.",
                ),
                s(
                    "environment",
                    "The Azure cloud: `public` (default), `usgovernment` or `china`. Falls back to `ARM_ENVIRONMENT`.",
                ),
                s(
                    "metadata_host",
                    "The `host[:port]` of a custom cloud's metadata service, from which the resource manager, sign-in endpoint and token audience are discovered (as for Azure Stack, or the emulator). Falls back to `ARM_METADATA_HOSTNAME`.",
                ),
                s(
                    "resource_manager_endpoint",
                    "Overrides the resource manager URL (https, or http on a loopback address). Falls back to `ARM_RESOURCE_MANAGER_ENDPOINT`.",
                ),
                s(
                    "authority_host",
                    "Overrides the Microsoft Entra authority host (https only). Falls back to `AZURE_AUTHORITY_HOST`.",
                ),
                b(
                    "skip_provider_registration",
                    "Whether to leave resource provider registration alone. By default, when Azure answers that the subscription is not registered for `Microsoft.DataProtection` (409 `MissingSubscriptionRegistration`, as a subscription that never used Azure Backup does), the provider registers it and waits until it is registered; that needs `Microsoft.DataProtection/register/action` (part of Contributor). Set this to `true` when the principal may not register providers. Falls back to `ARM_SKIP_PROVIDER_REGISTRATION`. Defaults to `false`.",
                ),
                b(
                    "refresh_by_list",
                    "Whether refresh, import and the `dataprotection_backup_instance` and `dataprotection_backup_policy_disk` data sources read the backup instances and policies of each vault with one list (paged) instead of one GET each, so that large states stay inside Azure Resource Manager's read limits. An object the list does not hold is read with a GET, a list answers reads for at most 60 seconds, and every change the provider makes in a vault forgets its lists. Defaults to `true`.",
                ),
                b(
                    "validate_on_plan",
                    "Whether `terraform plan` runs Azure's validateForBackup for new backup instances and validateForModifyBackup for backup instances changed in place, so that errors such as missing permissions appear at plan time. Defaults to `true`.",
                ),
            ],
            ..Block::default()
        },
    }
}

/// How to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_id` + `client_secret` + `tenant_id`.
    ClientSecret,
    /// Workload identity federation: an OIDC ID token exchanged for an access token.
    Oidc,
    /// Managed identity (IMDS, or App Service's identity endpoint).
    ManagedIdentity,
    /// The Azure CLI's token.
    AzureCli,
}

impl AuthMethod {
    /// Every method, in the order the provider considers them (azurerm's order).
    pub const ORDER: [AuthMethod; 4] =
        [AuthMethod::ClientSecret, AuthMethod::Oidc, AuthMethod::ManagedIdentity, AuthMethod::AzureCli];

    /// The method's name in messages.
    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::ClientSecret => "client secret",
            AuthMethod::Oidc => "OIDC workload identity",
            AuthMethod::ManagedIdentity => "managed identity",
            AuthMethod::AzureCli => "Azure CLI",
        }
    }

    /// What the method needs, with the arguments' environment variables.
    pub fn needs(self) -> &'static str {
        match self {
            AuthMethod::ClientSecret => {
                "tenant_id, client_id and client_secret (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET)"
            }
            AuthMethod::Oidc => {
                "use_oidc = true (ARM_USE_OIDC) with tenant_id, client_id and an ID token in oidc_token \
                 (ARM_OIDC_TOKEN), in a file named by oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, \
                 AZURE_FEDERATED_TOKEN_FILE), or from GitHub Actions' token request (oidc_request_url and \
                 oidc_request_token: ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN)"
            }
            AuthMethod::ManagedIdentity => {
                "use_msi = true (ARM_USE_MSI) on an Azure VM (IMDS) or in App Service (IDENTITY_ENDPOINT and \
                 IDENTITY_HEADER); client_id (ARM_CLIENT_ID) selects a user-assigned identity"
            }
            AuthMethod::AzureCli => {
                "use_cli = true (ARM_USE_CLI, the default), the `az` command on PATH and a signed-in account \
                 (`az login`)"
            }
        }
    }
}

/// Whether a method can be used with the settings given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Everything it needs is set.
    Ready,
    /// Nothing asks for it.
    NotConfigured,
    /// Something asks for it, but these arguments are missing.
    Incomplete(Vec<&'static str>),
}

/// The sign-in method chosen for a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The method to use.
    pub method: AuthMethod,
    /// Methods that were asked for but lack arguments, and so were passed over, with what each lacks: worth a
    /// warning, because signing in as another identity than intended is confusing.
    pub passed_over: Vec<(AuthMethod, Vec<&'static str>)>,
}

/// The resolved provider configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Default subscription.
    pub subscription_id: Option<String>,
    /// Tenant.
    pub tenant_id: Option<String>,
    /// Client ID.
    pub client_id: Option<String>,
    /// Client secret.
    pub client_secret: Option<Secret>,
    /// Workload identity requested.
    pub use_oidc: bool,
    /// OIDC token.
    pub oidc_token: Option<Secret>,
    /// OIDC token file.
    pub oidc_token_file_path: Option<PathBuf>,
    /// Where to request an OIDC token (GitHub Actions).
    pub oidc_request_url: Option<Url>,
    /// The bearer token for `oidc_request_url`.
    pub oidc_request_token: Option<Secret>,
    /// Managed identity requested.
    pub use_msi: bool,
    /// Azure CLI allowed.
    pub use_cli: bool,
    /// Named environment.
    pub environment: String,
    /// Custom cloud metadata host.
    pub metadata_host: Option<String>,
    /// Resource manager override.
    pub resource_manager_endpoint: Option<Url>,
    /// Authority override.
    pub authority_host: Option<Url>,
    /// Run validateForBackup (new instances) and validateForModifyBackup (changes in place) at plan.
    pub validate_on_plan: bool,
    /// Leave resource provider registration alone.
    pub skip_provider_registration: bool,
    /// Answer refresh reads from per-vault lists.
    pub refresh_by_list: bool,
}

/// The outcome of reading the provider block.
#[derive(Debug)]
pub enum Resolved {
    /// Every argument is known.
    Ready(Box<Settings>),
    /// Some argument is unknown until apply (it depends on a resource); the provider cannot talk to Azure yet.
    Unknown(Vec<String>),
}

/// Parses a boolean environment variable the way azurerm (Go's `strconv.ParseBool`) does, plus `yes`/`no`.
/// `None` for an empty value (treated as unset).
fn parse_bool(value: &str) -> Option<Result<bool, ()>> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "1" | "t" | "true" | "yes" => Some(Ok(true)),
        "0" | "f" | "false" | "no" => Some(Ok(false)),
        _ => Some(Err(())),
    }
}

/// Reads the provider block, falling back to the environment through `env`. Known arguments are checked even
/// when others are unknown, so that a mistake shows at the first plan.
pub fn resolve(config: &Value, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut unknown = Vec::new();
    let mut string = |name: &str, vars: &[&str]| -> Option<String> {
        match config.attr(name) {
            Value::Unknown => {
                unknown.push(name.to_owned());
                None
            }
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => vars.iter().filter_map(|v| env(v)).map(|s| s.trim().to_owned()).find(|s| !s.is_empty()),
        }
    };
    let subscription_id = string("subscription_id", &["ARM_SUBSCRIPTION_ID"]);
    let tenant_id = string("tenant_id", &["ARM_TENANT_ID"]);
    let client_id = string("client_id", &["ARM_CLIENT_ID"]);
    let client_secret = string("client_secret", &["ARM_CLIENT_SECRET"]).map(Secret::new);
    let oidc_token = string("oidc_token", &["ARM_OIDC_TOKEN"]).map(Secret::new);
    let oidc_token_file_path =
        string("oidc_token_file_path", &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"]).map(PathBuf::from);
    let oidc_request_url = string("oidc_request_url", &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"]);
    let oidc_request_token =
        string("oidc_request_token", &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]).map(Secret::new);
    let environment = string("environment", &["ARM_ENVIRONMENT"]);
    let metadata_host = string("metadata_host", &["ARM_METADATA_HOSTNAME"]);
    let resource_manager_endpoint = string("resource_manager_endpoint", &["ARM_RESOURCE_MANAGER_ENDPOINT"]);
    let authority_host = string("authority_host", &["AZURE_AUTHORITY_HOST"]);

    let mut boolean = |name: &str, var: Option<&str>, default: bool| -> bool {
        match config.attr(name) {
            Value::Unknown => {
                unknown.push(name.to_owned());
                default
            }
            Value::Bool(b) => *b,
            _ => match var.and_then(|v| env(v).map(|s| (v, s))) {
                Some((var, s)) => match parse_bool(&s) {
                    None => default,
                    Some(Ok(b)) => b,
                    Some(Err(())) => {
                        diags.attribute_error(
                            AttributePath::root(name),
                            format!("{var} is not a boolean"),
                            format!("{var} is {:?}; expected true or false.", s.trim()),
                        );
                        default
                    }
                },
                None => default,
            },
        }
    };
    let use_oidc = boolean("use_oidc", Some("ARM_USE_OIDC"), false);
    let use_msi = boolean("use_msi", Some("ARM_USE_MSI"), false);
    let use_cli = boolean("use_cli", Some("ARM_USE_CLI"), true);
    let validate_on_plan = boolean("validate_on_plan", None, true);
    let skip_provider_registration =
        boolean("skip_provider_registration", Some("ARM_SKIP_PROVIDER_REGISTRATION"), false);
    let refresh_by_list = boolean("refresh_by_list", None, true);

    if let Some(name) = &environment
        && cloud::environment(name).is_none()
    {
        diags.attribute_error(
            AttributePath::root("environment"),
            "Unknown Azure environment",
            format!(
                "environment is {name:?}; expected one of {}. For another cloud, set metadata_host.",
                cloud::ENVIRONMENTS.join(", ")
            ),
        );
    }
    let mut endpoint = |name: &str, raw: Option<String>, https_only: bool| -> Option<Url> {
        let raw = raw?;
        let checked = Url::parse(&raw)
            .ok()
            .filter(|url| url.has_host() && matches!(url.scheme(), "https" | "http"))
            .ok_or_else(|| format!("{raw:?} is not an absolute URL such as https://management.azure.com."))
            .and_then(|url| {
                if https_only && url.scheme() != "https" {
                    Err(format!("{name} {url} must use https: sign-in endpoints are never reached over plain http."))
                } else {
                    cloud::check_endpoint(name, &url).map(|()| url)
                }
            });
        match checked {
            Ok(url) => Some(url),
            Err(message) => {
                diags.attribute_error(AttributePath::root(name), format!("Invalid {name}"), message);
                None
            }
        }
    };
    let resource_manager_endpoint = endpoint("resource_manager_endpoint", resource_manager_endpoint, false);
    let authority_host = endpoint("authority_host", authority_host, true);
    let oidc_request_url = endpoint("oidc_request_url", oidc_request_url, false);
    if let Some(host) = &metadata_host
        && !cloud::is_host_and_port(host)
    {
        diags.attribute_error(
            AttributePath::root("metadata_host"),
            "Invalid metadata_host",
            format!(
                "{host:?} is not a host name with an optional port, such as management.local.azurestack.external \
                 (no scheme, no path: the provider reads https://{{metadata_host}}/metadata/endpoints)."
            ),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if !unknown.is_empty() {
        return Ok(Resolved::Unknown(unknown));
    }
    Ok(Resolved::Ready(Box::new(Settings {
        subscription_id,
        tenant_id,
        client_id,
        client_secret,
        use_oidc,
        oidc_token,
        oidc_token_file_path,
        oidc_request_url,
        oidc_request_token,
        use_msi,
        use_cli,
        environment: environment.unwrap_or_else(|| "public".to_owned()),
        metadata_host,
        resource_manager_endpoint,
        authority_host,
        validate_on_plan,
        skip_provider_registration,
        refresh_by_list,
    })))
}

impl Settings {
    /// Whether `method` can be used with these settings.
    pub fn readiness(&self, method: AuthMethod) -> Readiness {
        let missing_identity = || {
            let mut missing = Vec::new();
            if self.tenant_id.is_none() {
                missing.push("tenant_id (ARM_TENANT_ID)");
            }
            if self.client_id.is_none() {
                missing.push("client_id (ARM_CLIENT_ID)");
            }
            missing
        };
        let requested = match method {
            AuthMethod::ClientSecret => self.client_secret.is_some(),
            AuthMethod::Oidc => self.use_oidc || self.oidc_token.is_some(),
            AuthMethod::ManagedIdentity => self.use_msi,
            AuthMethod::AzureCli => self.use_cli,
        };
        if !requested {
            return Readiness::NotConfigured;
        }
        let missing = match method {
            AuthMethod::ClientSecret => missing_identity(),
            AuthMethod::Oidc => {
                let mut missing = Vec::new();
                if !self.use_oidc {
                    missing.push("use_oidc = true (ARM_USE_OIDC)");
                }
                missing.extend(missing_identity());
                let can_request = self.oidc_request_url.is_some() && self.oidc_request_token.is_some();
                if self.oidc_token.is_none() && self.oidc_token_file_path.is_none() && !can_request {
                    missing.push(
                        "oidc_token (ARM_OIDC_TOKEN) or oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, \
                         AZURE_FEDERATED_TOKEN_FILE) or oidc_request_url with oidc_request_token \
                         (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN)",
                    );
                }
                missing
            }
            AuthMethod::ManagedIdentity | AuthMethod::AzureCli => Vec::new(),
        };
        if missing.is_empty() { Readiness::Ready } else { Readiness::Incomplete(missing) }
    }

    /// The sign-in method, chosen deterministically as azurerm does: the first of client secret, OIDC, managed
    /// identity and Azure CLI that is asked for and has every argument it needs. Nothing is tried and then
    /// abandoned: a method that fails to sign in fails configuration.
    pub fn choose_sign_in(&self) -> Result<Choice, String> {
        let mut passed_over = Vec::new();
        for method in AuthMethod::ORDER {
            match self.readiness(method) {
                Readiness::Ready => return Ok(Choice { method, passed_over }),
                Readiness::Incomplete(missing) => passed_over.push((method, missing)),
                Readiness::NotConfigured => {}
            }
        }
        Err(self.sign_in_overview(None))
    }

    /// Every method, in order, with why it was or was not used and what it needs: the text of the one error
    /// shown when no method can sign in. `failed` is the method that was tried and its error.
    pub fn sign_in_overview(&self, failed: Option<(AuthMethod, &str)>) -> String {
        let mut text = match failed {
            Some(_) => {
                "The provider could not sign in to Azure. It considers these methods, in this order:\n".to_owned()
            }
            None => "No way to sign in to Azure is configured. The provider considers these methods, in this \
                     order:\n"
                .to_owned(),
        };
        for (n, method) in AuthMethod::ORDER.into_iter().enumerate() {
            let status = match (failed, self.readiness(method)) {
                (Some((tried, error)), _) if tried == method => format!("tried, and failed: {error}"),
                (_, Readiness::Ready) => "configured, but not tried".to_owned(),
                (_, Readiness::Incomplete(missing)) => format!("not used, {} not set", missing.join(", ")),
                (_, Readiness::NotConfigured) if method == AuthMethod::AzureCli => {
                    "not used, use_cli is false".to_owned()
                }
                (_, Readiness::NotConfigured) => "not configured".to_owned(),
            };
            text.push_str(&format!("{}. {}: {status}.\n   Needs {}.\n", n + 1, method.label(), method.needs()));
        }
        text.trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn ready(r: Resolved) -> Settings {
        match r {
            Resolved::Ready(s) => *s,
            Resolved::Unknown(u) => panic!("unknown: {u:?}"),
        }
    }

    #[test]
    fn attributes_win_over_environment() {
        let config = Value::object([("tenant_id", Value::from("from-config")), ("use_cli", Value::Null)]);
        let s = ready(resolve(&config, &env(&[("ARM_TENANT_ID", "from-env"), ("ARM_CLIENT_ID", "c")])).unwrap());
        assert_eq!(s.tenant_id.as_deref(), Some("from-config"));
        assert_eq!(s.client_id.as_deref(), Some("c"));
        assert!(s.use_cli);
        assert!(s.validate_on_plan);
        assert_eq!(s.environment, "public");
    }

    #[test]
    fn the_federated_token_file_is_a_fallback() {
        let s =
            ready(resolve(&Value::Object(Default::default()), &env(&[("AZURE_FEDERATED_TOKEN_FILE", "/t")])).unwrap());
        assert_eq!(s.oidc_token_file_path, Some(PathBuf::from("/t")));
        let s = ready(
            resolve(
                &Value::Object(Default::default()),
                &env(&[("AZURE_FEDERATED_TOKEN_FILE", "/t"), ("ARM_OIDC_TOKEN_FILE_PATH", "/a")]),
            )
            .unwrap(),
        );
        assert_eq!(s.oidc_token_file_path, Some(PathBuf::from("/a")));
    }

    #[test]
    fn every_argument_falls_back_to_its_variable() {
        let vars = [
            ("ARM_SUBSCRIPTION_ID", "sub"),
            ("ARM_TENANT_ID", "tenant"),
            ("ARM_CLIENT_ID", "client"),
            ("ARM_CLIENT_SECRET", "secret"),
            ("ARM_USE_OIDC", "true"),
            ("ARM_OIDC_TOKEN", "id-token"),
            ("ARM_OIDC_TOKEN_FILE_PATH", "/run/token"),
            ("ARM_USE_MSI", "1"),
            ("ARM_USE_CLI", "false"),
            ("ARM_ENVIRONMENT", "usgovernment"),
            ("ARM_METADATA_HOSTNAME", "management.local.azurestack.external"),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", "https://arm.example.test/"),
            ("AZURE_AUTHORITY_HOST", "https://login.example.test/"),
        ];
        let s = settings(&vars);
        assert_eq!(s.subscription_id.as_deref(), Some("sub"));
        assert_eq!(s.tenant_id.as_deref(), Some("tenant"));
        assert_eq!(s.client_id.as_deref(), Some("client"));
        assert_eq!(s.client_secret.as_ref().map(Secret::expose), Some("secret"));
        assert!(s.use_oidc && s.use_msi && !s.use_cli);
        assert_eq!(s.oidc_token.as_ref().map(Secret::expose), Some("id-token"));
        assert_eq!(s.oidc_token_file_path, Some(PathBuf::from("/run/token")));
        assert_eq!(s.environment, "usgovernment");
        assert_eq!(s.metadata_host.as_deref(), Some("management.local.azurestack.external"));
        assert_eq!(s.resource_manager_endpoint.unwrap().as_str(), "https://arm.example.test/");
        assert_eq!(s.authority_host.unwrap().as_str(), "https://login.example.test/");
    }

    #[test]
    fn booleans_read_like_azurerm_and_empty_means_unset() {
        for (value, expected) in [("T", true), ("1", true), ("TRUE", true), ("f", false), ("0", false), ("no", false)] {
            assert_eq!(settings(&[("ARM_USE_MSI", value)]).use_msi, expected, "{value}");
        }
        assert!(settings(&[("ARM_USE_CLI", " ")]).use_cli, "an empty ARM_USE_CLI keeps the default");
        let s = ready(
            resolve(&Value::object([("use_cli", Value::Bool(true))]), &env(&[("ARM_USE_CLI", "false")])).unwrap(),
        );
        assert!(s.use_cli, "the argument wins over the variable");
    }

    #[test]
    fn unknown_values_defer_configuration() {
        let config = Value::object([("client_secret", Value::Unknown), ("use_msi", Value::Unknown)]);
        match resolve(&config, &env(&[])).unwrap() {
            Resolved::Unknown(names) => assert_eq!(names, vec!["client_secret".to_owned(), "use_msi".to_owned()]),
            Resolved::Ready(_) => panic!("should be unknown"),
        }
    }

    #[test]
    fn known_mistakes_show_even_when_other_values_are_unknown() {
        let config = Value::object([("client_secret", Value::Unknown), ("environment", Value::from("mars"))]);
        let diags = resolve(&config, &env(&[])).unwrap_err();
        assert_eq!(diags.iter().count(), 1);
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let config = Value::object([
            ("environment", Value::from("mars")),
            ("resource_manager_endpoint", Value::from("http://arm.example.com")),
            ("authority_host", Value::from("http://127.0.0.1:9/")),
            ("metadata_host", Value::from("https://a.example.com")),
        ]);
        let diags = resolve(&config, &env(&[("ARM_USE_MSI", "maybe")])).unwrap_err();
        let paths: Vec<String> = diags.iter().filter_map(|d| d.attribute.as_ref().map(|p| p.to_string())).collect();
        assert_eq!(
            paths,
            vec!["use_msi", "environment", "resource_manager_endpoint", "authority_host", "metadata_host"]
        );
        for bad in ["a/b", "a b", "host:port", "host:99999", "user@host"] {
            let config = Value::object([("metadata_host", Value::from(bad))]);
            assert!(resolve(&config, &env(&[])).is_err(), "{bad:?}");
        }
        for good in ["127.0.0.1:8443", "management.local.azurestack.external", "[::1]:8443"] {
            let config = Value::object([("metadata_host", Value::from(good))]);
            assert!(resolve(&config, &env(&[])).is_ok(), "{good:?}");
        }
        let config = Value::object([("resource_manager_endpoint", Value::from("http://127.0.0.1:8080/"))]);
        assert!(resolve(&config, &env(&[])).is_ok(), "plain http is fine on loopback");
    }

    fn settings(vars: &[(&str, &str)]) -> Settings {
        ready(resolve(&Value::Object(Default::default()), &env(vars)).unwrap())
    }

    const SP: [(&str, &str); 3] = [("ARM_TENANT_ID", "t"), ("ARM_CLIENT_ID", "c"), ("ARM_CLIENT_SECRET", "s")];

    #[test]
    fn sign_in_follows_azurerms_order() {
        let method = |vars: &[(&str, &str)]| settings(vars).choose_sign_in().map(|c| c.method);
        assert_eq!(method(&[]), Ok(AuthMethod::AzureCli), "the CLI is the default");
        assert_eq!(method(&SP), Ok(AuthMethod::ClientSecret));
        let oidc = [("ARM_TENANT_ID", "t"), ("ARM_CLIENT_ID", "c"), ("ARM_USE_OIDC", "true"), ("ARM_OIDC_TOKEN", "x")];
        assert_eq!(method(&oidc), Ok(AuthMethod::Oidc));
        let both = [SP.as_slice(), &oidc[2..]].concat();
        assert_eq!(method(&both), Ok(AuthMethod::ClientSecret), "a client secret comes first, as in azurerm");
        let file = [
            ("ARM_TENANT_ID", "t"),
            ("ARM_CLIENT_ID", "c"),
            ("ARM_USE_OIDC", "1"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
        ];
        assert_eq!(method(&file), Ok(AuthMethod::Oidc));
        assert_eq!(method(&[("ARM_USE_MSI", "true")]), Ok(AuthMethod::ManagedIdentity));
        assert_eq!(method(&[("ARM_USE_MSI", "true"), ("ARM_USE_OIDC", "true")]), Ok(AuthMethod::ManagedIdentity));
        // A pod with workload identity always has AZURE_FEDERATED_TOKEN_FILE; without use_oidc it is no choice.
        let pod = [file[0], file[1], file[3]];
        assert_eq!(method(&pod), Ok(AuthMethod::AzureCli));
    }

    #[test]
    fn incomplete_methods_are_passed_over_and_named() {
        let s = settings(&[("ARM_CLIENT_SECRET", "s"), ("ARM_CLIENT_ID", "c"), ("ARM_USE_MSI", "true")]);
        let choice = s.choose_sign_in().unwrap();
        assert_eq!(choice.method, AuthMethod::ManagedIdentity);
        assert_eq!(choice.passed_over, vec![(AuthMethod::ClientSecret, vec!["tenant_id (ARM_TENANT_ID)"])]);
        let s = settings(&[("ARM_OIDC_TOKEN", "x"), ("ARM_TENANT_ID", "t"), ("ARM_CLIENT_ID", "c")]);
        let choice = s.choose_sign_in().unwrap();
        assert_eq!(choice.method, AuthMethod::AzureCli);
        assert_eq!(choice.passed_over, vec![(AuthMethod::Oidc, vec!["use_oidc = true (ARM_USE_OIDC)"])]);
    }

    #[test]
    fn no_method_lists_what_each_needs() {
        let s = settings(&[("ARM_USE_CLI", "false"), ("ARM_USE_OIDC", "true"), ("ARM_CLIENT_ID", "c")]);
        let e = s.choose_sign_in().unwrap_err();
        for expected in [
            "1. client secret: not configured.",
            "2. OIDC workload identity: not used, tenant_id (ARM_TENANT_ID), oidc_token (ARM_OIDC_TOKEN) or \
             oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, AZURE_FEDERATED_TOKEN_FILE) or oidc_request_url with \
             oidc_request_token (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN) not set.",
            "3. managed identity: not configured.",
            "4. Azure CLI: not used, use_cli is false.",
            "Needs tenant_id, client_id and client_secret (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET).",
            "Needs use_msi = true (ARM_USE_MSI)",
        ] {
            assert!(e.contains(expected), "{expected}\n---\n{e}");
        }
        let cli_failed = settings(&[]).sign_in_overview(Some((AuthMethod::AzureCli, "az not found on PATH")));
        assert!(cli_failed.contains("4. Azure CLI: tried, and failed: az not found on PATH."), "{cli_failed}");
    }

    #[test]
    fn secrets_stay_redacted_in_debug_output() {
        let config =
            Value::object([("client_secret", Value::from("s3cr3t-value")), ("oidc_token", Value::from("tok-value"))]);
        let s = ready(resolve(&config, &env(&[])).unwrap());
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cr3t-value") && !printed.contains("tok-value"), "{printed}");
    }
}
