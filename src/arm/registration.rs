//! Registering Microsoft.DataProtection in a subscription. ARM refuses every request to a namespace the
//! subscription is not registered for with 409 `MissingSubscriptionRegistration`; registering is what `az provider
//! register` does: a POST to the namespace's `register` action, then reads until ARM reports `Registered`.
//!
//! This module knows those requests and what ARM's answers mean; the pipeline sends them, so that they take the
//! same path as every other request (token, retries, deadline, stop), and it holds a `Registrations` of its own.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};
use url::Url;

use super::error::{ArmError, ErrorKind};

/// The namespace the provider registers when a subscription has not been registered for it.
pub const DATA_PROTECTION_NAMESPACE: &str = "Microsoft.DataProtection";

/// The api-version of ARM's resource provider operations (`/subscriptions/{s}/providers/{namespace}`).
const PROVIDERS_API_VERSION: &str = "2021-04-01";

/// How long to wait between reads of a registration's state when ARM asks for no delay.
const REGISTRATION_POLL: Duration = Duration::from_secs(10);

/// The registrations of one pipeline: whether it registers at all, and the `subscription/namespace` pairs (lower
/// case) it registered or saw registered.
#[derive(Debug)]
pub(super) struct Registrations {
    enabled: bool,
    /// Held during a registration, so that concurrent requests wait for the one registration.
    done: Mutex<HashSet<String>>,
}

impl Registrations {
    /// Registrations that happen when `enabled`.
    pub(super) fn new(enabled: bool) -> Registrations {
        Registrations { enabled, done: Mutex::default() }
    }

    /// Turns registration on or off.
    pub(super) fn enable(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Whether a 409 `MissingSubscriptionRegistration` registers the namespace.
    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Starts registering Microsoft.DataProtection in `subscription` (through the resource manager at `endpoint`),
    /// once the registration another request may be running has ended. `None` when it is already registered.
    pub(super) async fn start(&self, endpoint: &Url, subscription: &str) -> Result<Option<Registration<'_>>, ArmError> {
        let namespace = DATA_PROTECTION_NAMESPACE;
        let key = format!("{subscription}/{namespace}").to_ascii_lowercase();
        let done = self.done.lock().await;
        if done.contains(&key) {
            return Ok(None);
        }
        let provider = endpoint.join(&format!("subscriptions/{subscription}/providers/{namespace}")).map_err(|_| {
            ArmError::new(ErrorKind::InvalidResponse, format!("{subscription:?} is not a subscription ID"))
        })?;
        let mut register = provider.clone();
        register
            .path_segments_mut()
            .map_err(|()| ArmError::new(ErrorKind::InvalidResponse, "bad URL"))?
            .push("register");
        tracing::info!(
            subscription,
            namespace,
            "the subscription is not registered for {namespace}; registering it (skip_provider_registration = true \
             turns this off)"
        );
        Ok(Some(Registration { done, key, subscription: subscription.to_owned(), provider, register }))
    }
}

/// One registration under way. It holds its pipeline's registrations until it ends.
#[derive(Debug)]
pub(super) struct Registration<'a> {
    done: MutexGuard<'a, HashSet<String>>,
    key: String,
    subscription: String,
    /// The namespace in the subscription, without api-version: reads of the registration's state go there.
    provider: Url,
    /// The namespace's `register` action, without api-version.
    register: Url,
}

impl Registration<'_> {
    /// The POST that starts the registration.
    pub(super) fn register_url(&self) -> Url {
        with_api_version(self.register.clone())
    }

    /// The GET that reads the registration's state.
    pub(super) fn read_url(&self) -> Url {
        with_api_version(self.provider.clone())
    }

    /// The namespace in the subscription, as waits between reads name it.
    pub(super) fn provider(&self) -> &Url {
        &self.provider
    }

    /// What ARM's answer `body` (to the POST or a read) means: `None` once the namespace is registered, else the
    /// delay before the next read (`asked` by ARM, or 10 s). A next read that would come after `deadline` is the
    /// error that the registration goes on in Azure, naming `timeout_label`.
    pub(super) fn answer(
        &mut self,
        body: &[u8],
        asked: Option<Duration>,
        now: Instant,
        deadline: Instant,
        timeout_label: &str,
    ) -> Result<Option<Duration>, ArmError> {
        let (namespace, subscription) = (DATA_PROTECTION_NAMESPACE, self.subscription.as_str());
        let state = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|body| body.get("registrationState").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_default();
        if state.eq_ignore_ascii_case("Registered") {
            tracing::info!(subscription, namespace, "registered");
            self.done.insert(self.key.clone());
            return Ok(None);
        }
        let delay = asked.unwrap_or(REGISTRATION_POLL);
        if now + delay > deadline {
            let mut error = ArmError::new(
                ErrorKind::Timeout,
                format!(
                    "the subscription {subscription} was being registered for {namespace} (state {state:?}) when the \
                     {timeout_label} ran out"
                ),
            );
            error.recommended_actions.push(format!(
                "The registration goes on in Azure: run terraform again in a few minutes, or watch it with `az \
                 provider show --namespace {namespace} --subscription {subscription}`."
            ));
            return Err(error);
        }
        tracing::debug!(subscription, namespace, state = state.as_str(), "waiting for the registration");
        Ok(Some(delay))
    }

    /// A registration Azure refused: its error, and how to register by hand.
    pub(super) fn failed(&self, mut error: ArmError) -> ArmError {
        let (namespace, subscription) = (DATA_PROTECTION_NAMESPACE, self.subscription.as_str());
        error.message = format!(
            "the subscription {subscription} is not registered for {namespace}, and registering it failed: {}",
            error.message
        );
        error.recommended_actions.push(format!(
            "Register it once with a principal allowed to (`{namespace}/register/action`, part of Contributor): `az \
             provider register --namespace {namespace} --subscription {subscription}`."
        ));
        error
    }
}

fn with_api_version(mut url: Url) -> Url {
    url.set_query(Some(&format!("api-version={PROVIDERS_API_VERSION}")));
    url
}

/// The subscription of `url` when `body` is ARM's 409 `MissingSubscriptionRegistration` for
/// Microsoft.DataProtection (the namespace is named in the error's details or message).
pub(super) fn missing_registration(body: &[u8], url: &Url) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = body.get("error").unwrap_or(&body);
    let code = error.get("code").and_then(|c| c.as_str())?;
    if !code.eq_ignore_ascii_case("MissingSubscriptionRegistration") {
        return None;
    }
    let names_it = |value: Option<&serde_json::Value>| {
        value
            .and_then(|v| v.as_str())
            .is_some_and(|text| text.to_ascii_lowercase().contains(&DATA_PROTECTION_NAMESPACE.to_ascii_lowercase()))
    };
    let details = error.get("details").and_then(|d| d.as_array()).map(Vec::as_slice).unwrap_or_default();
    let about_us = names_it(error.get("message")) || details.iter().any(|d| names_it(d.get("target")));
    let mut segments = url.path_segments()?;
    let subscription = match (segments.next(), segments.next()) {
        (Some(first), Some(id)) if first.eq_ignore_ascii_case("subscriptions") && !id.is_empty() => id.to_owned(),
        _ => return None,
    };
    about_us.then_some(subscription)
}
