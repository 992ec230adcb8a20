//! Every way to sign in, end to end: terraform runs the provider, which discovers the emulator from
//! `metadata_host`, trusts it through `SSL_CERT_FILE`, signs in with azure_identity at the emulator's token or
//! managed identity endpoint over HTTPS, and calls the resource manager with the token it got.

use crate::auth_support;
use crate::support;

use auth_support::*;
use dataprotection_emulator::Scenario;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::scenario::{PrincipalKind, PrincipalSeed};
use support::terraform::{Workspace, instance_block};

/// A new backup instance: planning it calls validateForBackup, so a plan proves the token opens the resource
/// manager.
fn instance() -> String {
    instance_block("bi", "bi-auth", world::DISK_APP_01, world::POLICY_DAILY)
}

#[tokio::test]
async fn client_secret_signs_in_and_applies() {
    let ws = Workspace::start().await;
    write_main(
        &ws,
        &format!(
            "  tenant_id     = \"{}\"\n  client_id     = \"{}\"\n  client_secret = \"{}\"",
            world::TENANT_ID,
            world::CLIENT_ID,
            world::CLIENT_SECRET
        ),
        &instance(),
    );
    ws.apply().await;
    let instance = ws.resource("dataprotection_backup_instance.bi").expect("the instance is in state");
    assert_eq!(instance["attributes"]["protection_state"], "ProtectionConfigured");
    let sign_ins = sign_ins(&ws);
    assert_eq!(sign_ins.len(), 2, "one sign-in per provider process (plan, apply): {sign_ins:?}");
    for entry in &sign_ins {
        assert_eq!(entry.operation, "Token");
        assert_eq!(entry.path, format!("/{}/oauth2/v2.0/token", world::TENANT_ID));
        assert_eq!((entry.status, entry.principal.as_deref()), (200, Some(world::CLIENT_ID)));
    }
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);
    assert!(ws.journal().iter().any(|e| e.operation == "Metadata_Endpoints"), "the cloud came from metadata_host");
}

#[tokio::test]
async fn every_argument_can_come_from_arm_variables() {
    let ws = Workspace::start().await;
    // No provider block at all: every setting comes from the environment.
    std::fs::write(
        ws.work_dir().join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n{}",
            instance()
        ),
    )
    .unwrap();
    let env = [
        var("ARM_METADATA_HOSTNAME", ws.emulator.metadata_host()),
        var("ARM_TENANT_ID", world::TENANT_ID),
        var("ARM_CLIENT_ID", world::CLIENT_ID),
        var("ARM_CLIENT_SECRET", world::CLIENT_SECRET),
        var("ARM_SUBSCRIPTION_ID", world::SUBSCRIPTION_ID),
        var("ARM_USE_CLI", "false"),
    ];
    let run = terraform_ok_with(&ws, &["plan"], &env).await;
    assert!(run.stdout.contains("1 to add"), "{}", run.output());
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);
}

