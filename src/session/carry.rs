//! The daily baseline: a guided session's baseline stage, recorded off the audio thread from
//! the records the session thread receives, becomes the calibration the next session starts
//! from (the project's setup in the plugin, `render --save-setup` in the CLI). The
//! statistics are the Calibration tab's ([`BaselineRecorder`]), over the stage's frames.

use crate::bridge::FeedbackRecord;
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
}

impl DailyBaseline {
    /// Adds a record; returns the baseline when this record is the first after a baseline
    /// stage (the stage ended: another stage, or the session completed). A stage with fewer
    /// than two usable frames carries nothing.
    pub fn push(&mut self, r: &FeedbackRecord) -> Option<CarriedBaseline> {
        let g = &r.guide;
        let recording = g.active && g.baseline && !g.complete;
        let same = self
            .current
            .as_ref()
            .is_some_and(|(visit, ..)| recording && *visit == g.visit);
        let ended = if same { None } else { self.current.take() };
        if recording {
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
        Some(CarriedBaseline {
            stage,
            stats: rec.finish()?,
            condition: condition.unwrap_or(Condition::EyesOpen),
        })
    }
}
