//! The EEG of an offline render: where it comes from ([`EegInput`], [`EegJob`]) and
//! [`EegDrive`], which feeds it to the extractor in step with the audio clock (with a heart
//! input beside it, or, without EEG, frames on the live hop carrying only the heart).

use std::path::PathBuf;
use std::sync::Arc;

use super::heart::HeartDrive;
use crate::eeg::heart_input::HeartInput;
use crate::eeg::playback::Playback;
use crate::eeg::recording::{self, ReadOptions, Recording};
use crate::eeg::sim::{SimConfig, Simulator};
use crate::eeg::source::Generator;
use crate::eeg::worker::{extractor_for, AnalysisConfig};
use crate::features::quality::QualityTally;
use crate::features::{Extractor, FeatureFrame};
use crate::session::GAP_S;

/// Where an offline render's EEG comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum EegInput {
    /// The built-in simulator (endless).
    Simulator(SimConfig),
    /// A recording file (CSV, EDF/BDF, XDF); `rate` for CSV files without timestamps. When it
    /// ends the feedback holds, then glides to neutral, exactly as with a lost live stream.
    File {
        /// The file.
        path: PathBuf,
        /// CSV sample rate, signals, XDF stream.
        options: ReadOptions,
    },
    /// A recording already in memory (generated stimuli for benchmarks and tests), played
    /// once.
    Memory(Arc<Recording>),
    /// A recording file already read ([`EegInput::open`]): played once, its reader's notes
    /// said as for [`EegInput::File`].
    Opened(Arc<Recording>),
    /// No EEG (`none`): a heart-only render. Frames come on the live hop (64 a second),
    /// their EEG part invalid, so heart programs score and EEG terms sit out.
    None,
}

impl EegInput {
    /// Parses `sim`, `sim:SCRIPT` or a file path (the source syntax of
    /// [`crate::eeg::SourceSpec`]; live LSL streams have no place in an offline render).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(EegInput::None);
        }
        Self::from_spec(&text.parse::<crate::eeg::SourceSpec>()?).ok_or_else(|| {
            format!(
                "'{}' is a live LSL stream; renders and calibrations from --eeg take sim, \
                 sim:SCRIPT or a recording (use `monitor` or the plugin for live streams).",
                text.trim()
            )
        })
    }

    /// This input with a recording file read into memory (any other input as it is), so
    /// that its length is known before the render starts. Errors are the reader's sentences.
    pub fn open(self) -> Result<Self, String> {
        match self {
            EegInput::File { path, options } => Ok(EegInput::Opened(Arc::new(recording::open(
                &path, &options,
            )?))),
            other => Ok(other),
        }
    }

    /// How long this input plays, s: a recording's length as it is played (its gaps
    /// included); `None` for the endless simulator, no EEG, and a file not yet read.
    pub fn length_s(&self) -> Option<f64> {
        match self {
            EegInput::Memory(rec) | EegInput::Opened(rec) => {
                Some(Playback::new(rec.clone(), false).length_s())
            }
            _ => None,
        }
    }

    /// The offline input for a source: the simulator or a recording (`None` for a live
    /// stream, which cannot be played on the audio clock).
    pub fn from_spec(spec: &crate::eeg::SourceSpec) -> Option<Self> {
        match spec {
            crate::eeg::SourceSpec::Simulator(cfg) => Some(EegInput::Simulator(cfg.clone())),
            crate::eeg::SourceSpec::File {
                path,
                rate,
                channels,
                stream,
                ..
            } => Some(EegInput::File {
                path: path.clone(),
                options: ReadOptions {
                    rate: *rate,
                    channels: channels.clone(),
                    stream: stream.clone(),
                },
            }),
            crate::eeg::SourceSpec::Lsl { .. } => None,
        }
    }
}

/// EEG for an offline render: the input, the analysis, and an optional session log.
#[derive(Clone, Debug, PartialEq)]
pub struct EegJob {
    /// The samples.
    pub input: EegInput,
    /// Window, hop, montage, bands.
    pub analysis: AnalysisConfig,
    /// Per-frame CSV log.
    pub log: Option<PathBuf>,
    /// A heart input beside the EEG (its features ride in every frame).
    pub heart: Option<HeartInput>,
}