#[tokio::test]
async fn oidc_signs_in_with_a_token_or_a_token_file() {
    let ws = Workspace::start().await;
    let oidc = format!(
        "  use_oidc  = true\n  tenant_id = \"{}\"\n  client_id = \"{}\"",
        world::TENANT_ID,
        world::OIDC_CLIENT_ID
    );

    // The token itself, in ARM_OIDC_TOKEN (as a CI job passes it).
    write_main(&ws, &oidc, &instance());
    let token = oidc_id_token("repo:dpkit/demo:ref:refs/heads/main");
    terraform_ok_with(&ws, &["plan"], &[var("ARM_OIDC_TOKEN", &token)]).await;
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::OIDC_CLIENT_ID);

    // A token file named in the provider block.
    ws.emulator.state().clear_journal();
    let file = ws.work_dir().join("oidc-token");
    std::fs::write(&file, oidc_id_token("repo:dpkit/demo:environment:prod")).unwrap();
    write_main(&ws, &format!("{oidc}\n  oidc_token_file_path = \"{}\"", file.display()), &instance());
    terraform_ok_with(&ws, &["plan"], &[]).await;
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::OIDC_CLIENT_ID);

    // Kubernetes workload identity: the file in AZURE_FEDERATED_TOKEN_FILE, the rest in ARM_* variables.
    ws.emulator.state().clear_journal();
    write_main(&ws, "", &instance());
    let env = [
        var("ARM_USE_OIDC", "true"),
        var("ARM_TENANT_ID", world::TENANT_ID),
        var("ARM_CLIENT_ID", world::OIDC_CLIENT_ID),
        var("AZURE_FEDERATED_TOKEN_FILE", &file),
    ];
    terraform_ok_with(&ws, &["plan"], &env).await;
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::OIDC_CLIENT_ID);

    // An ID token for another audience is refused by Entra, and the provider says so.
    ws.emulator.state().clear_journal();
    let wrong_audience = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let claims =
            serde_json::json!({"iss": "https://issuer.test", "sub": "s", "aud": "api://Other", "exp": now + 600});
        format!(
            "{}.{}.{}",
            engine.encode(r#"{"alg":"RS256"}"#),
            engine.encode(claims.to_string()),
            engine.encode("sig")
        )
    };
    let run = terraform_with(
        &ws,
        &["plan"],
        &[
            var("ARM_USE_OIDC", "true"),
            var("ARM_TENANT_ID", world::TENANT_ID),
            var("ARM_CLIENT_ID", world::OIDC_CLIENT_ID),
            var("ARM_OIDC_TOKEN", &wrong_audience),
        ],
    )
    .await;
    assert_eq!(run.code, 1);
    let output = run.output();
    assert_says(&output, "Error: Sign-in to Azure failed");
    assert_says(&output, "AADSTS700212");
    assert_says(
        &output,
        &format!(
            "OIDC workload identity sign-in as client ID {} in tenant {}",
            world::OIDC_CLIENT_ID,
            world::TENANT_ID
        ),
    );
    assert!(!output.contains(&wrong_audience), "the ID token is a secret too");
}

#[tokio::test]
async fn app_service_managed_identity_signs_in_system_or_user_assigned() {
    let mut scenario = Scenario::default_world();
    const USER_ASSIGNED: &str = "00000000-0000-0000-0000-00000000c0a1";
    scenario.principals.push(PrincipalSeed {
        kind: PrincipalKind::ManagedIdentity,
        client_id: USER_ASSIGNED.into(),
        identity_header: Some(world::IDENTITY_HEADER.into()),
        system_assigned: false,
        ..PrincipalSeed::default()
    });
    let ws = Workspace::with_scenario(scenario).await;
    let env = [
        var("IDENTITY_ENDPOINT", format!("{}/msi/token", ws.emulator.base_url())),
        var("IDENTITY_HEADER", world::IDENTITY_HEADER),
    ];

    write_main(&ws, "  use_msi = true", &instance());
    terraform_ok_with(&ws, &["plan"], &env).await;
    let sign_ins = sign_ins(&ws);
    assert_eq!(sign_ins.len(), 1, "{sign_ins:?}");
    assert_eq!(sign_ins[0].operation, "ManagedIdentityToken");
    assert_eq!(sign_ins[0].principal.as_deref(), Some(world::MANAGED_IDENTITY_CLIENT_ID));
    let query = sign_ins[0].query.clone().unwrap_or_default();
    assert!(query.contains("api-version=2019-08-01") && !query.contains("client_id"), "{query}");
    assert_arm_requests_made_as(&ws, world::MANAGED_IDENTITY_CLIENT_ID);

    ws.emulator.state().clear_journal();
    write_main(&ws, &format!("  use_msi   = true\n  client_id = \"{USER_ASSIGNED}\""), &instance());
    terraform_ok_with(&ws, &["plan"], &env).await;
    let sign_ins = auth_support::sign_ins(&ws);
    assert_eq!(sign_ins.len(), 1);
    assert!(sign_ins[0].query.as_deref().unwrap_or_default().contains(&format!("client_id={USER_ASSIGNED}")));
    assert_arm_requests_made_as(&ws, USER_ASSIGNED);

    // A wrong IDENTITY_HEADER: the identity endpoint's refusal, and which identity was asked for.
    ws.emulator.state().clear_journal();
    // A client secret without its tenant was passed over on the way; the error says so too.
    let wrong = [env[0].clone(), var("IDENTITY_HEADER", "not-the-header"), var("ARM_CLIENT_SECRET", "stray-secret-41")];
    let run = terraform_with(&ws, &["plan"], &wrong).await;
    assert_eq!(run.code, 1);
    let output = run.output();
    assert_says(&output, "Error: Sign-in to Azure failed");
    assert_says(
        &output,
        &format!(
            "managed identity sign-in as the user-assigned identity {USER_ASSIGNED} through the App Service identity endpoint"
        ),
    );
    assert_says(&output, "Client secret sign-in was not used: tenant_id (ARM_TENANT_ID) not set.");
    assert!(!output.contains("stray-secret-41") && !output.contains("Warning: Client secret"), "{output}");
}

