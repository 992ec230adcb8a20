//! The one path every request to Azure takes: the host check, the bearer token, retries and logging, over a
//! transport and a clock that tests can replace.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{AccessToken, TokenSource};
use super::error::{ArmError, ErrorKind};
use super::registration::{Registrations, missing_registration};

/// A request as the transport sends it.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: Url,
    /// Headers, including `Authorization` (the transport must not log them).
    pub headers: HeaderMap,
    /// JSON body, if any.
    pub body: Option<Bytes>,
}

/// A response as the transport returns it, body read in full.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl HttpResponse {
    /// The header `name` as a string, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Turns a 3xx, 4xx or 5xx answer into an [`ArmError`]. Redirects are never followed: one could carry the
    /// bearer token to another host, and Azure Resource Manager does not redirect.
    pub fn error_for_status(self) -> Result<HttpResponse, ArmError> {
        if self.status.is_redirection() {
            let target = self
                .header("location")
                .and_then(|l| Url::parse(l).ok())
                .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")))
                .unwrap_or_else(|| "a location it did not give".to_owned());
            let mut error = ArmError::new(
                ErrorKind::Refused,
                format!(
                    "Azure answered {} with a redirect to {target}; the provider does not follow redirects, so that \
                     its token goes to the resource manager only",
                    self.status
                ),
            );
            error.status = Some(self.status.as_u16());
            error.request_id = self.header("x-ms-request-id").map(str::to_owned);
            error.correlation_id = self.header("x-ms-correlation-request-id").map(str::to_owned);
            return Err(error);
        }
        if self.status.is_client_error() || self.status.is_server_error() {
            Err(ArmError::from_response(self.status, &self.headers, &self.body))
        } else {
            Ok(self)
        }
    }

    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ArmError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let mut error = ArmError::new(
                ErrorKind::InvalidResponse,
                format!("Azure answered {} with a body that could not be read: {e}", self.status.as_u16()),
            );
            error.status = Some(self.status.as_u16());
            error.request_id = self.header("x-ms-request-id").map(str::to_owned);
            error.correlation_id = self.header("x-ms-correlation-request-id").map(str::to_owned);
            error
        })
    }
}

/// Why a request got no response.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// What went wrong, without URLs' query strings or headers.
    pub message: String,
}

/// Sends requests. The real one is [`ReqwestTransport`]; unit tests script their own.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends one request and reads the whole response.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Time, for the pipeline and the poller. Unit tests use a clock whose sleeps return at once.
#[async_trait]
pub trait Clock: Send + Sync + 'static {
    /// Monotonic now, for deadlines.
    fn now(&self) -> Instant;
    /// Wall-clock now, for HTTP dates in `Retry-After`.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The largest response body read into memory; anything bigger is refused rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The transport over a shared `reqwest` client (rustls, one crypto provider).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Wraps a client. Redirects must be disabled on it: a redirect could carry the token to another host.
    pub fn new(client: reqwest::Client) -> ReqwestTransport {
        ReqwestTransport { client }
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self.client.request(request.method, request.url.clone()).headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|e| TransportError { message: describe(&e) })?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let too_large = || TransportError {
            message: format!("the response body is larger than {MAX_RESPONSE_BYTES} bytes; refusing to read it"),
        };
        // A declared length over the limit is refused before a byte is read; a declared length within it is the
        // buffer's size, so the body is never copied into a buffer twice its size.
        let declared = response.content_length().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        if declared.is_some_and(|n| n > MAX_RESPONSE_BYTES) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| TransportError { message: describe(&e) })? {
            let needed = body.len() + chunk.len();
            if needed > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            if needed > body.capacity() {
                // Grow by doubling, but never past the limit: the buffer stays within MAX_RESPONSE_BYTES.
                let target = needed.max(body.capacity() * 2).min(MAX_RESPONSE_BYTES);
                body.reserve_exact(target - body.len());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, headers, body: Bytes::from(body) })
    }
}

/// A transport error in one line, with its causes, without the URL's query string.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "the request timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else if error.is_body() || error.is_decode() {
        "the connection broke while reading the response".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How the pipeline retries.
#[derive(Clone, Debug)]
pub struct RetryOptions {
    /// Retries after 408, 5xx or a dropped connection (429 is retried until the deadline instead).
    pub max_retries: u32,
    /// First backoff when the server gives no delay.
    pub initial_backoff: Duration,
    /// Largest backoff when the server gives no delay.
    pub max_backoff: Duration,
    /// Longest a single attempt may take.
    pub try_timeout: Duration,
}

impl Default for RetryOptions {
    fn default() -> RetryOptions {
        RetryOptions {
            max_retries: 6,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            try_timeout: Duration::from_secs(120),
        }
    }
}

