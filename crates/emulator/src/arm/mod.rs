//! Azure Resource Manager: authentication, subscription and api-version checks, throttling, then the handler for
//! the route, in the order ARM applies them.

mod datasources;
mod guards;
mod instances;
mod operations;
mod resources;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::{ArmError, arm};
use super::front::{InjectedOutcome, RequestInfo, ResponseMeta};
use super::routes::{ArmRoute, Namespace, Route};
use super::state::{Core, EmulatorState};
use super::swagger::{Direction, Spec};
use super::throttle::RequestClass;
use super::tokens::{Claims, TokenError, is_arm_audience};
use super::util::{format_dotnet, is_guid, lock};
use super::world::{Operation, OperationScope, Planned, ScopeKind};

/// The Data Protection api-versions the emulator serves: 2026-06-01 and every stable version from 2025-07-01 on.
pub const DATA_PROTECTION_API_VERSIONS: &[&str] = &["2025-07-01", "2025-09-01", "2026-03-01", "2026-06-01"];

/// The largest request body accepted.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A successful answer.
pub(crate) struct Reply {
    pub status: StatusCode,
    /// The JSON body, already serialized.
    pub body: Option<String>,
    pub headers: Vec<(HeaderName, String)>,
    pub early: bool,
}

impl Reply {
    pub fn json(status: StatusCode, body: impl serde::Serialize) -> Reply {
        let body = serde_json::to_string(&body).unwrap_or_else(|_| "null".to_owned());
        Reply { status, body: Some(body), headers: Vec::new(), early: false }
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply { status, body: None, headers: Vec::new(), early: false }
    }

    pub fn with_headers(mut self, headers: Vec<(HeaderName, String)>) -> Reply {
        self.headers.extend(headers);
        self
    }
}

/// Everything a handler needs to know about the request.
pub(crate) struct Context<'a> {
    pub state: &'a EmulatorState,
    pub method: Method,
    pub api_version: String,
    /// `https://host:port` as the client addressed the emulator: LRO URLs are absolute on it.
    pub base: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub activity_id: String,
    pub now: u64,
    pub injected: Option<(Planned, bool)>,
    pub body: Bytes,
}

impl Context<'_> {
    /// The request body as JSON; `None` for an empty body.
    pub fn json_body(&self) -> Result<Option<Value>, ArmError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body).map(Some).map_err(arm::invalid_content)
    }

    /// The request body as JSON, required.
    pub fn required_body(&self) -> Result<Value, ArmError> {
        self.json_body()?.ok_or_else(|| arm::invalid_content("The request content is empty; a JSON body is required"))
    }

    /// Checks a body against a definition of the spec; violations are Data Protection's invalid-input error.
    pub fn check_schema(&self, definition: &str, value: &Value) -> Result<(), ArmError> {
        Spec::dataprotection().validate(definition, value, Direction::Request).map_err(|violations| {
            let listed: Vec<String> = violations.iter().take(5).map(ToString::to_string).collect();
            arm::dpp_invalid_input(listed.join("; "), &self.activity_id)
        })
    }

    /// How the next operation of `kind` ends: a fault rule's outcome first, then the settings' injected outcome.
    pub fn injected_outcome(&self, core: &mut Core, kind: super::settings::OperationKind) -> Option<(Planned, bool)> {
        self.injected
            .clone()
            .or_else(|| core.settings.take_outcome(kind).and_then(|rule| Planned::from_injected(&rule)))
    }

    /// `Azure-AsyncOperation` and `Location` for an operation, each an absolute, signed polling URL of the given
    /// path (or absent), and its retry headers unless its timing answers as recorded.
    pub fn lro_headers(
        &self,
        operation: &Operation,
        async_operation: Option<&str>,
        location: Option<&str>,
    ) -> Vec<(HeaderName, String)> {
        let mut headers = Vec::new();
        if let Some(path) = async_operation {
            headers.push((HeaderName::from_static("azure-asyncoperation"), self.polling_url(path)));
        }
        if let Some(path) = location {
            headers.push((header::LOCATION, self.polling_url(path)));
        }
        headers.extend(retry_headers(operation));
        headers
    }

    /// An absolute URL on the emulator with this request's api-version.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}?api-version={}", self.base, self.api_version)
    }

    /// The URL of this request as the client sent it: its path with the api-version and, when it came with one,
    /// the same signed tail (a pending result names itself as the next `Location`).
    pub fn request_url(&self) -> String {
        let signed = ["t", "c", "s", "h"].iter().all(|key| self.query.contains_key(*key));
        if !signed {
            return self.polling_url(&self.path);
        }
        let tail: String = ["t", "c", "s", "h"]
            .iter()
            .map(|key| format!("&{key}={}", self.query.get(*key).map(String::as_str).unwrap_or_default()))
            .collect();
        format!("{}{tail}", self.url(&self.path))
    }

    /// A polling URL as ARM hands them out: [`Context::url`] with ARM's signed tail (`&t=&c=&s=&h=`).
    pub fn polling_url(&self, path: &str) -> String {
        format!("{}{}", self.url(path), super::util::signed_polling_query(path, self.now))
    }
}

