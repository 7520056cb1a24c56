//! Two tiers of execution, so a tenant's quick command keeps its latency whatever other
//! tenants' invocations do. Every invocation starts on the caller's executor; once it has
//! used `Limits::light_cpu_time` of CPU it moves, at its next wait or epoch yield, to the
//! batch executor: a tokio runtime of its own whose threads run at the lowest OS priority
//! (nice 19). The kernel then gives the caller's threads the CPU whenever they want it,
//! and batch work the rest; batch work also has its own task queues, so a flood of heavy
//! tasks never queues ahead of a light one.
//!
//! A connection whose invocation ran into a host bound (a refused request, a body, log,
//! result, CPU or memory limit, a trap) starts its invocations on the batch executor for
//! `PENALTY` after: a guest that attacks the host over and over in short invocations,
//! none long enough to move, is then as far from its neighbours as a long one.
//!
//! Measured first (docs/benchmarks.md): sharing one executor with eight hostile guests
//! made a neighbour's 2 ms command take 110 s (its wake-ups queue behind the attackers'
//! polls); the same neighbour on an executor of its own took 9 ms at p99.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::cpu::CpuMeter;

/// The lowest priority a thread can give itself without privileges.
const BATCH_NICE: libc::c_int = 19;
/// How long a connection that ran into a host bound starts on the batch executor.
const PENALTY: Duration = Duration::from_secs(30);
/// Penalized connections remembered at once; past it, expired ones are forgotten first,
/// then the oldest.
const PENALTY_ENTRIES: usize = 4096;

pub struct Tiers {
    /// None only while dropping.
    batch: Option<tokio::runtime::Runtime>,
    light_cpu_time: Duration,
    /// Connection (namespace) -> until when its invocations start on the batch executor.
    penalties: Mutex<HashMap<String, Instant>>,
}

impl Tiers {
    /// `threads`: the batch executor's workers (None: one less than the cores, at least
    /// one). Leaving a core free of batch work matters beyond CPU: a nice-19 thread
    /// preempted while it holds the process's memory-map lock (growing or resetting a
    /// guest's memory) holds up every other thread's page faults until it runs again;
    /// with one batch thread per core the neighbour's p99 doubled (docs/benchmarks.md).
    pub fn new(threads: Option<usize>, light_cpu_time: Duration) -> std::io::Result<Tiers> {
        let threads = threads
            .or_else(|| {
                std::thread::available_parallelism()
                    .ok()
                    .map(|n| n.get().saturating_sub(1))
            })
            .unwrap_or(1)
            .max(1);
        let batch = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("o365-batch")
            .on_thread_start(lower_this_threads_priority)
            .enable_all()
            .build()?;
        Ok(Tiers {
            batch: Some(batch),
            light_cpu_time,
            penalties: Mutex::default(),
        })
    }