/// What every call carries: its deadline, Terraform's stop signal and a correlation ID.
#[derive(Clone, Debug)]
pub struct CallContext {
    /// When the whole operation must be over.
    pub deadline: Instant,
    /// Fires when Terraform asks the provider to stop.
    pub stop: CancellationToken,
    /// Sent as `x-ms-correlation-request-id` on every request of the operation.
    pub correlation_id: String,
    /// The timeout the deadline came from, as messages name it (for example "create timeout (30m)").
    pub timeout_label: String,
}

impl CallContext {
    /// A context for an operation that may take `timeout` from `now`.
    pub fn new(
        now: Instant,
        timeout: Duration,
        timeout_label: impl Into<String>,
        stop: CancellationToken,
    ) -> CallContext {
        CallContext {
            deadline: now + timeout,
            stop,
            correlation_id: new_correlation_id(),
            timeout_label: timeout_label.into(),
        }
    }
}

/// A random version-4 UUID string.
pub fn new_correlation_id() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The pipeline: one per configured provider, shared by every resource.
pub struct Pipeline {
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    tokens: Arc<dyn TokenSource>,
    endpoint: Url,
    user_agent: HeaderValue,
    retry: RetryOptions,
    /// Microsoft.DataProtection registrations in subscriptions that are not registered for it.
    registrations: Registrations,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("endpoint", &self.endpoint.as_str()).finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline that sends tokens to `endpoint` (the resource manager) and nowhere else.
    pub fn new(
        endpoint: Url,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        tokens: Arc<dyn TokenSource>,
        user_agent: &str,
        retry: RetryOptions,
    ) -> Pipeline {
        let user_agent = HeaderValue::from_str(user_agent)
            .unwrap_or_else(|_| HeaderValue::from_static("terraform-provider-dataprotection"));
        Pipeline { transport, clock, tokens, endpoint, user_agent, retry, registrations: Registrations::new(true) }
    }

    /// Whether to register Microsoft.DataProtection in a subscription that answers 409
    /// `MissingSubscriptionRegistration` (on by default; `skip_provider_registration` turns it off).
    pub fn with_provider_registration(mut self, enabled: bool) -> Pipeline {
        self.registrations.enable(enabled);
        self
    }

    /// The resource manager endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Refuses any URL that is not on the resource manager's scheme, host and port: the bearer token goes there
    /// and nowhere else, whatever a polling header or a `nextLink` says.
    pub fn check_url(&self, url: &Url) -> Result<(), ArmError> {
        let same = url.scheme() == self.endpoint.scheme()
            && url.host_str().map(str::to_ascii_lowercase) == self.endpoint.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.endpoint.port_or_known_default();
        if same {
            Ok(())
        } else {
            Err(ArmError::new(
                ErrorKind::Refused,
                format!(
                    "Azure pointed the provider at {}://{}, which is not the configured resource manager ({}); the \
                     provider sends its token only to the resource manager, so it did not follow the URL",
                    url.scheme(),
                    url.host_str().unwrap_or("?").to_owned() + &url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                    self.endpoint.as_str().trim_end_matches('/')
                ),
            ))
        }
    }

    /// Sends a request with retries and returns the final response, whatever its status. Errors are for
    /// requests that got no usable answer: refused URLs, tokens, transport failures, deadlines and stops.
    ///
    /// Each try runs the same steps: sign in (`sign_in`), headers (`headers`), the transport within the try's budget,
    /// with logging (`attempt`), then what to do with the answer (`decide`): return it, renew the token, wait out
    /// throttling, or back off and retry.
    ///
    /// A 409 `MissingSubscriptionRegistration` for Microsoft.DataProtection registers the namespace in the
    /// subscription ([`registration`](super::registration)) and tries again, unless registration is turned off.
    pub async fn send(
        &self,
        call: &CallContext,
        method: Method,
        url: Url,
        body: Option<Bytes>,
    ) -> Result<HttpResponse, ArmError> {
        self.send_with(call, method, url, body, self.registrations.enabled()).await
    }

    async fn send_with(
        &self,
        call: &CallContext,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        may_register: bool,
    ) -> Result<HttpResponse, ArmError> {
        self.check_url(&url)?;
        let mut tries = Tries { may_register, ..Tries::default() };
        let mut rejected: Option<AccessToken> = None;
        loop {
            tries.attempt += 1;
            if call.stop.is_cancelled() {
                return Err(stopped(&method, &url));
            }
            let token = self.sign_in(call, rejected.take(), &method, &url).await?;
            let headers = self.headers(call, &token, body.is_some())?;
            let request = HttpRequest { method: method.clone(), url: url.clone(), headers, body: body.clone() };
            let outcome = self.attempt(call, request, tries.attempt).await?;
            match self.decide(call, outcome, &mut tries, &method, &url)? {
                Next::Done(response) => return Ok(response),
                Next::RenewToken => rejected = Some(token),
                Next::Wait(delay) => self.pause(call, delay, &method, &url).await?,
                Next::Register(subscription) => Box::pin(self.register(call, &subscription)).await?,
            }
        }
    }

