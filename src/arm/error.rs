//! Errors from Azure Resource Manager, with everything a user needs to act on them: Azure's code and message,
//! the recommended actions of the Data Protection service, and the request IDs support asks for.

use std::fmt;

use http::{HeaderMap, StatusCode};

use super::models::{CloudError, ErrorDetail, UserFacingError};

/// The broad kind of an [`ArmError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Azure answered a request with an error status.
    Response,
    /// A long-running operation ended `Failed`.
    OperationFailed,
    /// A long-running operation ended `Canceled`.
    OperationCanceled,
    /// A backup instance reached a protection error state.
    ProtectionFailed,
    /// The deadline passed while Azure kept answering 429 (throttling).
    Throttled,
    /// The deadline passed.
    Timeout,
    /// Terraform asked the provider to stop.
    Stopped,
    /// The request got no answer: connection refused or reset, TLS failure, timeout on the wire.
    Transport,
    /// Azure's answer could not be understood.
    InvalidResponse,
    /// No access token could be obtained.
    Authentication,
    /// The provider refused to send a request (a URL on another host, plain HTTP off loopback).
    Refused,
}

/// An error from talking to Azure. Boxed, so that results carrying it stay small; its [`ErrorInfo`] fields are
/// reached through `Deref`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmError(Box<ErrorInfo>);

impl std::ops::Deref for ArmError {
    type Target = ErrorInfo;
    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for ArmError {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

/// What an [`ArmError`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    /// The broad kind.
    pub kind: ErrorKind,
    /// The HTTP status, when Azure answered.
    pub status: Option<u16>,
    /// Azure's error code, for example `UserErrorDppDatasourceAlreadyProtected`.
    pub code: Option<String>,
    /// Azure's message, or ours when Azure gave none.
    pub message: String,
    /// Azure's error target.
    pub target: Option<String>,
    /// The Data Protection service's recommended actions.
    pub recommended_actions: Vec<String>,
    /// The inner error code, when the service gave one.
    pub inner_code: Option<String>,
    /// Nested errors, as `code: message` lines.
    pub details: Vec<String>,
    /// `x-ms-request-id` of the failing response.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` of the failing response.
    pub correlation_id: Option<String>,
    /// What the provider was doing, for example `creating backup instance /subscriptions/...`.
    pub context: Option<String>,
}

/// The most of a non-JSON body quoted in a message.
const QUOTE_LIMIT: usize = 200;

impl ArmError {
    /// An error of `kind` with our own message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ArmError {
        ArmError(Box::new(ErrorInfo {
            kind,
            status: None,
            code: None,
            message: message.into(),
            target: None,
            recommended_actions: Vec::new(),
            inner_code: None,
            details: Vec::new(),
            request_id: None,
            correlation_id: None,
            context: None,
        }))
    }

