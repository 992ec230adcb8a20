//! Long-running operations, per ARM's asynchronous contract.
//!
//! The first response says how to follow the operation: an `Azure-AsyncOperation` URL (preferred) answers
//! `{"status": ...}`; otherwise a `Location` URL answers 202 while running and the final result when done;
//! a PUT with neither is followed through the resource's own `provisioningState`. Statuses are compared
//! case-insensitively (the Data Protection service says `Inprogress`), only Succeeded, Failed and Canceled
//! end an operation, and the next poll is never sent before the delay the last response asked for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use url::Url;

use super::error::{ArmError, ErrorKind};
use super::models::OperationStatus;
use super::pipeline::{CallContext, Clock, HttpResponse, Pipeline, server_delay};

/// The longest wait between polls when Azure does not say how long to wait.
pub const DEFAULT_POLL_DELAY: Duration = Duration::from_secs(10);

/// When to poll an operation whose answers ask for no delay (Azure's Data Protection status URLs carry no
/// `Retry-After`): soon for what finishes soon, then every [`DEFAULT_POLL_DELAY`].
///
/// The schedules follow the durations recorded against the live service: resource writes (a vault PUT, an
/// instance PUT) ended within one to two seconds, and the backup instance operations that do work on the
/// datasource (validateForBackup, DELETE, resumeProtection) took 20 to 43 seconds. A write is polled after 1, 2, 4
/// and 8 seconds, then every 10: a 1-second operation is seen after 1 second with one poll, where a fixed 10-second
/// interval saw it after 10. A long operation is polled after 5 seconds, then every 10: a 41-second validation is
/// seen after 45 seconds with five polls, as many as a fixed 10-second interval needed to see it after 50.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollSchedule {
    /// Resource writes (PUT, PATCH) and reads that wait for a state to settle.
    Write,
    /// Actions and deletes (POST, DELETE): work on the datasource that takes tens of seconds.
    Long,
}

impl PollSchedule {
    /// The schedule for an operation started with `method`.
    pub fn for_method(method: &Method) -> PollSchedule {
        if *method == Method::PUT || *method == Method::PATCH { PollSchedule::Write } else { PollSchedule::Long }
    }

    /// The wait before poll number `polls` (0 for the first) when Azure asks for none.
    pub fn delay(self, polls: u32) -> Duration {
        let seconds = match (self, polls) {
            (PollSchedule::Write, n) if n < 4 => 1 << n,
            (PollSchedule::Long, 0) => 5,
            _ => return DEFAULT_POLL_DELAY,
        };
        Duration::from_secs(seconds)
    }
}
/// The longest delay honoured between polls (ARM's own maximum for `Retry-After`).
pub const MAX_POLL_DELAY: Duration = Duration::from_secs(600);

/// How an operation is followed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Monitor {
    /// Finished with the first response.
    Done,
    /// `Azure-AsyncOperation`: a status document.
    AsyncOperation(Url),
    /// `Location`: 202 until done.
    Location(Url),
    /// GET the resource and read `properties.provisioningState`.
    ResourceState(Url),
}

/// A long-running operation Azure has accepted. It holds the pipeline its polls go through.
#[derive(Debug)]
pub struct Operation {
    pipeline: Arc<Pipeline>,
    what: String,
    monitor: Monitor,
    next_poll: Instant,
    /// When to poll while Azure asks for no delay, and how many polls were sent.
    schedule: PollSchedule,
    polls: u32,
    first: HttpResponse,
    /// A turn this operation holds until it is dropped (a vault whose writes go one at a time).
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// The terminal states.
enum Terminal {
    Succeeded,
    Failed,
    Canceled,
}

fn terminal(status: &str) -> Option<Terminal> {
    if status.eq_ignore_ascii_case("succeeded") {
        Some(Terminal::Succeeded)
    } else if status.eq_ignore_ascii_case("failed") {
        Some(Terminal::Failed)
    } else if status.eq_ignore_ascii_case("canceled") || status.eq_ignore_ascii_case("cancelled") {
        Some(Terminal::Canceled)
    } else {
        None
    }
}

impl Operation {
    /// The same operation, holding `turn` until it is dropped.
    pub fn holding(mut self, turn: Option<tokio::sync::OwnedMutexGuard<()>>) -> Operation {
        self.turn = turn;
        self
    }

