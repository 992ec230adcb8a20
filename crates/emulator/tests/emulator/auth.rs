//! Sign-in and tokens: azure_identity's own credentials against the emulator's Entra and managed identity
//! endpoints, Entra's error shapes, and ARM's 401s for missing, invalid, expired and foreign tokens.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientMethodOptions, ClientOptions, Transport};
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use base64::Engine as _;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::scenario::{PrincipalKind, PrincipalSeed, SubscriptionSeed};
use dataprotection_emulator::{Scenario, ThrottleSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{TestEmulator, assert_error, header, vault_path};

/// azure_core client options that send through a client trusting the emulator's CA, with the emulator as the
/// authority host.
fn options(test: &TestEmulator) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = test.base().to_owned();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(test.client.clone()))),
        cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
        ..ClientOptions::default()
    }
}

async fn vault_status(test: &TestEmulator, token: &str) -> StatusCode {
    test.send_as(token, Method::GET, &test.arm(&vault_path()), None).await.status()
}

#[tokio::test]
async fn client_secret_credential_signs_in_and_its_token_opens_arm() {
    let test = support::start().await;
    let credential = ClientSecretCredential::new(
        world::TENANT_ID,
        world::CLIENT_ID.to_owned(),
        world::CLIENT_SECRET.into(),
        Some(ClientSecretCredentialOptions { client_options: options(&test) }),
    )
    .unwrap();
    for scope in [
        "https://management.azure.com/.default",
        "https://management.core.windows.net//.default",
        &format!("{}/.default", test.base()),
    ] {
        let token = credential.get_token(&[scope], None).await.unwrap_or_else(|error| panic!("{scope}: {error}"));
        let remaining = token.expires_on - time::OffsetDateTime::now_utc();
        assert!(remaining > time::Duration::minutes(55) && remaining <= time::Duration::minutes(60), "{remaining}");
        assert_eq!(vault_status(&test, token.token.secret()).await, StatusCode::OK, "{scope}");
    }
    let journal = test.state().journal();
    let token_requests: Vec<_> = journal.iter().filter(|entry| entry.operation == "Token").collect();
    assert!(token_requests.len() >= 3);
    assert!(token_requests.iter().all(|entry| entry.principal.as_deref() == Some(world::CLIENT_ID)));
}