    /// `connection`'s invocations start on the batch executor for the next `PENALTY`.
    pub fn penalize(&self, connection: &str) {
        let mut penalties = self.penalties();
        let now = Instant::now();
        if penalties.len() >= PENALTY_ENTRIES {
            penalties.retain(|_, until| *until > now);
        }
        if penalties.len() >= PENALTY_ENTRIES {
            let oldest = penalties
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(c, _)| c.clone());
            oldest.map(|c| penalties.remove(&c));
        }
        penalties.insert(connection.to_string(), now + PENALTY);
    }

    pub fn is_penalized(&self, connection: &str) -> bool {
        self.penalties()
            .get(connection)
            .is_some_and(|until| *until > Instant::now())
    }

    fn penalties(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.penalties
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs an invocation of `connection`: here until `cpu` shows it has used the light
    /// CPU time, then on the batch executor; there from the start if the connection is
    /// penalized. Dropping the returned future stops `work` wherever it runs.
    pub async fn run<T, F>(&self, connection: &str, cpu: &CpuMeter, work: F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        if self.is_penalized(connection) {
            return self.on_batch(work).await;
        }
        let mut work: Pin<Box<F>> = Box::pin(work);
        let light = self.light_cpu_time;
        let here = std::future::poll_fn(|cx| match work.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            // Moving at a wait is safe: the next poll, on a batch thread, registers the
            // waker anew (a waker left behind only wakes this task once for nothing).
            Poll::Pending if cpu.used() > light => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await;
        match here {
            Some(out) => out,
            None => self.on_batch(work).await,
        }
    }

    /// Runs `work` on the batch executor (heavy host work, e.g. writing a large result).
    pub async fn on_batch<T, F>(&self, work: F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let Some(batch) = &self.batch else {
            return work.await;
        };
        let mut task = AbortOnDrop(batch.spawn(work));
        match (&mut task.0).await {
            Ok(out) => out,
            // The batch task panicked: the caller sees the same panic as if it had run here.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled only by AbortOnDrop (after this future is gone) or by a runtime
            // shut down, which happens only when `Tiers`, borrowed here, is dropped.
            Err(_) => unreachable!("the batch executor stopped under a running invocation"),
        }
    }
}

impl Drop for Tiers {
    fn drop(&mut self) {
        // A runtime may not be dropped (blocking) inside another's async context.
        if let Some(batch) = self.batch.take() {
            batch.shutdown_background();
        }
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lower_this_threads_priority() {
    // SAFETY: plain syscalls on the calling thread; on Linux a thread id addresses one
    // thread for setpriority. Raising the nice value needs no privilege.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, tid, BATCH_NICE);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cpu::{Metered, thread_cpu_ns};

    /// The nice value of the calling thread.
    fn this_threads_nice() -> i32 {
        // SAFETY: plain syscalls on the calling thread, as in lower_this_threads_priority.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
        unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) }
    }

    fn meter() -> Arc<CpuMeter> {
        Arc::new(CpuMeter::new(Duration::from_secs(60)))
    }

    fn spin(ns: u64) {
        let start = thread_cpu_ns();
        while thread_cpu_ns() - start < ns {}
    }

    #[tokio::test]
    async fn light_work_stays_on_the_callers_executor() {
        let tiers = Tiers::new(Some(1), Duration::from_millis(50)).unwrap();
        let cpu = meter();
        let work = Metered::new(
            async {
                tokio::task::yield_now().await;
                this_threads_nice()
            },
            cpu.clone(),
        );
        assert_eq!(tiers.run("a", &cpu, work).await, Ok(this_threads_nice()));
    }

    #[tokio::test]
    async fn heavy_work_moves_to_the_low_priority_executor() {
        let tiers = Tiers::new(Some(1), Duration::from_millis(5)).unwrap();
        let cpu = meter();
        let work = Metered::new(
            async {
                let before = this_threads_nice();
                spin(10_000_000);
                tokio::task::yield_now().await;
                (before, this_threads_nice())
            },
            cpu.clone(),
        );
        let (before, after) = tiers.run("a", &cpu, work).await.unwrap();
        assert_eq!(before, this_threads_nice(), "it starts here");
        assert_eq!(after, BATCH_NICE, "it ends on a batch thread");
    }

    #[tokio::test]
    async fn a_penalized_connection_starts_on_the_batch_executor() {
        let tiers = Tiers::new(Some(1), Duration::from_secs(60)).unwrap();
        tiers.penalize("noisy");
        let nice_of = |connection: &'static str| {
            let cpu = meter();
            let tiers = &tiers;
            async move {
                tiers
                    .run(connection, &cpu, async { this_threads_nice() })
                    .await
            }
        };
        assert_eq!(nice_of("noisy").await, BATCH_NICE);
        assert_eq!(nice_of("quiet").await, this_threads_nice());
    }

    #[test]
    fn penalties_stay_bounded() {
        let tiers = Tiers::new(Some(1), Duration::from_secs(60)).unwrap();
        for i in 0..PENALTY_ENTRIES + 10 {
            tiers.penalize(&format!("c{i}"));
        }
        assert_eq!(tiers.penalties().len(), PENALTY_ENTRIES);
        assert!(tiers.is_penalized(&format!("c{}", PENALTY_ENTRIES + 9)));
    }

    #[tokio::test]
    async fn dropping_the_caller_stops_batch_work() {
        let tiers = Tiers::new(Some(1), Duration::ZERO).unwrap();
        let ran_to_end = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran_to_end.clone();
        let work = async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        };
        let _ = tokio::time::timeout(Duration::from_millis(20), tiers.on_batch(work)).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!ran_to_end.load(std::sync::atomic::Ordering::SeqCst));
    }
}
