//! Code generated from `proto/` by `build.rs`: the messages and services of the plugin protocol.

/// Terraform's provider protocol, version 6.9.
#[allow(missing_docs, clippy::all)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's own services: controller (shutdown), stdio and broker.
#[allow(missing_docs, clippy::all)]
pub mod go_plugin {
    tonic::include_proto!("plugin");
}

/// gRPC's health service.
#[allow(missing_docs, clippy::all)]
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
