//! The EEG side: sources (LSL, simulator, recordings) and the worker thread that owns them.
//! This is one of the two places that block or do I/O; `features/` stays pure.

pub mod lsl;
pub mod outlet;
pub mod recording;
pub mod sim;
pub mod source;
pub mod stimulus;
pub mod worker;

/// Now on the clock every EEG sample and frame time is on (liblsl's `local_clock`: the
/// monotonic clock, in seconds). A clock read, not a system call on Linux (vDSO); safe on the
/// audio thread.
pub fn local_clock() -> f64 {
    ::lsl::local_clock()
}

use std::path::PathBuf;

/// Which LSL stream property a query matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LslProp {
    /// Stream type (e.g. "EEG").
    Type,
    /// Stream name.
    Name,
    /// Source id (survives restarts of the sending app).
    SourceId,
    /// Host name of the sending machine.
    Hostname,
}

impl LslProp {
    /// The liblsl property name.
    pub fn as_lsl(self) -> &'static str {
        match self {
            LslProp::Type => "type",
            LslProp::Name => "name",
            LslProp::SourceId => "source_id",
            LslProp::Hostname => "hostname",
        }
    }
}

/// Where EEG comes from. Plain data (Send): the worker turns it into a live source on its own
/// thread, because liblsl handles must stay there.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SourceSpec {
    /// The first LSL stream whose `prop` equals `value`.
    Lsl {
        /// Property to match.
        prop: LslProp,
        /// Value to match.
        value: String,
    },
    /// The built-in simulator.
    Simulator(sim::SimConfig),
    /// A recording played at real-time pace.
    File {
        /// The recording (CSV, EDF/BDF, XDF).
        path: PathBuf,
        /// Start again at the end.
        looping: bool,
        /// Sample rate for CSV files without timestamps.
        rate: Option<f32>,
    },
}

impl Default for SourceSpec {
    /// The plugin's default: the first LSL stream of type EEG (never silently simulated data).
    fn default() -> Self {
        SourceSpec::Lsl {
            prop: LslProp::Type,
            value: "EEG".into(),
        }
    }
}
