//! Short-lived state of write operations: attachment upload sessions and the history of
//! threat assessment requests (for Graph's per-message limits).

use std::collections::HashMap;

use serde_json::Value;

/// An upload session of `createUploadSession`: bytes arrive in order.
#[derive(Clone, Debug)]
pub(crate) struct UploadSession {
    pub owner_id: String,
    /// The draft's immutable id: the session outlives nothing, but ids are stable.
    pub message_id: String,
    pub name: String,
    pub content_type: String,
    pub size: usize,
    /// The secret in the upload URL's `authtoken`.
    pub token: String,
    pub expires: u64,
    pub data: Vec<u8>,
}

/// One threat assessment request as stored.
#[derive(Clone, Debug)]
pub(crate) struct Assessment {
    /// internetMessageId + recipient, lower-case: the resource the limits count.
    pub resource: String,
    pub at: u64,
    pub json: Value,
}

#[derive(Default)]
pub(crate) struct Activity {
    /// By session id.
    pub uploads: HashMap<String, UploadSession>,
    pub assessments: Vec<Assessment>,
}

/// Graph's limits per message and recipient (reference §3.16).
pub(crate) const ONE_PER_SECS: u64 = 15 * 60;
pub(crate) const THREE_PER_SECS: u64 = 24 * 3600;

impl Activity {
    /// Seconds to wait before this resource may be reported again, if any.
    pub(crate) fn assessment_wait(&self, resource: &str, now: u64) -> Option<u64> {
        let past: Vec<u64> = self
            .assessments
            .iter()
            .filter(|a| a.resource == resource)
            .map(|a| a.at)
            .collect();
        let last = past.iter().max()?;
        if now < last + ONE_PER_SECS {
            return Some(last + ONE_PER_SECS - now);
        }
        let day: Vec<u64> = past
            .iter()
            .copied()
            .filter(|t| now < t + THREE_PER_SECS)
            .collect();
        if day.len() >= 3 {
            let oldest = day.iter().min().copied().unwrap_or(now);
            return Some(oldest + THREE_PER_SECS - now);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_fifteen_minutes_and_three_per_day() {
        let mut a = Activity::default();
        let r = "<m@x>|alex@contoso.example";
        assert_eq!(a.assessment_wait(r, 1_000), None);
        for at in [1_000, 2_000, 3_000] {
            a.assessments.push(Assessment {
                resource: r.into(),
                at,
                json: Value::Null,
            });
        }
        assert_eq!(a.assessment_wait(r, 3_100), Some(800));
        assert_eq!(
            a.assessment_wait(r, 4_000),
            Some(1_000 + THREE_PER_SECS - 4_000)
        );
        assert_eq!(a.assessment_wait("other", 4_000), None);
    }
}
