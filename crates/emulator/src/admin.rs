//! The admin API under `/_emulator/`: journal, inventory, faults, settings, protection errors and the clock.
//! No authentication; JSON in and out; errors in ARM's shape.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::ArmError;
use super::faults::FaultRule;
use super::state::{EmulatorState, ProtectionErrorRequest};

/// The admin routes, to be nested under `/_emulator`.
pub(crate) fn router() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/journal", get(journal).delete(clear_journal))
        .route("/inventory", get(inventory))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/faults/{id}", delete(remove_fault))
        .route("/settings", get(settings).put(patch_settings).patch(patch_settings))
        .route("/backup-instances/protection-error", post(protection_error))
        .route("/clock/advance", post(advance_clock))
        .route("/tokens", post(token))
        .route("/state", get(snapshot))
        .fallback(not_found)
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

fn bad_request(message: impl Into<String>) -> Response {
    ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message).into_response()
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|error| Box::new(bad_request(format!("The request body is not valid: {error}"))))
}

async fn not_found() -> Response {
    ArmError::new(StatusCode::NOT_FOUND, "NotFound", "No such admin endpoint. See docs/emulator.md for the admin API.")
        .into_response()
}

async fn journal(State(state): State<Arc<EmulatorState>>, Query(query): Query<HashMap<String, String>>) -> Response {
    let since = query.get("since").and_then(|since| since.parse().ok()).unwrap_or(0);
    json(StatusCode::OK, &state.journal_since(since))
}

async fn clear_journal(State(state): State<Arc<EmulatorState>>) -> Response {
    state.clear_journal();
    StatusCode::NO_CONTENT.into_response()
}

async fn inventory(State(state): State<Arc<EmulatorState>>) -> Response {
    json(StatusCode::OK, &state.inventory())
}

async fn faults(State(state): State<Arc<EmulatorState>>) -> Response {
    json(StatusCode::OK, &state.faults())
}

/// Accepts one rule or a list of rules.
async fn add_fault(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<FaultRule>),
        One(Box<FaultRule>),
    }
    let rules = match parse::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(rules)) => rules,
        Ok(OneOrMany::One(rule)) => vec![*rule],
        Err(response) => return *response,
    };
    let mut added = Vec::new();
    for rule in rules {
        match state.add_fault(rule) {
            Ok(rule) => added.push(rule),
            Err(message) => return bad_request(message),
        }
    }
    match added.as_slice() {
        [one] => json(StatusCode::CREATED, one),
        all => json(StatusCode::CREATED, &all),
    }
}

async fn clear_faults(State(state): State<Arc<EmulatorState>>) -> Response {
    state.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn remove_fault(State(state): State<Arc<EmulatorState>>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) if state.remove_fault(id) => StatusCode::NO_CONTENT.into_response(),
        _ => ArmError::new(StatusCode::NOT_FOUND, "NotFound", format!("No fault rule with ID '{id}'.")).into_response(),
    }
}

async fn settings(State(state): State<Arc<EmulatorState>>) -> Response {
    json(StatusCode::OK, &state.settings())
}

async fn patch_settings(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    let patch: Value = match parse(&body) {
        Ok(patch) => patch,
        Err(response) => return *response,
    };
    match state.patch_settings(&patch) {
        Ok(settings) => json(StatusCode::OK, &settings),
        Err(message) => bad_request(message),
    }
}

async fn protection_error(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    let request: ProtectionErrorRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    match state.set_protection_error(&request) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => ArmError::new(StatusCode::NOT_FOUND, "NotFound", message).into_response(),
    }
}

async fn advance_clock(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        #[serde(default)]
        seconds: u64,
        #[serde(default)]
        ms: u64,
    }
    let advance: Advance = match parse(&body) {
        Ok(advance) => advance,
        Err(response) => return *response,
    };
    state.advance_clock(Duration::from_secs(advance.seconds) + Duration::from_millis(advance.ms));
    json(StatusCode::OK, &json!({ "now_unix_ms": state.now_ms() }))
}

/// Issues a token without going through sign-in: `{"client_id": "..."}`.
async fn token(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct TokenRequest {
        client_id: String,
    }
    let request: TokenRequest = match parse(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    match state.issue_token(&request.client_id) {
        Ok(token) => json(StatusCode::OK, &json!({ "access_token": token })),
        Err(message) => ArmError::new(StatusCode::NOT_FOUND, "NotFound", message).into_response(),
    }
}

async fn snapshot(State(state): State<Arc<EmulatorState>>) -> Response {
    json(StatusCode::OK, &state.snapshot())
}