/// `Retry-After` (seconds) and, when configured, `retry-after-ms` and `x-ms-retry-after-ms`; nothing when the
/// operation's timing answers as recorded.
pub(crate) fn retry_headers(operation: &Operation) -> Vec<(HeaderName, String)> {
    if operation.timing.as_recorded {
        return Vec::new();
    }
    let mut headers = vec![(header::RETRY_AFTER, operation.timing.retry_after_seconds.to_string())];
    if let Some(ms) = operation.timing.retry_after_ms {
        headers.push((HeaderName::from_static("retry-after-ms"), ms.to_string()));
        headers.push((HeaderName::from_static("x-ms-retry-after-ms"), ms.to_string()));
    }
    headers
}

/// From api-version 2025-09-01 on the service refuses vault creates, and backup instance PUTs and validations in
/// a vault, unless the vault's soft delete is `AlwaysOn` (the message and recommended action are the service's, as
/// quoted in azurerm PR #31877; the code is the emulator's choice, since no source gives it).
pub(crate) fn require_always_on_soft_delete(
    context: &Context<'_>,
    settings: &super::settings::Settings,
    vault_properties: &Value,
) -> Result<(), ArmError> {
    if !settings.always_on_soft_delete_from_2025_09_01 || context.api_version.as_str() < "2025-09-01" {
        return Ok(());
    }
    let state = vault_properties.pointer("/securitySettings/softDeleteSettings/state").and_then(Value::as_str);
    if state.is_some_and(|state| state.eq_ignore_ascii_case("AlwaysOn")) {
        return Ok(());
    }
    Err(ArmError::user_facing(
        StatusCode::BAD_REQUEST,
        "UserErrorAlwaysOnSoftDeleteRequired",
        "This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft \
         Delete.",
        &["To use this API version, you must configure backup vaults with the soft delete setting set to Enable \
           Always-On Soft Delete. If you don't want to enable this setting, use an older API version instead."],
        &context.activity_id,
    ))
}

