//! ARM throttling: token buckets per subscription and principal, per kind of request, a subscription-wide limit,
//! 429 with Retry-After, and the x-ms-ratelimit-remaining-subscription-* headers (CONTRACT.md §6).

use crate::support;

use std::time::Duration;

use dataprotection_emulator::ThrottleSettings;
use dataprotection_emulator::default_world as world;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{assert_error, header, instance_path, vault_path};

/// Reads: 10 at once, 1 per second; writes and deletes: 8 at once, 0.4 per second.
fn scaled() -> ThrottleSettings {
    ThrottleSettings { scale: 0.04, ..ThrottleSettings::default() }
}

#[tokio::test]
async fn the_default_limits_show_in_the_headers() {
    let test = support::start().await;
    let first = test.get(&test.arm(&vault_path())).await;
    assert_eq!(header(&first, "x-ms-ratelimit-remaining-subscription-reads"), "249");
    let second = test.get(&test.arm(&vault_path())).await;
    assert_eq!(header(&second, "x-ms-ratelimit-remaining-subscription-reads"), "248");
    let write = test.put(&test.arm(&world::resource_group_id("rg-x")), &json!({"location": "westus"})).await;
    assert_eq!(header(&write, "x-ms-ratelimit-remaining-subscription-writes"), "199");
    assert_eq!(header(&write, "x-ms-ratelimit-remaining-subscription-reads"), "");
    let delete = test.delete(&test.arm(&instance_path("none"))).await;
    assert_eq!(header(&delete, "x-ms-ratelimit-remaining-subscription-deletes"), "199");
}

#[tokio::test]
async fn an_empty_bucket_answers_429_with_retry_after_until_it_refills() {
    let test = support::start().await;
    test.state().set_throttling(scaled());
    let url = test.arm(&vault_path());
    for expected in (0..10).rev() {
        let response = test.get(&url).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ms-ratelimit-remaining-subscription-reads"), expected.to_string());
    }
    let throttled = test.get(&url).await;
    let retry_after: u64 = header(&throttled, "retry-after").parse().expect("Retry-After in seconds");
    assert_eq!(retry_after, 1);
    assert_eq!(header(&throttled, "x-ms-ratelimit-remaining-subscription-reads"), "0");
    let body = assert_error(throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("https://aka.ms/arm-throttling"), "{body}");
    // A request before the time has passed is refused again.
    assert_eq!(test.get(&url).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // Writes are counted separately and are still allowed.
    let write = test.put(&test.arm(&world::resource_group_id("rg-y")), &json!({"location": "westus"})).await;
    assert_eq!(write.status(), StatusCode::CREATED);
    // After Retry-After seconds one token is back.
    test.state().advance_clock(Duration::from_secs(retry_after));
    assert_eq!(test.get(&url).await.status(), StatusCode::OK);
    assert_eq!(test.get(&url).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn deletes_have_their_own_bucket() {
    let test = support::start().await;
    test.state().set_throttling(scaled());
    let url = test.arm(&instance_path("none"));
    for _ in 0..8 {
        assert_eq!(test.delete(&url).await.status(), StatusCode::NO_CONTENT);
    }
    let throttled = test.delete(&url).await;
    assert_eq!(header(&throttled, "retry-after"), "3", "0.4 tokens per second");
    assert_error(throttled, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn principals_are_throttled_separately_within_the_subscription_limit() {
    let test = support::start().await;
    let oidc_token = test.state().issue_token(world::OIDC_CLIENT_ID).unwrap();
    let url = test.arm(&vault_path());

    test.state().set_throttling(scaled());
    for _ in 0..10 {
        assert_eq!(test.get(&url).await.status(), StatusCode::OK);
    }
    assert_eq!(test.get(&url).await.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = test.send_as(&oidc_token, Method::GET, &url, None).await;
    assert_eq!(other.status(), StatusCode::OK, "another principal has its own bucket");
    assert_eq!(header(&other, "x-ms-ratelimit-remaining-subscription-reads"), "9");

    // With a subscription-wide limit equal to one principal's, the principals share it.
    test.state().set_throttling(ThrottleSettings { global_multiplier: 1.0, ..scaled() });
    for _ in 0..5 {
        assert_eq!(test.get(&url).await.status(), StatusCode::OK);
    }
    for _ in 0..5 {
        assert_eq!(test.send_as(&oidc_token, Method::GET, &url, None).await.status(), StatusCode::OK);
    }
    let shared = test.send_as(&oidc_token, Method::GET, &url, None).await;
    assert_eq!(header(&shared, "x-ms-ratelimit-remaining-subscription-reads"), "0");
    assert_error(shared, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
}

#[tokio::test]
async fn sign_in_metadata_and_admin_requests_are_not_throttled() {
    let test = support::start().await;
    test.state().set_throttling(ThrottleSettings { scale: 0.004, ..ThrottleSettings::default() });
    for _ in 0..5 {
        assert_eq!(
            test.client.get(test.url("/metadata/endpoints?api-version=2022-09-01")).send().await.unwrap().status(),
            StatusCode::OK
        );
        assert_eq!(test.client.get(test.url("/_emulator/inventory")).send().await.unwrap().status(), StatusCode::OK);
        test.sign_in(world::CLIENT_ID, world::CLIENT_SECRET).await;
    }
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::OK);
    assert_eq!(test.get(&test.arm(&vault_path())).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn throttling_can_be_turned_off() {
    let test = support::start().await;
    test.state().set_throttling(ThrottleSettings { enabled: false, ..scaled() });
    for _ in 0..30 {
        let response = test.get(&test.arm(&vault_path())).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ms-ratelimit-remaining-subscription-reads"), "");
    }
}
