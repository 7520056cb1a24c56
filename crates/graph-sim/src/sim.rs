//! The shared state of one simulator instance. Each concern has its own
//! lock so the request log never waits on a mailbox operation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::config::SimConfig;
use crate::faults::FaultQueue;
use crate::identity::store::IdentityStore;
use crate::ids;
use crate::log::RequestLog;
use crate::store::{Tenant, TenantData};

pub(crate) struct Sim {
    pub tenant: Tenant,
    pub strict_refresh_rotation: bool,
    token_lifetime: AtomicU64,
    /// Delta tokens carry it; a new generation makes older ones expire (410).
    delta_generation: AtomicU64,
    /// HS256 key for access tokens; random per instance.
    pub signing_key: [u8; 32],
    pub data: Mutex<TenantData>,
    pub identity: Mutex<IdentityStore>,
    pub faults: Mutex<FaultQueue>,
    pub log: Mutex<RequestLog>,
}

impl Sim {
    pub(crate) fn new(config: &SimConfig, tenant: Tenant, data: TenantData) -> Self {
        Sim {
            tenant,
            strict_refresh_rotation: config.strict_refresh_rotation,
            token_lifetime: AtomicU64::new(config.access_token_lifetime_secs),
            delta_generation: AtomicU64::new(1),
            signing_key: ids::random_bytes(),
            data: Mutex::new(data),
            identity: Mutex::new(IdentityStore::default()),
            faults: Mutex::new(FaultQueue::default()),
            log: Mutex::new(RequestLog::default()),
        }
    }

    pub(crate) fn token_lifetime(&self) -> u64 {
        self.token_lifetime.load(Ordering::Relaxed)
    }

    pub(crate) fn set_token_lifetime(&self, secs: u64) {
        self.token_lifetime.store(secs, Ordering::Relaxed);
    }

    pub(crate) fn delta_generation(&self) -> u64 {
        self.delta_generation.load(Ordering::Relaxed)
    }

    /// Every delta and skip token issued so far stops working.
    pub(crate) fn expire_delta_tokens(&self) {
        self.delta_generation.fetch_add(1, Ordering::Relaxed);
    }
}

/// Locks a mutex, ignoring poisoning: a panicked handler must not take the
/// whole simulator down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