/// The axum handler for every ARM path.
pub(crate) async fn dispatch(State(state): State<Arc<EmulatorState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let info = parts.extensions.get::<RequestInfo>().cloned();
    let route = info.as_ref().map_or_else(|| Route::parse(parts.uri.path()), |info| info.route.clone());
    let activity_id = info.as_ref().map_or_else(super::util::new_uuid, |info| info.correlation_id.clone());
    let injected = parts.extensions.get::<InjectedOutcome>().map(|outcome| outcome.0.clone());
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => {
            return ArmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("The request content is larger than the {BODY_LIMIT} bytes the service accepts."),
            )
            .into_response();
        }
    };
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|query| url::form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let base = super::front::request_base(&parts.uri, &parts.headers, &state);
    let mut meta = ResponseMeta::default();
    let api_version = query.get("api-version").map(String::as_str);
    let result = handle(&state, &parts.method, &parts.headers, &route, api_version, &mut meta, |api_version| Context {
        state: &state,
        method: parts.method.clone(),
        api_version,
        base: base.clone(),
        path: parts.uri.path().to_owned(),
        query: query.clone(),
        activity_id: activity_id.clone(),
        now: state.now_ms(),
        injected: injected.clone(),
        body: body.clone(),
    });
    let mut response = match result {
        Ok((reply, extra)) => {
            meta.early = reply.early;
            let mut response = match &reply.body {
                Some(body) => {
                    let mut response = (reply.status, body.clone()).into_response();
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
                    response
                }
                None => reply.status.into_response(),
            };
            for (name, value) in reply.headers.into_iter().chain(extra) {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        Err(error) => error.into_response(),
    };
    if parts.method == Method::HEAD {
        *response.body_mut() = axum::body::Body::empty();
    }
    response.extensions_mut().insert(meta);
    response
}

/// Authentication, subscription, throttling and api-version checks, then the route's handler. Returns the reply
/// and the throttling headers.
fn handle<'a>(
    state: &'a EmulatorState,
    method: &Method,
    headers: &HeaderMap,
    route: &Route,
    api_version: Option<&str>,
    meta: &mut ResponseMeta,
    context: impl FnOnce(String) -> Context<'a>,
) -> Result<(Reply, Vec<(HeaderName, String)>), ArmError> {
    let now = state.now_ms();
    let claims = authenticate(state, headers, now)?;
    meta.principal = Some(claims.appid.clone());
    let route = match route {
        Route::Arm(route) => route,
        Route::BadPath => {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequestUri",
                "The request URI is not valid: it has malformed percent-escapes.",
            ));
        }
        _ => {
            return Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The requested path is not an Azure Resource Manager path the emulator serves.",
            ));
        }
    };
    let subscription = route.subscription().to_owned();
    if !is_guid(&subscription) {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidSubscriptionId",
            format!("The provided subscription identifier '{subscription}' is malformed or invalid."),
        ));
    }
    let mut extra_headers = Vec::new();
    {
        let mut core = lock(&state.core);
        let Some(owner) =
            core.world.subscriptions.get(&subscription.to_ascii_lowercase()).map(|found| found.tenant_id.clone())
        else {
            return Err(ArmError::new(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!("The subscription '{subscription}' could not be found."),
            ));
        };
        if !owner.eq_ignore_ascii_case(&claims.tid) {
            return Err(ArmError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationTokenTenant",
                format!(
                    "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{owner}/' \
                     associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{owner}' to \
                     get the token.",
                    claims.iss
                ),
            ));
        }
        let class = RequestClass::of(method.as_str());
        let throttling = core.settings.throttling.clone();
        if let Some(verdict) = core.throttle.take(&throttling, &subscription, &claims.appid, class, now) {
            let name = HeaderName::from_static(class.remaining_header());
            if !verdict.allowed {
                return Err(ArmError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    format!(
                        "Number of '{}' requests for subscription '{subscription}' actor '{}' exceeded. Please try again \
                         after '{}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                        class.noun(),
                        claims.oid,
                        verdict.retry_after
                    ),
                )
                .with_header(header::RETRY_AFTER, verdict.retry_after.to_string())
                .with_header(name, "0"));
            }
            extra_headers.push((name, verdict.remaining.to_string()));
        }
        core.world.settle(now);
        if route.namespace() == Namespace::DataProtection {
            let timing = core.settings.timing(super::settings::OperationKind::ProviderRegistration).clone();
            let namespace = "Microsoft.DataProtection";
            if let Some(found) = core.world.subscriptions.get_mut(&subscription.to_ascii_lowercase())
                && found.registration_state(namespace, &timing, now, false) != "Registered"
            {
                return Err(missing_registration(namespace));
            }
        }
    }
    let api_version = check_api_version(state, route, api_version)?;
    let context = context(api_version);
    let reply = route_request(&context, route).map_err(|error| add_headers(error, &extra_headers))?;
    Ok((reply, extra_headers))
}

fn add_headers(mut error: ArmError, headers: &[(HeaderName, String)]) -> ArmError {
    error.headers.extend(headers.iter().cloned());
    error
}