    /// Reads how to follow an operation from its accepted (2xx) first response. `what` names the operation in
    /// errors, for example `creating backup instance {id}`.
    pub fn begin(
        pipeline: &Arc<Pipeline>,
        method: Method,
        resource_url: Url,
        first: HttpResponse,
        what: impl Into<String>,
    ) -> Result<Operation, ArmError> {
        let what = what.into();
        let parse = |name: &str| -> Result<Option<Url>, ArmError> {
            let Some(raw) = first.header(name) else { return Ok(None) };
            let url = Url::parse(raw).map_err(|_| {
                ArmError::new(ErrorKind::InvalidResponse, format!("Azure's {name} header is not an absolute URL"))
                    .context(what.clone())
            })?;
            pipeline.check_url(&url).map_err(|e| e.context(what.clone()))?;
            Ok(Some(url))
        };
        let async_operation = parse("azure-asyncoperation")?;
        let location = parse("location")?;
        let monitor = match (async_operation, location) {
            (Some(url), _) => Monitor::AsyncOperation(url),
            (None, Some(url)) => Monitor::Location(url),
            (None, None) => match (&method, first.status.as_u16()) {
                (m, 200 | 201) if *m == Method::PUT || *m == Method::PATCH => {
                    let state = provisioning_state(&first);
                    match state.as_deref().and_then(terminal) {
                        None if state.is_some() => Monitor::ResourceState(resource_url),
                        _ => Monitor::Done,
                    }
                }
                (_, 202) => {
                    return Err(ArmError::new(
                        ErrorKind::InvalidResponse,
                        "Azure accepted the request (202) but gave no Azure-AsyncOperation or Location header to \
                         follow it",
                    )
                    .context(what));
                }
                _ => Monitor::Done,
            },
        };
        let schedule = PollSchedule::for_method(&method);
        let delay = server_delay(&first.headers, pipeline.clock().wall()).unwrap_or_else(|| schedule.delay(0));
        let next_poll = pipeline.clock().now() + delay.min(MAX_POLL_DELAY);
        Ok(Operation { pipeline: pipeline.clone(), what, monitor, next_poll, schedule, polls: 0, first, turn: None })
    }

    /// The first response.
    pub fn first_response(&self) -> &HttpResponse {
        &self.first
    }

    /// True when the first response already finished the operation.
    pub fn is_done(&self) -> bool {
        self.monitor == Monitor::Done
    }

    /// Follows the operation to its end. Returns the final response when the operation was followed through
    /// its `Location` (or the resource itself), `None` after an `Azure-AsyncOperation` ends `Succeeded`.
    pub async fn wait(&mut self, call: &CallContext) -> Result<Option<HttpResponse>, ArmError> {
        let pipeline = self.pipeline.clone();
        loop {
            let url = match &self.monitor {
                Monitor::Done => return Ok(Some(self.first.clone())),
                Monitor::AsyncOperation(url) | Monitor::Location(url) | Monitor::ResourceState(url) => url.clone(),
            };
            self.sleep_until_next_poll(&pipeline, call).await?;
            let response =
                pipeline.send(call, Method::GET, url.clone(), None).await.map_err(|e| e.context(self.what.clone()))?;
            self.polls = self.polls.saturating_add(1);
            let asked = server_delay(&response.headers, pipeline.clock().wall());
            let delay = asked.unwrap_or_else(|| self.schedule.delay(self.polls)).min(MAX_POLL_DELAY);
            self.next_poll = pipeline.clock().now() + delay;
            match self.monitor.clone() {
                Monitor::AsyncOperation(_) => {
                    if let Some(done) = self.read_status_document(response)? {
                        return Ok(done);
                    }
                }
                Monitor::Location(_) => match response.status.as_u16() {
                    202 => {
                        if let Some(next) = response.header("location").and_then(|l| Url::parse(l).ok()) {
                            pipeline.check_url(&next).map_err(|e| e.context(self.what.clone()))?;
                            self.monitor = Monitor::Location(next);
                        }
                    }
                    200..=299 => return Ok(Some(response)),
                    _ => {
                        return Err(ArmError::from_response(response.status, &response.headers, &response.body)
                            .context(self.what.clone()));
                    }
                },
                Monitor::ResourceState(_) => {
                    let response = response.error_for_status().map_err(|e| e.context(self.what.clone()))?;
                    match provisioning_state(&response).as_deref().map(|s| (s.to_owned(), terminal(s))) {
                        None | Some((_, Some(Terminal::Succeeded))) => return Ok(Some(response)),
                        Some((state, Some(_))) => {
                            return Err(ArmError::new(
                                ErrorKind::OperationFailed,
                                format!("the resource's provisioning state became {state}"),
                            )
                            .context(self.what.clone()));
                        }
                        Some((_, None)) => {}
                    }
                }
                Monitor::Done => unreachable!("handled above"),
            }
        }
    }

