//! Azure's error bodies (CloudError, bare error objects, UserFacingError in additionalInfo, anything else): turning
//! any status and body into an ArmError and printing it never panics, and what is printed is bounded.
#![no_main]

use dataprotection::arm::ArmError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, content_type, body) = match data {
        [a, b, c, rest @ ..] => (400 + (u16::from(*a) << 8 | u16::from(*b)) % 200, *c, rest),
        _ => return,
    };
    let mut headers = http::HeaderMap::new();
    let types = ["application/json", "text/html", "text/plain; charset=utf-8", ""];
    if let Ok(value) = http::HeaderValue::from_str(types[usize::from(content_type) % types.len()]) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    let status = http::StatusCode::from_u16(status).expect("400..599");
    let error = ArmError::from_response(status, &headers, body);
    let text = format!("{error} {} {}", error.summary(), error.detail());
    // A body is quoted, never copied whole: a huge answer does not make a huge message.
    assert!(text.len() < 64 * 1024 + 4 * body.len().min(64 * 1024), "message of {} bytes", text.len());
});
