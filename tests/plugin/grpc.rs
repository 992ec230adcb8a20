//! The plugin server in-process, called over its unix socket by a gRPC client that presents a certificate
//! the way Terraform does.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use dataprotection::plugin::proto::go_plugin;
use dataprotection::plugin::proto::health::{HealthCheckRequest, health_check_response::ServingStatus};
use dataprotection::plugin::proto::tfplugin6 as pb;
use dataprotection::plugin::value::Value;

#[tokio::test]
async fn terraforms_certificate_gets_in() {
    let client = ClientIdentity::generate();
    let (server, _dir) = start_server(&client, Arc::default()).await;
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&client)).await.expect("connects");

    let status = health_client(channel.clone())
        .check(HealthCheckRequest { service: "plugin".into() })
        .await
        .expect("health check")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

    let mut provider = provider_client(channel);
    let schema = provider.get_provider_schema(pb::get_provider_schema::Request {}).await.expect("schema").into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let thing = &schema.resource_schemas["test_thing"];
    let timeouts = &thing.block.as_ref().unwrap().block_types[0];
    assert_eq!((timeouts.type_name.as_str(), timeouts.min_items, timeouts.max_items), ("timeouts", 0, 0));
    let metadata = provider.get_metadata(pb::get_metadata::Request {}).await.expect("metadata").into_inner();
    assert_eq!(metadata.resources[0].type_name, "test_thing");
}

/// A client whose RPC must fail: its TLS handshake is refused (TLS 1.3 reports the refusal of a client
/// certificate only after the client thinks it is connected, so the failure may come at connect or call).
async fn refused(server: &dataprotection::plugin::Server, client: Option<&ClientIdentity>) -> bool {
    let Ok(channel) = connect(server.socket_path(), server.server_certificate(), client).await else { return true };
    health_client(channel).check(HealthCheckRequest { service: "plugin".into() }).await.is_err()
}

#[tokio::test]
async fn another_certificate_or_none_is_refused_and_the_server_keeps_serving() {
    let terraform = ClientIdentity::generate();
    let (server, _dir) = start_server(&terraform, Arc::default()).await;

    let stranger = ClientIdentity::generate();
    assert!(refused(&server, Some(&stranger)).await, "a different certificate must be refused");
    assert!(refused(&server, None).await, "no certificate must be refused");

    // The failed handshakes did not stop the server.
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&terraform)).await.expect("connects");
    assert!(health_client(channel).check(HealthCheckRequest { service: String::new() }).await.is_ok());
}

#[tokio::test]
async fn stop_provider_cancels_an_in_flight_apply() {
    let client = ClientIdentity::generate();
    let signals = Arc::new(Signals::default());
    let (server, _dir) = start_server(&client, signals.clone()).await;
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&client)).await.expect("connects");

    let mut applying = provider_client(channel.clone());
    let mut planned = thing("slow");
    planned.set_attr("id", Value::Unknown);
    let started = Instant::now();
    let apply = tokio::spawn(async move {
        applying
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dynamic(&Value::Null),
                planned_state: dynamic(&planned),
                config: dynamic(&thing("slow")),
                ..Default::default()
            })
            .await
    });
    tokio::time::timeout(Duration::from_secs(10), signals.apply_started.notified()).await.expect("apply started");

    let stop = provider_client(channel).stop_provider(pb::stop_provider::Request {}).await.expect("stop").into_inner();
    assert_eq!(stop.error, "");

    let response = tokio::time::timeout(Duration::from_secs(10), apply)
        .await
        .expect("apply returns after StopProvider")
        .expect("task")
        .expect("rpc")
        .into_inner();
    assert!(started.elapsed() < Duration::from_secs(10));
    let state = undynamic(response.new_state);
    assert_eq!(state.attr("outcome").as_str(), Some("stopped"), "the resource saw ctx.stopped()");
    assert_eq!(state.attr("id").as_str(), Some("thing-slow"), "what it knew is kept");
    assert_eq!(response.diagnostics[0].summary, "Interrupted");
}

#[tokio::test]
async fn a_panic_becomes_a_diagnostic_and_the_server_survives() {
    let client = ClientIdentity::generate();
    let (server, _dir) = start_server(&client, Arc::default()).await;
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&client)).await.expect("connects");
    let mut provider = provider_client(channel);
    let plan = |name: &str| pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dynamic(&Value::Null),
        proposed_new_state: dynamic(&thing(name)),
        config: dynamic(&thing(name)),
        ..Default::default()
    };
    let response = provider.plan_resource_change(plan("panic")).await.expect("rpc answers").into_inner();
    let diagnostic = &response.diagnostics[0];
    assert!(diagnostic.summary.starts_with("Provider bug"), "{diagnostic:?}");
    assert!(diagnostic.detail.contains("plan exploded"));
    assert!(!diagnostic.detail.contains("backtrace") && !diagnostic.detail.contains("rust_begin_unwind"));

    let response = provider.plan_resource_change(plan("fine")).await.expect("still serving").into_inner();
    assert!(response.diagnostics.is_empty());
    assert!(undynamic(response.planned_state).attr("id").is_unknown());
}

#[tokio::test]
async fn shutdown_ends_streams_and_the_server_and_removes_the_socket_folder() {
    let client = ClientIdentity::generate();
    let (server, _dir) = start_server(&client, Arc::default()).await;
    let socket_dir = server.socket_path().parent().expect("folder").to_path_buf();
    assert!(socket_dir.exists());
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&client)).await.expect("connects");

    let mut stdio = stdio_client(channel.clone()).stream_stdio(()).await.expect("stdio stream").into_inner();
    // The stdio stream stays open and silent.
    assert!(tokio::time::timeout(Duration::from_millis(200), stdio.message()).await.is_err());

    controller_client(channel).shutdown(go_plugin::Empty {}).await.expect("shutdown answers");
    let ended = tokio::time::timeout(Duration::from_secs(5), stdio.message()).await.expect("stdio stream ends");
    assert!(matches!(ended, Ok(None) | Err(_)));
    tokio::time::timeout(Duration::from_secs(5), server.wait()).await.expect("server stops").expect("cleanly");
    assert!(!socket_dir.exists(), "socket folder removed");
}

/// Many requests on one connection, as Terraform sends them, each answered in full. How fast they are is measured by
/// `make bench` (its PlanResourceChange round trip), not asserted here: timings belong in benchmarks.
#[tokio::test]
async fn many_plans_on_one_connection_are_each_answered() {
    let client = ClientIdentity::generate();
    let (server, _dir) = start_server(&client, Arc::default()).await;
    let channel = connect(server.socket_path(), server.server_certificate(), Some(&client)).await.expect("connects");
    let mut provider = provider_client(channel);
    let mut config = thing("many");
    config.set_attr("tags", Value::List(vec![Value::from("a"), Value::from("b")]));
    let request = pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: dynamic(&Value::Null),
        proposed_new_state: dynamic(&config),
        config: dynamic(&config),
        ..Default::default()
    };
    for i in 0..300 {
        let response = provider.plan_resource_change(request.clone()).await.expect("plan").into_inner();
        assert!(response.diagnostics.is_empty(), "request {i}: {:?}", response.diagnostics);
        let planned = response.planned_state.expect("a planned state");
        assert!(!planned.msgpack.is_empty(), "request {i}: the planned state is encoded");
    }
}
