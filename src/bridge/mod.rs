//! Every value that crosses a thread boundary, and the constructors of its handles: one place
//! to review what is shared and how.
//!
//! | from → to | what | how |
//! |---|---|---|
//! | EEG worker → audio | every `FeatureFrame` | [`frame_channel`]: `ArrayQueue::force_push` (a full queue drops its oldest), each waiting frame scored at block start |
//! | EEG worker → CLI `monitor`, tests | frames | a second [`frame_channel`], only when asked for (the plugin asks for none) |
//! | EEG worker → editor/CLI | [`SourceStatus`] | a mutex the audio thread never touches |
//! | editor/CLI → worker | [`WorkerCommand`] | [`command_channel`], read only by the worker |
//! | plugin → worker | stop | `AtomicBool` + join in `Drop` |
//! | main/editor → audio | compiled programs after a calibration or state load | [`SetupCell`]: its `set` compiles, then a queue |
//! | audio → main | adaptive thresholds, for the project save | [`AdaptiveCell::publish`]: atomics |
//! | main → audio | adaptive thresholds from a project load | [`AdaptiveCell`]'s `set`: a queue the audio thread drains ([`adaptive_restore_channel`]) |
//! | audio → session thread | [`FeedbackRecord`] per scored frame | [`record_channel`] |
//! | EEG worker → editor | LSL streams found | [`StreamsCell`] (written by a stream-search thread the worker starts) |
//!
//! The primitives are in [`crate::queue`] (re-exported here); the feedback setup and adaptive state in [`state`]; the
//! per-frame records, session commands and the editor's link in [`records`]; the EEG worker's
//! protocol (commands, status, calibration, stream search) beside the worker, in
//! `eeg::protocol`, re-exported here.

pub mod records;
pub mod state;

pub use crate::eeg::protocol::*;
pub use crate::queue::*;
pub use records::*;
pub use state::*;
