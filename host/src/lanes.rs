//! Heavy lanes: short commands keep part of the machine whatever long ones do. Every
//! invocation runs freely until it has used `Limits::light_cpu_time` of CPU; from then on
//! it runs only while it holds one of a few lane permits (`RuntimeConfig::heavy_lanes`,
//! by default one less than the cores). It gives the permit back at every epoch tick and
//! whenever it waits (HTTP, a token lease), and queues again behind the other heavy ones,
//! so heavy invocations share their lanes round-robin and never take the last core from
//! the light ones: a tenant's busy loop or megabytes of results cost a neighbour's quick
//! command little.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The lanes of one runtime.
pub fn heavy_lanes(configured: Option<usize>) -> Arc<Semaphore> {
    let lanes = configured.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_sub(1)
    });
    Arc::new(Semaphore::new(lanes.max(1)))
}

/// One invocation's seat in the heavy lanes: the permit it holds, if any.
#[derive(Debug)]
pub struct LaneSeat {
    lanes: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

impl LaneSeat {
    pub fn new(lanes: Arc<Semaphore>) -> Arc<LaneSeat> {
        Arc::new(LaneSeat {
            lanes,
            held: Mutex::new(None),
        })
    }

    /// Gives the permit back (if held): another heavy invocation may run.
    pub fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Waits for a lane (unless it holds one), then holds it until [`LaneSeat::release`].
    pub async fn take(self: Arc<Self>) {
        if self.is_held() {
            return;
        }
        if let Ok(permit) = self.lanes.clone().acquire_owned().await {
            *self.held.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
        }
    }

    pub fn is_held(&self) -> bool {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn heavy_invocations_take_turns_in_one_lane() {
        let lanes = heavy_lanes(Some(1));
        let (a, b) = (LaneSeat::new(lanes.clone()), LaneSeat::new(lanes.clone()));
        a.clone().take().await;
        let waiting = tokio::spawn(b.clone().take());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "b waits while a runs");
        a.release();
        waiting.await.unwrap();
        assert!(b.is_held() && !a.is_held());
    }
}
