//! Where tokens go and how long they live: a token the resource manager stops accepting is renewed once and the
//! apply goes on; a polling URL on another host is refused before anything is sent to it.

use crate::auth_support;
use crate::support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_support::*;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::{LroTiming, OperationKind};
use support::terraform::{Workspace, emulator_http_client, instance_block};

fn service_principal() -> String {
    format!(
        "  tenant_id     = \"{}\"\n  client_id     = \"{}\"\n  client_secret = \"{}\"",
        world::TENANT_ID,
        world::CLIENT_ID,
        world::CLIENT_SECRET
    )
}

#[tokio::test]
async fn a_token_that_expires_during_an_apply_is_renewed_once() {
    let ws = Workspace::start().await;
    // The create runs until an hour passes on the emulator's clock; that same hour expires the token the
    // provider signed in with, while the provider's own clock says it is still fresh.
    ws.emulator
        .state()
        .set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, LroTiming::with_delays(0, 3_600_000, 1, Some(20)));
    write_main(&ws, &service_principal(), &instance_block("bi", "bi-expiry", world::DISK_APP_01, world::POLICY_DAILY));
    let advance = async {
        let put_seen = ws
            .wait_for_journal(Duration::from_secs(60), |journal| {
                journal.iter().any(|e| e.operation == "BackupInstances_CreateOrUpdate" && e.method == "PUT")
            })
            .await;
        assert!(put_seen, "the apply never sent its PUT");
        ws.emulator.state().advance_clock(Duration::from_secs(3601));
    };
    let (run, ()) = tokio::join!(terraform_with(&ws, &["apply", "-auto-approve"], &[]), advance);
    assert_eq!(run.code, 0, "{}", run.output());

    let journal = ws.journal();
    let refused: Vec<_> = journal.iter().filter(|e| e.status == 401).collect();
    assert_eq!(refused.len(), 1, "one request met the expired token: {refused:?}");
    let after: Vec<_> = journal.iter().filter(|e| e.seq > refused[0].seq).collect();
    assert_eq!(after[0].operation, "Token", "the provider signed in again right after the 401");
    assert_eq!(after[0].status, 200);
    assert_eq!(after[1].path, refused[0].path, "then sent the refused request again");
    assert_eq!(after[1].status, 200);
    assert_eq!(sign_ins(&ws).len(), 3, "plan, apply, and one renewal");
    let instance = ws.resource("dataprotection_backup_instance.bi").expect("in state");
    assert_eq!(instance["attributes"]["protection_state"], "ProtectionConfigured");
}

/// What the stand-in for "another host" saw: connections, and whether any carried an Authorization header.
#[derive(Default)]
struct Recorder {
    connections: AtomicUsize,
    authorization_seen: Mutex<bool>,
}

/// A reverse proxy in front of the emulator, on plain http (allowed on loopback), that rewrites every polling
/// URL to point at `elsewhere`: another host with the same scheme and port.
struct Proxy {
    emulator_base: String,
    elsewhere: String,
    client: reqwest::Client,
    forwarded: Mutex<Vec<String>>,
}

async fn forward(proxy: Arc<Proxy>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
    proxy.forwarded.lock().unwrap().push(format!("{method} {}", uri.path()));
    let mut request = proxy.client.request(method, format!("{}{path}", proxy.emulator_base)).body(body);
    for (name, value) in &headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("the emulator answers the proxy");
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let mut out_headers = HeaderMap::new();
    for (name, value) in response.headers() {
        let value = match name.as_str() {
            "azure-asyncoperation" | "location" => {
                let text = value.to_str().unwrap().replace(&proxy.emulator_base, &proxy.elsewhere);
                HeaderValue::from_str(&text).unwrap()
            }
            _ => value.clone(),
        };
        out_headers.append(name.clone(), value);
    }
    let body = response.bytes().await.unwrap();
    (status, out_headers, body).into_response()
}

/// Binds the proxy on 127.0.0.1 and the recorder on 127.0.0.2 at the same port (Linux routes all of 127/8 to
/// the loopback interface), retrying with another port if that one is taken on 127.0.0.2.
async fn bind_pair() -> (tokio::net::TcpListener, tokio::net::TcpListener) {
    for _ in 0..20 {
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = proxy.local_addr().unwrap().port();
        if let Ok(recorder) = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 2], port))).await {
            return (proxy, recorder);
        }
    }
    panic!("no port was free on both 127.0.0.1 and 127.0.0.2");
}

#[tokio::test]
async fn a_polling_url_on_another_host_is_refused_without_sending_the_token() {
    let ws = Workspace::start().await;
    let (proxy_listener, recorder_listener) = bind_pair().await;
    let port = proxy_listener.local_addr().unwrap().port();

    let recorder = Arc::new(Recorder::default());
    let seen = recorder.clone();
    let recorder_task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = recorder_listener.accept().await else { return };
            seen.connections.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0u8; 8192];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(2), tokio::io::AsyncReadExt::read(&mut stream, &mut buffer))
                    .await
            {
                let text = String::from_utf8_lossy(&buffer[..n]).to_ascii_lowercase();
                *seen.authorization_seen.lock().unwrap() |= text.contains("authorization:");
            }
        }
    });

    let proxy = Arc::new(Proxy {
        emulator_base: ws.emulator.base_url().to_owned(),
        elsewhere: format!("http://127.0.0.2:{port}"),
        client: emulator_http_client(&ws.emulator),
        forwarded: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new().fallback({
        let proxy = proxy.clone();
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            forward(proxy.clone(), method, uri, headers, body)
        }
    });
    let proxy_task = tokio::spawn(async move { axum::serve(proxy_listener, app).await.unwrap() });

    // Discovery says the resource manager is the emulator; the explicit endpoint (the proxy) wins.
    write_main(
        &ws,
        &format!("{}\n  resource_manager_endpoint = \"http://127.0.0.1:{port}/\"", service_principal()),
        &instance_block("bi", "bi-hosts", world::DISK_APP_01, world::POLICY_DAILY),
    );
    let run = terraform_with(&ws, &["plan"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    assert_says(&output, "Azure pointed the provider at http://127.0.0.2");
    assert_says(&output, &format!("which is not the configured resource manager (http://127.0.0.1:{port})"));
    assert_says(&output, "the provider sends its token only to the resource manager");

    let forwarded = proxy.forwarded.lock().unwrap().clone();
    assert!(
        forwarded.iter().any(|r| r.starts_with("POST ") && r.ends_with("/validateForBackup")),
        "validateForBackup went through the proxy (the override won over discovery): {forwarded:?}"
    );
    assert!(
        ws.journal().iter().all(|e| !e.operation.starts_with("OperationStatus")),
        "the operation was never polled, through the proxy or otherwise"
    );
    // Give a stray connection time to arrive before concluding none came.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.connections.load(Ordering::SeqCst), 0, "nothing connected to the other host");
    assert!(!*recorder.authorization_seen.lock().unwrap());
    proxy_task.abort();
    recorder_task.abort();
}
