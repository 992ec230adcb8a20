//! Bad input: malformed IDs and names are rejected at validate with a diagnostic on the attribute, no request
//! ever leaves with an altered path, and Azure answering with something unreadable (not JSON, an empty 406, an
//! HTML error page, a huge body) gives a clear error, no panic and bounded memory.

use crate::reliability_support;
use crate::support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use dataprotection::arm::auth::{AccessToken, Secret, TokenSource};
use dataprotection::arm::ids::{BackupInstanceId, BackupVaultId};
use dataprotection::arm::pipeline::{
    CallContext, Clock, HttpRequest, HttpResponse, Pipeline, RetryOptions, SystemClock, Transport, TransportError,
};
use dataprotection::arm::{ArmClient, ArmError};
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{FaultAction, FaultRule};
use reliability_support::{flatten, output_problems, provider_children};
use support::terraform::{Workspace, instance_block};

/// One resource block per bad value: (attribute, value as HCL string contents, why it is bad).
fn bad_values() -> Vec<(&'static str, String, &'static str)> {
    let vault = world::vault_id();
    let disk = world::disk_id(world::DISK_APP_01);
    let policy = world::policy_id(world::POLICY_DAILY);
    let snapshots = world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP);
    let mut values: Vec<(&'static str, String, &'static str)> = Vec::new();
    for (name, why) in [
        ("", "empty"),
        ("a/b", "slash"),
        ("a?b", "question mark"),
        ("a#b", "hash"),
        ("a%2Fb", "percent"),
        ("..", "dot dot"),
        ("a..b", "dot dot inside"),
        (" a", "leading space"),
        ("a b", "space"),
        ("a\\tb", "tab"),
        ("a\\nb", "newline"),
        ("a\\u0001b", "control character"),
        ("a\\u007fb", "delete character"),
        ("a\\u00a0b", "no-break space"),
        ("a\\\\b", "backslash"),
    ] {
        values.push(("name", name.to_owned(), why));
    }
    for (value, why) in [
        (String::new(), "empty"),
        ("vault-demo".to_owned(), "a bare name"),
        (world::resource_group_id(world::BACKUP_RESOURCE_GROUP), "a resource group"),
        (format!("{vault}/backupPolicies/p"), "an extra segment"),
        (vault.replace("/resourceGroups/", "//resourceGroups/"), "an empty segment"),
        (vault.replace("vault-demo", "vault?x=1"), "a query in the name"),
        (vault.replace("vault-demo", "vault%2f.."), "an encoded slash"),
        (vault.replace("Microsoft.DataProtection", "Microsoft.Storage"), "another provider"),
        (vault.replace("/subscriptions/", "subscriptions/"), "no leading slash"),
    ] {
        values.push(("vault_id", value, why));
    }
    for (value, why) in [
        (String::new(), "empty"),
        ("disk-app-01".to_owned(), "a bare name"),
        (disk.replace("disk-app-01", "disk#1"), "a hash in the name"),
        (disk.replace("disk-app-01", ".."), "dot dot as the name"),
        (disk.replace("/disks/", "/disks/x/"), "a segment without value"),
        (world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP), "no provider"),
        (disk.replace("Microsoft.Compute/disks", "Microsoft.Storage/storageAccounts"), "not a disk"),
    ] {
        values.push(("datasource_id", value, why));
    }
    for (value, why) in [
        (String::new(), "empty"),
        (vault.clone(), "the vault, not a policy"),
        (format!("{vault}/backupPolicies/p q"), "a space in the name"),
        (policy.replace("vault-demo", "other-vault"), "a policy in another vault"),
    ] {
        values.push(("backup_policy_id", value, why));
    }
    for (value, why) in [
        (String::new(), "empty"),
        ("rg-snapshots".to_owned(), "a bare name"),
        (format!("{snapshots}/providers/x"), "extra segments"),
        (snapshots.replace("rg-snapshots", "rg\\u0000"), "a NUL character"),
    ] {
        values.push(("snapshot_resource_group_id", value, why));
    }
    for (value, why) in [(String::new(), "empty"), ("   ".to_owned(), "blank")] {
        values.push(("location", value, why));
    }
    values
}