fn route_request(context: &Context<'_>, route: &ArmRoute) -> Result<Reply, ArmError> {
    match route {
        ArmRoute::Subscription { subscription } => resources::subscription(context, subscription),
        ArmRoute::ResourceGroups { subscription } => resources::resource_groups(context, subscription),
        ArmRoute::ResourceGroup { subscription, resource_group } => {
            resources::resource_group(context, subscription, resource_group)
        }
        ArmRoute::SubscriptionOperationResult { subscription, operation } => {
            operations::result(context, &OperationScope { subscription, kind: ScopeKind::Subscription }, operation)
        }
        ArmRoute::Datasource { subscription, resource_group, path } => {
            datasources::datasource(context, subscription, resource_group, path)
        }
        ArmRoute::Vaults { subscription, resource_group } => resources::vaults(context, subscription, resource_group),
        ArmRoute::Vault(vault) => resources::vault(context, vault),
        ArmRoute::ResourceGuard { subscription, resource_group, name } => {
            guards::guard(context, subscription, resource_group, name)
        }
        ArmRoute::GuardProxy(vault, name) => guards::proxy(context, vault, name),
        ArmRoute::UnlockDelete(vault, name) => guards::unlock_delete(context, vault, name),
        ArmRoute::Policies(vault) => resources::policies(context, vault),
        ArmRoute::Policy(vault, name) => resources::policy(context, vault, name),
        ArmRoute::Instances(vault) => instances::list(context, vault),
        ArmRoute::Instance(vault, name) => instances::instance(context, vault, name),
        ArmRoute::Action(vault, name, action) => instances::action(context, vault, name, *action),
        ArmRoute::DeletedInstances(vault) => instances::deleted(context, vault, None),
        ArmRoute::DeletedInstance(vault, name) => instances::deleted(context, vault, Some(name)),
        ArmRoute::Undelete(vault, name) => instances::undelete(context, vault, name),
        ArmRoute::ValidateForBackup(vault) => instances::validate_for_backup(context, vault),
        ArmRoute::InstanceOperationResult(vault, name, operation) => operations::result(
            context,
            &OperationScope {
                subscription: &vault.subscription,
                kind: ScopeKind::Instance(&vault.resource_group, &vault.vault, name),
            },
            operation,
        ),
        ArmRoute::VaultOperationStatus(vault, operation) => operations::status(
            context,
            &OperationScope {
                subscription: &vault.subscription,
                kind: ScopeKind::Vault(&vault.resource_group, &vault.vault),
            },
            operation,
        ),
        ArmRoute::VaultOperationResult(vault, operation) => operations::result(
            context,
            &OperationScope {
                subscription: &vault.subscription,
                kind: ScopeKind::Vault(&vault.resource_group, &vault.vault),
            },
            operation,
        ),
        ArmRoute::GroupOperationStatus { subscription, resource_group, operation } => operations::status(
            context,
            &OperationScope { subscription, kind: ScopeKind::ResourceGroup(resource_group) },
            operation,
        ),
        ArmRoute::GroupOperationResult { subscription, resource_group, operation } => operations::result(
            context,
            &OperationScope { subscription, kind: ScopeKind::ResourceGroup(resource_group) },
            operation,
        ),
        ArmRoute::LocationOperationStatus { subscription, location, operation } => operations::status(
            context,
            &OperationScope { subscription, kind: ScopeKind::Location(location) },
            operation,
        ),
        ArmRoute::LocationOperationResult { subscription, location, operation } => operations::result(
            context,
            &OperationScope { subscription, kind: ScopeKind::Location(location) },
            operation,
        ),
        ArmRoute::RoleAssignments { scope } => resources::role_assignments(context, scope),
        ArmRoute::RoleAssignment { scope, name } => resources::role_assignment(context, scope, name),
        ArmRoute::ExtensionInstances { resource_id, .. } => instances::protecting(context, resource_id),
        ArmRoute::Provider { subscription, namespace } => resources::provider(context, subscription, namespace, false),
        ArmRoute::ProviderRegister { subscription, namespace } => {
            resources::provider(context, subscription, namespace, true)
        }
        ArmRoute::UnsupportedNamespace { namespace, .. } => {
            let mut error = missing_registration(namespace);
            let datasources: Vec<String> =
                crate::world::kinds::resource_types().iter().map(|resource_type| resource_type.served()).collect();
            let message = format!(
                "{} (The emulator serves Microsoft.Resources, {}, Microsoft.Authorization/roleAssignments and \
                 Microsoft.DataProtection.)",
                error.body.get("message").and_then(Value::as_str).unwrap_or_default(),
                datasources.join(", ")
            );
            super::util::set_field(&mut error.body, "message", message.into());
            Err(error)
        }
        ArmRoute::UnknownType { namespace, resource_type, .. } => Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "The resource type '{resource_type}' could not be found in the namespace '{namespace}' for api version '{}'.",
                context.api_version
            ),
        )),
    }
}

/// ARM's 409 for a namespace the subscription is not registered for, with the namespace as the detail's target.
fn missing_registration(namespace: &str) -> ArmError {
    let message = format!(
        "The subscription is not registered to use namespace '{namespace}'. See https://aka.ms/rps-not-found for how \
         to register subscriptions."
    );
    let mut error = ArmError::new(StatusCode::CONFLICT, "MissingSubscriptionRegistration", message.clone());
    let details =
        serde_json::json!([{"code": "MissingSubscriptionRegistration", "target": namespace, "message": message}]);
    super::util::set_field(&mut error.body, "details", details);
    error
}

