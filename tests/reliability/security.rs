//! Security: no secret in any log, diagnostic, state or plan; tokens only for the configured resource manager;
//! redirects and polling URLs to other hosts refused; plain http refused off loopback; TLS always verified.
//! That only Terraform can call the plugin (pinned client certificate, private socket folder) is proven by
//! tests/plugin_grpc.rs and tests/plugin_binary.rs.

use crate::reliability_support;
use crate::support;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{Emulator, EmulatorConfig, FaultAction, FaultRule, Scenario};
use reliability_support::{flatten, output_problems};
use support::terraform::{Run, Workspace, instance_block};

const ADDRESS: &str = "dataprotection_backup_instance.bi";

/// A random string that can only be found where it was put.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An OIDC ID token as a CI system would hand it over (the emulator does not check its signature).
fn oidc_token(signature: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let header = br#"{"alg":"RS256","typ":"JWT","kid":"ci"}"#;
    let claims = serde_json::json!({
        "aud": world::OIDC_AUDIENCE, "iss": "https://token.actions.githubusercontent.com",
        "sub": "repo:example/infra:ref:refs/heads/main", "iat": now, "nbf": now, "exp": now + 3600,
        "jti": unique("jti"),
    });
    format!("{}.{}.{}", b64(header), b64(claims.to_string().as_bytes()), b64(signature.as_bytes()))
}

/// main.tf with a provider block that holds no credential (they come from ARM_* variables, as in CI).
fn write_main(ws: &Workspace, body: &str) {
    let text = format!(
        "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n\
         provider \"dataprotection\" {{\n  metadata_host   = \"{}\"\n  tenant_id       = \"{}\"\n  subscription_id = \"{}\"\n}}\n\n{body}\n",
        ws.emulator.metadata_host(),
        world::TENANT_ID,
        world::SUBSCRIPTION_ID
    );
    std::fs::write(ws.work_dir().join("main.tf"), text).expect("main.tf");
}

/// Runs terraform with extra environment variables.
async fn terraform_with(ws: &Workspace, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.push("-no-color");
    let mut command = ws.command(&all);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("terraform runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every file under `dir`, as text (lossy), with its path.
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                // Terraform's own plugin cache holds no state or logs of ours.
                if path.file_name().is_some_and(|n| n != ".terraform") {
                    stack.push(path);
                }
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    found
}

/// What is searched for: each secret whole, and long pieces of it (a secret cut across lines still shows).
fn needles(secrets: &[String]) -> Vec<String> {
    let mut all = Vec::new();
    for secret in secrets {
        all.push(secret.clone());
        for part in secret.split('.') {
            if part.len() >= 16 {
                all.push(part.to_owned());
            }
        }
    }
    all
}

/// What leaks into `text`: any secret, or any JWT at all (access tokens are JWTs).
fn leaks(where_: &str, text: &str, secrets: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for needle in needles(secrets) {
        if text.contains(&needle) {
            found.push(format!("{where_} contains a secret ({}...)", &needle[..8.min(needle.len())]));
        }
    }
    // A JWT: three base64url parts, the first a JSON object (`eyJ` is `{"`). Base64 of private state is not
    // one: standard alphabet, no dots.
    let jwt = regex::Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*").expect("regex");
    if let Some(m) = jwt.find(text) {
        found.push(format!("{where_} contains a JWT ({}...)", &m.as_str()[..12]));
    }
    found
}

/// The log levels Terraform knows, plus its JSON log format.
const LOG_LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "JSON"];

