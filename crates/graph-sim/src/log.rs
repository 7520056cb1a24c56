//! The request log tests assert on: every request in arrival order with
//! the status it finally got.

/// One request as the sim saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Raw path, still percent-encoded.
    pub path: String,
    /// Raw query string (without `?`), empty when absent.
    pub query: String,
    /// Header names lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body as text (lossy UTF-8).
    pub body: String,
    /// Final status; 0 when the connection was dropped without a response.
    pub status: u16,
    /// A request inside a `$batch` (the batch itself is recorded too).
    pub via_batch: bool,
}

impl RecordedRequest {
    /// First value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Requests are recorded on arrival and completed with their status later,
/// so concurrent requests keep arrival order.
#[derive(Default)]
pub(crate) struct RequestLog {
    next_seq: u64,
    entries: Vec<(u64, RecordedRequest)>,
}

impl RequestLog {
    pub(crate) fn arrive(&mut self, req: RecordedRequest) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push((seq, req));
        seq
    }

    pub(crate) fn complete(&mut self, seq: u64, status: u16) {
        if let Some((_, r)) = self.entries.iter_mut().find(|(s, _)| *s == seq) {
            r.status = status;
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
