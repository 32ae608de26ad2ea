//! The daily baseline: a guided session's baseline stage, recorded off the audio thread from
//! the records the session thread receives, becomes the calibration the next session starts
//! from (the project's setup in the plugin, `render --save-setup` in the CLI). The
//! statistics are the Calibration tab's ([`BaselineRecorder`]), over the stage's frames.

use crate::bridge::{FeedbackRecord, GAP_S, MIN_BASELINE_EEG_S};
use crate::features::baseline::{BaselineRecorder, BaselineStats};
use crate::feedback::{Condition, FeedbackSetup};

/// A finished baseline stage, ready to carry.
#[derive(Clone, Debug, PartialEq)]
pub struct CarriedBaseline {
    /// The stage's index in its session.
    pub stage: usize,
    /// The statistics of its usable frames.
    pub stats: BaselineStats,
    /// The condition it was recorded in (eyes open when the session does not say).
    pub condition: Condition,
}

impl CarriedBaseline {
    /// `setup` with this baseline as its calibration.
    pub fn applied_to(&self, setup: &FeedbackSetup) -> FeedbackSetup {
        FeedbackSetup {
            baseline: Some(self.stats.clone()),
            condition: Some(self.condition),
            ..setup.clone()
        }
    }

    /// A sentence for the user: what was carried.
    pub fn describe(&self, stage_name: &str) -> String {
        format!(
            "The baseline stage '{stage_name}' ({} frames) now calibrates the targets the next \
             sessions start from.",
            self.stats.frames
        )
    }
}

/// Watches records for a baseline stage and hands it over when it ends.
#[derive(Default)]
pub struct DailyBaseline {
    /// The stage being recorded: its visit, index, condition and frames.
    current: Option<(u16, usize, Option<Condition>, BaselineRecorder)>,
    /// The stage's seconds of EEG (steps between its frames, gaps left out) and the last
    /// frame's time.
    eeg: (f64, Option<f64>),
}

impl DailyBaseline {
    /// Adds a record; when this record is the first after a baseline stage (the stage ended:
    /// another stage, or the session completed), returns the baseline, or a sentence saying
    /// why there is none: less than [`MIN_BASELINE_EEG_S`] of usable EEG in the stage.
    pub fn push(&mut self, r: &FeedbackRecord) -> Option<Result<CarriedBaseline, String>> {
        let g = &r.guide;
        let recording = g.active && g.baseline && !g.complete;
        let same = self
            .current
            .as_ref()
            .is_some_and(|(visit, ..)| recording && *visit == g.visit);
        let ended = if same { None } else { self.current.take() };
        let eeg_s = self.eeg.0;
        if !same {
            self.eeg = (0.0, None);
        }
        if recording {
            let usable =
                r.frame.valid && r.frame.quality >= crate::guide::conductor::BASELINE_MIN_QUALITY;
            if usable {
                if let Some(t) = self.eeg.1.filter(|t| r.audio_time - t <= GAP_S) {
                    self.eeg.0 += (r.audio_time - t).max(0.0);
                }
                self.eeg.1 = Some(r.audio_time);
            }
            let (.., rec) = self.current.get_or_insert_with(|| {
                (
                    g.visit,
                    g.stage as usize,
                    g.condition,
                    BaselineRecorder::growing(),
                )
            });
            rec.push(&r.frame, crate::guide::conductor::BASELINE_MIN_QUALITY);
        }
        let (_, stage, condition, rec) = ended?;
        Some(match rec.finish().filter(|_| eeg_s >= MIN_BASELINE_EEG_S) {
            Some(stats) => Ok(CarriedBaseline {
                stage,
                stats,
                condition: condition.unwrap_or(Condition::EyesOpen),
            }),
            None => Err(format!(
                "stage {} had {eeg_s:.1} s of usable EEG, less than the {MIN_BASELINE_EEG_S:.0} s \
                 a baseline needs: the targets were left as they were",
                stage + 1
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of a baseline stage (stage 1) from `t0` for `seconds`, then one of stage 2.
    fn stage(seconds: f64, t0: f64, visit: u16) -> Vec<FeedbackRecord> {
        let mut out = Vec::new();
        let n = (seconds * 64.0) as usize;
        for k in 0..=n {
            let mut r = FeedbackRecord {
                audio_time: t0 + k as f64 / 64.0,
                ..Default::default()
            };
            r.frame.valid = true;
            r.frame.quality = 1.0;
            r.frame.bands[0].rel = (k % 7) as f32;
            r.guide.active = true;
            r.guide.visit = if k == n { visit + 1 } else { visit };
            r.guide.stage = if k == n { 2 } else { 1 };
            r.guide.baseline = k < n;
            out.push(r);
        }
        out
    }

    #[test]
    fn a_baseline_needs_ten_seconds_of_usable_eeg_and_gaps_do_not_count() {
        let mut d = DailyBaseline::default();
        let got: Vec<_> = stage(12.0, 0.0, 1)
            .iter()
            .filter_map(|r| d.push(r))
            .collect();
        assert_eq!(got.len(), 1);
        let b = got[0].as_ref().unwrap();
        assert_eq!((b.stage, b.stats.frames), (1, 768));
        assert_eq!(b.condition, Condition::EyesOpen);

        // 6 s, a 9 s gap, 3 s: 9 s of EEG in a 18 s stage.
        let mut d = DailyBaseline::default();
        let mut recs = stage(6.0, 0.0, 3);
        recs.pop();
        recs.extend(stage(3.0, 15.0, 3));
        let got: Vec<_> = recs.iter().filter_map(|r| d.push(r)).collect();
        let e = got[0].as_ref().unwrap_err();
        assert!(
            e.contains("9.0 s of usable EEG") && e.contains("left as they were"),
            "{e}"
        );
    }
}