#[tokio::test]
async fn the_azure_cli_is_the_default_and_is_asked_for_the_clouds_scope() {
    let ws = Workspace::start().await;
    let token = ws.emulator.state().issue_token(world::CLIENT_ID).unwrap();
    let az = AzStandIn::signed_in(&ws.work_dir(), &token);
    write_main(&ws, "", &instance());
    terraform_ok_with(&ws, &["plan"], &[var("PATH", az.path())]).await;
    let scope = format!("{}//.default", ws.emulator.base_url());
    assert_eq!(az.calls(), vec![format!("account get-access-token -o json --scope {scope}")]);
    assert!(sign_ins(&ws).is_empty(), "the CLI's token is used as it is");
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);

    // With a tenant, the CLI is asked for a token in that tenant.
    write_main(&ws, &format!("  tenant_id = \"{}\"", world::TENANT_ID), &instance());
    terraform_ok_with(&ws, &["plan"], &[var("PATH", az.path())]).await;
    assert_eq!(
        az.calls()[1],
        format!("account get-access-token -o json --scope {scope} --tenant {}", world::TENANT_ID)
    );

    // A client secret without its tenant is passed over, with a warning naming what it lacks.
    write_main(&ws, &format!("  client_id = \"{}\"", world::CLIENT_ID), &instance());
    let run = terraform_ok_with(
        &ws,
        &["plan"],
        &[var("PATH", az.path()), var("ARM_CLIENT_SECRET", "a-secret-without-tenant")],
    )
    .await;
    let output = run.output();
    assert_says(&output, "Warning: Client secret sign-in not used");
    assert_says(&output, "tenant_id (ARM_TENANT_ID) not set, so it signed in with the Azure CLI instead");
    assert!(!output.contains("a-secret-without-tenant"));
    assert_eq!(az.calls().len(), 3);
}

