//! The heart beside the EEG in an offline render: a heart input paced by the audio clock
//! through the heart analysis, so each feature frame carries the heart features as of its
//! time, deterministically.

use crate::eeg::heart_input::HeartInput;
use crate::eeg::source::Generator;
use crate::features::heart::{HeartAnalyzer, HeartConfig, HeartFeatures, HeartKind};

/// Seconds of heart signal analysed before a seek's target: the spectral window (64 s) and
/// a few beats for the detector to settle.
pub const PREROLL_S: f64 = 70.0;

/// Feeds a heart input to the heart analysis in step with the audio clock.
pub struct HeartDrive {
    /// The samples (or intervals).
    samples: Box<dyn Generator + Send>,
    /// The next sample, already taken.
    buf: [f32; 1],
    /// Its time (`None`: take the next one).
    pending: Option<f64>,
    /// The analysis.
    analyzer: HeartAnalyzer,
    /// What the input carries.
    kind: HeartKind,
    /// What was read, in words.
    summary: String,
    /// What the reader said.
    notes: Vec<String>,
    /// Time of the last sample taken, s.
    last: f64,
    /// Whether the input has ended.
    ended: bool,
}

impl HeartDrive {
    /// Opens the input and builds the analysis for its kind and rate (errors are sentences).
    pub fn new(input: &HeartInput) -> Result<Self, String> {
        let opened = input.open()?;
        let kind = input.kind();
        if opened.samples.labels().is_empty() {
            return Err("the heart recording holds no signal.".into());
        }
        let analyzer = HeartAnalyzer::new(HeartConfig::live(kind, opened.samples.rate()));
        Ok(Self {
            samples: opened.samples,
            buf: [0.0],
            pending: None,
            analyzer,
            kind,
            summary: opened.summary,
            notes: opened.notes,
            last: 0.0,
            ended: false,
        })
    }

    /// What was read, in words.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// What the reader said.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// When the input has ended: the time of its last sample.
    pub fn ended_at(&self) -> Option<f64> {
        self.ended.then_some(self.last)
    }

    /// Beats detected (or intervals taken) so far.
    pub fn beats_seen(&self) -> u64 {
        self.analyzer.beats_seen()
    }

    /// Takes every sample (or interval) timed before `until` seconds.
    pub fn feed_until(&mut self, until: f64) {
        loop {
            let time = match self.pending.take() {
                Some(t) => t,
                None => match self.samples.next(&mut self.buf) {
                    Some(t) => t,
                    None => {
                        self.ended = true;
                        return;
                    }
                },
            };
            if time >= until {
                self.pending = Some(time);
                return;
            }
            self.last = time;
            match self.kind {
                HeartKind::Rr => self.analyzer.push_rr(self.buf[0], time),
                _ => {
                    self.analyzer.push(self.buf[0], time);
                }
            }
        }
    }

    /// The heart features as of `time` (they hold once the input has stopped for
    /// [`crate::features::heart::NO_BEAT_S`]).
    pub fn features_at(&self, time: f64) -> HeartFeatures {
        self.analyzer.features_at(time)
    }

    /// Moves to input time `t`: the analysis restarts [`PREROLL_S`] before it and takes that
    /// stretch, so what follows depends only on `t`.
    pub fn seek(&mut self, t: f64) {
        let from = (t - PREROLL_S).max(0.0);
        self.samples.seek(from);
        self.analyzer.reset();
        self.pending = None;
        self.ended = false;
        self.last = from;
        self.feed_until(t);
    }

    /// What a render of `rendered_s` seconds must say of this input: what was read, the
    /// reader's warnings, no beat at all, a recording that ended early.
    pub fn report_notes(&self, rendered_s: f64) -> Vec<String> {
        // The reader's notes say what was read; the simulator has none, so its summary does.
        let mut notes: Vec<String> = self.notes().iter().map(|n| format!("heart: {n}")).collect();
        if notes.is_empty() {
            notes.push(format!("heart: {}", self.summary()));
        }
        if self.beats_seen() == 0 {
            notes.push(
                "warning: no heartbeat was found in the heart input, so the heart features never \
                 reached the sound; check --heart-type and --heart-channel."
                    .into(),
            );
        } else if let Some(t) = self.ended_at().filter(|t| rendered_s - t > 1.0) {
            notes.push(format!(
                "warning: the heart recording ends at {t:.1} s of the {rendered_s:.1} s render; \
                 from there the heart features held."
            ));
        }
        notes
    }
}
