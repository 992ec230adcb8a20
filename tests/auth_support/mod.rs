//! Shared by the sign-in tests (`tests/auth_*.rs`): provider blocks of their own, terraform runs with extra
//! environment (the provider gets its environment from terraform), a stand-in for the Azure CLI, OIDC ID tokens,
//! and a check that no secret or token shows up where it must not.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::journal::JournalEntry;
use serde_json::{Value, json};

use crate::support::terraform::{Run, Workspace};

/// Writes `main.tf` with a provider block holding `metadata_host` (the workspace's emulator), `subscription_id`
/// and the given arguments (HCL lines), then `body`.
pub fn write_main(ws: &Workspace, provider_arguments: &str, body: &str) {
    let text = format!(
        "terraform {{\n  required_providers {{\n    dataprotection = {{ source = \"dpkit/dataprotection\" }}\n  }}\n}}\n\n\
         provider \"dataprotection\" {{\n  metadata_host   = \"{}\"\n  subscription_id = \"{}\"\n{provider_arguments}\n}}\n\n{body}\n",
        ws.emulator.metadata_host(),
        world::SUBSCRIPTION_ID,
    );
    std::fs::write(ws.work_dir().join("main.tf"), text).expect("main.tf");
}

/// Runs terraform (with `-no-color`) with extra environment variables for terraform and so for the provider.
pub async fn terraform_with(ws: &Workspace, args: &[&str], env: &[(&str, OsString)]) -> Run {
    terraform_env(ws, args, env, &[]).await
}

/// Like [`terraform_with`], also removing the variables `unset` (for example the workspace's `SSL_CERT_FILE`).
pub async fn terraform_env(ws: &Workspace, args: &[&str], env: &[(&str, OsString)], unset: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.push("-no-color");
    let mut command = ws.command(&all);
    for name in unset {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output =
        command.output().await.unwrap_or_else(|e| panic!("terraform could not be started (it must be on PATH): {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Like [`terraform_with`], and fails the test, showing the output, unless terraform exits 0.
pub async fn terraform_ok_with(ws: &Workspace, args: &[&str], env: &[(&str, OsString)]) -> Run {
    let run = terraform_with(ws, args, env).await;
    assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
    run
}

/// `(name, value)` for [`terraform_with`].
pub fn var(name: &'static str, value: impl Into<OsString>) -> (&'static str, OsString) {
    (name, value.into())
}

/// The journal's sign-ins: Entra token requests and managed identity token requests.
pub fn sign_ins(ws: &Workspace) -> Vec<JournalEntry> {
    ws.journal().into_iter().filter(|e| e.operation == "Token" || e.operation == "ManagedIdentityToken").collect()
}

/// The journal's resource manager requests (everything but sign-ins and metadata).
pub fn arm_requests(ws: &Workspace) -> Vec<JournalEntry> {
    ws.journal()
        .into_iter()
        .filter(|e| !matches!(e.operation.as_str(), "Token" | "ManagedIdentityToken" | "Metadata_Endpoints"))
        .collect()
}

/// Asserts that the resource manager saw requests, every one of them made as `principal` and none refused for
/// its token.
pub fn assert_arm_requests_made_as(ws: &Workspace, principal: &str) {
    let arm = arm_requests(ws);
    assert!(!arm.is_empty(), "the provider made no resource manager request");
    for entry in &arm {
        assert_eq!(entry.principal.as_deref(), Some(principal), "{entry:?}");
        assert_ne!(entry.status, 401, "{entry:?}");
    }
}

/// An OIDC ID token such as GitHub Actions or Kubernetes issues: a JWT for `api://AzureADTokenExchange`, valid
/// for ten minutes. The emulator checks its claims, not its signature.
pub fn oidc_id_token(subject: &str) -> String {
    let encode = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    format!(
        "{}.{}.{}",
        encode(json!({"alg": "RS256", "typ": "JWT", "kid": "test"})),
        encode(json!({"iss": "https://token.actions.githubusercontent.com", "sub": subject,
                      "aud": world::OIDC_AUDIENCE, "iat": now, "nbf": now, "exp": now + 600})),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("signature-of-{subject}")),
    )
}

/// The `exp` claim of a JWT.
pub fn expiry_of(jwt: &str) -> u64 {
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["exp"].as_u64().expect("exp")
}

/// A stand-in for the Azure CLI: a folder holding an `az` script to put first on PATH, and the file where the
/// script writes the arguments of each call.
pub struct AzStandIn {
    /// The folder holding `az`.
    pub bin: PathBuf,
    /// One line per call: the arguments.
    pub calls: PathBuf,
}

impl AzStandIn {
    /// An `az` that prints what `az account get-access-token --output json` prints for a signed-in account,
    /// with `access_token` as the token.
    pub fn signed_in(dir: &Path, access_token: &str) -> AzStandIn {
        let expires_on = expiry_of(access_token);
        let expires = time::OffsetDateTime::from_unix_timestamp(expires_on as i64).expect("expiry");
        // The CLI writes expiresOn in local time (here UTC); azure_identity reads only expires_on.
        let expires_on_text = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.000000",
            expires.year(),
            u8::from(expires.month()),
            expires.day(),
            expires.hour(),
            expires.minute(),
            expires.second()
        );
        let body = json!({
            "accessToken": access_token,
            "expiresOn": expires_on_text,
            "expires_on": expires_on,
            "subscription": world::SUBSCRIPTION_ID,
            "tenant": world::TENANT_ID,
            "tokenType": "Bearer",
        });
        AzStandIn::script(dir, &format!("cat <<'JSON'\n{}\nJSON\n", serde_json::to_string_pretty(&body).unwrap()))
    }

    /// An `az` with no account signed in: the real CLI's message on stderr, exit status 1.
    pub fn signed_out(dir: &Path) -> AzStandIn {
        AzStandIn::script(dir, "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n")
    }

    fn script(dir: &Path, body: &str) -> AzStandIn {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = dir.join("az-bin");
        std::fs::create_dir_all(&bin).expect("az folder");
        let calls = dir.join("az-calls");
        let script = bin.join("az");
        std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n{body}", calls.display()))
            .expect("az script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("az is executable");
        AzStandIn { bin, calls }
    }

    /// PATH with this `az` first.
    pub fn path(&self) -> OsString {
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(paths).expect("PATH")
    }

    /// The arguments of each call so far.
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.calls).map(|text| text.lines().map(str::to_owned).collect()).unwrap_or_default()
    }
}

/// Asserts that terraform's `output` holds `expected`, whatever line wrapping terraform applied (it wraps
/// diagnostic details at about 80 columns).
#[track_caller]
pub fn assert_says(output: &str, expected: &str) {
    let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(squash(output).contains(&squash(expected)), "expected {expected:?} in:\n{output}");
}

/// Finds every JWT-shaped string (`eyJ...` header, payload and signature) in `text`.
pub fn jwts_in(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+").expect("pattern");
    pattern.find_iter(text).map(|m| m.as_str().to_owned()).collect()
}

/// Asserts that none of `secrets` (name, value) appears in any of `places` (name, text), and that no JWT does.
pub fn assert_nothing_leaks(places: &[(&str, &str)], secrets: &[(&str, &str)]) {
    for (place, text) in places {
        for (name, secret) in secrets {
            assert!(!secret.is_empty(), "{name} is empty, so looking for it proves nothing");
            assert!(!text.contains(secret), "{name} appears in {place}");
        }
        let jwts = jwts_in(text);
        assert!(jwts.is_empty(), "{place} holds {} JWT-shaped strings, the first starting {:.24}", jwts.len(), jwts[0]);
    }
}
