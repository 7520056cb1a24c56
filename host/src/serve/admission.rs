//! Who may run now: each connection has its own gate (a few invocations at once, a bounded
//! queue behind them), and all connections share the engine's pooling slots. A tenant that
//! floods the server waits in its own queue, or is turned away, while the others proceed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much of the server one connection may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantLimits {
    /// Invocations of one connection running at once.
    pub concurrent: usize,
    /// Invocations of one connection waiting for a turn; past this, 429.
    pub queued: usize,
}

impl Default for TenantLimits {
    fn default() -> Self {
        TenantLimits {
            concurrent: 4,
            queued: 64,
        }
    }
}

/// One connection's gate.
#[derive(Debug)]
pub struct TenantGate {
    running: Arc<Semaphore>,
    /// Invocations admitted and not finished: running plus waiting.
    admitted: AtomicUsize,
    limits: TenantLimits,
}

/// Held from admission to the end of an invocation; counts it against its connection.
#[derive(Debug)]
pub struct Ticket {
    gate: Arc<TenantGate>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The connection's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull {
    pub limits: TenantLimits,
}

/// Everything an admitted invocation holds while it runs; dropping it frees both slots.
#[derive(Debug)]
pub struct Turn {
    _tenant: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
    _ticket: Ticket,
}

impl TenantGate {
    pub fn new(limits: TenantLimits) -> Arc<TenantGate> {
        Arc::new(TenantGate {
            running: Arc::new(Semaphore::new(limits.concurrent.max(1))),
            admitted: AtomicUsize::new(0),
            limits,
        })
    }

    /// A place in this connection's line, or [`QueueFull`] at once (never waits).
    pub fn admit(self: &Arc<Self>) -> Result<Ticket, QueueFull> {
        let bound = self.limits.concurrent.max(1) + self.limits.queued;
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < bound).then_some(n + 1)
            })
            .map(|_| Ticket { gate: self.clone() })
            .map_err(|_| QueueFull {
                limits: self.limits,
            })
    }

    /// Invocations admitted and not finished (running or waiting).
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}

impl Ticket {
    /// Waits for this connection's turn, then for a free slot of the engine. The tenant
    /// permit comes first, so one connection never holds more engine slots than its limit
    /// and never queues more than that many for them.
    pub async fn wait(self, global: &Arc<Semaphore>) -> Turn {
        // The semaphores are never closed, so acquiring cannot fail.
        let tenant = self
            .gate
            .running
            .clone()
            .acquire_owned()
            .await
            .expect("tenant semaphore is never closed");
        let global = global
            .clone()
            .acquire_owned()
            .await
            .expect("global semaphore is never closed");
        Turn {
            _tenant: tenant,
            _global: global,
            _ticket: self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(concurrent: usize, queued: usize) -> TenantLimits {
        TenantLimits { concurrent, queued }
    }

    #[test]
    fn admits_up_to_running_plus_queued_then_refuses() {
        let gate = TenantGate::new(limits(2, 1));
        let held: Vec<Ticket> = (0..3).map(|_| gate.admit().unwrap()).collect();
        assert_eq!(gate.admitted(), 3);
        assert!(gate.admit().is_err(), "a fourth must be refused");
        drop(held);
        assert_eq!(gate.admitted(), 0);
        assert!(gate.admit().is_ok(), "finished tickets free their places");
    }

    #[tokio::test]
    async fn a_busy_tenant_does_not_take_another_tenants_turn() {
        let global = Arc::new(Semaphore::new(4));
        let noisy = TenantGate::new(limits(2, 8));
        let quiet = TenantGate::new(limits(2, 8));
        // The noisy tenant holds its two turns; its third waits in its own line.
        let _a = noisy.admit().unwrap().wait(&global).await;
        let _b = noisy.admit().unwrap().wait(&global).await;
        let third = noisy.admit().unwrap();
        let waiting = tokio::spawn({
            let global = global.clone();
            async move { third.wait(&global).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "over its limit, the noisy tenant waits"
        );
        // The quiet tenant gets a slot at once: the noisy one holds only two of four.
        let quiet_turn = tokio::time::timeout(
            Duration::from_millis(500),
            quiet.admit().unwrap().wait(&global),
        )
        .await;
        assert!(quiet_turn.is_ok(), "the quiet tenant must not wait");
        waiting.abort();
    }
}
