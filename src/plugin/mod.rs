//! The Terraform plugin protocol layer: handshake, mutual TLS, gRPC services, value codec, schemas and
//! diagnostics. It knows nothing of Azure; it serves any [`provider::Provider`].

pub mod codec;
pub mod convert;
pub mod diagnostics;
pub mod handshake;
pub mod logging;
pub mod proto;
pub mod provider;
pub mod schema;
pub mod service;
pub mod tls;
pub mod value;