    /// Registers Microsoft.DataProtection in `subscription` and waits until ARM reports it `Registered`, within the
    /// call's deadline (the requests and answers are the [`registration`](super::registration) module's).
    /// Concurrent calls wait for one registration. A registration that cannot be started (the principal may not
    /// register providers) or that outlasts the deadline is an error that says what to do.
    async fn register(&self, call: &CallContext, subscription: &str) -> Result<(), ArmError> {
        let Some(mut registration) = self.registrations.start(&self.endpoint, subscription).await? else {
            return Ok(());
        };
        let (mut method, mut url) = (Method::POST, registration.register_url());
        loop {
            let response = self
                .send_with(call, method, url, None, false)
                .await?
                .error_for_status()
                .map_err(|error| registration.failed(error))?;
            let asked = server_delay(&response.headers, self.clock.wall());
            let now = self.clock.now();
            let Some(delay) = registration.answer(&response.body, asked, now, call.deadline, &call.timeout_label)?
            else {
                return Ok(());
            };
            self.pause(call, delay, &Method::GET, registration.provider()).await?;
            (method, url) = (Method::GET, registration.read_url());
        }
    }

    /// The token for a try: a renewed one when the last was `rejected` (401), else the cached one. Signing in may
    /// reach Entra (or run the Azure CLI): it counts against the call's deadline and ends on Terraform's stop.
    async fn sign_in(
        &self,
        call: &CallContext,
        rejected: Option<AccessToken>,
        method: &Method,
        url: &Url,
    ) -> Result<AccessToken, ArmError> {
        let remaining = call.deadline.saturating_duration_since(self.clock.now());
        let fetch = async {
            match rejected {
                Some(old) => self.tokens.refreshed(&old).await,
                None => self.tokens.token(false).await,
            }
        };
        tokio::select! {
            biased;
            _ = call.stop.cancelled() => Err(stopped(method, url)),
            result = tokio::time::timeout(remaining, fetch) => match result {
                Ok(token) => token,
                Err(_) => Err(timeout(call, method, url, None)),
            },
        }
    }