    /// Builds the error for an unsuccessful response from its status, headers and body.
    pub fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ArmError {
        let mut error = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => Self::from_json_body(status, &json),
            Err(_) => Self::from_opaque_body(status, headers, body),
        };
        error.status = Some(status.as_u16());
        error.request_id = header(headers, "x-ms-request-id");
        error.correlation_id = header(headers, "x-ms-correlation-request-id");
        error
    }

    fn from_json_body(status: StatusCode, json: &serde_json::Value) -> ArmError {
        // CloudError puts the error under "error"; a few ARM front ends answer with the bare object.
        let detail = serde_json::from_value::<CloudError>(json.clone())
            .ok()
            .and_then(|e| e.error)
            .or_else(|| serde_json::from_value::<ErrorDetail>(json.clone()).ok())
            .filter(|d| d.code.is_some() || d.message.is_some());
        match detail {
            Some(detail) => {
                let mut error = Self::from_error_detail(ErrorKind::Response, &detail);
                if error.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("MissingSubscriptionRegistration")) {
                    error.recommended_actions.push(
                        "Register the resource provider the message names once per subscription (`az provider \
                         register --namespace <namespace>`). The provider registers Microsoft.DataProtection itself \
                         unless skip_provider_registration is true."
                            .to_owned(),
                    );
                }
                error
            }
            None => ArmError::new(
                ErrorKind::Response,
                format!("Azure answered {} with a JSON body that holds no error code or message", status_text(status)),
            ),
        }
    }

    fn from_opaque_body(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ArmError {
        if body.iter().all(u8::is_ascii_whitespace) {
            let mut error =
                ArmError::new(ErrorKind::Response, format!("Azure answered {} with no body", status_text(status)));
            if status == StatusCode::NOT_ACCEPTABLE {
                error.recommended_actions.push(
                    "Azure sends an empty 406 when it rejects the request body without saying why. Check the \
                     arguments (IDs, region, policy and datasource type), and that the vault's settings allow the \
                     operation."
                        .to_owned(),
                );
            }
            return error;
        }
        let content_type = header(headers, "content-type").unwrap_or_else(|| "no content type".to_owned());
        let text = String::from_utf8_lossy(&body[..body.len().min(QUOTE_LIMIT * 4)]);
        let quoted: String = text.chars().filter(|c| !c.is_control()).take(QUOTE_LIMIT).collect();
        ArmError::new(
            ErrorKind::Response,
            format!(
                "Azure answered {} with a body that is not JSON ({content_type}, {} bytes): {quoted:?}",
                status_text(status),
                body.len()
            ),
        )
    }

    /// Builds an error from a CloudError `error` object (also used for failed operations).
    pub fn from_error_detail(kind: ErrorKind, detail: &ErrorDetail) -> ArmError {
        let facing = detail
            .additional_info
            .iter()
            .filter(|info| info.info_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("UserFacingError")))
            .find_map(|info| info.info.clone().and_then(|v| serde_json::from_value::<UserFacingError>(v).ok()));
        let message = detail
            .message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .or_else(|| facing.as_ref().and_then(|f| f.message.clone()))
            .unwrap_or_else(|| "Azure gave no message".to_owned());
        let mut error = ArmError::new(kind, message);
        error.code = detail.code.clone().or_else(|| facing.as_ref().and_then(|f| f.code.clone()));
        error.target = detail.target.clone().filter(|t| !t.is_empty());
        error.details = detail
            .details
            .iter()
            .map(|d| format!("{}: {}", d.code.as_deref().unwrap_or("-"), d.message.as_deref().unwrap_or("-")))
            .collect();
        if let Some(facing) = facing {
            error.recommended_actions = facing.recommended_action.clone();
            if let Some(inner) = &facing.inner_error {
                error.details.extend(inner.fact_lines());
            }
            error.inner_code = facing.inner_error.and_then(|i| i.code);
        }
        error
    }

    /// Builds an error from a `UserFacingError`, as in `protectionStatus.errorDetails`.
    pub fn from_user_facing(kind: ErrorKind, facing: &UserFacingError) -> ArmError {
        let mut error = ArmError::new(
            kind,
            facing
                .message
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "Azure gave no message".to_owned()),
        );
        error.code = facing.code.clone();
        error.target = facing.target.clone().filter(|t| !t.is_empty());
        error.recommended_actions = facing.recommended_action.clone();
        error.inner_code = facing.inner_error.as_ref().and_then(|i| i.code.clone());
        error.details = facing
            .details
            .iter()
            .map(|d| format!("{}: {}", d.code.as_deref().unwrap_or("-"), d.message.as_deref().unwrap_or("-")))
            .collect();
        if let Some(inner) = &facing.inner_error {
            error.details.extend(inner.fact_lines());
        }
        error
    }

    /// Adds what the provider was doing, for example `creating backup instance {id}`.
    pub fn context(mut self, context: impl Into<String>) -> ArmError {
        self.context = Some(context.into());
        self
    }

    /// True for a 404 answer.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::Response && self.status == Some(404)
    }

    /// One line for a diagnostic summary: Azure's own message when it gave one.
    pub fn summary(&self) -> String {
        self.message.clone()
    }

    /// Everything else, one fact per line: what failed, code, recommended actions, request IDs.
    pub fn detail(&self) -> String {
        let mut lines = Vec::new();
        if let Some(context) = &self.context {
            lines.push(format!("Error {context}."));
        }
        if let Some(code) = &self.code {
            lines.push(format!("Code: {code}"));
        }
        if let Some(inner) = &self.inner_code {
            lines.push(format!("Inner code: {inner}"));
        }
        if let Some(target) = &self.target {
            lines.push(format!("Target: {target}"));
        }
        for action in &self.recommended_actions {
            lines.push(format!("Recommended action: {action}"));
        }
        for detail in &self.details {
            lines.push(format!("Detail: {detail}"));
        }
        if let Some(status) = self.status {
            let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
            lines.push(format!("HTTP status: {status} {reason}").trim_end().to_owned());
        }
        if let Some(id) = &self.request_id {
            lines.push(format!("Request ID: {id}"));
        }
        if let Some(id) = &self.correlation_id {
            lines.push(format!("Correlation ID: {id}"));
        }
        lines.join("\n")
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.context {
            write!(f, "{context}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ArmError {}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn status_text(status: StatusCode) -> String {
    format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ms-request-id", "req-1".parse().unwrap());
        h.insert("x-ms-correlation-request-id", "corr-1".parse().unwrap());
        h
    }

    #[test]
    fn already_protected_trace_is_fully_parsed() {
        // The shape of the service's answer in Microsoft's disk backup REST walkthrough.
        let body = br#"{"error":{"additionalInfo":[{"type":"UserFacingError","info":{"message":"Datasource is already protected under the Backup vault /subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v.","recommendedAction":["Delete the backup instance from the vault, or protect the datasource with another vault."],"code":"UserErrorDppDatasourceAlreadyProtected","target":"","innerError":null,"isRetryable":false,"isUserError":false,"properties":{"ActivityId":"a"}}}],"code":"UserErrorDppDatasourceAlreadyProtected","message":"Datasource is already protected under the Backup vault /subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v.","target":null,"details":null}}"#;
        let e = ArmError::from_response(StatusCode::BAD_REQUEST, &headers(), body);
        assert_eq!(e.kind, ErrorKind::Response);
        assert_eq!(e.code.as_deref(), Some("UserErrorDppDatasourceAlreadyProtected"));
        assert!(e.summary().starts_with("Datasource is already protected"));
        assert_eq!(e.recommended_actions.len(), 1);
        let detail = e.detail();
        assert!(detail.contains("Code: UserErrorDppDatasourceAlreadyProtected"), "{detail}");
        assert!(detail.contains("Recommended action: Delete the backup instance"), "{detail}");
        assert!(detail.contains("Request ID: req-1"), "{detail}");
        assert!(detail.contains("Correlation ID: corr-1"), "{detail}");
        assert!(detail.contains("HTTP status: 400 Bad Request"), "{detail}");
    }

    #[test]
    fn empty_406_gets_a_hint() {
        let e = ArmError::from_response(StatusCode::NOT_ACCEPTABLE, &HeaderMap::new(), b"");
        assert!(e.message.contains("406 Not Acceptable with no body"), "{}", e.message);
        assert!(e.recommended_actions[0].contains("rejects the request body"));
    }

    #[test]
    fn html_pages_are_quoted_briefly() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "text/html".parse().unwrap());
        let body = format!("<html><body>{}</body></html>", "x".repeat(100_000));
        let e = ArmError::from_response(StatusCode::BAD_GATEWAY, &h, body.as_bytes());
        assert!(e.message.contains("not JSON (text/html, 100026 bytes)"), "{}", e.message);
        assert!(e.message.len() < 400, "{}", e.message.len());
    }

    #[test]
    fn bare_error_objects_and_json_without_error_are_handled() {
        let e = ArmError::from_response(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            br#"{"code":"AuthorizationFailed","message":"no"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        let e = ArmError::from_response(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), br#"{"weird":true}"#);
        assert!(e.message.contains("holds no error code"), "{}", e.message);
        assert_eq!(e.status, Some(500));
    }

    #[test]
    fn display_includes_context_and_code() {
        let mut e = ArmError::new(ErrorKind::OperationFailed, "it broke").context("creating backup instance x");
        e.code = Some("C".into());
        assert_eq!(e.to_string(), "creating backup instance x: it broke (C)");
        assert!(e.detail().starts_with("Error creating backup instance x."));
    }

    #[test]
    fn protection_error_details_become_errors() {
        let facing: UserFacingError = serde_json::from_str(
            r#"{"code":"UserErrorDiskBackupSnapshotRGOrStorageAccountNotFound","message":"Snapshot RG missing","recommendedAction":["Create it"],"innerError":{"code":"Inner"}}"#,
        )
        .unwrap();
        let e = ArmError::from_user_facing(ErrorKind::ProtectionFailed, &facing);
        assert_eq!(e.summary(), "Snapshot RG missing");
        assert_eq!(e.inner_code.as_deref(), Some("Inner"));
        assert!(e.detail().contains("Recommended action: Create it"));
    }

    #[test]
    fn a_missing_permission_keeps_the_principal_action_and_scope() {
        let body = br#"{"error":{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.","additionalInfo":[{"type":"UserFacingError","info":{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.","recommendedAction":["Grant appropriate permissions"],"innerError":{"code":"UserErrorMissingRequiredPermissions","additionalInfo":{"DetailedNonLocalisedMessage":"The client 'p-1' with object id 'p-1' does not have authorization to perform action 'Microsoft.Compute/disks/beginGetAccess/action' over scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d'","Empty":""}}}}]}}"#;
        let e = ArmError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), body);
        let detail = e.detail();
        assert!(detail.contains("Detail: DetailedNonLocalisedMessage: The client 'p-1'"), "{detail}");
        assert!(detail.contains("'Microsoft.Compute/disks/beginGetAccess/action'"), "{detail}");
        assert!(detail.contains("over scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d'"));
        assert!(!detail.contains("Empty"), "empty facts are left out: {detail}");
    }
}
