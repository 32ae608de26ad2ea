//! Which LSL streams are on the network: a blocking look (`melodiasync streams`) and a search
//! that never blocks its caller (the editor's "Find streams", run by the EEG worker).

use std::sync::{Arc, Mutex};

/// One visible stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamRow {
    /// Stream name.
    pub name: String,
    /// Stream type ("EEG", …).
    pub stream_type: String,
    /// Channel count.
    pub channels: i32,
    /// Declared (nominal) rate, Hz.
    pub rate: f64,
    /// Host name.
    pub host: String,
    /// Source id (may be empty).
    pub source_id: String,
}

/// The last stream search's result (`None` until one has finished); written by the search
/// thread, read by the editor.
pub type StreamsCell = Arc<Mutex<Option<Vec<StreamRow>>>>;

/// The LSL streams visible within `wait` seconds (blocks for `wait`).
pub fn visible_streams(wait: f64) -> Vec<StreamRow> {
    ::lsl::resolve_streams(wait)
        .unwrap_or_default()
        .iter()
        .map(stream_row)
        .collect()
}

/// One stream as a row.
fn stream_row(i: &::lsl::StreamInfo) -> StreamRow {
    StreamRow {
        name: i.stream_name(),
        stream_type: i.stream_type(),
        channels: i.channel_count(),
        rate: i.nominal_srate(),
        host: i.hostname(),
        source_id: i.source_id(),
    }
}

/// How long a stream search listens, in seconds.
pub const SEARCH_S: f64 = 1.0;

/// A stream search that never blocks its caller: a short-lived thread listens for
/// [`SEARCH_S`] with liblsl's one-shot resolver and stores the rows in `into`.
///
/// Why a thread and not a continuous resolver polled between samples: liblsl's continuous
/// resolver joins its network thread when it is destroyed, which was measured to take up to
/// 3 s while a resolve wave was in flight, a 3 s gap in the feedback. The one-shot resolver
/// returns after its wait and owns no thread.
pub struct StreamSearch {
    thread: std::thread::JoinHandle<()>,
}

impl StreamSearch {
    /// Starts listening; the rows land in `into` about [`SEARCH_S`] later (an empty list
    /// when liblsl finds nothing). Errors: the sentence to show when no thread could start.
    pub fn start(into: StreamsCell) -> Result<Self, String> {
        std::thread::Builder::new()
            .name("melodiasync-stream-search".into())
            .spawn(move || {
                let rows = visible_streams(SEARCH_S);
                if let Ok(mut cell) = into.lock() {
                    *cell = Some(rows);
                }
            })
            .map(|thread| Self { thread })
            .map_err(|e| format!("The LSL stream search could not start ({e})."))
    }

    /// Whether the search has finished.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the search to end (at most about [`SEARCH_S`]).
    pub fn wait(self) {
        let _ = self.thread.join();
    }
}
