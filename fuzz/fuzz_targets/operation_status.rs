//! Following a long-running operation when Azure's answers are anything at all: the first response's headers and
//! status, then status documents or Location answers from the fuzzer. Never a panic; always an end.
#![no_main]

use dataprotection::arm::pipeline::CallContext;
use dataprotection::arm::poller::Operation;
use dataprotection_fuzz::{ENDPOINT, Scripted, pipeline, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    // The rest is split at NUL bytes into up to four poll answers.
    let mut parts = rest.split(|b| *b == 0);
    let status_url =
        format!("{ENDPOINT}subscriptions/s/providers/Microsoft.DataProtection/locations/l/operationStatus/x");
    let (first_headers, first_status): (Vec<(&str, &str)>, u16) = match mode % 4 {
        0 => (vec![("azure-asyncoperation", status_url.as_str()), ("retry-after", "1")], 201),
        1 => (vec![("location", status_url.as_str()), ("retry-after-ms", "10")], 202),
        2 => (vec![], 200),
        _ => (vec![("azure-asyncoperation", "not a url")], 202),
    };
    let first_body = parts.next().unwrap_or_default();
    let first = response(first_status, &first_headers, first_body);
    let polls: Vec<_> = parts
        .take(4)
        .enumerate()
        .map(|(i, body)| {
            let status = [200, 202, 200, 500][(usize::from(mode >> 2) + i) % 4];
            response(status, &[("retry-after", "1")], body)
        })
        .collect();
    let pipeline = std::sync::Arc::new(pipeline(Scripted::new(polls)));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    runtime.block_on(async {
        let url = url::Url::parse(&format!("{ENDPOINT}subscriptions/s/x")).expect("url");
        let Ok(mut operation) = Operation::begin(&pipeline, http::Method::PUT, url, first, "fuzzing") else { return };
        let call =
            CallContext::new(pipeline.clock().now(), std::time::Duration::from_secs(3600), "fuzz", Default::default());
        if let Err(error) = operation.wait(&call).await {
            let _ = format!("{error} {}", error.detail());
        }
    });
    // The status document on its own, as the poller reads it.
    let _ = serde_json::from_slice::<dataprotection::arm::models::OperationStatus>(rest);
});