/// Seconds between frames without EEG: the live hop.
pub const CLOCK_HOP_S: f64 = 1.0 / 64.0;

/// Feeds EEG to the extractor in step with the audio clock, so frames reach the feedback
/// engine at the audio time they would in a live session, deterministically.
pub struct EegDrive {
    /// The samples (the same generators the worker paces live, here paced by the audio
    /// clock) and their analysis; `None`: no EEG, frames on the clock.
    eeg: Option<(Box<dyn Generator + Send>, Extractor)>,
    /// The next sample, already taken, and its time on the generator's clock.
    buf: Vec<f32>,
    /// See `buf` (`None`: take the next one).
    pending: Option<f64>,
    /// The heart beside it.
    heart: Option<HeartDrive>,
    /// Frames on the clock so far (no EEG).
    clock_frames: u64,
    /// What the recording's reader said (see [`Recording::notes`]).
    notes: Vec<String>,
    /// Time of the last sample pushed, and whether the input has ended.
    last: (f64, bool),
    /// Frames computed so far.
    frames: u64,
    /// Their quality, to say so when none was usable.
    tally: QualityTally,
    /// Time of the last frame (its newest sample), s.
    last_frame: f64,
}

impl EegDrive {
    /// Opens the input and builds the extractor (errors are sentences).
    pub fn new(input: &EegInput, analysis: &AnalysisConfig) -> Result<Self, String> {
        // Recordings play once: when one ends, the feedback holds, then glides to neutral.
        let mut notes = Vec::new();
        let samples: Option<Box<dyn Generator + Send>> = match input {
            EegInput::Simulator(cfg) => Some(Box::new(Simulator::new(cfg.clone())?)),
            EegInput::File { path, options } => {
                let rec = recording::open(path, options)?;
                notes = rec.notes();
                Some(Box::new(Playback::new(Arc::new(rec), false)))
            }
            EegInput::Memory(rec) => Some(Box::new(Playback::new(rec.clone(), false))),
            EegInput::Opened(rec) => {
                notes = rec.notes();
                Some(Box::new(Playback::new(rec.clone(), false)))
            }
            EegInput::None => None,
        };
        let eeg = match samples {
            Some(s) => {
                let extractor = extractor_for(s.labels(), s.rate(), analysis)?;
                Some((s, extractor))
            }
            None => None,
        };
        Ok(Self {
            buf: vec![0.0; eeg.as_ref().map_or(0, |(s, _)| s.labels().len())],
            eeg,
            pending: None,
            heart: None,
            clock_frames: 0,
            notes,
            last: (0.0, false),
            frames: 0,
            tally: QualityTally::default(),
            last_frame: 0.0,
        })
    }

    /// This drive with `heart` beside it: every frame then carries the heart features as of
    /// its time.
    pub fn with_heart(mut self, heart: Option<HeartDrive>) -> Self {
        self.heart = heart;
        self
    }

    /// The heart beside the EEG, if any.
    pub fn heart(&self) -> Option<&HeartDrive> {
        self.heart.as_ref()
    }

    /// Whether there is EEG (else only the heart, on the clock).
    pub fn has_eeg(&self) -> bool {
        self.eeg.is_some()
    }

    /// What the recording's reader said: what was read, and each warning (empty for the
    /// simulator).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// When the input has ended: the time of its last sample (seconds on its clock).
    pub fn ended_at(&self) -> Option<f64> {
        self.last.1.then_some(self.last.0)
    }

    /// Moves to input time `t` (s): the input restarts [`EegDrive::preroll_s`] before it,
    /// that stretch is analysed with its frames discarded, and frames resume at `t` as if the
    /// input had played up to there. What follows depends only on `t` (a timeline played or
    /// bounced from the same song position gives the same frames). Real-time safe.
    pub fn seek(&mut self, t: f64) {
        let from = (t - self.preroll_s()).max(0.0);
        if let Some(heart) = self.heart.as_mut() {
            heart.seek(from);
        }
        if let Some((samples, extractor)) = self.eeg.as_mut() {
            samples.seek(from);
            extractor.reset();
        }
        self.clock_frames = (from / CLOCK_HOP_S).ceil() as u64;
        self.pending = None;
        self.last = (from, false);
        self.feed_until(t, |_| {});
    }

