//! Where a heart signal comes from offline (`render --heart`, `melodiasync heart`): the heart
//! simulator or a recording, opened as a [`Generator`] of one channel on its own clock (from
//! 0 s), so the renderer paces it by the audio clock exactly like the EEG.

use std::path::PathBuf;
use std::sync::Arc;

use super::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use super::playback::Playback;
use super::recording::{self, ReadOptions, Recording};
use super::source::Generator;
use crate::features::heart::HeartKind;

/// An offline heart input.
#[derive(Clone, Debug, PartialEq)]
pub enum HeartInput {
    /// The heart simulator (endless).
    Simulator(CardiacSimConfig),
    /// A recording (CSV, EDF/BDF, XDF) of one signal: an ECG, a PPG, or RR intervals in ms
    /// (one per row; their times are the running sum, as Polar apps export them).
    File {
        /// The file.
        path: PathBuf,
        /// What the signal is.
        kind: HeartKind,
        /// The signal (`channels[0]`, default the first), the CSV rate, the XDF stream.
        options: ReadOptions,
    },
}

/// An opened heart input.
pub struct HeartSamples {
    /// The samples (ECG, PPG) or intervals (RR, one per beat, at the beat's time).
    pub samples: Box<dyn Generator + Send>,
    /// What was read, in words ("the heart simulator (Rest, ECG)", a file's summary).
    pub summary: String,
    /// What the reader said (see [`Recording::notes`]; empty for the simulator).
    pub notes: Vec<String>,
}

impl HeartInput {
    /// Parses `sim`, `sim:SCRIPT` (rest, resonance, stress, or breaths per minute) or a file
    /// path, for a stream of `kind`. `channel` picks the file's signal (label or 1-based
    /// number; default the first), `rate` is for CSV files without a time column, `stream`
    /// names an XDF stream. Errors are sentences.
    pub fn parse(
        text: &str,
        kind: HeartKind,
        channel: Option<String>,
        rate: Option<f32>,
        stream: Option<String>,
    ) -> Result<Self, String> {
        if let Some(script) = HeartScript::from_source(text) {
            return Ok(HeartInput::Simulator(CardiacSimConfig::new(kind, script?)));
        }
        Ok(HeartInput::File {
            path: PathBuf::from(text.trim()),
            kind,
            options: ReadOptions {
                // Intervals need no rate: their times are their running sum.
                rate: rate.or((kind == HeartKind::Rr).then_some(1.0)),
                channels: vec![channel.unwrap_or_else(|| "1".into())],
                stream,
            },
        })
    }

    /// What the input carries.
    pub fn kind(&self) -> HeartKind {
        match self {
            HeartInput::Simulator(cfg) => cfg.kind,
            HeartInput::File { kind, .. } => *kind,
        }
    }

    /// Opens the input (reads a whole file). Errors are sentences naming the file.
    pub fn open(&self) -> Result<HeartSamples, String> {
        match self {
            HeartInput::Simulator(cfg) => Ok(HeartSamples {
                samples: Box::new(CardiacSim::new(*cfg)),
                summary: format!(
                    "the heart simulator ({:?}, {})",
                    cfg.script,
                    cfg.kind.name()
                ),
                notes: Vec::new(),
            }),
            HeartInput::File {
                path,
                kind,
                options,
            } => {
                // A bare column of intervals (as Polar apps export them) has no header row,
                // which the recording reader asks for: read it as it is.
                let rec = match (kind, interval_column(path)) {
                    (HeartKind::Rr, Some(rows)) => rows?,
                    _ => recording::open(path, options)?,
                };
                let notes = rec.notes();
                let summary = rec.summary.clone();
                let samples: Box<dyn Generator + Send> = match kind {
                    HeartKind::Rr => Box::new(IntervalRows::new(&rec)?),
                    _ => Box::new(Playback::new(Arc::new(rec), false)),
                };
                Ok(HeartSamples {
                    samples,
                    summary,
                    notes,
                })
            }
        }
    }
}

