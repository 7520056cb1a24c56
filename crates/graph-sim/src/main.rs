//! `graph-sim [--addr 127.0.0.1:PORT]`: runs the simulator standalone.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut addr: SocketAddr = "127.0.0.1:8765".parse()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                let value = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--addr needs a value"))?;
                addr = value.parse()?;
            }
            other => anyhow::bail!("unknown argument {other}; usage: graph-sim [--addr IP:PORT]"),
        }
    }
    let sim = graph_sim::start_on(addr, graph_sim::SimConfig::default()).await?;
    println!("graph-sim listening on {}", sim.url());
    for name in ["demo-delegated", "demo-app"] {
        if let Some(conn) = sim.demo_connection(name) {
            println!("{name}: {conn}");
        }
    }
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(())
}
