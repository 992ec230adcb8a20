//! What the fuzz targets share: a pipeline whose transport answers from the fuzzer's bytes and whose clock never
//! sleeps, so that a whole long-running operation can be followed in one run.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use dataprotection::arm::ArmError;
use dataprotection::arm::auth::{AccessToken, Secret, TokenSource};
use dataprotection::arm::pipeline::{
    Clock, HttpRequest, HttpResponse, Pipeline, RetryOptions, Transport, TransportError,
};

/// The resource manager the pipeline talks to.
pub const ENDPOINT: &str = "https://management.fuzz.test/";

/// Answers requests in order from a script; when it runs out, answers `Succeeded`.
pub struct Scripted {
    answers: Mutex<VecDeque<HttpResponse>>,
}

impl Scripted {
    /// A transport that gives `answers` in order.
    pub fn new(answers: Vec<HttpResponse>) -> Scripted {
        Scripted { answers: Mutex::new(answers.into()) }
    }
}

#[async_trait]
impl Transport for Scripted {
    async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let next = self.answers.lock().expect("lock").pop_front();
        Ok(next.unwrap_or_else(|| response(200, &[], br#"{"status":"Succeeded"}"#)))
    }
}

/// A clock whose sleeps only move it forward.
pub struct InstantClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl Default for InstantClock {
    fn default() -> InstantClock {
        InstantClock { start: Instant::now(), offset: Mutex::new(Duration::ZERO) }
    }
}

#[async_trait]
impl Clock for InstantClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().expect("lock")
    }
    fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + *self.offset.lock().expect("lock")
    }
    async fn sleep(&self, duration: Duration) {
        *self.offset.lock().expect("lock") += duration;
    }
}

struct FixedToken;

#[async_trait]
impl TokenSource for FixedToken {
    async fn token(&self, _refresh: bool) -> Result<AccessToken, ArmError> {
        Ok(AccessToken { token: Secret::new("fuzz"), expires_at: SystemTime::now() + Duration::from_secs(3600) })
    }
}

/// A pipeline over `transport`, with few retries so that each run stays short.
pub fn pipeline(transport: Scripted) -> Pipeline {
    Pipeline::new(
        url::Url::parse(ENDPOINT).expect("endpoint"),
        Arc::new(transport),
        Arc::new(InstantClock::default()),
        Arc::new(FixedToken),
        "fuzz",
        RetryOptions { max_retries: 2, ..RetryOptions::default() },
    )
}

/// A response with `status`, `headers` and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(value.as_bytes()))
        {
            map.insert(name, value);
        }
    }
    HttpResponse {
        status: http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK),
        headers: map,
        body: bytes::Bytes::copy_from_slice(body),
    }
}
