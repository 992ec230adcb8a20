//! The services go-plugin's client expects next to the provider service: the controller (Shutdown), stdio
//! and broker streams, and gRPC health.

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::proto::go_plugin as pb;
use super::proto::health;

/// GRPCController: Shutdown ends the server gracefully; the process then exits with status 0.
#[derive(Debug)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown`.
    pub fn new(shutdown: CancellationToken) -> Controller {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        tracing::debug!("Terraform asked the plugin to shut down");
        // The graceful shutdown this starts still delivers this answer.
        self.shutdown.cancel();
        Ok(Response::new(pb::Empty {}))
    }
}

/// A stream that sends nothing and ends when `shutdown` is cancelled (or the client goes away).
fn idle_stream<T: Send + 'static>(shutdown: CancellationToken) -> ReceiverStream<Result<T, Status>> {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = sender.closed() => {}
        }
    });
    ReceiverStream::new(receiver)
}

/// GRPCStdio: the provider writes nothing to stdout or stderr worth forwarding (logs go to stderr directly,
/// which Terraform reads), so the stream stays open and silent until shutdown.
#[derive(Debug)]
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    /// A stdio service whose streams end at `shutdown`.
    pub fn new(shutdown: CancellationToken) -> Stdio {
        Stdio { shutdown }
    }
}

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = ReceiverStream<Result<pb::StdioData, Status>>;

    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(idle_stream(self.shutdown.clone())))
    }
}

/// GRPCBroker: Terraform providers never use extra connections; the stream is accepted, drained and kept
/// open until shutdown.
#[derive(Debug)]
pub struct Broker {
    shutdown: CancellationToken,
}

impl Broker {
    /// A broker whose streams end at `shutdown`.
    pub fn new(shutdown: CancellationToken) -> Broker {
        Broker { shutdown }
    }
}

#[tonic::async_trait]
impl pb::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = ReceiverStream<Result<pb::ConnInfo, Status>>;

    async fn start_stream(
        &self,
        request: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = request.into_inner();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    message = incoming.message() => match message {
                        Ok(Some(info)) => tracing::debug!(service_id = info.service_id, "ignoring a broker request"),
                        Ok(None) | Err(_) => break,
                    },
                }
            }
        });
        Ok(Response::new(idle_stream(self.shutdown.clone())))
    }
}

/// gRPC health: SERVING for the server as a whole ("") and for go-plugin's "plugin" service.
#[derive(Debug, Default)]
pub struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        request: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        match request.into_inner().service.as_str() {
            "" | "plugin" => Ok(Response::new(health::HealthCheckResponse {
                status: health::health_check_response::ServingStatus::Serving as i32,
            })),
            other => Err(Status::not_found(format!("unknown service {other:?}"))),
        }
    }
}