    /// Reads an `Azure-AsyncOperation` answer: `Some` when the operation is over.
    fn read_status_document(&self, response: HttpResponse) -> Result<Option<Option<HttpResponse>>, ArmError> {
        let response = response.error_for_status().map_err(|e| {
            let mut e = e.context(format!("{}: reading the operation's status", self.what));
            e.recommended_actions.push(
                "The operation may still be running in Azure; run terraform again to pick up its result.".to_owned(),
            );
            e
        })?;
        let document: OperationStatus = response.json().map_err(|e| e.context(self.what.clone()))?;
        let status = document
            .status
            .clone()
            .or_else(|| {
                document
                    .properties
                    .as_ref()
                    .and_then(|p| p.get("provisioningState"))
                    .and_then(|s| s.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let with_ids = |mut e: ArmError| {
            e.request_id = e.request_id.take().or_else(|| response.header("x-ms-request-id").map(str::to_owned));
            e.correlation_id =
                e.correlation_id.take().or_else(|| response.header("x-ms-correlation-request-id").map(str::to_owned));
            e.context(self.what.clone())
        };
        match terminal(&status) {
            Some(Terminal::Succeeded) => {
                tracing::debug!(operation = self.what.as_str(), "operation succeeded");
                Ok(Some(None))
            }
            Some(Terminal::Failed) => Err(with_ids(match &document.error {
                Some(detail) => ArmError::from_error_detail(ErrorKind::OperationFailed, detail),
                None => ArmError::new(ErrorKind::OperationFailed, "the operation failed and Azure gave no reason"),
            })),
            Some(Terminal::Canceled) => Err(with_ids(match &document.error {
                Some(detail) => ArmError::from_error_detail(ErrorKind::OperationCanceled, detail),
                None => ArmError::new(ErrorKind::OperationCanceled, "the operation was canceled in Azure"),
            })),
            None => {
                tracing::trace!(operation = self.what.as_str(), status = status.as_str(), "operation still running");
                Ok(None)
            }
        }
    }

    async fn sleep_until_next_poll(&self, pipeline: &Pipeline, call: &CallContext) -> Result<(), ArmError> {
        let stopped = || {
            ArmError::new(
                ErrorKind::Stopped,
                "Terraform asked the provider to stop while the operation was running in Azure",
            )
            .context(self.what.clone())
        };
        match wait_for_next_poll(pipeline.clock().as_ref(), call, self.next_poll, stopped).await? {
            Wake::Due => Ok(()),
            Wake::Deadline => {
                let mut e = ArmError::new(
                    ErrorKind::Timeout,
                    format!("the {} ran out while the operation was still running in Azure", call.timeout_label),
                )
                .context(self.what.clone());
                e.recommended_actions.push(
                    "Raise the timeout in the resource's timeouts block; run terraform again to pick up the result."
                        .to_owned(),
                );
                Err(e)
            }
        }
    }
}

/// How [`wait_for_next_poll`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The time of the next poll came.
    Due,
    /// The call's deadline came first, and it has passed: the caller reports its timeout.
    Deadline,
}

/// Waits until `next_poll`, or until the call's deadline when that comes first, so that a timeout fires when it
/// runs out, never earlier because the next poll would come after it. Terraform's stop ends the wait at once with
/// the error `stopped` makes.
pub async fn wait_for_next_poll(
    clock: &dyn Clock,
    call: &CallContext,
    next_poll: Instant,
    stopped: impl FnOnce() -> ArmError,
) -> Result<Wake, ArmError> {
    let wake = next_poll.min(call.deadline);
    let now = clock.now();
    if wake > now {
        tokio::select! {
            biased;
            _ = call.stop.cancelled() => return Err(stopped()),
            _ = clock.sleep(wake - now) => {}
        }
    }
    Ok(if next_poll > call.deadline { Wake::Deadline } else { Wake::Due })
}

/// `properties.provisioningState` of a resource body, when present.
fn provisioning_state(response: &HttpResponse) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    body.get("properties")?.get("provisioningState")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::StatusCode;

    use super::super::pipeline::testing::*;
    use super::*;

    const AAO: &str = "https://management.example.test/subscriptions/s/providers/Microsoft.DataProtection/locations/westus/operationStatus/op1?api-version=2026-06-01";
    const LOC: &str = "https://management.example.test/subscriptions/s/providers/Microsoft.DataProtection/locations/westus/operationResults/op1?api-version=2026-06-01";

    fn first(status: u16, headers: Vec<(&'static str, String)>, body: &'static str) -> HttpResponse {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(k, v.parse().unwrap());
        }
        HttpResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: bytes::Bytes::from_static(body.as_bytes()),
        }
    }

