//! `o365-host serve`: a long-lived HTTP API over one [`Runtime`] (one engine, pooled
//! instances) that runs the commands of many named connections side by side, for platforms
//! that use the component as a sidecar instead of embedding wasmtime.
//!
//! Loopback only, unless a bearer token is configured; then the token is required on
//! every request. Each connection has its own concurrency limit and bounded queue, so one
//! noisy tenant cannot starve the others (see [`admission`]).

pub mod admission;
mod api;
pub mod auth;
pub mod registry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use admission::TenantLimits;
pub use auth::BearerToken;
pub use registry::Registry;

use crate::Runtime;

/// The default listening address: loopback.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8780";

/// A request that has not sent its headers by then is dropped (slow clients hold no slot).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// Required on every request when set; a non-loopback address needs one.
    pub token: Option<BearerToken>,
    /// Largest request body (command input or connection), bytes.
    pub max_body_bytes: usize,
    /// Per connection: invocations at once, and waiting.
    pub tenant: TenantLimits,
    /// Invocations of all connections at once: at most the engine's pooling slots
    /// (`EngineOptions::max_instances`), which each invocation holds one of.
    pub concurrent: usize,
}

impl ServeOptions {
    pub fn new(addr: SocketAddr) -> ServeOptions {
        ServeOptions {
            addr,
            token: None,
            max_body_bytes: 4 * 1024 * 1024,
            tenant: TenantLimits::default(),
            concurrent: crate::engine::EngineOptions::default().max_instances as usize,
        }
    }
}

/// Refuses to listen beyond loopback without a token: anyone who can reach the port could
/// otherwise run commands with every stored connection.
pub fn check_exposure(addr: &SocketAddr, token: Option<&BearerToken>) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() && token.is_none() {
        bail!(
            "refusing to listen on {addr} without a bearer token: set --token-file FILE or O365_SERVE_TOKEN, or listen on loopback (127.0.0.1)"
        );
    }
    Ok(())
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets open exchanges finish (up to 10 s).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds and serves on a spawned task. The manifest is read once before the first request,
/// so a component that cannot describe itself stops the start.
pub async fn start(
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    options: ServeOptions,
) -> anyhow::Result<Server> {
    check_exposure(&options.addr, options.token.as_ref())?;
    let manifest = runtime.describe().await?;
    let listener = TcpListener::bind(options.addr).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(api::State::new(runtime, registry, options, &manifest));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, state, stopped));
    Ok(Server { addr, stop, task })
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<api::State>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = service_fn(move |req| api::handle(state.clone(), req));
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client going away is not the server's error.
                    let _ = conn.await;
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_go_without_a_token() {
        let token = BearerToken::new("t0ken");
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let loopback6: SocketAddr = "[::1]:0".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8780".parse().unwrap();
        let lan: SocketAddr = "192.168.1.10:8780".parse().unwrap();
        assert!(check_exposure(&loopback, None).is_ok());
        assert!(check_exposure(&loopback6, None).is_ok());
        let refused = check_exposure(&any, None).unwrap_err().to_string();
        assert!(refused.contains("bearer token"), "{refused}");
        assert!(check_exposure(&lan, None).is_err());
        assert!(check_exposure(&any, token.as_ref()).is_ok());
    }
}