    /// Seconds of input analysed before a seek's target: the analysis window and half a
    /// second for the band filters to settle (none without EEG; the heart takes its own,
    /// [`heart::PREROLL_S`], before that).
    pub fn preroll_s(&self) -> f64 {
        self.eeg.as_ref().map_or(0.0, |(_, e)| {
            let (_, window) = e.hop_and_window();
            window as f64 / e.config().sample_rate as f64 + 0.5
        })
    }

    /// `frame` with the heart features as of its time (the heart input taken up to then).
    fn with_heart_features(
        heart: Option<&mut HeartDrive>,
        mut frame: FeatureFrame,
    ) -> FeatureFrame {
        if let Some(h) = heart {
            h.feed_until(frame.time);
            frame.heart = h.features_at(frame.time);
        }
        frame
    }

    /// Pushes every sample timed before `until` seconds (a recording's gaps pass as gaps);
    /// `on_frame` gets each frame produced.
    pub fn feed_until(&mut self, until: f64, mut on_frame: impl FnMut(&FeatureFrame)) {
        let Some((samples, extractor)) = self.eeg.as_mut() else {
            // No EEG: frames on the clock, carrying only the heart.
            loop {
                let time = (self.clock_frames + 1) as f64 * CLOCK_HOP_S;
                if time >= until {
                    return;
                }
                let frame = FeatureFrame {
                    seq: self.clock_frames,
                    time,
                    ..FeatureFrame::default()
                };
                self.clock_frames += 1;
                self.frames += 1;
                self.last_frame = time;
                on_frame(&Self::with_heart_features(self.heart.as_mut(), frame));
            }
        };
        loop {
            let time = match self.pending {
                Some(t) => t,
                None => match samples.next(&mut self.buf) {
                    Some(t) => t,
                    None => {
                        self.last.1 = true;
                        return;
                    }
                },
            };
            if time >= until {
                self.pending = Some(time);
                return;
            }
            self.pending = None;
            self.last.0 = time;
            if let Some(f) = extractor.push(&self.buf, time) {
                self.frames += 1;
                self.last_frame = f.time;
                self.tally.push(f.valid, &extractor.channel_results().flags);
                on_frame(&Self::with_heart_features(self.heart.as_mut(), f));
            }
        }
    }

    /// What the render must say of its inputs after `rendered_s` seconds: what was read,
    /// the heart's notes, and EEG that never reached the sound, ended early, or ended inside
    /// a gap.
    pub fn report_notes(&self, rendered_s: f64) -> Vec<String> {
        let mut notes = self.notes.clone();
        if let Some(h) = self.heart() {
            notes.extend(h.report_notes(rendered_s));
        }
        if !self.has_eeg() {
            return notes;
        }
        if self.frames == 0 {
            notes.push(
                "warning: no feature frame was computed (the EEG is shorter than one \
                 analysis window), so the EEG never reached the sound."
                    .into(),
            );
        } else if let Some(t) = self.ended_at().filter(|t| rendered_s - t > END_SLACK_S) {
            // Never silent: the rest of the render had no EEG.
            notes.push(format!(
                "warning: the recording ends at {t:.1} s of the {:.1} s render; from there \
                 the feedback held, then glided to neutral.",
                rendered_s
            ));
        } else if rendered_s - self.last_frame > GAP_S {
            notes.push(format!(
                "warning: the render ends inside a gap in the recording: no EEG after \
                 {:.1} s of the {:.1} s render; from there the feedback held, then glided \
                 to neutral.",
                self.last_frame, rendered_s
            ));
        }
        if let Some(why) = self.tally.unusable() {
            notes.push(format!("warning: {why}; the feedback stayed neutral."));
        }
        notes
    }
}

/// A recording that ends this close to the render's end (s, one frame hop) covers it.
const END_SLACK_S: f64 = 1.0 / 64.0;