    /// The headers of every request: the bearer token (marked sensitive, so it is never logged), JSON, the user
    /// agent and the call's correlation ID.
    fn headers(&self, call: &CallContext, token: &AccessToken, has_body: bool) -> Result<HeaderMap, ArmError> {
        let mut headers = HeaderMap::new();
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.token.expose())).map_err(|_| {
            ArmError::new(ErrorKind::Authentication, "the access token has characters a header cannot hold")
        })?;
        bearer.set_sensitive(true);
        headers.insert(AUTHORIZATION, bearer);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Ok(id) = HeaderValue::from_str(&call.correlation_id) {
            headers.insert("x-ms-correlation-request-id", id);
        }
        if has_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        Ok(headers)
    }

    /// One try through the transport, within the smaller of the call's remaining time and the try timeout, logged
    /// with its status and request IDs (never a header's value). The outer error is the deadline or a stop.
    async fn attempt(
        &self,
        call: &CallContext,
        request: HttpRequest,
        attempt: u32,
    ) -> Result<Result<HttpResponse, TransportError>, ArmError> {
        let (method, url) = (request.method.clone(), request.url.clone());
        let started = self.clock.now();
        if started >= call.deadline {
            return Err(timeout(call, &method, &url, None));
        }
        let budget = (call.deadline - started).min(self.retry.try_timeout);
        let outcome = tokio::select! {
            biased;
            _ = call.stop.cancelled() => return Err(stopped(&method, &url)),
            result = tokio::time::timeout(budget, self.transport.send(request)) => result,
        };
        let elapsed_ms = self.clock.now().saturating_duration_since(started).as_millis() as u64;
        let outcome = match outcome {
            Ok(result) => result,
            Err(_) => Err(TransportError { message: format!("no response within {} s", budget.as_secs()) }),
        };
        match &outcome {
            Ok(response) => tracing::debug!(
                http.method = %method,
                http.path = url.path(),
                http.status = response.status.as_u16(),
                request_id = response.header("x-ms-request-id").unwrap_or(""),
                correlation_id = call.correlation_id.as_str(),
                attempt,
                elapsed_ms,
                "azure request"
            ),
            Err(error) => tracing::debug!(
                http.method = %method,
                http.path = url.path(),
                error = error.message.as_str(),
                attempt,
                elapsed_ms,
                "azure request got no response"
            ),
        }
        Ok(outcome)
    }

    /// What a try's outcome means: the answer to return; a 401 that renews the token once per call (a token that
    /// expired or was revoked is replaced, a principal without access does not loop); a 429 waited out as Azure
    /// asks, until the deadline; or a 408, 5xx or dropped connection retried with backoff, up to the retry limit
    /// and never past the deadline.
    fn decide(
        &self,
        call: &CallContext,
        outcome: Result<HttpResponse, TransportError>,
        tries: &mut Tries,
        method: &Method,
        url: &Url,
    ) -> Result<Next, ArmError> {
        let (delay, last_error) = match outcome {
            Ok(response) => {
                let status = response.status;
                if status == StatusCode::UNAUTHORIZED && !tries.renewed_token {
                    tries.renewed_token = true;
                    tracing::debug!(
                        http.path = url.path(),
                        "the resource manager answered 401; renewing the token and trying once more"
                    );
                    return Ok(Next::RenewToken);
                }
                if status == StatusCode::TOO_MANY_REQUESTS {
                    let delay = server_delay(&response.headers, self.clock.wall())
                        .unwrap_or_else(|| self.backoff(tries.retries));
                    if self.clock.now() + delay > call.deadline {
                        let base = ArmError::from_response(status, &response.headers, &response.body);
                        return Err(throttled(call, base, delay));
                    }
                    tracing::info!(
                        http.path = url.path(),
                        delay_ms = delay.as_millis() as u64,
                        "azure is throttling; waiting as it asked"
                    );
                    return Ok(Next::Wait(delay));
                }
                if status == StatusCode::CONFLICT
                    && tries.may_register
                    && let Some(subscription) = missing_registration(&response.body, url)
                {
                    tries.may_register = false;
                    return Ok(Next::Register(subscription));
                }
                if !is_retryable(status) || tries.retries >= self.retry.max_retries {
                    return Ok(Next::Done(response));
                }
                let delay =
                    server_delay(&response.headers, self.clock.wall()).unwrap_or_else(|| self.backoff(tries.retries));
                (delay, ArmError::from_response(status, &response.headers, &response.body))
            }
            Err(error) => {
                let error =
                    ArmError::new(ErrorKind::Transport, format!("{} {}: {}", method, url.path(), error.message));
                if tries.retries >= self.retry.max_retries {
                    return Err(error);
                }
                (self.backoff(tries.retries), error)
            }
        };
        tries.retries += 1;
        if self.clock.now() + delay > call.deadline {
            return Err(timeout(call, method, url, Some(last_error)));
        }
        tracing::info!(
            http.path = url.path(),
            delay_ms = delay.as_millis() as u64,
            retry = tries.retries,
            "retrying azure request"
        );
        Ok(Next::Wait(delay))
    }

    /// Sleeps, unless Terraform asks the provider to stop first.
    async fn pause(&self, call: &CallContext, delay: Duration, method: &Method, url: &Url) -> Result<(), ArmError> {
        tokio::select! {
            biased;
            _ = call.stop.cancelled() => Err(stopped(method, url)),
            _ = self.clock.sleep(delay) => Ok(()),
        }
    }

    /// Capped exponential backoff with ±20 % jitter.
    fn backoff(&self, retries: u32) -> Duration {
        let base = self.retry.initial_backoff.saturating_mul(1u32 << retries.min(16)).min(self.retry.max_backoff);
        base.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

/// What one call's tries have used up so far.
#[derive(Default)]
struct Tries {
    /// Tries sent.
    attempt: u32,
    /// Retries after 408, 5xx or dropped connections (429s do not count: they are waited out until the deadline).
    retries: u32,
    /// Whether a 401 has already renewed the token in this call.
    renewed_token: bool,
    /// Whether a 409 `MissingSubscriptionRegistration` may still register the namespace (once per call).
    may_register: bool,
}

/// What a call does after a try.
enum Next {
    /// Return this answer.
    Done(HttpResponse),
    /// Try again at once with a renewed token.
    RenewToken,
    /// Try again after this delay.
    Wait(Duration),
    /// Register Microsoft.DataProtection in this subscription, then try again.
    Register(String),
}

/// 408, 500, 502, 503 and 504 are worth another try; other statuses are the answer.
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 500 | 502 | 503 | 504)
}

