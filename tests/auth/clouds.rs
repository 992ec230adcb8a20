//! Clouds and trust, end to end: `metadata_host` discovery, named environments' token scopes, explicit endpoint
//! overrides, TLS trust from `SSL_CERT_FILE` or `SSL_CERT_DIR`, and the errors for each going wrong.

use crate::auth_support;
use crate::support;

use auth_support::*;
use dataprotection_emulator::default_world as world;
use support::terraform::{Workspace, instance_block};

fn service_principal() -> String {
    format!(
        "  tenant_id     = \"{}\"\n  client_id     = \"{}\"\n  client_secret = \"{}\"",
        world::TENANT_ID,
        world::CLIENT_ID,
        world::CLIENT_SECRET
    )
}

fn instance() -> String {
    instance_block("bi", "bi-cloud", world::DISK_APP_01, world::POLICY_DAILY)
}

/// `main.tf` without `metadata_host`: a named environment with explicit endpoints.
fn write_without_metadata(ws: &Workspace, provider_arguments: &str) {
    let text = format!(
        "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n\
         provider \"dataprotection\" {{\n  subscription_id = \"{}\"\n{provider_arguments}\n}}\n\n{}\n",
        world::SUBSCRIPTION_ID,
        instance()
    );
    std::fs::write(ws.work_dir().join("main.tf"), text).unwrap();
}

#[tokio::test]
async fn metadata_host_discovers_the_cloud_and_trust_comes_from_ssl_cert_file_or_dir() {
    let ws = Workspace::start().await;
    write_main(&ws, &service_principal(), &instance());

    // The workspace sets SSL_CERT_FILE to the emulator's CA.
    terraform_ok_with(&ws, &["plan"], &[]).await;
    let discovery: Vec<_> = ws.journal().into_iter().filter(|e| e.operation == "Metadata_Endpoints").collect();
    assert_eq!(discovery.len(), 1);
    assert_eq!(discovery[0].path, "/metadata/endpoints");
    assert_eq!(discovery[0].query.as_deref(), Some("api-version=2022-09-01"));
    let token = sign_ins(&ws);
    assert_eq!(token[0].path, format!("/{}/oauth2/v2.0/token", world::TENANT_ID), "the login endpoint discovered");
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);

    // A folder of certificates instead.
    ws.emulator.state().clear_journal();
    let certs = ws.work_dir().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(ws.emulator.ca_pem_path(), certs.join("emulator-ca.pem")).unwrap();
    terraform_env(&ws, &["plan"], &[var("SSL_CERT_DIR", &certs)], &["SSL_CERT_FILE"]).await;
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);

    // Neither: the system's roots do not know the emulator's CA, and the error says what to do.
    ws.emulator.state().clear_journal();
    let run = terraform_env(&ws, &["plan"], &[], &["SSL_CERT_FILE"]).await;
    assert_eq!(run.code, 1);
    let output = run.output();
    assert_says(&output, "Error: Cloud discovery failed");
    assert_says(&output, "set SSL_CERT_FILE to a PEM bundle that holds it, or SSL_CERT_DIR to a folder");
    assert!(sign_ins(&ws).is_empty(), "no secret is sent to a server that is not trusted");
}

#[tokio::test]
async fn named_environments_request_their_own_scope_and_overrides_point_elsewhere() {
    let ws = Workspace::start().await;
    let endpoints = format!(
        "  resource_manager_endpoint = \"{base}/\"\n  authority_host            = \"{base}/\"",
        base = ws.emulator.base_url()
    );

    // Public: the emulator accepts its ARM audience, so sign-in and requests work at the overridden endpoints.
    write_without_metadata(&ws, &format!("{}\n{endpoints}\n  environment = \"public\"", service_principal()));
    terraform_ok_with(&ws, &["plan"], &[]).await;
    assert!(ws.journal().iter().all(|e| e.operation != "Metadata_Endpoints"), "nothing to discover");
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);

    // US Government and China ask for their own clouds' audiences, which the emulator (a public-cloud stand-in)
    // does not serve: Entra's refusal names the audience the provider asked for.
    for (environment, audience) in [
        ("usgovernment", "https://management.core.usgovcloudapi.net"),
        ("china", "https://management.core.chinacloudapi.cn"),
    ] {
        write_without_metadata(&ws, &format!("{}\n{endpoints}", service_principal()));
        let run = terraform_with(&ws, &["plan"], &[var("ARM_ENVIRONMENT", environment)]).await;
        assert_eq!(run.code, 1, "{environment}");
        let output = run.output();
        assert_says(&output, "AADSTS500011");
        assert_says(&output, &format!("The resource principal named {audience} was not found"));
    }
}

#[tokio::test]
async fn endpoint_and_cloud_mistakes_are_refused_before_anything_is_sent() {
    let ws = Workspace::start().await;

    // Offline checks, already at `terraform validate`, pointing at the argument. With a plan, the rest of the
    // configuration points at the emulator with good credentials: anything sent would show in its journal.
    let reachable = format!("  metadata_host = \"{}\"\n{}", ws.emulator.metadata_host(), service_principal());
    for (arguments, expected) in [
        ("  environment = \"mars\"", "expected one of public, usgovernment, china"),
        ("  resource_manager_endpoint = \"http://management.example.com/\"", "uses plain http"),
        ("  authority_host = \"http://127.0.0.1:1/\"", "must use https"),
        ("  metadata_host = \"https://management.example.com\"", "is not a host name with an optional port"),
    ] {
        let with_emulator = !arguments.contains("metadata_host");
        let arguments = if with_emulator { format!("{arguments}\n{reachable}") } else { arguments.to_owned() };
        write_without_metadata(&ws, &arguments);
        for command in ["validate", "plan"] {
            let run = terraform_with(&ws, &[command], &[]).await;
            assert_eq!(run.code, 1, "{command}: {arguments}");
            assert_says(&run.output(), expected);
            assert_says(&run.output(), "on main.tf line 9, in provider \"dataprotection\"");
        }
        assert!(ws.journal().is_empty(), "{arguments}: sent {:?}", ws.journal());
    }
    // The journal can tell: the same configuration without the mistake reaches the emulator.
    write_without_metadata(&ws, &reachable);
    terraform_with(&ws, &["plan"], &[]).await;
    assert!(!ws.journal().is_empty(), "a good configuration is seen by the emulator");
    ws.emulator.state().clear_journal();

    // A metadata host that does not answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    write_without_metadata(&ws, &format!("  metadata_host = \"127.0.0.1:{port}\"\n{}", service_principal()));
    let run = terraform_with(&ws, &["plan"], &[]).await;
    assert_eq!(run.code, 1);
    assert_says(&run.output(), "Error: Cloud discovery failed");
    assert_says(
        &run.output(),
        &format!("Reading https://127.0.0.1:{port}/metadata/endpoints?api-version=2022-09-01: error sending request"),
    );
    assert_says(&run.output(), "Connection refused");
    assert_eq!(run.output().matches("/metadata/endpoints").count(), 1, "the URL is named once");
}
