//! The plugin layer: the handshake, mTLS, the gRPC services, and a small test provider driven by terraform.

#[path = "../common/mod.rs"]
mod common;
#[path = "../support/terraform_version.rs"]
mod terraform_version;

mod binary;
mod grpc;
mod terraform;
