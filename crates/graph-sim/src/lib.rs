//! graph-sim: an offline simulator of Microsoft Graph v1.0 and the
//! Microsoft identity platform (v2.0 endpoints), speaking the real wire
//! formats so the Office 365 component can be tested without a tenant.
//!
//! One port serves both `/{tenant}/oauth2/v2.0/{token,authorize}` and
//! `/v1.0/...` (also `/beta/...`). The host under test rewrites cloud hosts
//! to the sim and names the original in `x-forwarded-host`.

mod clouds;
mod config;
mod demo;
mod demo_admin;
mod demo_mail;
mod error;
mod faults;
mod generate;
mod graph;
mod handle;
mod handle_admin;
mod identity;
mod ids;
mod log;
mod mime;
mod permissions;
mod server;
mod sim;
mod store;
mod time;
mod upload;
mod wire;

#[cfg(test)]
mod layering_tests;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::SimConfig;
pub use faults::{Fault, FaultKind};
pub use generate::MailboxSpec;
pub use handle::SimHandle;
pub use identity::store::AppRegistration;
pub use log::RecordedRequest;

/// Starts a simulator on an ephemeral loopback port.
pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

/// Starts a simulator on `addr`, seeded with the demo tenant. Must be
/// called inside a Tokio runtime; serving runs on a spawned task.
pub async fn start_on(addr: SocketAddr, config: SimConfig) -> anyhow::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let sim = Arc::new(sim::Sim::new(
        &config,
        demo::tenant(),
        demo::data(time::now_unix() as i64),
    ));
    {
        let mut identity = sim::lock(&sim.identity);
        for app in demo::apps() {
            identity.register(app);
        }
    }
    let refresh = identity::issue_refresh_token(
        &sim,
        demo::DELEGATED_CLIENT_ID,
        demo::ANALYST_UPN,
        demo::DELEGATED_SCOPE,
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(server::run(listener, sim.clone(), stop_rx));
    Ok(SimHandle::new(sim, bound, stop_tx, refresh))
}
