//! Sign-in: Entra's v2.0 token endpoint (client credentials with a secret or a client assertion) and an App
//! Service-style managed identity endpoint, answering exactly what azure_identity's credentials parse.
//!
//! `ClientSecretCredential` and `ClientAssertionCredential` (and so `WorkloadIdentityCredential`) POST a form to
//! `{authority}/{tenant}/oauth2/v2.0/token` and read `access_token` and `expires_in` (a number of seconds); on
//! failure they read `error_description` and `error_codes`. `ManagedIdentityCredential` with `IDENTITY_ENDPOINT`
//! and `IDENTITY_HEADER` set sends `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...[&client_id=...]`
//! with `X-IDENTITY-HEADER` and reads `access_token` and `expires_on`, a string of Unix seconds.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::front::{RequestInfo, ResponseMeta};
use super::scenario::PrincipalKind;
use super::state::EmulatorState;
use super::tokens::{decode_unverified, is_arm_audience};
use super::util::{format_entra, lock, new_uuid};
use super::world::Principal;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const DEFAULT_FEDERATION_AUDIENCE: &str = "api://AzureADTokenExchange";

/// An Entra error: `{error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri}`.
fn entra_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
    now_ms: u64,
    correlation_id: &str,
) -> Response {
    let trace_id = new_uuid();
    let timestamp = format_entra(now_ms);
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    response
}

fn with_principal(mut response: Response, client_id: Option<&str>) -> Response {
    response.extensions_mut().insert(ResponseMeta { early: false, principal: client_id.map(str::to_owned) });
    response
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    State(state): State<Arc<EmulatorState>>,
    Path(tenant): Path<String>,
    request_info: Option<axum::Extension<RequestInfo>>,
    body: Bytes,
) -> Response {
    let correlation_id = request_info.map_or_else(new_uuid, |info| info.0.correlation_id);
    let now_ms = state.now_ms();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let client_id = form.get("client_id").cloned();
    let response = issue(&state, &tenant, &form, now_ms, &correlation_id);
    with_principal(response, client_id.as_deref())
}

fn issue(
    state: &EmulatorState,
    tenant: &str,
    form: &HashMap<String, String>,
    now_ms: u64,
    correlation_id: &str,
) -> Response {
    let fail =
        |status, error, code, description: &str| entra_error(status, error, code, description, now_ms, correlation_id);
    for required in ["grant_type", "client_id", "scope"] {
        if form.get(required).is_none_or(String::is_empty) {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900_144,
                &format!("The request body must contain the following parameter: '{required}'."),
            );
        }
    }
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or_default();
    if grant_type != "client_credentials" {
        return fail(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70_003,
            &format!("The app requested an unsupported grant type '{grant_type}'."),
        );
    }
    let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    let (principal, lifetime) = {
        let core = lock(&state.core);
        if !core.world.has_tenant(tenant) {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                90_002,
                &format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
            );
        }
        let principal = core
            .world
            .principals
            .get(&client_id.to_ascii_lowercase())
            .filter(|principal| {
                principal.tenant_id.eq_ignore_ascii_case(tenant) && principal.kind != PrincipalKind::ManagedIdentity
            })
            .cloned();
        (principal, core.settings.token_lifetime_seconds)
    };
    let Some(principal) = principal else {
        return fail(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700_016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the \
                 application has not been installed by the administrator of the tenant or consented to by any user in the \
                 tenant. You may have sent your authentication request to the wrong tenant."
            ),
        );
    };
    let resource = match scope.split_whitespace().collect::<Vec<_>>().as_slice() {
        [single] => single.strip_suffix("/.default"),
        _ => None,
    };
    let Some(resource) = resource else {
        return fail(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1_002_012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };
    if !is_arm_audience(resource, state.base_url().as_deref()) {
        return fail(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500_011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        );
    }
    if let Some(refusal) = check_credential(&principal, form, now_ms) {
        let (status, error, code, description) = refusal;
        return fail(status, error, code, &description);
    }
    let now = now_ms / 1000;
    let audience = format!("{}/", resource.trim_end_matches('/'));
    let (access_token, _) =
        state.signer.issue(&audience, &principal.tenant_id, &principal.client_id, &principal.object_id, now, lifetime);
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        }),
    )
}