/// A block whose `attribute` is `value` and everything else is good; the 1-based line of the attribute in it.
fn block_with(label: &str, attribute: &str, value: &str) -> (String, usize) {
    let good = instance_block(label, &format!("{label}-name"), world::DISK_APP_01, world::POLICY_DAILY);
    let mut line_of = 0;
    let lines: Vec<String> = good
        .lines()
        .enumerate()
        .map(|(index, line)| {
            let trimmed = line.trim_start();
            if trimmed.starts_with(attribute) && trimmed[attribute.len()..].trim_start().starts_with('=') {
                line_of = index + 1;
                format!("  {attribute} = \"{value}\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(line_of > 0, "{attribute} is in the block");
    (lines.join("\n") + "\n", line_of)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_malformed_id_or_name_is_rejected_on_its_attribute_and_nothing_is_sent() {
    let ws = Workspace::start().await;
    let values = bad_values();
    // main.tf: the terraform and provider blocks (written by ws.write with an empty body), then the blocks.
    ws.write("");
    let header = std::fs::read_to_string(ws.work_dir().join("main.tf")).unwrap();
    let mut text = header.clone();
    let mut expected = Vec::new();
    for (index, (attribute, value, why)) in values.iter().enumerate() {
        let label = format!("bad{index}");
        let (block, line) = block_with(&label, attribute, value);
        expected.push((label, *attribute, line + text.lines().count(), *why, value.clone()));
        text.push_str(&block);
        text.push('\n');
    }
    std::fs::write(ws.work_dir().join("main.tf"), &text).unwrap();

    let run = ws.terraform(&["validate", "-json"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("validate -json output");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let mut missing = Vec::new();
    for (label, attribute, line, why, value) in &expected {
        let hit = diagnostics.iter().any(|d| {
            d["severity"] == "error"
                && d["range"]["start"]["line"].as_u64() == Some(*line as u64)
                && d["snippet"]["context"].as_str().is_some_and(|c| c.contains(label.as_str()))
        });
        if !hit {
            missing.push(format!("{label}: {attribute} = {value:?} ({why}) has no error on line {line}"));
        }
    }
    println!("validate: {} malformed values, {} diagnostics", expected.len(), diagnostics.len());
    assert!(missing.is_empty(), "{}\n{}", missing.join("\n"), run.stdout);
    assert!(output_problems(&run.output()).is_empty());

    // plan and apply stop at the same errors: not one request reaches Azure.
    ws.emulator.state().clear_journal();
    for args in [&["plan"][..], &["apply", "-auto-approve"]] {
        let run = ws.terraform(args).await;
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(output_problems(&run.output()).is_empty(), "{}", run.output());
    }
    let sent: Vec<_> =
        ws.journal().into_iter().filter(|e| e.operation != "Token" && e.operation != "Metadata_Endpoints").collect();
    assert!(sent.is_empty(), "requests were sent: {sent:?}");
}

/// A transport that records every URL and answers 404.
#[derive(Default)]
struct Recorder {
    urls: Mutex<Vec<url::Url>>,
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.urls.lock().unwrap().push(request.url.clone());
        Ok(HttpResponse {
            status: http::StatusCode::NOT_FOUND,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(br#"{"error":{"code":"NotFound","message":"no"}}"#),
        })
    }
}

struct FixedToken;

#[async_trait]
impl TokenSource for FixedToken {
    async fn token(&self, _refresh: bool) -> Result<AccessToken, ArmError> {
        Ok(AccessToken { token: Secret::new("token"), expires_at: SystemTime::now() + Duration::from_secs(3600) })
    }
}

/// Names to try: every troublesome character alone, around and inside a name, plus random mixes.
fn hostile_names() -> Vec<String> {
    let specials = [
        "/", "\\", "?", "#", "%", "%2F", "%2e%2e", "..", ".", " ", "\t", "\n", "\r", "\0", "\u{1}", "\u{7f}", "\u{a0}",
        "\u{2028}", "\u{202e}", "&", "=", ";", "@", ":", "+", "~", "[", "]", "\"", "'", "<", ">", "|", "é", "名",
    ];
    let mut names = Vec::new();
    for s in specials {
        names.push(s.to_owned());
        names.push(format!("a{s}"));
        names.push(format!("{s}a"));
        names.push(format!("a{s}b"));
        names.push(format!("a{s}{s}b"));
    }
    let alphabet: Vec<char> = "ab0-._~/\\?#%&=;:@+ \t\n\u{0}\u{1f}\u{7f}é".chars().collect();
    let mut rng = fastrand::Rng::with_seed(20261126);
    for _ in 0..20_000 {
        let len = rng.usize(1..12);
        names.push((0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect());
    }
    names
}

#[tokio::test]
async fn no_request_ever_leaves_with_an_altered_path() {
    let recorder = Arc::new(Recorder::default());
    let pipeline = Pipeline::new(
        url::Url::parse("https://management.example.test/").unwrap(),
        recorder.clone(),
        Arc::new(SystemClock) as Arc<dyn Clock>,
        Arc::new(FixedToken),
        "reliability-test",
        RetryOptions::default(),
    );
    let client = ArmClient::new(Arc::new(pipeline));
    let vault: BackupVaultId = world::vault_id().parse().unwrap();
    let call = CallContext::new(Instant::now(), Duration::from_secs(60), "test", Default::default());
    let (mut sent, mut refused, mut rejected_by_parser) = (0usize, 0usize, 0usize);
    for name in hostile_names() {
        // Built directly, as if validation had been skipped: the client is the last line of defence.
        let id = BackupInstanceId { vault: vault.clone(), name: name.clone() };
        let before = recorder.urls.lock().unwrap().len();
        let result = client.get_backup_instance(&call, &id).await;
        let urls = recorder.urls.lock().unwrap();
        if urls.len() == before {
            assert!(result.is_err(), "{name:?}: no request and no error");
            refused += 1;
        } else {
            let url = urls.last().unwrap();
            let decoded = percent_decode(url.path());
            assert_eq!(decoded, id.to_string(), "{name:?}: the path sent is not the ID");
            assert_eq!(url.path().split('/').count(), id.to_string().split('/').count(), "{name:?}: segments changed");
            assert_eq!(url.query(), Some(format!("api-version={}", dataprotection::arm::API_VERSION).as_str()));
            assert!(url.fragment().is_none(), "{name:?}: a fragment");
            sent += 1;
        }
        // And any text the ID parser accepts has a name that cannot alter a path.
        let text = format!("{}/backupInstances/{name}", world::vault_id());
        match text.parse::<BackupInstanceId>() {
            Ok(parsed) => assert!(
                !parsed.name.chars().any(|c| "/\\?#% \t\n\r".contains(c) || c.is_control() || c.is_whitespace())
                    && !parsed.name.contains(".."),
                "the parser accepted {name:?}"
            ),
            Err(_) => rejected_by_parser += 1,
        }
    }
    println!(
        "hostile names: {sent} sent with their exact path, {refused} refused by the client, {rejected_by_parser} rejected by the parser"
    );
    assert!(refused > 0 && sent > 0);
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn raw(operation: &str, status: u16, content_type: Option<&str>, body: &str, repeat: usize) -> FaultRule {
    FaultRule {
        id: 0,
        method: None,
        path_contains: None,
        path_regex: None,
        operation: Some(operation.to_owned()),
        skip: 0,
        count: None,
        action: FaultAction::RawBody {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.to_owned(),
            repeat: Some(repeat),
            chunked: false,
        },
    }
}

/// Peak resident memory of the provider processes terraform runs, sampled while `pid` lives.
fn spawn_peak_sampler(pid: u32) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak_kib = 0u64;
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            for child in provider_children(pid) {
                let status = std::fs::read_to_string(format!("/proc/{child}/status")).unwrap_or_default();
                if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                    let kib = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                    peak_kib = peak_kib.max(kib);
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        peak_kib
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_answers_give_clear_errors_no_panic_and_bounded_memory() {
    let html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>\
                <p>The proxy could not reach the upstream server.</p></body></html>";
    let huge_piece = "x".repeat(1024);
    let cases: Vec<(&str, FaultRule, &[&str])> = vec![
        (
            "empty 406 on validate",
            raw("BackupInstances_ValidateForBackup", 406, None, "", 1),
            &["406", "no body", "rejects the request body"],
        ),
        (
            "empty 406 on PUT",
            raw("BackupInstances_CreateOrUpdate", 406, None, "", 1),
            &["406", "no body", "creating backup instance"],
        ),
        (
            "HTML 502 on GET",
            raw("BackupInstances_Get", 502, Some("text/html"), html, 1),
            &["502", "not JSON", "text/html", "Bad Gateway"],
        ),
        (
            "plain text 400 on PUT",
            raw("BackupInstances_CreateOrUpdate", 400, Some("text/plain"), "upstream said no\u{1b}[31m", 1),
            &["400", "not JSON", "upstream said no"],
        ),
        (
            "non-JSON 200 on GET",
            raw("BackupInstances_Get", 200, Some("application/json"), "{\"id\": tru", 1),
            &["could not be read", "creating backup instance"],
        ),
        (
            "JSON of the wrong shape on GET",
            raw("BackupInstances_Get", 200, Some("application/json"), "[1,2,3]", 1),
            &["could not be read"],
        ),
        (
            "64 MiB body on GET",
            raw("BackupInstances_Get", 200, Some("application/json"), &huge_piece, 64 * 1024),
            &["larger than 8388608 bytes"],
        ),
        (
            "64 MiB chunked body on GET, no Content-Length",
            FaultRule {
                action: FaultAction::RawBody {
                    status: 200,
                    content_type: Some("application/json".to_owned()),
                    body: huge_piece.clone(),
                    repeat: Some(64 * 1024),
                    chunked: true,
                },
                ..raw("BackupInstances_Get", 200, None, "", 1)
            },
            &["larger than 8388608 bytes"],
        ),
        (
            "64 MiB error body on validate",
            raw("BackupInstances_ValidateForBackup", 500, Some("text/html"), &huge_piece, 64 * 1024),
            &["larger than 8388608 bytes"],
        ),
    ];
    for (what, rule, expected) in cases {
        let ws = Workspace::start().await;
        ws.emulator.state().add_fault(rule).unwrap();
        ws.write(
            &instance_block("bi", "bi-unreadable", world::DISK_APP_01, world::POLICY_DAILY)
                .replace("\n}\n", "\n  timeouts {\n    create = \"5s\"\n    read = \"5s\"\n  }\n}\n"),
        );
        let child = ws.command(&["apply", "-auto-approve", "-no-color"]).spawn().expect("terraform starts");
        let sampler = spawn_peak_sampler(child.id().expect("pid"));
        let output = child.wait_with_output().await.expect("terraform ends");
        let peak_kib = sampler.await.unwrap();
        let out = flatten(&format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
        println!("{what}: provider peak RSS {} MiB", peak_kib / 1024);
        assert!(!output.status.success(), "{what}: {out}");
        assert!(output_problems(&out).is_empty(), "{what}: {out}");
        for text in expected {
            assert!(out.contains(text), "{what}: the error does not say {text:?}: {out}");
        }
        assert!(!out.contains('\u{1b}'), "{what}: control characters from the body reach the terminal");
        assert!(peak_kib > 0, "{what}: the memory sampler never saw a provider process");
        assert!(peak_kib < 48 * 1024, "{what}: the provider used {} MiB", peak_kib / 1024);
        // Nothing half-done: whatever exists is in state.
        let (problems, _, _) = reliability_support::invariant(&ws, false);
        assert!(problems.is_empty(), "{what}: {problems:?}");
    }
}
