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
                    "Overrides the resource manager URL. Falls back to `ARM_RESOURCE_MANAGER_ENDPOINT`.",
                ),
                s(
                    "authority_host",
                    "Overrides the Microsoft Entra authority host. Falls back to `AZURE_AUTHORITY_HOST`.",
                ),
                b(
                    "validate_on_plan",
                    "Whether `terraform plan` runs Azure's validateForBackup for new backup instances, so that errors such as missing permissions appear at plan time. Defaults to `true`.",
                ),
            ],
            ..Block::default()
        },
    }
}

/// How to sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_id` + `client_secret` + `tenant_id`.
    ClientSecret,
    /// Workload identity federation.
    Oidc,
    /// Managed identity.
    ManagedIdentity,
    /// The Azure CLI.
    AzureCli,
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
    /// Run validateForBackup at plan.
    pub validate_on_plan: bool,
}

/// The outcome of reading the provider block.
#[derive(Debug)]
pub enum Resolved {
    /// Every argument is known.
    Ready(Box<Settings>),
    /// Some argument is unknown until apply (it depends on a resource); the provider cannot talk to Azure yet.
    Unknown(Vec<String>),
}

/// Reads the provider block, falling back to the environment through `env`.
pub fn resolve(config: &Value, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut unknown = Vec::new();
    let mut string = |name: &str, vars: &[&str]| -> Option<String> {
        match config.attr(name) {
            Value::Unknown => {
                unknown.push(name.to_owned());
                None
            }
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => vars.iter().find_map(|v| env(v)).filter(|s| !s.trim().is_empty()),
        }
    };
    let subscription_id = string("subscription_id", &["ARM_SUBSCRIPTION_ID"]);
    let tenant_id = string("tenant_id", &["ARM_TENANT_ID"]);
    let client_id = string("client_id", &["ARM_CLIENT_ID"]);
    let client_secret = string("client_secret", &["ARM_CLIENT_SECRET"]).map(Secret::new);
    let oidc_token = string("oidc_token", &["ARM_OIDC_TOKEN"]).map(Secret::new);
    let oidc_token_file_path =
        string("oidc_token_file_path", &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"]).map(PathBuf::from);
    let environment = string("environment", &["ARM_ENVIRONMENT"]).unwrap_or_else(|| "public".to_owned());
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
                Some((var, s)) => match s.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" => true,
                    "0" | "false" | "no" | "" => false,
                    other => {
                        diags.attribute_error(
                            AttributePath::root(name),
                            format!("{var} is not a boolean"),
                            format!("{var} is {other:?}; expected true or false."),
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

    if !unknown.is_empty() {
        return if diags.has_errors() { Err(diags) } else { Ok(Resolved::Unknown(unknown)) };
    }

    if cloud::environment(&environment).is_none() {
        diags.attribute_error(
            AttributePath::root("environment"),
            "Unknown Azure environment",
            format!(
                "environment is {environment:?}; expected one of {}. For another cloud, set metadata_host.",
                cloud::ENVIRONMENTS.join(", ")
            ),
        );
    }
    let mut endpoint = |name: &str, raw: Option<String>| -> Option<Url> {
        let raw = raw?;
        match Url::parse(&raw) {
            Ok(url) => match cloud::check_endpoint(name, &url) {
                Ok(()) => Some(url),
                Err(message) => {
                    diags.attribute_error(AttributePath::root(name), format!("Invalid {name}"), message);
                    None
                }
            },
            Err(_) => {
                diags.attribute_error(
                    AttributePath::root(name),
                    format!("Invalid {name}"),
                    format!("{raw:?} is not an absolute URL such as https://management.azure.com."),
                );
                None
            }
        }
    };
    let resource_manager_endpoint = endpoint("resource_manager_endpoint", resource_manager_endpoint);
    let authority_host = endpoint("authority_host", authority_host);
    if let Some(host) = &metadata_host
        && (host.contains('/') || Url::parse(&format!("https://{host}/")).is_err())
    {
        diags.attribute_error(
            AttributePath::root("metadata_host"),
            "Invalid metadata_host",
            format!("{host:?} is not a host name with an optional port, such as management.local.azurestack.external"),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Resolved::Ready(Box::new(Settings {
        subscription_id,
        tenant_id,
        client_id,
        client_secret,
        use_oidc,
        oidc_token,
        oidc_token_file_path,
        use_msi,
        use_cli,
        environment,
        metadata_host,
        resource_manager_endpoint,
        authority_host,
        validate_on_plan,
    })))
}

impl Settings {
    /// The sign-in method, chosen deterministically: OIDC when asked for, then a client secret when one is
    /// given, then managed identity when asked for, then the Azure CLI when allowed.
    pub fn auth_method(&self) -> Result<AuthMethod, String> {
        if self.use_oidc {
            return Ok(AuthMethod::Oidc);
        }
        if self.client_secret.is_some() {
            return Ok(AuthMethod::ClientSecret);
        }
        if self.use_msi {
            return Ok(AuthMethod::ManagedIdentity);
        }
        if self.use_cli {
            return Ok(AuthMethod::AzureCli);
        }
        Err(no_method_message())
    }
}

fn no_method_message() -> String {
    "No way to sign in to Azure is configured. Tried, in this order:\n\
     - OIDC workload identity: needs use_oidc = true (ARM_USE_OIDC) with tenant_id, client_id and oidc_token, \
     oidc_token_file_path or AZURE_FEDERATED_TOKEN_FILE;\n\
     - client secret: needs tenant_id, client_id and client_secret (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET);\n\
     - managed identity: needs use_msi = true (ARM_USE_MSI), and client_id for a user-assigned identity;\n\
     - Azure CLI: needs use_cli = true (ARM_USE_CLI, the default) and `az login`."
        .to_owned()
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
    fn unknown_values_defer_configuration() {
        let config = Value::object([("client_secret", Value::Unknown)]);
        match resolve(&config, &env(&[])).unwrap() {
            Resolved::Unknown(names) => assert_eq!(names, vec!["client_secret".to_owned()]),
            Resolved::Ready(_) => panic!("should be unknown"),
        }
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let config = Value::object([
            ("environment", Value::from("mars")),
            ("resource_manager_endpoint", Value::from("http://arm.example.com")),
            ("metadata_host", Value::from("a/b")),
        ]);
        let diags = resolve(&config, &env(&[("ARM_USE_MSI", "maybe")])).unwrap_err();
        let paths: Vec<String> = diags.iter().filter_map(|d| d.attribute.as_ref().map(|p| p.to_string())).collect();
        assert_eq!(paths, vec!["use_msi", "environment", "resource_manager_endpoint", "metadata_host"]);
    }

    #[test]
    fn sign_in_method_is_deterministic() {
        let base = ready(resolve(&Value::Object(Default::default()), &env(&[])).unwrap());
        assert_eq!(base.auth_method(), Ok(AuthMethod::AzureCli));
        let mut s = base.clone();
        s.client_secret = Some(Secret::new("x"));
        s.use_msi = true;
        assert_eq!(s.auth_method(), Ok(AuthMethod::ClientSecret));
        s.use_oidc = true;
        assert_eq!(s.auth_method(), Ok(AuthMethod::Oidc));
        let mut s = base.clone();
        s.use_msi = true;
        assert_eq!(s.auth_method(), Ok(AuthMethod::ManagedIdentity));
        let mut s = base;
        s.use_cli = false;
        let e = s.auth_method().unwrap_err();
        assert!(e.contains("client secret") && e.contains("managed identity") && e.contains("OIDC"), "{e}");
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