type Refusal = (StatusCode, &'static str, u32, String);

/// Checks the secret or the assertion a client presents.
fn check_credential(principal: &Principal, form: &HashMap<String, String>, now_ms: u64) -> Option<Refusal> {
    let invalid_client =
        |code: u32, description: String| Some((StatusCode::UNAUTHORIZED, "invalid_client", code, description));
    if let Some(secret) = form.get("client_secret") {
        return match &principal.client_secret {
            Some(expected) if expected == secret => None,
            _ => invalid_client(
                7_000_215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, \
                     not the client secret ID, for a secret added to app '{}'.",
                    principal.client_id
                ),
            ),
        };
    }
    let Some(assertion) = form.get("client_assertion") else {
        return invalid_client(
            7_000_218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".to_owned(),
        );
    };
    if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Some((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50_027,
            format!("Invalid client_assertion_type; expected '{ASSERTION_TYPE}'."),
        ));
    }
    if principal.kind != PrincipalKind::Federated {
        return invalid_client(
            700_213,
            format!(
                "No matching federated identity record found for presented assertion subject for application '{}'.",
                principal.client_id
            ),
        );
    }
    let Some(claims) = decode_unverified(assertion) else {
        return Some((
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50_027,
            "JWT token is invalid or malformed.".to_owned(),
        ));
    };
    let now = now_ms / 1000;
    let number = |name: &str| claims.get(name).and_then(Value::as_u64);
    if number("exp").is_none_or(|exp| exp <= now) || number("nbf").is_some_and(|nbf| nbf > now + 300) {
        return invalid_client(700_024, "Client assertion is not within its valid time range.".to_owned());
    }
    let audience_ok = {
        let expected = principal.audience.as_deref().unwrap_or(DEFAULT_FEDERATION_AUDIENCE);
        match claims.get("aud") {
            Some(Value::String(audience)) => audience == expected,
            Some(Value::Array(audiences)) => audiences.iter().any(|audience| audience.as_str() == Some(expected)),
            _ => false,
        }
    };
    if !audience_ok {
        return invalid_client(
            700_212,
            "No matching federated identity record found for presented assertion audience.".to_owned(),
        );
    }
    let matches = |wanted: &Option<String>, claim: &str| {
        wanted.as_deref().is_none_or(|wanted| claims.get(claim).and_then(Value::as_str) == Some(wanted))
    };
    if !matches(&principal.issuer, "iss") {
        return invalid_client(
            700_211,
            "No matching federated identity record found for presented assertion issuer.".to_owned(),
        );
    }
    if !matches(&principal.subject, "sub") {
        return invalid_client(
            700_213,
            "No matching federated identity record found for presented assertion subject.".to_owned(),
        );
    }
    None
}

/// `GET /msi/token`: the App Service managed identity protocol (api-version 2019-08-01).
pub(crate) async fn managed_identity(
    State(state): State<Arc<EmulatorState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let now_ms = state.now_ms();
    let refuse = |status: StatusCode, message: &str| {
        json_response(
            status,
            &json!({ "statusCode": status.as_u16(), "message": message, "correlationId": new_uuid() }),
        )
    };
    let requested = query
        .get("client_id")
        .map(|id| ("client", id))
        .or_else(|| query.get("object_id").map(|id| ("object", id)))
        .or_else(|| query.get("principal_id").map(|id| ("object", id)));
    let (principal, lifetime) = {
        let core = lock(&state.core);
        let mut identities =
            core.world.principals.values().filter(|principal| principal.kind == PrincipalKind::ManagedIdentity);
        let principal = match requested {
            Some(("client", id)) => identities.find(|principal| principal.client_id.eq_ignore_ascii_case(id)),
            Some((_, id)) => identities.find(|principal| principal.object_id.eq_ignore_ascii_case(id)),
            None => {
                let all: Vec<&Principal> = identities.collect();
                all.iter().find(|principal| principal.system_assigned).or(all.first()).copied()
            }
        };
        (principal.cloned(), core.settings.token_lifetime_seconds)
    };
    let Some(principal) = principal else {
        return with_principal(
            refuse(
                StatusCode::BAD_REQUEST,
                "No managed identity found for the specified ClientId/ResourceId/PrincipalId.",
            ),
            None,
        );
    };
    let presented = headers.get("x-identity-header").and_then(|value| value.to_str().ok());
    if presented.is_none() || presented != principal.identity_header.as_deref() {
        return with_principal(
            refuse(
                StatusCode::UNAUTHORIZED,
                "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
            ),
            Some(&principal.client_id),
        );
    }
    if query.get("api-version").map(String::as_str) != Some("2019-08-01") {
        return with_principal(
            refuse(StatusCode::BAD_REQUEST, "The api-version must be 2019-08-01."),
            Some(&principal.client_id),
        );
    }
    let resource = query.get("resource").map(String::as_str).unwrap_or_default();
    if !is_arm_audience(resource, state.base_url().as_deref()) {
        return with_principal(
            refuse(
                StatusCode::BAD_REQUEST,
                &format!("The resource '{resource}' is not a resource the emulator issues tokens for."),
            ),
            Some(&principal.client_id),
        );
    }
    let now = now_ms / 1000;
    let audience = format!("{}/", resource.trim_end_matches('/'));
    let (access_token, claims) =
        state.signer.issue(&audience, &principal.tenant_id, &principal.client_id, &principal.object_id, now, lifetime);
    let body = json!({
        "access_token": access_token,
        "expires_on": claims.exp.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": principal.client_id,
    });
    with_principal(json_response(StatusCode::OK, &body), Some(&principal.client_id))
}