/// The `Authorization: Bearer` check, with ARM's 401 bodies and `WWW-Authenticate` challenges.
fn authenticate(state: &EmulatorState, headers: &HeaderMap, now_ms: u64) -> Result<Claims, ArmError> {
    let tenant = lock(&state.core).world.default_tenant.clone();
    let authority = state.base_url().unwrap_or_else(|| "https://login.microsoftonline.com".to_owned());
    let challenge = |description: &str| {
        format!(
            "Bearer authorization_uri=\"{authority}/{tenant}\", error=\"invalid_token\", error_description=\"{description}\""
        )
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ArmError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            challenge("The authentication failed because of missing 'Authorization' header."),
        ));
    };
    let token = value.to_str().ok().and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(ArmError::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailedInvalidHeader",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            challenge("The authentication failed because of invalid 'Authorization' header."),
        ));
    };
    let claims = match state.signer.verify(token, now_ms / 1000) {
        Ok(claims) => claims,
        Err(TokenError::Expired { exp, now }) => {
            return Err(ArmError::new(
                StatusCode::UNAUTHORIZED,
                "ExpiredAuthenticationToken",
                format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    format_dotnet(exp),
                    format_dotnet(now)
                ),
            )
            .with_header(header::WWW_AUTHENTICATE, challenge("The access token has expired.")));
        }
        Err(TokenError::Invalid) => {
            return Err(ArmError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            )
            .with_header(header::WWW_AUTHENTICATE, challenge("The access token is invalid.")));
        }
    };
    if !is_arm_audience(&claims.aud, state.base_url().as_deref()) {
        return Err(ArmError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of \
                 the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net',\
                 'https://management.azure.com/','https://management.azure.com'.",
                claims.aud
            ),
        )
        .with_header(header::WWW_AUTHENTICATE, challenge("The access token has an invalid audience.")));
    }
    Ok(claims)
}

/// Checks `api-version` as ARM does: missing, malformed, or not served for the resource type.
fn check_api_version(state: &EmulatorState, route: &ArmRoute, version: Option<&str>) -> Result<String, ArmError> {
    let Some(version) = version.map(str::to_owned) else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if !is_well_formed_api_version(&version) {
        let supported = match route.namespace() {
            Namespace::DataProtection => DATA_PROTECTION_API_VERSIONS.join(", "),
            _ => "2024-03-01, 2024-07-01, 2025-04-01".to_owned(),
        };
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!("The api-version '{version}' is invalid. The supported versions are '{supported}'."),
        ));
    }
    if route.namespace() == Namespace::DataProtection && !DATA_PROTECTION_API_VERSIONS.contains(&version.as_str()) {
        let location = default_location(state);
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location '{location}' and API version '{version}' for type \
                 '{}'. The supported api-versions are '{}'. The supported locations are '{location}'.",
                resource_type(route),
                DATA_PROTECTION_API_VERSIONS.join(", ")
            ),
        ));
    }
    Ok(version)
}

fn default_location(state: &EmulatorState) -> String {
    let core = lock(&state.core);
    core.world.resource_groups.values().next().map_or_else(|| "westus".to_owned(), |group| group.location.clone())
}

fn resource_type(route: &ArmRoute) -> &'static str {
    match route {
        ArmRoute::Vault(_) | ArmRoute::Vaults { .. } => "backupVaults",
        ArmRoute::ResourceGuard { .. } => "resourceGuards",
        ArmRoute::GuardProxy(..) | ArmRoute::UnlockDelete(..) => "backupVaults/backupResourceGuardProxies",
        ArmRoute::Policies(_) | ArmRoute::Policy(..) => "backupVaults/backupPolicies",
        ArmRoute::LocationOperationStatus { .. } => "locations/operationStatus",
        ArmRoute::LocationOperationResult { .. } => "locations/operationResults",
        ArmRoute::GroupOperationStatus { .. } => "operationStatus",
        ArmRoute::GroupOperationResult { .. } => "operationResults",
        ArmRoute::VaultOperationStatus(..) => "backupVaults/operationStatus",
        ArmRoute::VaultOperationResult(..) => "backupVaults/operationResults",
        ArmRoute::ValidateForBackup(_) => "backupVaults",
        ArmRoute::DeletedInstances(_) | ArmRoute::DeletedInstance(..) | ArmRoute::Undelete(..) => {
            "backupVaults/deletedBackupInstances"
        }
        _ => "backupVaults/backupInstances",
    }
}

/// `YYYY-MM-DD` with an optional `-preview`-style suffix.
fn is_well_formed_api_version(version: &str) -> bool {
    let (date, suffix) = match version.get(..10) {
        Some(date) => (date, version.get(10..).unwrap_or_default()),
        None => return false,
    };
    let bytes = date.as_bytes();
    let digits = bytes
        .iter()
        .enumerate()
        .all(|(index, byte)| if index == 4 || index == 7 { *byte == b'-' } else { byte.is_ascii_digit() });
    digits
        && (suffix.is_empty()
            || (suffix.starts_with('-')
                && suffix.len() > 1
                && suffix.bytes().skip(1).all(|byte| byte.is_ascii_alphanumeric())))
}
