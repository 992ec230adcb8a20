//! Errors in Azure Resource Manager's wire shape: `{"error":{"code","message",...}}` with the right status.

use crate::util::set_field;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error the emulator answers with, rendered as ARM's CloudError body.
///
/// Every failure the emulator reports, from a bad api-version to an injected fault, goes through this type, so a
/// client always sees `{"error":{"code","message"}}` (plus `target`, `details` and `additionalInfo` when the real
/// service sends them) and never an empty body.
#[derive(Debug, Clone)]
pub struct ArmError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `error` object: `code` and `message`, and whatever else the service puts there.
    pub body: Value,
    /// Extra response headers, such as `Retry-After` or `WWW-Authenticate`.
    pub headers: Vec<(header::HeaderName, String)>,
}

impl ArmError {
    /// An error with a code and a message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError { status, body: json!({ "code": code, "message": message.into() }), headers: Vec::new() }
    }

    /// A Data Protection error: the service repeats the error as a `UserFacingError` in `additionalInfo`, with
    /// recommended actions (CONTRACT.md §3, the Microsoft docs trace in §4).
    pub fn user_facing(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        recommended_action: &[&str],
        activity_id: &str,
    ) -> Self {
        let message = message.into();
        let mut info = user_facing_error(code, &message, recommended_action, activity_id);
        // The service's error bodies spell out the empty fields (the Microsoft docs trace in CONTRACT.md §4).
        set_field(&mut info, "details", Value::Null);
        set_field(&mut info, "innerError", Value::Null);
        ArmError {
            status,
            body: json!({
                "additionalInfo": [{ "type": "UserFacingError", "info": info }],
                "code": code,
                "message": message,
                "target": null,
                "details": null,
            }),
            headers: Vec::new(),
        }
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The error code.
    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or_default()
    }

    /// The `error` object alone, as an operation's `error` field carries it.
    pub fn error_object(&self) -> Value {
        self.body.clone()
    }
}

/// A `UserFacingError` object, as Data Protection puts into `additionalInfo[].info` and
/// `protectionStatus.errorDetails`.
pub fn user_facing_error(code: &str, message: &str, recommended_action: &[&str], activity_id: &str) -> Value {
    json!({
        "message": message,
        "recommendedAction": recommended_action,
        "code": code,
        "target": "",
        "isRetryable": false,
        "isUserError": false,
        "properties": { "ActivityId": activity_id },
    })
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.body }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        if let Ok(code) = HeaderValue::from_str(self.body.get("code").and_then(Value::as_str).unwrap_or_default()) {
            headers.insert("x-ms-error-code", code);
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// Shorthands for the errors ARM itself answers with.
pub mod arm {
    use super::*;

    /// 404 `ResourceNotFound`, ARM's answer for a missing tracked resource.
    pub fn resource_not_found(resource_type: &str, name: &str, resource_group: &str) -> ArmError {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. For more \
                 details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// 404 `ParentResourceNotFound`, for a nested resource whose parent does not exist.
    pub fn parent_not_found(parent: &str) -> ArmError {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!("Can not perform requested operation on nested resource. Parent resource '{parent}' not found."),
        )
    }

    /// 404 `ResourceGroupNotFound`.
    pub fn resource_group_not_found(name: &str) -> ArmError {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{name}' could not be found."),
        )
    }

    /// 400 `InvalidRequestContent`, for a body that is not JSON or has the wrong JSON types.
    pub fn invalid_content(detail: impl std::fmt::Display) -> ArmError {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    /// 400 `BMSUserErrorInvalidInput`, Data Protection's answer to an invalid body.
    pub fn dpp_invalid_input(detail: impl std::fmt::Display, activity_id: &str) -> ArmError {
        ArmError::user_facing(
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
            format!("Input provided for the call is invalid: {detail}"),
            &["Please check the required inputs"],
            activity_id,
        )
    }

    /// 404 `UserErrorGenericResourceNotFound`, Data Protection's answer for its own missing resources.
    pub fn dpp_not_found(kind: &str, id: &str, activity_id: &str) -> ArmError {
        ArmError::user_facing(
            StatusCode::NOT_FOUND,
            "UserErrorGenericResourceNotFound",
            format!("The {kind} '{id}' was not found."),
            &["Check that the resource exists and that its ID is correct."],
            activity_id,
        )
    }

    /// 405 for a method a route does not support.
    pub fn method_not_allowed(method: &str) -> ArmError {
        ArmError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
    }
}
