//! CPU time of one invocation, guest code and host calls alike: the thread CPU clock is
//! read around every poll of the invocation's future (wherever the executor runs it),
//! and at every epoch tick inside guest code, so a loop of expensive host calls is
//! charged as surely as a loop in wasm.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// This thread's CPU time in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

#[derive(Debug, Default)]
pub struct CpuMeter {
    /// CPU time of the polls that have ended.
    used_ns: AtomicU64,
    /// The thread clock when the current poll began (0: not polling).
    poll_started_ns: AtomicU64,
    budget_ns: u64,
}

impl CpuMeter {
    pub fn new(budget: Duration) -> CpuMeter {
        CpuMeter {
            budget_ns: u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX),
            ..CpuMeter::default()
        }
    }

    /// CPU time so far, the running poll included; call on the polling thread (the
    /// epoch callback runs there).
    pub fn used(&self) -> Duration {
        let started = self.poll_started_ns.load(Ordering::Relaxed);
        let running = if started == 0 {
            0
        } else {
            thread_cpu_ns().saturating_sub(started)
        };
        Duration::from_nanos(self.used_ns.load(Ordering::Relaxed).saturating_add(running))
    }

    pub fn exceeded(&self) -> bool {
        self.used().as_nanos() > u128::from(self.budget_ns)
    }

    pub fn budget(&self) -> Duration {
        Duration::from_nanos(self.budget_ns)
    }
}

/// Why a metered future was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuBudgetExceeded;

/// `future`, charged to `meter` and stopped once the budget is spent.
pub struct Metered<F> {
    future: Pin<Box<F>>,
    meter: Arc<CpuMeter>,
}

impl<F: Future> Metered<F> {
    pub fn new(future: F, meter: Arc<CpuMeter>) -> Self {
        Metered {
            future: Box::pin(future),
            meter,
        }
    }
}

impl<F: Future> Future for Metered<F> {
    type Output = Result<F::Output, CpuBudgetExceeded>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let meter = &this.meter;
        let started = thread_cpu_ns().max(1);
        meter.poll_started_ns.store(started, Ordering::Relaxed);
        let polled = this.future.as_mut().poll(cx);
        let spent = thread_cpu_ns().saturating_sub(started);
        meter.poll_started_ns.store(0, Ordering::Relaxed);
        meter.used_ns.fetch_add(spent, Ordering::Relaxed);
        match polled {
            Poll::Ready(out) => Poll::Ready(Ok(out)),
            Poll::Pending if meter.exceeded() => Poll::Ready(Err(CpuBudgetExceeded)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin(ns: u64) {
        let start = thread_cpu_ns();
        while thread_cpu_ns() - start < ns {}
    }

    #[tokio::test]
    async fn cpu_in_polls_is_charged_and_stops_the_future() {
        let meter = Arc::new(CpuMeter::new(Duration::from_millis(20)));
        let busy = async {
            loop {
                spin(5_000_000);
                tokio::task::yield_now().await;
            }
        };
        let out = Metered::new(busy, meter.clone()).await;
        assert_eq!(out, Err(CpuBudgetExceeded));
        assert!(meter.used() >= Duration::from_millis(20));
    }

    #[tokio::test]
    async fn waiting_is_not_charged() {
        let meter = Arc::new(CpuMeter::new(Duration::from_millis(50)));
        let idle = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            7
        };
        assert_eq!(Metered::new(idle, meter.clone()).await, Ok(7));
        assert!(meter.used() < Duration::from_millis(50));
    }
}
