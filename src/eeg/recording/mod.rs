//! Recorded EEG read whole into memory: CSV (and the common exports), EDF/EDF+/BDF and XDF,
//! each by its own small reader, modelled on what MNE, pyEDFlib and pyxdf do.
//!
//! The readers never return a silently wrong number. What they chose (signals, stream, rate)
//! is said in [`Recording::summary`]; what they repaired or skipped is in
//! [`Recording::warnings`], with counts. Header text nobody uses never stops a file (Latin-1,
//! missing EDF+ subfields, NUL padding); the numbers the analysis needs are checked strictly.
//!
//! Time: a recording is a list of continuous [`Segment`]s. Within a segment, frame `i` is at
//! `segment.time + (i - segment.start) / rate`; between segments lies a gap (EDF+D records,
//! lost XDF data) or a clock reset. Frames keep recording order, and the analysis starts a
//! fresh window at every segment start, so no window spans a gap: the `features` CLI resets
//! its extractor there, and playback ([`crate::eeg::playback::Playback`]) plays every break
//! as a gap of at least [`crate::eeg::playback::BREAK_S`], which the extractor (and the
//! worker, like a live stream that stopped) takes as a discontinuity.

mod csv;
mod edf;
pub mod select;
mod text;
pub mod timing;
mod xdf;

use std::path::Path;

pub use csv::parse_csv;
pub use text::strip_bom;

/// A continuous stretch of a recording.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// Its first frame.
    pub start: usize,
    /// The time of that frame, seconds (the file's clock; 0 for files without one).
    pub time: f64,
}

/// A multichannel recording in µV.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// One label per channel.
    pub labels: Vec<String>,
    /// Samples per second (the measured rate when the file's timestamps contradict the
    /// declared one by more than [`RATE_TOLERANCE`]).
    pub sample_rate: f32,
    /// Samples, interleaved: frame `i`, channel `c` is at `i · channels + c`.
    pub samples: Vec<f32>,
    /// Continuous stretches in recording order; never empty, the first starts at frame 0.
    pub segments: Vec<Segment>,
    /// One sentence on what was read: the signals or stream used, and what was left out.
    pub summary: String,
    /// What was repaired, skipped or contradicted, one sentence each, with counts.
    pub warnings: Vec<String>,
}

/// How far a measured sample rate may stray from the declared one before the measured rate
/// is used, as a fraction (2 %).
pub const RATE_TOLERANCE: f64 = 0.02;

impl Recording {
    /// A continuous recording starting at time 0 (generated data, tests).
    pub fn continuous(labels: Vec<String>, sample_rate: f32, samples: Vec<f32>) -> Self {
        Self {
            summary: format!("{} channels at {sample_rate} Hz", labels.len()),
            labels,
            sample_rate,
            samples,
            segments: vec![Segment {
                start: 0,
                time: 0.0,
            }],
            warnings: Vec::new(),
        }
    }

    /// Channel count.
    pub fn channels(&self) -> usize {
        self.labels.len()
    }

    /// Frame count.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels().max(1)
    }

    /// The segment holding frame `i`.
    pub fn segment_of(&self, i: usize) -> Segment {
        let k = self.segments.partition_point(|s| s.start <= i);
        self.segments[k.saturating_sub(1)]
    }

    /// Time of frame `i` in seconds: its segment's start time plus its place in the segment.
    pub fn time(&self, i: usize) -> f64 {
        let s = self.segment_of(i);
        s.time + (i - s.start) as f64 / self.sample_rate as f64
    }

    /// Frame `i` as a slice of channel values.
    pub fn frame(&self, i: usize) -> &[f32] {
        let c = self.channels();
        &self.samples[i * c..(i + 1) * c]
    }

    /// What to tell the user, one line each: what was read, then each warning.
    pub fn notes(&self) -> Vec<String> {
        std::iter::once(format!("read {}.", self.summary))
            .chain(self.warnings.iter().map(|w| format!("warning: {w}.")))
            .collect()
    }

    /// Seconds of data (gaps not counted).
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / self.sample_rate as f64
    }
}

/// What the user asked of a file beyond its path.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadOptions {
    /// Sample rate in Hz, for CSV files without a time column.
    #[serde(default)]
    pub rate: Option<f32>,
    /// Signals to read, by label (case-insensitive) or 1-based number; empty: the EEG
    /// signals (see [`select`]).
    #[serde(default)]
    pub channels: Vec<String>,
    /// The XDF stream to read, by name or source id; `None`: the first EEG stream in file
    /// order.
    #[serde(default)]
    pub stream: Option<String>,
}

impl ReadOptions {
    /// Options with only a CSV sample rate.
    pub fn with_rate(rate: Option<f32>) -> Self {
        Self {
            rate,
            ..Self::default()
        }
    }
}

/// Opens a recording by extension (content decides among CSV-like exports). Errors are one
/// sentence naming the file.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Recording, String> {
    let shown = path.display();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let read = || {
        std::fs::read(path)
            .map_err(|e| format!("Cannot read '{shown}': {e}. Check the path and permissions."))
    };
    if path.is_dir() {
        return Err(format!(
            "'{shown}' is a folder; give a recording file (CSV, EDF, BDF or XDF) inside it."
        ));
    }
    let result = match ext.as_str() {
        "csv" | "txt" | "tsv" => csv::read(&read()?, options),
        "edf" | "bdf" => edf::read(&read()?, options),
        "xdf" => xdf::read(&read()?, options),
        other => {
            return Err(format!(
                "'{shown}' has the extension '{other}', which MelodiaSync cannot read; use CSV \
                 (with a header of channel labels), EDF, BDF or XDF."
            ))
        }
    };
    let mut rec = result.map_err(|e| format!("'{shown}': {e}"))?;
    rec.warnings.extend(unused_options(&ext, options));
    Ok(rec)
}

/// Options given for another format, one sentence each: they change nothing here.
fn unused_options(ext: &str, options: &ReadOptions) -> Vec<String> {
    let mut said = Vec::new();
    if let Some(stream) = options.stream.as_deref().filter(|_| ext != "xdf") {
        said.push(format!(
            "a stream ('{stream}') was chosen, but only XDF files hold streams; ignored"
        ));
    }
    if let Some(rate) = options
        .rate
        .filter(|_| matches!(ext, "edf" | "bdf" | "xdf"))
    {
        said.push(format!(
            "a rate ({rate} Hz) was given, but this file states its own; ignored"
        ));
    }
    said
}
