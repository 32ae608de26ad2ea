//! The end-of-session summary: time in target, reward, per-band trends, and the heart's
//! (HR, RMSSD, coherence, breathing rate) when a heart input was there.

use super::record::BANDS;
use crate::bridge::{FeedbackRecord, Outcome};

pub use crate::bridge::GAP_S;

/// How one value went over the session.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Trend {
    /// Mean over the whole session (or stage).
    pub mean: f32,
    /// Mean over the first minute (or the first third, for short sessions).
    pub start_mean: f32,
    /// Mean over the last minute (or the last third).
    pub end_mean: f32,
    /// Least-squares slope per minute over the whole session.
    pub slope_per_min: f32,
}

impl Trend {
    /// The trend of `points` (time s, value, in time order), its start and end over the
    /// points' own span (a value that became valid late starts when it did); zero when there
    /// are none.
    fn of(points: &[(f64, f32)]) -> Self {
        let (t0, t1) = match (points.first(), points.last()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => return Self::default(),
        };
        let edge = if t1 - t0 > 180.0 {
            60.0
        } else {
            (t1 - t0) / 3.0
        };
        let mean_where = |keep: &dyn Fn(f64) -> bool| {
            let (n, sum) = points
                .iter()
                .filter(|(t, _)| keep(*t))
                .fold((0usize, 0.0f64), |(n, s), (_, v)| (n + 1, s + *v as f64));
            if n == 0 {
                0.0
            } else {
                (sum / n as f64) as f32
            }
        };
        Self {
            mean: mean_where(&|_| true),
            start_mean: mean_where(&|t| t <= t0 + edge),
            end_mean: mean_where(&|t| t >= t1 - edge),
            slope_per_min: slope(points.iter().map(|(t, v)| (*t, *v as f64))) as f32 * 60.0,
        }
    }
}

impl Trend {
    /// [`Trend::of`], or `None` when there is no point (a value never measured is not 0).
    fn measured(points: &[(f64, f32)]) -> Option<Self> {
        (!points.is_empty()).then(|| Self::of(points))
    }
}

/// Trend of one band's relative power over the session.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BandTrend {
    /// Band name.
    pub band: String,
    /// How it went.
    #[serde(flatten)]
    pub trend: Trend,
}

/// The heart over the session (present when a heart input was there).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct HeartSummary {
    /// Seconds with valid heart features (HR, RMSSD).
    pub valid_s: f64,
    /// Instantaneous heart rate, bpm (`None`, null in files: never valid).
    pub hr_bpm: Option<Trend>,
    /// RMSSD, ms.
    pub rmssd_ms: Option<Trend>,
    /// HF power, ms² (over the seconds the spectral features were valid).
    pub hf_ms2: Option<Trend>,
    /// Coherence ratio.
    pub coherence: Option<Trend>,
    /// Breathing rate from RSA, breaths per minute.
    pub breath_rate_bpm: Option<Trend>,
}

/// The end-of-session summary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SessionSummary {
    /// Seconds from the first to the last frame (audio clock).
    pub duration_s: f64,
    /// Seconds of `duration_s` with no EEG frame: steps between frames longer than
    /// [`GAP_S`] (a recording's gap, a lost stream). Time in target is not counted there.
    pub without_eeg_s: f64,
    /// How many such gaps.
    pub gaps: u64,
    /// Frames scored.
    pub frames: u64,
    /// Frames held: no reward term usable (poor EEG, no heart signal).
    pub held_frames: u64,
    /// Seconds in target.
    pub time_in_target_s: f64,
    /// Share of the time with EEG (`duration_s - without_eeg_s`) in target, 0..1.
    pub time_in_target: f64,
    /// Mean smoothed reward over frames that were not held.
    pub mean_reward: f64,
    /// The success rate at the end, 0..1: the share of time in target over the whole session
    /// while it is shorter than the adaptation time, then an exponential average over that
    /// time (the adaptive target's measure; `time_in_target` counts the whole session).
    pub final_success_rate: f32,
    /// The adaptation time the session ended with, s (`None`: off, the range stayed where it
    /// was learned).
    pub adaptation_s: Option<f32>,
    /// Per-band trends (over frames with valid EEG).
    pub bands: Vec<BandTrend>,
    /// The heart, when a heart input was there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heart: Option<HeartSummary>,
    /// Records the audio thread could not hand over (a stalled session thread).
    pub dropped: u64,
    /// A guided session's stages, visit by visit, each summarised as the session is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSummary>,
}

/// One visit of a guided session's stage.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StageSummary {
    /// Stage index in the session.
    pub stage: usize,
    /// Stage name.
    pub name: String,
    /// Which entry into a stage this was (1 for the first of the session).
    pub visit: u16,
    /// Session time of its first frame, s.
    pub start_s: f64,
    /// How it ended (`None`: it was still running when the log closed).
    pub ended: Option<Outcome>,
    /// Whether it was a baseline stage (the history's baseline figures come from it).
    pub baseline: bool,
    /// Whether it was a training stage (the report's time in target counts these).
    pub training: bool,
    /// Its frames summarised (time in target, mean reward, band means and trends).
    #[serde(flatten)]
    pub summary: SessionSummary,
}

