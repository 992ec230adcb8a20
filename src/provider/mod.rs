//! The provider: its configuration (credentials, clouds, endpoints) and the list of resource types.

pub mod cloud;
pub mod config;
pub mod credentials;
pub mod http;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use url::Url;

use crate::arm::ArmClient;
use crate::arm::pipeline::{Pipeline, ReqwestTransport, RetryOptions, SystemClock};
use crate::plugin::diagnostics::Diagnostics;
use crate::plugin::interface::{ConfigureRequest, Context, DataSource, Function, Provider, Resource};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;
use crate::resources::{self, Configured, ProviderConfiguration};

use self::cloud::CloudEndpoints;
use self::config::{Resolved, Settings};

/// The provider's version, reported to Azure in the User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `dataprotection` provider.
#[derive(Debug, Default)]
pub struct DataProtectionProvider {
    configuration: Arc<ProviderConfiguration>,
}

impl DataProtectionProvider {
    /// A provider that is not configured yet.
    pub fn new() -> DataProtectionProvider {
        DataProtectionProvider::default()
    }

    /// The configuration the provider shares with every resource and data source.
    pub fn configuration(&self) -> &Arc<ProviderConfiguration> {
        &self.configuration
    }
}

#[async_trait]
impl Provider for DataProtectionProvider {
    fn type_name(&self) -> &'static str {
        "dataprotection"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all(&self.configuration)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        resources::all_data_sources(&self.configuration)
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        crate::functions::all()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match config::resolve(config, &|_| None) {
            Ok(_) => Diagnostics::new(),
            Err(diags) => diags,
        }
    }

    async fn configure(&self, ctx: &Context, request: ConfigureRequest) -> Diagnostics {
        let environment = |name: &str| std::env::var(name).ok();
        let settings = match config::resolve(&request.config, &environment) {
            Ok(Resolved::Ready(settings)) => settings,
            Ok(Resolved::Unknown(names)) => {
                tracing::info!(
                    unknown = names.join(","),
                    "provider configuration has unknown values; deferring sign-in"
                );
                self.configuration.set_unknown(names);
                return Diagnostics::new();
            }
            Err(errors) => return errors,
        };
        let mut diags = Diagnostics::new();
        crate::resources::backup_instance::plan::warn_forced_replacements(ctx.replace_targets(), &mut diags);
        match connect(ctx, &settings, &request.terraform_version, &environment, &mut diags).await {
            Ok(client) => self.configuration.set_configured(Configured {
                client,
                subscription_id: settings.subscription_id.clone(),
                validate_on_plan: settings.validate_on_plan,
            }),
            Err((summary, detail)) => diags.error(summary, detail),
        }
        diags
    }
}