#[tokio::test]
async fn a_wrong_secret_gets_entras_error() {
    let test = support::start().await;
    let credential = ClientSecretCredential::new(
        world::TENANT_ID,
        world::CLIENT_ID.to_owned(),
        "not-the-secret".into(),
        Some(ClientSecretCredentialOptions { client_options: options(&test) }),
    )
    .unwrap();
    let error = credential.get_token(&["https://management.azure.com/.default"], None).await.unwrap_err();
    assert!(error.to_string().contains("AADSTS7000215"), "{error}");

    let response = test
        .token_request(
            world::TENANT_ID,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", world::CLIENT_ID),
                ("client_secret", "x"),
                ("scope", "https://management.azure.com/.default"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS7000215: "), "{body}");
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field}: {body}");
    }
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_entra_refuses() {
    let test = support::start().await;
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", world::CLIENT_ID),
        ("client_secret", world::CLIENT_SECRET),
        ("scope", "https://management.azure.com/.default"),
    ];
    let with = |name: &str, value: &'static str| -> Vec<(&'static str, &'static str)> {
        good.iter().map(|(key, old)| if *key == name { (*key, value) } else { (*key, *old) }).collect()
    };
    // (tenant, form, status, Entra error, AADSTS code)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            world::TENANT_ID,
            with("client_id", "00000000-0000-0000-0000-0000000000ff"),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        ("11111111-1111-1111-1111-111111111111", good.to_vec(), StatusCode::BAD_REQUEST, "invalid_request", 90002),
        (
            world::TENANT_ID,
            with("scope", "https://graph.microsoft.com/.default"),
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
        ),
        (
            world::TENANT_ID,
            with("scope", "https://management.azure.com/user_impersonation"),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (world::TENANT_ID, with("grant_type", "password"), StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003),
        (
            world::TENANT_ID,
            good.iter().copied().filter(|(key, _)| *key != "grant_type").collect(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
    ];
    for (tenant, form, status, error, code) in cases {
        let response = test.token_request(tenant, &form).await;
        assert_eq!(response.status(), status, "{error}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
        assert_eq!(body["error_codes"][0], code, "{body}");
    }
    // The token lifetime is a setting; expires_in is a number, as azure_identity parses it.
    test.state().update_settings(|settings| settings.token_lifetime_seconds = 120);
    let body: Value = test.token_request(world::TENANT_ID, &good).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    assert_eq!(body["token_type"], "Bearer");
}

/// A client assertion, as a Kubernetes or GitHub Actions OIDC token would be.
fn assertion(audience: &str, expires_in: i64) -> String {
    let encode = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    format!(
        "{}.{}.{}",
        encode(json!({"alg": "RS256", "typ": "JWT"})),
        encode(
            json!({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:dpkit/demo:ref:refs/heads/main",
                      "aud": audience, "iat": now, "nbf": now, "exp": now + expires_in})
        ),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"signature")
    )
}

#[derive(Debug)]
struct FixedAssertion(String);

#[async_trait::async_trait]
impl ClientAssertion for FixedAssertion {
    async fn secret(&self, _options: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn client_assertion_and_workload_identity_credentials_sign_in() {
    let test = support::start().await;
    let credential = ClientAssertionCredential::new(
        world::TENANT_ID.to_owned(),
        world::OIDC_CLIENT_ID.to_owned(),
        FixedAssertion(assertion(world::OIDC_AUDIENCE, 600)),
        Some(ClientAssertionCredentialOptions { client_options: options(&test) }),
    )
    .unwrap();
    let token = credential.get_token(&["https://management.azure.com/.default"], None).await.unwrap();
    assert_eq!(vault_status(&test, token.token.secret()).await, StatusCode::OK);

    let token_file = test.dir.path().join("federated-token");
    std::fs::write(&token_file, assertion(world::OIDC_AUDIENCE, 600)).unwrap();
    let workload = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
        credential_options: ClientAssertionCredentialOptions { client_options: options(&test) },
        client_id: Some(world::OIDC_CLIENT_ID.to_owned()),
        tenant_id: Some(world::TENANT_ID.to_owned()),
        token_file_path: Some(token_file),
    }))
    .unwrap();
    let token = workload.get_token(&["https://management.core.windows.net//.default"], None).await.unwrap();
    assert_eq!(vault_status(&test, token.token.secret()).await, StatusCode::OK);
    let principal = test.state().journal().last().unwrap().principal.clone();
    assert_eq!(principal.as_deref(), Some(world::OIDC_CLIENT_ID));
}

#[tokio::test]
async fn assertions_are_checked_against_the_federated_credential() {
    let mut scenario = Scenario::default_world();
    scenario.principals.push(PrincipalSeed {
        kind: PrincipalKind::Federated,
        client_id: "00000000-0000-0000-0000-00000000c009".into(),
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        subject: Some("repo:dpkit/other:ref:refs/heads/main".into()),
        ..PrincipalSeed::default()
    });
    let test = support::start_with(scenario).await;
    let request = |client_id: &'static str, assertion: String| {
        let test = &test;
        async move {
            let response = test
                .token_request(
                    world::TENANT_ID,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                        ("client_assertion", &assertion),
                        ("scope", "https://management.azure.com/.default"),
                    ],
                )
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body["error_codes"][0].as_u64().unwrap_or(0))
        }
    };
    assert_eq!(request(world::OIDC_CLIENT_ID, assertion(world::OIDC_AUDIENCE, 600)).await.0, StatusCode::OK);
    assert_eq!(
        request(world::OIDC_CLIENT_ID, assertion("api://SomethingElse", 600)).await,
        (StatusCode::UNAUTHORIZED, 700212)
    );
    assert_eq!(
        request(world::OIDC_CLIENT_ID, assertion(world::OIDC_AUDIENCE, -60)).await,
        (StatusCode::UNAUTHORIZED, 700024)
    );
    assert_eq!(request(world::OIDC_CLIENT_ID, "not.a.jwt".into()).await, (StatusCode::BAD_REQUEST, 50027));
    assert_eq!(
        request("00000000-0000-0000-0000-00000000c009", assertion(world::OIDC_AUDIENCE, 600)).await,
        (StatusCode::UNAUTHORIZED, 700213)
    );
    assert_eq!(
        request(world::CLIENT_ID, assertion(world::OIDC_AUDIENCE, 600)).await,
        (StatusCode::UNAUTHORIZED, 700213)
    );
}