#[tokio::test]
async fn a_wrong_secret_fails_configuration_with_entras_words() {
    let ws = Workspace::start().await;
    const WRONG: &str = "not-the-secret-7f3a9c";
    write_main(
        &ws,
        &format!(
            "  tenant_id     = \"{}\"\n  client_id     = \"{}\"\n  client_secret = \"{WRONG}\"",
            world::TENANT_ID,
            world::CLIENT_ID
        ),
        &instance(),
    );
    let run = terraform_with(&ws, &["plan"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    for expected in [
        "Error: Sign-in to Azure failed",
        &format!("client secret sign-in as client ID {} in tenant {} failed", world::CLIENT_ID, world::TENANT_ID),
        "AADSTS7000215: Invalid client secret provided.",
    ] {
        assert_says(&output, expected);
    }
    assert!(!output.contains(WRONG), "the secret must not be shown:\n{output}");
    assert!(!output.contains("backtrace") && !output.contains("panicked"), "{output}");
    assert!(arm_requests(&ws).is_empty(), "nothing is sent to the resource manager without a token");
}

#[tokio::test]
async fn no_working_method_gives_one_error_that_lists_them_all() {
    let ws = Workspace::start().await;
    let az = AzStandIn::signed_out(&ws.work_dir());

    // Nothing configured, and the CLI (the default) is signed out.
    write_main(&ws, "", &instance());
    let run = terraform_with(&ws, &["plan"], &[var("PATH", az.path())]).await;
    assert_eq!(run.code, 1);
    let output = run.output();
    assert_eq!(output.matches("Error: ").count(), 1, "{output}");
    for expected in [
        "Error: Sign-in to Azure failed",
        "1. client secret: not configured.",
        "2. OIDC workload identity: not configured.",
        "3. managed identity: not configured.",
        "4. Azure CLI: tried, and failed:",
        "Please run 'az login' to setup account.",
        "Needs tenant_id, client_id and client_secret (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET).",
    ] {
        assert_says(&output, expected);
    }

    // The CLI turned off as well: nothing is tried at all.
    let run = terraform_with(
        &ws,
        &["plan"],
        &[var("PATH", az.path()), var("ARM_USE_CLI", "false"), var("ARM_USE_OIDC", "true")],
    )
    .await;
    assert_eq!(run.code, 1);
    let output = run.output();
    for expected in [
        "Error: No way to sign in to Azure",
        "2. OIDC workload identity: not used, tenant_id (ARM_TENANT_ID), client_id (ARM_CLIENT_ID), oidc_token",
        "4. Azure CLI: not used, use_cli is false.",
    ] {
        assert_says(&output, expected);
    }
    assert_eq!(az.calls().len(), 1, "the second run did not run the CLI");
    assert!(sign_ins(&ws).is_empty());
}

#[tokio::test]
async fn unknown_provider_arguments_defer_sign_in_until_apply() {
    let ws = Workspace::start().await;
    // The secret depends on a resource, so it is unknown while planning.
    let body = format!("resource \"terraform_data\" \"secret\" {{\n  input = \"seed\"\n}}\n\n{}", instance());
    write_main(
        &ws,
        &format!(
            "  tenant_id     = \"{}\"\n  client_id     = \"{}\"\n  client_secret = \"${{substr(terraform_data.secret.id, 0, 0)}}{}\"",
            world::TENANT_ID,
            world::CLIENT_ID,
            world::CLIENT_SECRET
        ),
        &body,
    );
    let run = terraform_ok_with(&ws, &["plan"], &[]).await;
    let output = run.output();
    assert_says(&output, "Azure validation skipped");
    assert_says(&output, "the provider arguments client_secret are not known yet");
    assert!(ws.journal().is_empty(), "no discovery, sign-in or request while the arguments are unknown");

    ws.apply().await;
    assert_eq!(sign_ins(&ws).len(), 1, "signed in once, during apply, when the secret became known");
    assert_arm_requests_made_as(&ws, world::CLIENT_ID);
    assert_eq!(ws.instance_ids().len(), 1);
}

/// GitHub Actions' side of OIDC: a job with `id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL and
/// ACTIONS_ID_TOKEN_REQUEST_TOKEN, and an ID token comes from a GET with that bearer token.
#[tokio::test]
async fn oidc_signs_in_with_github_actions_token_request() {
    use std::sync::{Arc, Mutex};

    let ws = Workspace::start().await;
    // The Authorization header and audience of each request the endpoint saw.
    type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;
    let seen: Seen = Arc::default();
    let id_token = oidc_id_token("repo:dpkit/demo:ref:refs/heads/main");
    let app = {
        let seen = seen.clone();
        axum::Router::new().route(
            "/token",
            axum::routing::get(
                move |headers: axum::http::HeaderMap,
                      axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>| {
                    let seen = seen.clone();
                    let id_token = id_token.clone();
                    async move {
                        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                        seen.lock().unwrap().push((bearer, query.get("audience").cloned()));
                        axum::Json(serde_json::json!({ "count": 1, "value": id_token }))
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    write_main(&ws, "", &instance());
    let env = [
        var("ARM_USE_OIDC", "true"),
        var("ARM_TENANT_ID", world::TENANT_ID),
        var("ARM_CLIENT_ID", world::OIDC_CLIENT_ID),
        var("ACTIONS_ID_TOKEN_REQUEST_URL", format!("http://{address}/token?api-version=2.0")),
        var("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "job-request-token"),
    ];
    terraform_ok_with(&ws, &["plan"], &env).await;
    assert_eq!(sign_ins(&ws).len(), 1);
    assert_arm_requests_made_as(&ws, world::OIDC_CLIENT_ID);
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the provider asked GitHub's endpoint for an ID token");
    for (bearer, audience) in seen {
        assert_eq!(bearer.as_deref(), Some("Bearer job-request-token"));
        assert_eq!(audience.as_deref(), Some("api://AzureADTokenExchange"));
    }
}