/// Runs a whole lifecycle at every log level with `env` (credentials) and returns what leaked, the number of
/// bytes searched and the runs made.
async fn lifecycle_leaks(ws: &Workspace, env: &[(&str, &str)], secrets: &[String]) -> (Vec<String>, usize, usize) {
    let mut found = Vec::new();
    let mut searched = 0usize;
    let mut runs = 0usize;
    let log_path = ws.work_dir().join("terraform.log");
    let log_path_text = log_path.to_string_lossy().into_owned();
    for (index, level) in LOG_LEVELS.iter().enumerate() {
        let name = format!("bi-secret-{index}");
        write_main(ws, &instance_block("bi", &name, world::DISK_APP_01, world::POLICY_DAILY));
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.push(("TF_LOG", level));
        env.push(("TF_LOG_PATH", &log_path_text));
        let steps: &[&[&str]] = &[
            &["apply", "-auto-approve"],
            &["plan", "-out=tfplan"],
            &["show", "-json", "tfplan"],
            &["show", "-json"],
            &["apply", "-refresh-only", "-auto-approve"],
            &["destroy", "-auto-approve"],
        ];
        for args in steps {
            let run = terraform_with(ws, &env, args).await;
            runs += 1;
            assert_eq!(run.code, 0, "terraform {args:?} at TF_LOG={level}:\n{}", run.output());
            assert!(output_problems(&run.output()).is_empty(), "{}", run.output());
            searched += run.output().len();
            found.extend(leaks(&format!("output of {args:?} at TF_LOG={level}"), &run.output(), secrets));
        }
        // A failing apply: its diagnostics must not leak either.
        write_main(ws, &instance_block("bi", &name, world::DISK_UNAUTHORIZED, world::POLICY_DAILY));
        let run = terraform_with(ws, &env, &["apply", "-auto-approve"]).await;
        runs += 1;
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(flatten(&run.output()).contains("UserErrorMissingRequiredPermissions"), "{}", run.output());
        searched += run.output().len();
        found.extend(leaks(&format!("diagnostics at TF_LOG={level}"), &run.output(), secrets));
        for (path, text) in files_under(&ws.work_dir()) {
            if path.file_name().is_some_and(|n| n == "main.tf") {
                continue;
            }
            searched += text.len();
            found.extend(leaks(&format!("{} at TF_LOG={level}", path.display()), &text, secrets));
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(*level == "ERROR" || !log.is_empty(), "TF_LOG={level} wrote a log");
        if *level == "TRACE" {
            assert!(log.contains("provider.terraform-provider-dataprotection"), "the provider's own lines are logged");
        }
        std::fs::remove_file(&log_path).ok();
    }
    (found, searched, runs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_client_secret_or_token_in_logs_diagnostics_state_or_plans_at_any_log_level() {
    let secret = unique("client-secret");
    let mut scenario = Scenario::default_world();
    scenario
        .principals
        .iter_mut()
        .find(|p| p.client_id == world::CLIENT_ID)
        .expect("the default service principal")
        .client_secret = Some(secret.clone());
    let ws = Workspace::with_scenario(scenario).await;
    let env = [("ARM_CLIENT_ID", world::CLIENT_ID), ("ARM_CLIENT_SECRET", secret.as_str())];
    // The detector itself: it finds a token the emulator issues, and the secret.
    let token = ws.emulator.state().issue_token(world::CLIENT_ID).expect("a token");
    assert!(!leaks("a sample", &format!("Bearer {token}"), &[]).is_empty(), "access tokens are recognised");
    assert!(!leaks("a sample", &format!("x{secret}x"), std::slice::from_ref(&secret)).is_empty());
    let (found, searched, runs) = lifecycle_leaks(&ws, &env, std::slice::from_ref(&secret)).await;
    println!("client secret: {runs} terraform runs, {searched} bytes of output, logs, state and plans searched");
    assert!(found.is_empty(), "leaks:\n{}", found.join("\n"));
    // The runs did sign in with the secret, and the emulator saw bearer tokens on every ARM request.
    assert!(ws.journal().iter().any(|e| e.operation == "BackupInstances_CreateOrUpdate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_oidc_token_or_access_token_in_logs_diagnostics_state_or_plans_at_any_log_level() {
    let signature = unique("oidc-signature");
    let token = oidc_token(&signature);
    let ws = Workspace::start().await;
    let env = [("ARM_USE_OIDC", "true"), ("ARM_CLIENT_ID", world::OIDC_CLIENT_ID), ("ARM_OIDC_TOKEN", token.as_str())];
    let (found, searched, runs) = lifecycle_leaks(&ws, &env, &[token.clone(), signature]).await;
    println!("OIDC token: {runs} terraform runs, {searched} bytes of output, logs, state and plans searched");
    assert!(found.is_empty(), "leaks:\n{}", found.join("\n"));
    let principals: Vec<_> = ws.journal().iter().filter_map(|e| e.principal.clone()).collect();
    assert!(
        principals.iter().any(|p| p.contains(world::OIDC_CLIENT_ID) || p.contains(world::OIDC_OBJECT_ID)),
        "the runs signed in with the OIDC token: {principals:?}"
    );
}

/// A second emulator stands for "another host": it must never receive a request.
async fn elsewhere() -> (Emulator, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let emulator = Emulator::start(EmulatorConfig {
        state_dir: dir.path().join("elsewhere"),
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario: Some(Scenario::default_world()),
    })
    .await
    .expect("the other host starts");
    (emulator, dir)
}

/// A CA bundle trusting both emulators, so that only the provider's own rule can stop it from following.
fn both_cas(ws: &Workspace, other: &Emulator, dir: &Path) -> String {
    let mut pem = std::fs::read(ws.emulator.ca_pem_path()).unwrap();
    pem.extend(std::fs::read(other.ca_pem_path()).unwrap());
    let path = dir.join("both.pem");
    std::fs::write(&path, pem).unwrap();
    path.to_string_lossy().into_owned()
}

fn rule(operation: &str, action: FaultAction) -> FaultRule {
    FaultRule {
        id: 0,
        method: None,
        path_contains: None,
        path_regex: None,
        operation: Some(operation.to_owned()),
        skip: 0,
        count: None,
        action,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_urls_on_another_host_are_refused_and_the_accepted_instance_stays_in_state() {
    let ws = Workspace::start().await;
    let (other, dir) = elsewhere().await;
    let bundle = both_cas(&ws, &other, dir.path());
    ws.emulator
        .state()
        .add_fault(rule(
            "BackupInstances_CreateOrUpdate",
            FaultAction::ForeignPollingUrls { base_url: other.base_url().to_owned() },
        ))
        .unwrap();
    ws.write(&instance_block("bi", "bi-foreign-poll", world::DISK_APP_01, world::POLICY_DAILY));
    let run = terraform_with(&ws, &[("SSL_CERT_FILE", &bundle)], &["apply", "-auto-approve"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let out = flatten(&run.output());
    assert!(out.contains("not the configured resource manager"), "{out}");
    assert!(out.contains(other.metadata_host().as_str()), "the error names the other host: {out}");
    assert!(other.state().journal().is_empty(), "the other host got requests: {:?}", other.state().journal());
    // Azure accepted the PUT before the provider refused to follow: the instance is kept (tainted).
    let instance = ws.resource(ADDRESS).expect("in state");
    assert_eq!(instance["status"], "tainted");
    ws.emulator.state().clear_faults();
    assert_eq!(ws.terraform(&["apply", "-auto-approve"]).await.code, 0);
    assert_eq!(ws.plan_code().await.0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_never_followed() {
    for (operation, status) in [
        ("BackupInstances_ValidateForBackup", 307),
        ("BackupInstances_Get", 302),
        ("BackupInstances_CreateOrUpdate", 308),
    ] {
        let ws = Workspace::start().await;
        let (other, dir) = elsewhere().await;
        let bundle = both_cas(&ws, &other, dir.path());
        let location =
            format!("{}{}?api-version=2026-06-01", other.base_url(), world::backup_instance_id("bi-redirect"));
        ws.emulator.state().add_fault(rule(operation, FaultAction::Redirect { status, location })).unwrap();
        ws.write(&instance_block("bi", "bi-redirect", world::DISK_APP_01, world::POLICY_DAILY));
        let run = terraform_with(&ws, &[("SSL_CERT_FILE", &bundle)], &["apply", "-auto-approve"]).await;
        let out = flatten(&run.output());
        assert_eq!(run.code, 1, "{operation} {status}: {out}");
        assert!(output_problems(&out).is_empty(), "{out}");
        assert!(out.contains(&status.to_string()) && out.to_lowercase().contains("redirect"), "{operation}: {out}");
        assert!(other.state().journal().is_empty(), "{operation}: the other host got {:?}", other.state().journal());
        assert!(ws.instance_ids().is_empty(), "{operation}: nothing was created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_off_loopback() {
    let ws = Workspace::start().await;
    for endpoint in ["http://management.example.test/", "http://10.1.2.3/"] {
        let body = format!(
            "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n\
             provider \"dataprotection\" {{\n  resource_manager_endpoint = \"{endpoint}\"\n  authority_host = \"{}\"\n  tenant_id = \"{}\"\n  \
             client_id = \"{}\"\n  client_secret = \"{}\"\n  subscription_id = \"{}\"\n}}\n\n{}",
            ws.emulator.base_url(),
            world::TENANT_ID,
            world::CLIENT_ID,
            world::CLIENT_SECRET,
            world::SUBSCRIPTION_ID,
            instance_block("bi", "bi-http", world::DISK_APP_01, world::POLICY_DAILY)
        );
        std::fs::write(ws.work_dir().join("main.tf"), body).unwrap();
        let run = ws.terraform(&["plan"]).await;
        let out = flatten(&run.output());
        assert_eq!(run.code, 1, "{out}");
        assert!(out.contains("plain http"), "{endpoint}: {out}");
    }
    assert!(
        !ws.journal().iter().any(|e| e.operation.starts_with("BackupInstances")),
        "no ARM request was made: {:?}",
        ws.journal()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_always_verified() {
    let ws = Workspace::start().await;
    let (other, _dir) = elsewhere().await;
    ws.write(&instance_block("bi", "bi-tls", world::DISK_APP_01, world::POLICY_DAILY));
    // Trust only another CA: the emulator's certificate does not verify, and nothing may be sent.
    let other_ca = other.ca_pem_path().to_string_lossy().into_owned();
    let run = terraform_with(&ws, &[("SSL_CERT_FILE", &other_ca)], &["plan"]).await;
    let out = flatten(&run.output());
    assert_eq!(run.code, 1, "{out}");
    assert!(out.to_lowercase().contains("certificate"), "the error says the certificate was not trusted: {out}");
    assert!(output_problems(&out).is_empty(), "{out}");
    assert!(ws.journal().is_empty(), "requests reached the emulator over unverified TLS: {:?}", ws.journal());
    // And with the right CA the same configuration plans.
    let run = ws.terraform(&["plan"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
}
