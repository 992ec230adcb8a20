//! The request journal: what clients asked, what they got, and whether they polled too early.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One request the emulator answered (admin requests under `/_emulator/` are not journaled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Sequence number, from 1, never reused (also not after `DELETE journal`).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path, as sent.
    pub path: String,
    /// Query string, as sent.
    pub query: Option<String>,
    /// Response status; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// When the request arrived, in milliseconds since the emulator started.
    pub at_ms: u64,
    /// The operation: an ARM operation ID such as `BackupInstances_CreateOrUpdate` or `OperationStatus_Get`, or
    /// `Token`, `ManagedIdentityToken`, `Metadata_Endpoints`, `Unknown`.
    pub operation: String,
    /// True when this was a poll of an operation URL that arrived before the delay the emulator asked for
    /// (`retry-after-ms` when it sent one, else `Retry-After`).
    pub early: bool,
    /// The client ID of the caller (ARM requests with a valid token, and token requests).
    pub principal: Option<String>,
    /// The `x-ms-request-id` of the response.
    pub request_id: String,
    /// The `x-ms-correlation-request-id` of the response.
    pub correlation_id: String,
}

/// A bounded journal: the oldest entries go first.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: VecDeque<JournalEntry>,
    next_seq: u64,
}

impl Journal {
    /// Records an entry, assigning its sequence number.
    pub fn record(&mut self, mut entry: JournalEntry, capacity: usize) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        self.entries.push_back(entry);
        while self.entries.len() > capacity.max(1) {
            self.entries.pop_front();
        }
    }

    /// Entries with a sequence number above `after`.
    pub fn since(&self, after: u64) -> Vec<JournalEntry> {
        let start = self.entries.partition_point(|entry| entry.seq <= after);
        self.entries.iter().skip(start).cloned().collect()
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> JournalEntry {
        JournalEntry {
            seq: 0,
            method: "GET".into(),
            path: "/".into(),
            query: None,
            status: 200,
            at_ms: 0,
            operation: "Unknown".into(),
            early: false,
            principal: None,
            request_id: String::new(),
            correlation_id: String::new(),
        }
    }

    #[test]
    fn keeps_the_newest_entries_and_never_reuses_numbers() {
        let mut journal = Journal::default();
        for _ in 0..5 {
            journal.record(entry(), 3);
        }
        let seqs: Vec<u64> = journal.since(0).iter().map(|entry| entry.seq).collect();
        assert_eq!(seqs, vec![3, 4, 5]);
        assert_eq!(journal.since(4).len(), 1);
        journal.clear();
        journal.record(entry(), 3);
        assert_eq!(journal.since(0)[0].seq, 6);
    }
}