/// One stage visit being summarised.
struct StageVisit {
    /// Stage index, visit number, whether it records a baseline, whether it trains.
    mark: (u8, u16, bool, bool),
    /// First frame's time, s.
    start: f64,
    /// How it ended.
    ended: Option<Outcome>,
    /// Its frames.
    frames: SummaryBuilder,
}

/// Builds the summary from records as they come (memory: one small row per frame).
#[derive(Default)]
pub struct SummaryBuilder {
    /// (audio time, relative power per band) per valid frame.
    rows: Vec<(f64, [f32; 7])>,
    /// (audio time, HR, RMSSD) per frame with valid heart features.
    heart_rows: Vec<(f64, [f32; 2])>,
    /// (audio time, HF power, coherence, breathing rate) per frame with valid spectral ones.
    spectral_rows: Vec<(f64, [f32; 3])>,
    /// Seconds with valid heart features, and whether any frame carried a heart analysis.
    heart_s: (f64, bool),
    /// Frames scored (not held).
    scored: u64,
    /// First and last audio time.
    span: Option<(f64, f64)>,
    /// Previous record's audio time and in-target state.
    prev: Option<(f64, bool)>,
    /// Seconds without frames, and the number of gaps.
    gaps: (f64, u64),
    /// Frames, held frames.
    counts: (u64, u64),
    /// Sum of rewards over valid frames.
    reward_sum: f64,
    /// Seconds in target.
    in_target_s: f64,
    /// Last success rate.
    success_rate: f32,
    /// The adaptation time of the last record, s.
    adaptation_s: f32,
    /// A guided session's stage names (empty without one).
    stage_names: Vec<String>,
    /// Per stage visit: (stage, visit, first frame's time, how it ended, its summary).
    stages: Vec<StageVisit>,
}

impl SummaryBuilder {
    /// A builder that also summarises a guided session's stages, named `stage_names`.
    pub fn guided(stage_names: Vec<String>) -> Self {
        Self {
            stage_names,
            ..Self::default()
        }
    }

    /// Names the stages of a guided session that started during the summary.
    pub fn set_stage_names(&mut self, names: Vec<String>) {
        self.stage_names = names;
    }

    /// Adds a record.
    pub fn push(&mut self, r: &FeedbackRecord) {
        if r.guide.active {
            let g = r.guide;
            let new_visit = self.stages.last().is_none_or(|s| s.mark.1 != g.visit);
            if new_visit {
                if let Some(last) = self.stages.last_mut() {
                    last.ended = last.ended.or(g.entered_after);
                }
                self.stages.push(StageVisit {
                    mark: (g.stage, g.visit, g.baseline, g.training),
                    start: r.audio_time,
                    ended: None,
                    frames: SummaryBuilder::default(),
                });
            }
            if let Some(last) = self.stages.last_mut() {
                if g.complete {
                    last.ended = last.ended.or(g.entered_after);
                }
                last.frames.push_frame(r);
            }
        }
        self.push_frame(r);
    }

    /// Adds a record to the whole-run figures.
    fn push_frame(&mut self, r: &FeedbackRecord) {
        let t = r.audio_time;
        self.span = Some(self.span.map_or((t, t), |(a, _)| (a, t)));
        if let Some((pt, was_in)) = self.prev {
            let step = (t - pt).max(0.0);
            if step > GAP_S {
                self.gaps.0 += step;
                self.gaps.1 += 1;
            } else if was_in {
                self.in_target_s += step;
            }
        }
        let h = &r.frame.heart;
        if let Some((pt, _)) = self.prev.filter(|_| h.valid) {
            let step = t - pt;
            if step <= GAP_S {
                self.heart_s.0 += step.max(0.0);
            }
        }
        self.heart_s.1 |= h.present();
        self.prev = Some((t, r.feedback.in_target));
        self.counts.0 += 1;
        if h.valid {
            self.heart_rows.push((t, [h.hr_bpm, h.rmssd_ms]));
        }
        if h.spectral_valid {
            self.spectral_rows
                .push((t, [h.hf_ms2, h.coherence, h.breath_rate_bpm]));
        }
        if r.frame.valid {
            self.rows
                .push((t, BANDS.map(|(i, _)| r.frame.bands[i].rel)));
        }
        if r.feedback.held {
            self.counts.1 += 1;
            return;
        }
        self.scored += 1;
        self.reward_sum += r.feedback.reward as f64;
        self.success_rate = r.feedback.success_rate;
        self.adaptation_s = r.feedback.adaptation_s;
    }