/// The delay a response asks for: `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` (seconds or an
/// HTTP date).
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = get(name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = get("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn stopped(method: &Method, url: &Url) -> ArmError {
    ArmError::new(ErrorKind::Stopped, format!("Terraform asked the provider to stop during {method} {}", url.path()))
}

fn timeout(call: &CallContext, method: &Method, url: &Url, last: Option<ArmError>) -> ArmError {
    let mut error = match last {
        Some(last) => {
            let mut e = last.clone();
            e.kind = ErrorKind::Timeout;
            e.message = format!(
                "the {} ran out while retrying {method} {} after: {}",
                call.timeout_label,
                url.path(),
                last.message
            );
            e
        }
        None => ArmError::new(
            ErrorKind::Timeout,
            format!("the {} ran out before {method} {} could be sent", call.timeout_label, url.path()),
        ),
    };
    error
        .recommended_actions
        .push("Raise the timeout in the resource's timeouts block, or try again later.".to_owned());
    error
}

fn throttled(call: &CallContext, base: ArmError, delay: Duration) -> ArmError {
    let mut error = base;
    error.kind = ErrorKind::Throttled;
    error.message = format!(
        "Azure was throttling requests (HTTP 429, asked to wait {} s), and waiting would pass the {}: {}",
        delay.as_secs_f64().ceil() as u64,
        call.timeout_label,
        error.message
    );
    error.recommended_actions.push(
        "Lower terraform's -parallelism, spread the work over more time, or raise the timeout in the resource's \
         timeouts block."
            .to_owned(),
    );
    error
}

#[cfg(test)]
pub(crate) mod testing {
    //! A scripted transport, a clock that never sleeps and a fixed token, for unit tests here and in the poller.

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::arm::auth::{AccessToken, Secret};

    /// One scripted answer.
    pub enum Scripted {
        Respond(u16, Vec<(&'static str, String)>, &'static str),
        Fail(&'static str),
    }

    /// What the transport saw: method, URL, the time on the test clock, the Authorization header.
    #[derive(Clone, Debug)]
    pub struct Seen {
        pub method: Method,
        pub url: String,
        pub at: Duration,
        pub authorization: Option<String>,
        pub body: Option<Bytes>,
    }

    pub struct ScriptedTransport {
        pub script: Mutex<VecDeque<Scripted>>,
        pub seen: Mutex<Vec<Seen>>,
        pub clock: Arc<TestClock>,
    }

    #[async_trait]
    impl Transport for ScriptedTransport {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.seen.lock().unwrap().push(Seen {
                method: request.method.clone(),
                url: request.url.to_string(),
                at: self.clock.elapsed(),
                authorization: request.headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap().to_owned()),
                body: request.body.clone(),
            });
            let next = self.script.lock().unwrap().pop_front().expect("the test script ran out of answers");
            match next {
                Scripted::Respond(status, headers, body) => {
                    let mut map = HeaderMap::new();
                    for (k, v) in headers {
                        map.insert(k, v.parse().unwrap());
                    }
                    Ok(HttpResponse {
                        status: StatusCode::from_u16(status).unwrap(),
                        headers: map,
                        body: Bytes::from_static(body.as_bytes()),
                    })
                }
                Scripted::Fail(message) => Err(TransportError { message: message.to_owned() }),
            }
        }
    }

    /// A clock whose sleeps advance it instantly.
    pub struct TestClock {
        start: Instant,
        offset: Mutex<Duration>,
    }

    impl TestClock {
        pub fn new() -> TestClock {
            TestClock { start: Instant::now(), offset: Mutex::new(Duration::ZERO) }
        }
        pub fn elapsed(&self) -> Duration {
            *self.offset.lock().unwrap()
        }
    }

    #[async_trait]
    impl Clock for TestClock {
        fn now(&self) -> Instant {
            self.start + self.elapsed()
        }
        fn wall(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + self.elapsed()
        }
        async fn sleep(&self, duration: Duration) {
            *self.offset.lock().unwrap() += duration;
        }
    }

    /// Hands out `token-1`, `token-2`, ... counting refreshes.
    pub struct CountingTokens {
        pub issued: Mutex<u32>,
    }

    #[async_trait]
    impl TokenSource for CountingTokens {
        async fn token(&self, refresh: bool) -> Result<AccessToken, ArmError> {
            let mut n = self.issued.lock().unwrap();
            if refresh || *n == 0 {
                *n += 1;
            }
            Ok(AccessToken { token: Secret::new(format!("token-{n}")), expires_at: SystemTime::UNIX_EPOCH })
        }
    }

    pub struct Harness {
        pub pipeline: Arc<Pipeline>,
        pub transport: Arc<ScriptedTransport>,
        pub clock: Arc<TestClock>,
    }

    impl Harness {
        pub fn new(script: Vec<Scripted>) -> Harness {
            let clock = Arc::new(TestClock::new());
            let transport = Arc::new(ScriptedTransport {
                script: Mutex::new(script.into()),
                seen: Mutex::new(Vec::new()),
                clock: clock.clone(),
            });
            let retry = RetryOptions { initial_backoff: Duration::from_secs(1), ..RetryOptions::default() };
            let pipeline = Arc::new(Pipeline::new(
                Url::parse("https://management.example.test").unwrap(),
                transport.clone(),
                clock.clone(),
                Arc::new(CountingTokens { issued: Mutex::new(0) }),
                "test",
                retry,
            ));
            Harness { pipeline, transport, clock }
        }

        pub fn call(&self, timeout: Duration) -> CallContext {
            CallContext::new(self.clock.now(), timeout, "read timeout (5m)", CancellationToken::new())
        }

        pub fn seen(&self) -> Vec<Seen> {
            self.transport.seen.lock().unwrap().clone()
        }
    }

    pub fn url(path: &str) -> Url {
        Url::parse(&format!("https://management.example.test{path}")).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_redirect_is_an_error_naming_where_it_pointed() {
        let mut headers = HeaderMap::new();
        headers.insert("location", HeaderValue::from_static("https://elsewhere.example/x?y"));
        let response = HttpResponse { status: StatusCode::TEMPORARY_REDIRECT, headers, body: Bytes::new() };
        let error = response.error_for_status().unwrap_err();
        assert_eq!(error.kind, ErrorKind::Refused);
        assert_eq!(error.status, Some(307));
        assert!(error.message.contains("redirect to https://elsewhere.example;"), "{}", error.message);
    }

    #[tokio::test]
    async fn throttling_waits_exactly_as_asked_then_succeeds() {
        let h = Harness::new(vec![
            Scripted::Respond(
                429,
                vec![("retry-after", "7".into())],
                r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
            ),
            Scripted::Respond(429, vec![("retry-after-ms", "1500".into()), ("retry-after", "9".into())], ""),
            Scripted::Respond(200, vec![], "{}"),
        ]);
        let r = h.pipeline.send(&h.call(5 * MIN), Method::GET, url("/x"), None).await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let at: Vec<_> = h.seen().iter().map(|s| s.at).collect();
        assert_eq!(at, vec![Duration::ZERO, Duration::from_secs(7), Duration::from_millis(8500)]);
    }

    #[tokio::test]
    async fn throttling_past_the_deadline_says_azure_was_throttling() {
        let h = Harness::new(vec![Scripted::Respond(
            429,
            vec![("retry-after", "307".into()), ("x-ms-request-id", "r1".into())],
            r#"{"error":{"code":"TooManyRequests","message":"Number of read requests exceeded the limit"}}"#,
        )]);
        let e = h.pipeline.send(&h.call(5 * MIN), Method::GET, url("/x"), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert!(e.message.contains("throttling") && e.message.contains("307 s") && e.message.contains("5m"), "{e}");
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        assert_eq!(h.seen().len(), 1, "no request is sent that could not be answered in time");
    }

    #[tokio::test]
    async fn http_date_retry_after_is_honoured() {
        let h = Harness::new(vec![]);
        let now = h.clock.wall();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", httpdate::fmt_http_date(now + Duration::from_secs(42)).parse().unwrap());
        assert_eq!(server_delay(&headers, now), Some(Duration::from_secs(42)));
        headers.insert("retry-after", httpdate::fmt_http_date(now - Duration::from_secs(42)).parse().unwrap());
        assert_eq!(server_delay(&headers, now), Some(Duration::ZERO));
        headers.insert("x-ms-retry-after-ms", "250".parse().unwrap());
        assert_eq!(server_delay(&headers, now), Some(Duration::from_millis(250)));
        assert_eq!(server_delay(&HeaderMap::new(), now), None);
    }

    #[tokio::test]
    async fn server_errors_and_dropped_connections_back_off_then_give_up() {
        let mut script = vec![Scripted::Fail("connection reset"), Scripted::Respond(503, vec![], "")];
        for _ in 0..5 {
            script.push(Scripted::Respond(500, vec![], r#"{"error":{"code":"InternalError","message":"boom"}}"#));
        }
        let h = Harness::new(script);
        let r =
            h.pipeline.send(&h.call(30 * MIN), Method::PUT, url("/x"), Some(Bytes::from_static(b"{}"))).await.unwrap();
        assert_eq!(r.status.as_u16(), 500, "after max_retries the last answer is returned");
        let seen = h.seen();
        assert_eq!(seen.len(), 7);
        for pair in seen.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(gap >= Duration::from_millis(800) && gap <= Duration::from_secs(36), "{gap:?}");
        }
        assert!(seen[3].at - seen[2].at > seen[1].at - seen[0].at, "backoff grows");
    }

    #[tokio::test]
    async fn server_errors_that_ask_for_a_delay_are_retried_exactly_then() {
        // ARM's services answer 503 (and sometimes 408) with Retry-After when they shed load: the delay they ask
        // for replaces the jittered backoff, as for 429, and still counts as one of the retries.
        let h = Harness::new(vec![
            Scripted::Respond(
                503,
                vec![("retry-after", "17".into())],
                r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#,
            ),
            Scripted::Respond(408, vec![("retry-after-ms", "2500".into()), ("retry-after", "40".into())], ""),
            Scripted::Respond(503, vec![("retry-after", "0".into())], ""),
            Scripted::Respond(200, vec![], "{}"),
        ]);
        let r = h.pipeline.send(&h.call(5 * MIN), Method::GET, url("/x"), None).await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let at: Vec<_> = h.seen().iter().map(|s| s.at).collect();
        let expected = [0, 17_000, 19_500, 19_500].map(Duration::from_millis);
        assert_eq!(at, expected, "each retry waits what the answer before it asked for, no more and no less");
    }

    #[tokio::test]
    async fn a_server_error_whose_delay_passes_the_deadline_ends_at_once() {
        let h = Harness::new(vec![Scripted::Respond(
            503,
            vec![("retry-after", "600".into()), ("x-ms-request-id", "r-503".into())],
            r#"{"error":{"code":"ServiceUnavailable","message":"try later"}}"#,
        )]);
        let e = h.pipeline.send(&h.call(5 * MIN), Method::GET, url("/x"), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(e.message.contains("ServiceUnavailable") || e.message.contains("try later"), "{e}");
        assert_eq!(e.request_id.as_deref(), Some("r-503"));
        assert_eq!(h.seen().len(), 1, "no retry is sent that the deadline would cut off");
        assert_eq!(h.clock.elapsed(), Duration::ZERO, "and no time is spent waiting for it");
    }

    const UNREGISTERED: &str = r#"{"error":{"code":"MissingSubscriptionRegistration","message":"The subscription is not registered to use namespace 'Microsoft.DataProtection'. See https://aka.ms/rps-not-found for how to register subscriptions.","details":[{"code":"MissingSubscriptionRegistration","target":"Microsoft.DataProtection","message":"The subscription is not registered to use namespace 'Microsoft.DataProtection'."}]}}"#;
    const VAULT: &str = "/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v";

    #[tokio::test]
    async fn an_unregistered_subscription_is_registered_then_the_request_is_sent_again() {
        let h = Harness::new(vec![
            Scripted::Respond(409, vec![], UNREGISTERED),
            Scripted::Respond(
                200,
                vec![],
                r#"{"namespace":"Microsoft.DataProtection","registrationState":"Registering"}"#,
            ),
            Scripted::Respond(
                200,
                vec![],
                r#"{"namespace":"Microsoft.DataProtection","registrationState":"Registering"}"#,
            ),
            Scripted::Respond(
                200,
                vec![("retry-after", "3".into())],
                r#"{"namespace":"Microsoft.DataProtection","registrationState":"Registering"}"#,
            ),
            Scripted::Respond(
                200,
                vec![],
                r#"{"namespace":"Microsoft.DataProtection","registrationState":"Registered"}"#,
            ),
            Scripted::Respond(200, vec![], "{}"),
        ]);
        let r = h.pipeline.send(&h.call(5 * MIN), Method::GET, url(VAULT), None).await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let seen: Vec<_> = h.seen().iter().map(|s| (s.method.to_string(), s.url.clone(), s.at.as_secs())).collect();
        let provider = "https://management.example.test/subscriptions/s-1/providers/Microsoft.DataProtection";
        let vault = format!("https://management.example.test{VAULT}");
        assert_eq!(
            seen,
            vec![
                ("GET".to_owned(), vault.clone(), 0),
                ("POST".to_owned(), format!("{provider}/register?api-version=2021-04-01"), 0),
                ("GET".to_owned(), format!("{provider}?api-version=2021-04-01"), 10),
                ("GET".to_owned(), format!("{provider}?api-version=2021-04-01"), 20),
                ("GET".to_owned(), format!("{provider}?api-version=2021-04-01"), 23),
                ("GET".to_owned(), vault, 23),
            ]
        );
        // Registered once per pipeline: a later 409 is tried once more, with no second registration.
        for _ in 0..2 {
            h.transport.script.lock().unwrap().push_back(Scripted::Respond(409, vec![], UNREGISTERED));
        }
        let r = h.pipeline.send(&h.call(5 * MIN), Method::GET, url(VAULT), None).await.unwrap();
        assert_eq!(r.status.as_u16(), 409);
        assert!(h.seen()[6..].iter().all(|s| s.url.ends_with("/v")), "{:?}", h.seen());
        assert_eq!(h.seen().len(), 8);
    }

    #[tokio::test]
    async fn a_refused_registration_says_how_to_register_by_hand() {
        let h = Harness::new(vec![
            Scripted::Respond(409, vec![], UNREGISTERED),
            Scripted::Respond(
                403,
                vec![("x-ms-request-id", "r-9".into())],
                r#"{"error":{"code":"AuthorizationFailed","message":"The client 'c' does not have authorization to perform action 'Microsoft.DataProtection/register/action' over scope '/subscriptions/s-1'."}}"#,
            ),
        ]);
        let e = h.pipeline.send(&h.call(5 * MIN), Method::GET, url(VAULT), None).await.unwrap_err();
        assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
        assert!(e.message.contains("not registered for Microsoft.DataProtection, and registering it failed"), "{e}");
        assert!(e.recommended_actions.iter().any(|a| a.contains("az provider register")), "{e:?}");
        assert_eq!(e.request_id.as_deref(), Some("r-9"));
    }

    #[tokio::test]
    async fn a_registration_that_outlasts_the_deadline_says_it_goes_on() {
        let mut script = vec![Scripted::Respond(409, vec![], UNREGISTERED)];
        for _ in 0..3 {
            script.push(Scripted::Respond(200, vec![], r#"{"registrationState":"Registering"}"#));
        }
        let h = Harness::new(script);
        let e = h.pipeline.send(&h.call(Duration::from_secs(25)), Method::GET, url(VAULT), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(e.message.contains("was being registered") && e.message.contains("\"Registering\""), "{e}");
        assert_eq!(h.seen().len(), 4, "register, then reads at 10 s and 20 s; the next would pass the deadline");
    }

    #[tokio::test]
    async fn without_registration_the_409_is_the_answer() {
        let h = Harness::new(vec![Scripted::Respond(409, vec![], UNREGISTERED)]);
        let pipeline = Arc::try_unwrap(h.pipeline).ok().unwrap().with_provider_registration(false);
        let r = pipeline
            .send(&CallContext::new(h.clock.now(), MIN, "t", CancellationToken::new()), Method::GET, url(VAULT), None)
            .await
            .unwrap();
        assert_eq!(r.status.as_u16(), 409);
        let e = r.error_for_status().unwrap_err();
        assert!(e.recommended_actions.iter().any(|a| a.contains("skip_provider_registration")), "{e:?}");
    }

    #[tokio::test]
    async fn not_found_and_bad_request_are_not_retried() {
        let h = Harness::new(vec![Scripted::Respond(404, vec![], "")]);
        let r = h.pipeline.send(&h.call(MIN), Method::GET, url("/x"), None).await.unwrap();
        assert_eq!(r.status.as_u16(), 404);
        assert_eq!(h.seen().len(), 1);
        assert_eq!(h.seen()[0].method, Method::GET);
    }

    #[tokio::test]
    async fn a_401_refreshes_the_token_once() {
        let h = Harness::new(vec![
            Scripted::Respond(401, vec![], ""),
            Scripted::Respond(401, vec![], r#"{"error":{"code":"InvalidAuthenticationToken","message":"bad"}}"#),
        ]);
        let r = h.pipeline.send(&h.call(MIN), Method::GET, url("/x"), None).await.unwrap();
        assert_eq!(r.status.as_u16(), 401);
        let auth: Vec<_> = h.seen().iter().map(|s| s.authorization.clone().unwrap()).collect();
        assert_eq!(auth, vec!["Bearer token-1", "Bearer token-2"]);
    }

    #[tokio::test]
    async fn other_hosts_never_get_the_token() {
        let h = Harness::new(vec![]);
        for bad in [
            "https://evil.example.test/x",
            "http://management.example.test/x",
            "https://management.example.test:8443/x",
        ] {
            let e = h.pipeline.send(&h.call(MIN), Method::GET, Url::parse(bad).unwrap(), None).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Refused, "{bad}");
        }
        assert!(h.seen().is_empty());
        assert!(h.pipeline.check_url(&Url::parse("https://MANAGEMENT.example.test:443/y").unwrap()).is_ok());
    }

    /// Never answers, like an identity endpoint that accepted the connection and went quiet.
    struct HangingTokens;

    #[async_trait]
    impl TokenSource for HangingTokens {
        async fn token(&self, _refresh: bool) -> Result<AccessToken, ArmError> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn signing_in_counts_against_the_deadline_and_stops_on_request() {
        let h = Harness::new(vec![]);
        let pipeline = Pipeline::new(
            url("/"),
            h.transport.clone(),
            Arc::new(SystemClock),
            Arc::new(HangingTokens),
            "test",
            RetryOptions::default(),
        );
        let call = CallContext::new(Instant::now(), MIN, "1m", CancellationToken::new());
        let e = pipeline.send(&call, Method::GET, url("/x"), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
        let call = CallContext::new(Instant::now(), MIN, "1m", CancellationToken::new());
        let stop = call.stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            stop.cancel();
        });
        let e = pipeline.send(&call, Method::GET, url("/x"), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Stopped, "{e}");
        assert!(h.seen().is_empty(), "nothing was sent without a token");
    }

    #[tokio::test]
    async fn stop_interrupts_a_wait() {
        let h = Harness::new(vec![Scripted::Respond(429, vec![("retry-after", "10".into())], "")]);
        let call = h.call(MIN);
        call.stop.cancel();
        let e = h.pipeline.send(&call, Method::GET, url("/x"), None).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Stopped);
    }

    #[test]
    fn correlation_ids_look_like_uuids() {
        let id = new_correlation_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_correlation_id());
    }
}