/// A text file that is one bare column of numbers (no header, no separators), as a
/// one-signal recording of RR intervals; `None` when the file is anything else (the
/// recording reader takes it then). A row that is not a number is an error naming it.
fn interval_column(path: &std::path::Path) -> Option<Result<Recording, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let rows: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let (_, first) = rows.first()?;
    if first.contains([',', ';', '\t', ' ']) || first.parse::<f32>().is_err() {
        return None;
    }
    let values: Result<Vec<f32>, String> = rows
        .iter()
        .map(|(n, l)| {
            l.parse::<f32>().map_err(|_| {
                format!(
                    "'{}', line {n}: '{l}' is not an interval in ms (one number per row).",
                    path.display()
                )
            })
        })
        .collect();
    Some(values.map(|v| {
        let n = v.len();
        let mut rec = Recording::continuous(vec![HeartKind::Rr.name().into()], 1.0, v);
        rec.summary = format!("{n} RR intervals, one per row");
        rec
    }))
}

/// A recording of beat-to-beat intervals as a generator: one sample per beat, the interval
/// in ms, at the time the beat ends (the running sum of the intervals from 0 s).
pub struct IntervalRows {
    /// The label.
    labels: Vec<String>,
    /// The intervals, ms.
    ms: Vec<f32>,
    /// When each ends, s.
    ends: Vec<f64>,
    /// The next row.
    next: usize,
}

impl IntervalRows {
    /// The first signal of `rec` as intervals. A row that is not a positive number of ms
    /// cannot be placed in time: the error says which.
    pub fn new(rec: &Recording) -> Result<Self, String> {
        let ms: Vec<f32> = (0..rec.frames()).map(|i| rec.frame(i)[0]).collect();
        if let Some(i) = ms.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(format!(
                "row {} of the RR intervals is {}, not a positive number of milliseconds; \
                 remove it or fix the file.",
                i + 1,
                ms[i]
            ));
        }
        let ends = ms
            .iter()
            .scan(0.0, |acc, x| {
                *acc += *x as f64 / 1000.0;
                Some(*acc)
            })
            .collect();
        Ok(Self {
            labels: vec![HeartKind::Rr.name().to_string()],
            ms,
            ends,
            next: 0,
        })
    }
}

impl Generator for IntervalRows {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Nominally one a second; the intervals themselves are irregular.
    fn rate(&self) -> f32 {
        1.0
    }

    fn next(&mut self, out: &mut [f32]) -> Option<f64> {
        let t = *self.ends.get(self.next)?;
        out[0] = self.ms[self.next];
        self.next += 1;
        Some(t)
    }

    fn seek(&mut self, t: f64) {
        self.next = self.ends.partition_point(|e| *e < t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_rows_are_timed_by_their_running_sum_and_seek() {
        let rec = Recording::continuous(vec!["RR".into()], 1.0, vec![800.0, 1000.0, 900.0]);
        let mut rows = IntervalRows::new(&rec).unwrap();
        let mut x = [0.0];
        let times: Vec<f64> = std::iter::from_fn(|| rows.next(&mut x)).collect();
        assert_eq!(times, vec![0.8, 1.8, 2.7]);
        rows.seek(1.0);
        assert_eq!(rows.next(&mut x), Some(1.8));
        assert_eq!(x[0], 1000.0);
        let bad = Recording::continuous(vec!["RR".into()], 1.0, vec![800.0, f32::NAN]);
        assert!(IntervalRows::new(&bad).err().unwrap().contains("row 2"));
    }

    #[test]
    fn parse_tells_the_simulator_from_files() {
        let sim = HeartInput::parse("sim:resonance", HeartKind::Ppg, None, None, None).unwrap();
        assert!(
            matches!(sim, HeartInput::Simulator(c) if c.kind == HeartKind::Ppg
            && c.script == HeartScript::Resonance)
        );
        let file = HeartInput::parse("simple.csv", HeartKind::Rr, None, None, None).unwrap();
        assert!(matches!(file, HeartInput::File { ref options, .. } if options.rate == Some(1.0)));
        assert!(HeartInput::parse("sim:fast", HeartKind::Ecg, None, None, None).is_err());
    }
}