    /// The summary so far.
    pub fn finish(&self, dropped: u64) -> SessionSummary {
        let (t0, t1) = self.span.unwrap_or((0.0, 0.0));
        let duration = t1 - t0;
        let with_eeg = duration - self.gaps.0;
        // No valid EEG frame (a heart-only session): no band trends rather than zeros.
        let bands = BANDS
            .iter()
            .filter(|_| !self.rows.is_empty())
            .enumerate()
            .map(|(k, (_, name))| BandTrend {
                band: name.to_string(),
                trend: Trend::of(&column(&self.rows, k)),
            })
            .collect();
        let heart = self.heart_s.1.then(|| HeartSummary {
            valid_s: self.heart_s.0,
            hr_bpm: Trend::measured(&column(&self.heart_rows, 0)),
            rmssd_ms: Trend::measured(&column(&self.heart_rows, 1)),
            hf_ms2: Trend::measured(&column(&self.spectral_rows, 0)),
            coherence: Trend::measured(&column(&self.spectral_rows, 1)),
            breath_rate_bpm: Trend::measured(&column(&self.spectral_rows, 2)),
        });
        SessionSummary {
            duration_s: duration,
            without_eeg_s: self.gaps.0,
            gaps: self.gaps.1,
            frames: self.counts.0,
            held_frames: self.counts.1,
            time_in_target_s: self.in_target_s,
            time_in_target: if with_eeg > 0.0 {
                self.in_target_s / with_eeg
            } else {
                0.0
            },
            mean_reward: if self.scored > 0 {
                self.reward_sum / self.scored as f64
            } else {
                0.0
            },
            final_success_rate: self.success_rate,
            adaptation_s: Some(self.adaptation_s).filter(|t| t.is_finite()),
            bands,
            heart,
            dropped,
            stages: self
                .stages
                .iter()
                .map(|v| StageSummary {
                    stage: v.mark.0 as usize,
                    name: self
                        .stage_names
                        .get(v.mark.0 as usize)
                        .cloned()
                        .unwrap_or_default(),
                    visit: v.mark.1,
                    start_s: v.start,
                    ended: v.ended,
                    baseline: v.mark.2,
                    training: v.mark.3,
                    summary: v.frames.finish(0),
                })
                .collect(),
        }
    }
}

/// Value `k` of each row, with its time.
fn column<const N: usize>(rows: &[(f64, [f32; N])], k: usize) -> Vec<(f64, f32)> {
    rows.iter().map(|(t, v)| (*t, v[k])).collect()
}

/// Least-squares slope of `y` over `x` (0 with fewer than two points).
fn slope(points: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in points {
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let den = n * sxx - sx * sx;
    if n < 2.0 || den.abs() < 1e-12 {
        0.0
    } else {
        (n * sxy - sx * sy) / den
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::bands::ALPHA;

    #[test]
    fn slope_of_a_line() {
        let pts = (0..100).map(|i| (i as f64, 3.0 + 0.5 * i as f64));
        assert!((slope(pts) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn summary_counts_time_in_target_and_trends() {
        let mut b = SummaryBuilder::default();
        for i in 0..=600 {
            let t = i as f64 * 0.5;
            let mut r = FeedbackRecord {
                audio_time: t,
                ..Default::default()
            };
            r.frame.valid = true;
            r.frame.bands[ALPHA].rel = 0.1 + 0.001 * i as f32;
            r.feedback.in_target = t >= 200.0;
            r.feedback.reward = if t >= 200.0 { 1.0 } else { 0.0 };
            b.push(&r);
        }
        let s = b.finish(0);
        assert_eq!(s.frames, 601);
        assert!((s.duration_s - 300.0).abs() < 1e-9);
        assert!((s.time_in_target_s - 100.0).abs() < 1e-6);
        assert_eq!((s.gaps, s.without_eeg_s), (0, 0.0));
        let alpha = s.bands.iter().find(|t| t.band == "alpha").unwrap();
        // 0.001 per frame, 2 frames per second -> 0.12 per minute.
        assert!((alpha.trend.slope_per_min - 0.12).abs() < 1e-4);
        assert!(alpha.trend.end_mean > alpha.trend.start_mean);
        assert_eq!(s.heart, None);
    }

    #[test]
    fn a_gap_without_frames_is_said_and_not_counted_in_target() {
        let mut b = SummaryBuilder::default();
        // In target throughout; frames every 0.25 s over 0..10 s and 40..50 s.
        for t in (0..=40).chain(160..=200).map(|i| i as f64 * 0.25) {
            let mut r = FeedbackRecord {
                audio_time: t,
                ..Default::default()
            };
            r.frame.valid = true;
            r.feedback.in_target = true;
            b.push(&r);
        }
        let s = b.finish(0);
        assert!((s.duration_s - 50.0).abs() < 1e-9);
        assert_eq!(s.gaps, 1);
        assert!((s.without_eeg_s - 30.0).abs() < 1e-9);
        assert!((s.time_in_target_s - 20.0).abs() < 1e-9);
        assert!((s.time_in_target - 1.0).abs() < 1e-9);
    }
}