/// How long each network step of configuration may take (metadata discovery; the first sign-in).
const CONFIGURE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `step` unless Terraform asks the provider to stop first or it takes longer than [`CONFIGURE_TIMEOUT`].
async fn bounded<T>(
    ctx: &Context,
    what: &str,
    step: impl std::future::Future<Output = Result<T, (String, String)>>,
) -> Result<T, (String, String)> {
    tokio::select! {
        _ = ctx.stopped() => Err(("Stopped".to_owned(), format!("Terraform asked the provider to stop during {what}."))),
        result = tokio::time::timeout(CONFIGURE_TIMEOUT, step) => result.unwrap_or_else(|_| {
            Err((format!("{} timed out", capitalized(what)), format!("{what} did not finish within {} s.", CONFIGURE_TIMEOUT.as_secs())))
        }),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Chooses the sign-in method, resolves the cloud, signs in once to prove the credentials work (the token is
/// cached for the first requests), and builds the client. Passed-over sign-in methods become warnings.
async fn connect(
    ctx: &Context,
    settings: &Settings,
    terraform_version: &str,
    environment: &(dyn Fn(&str) -> Option<String> + Sync),
    diags: &mut Diagnostics,
) -> Result<ArmClient, (String, String)> {
    let started = Instant::now();
    let choice = settings.choose_sign_in().map_err(|overview| ("No way to sign in to Azure".to_owned(), overview))?;
    let passed_over: Vec<String> = choice
        .passed_over
        .iter()
        .map(|(method, missing)| format!("{} sign-in was not used: {} not set.", method.label(), missing.join(", ")))
        .collect();
    let http = http::client().map_err(|e| ("Could not set up HTTPS".to_owned(), e))?;
    let client_ready = started.elapsed();
    let cloud = match &settings.metadata_host {
        Some(host) => bounded(ctx, "cloud discovery", discover(&http, host)).await?,
        None => cloud::environment(&settings.environment)
            .ok_or_else(|| ("Unknown Azure environment".to_owned(), settings.environment.clone()))?,
    };
    let discovered = started.elapsed();
    let cloud =
        cloud::with_overrides(cloud, settings.resource_manager_endpoint.as_ref(), settings.authority_host.as_ref())
            .map_err(|e| ("Invalid endpoint".to_owned(), e))?;
    let tokens = credentials::token_source(settings, choice.method, &cloud, http.clone(), environment)
        .map_err(|e| ("Cannot sign in to Azure".to_owned(), e))?;
    let sign_in = async {
        tokens.sign_in().await.map_err(|error| {
            let detail = if choice.method == config::AuthMethod::AzureCli {
                // The CLI is the last resort: say what else could have been configured.
                settings.sign_in_overview(Some((choice.method, &error)))
            } else {
                let mut detail = format!("{} failed: {error}{}", tokens.describe, tls_hint(&error));
                for note in &passed_over {
                    detail.push_str(&format!("\n\n{}", capitalized(note)));
                }
                detail
            };
            ("Sign-in to Azure failed".to_owned(), detail)
        })
    };
    bounded(ctx, "sign-in", sign_in).await?;
    // Signing in as another identity than intended is confusing: say which method was passed over and why.
    for (method, missing) in &choice.passed_over {
        diags.warning(
            format!("{} sign-in not used", capitalized(method.label())),
            format!(
                "The provider was given part of what {} sign-in needs, but {} not set, so it signed in with the {} \
                 instead. {} sign-in needs {}.",
                method.label(),
                missing.join(", "),
                choice.method.label(),
                capitalized(method.label()),
                method.needs()
            ),
        );
    }
    tracing::info!(
        cloud = cloud.name.as_str(),
        resource_manager = cloud.resource_manager.as_str(),
        sign_in = tokens.describe.as_str(),
        http_client_ms = client_ready.as_millis() as u64,
        discovery_ms = (discovered - client_ready).as_millis() as u64,
        sign_in_ms = (started.elapsed() - discovered).as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "signed in"
    );
    let user_agent = format!("terraform-provider-dataprotection/{VERSION} terraform/{terraform_version}");
    let pipeline = Pipeline::new(
        cloud.resource_manager.clone(),
        Arc::new(ReqwestTransport::new(http)),
        Arc::new(SystemClock),
        Arc::new(tokens),
        &user_agent,
        RetryOptions::default(),
    )
    .with_provider_registration(!settings.skip_provider_registration);
    let client = ArmClient::new(Arc::new(pipeline));
    Ok(if settings.refresh_by_list { client.with_listings(crate::arm::listing::DEFAULT_MAX_AGE) } else { client })
}

/// Reads a custom cloud's endpoints from `https://{host}/metadata/endpoints`.
async fn discover(http: &reqwest::Client, host: &str) -> Result<CloudEndpoints, (String, String)> {
    let url = Url::parse(&format!("https://{host}{}", cloud::METADATA_PATH))
        .map_err(|_| ("Invalid metadata_host".to_owned(), format!("{host:?} is not a host name")))?;
    let fail =
        |detail: String| ("Cloud discovery failed".to_owned(), format!("Reading {url}: {detail}{}", tls_hint(&detail)));
    let response = http.get(url.clone()).send().await.map_err(|e| fail(error_chain(&e.without_url())))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| fail(error_chain(&e.without_url())))?;
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    cloud::parse_metadata(&body, host).map_err(fail)
}

/// A hint for errors that come from an untrusted certificate, which is what a private CA (Azure Stack, the
/// emulator) looks like until it is trusted.
fn tls_hint(error: &str) -> &'static str {
    if error.contains("certificate") || error.contains("UnknownIssuer") {
        " The server's certificate is not trusted: for a private certificate authority, set SSL_CERT_FILE to a PEM \
         bundle that holds it, or SSL_CERT_DIR to a folder of PEM certificates."
    } else {
        ""
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