    #[tokio::test]
    async fn async_operation_is_polled_no_earlier_than_asked() {
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![("retry-after", "10".into())], r#"{"status":"Inprogress"}"#),
            Scripted::Respond(200, vec![("retry-after-ms", "2500".into())], r#"{"status":"InProgress"}"#),
            Scripted::Respond(200, vec![], r#"{"status":"SUCCEEDED"}"#),
        ]);
        let initial = first(201, vec![("azure-asyncoperation", AAO.into()), ("retry-after", "15".into())], "{}");
        let mut op = Operation::begin(&h.pipeline, Method::PUT, url("/bi"), initial, "creating x").unwrap();
        let done = op.wait(&h.call(Duration::from_secs(1800))).await.unwrap();
        assert!(done.is_none());
        let at: Vec<_> = h.seen().iter().map(|s| s.at).collect();
        assert_eq!(at, vec![Duration::from_secs(15), Duration::from_secs(25), Duration::from_millis(27_500)]);
        assert!(h.seen().iter().all(|s| s.url == AAO));
    }

    /// Follows an operation started with `method` whose answers ask for no delay, `polls` of them running.
    async fn unasked_poll_times(method: Method, polls: usize) -> Vec<Duration> {
        let mut script: Vec<Scripted> =
            (0..polls).map(|_| Scripted::Respond(200, vec![], r#"{"status":"Inprogress"}"#)).collect();
        script.push(Scripted::Respond(200, vec![], r#"{"status":"Succeeded"}"#));
        let h = Harness::new(script);
        let initial = first(202, vec![("azure-asyncoperation", AAO.into())], "");
        let mut op = Operation::begin(&h.pipeline, method, url("/op"), initial, "x").unwrap();
        op.wait(&h.call(Duration::from_secs(1800))).await.unwrap();
        h.seen().iter().map(|s| s.at).collect()
    }

    #[tokio::test]
    async fn without_retry_after_writes_are_polled_soon_and_long_operations_every_ten_seconds() {
        let secs = |v: &[u64]| v.iter().map(|s| Duration::from_secs(*s)).collect::<Vec<_>>();
        // A write: 1, 2, 4, 8 seconds apart, then 10.
        assert_eq!(unasked_poll_times(Method::PUT, 5).await, secs(&[1, 3, 7, 15, 25, 35]));
        assert_eq!(unasked_poll_times(Method::PUT, 0).await, secs(&[1]), "a quick write is seen after 1 s");
        // validateForBackup, a DELETE: 5 seconds, then every 10. A 41-second operation: five polls, seen at 45 s.
        assert_eq!(unasked_poll_times(Method::POST, 4).await, secs(&[5, 15, 25, 35, 45]));
        assert_eq!(unasked_poll_times(Method::DELETE, 1).await, secs(&[5, 15]));
    }

    #[tokio::test]
    async fn failed_operations_carry_azures_error() {
        let h = Harness::new(vec![Scripted::Respond(
            200,
            vec![("x-ms-request-id", "poll-req".into())],
            r#"{"status":"Failed","error":{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.","additionalInfo":[{"type":"UserFacingError","info":{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.","recommendedAction":["Grant appropriate permissions to perform this operation as mentioned at https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."]}}]}}"#,
        )]);
        let initial = first(
            202,
            vec![("azure-asyncoperation", AAO.into()), ("location", LOC.into()), ("retry-after", "10".into())],
            "",
        );
        let mut op =
            Operation::begin(&h.pipeline, Method::POST, url("/v/validateForBackup"), initial, "validating").unwrap();
        let e = op.wait(&h.call(Duration::from_secs(300))).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::OperationFailed);
        assert_eq!(e.code.as_deref(), Some("UserErrorMissingRequiredPermissions"));
        assert!(e.recommended_actions[0].starts_with("Grant appropriate permissions"));
        assert_eq!(e.request_id.as_deref(), Some("poll-req"));
        assert_eq!(e.context.as_deref(), Some("validating"));
    }

    #[tokio::test]
    async fn canceled_is_terminal_in_both_spellings() {
        for spelling in [r#"{"status":"Canceled"}"#, r#"{"status":"cancelled"}"#] {
            let h = Harness::new(vec![Scripted::Respond(200, vec![], spelling)]);
            let initial = first(202, vec![("azure-asyncoperation", AAO.into())], "");
            let mut op = Operation::begin(&h.pipeline, Method::DELETE, url("/bi"), initial, "deleting").unwrap();
            let e = op.wait(&h.call(Duration::from_secs(300))).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::OperationCanceled);
        }
    }

    #[tokio::test]
    async fn location_polling_follows_new_locations_and_returns_the_result() {
        let next = LOC.replace("op1", "op2");
        let h = Harness::new(vec![
            Scripted::Respond(202, vec![("location", next.clone()), ("retry-after", "3".into())], ""),
            Scripted::Respond(200, vec![], r#"{"jobId":"j"}"#),
        ]);
        let initial = first(202, vec![("location", LOC.into()), ("retry-after", "1".into())], "");
        let mut op = Operation::begin(&h.pipeline, Method::POST, url("/x"), initial, "x").unwrap();
        let done = op.wait(&h.call(Duration::from_secs(300))).await.unwrap().unwrap();
        assert_eq!(&done.body[..], br#"{"jobId":"j"}"#);
        let seen = h.seen();
        assert_eq!(seen[0].url, LOC);
        assert_eq!(seen[1].url, next);
        assert_eq!(seen[1].at, Duration::from_secs(4));
    }

    #[tokio::test]
    async fn polling_urls_on_other_hosts_are_refused_before_any_request() {
        let h = Harness::new(vec![]);
        let evil = "https://attacker.example.test/operationStatus/1";
        let initial = first(201, vec![("azure-asyncoperation", evil.into())], "{}");
        let e = Operation::begin(&h.pipeline, Method::PUT, url("/bi"), initial, "creating").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Refused);
        assert!(e.message.contains("attacker.example.test"), "{e}");
        assert!(h.seen().is_empty());
    }

    #[tokio::test]
    async fn a_put_without_headers_follows_provisioning_state() {
        let h = Harness::new(vec![
            Scripted::Respond(200, vec![], r#"{"properties":{"provisioningState":"Updating"}}"#),
            Scripted::Respond(200, vec![], r#"{"properties":{"provisioningState":"Succeeded"}}"#),
        ]);
        let initial = first(201, vec![], r#"{"properties":{"provisioningState":"Provisioning"}}"#);
        let mut op = Operation::begin(&h.pipeline, Method::PUT, url("/r"), initial, "creating").unwrap();
        assert!(!op.is_done());
        op.wait(&h.call(Duration::from_secs(300))).await.unwrap();
        assert_eq!(h.seen().len(), 2);
        let done = Operation::begin(&h.pipeline, Method::PUT, url("/r"), first(200, vec![], "{}"), "x").unwrap();
        assert!(done.is_done());
    }

    #[tokio::test]
    async fn an_operation_that_outlives_the_timeout_says_so() {
        let h = Harness::new(vec![Scripted::Respond(
            200,
            vec![("retry-after", "120".into())],
            r#"{"status":"Inprogress"}"#,
        )]);
        let initial = first(202, vec![("azure-asyncoperation", AAO.into()), ("retry-after", "30".into())], "");
        let mut op = Operation::begin(&h.pipeline, Method::DELETE, url("/bi"), initial, "deleting").unwrap();
        let e = op.wait(&h.call(Duration::from_secs(60))).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(e.message.contains("still running"), "{e}");
        assert_eq!(h.seen().len(), 1, "no poll is sent that could only come after the deadline");
        // The poll at 30 s asked for two more minutes: the wait goes on to the deadline, not a second less.
        assert_eq!(h.clock.elapsed(), Duration::from_secs(60), "the timeout fires when it runs out");
    }

    #[tokio::test]
    async fn a_202_without_headers_is_an_error() {
        let h = Harness::new(vec![]);
        let e = Operation::begin(&h.pipeline, Method::POST, url("/x"), first(202, vec![], ""), "x").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
    }
}