/// The child half of `managed_identity_credential_signs_in_through_the_identity_endpoint`, in a process of its own
/// because azure_identity reads `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` from the environment.
async fn managed_identity_child(ca: String, base: String) {
    let client = support::client_for(std::path::Path::new(&ca));
    for user_assigned_id in [None, Some(UserAssignedId::ClientId(world::MANAGED_IDENTITY_CLIENT_ID.to_owned()))] {
        let credential = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id,
            client_options: ClientOptions {
                transport: Some(Transport::new(Arc::new(client.clone()))),
                ..ClientOptions::default()
            },
        }))
        .expect("credential");
        let token = credential.get_token(&["https://management.azure.com/.default"], None).await.expect("token");
        let response = client
            .get(format!("{base}{}?api-version=2025-07-01", vault_path()))
            .bearer_auth(token.token.secret())
            .send()
            .await
            .expect("ARM request");
        assert_eq!(response.status(), StatusCode::OK);
    }
    println!("MANAGED_IDENTITY_OK");
}

/// The name libtest knows a test of this module by.
fn test_name(function: &str) -> String {
    let module = module_path!().split_once("::").map_or("", |(_, module)| module);
    format!("{module}::{function}")
}

#[tokio::test]
async fn managed_identity_credential_signs_in_through_the_identity_endpoint() {
    if let (Ok(ca), Ok(base)) = (std::env::var("EMULATOR_CA"), std::env::var("EMULATOR_BASE")) {
        // This is the child process started below.
        return managed_identity_child(ca, base).await;
    }
    let test = support::start().await;
    let output = tokio::process::Command::new(std::env::current_exe().unwrap())
        // The test's own name in this binary: its module path without the crate's name.
        .arg(test_name("managed_identity_credential_signs_in_through_the_identity_endpoint"))
        .args(["--exact", "--nocapture"])
        .env("IDENTITY_ENDPOINT", test.url("/msi/token"))
        .env("IDENTITY_HEADER", world::IDENTITY_HEADER)
        .env_remove("IDENTITY_SERVER_THUMBPRINT")
        .env_remove("IMDS_ENDPOINT")
        .env_remove("MSI_ENDPOINT")
        .env("EMULATOR_CA", test.emulator.ca_pem_path())
        .env("EMULATOR_BASE", test.base())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("MANAGED_IDENTITY_OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let journal = test.state().journal();
    let identity: Vec<_> = journal.iter().filter(|entry| entry.operation == "ManagedIdentityToken").collect();
    assert_eq!(identity.len(), 2);
    assert!(
        identity
            .iter()
            .all(|entry| entry.status == 200 && entry.principal.as_deref() == Some(world::MANAGED_IDENTITY_CLIENT_ID))
    );
    assert!(identity[0].query.as_deref().unwrap().contains("api-version=2019-08-01"));
}

#[tokio::test]
async fn the_identity_endpoint_answers_app_service_fields_and_checks_its_header() {
    let test = support::start().await;
    let url = test.url("/msi/token?api-version=2019-08-01&resource=https://management.azure.com");
    let response = test.client.get(&url).header("X-IDENTITY-HEADER", world::IDENTITY_HEADER).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let expires_on = body["expires_on"].as_str().expect("expires_on is a string of Unix seconds");
    let expires_on: i64 = expires_on.parse().unwrap();
    assert!(expires_on > time::OffsetDateTime::now_utc().unix_timestamp());
    assert_eq!(body["resource"], "https://management.azure.com");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(vault_status(&test, body["access_token"].as_str().unwrap()).await, StatusCode::OK);

    assert_eq!(test.client.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        test.client.get(&url).header("X-IDENTITY-HEADER", "wrong").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let unknown = format!("{url}&client_id=00000000-0000-0000-0000-0000000000aa");
    assert_eq!(
        test.client.get(&unknown).header("X-IDENTITY-HEADER", world::IDENTITY_HEADER).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let old = test.url("/msi/token?api-version=2017-09-01&resource=https://management.azure.com");
    assert_eq!(
        test.client.get(&old).header("X-IDENTITY-HEADER", world::IDENTITY_HEADER).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn arm_refuses_missing_invalid_and_expired_tokens_with_challenges() {
    let test = support::start().await;
    let url = test.arm(&vault_path());

    let response = test.client.get(&url).send().await.unwrap();
    let challenge = header(&response, "www-authenticate");
    assert!(
        challenge.starts_with(&format!("Bearer authorization_uri=\"{}/{}\"", test.base(), world::TENANT_ID)),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_error(response, StatusCode::UNAUTHORIZED, "AuthenticationFailed").await;

    let response = test.client.get(&url).header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "AuthenticationFailedInvalidHeader").await;
    let response = test.client.get(&url).bearer_auth("eyJhbGciOiJub25lIn0.e30.").send().await.unwrap();
    assert!(!header(&response, "www-authenticate").is_empty());
    assert_error(response, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;

    // A token from another emulator (another signing key) is not valid here.
    let other = support::start().await;
    assert_error(
        test.send_as(&other.token, Method::GET, &url, None).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    )
    .await;

    // Tokens expire on the emulator's clock.
    test.state().advance_clock(Duration::from_secs(3600));
    let response = test.get(&url).await;
    let challenge = header(&response, "www-authenticate");
    assert!(challenge.contains("error_description=\"The access token has expired.\""), "{challenge}");
    let body = assert_error(response, StatusCode::UNAUTHORIZED, "ExpiredAuthenticationToken").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The access token expiry UTC time '")
            && message.contains("' is earlier than current UTC time '"),
        "{message}"
    );
    // A fresh token works again.
    let token = test.sign_in(world::CLIENT_ID, world::CLIENT_SECRET).await;
    assert_eq!(vault_status(&test, &token).await, StatusCode::OK);
}

#[tokio::test]
async fn a_token_from_another_tenant_is_refused_for_the_subscription() {
    let mut scenario = Scenario::default_world();
    scenario.subscriptions.push(SubscriptionSeed {
        id: "00000000-0000-0000-0000-00000000b002".into(),
        tenant_id: Some("00000000-0000-0000-0000-00000000a002".into()),
        ..SubscriptionSeed::default()
    });
    let test = support::start_with(scenario).await;
    test.state().set_throttling(ThrottleSettings { enabled: false, ..ThrottleSettings::default() });
    let url = test.arm("/subscriptions/00000000-0000-0000-0000-00000000b002");
    assert_error(test.get(&url).await, StatusCode::UNAUTHORIZED, "InvalidAuthenticationTokenTenant").await;
    let own: Value =
        test.get(&test.arm(&format!("/subscriptions/{}", world::SUBSCRIPTION_ID))).await.json().await.unwrap();
    assert_eq!(own["tenantId"], world::TENANT_ID);
}
