//! Compiles `proto/` into Rust with no system `protoc`: `protox` parses the files into a descriptor set and
//! `tonic-prost-build` generates messages, servers and (for tests) clients from it.

use std::io;

const PROTOS: &[&str] = &["proto/tfplugin6.proto", "proto/go_plugin.proto", "proto/health.proto"];

fn main() -> io::Result<()> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"]).map_err(|e| io::Error::other(e.to_string()))?;
    tonic_prost_build::configure().build_server(true).build_client(true).build_transport(false).compile_fds(descriptors)
}
