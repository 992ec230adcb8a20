//! What happens to every request before and after its handler: request IDs, fault injection, the journal.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ArmError;
use super::faults::FaultAction;
use super::journal::JournalEntry;
use super::routes::Route;
use super::settings::OutcomeRule;
use super::state::EmulatorState;
use super::util::{format_compact, is_guid, lock, new_uuid};
use super::world::Planned;

/// Set on the request for handlers: the parsed route and the request's IDs.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub route: Route,
    pub correlation_id: String,
}

/// Set on the request when a fault rule decides how the operation it starts ends.
#[derive(Debug, Clone)]
pub(crate) struct InjectedOutcome(pub (Planned, bool));

/// Set on the response by handlers, for the journal.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponseMeta {
    pub early: bool,
    pub principal: Option<String>,
}

/// Set on a response whose connection the server must close without answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// The middleware around everything but the admin API.
pub(crate) async fn front(State(state): State<Arc<EmulatorState>>, mut request: Request, next: Next) -> Response {
    let _in_flight = state.request_started();
    let at_ms = state.elapsed_ms();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let route = Route::parse(&path);
    let operation = route.operation(&method);
    let correlation_id = request
        .headers()
        .get("x-ms-correlation-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| is_guid(value))
        .map_or_else(new_uuid, str::to_owned);
    let request_id = new_uuid();

    let decision = lock(&state.faults).decide(&method, &path, operation);
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let is_token = matches!(route, Route::Token | Route::ManagedIdentityToken);
    request.extensions_mut().insert(RequestInfo { route, correlation_id: correlation_id.clone() });

    let mut response = match decision.action {
        Some(FaultAction::Status { status, retry_after, code, message }) => {
            fault_response(status, retry_after, code, message, is_token, &correlation_id)
        }
        Some(FaultAction::Drop { after_processing: false }) => dropped(),
        Some(FaultAction::Operation { outcome, code, message }) => {
            let rule = OutcomeRule { outcome, count: None, code, message };
            if let Some(planned) = Planned::from_injected(&rule) {
                request.extensions_mut().insert(InjectedOutcome(planned));
            }
            next.run(request).await
        }
        Some(FaultAction::Drop { after_processing: true }) => {
            let response = next.run(request).await;
            let meta = response.extensions().get::<ResponseMeta>().cloned();
            let mut dropped = dropped();
            if let Some(meta) = meta {
                dropped.extensions_mut().insert(meta);
            }
            dropped
        }
        Some(FaultAction::RawBody { status, content_type, body, repeat, chunked }) => {
            raw_body(status, content_type.as_deref(), &body, repeat.unwrap_or(1), chunked)
        }
        Some(FaultAction::Redirect { status, location }) => redirect(status, &location),
        Some(FaultAction::ForeignPollingUrls { base_url }) => foreign_polling_urls(next.run(request).await, &base_url),
        Some(FaultAction::MalformedBody) => malformed(next.run(request).await).await,
        Some(FaultAction::TruncatedBody) => truncated(next.run(request).await).await,
        Some(FaultAction::Latency { .. }) | None => next.run(request).await,
    };

    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ms-request-id", request_id.clone()),
        ("x-ms-correlation-request-id", correlation_id.clone()),
        ("x-ms-routing-request-id", format!("WESTUS:{}:{request_id}", format_compact(state.now_ms()))),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }

    let meta = response.extensions().get::<ResponseMeta>().cloned().unwrap_or_default();
    let status = if response.extensions().get::<DropConnection>().is_some() { 0 } else { response.status().as_u16() };
    state.record(JournalEntry {
        seq: 0,
        method,
        path,
        query,
        status,
        at_ms,
        operation: operation.to_owned(),
        early: meta.early,
        principal: meta.principal,
        request_id,
        correlation_id,
    });
    response
}

/// An injected error status with the body a client would get from ARM (or from Entra, for token requests).
fn fault_response(
    status: u16,
    retry_after: Option<u64>,
    code: Option<String>,
    message: Option<String>,
    is_token: bool,
    correlation_id: &str,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (default_code, default_message) = match status.as_u16() {
        408 => ("RequestTimeout", "The request timed out before the server could complete it.".to_owned()),
        429 => ("TooManyRequests", "The request is being throttled. Please try again later.".to_owned()),
        500 => (
            "InternalServerError",
            format!(
                "Encountered internal server error. Diagnostic information: request correlation id '{correlation_id}'."
            ),
        ),
        502 => ("BadGateway", "The gateway received an invalid response from the resource provider.".to_owned()),
        503 => ("ServiceUnavailable", "The service is currently unavailable. Please try again later.".to_owned()),
        504 => (
            "GatewayTimeout",
            "The gateway did not receive a response from 'Microsoft.DataProtection' within the specified time period."
                .to_owned(),
        ),
        _ => ("InjectedFault", format!("A fault injected by the emulator answered {status}.")),
    };
    let code = code.unwrap_or_else(|| default_code.to_owned());
    let message = message.unwrap_or(default_message);
    let mut response = if is_token {
        let body = json!({
            "error": if status.is_server_error() { "temporarily_unavailable" } else { "invalid_request" },
            "error_description": format!("{code}: {message}"),
            "error_codes": [],
            "correlation_id": correlation_id,
        });
        let mut response = (status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        response
    } else {
        ArmError::new(status, &code, message).into_response()
    };
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A response the server turns into a closed connection. Served by another server, it is a plain 502.
fn dropped() -> Response {
    let mut response =
        ArmError::new(StatusCode::BAD_GATEWAY, "ConnectionDropped", "The emulator dropped this connection on purpose.")
            .into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// An answer with exactly this status, content type and (repeated) body; `chunked`: streamed piece by piece,
/// with no `Content-Length`.
fn raw_body(status: u16, content_type: Option<&str>, body: &str, repeat: usize, chunked: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if chunked {
        let piece = axum::body::Bytes::from(body.to_owned());
        let pieces = tokio_stream::iter((0..repeat).map(move |_| Ok::<_, std::convert::Infallible>(piece.clone())));
        (status, axum::body::Body::from_stream(pieces)).into_response()
    } else {
        (status, body.repeat(repeat)).into_response()
    };
    response.headers_mut().remove(header::CONTENT_TYPE);
    if let Some(value) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A redirect to `location`, with no body.
fn redirect(status: u16, location: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The response with its polling headers moved to another scheme, host and port.
fn foreign_polling_urls(mut response: Response, base_url: &str) -> Response {
    let base = base_url.trim_end_matches('/');
    for name in ["azure-asyncoperation", "location"] {
        let moved = response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| url::Url::parse(value).ok())
            .map(|url| format!("{base}{}{}", url.path(), url.query().map(|q| format!("?{q}")).unwrap_or_default()));
        if let Some(value) = moved.and_then(|m| HeaderValue::from_str(&m).ok()) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The response with a body that is not valid JSON, correctly framed.
async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut broken = bytes.get(..bytes.len() / 2).map(<[u8]>::to_vec).unwrap_or_default();
    if broken.is_empty() {
        broken.extend_from_slice(b"{\"id\":");
    }
    broken.extend_from_slice(b"\x00<html>");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    Response::from_parts(parts, Body::from(broken))
}

/// The response's headers and half its body, then an error that makes the server close the connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let mut bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    if bytes.is_empty() {
        bytes = Bytes::from_static(b"{\"error\":{\"code\":\"Truncated\",\"message\":\"this body is cut short\"}}");
    }
    let full = bytes.len();
    let half = bytes.slice(..full / 2);
    if let Ok(length) = HeaderValue::from_str(&full.to_string()) {
        parts.headers.insert(header::CONTENT_LENGTH, length);
    }
    // The first half goes out (with the headers) before the error; the pause makes the server flush it rather
    // than drop the response whole.
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        if sender.send(Ok(half)).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = sender
                .send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "truncated on purpose")))
                .await;
        }
    });
    Response::from_parts(parts, Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)))
}

/// `https://{host}` as the client addressed the emulator (the `:authority` of HTTP/2, else `Host`).
pub(crate) fn request_base(uri: &axum::http::Uri, headers: &axum::http::HeaderMap, state: &EmulatorState) -> String {
    let host = uri
        .authority()
        .map(|authority| authority.as_str().to_owned())
        .or_else(|| headers.get(header::HOST).and_then(|host| host.to_str().ok()).map(str::to_owned));
    match host {
        Some(host) => format!("https://{host}"),
        None => state.base_url().unwrap_or_else(|| "https://localhost".to_owned()),
    }
}
