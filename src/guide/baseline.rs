//! A baseline stage's recording, on the audio thread: the features the session's programs
//! calibrate from, each kept as a sorted column (a frame is inserted where it belongs, so the
//! percentiles are ready the moment the stage ends, with no sort spike in a callback).
//! Allocation-free after construction. The statistics are those of a recorded baseline
//! ([`crate::features::baseline::BaselineRecorder`]): population mean and deviation, numpy's
//! linear percentiles, frames with no usable channel or below the quality floor left out.

use crate::features::baseline::{percentile_sorted, BaselineSource, FeatureId};
use crate::features::FeatureFrame;

/// Features one session can calibrate from (its programs' terms and z-score routes).
pub const MAX_FEATURES: usize = 24;

/// The recording.
pub struct StageBaseline {
    /// The features kept, in column order.
    features: [Option<FeatureId>; MAX_FEATURES],
    /// Features in use.
    count: usize,
    /// Columns, `capacity` values each, the first `len` sorted.
    columns: Vec<f32>,
    /// Frames a column holds.
    capacity: usize,
    /// Frames recorded.
    len: usize,
    /// Mean and population deviation per column, computed when the stage ends.
    stats: [(f32, f32); MAX_FEATURES],
}

impl StageBaseline {
    /// A recording of `features` (the first [`MAX_FEATURES`]) for up to `frames` frames.
    pub fn new(features: &[FeatureId], frames: usize) -> Self {
        let mut list = [None; MAX_FEATURES];
        let mut count = 0;
        for f in features {
            if count < MAX_FEATURES && !list[..count].contains(&Some(*f)) {
                list[count] = Some(*f);
                count += 1;
            }
        }
        let capacity = frames.max(1);
        Self {
            features: list,
            count,
            columns: vec![0.0; count * capacity],
            capacity,
            len: 0,
            stats: [(f32::NAN, f32::NAN); MAX_FEATURES],
        }
    }

    /// Forgets what was recorded (a new baseline stage starts).
    pub fn clear(&mut self) {
        self.len = 0;
        self.stats = [(f32::NAN, f32::NAN); MAX_FEATURES];
    }

    /// Frames recorded.
    pub fn frames(&self) -> usize {
        self.len
    }

    /// Adds a frame, if it is usable (valid, quality at least `min_quality`, every kept
    /// feature finite) and there is room.
    pub fn push(&mut self, frame: &FeatureFrame, min_quality: f32) {
        if self.len >= self.capacity || !frame.valid || frame.quality < min_quality {
            return;
        }
        let features = &self.features[..self.count];
        if features.iter().flatten().any(|f| !f.of(frame).is_finite()) {
            return;
        }
        for (k, f) in features.iter().enumerate() {
            let Some(f) = f else { continue };
            let v = f.of(frame);
            let col = &mut self.columns[k * self.capacity..k * self.capacity + self.len + 1];
            let at = col[..self.len].partition_point(|x| x.total_cmp(&v).is_le());
            col.copy_within(at..self.len, at + 1);
            col[at] = v;
        }
        self.len += 1;
    }

    /// Computes the means and deviations (at the stage's end; O(frames) per feature).
    pub fn finish(&mut self) {
        for k in 0..self.count {
            let col = self.column(k);
            let n = col.len();
            self.stats[k] = if n == 0 {
                (f32::NAN, f32::NAN)
            } else {
                let mean = col.iter().map(|x| *x as f64).sum::<f64>() / n as f64;
                let var = col.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
                (mean as f32, var.sqrt() as f32)
            };
        }
    }

    /// Column `k`'s recorded values, sorted.
    fn column(&self, k: usize) -> &[f32] {
        &self.columns[k * self.capacity..k * self.capacity + self.len]
    }

    /// Where feature `id` is kept.
    fn slot(&self, id: FeatureId) -> Option<usize> {
        self.features[..self.count]
            .iter()
            .position(|f| *f == Some(id))
    }
}

impl BaselineSource for StageBaseline {
    /// NaN for a feature not kept (calibration then leaves the term as it was).
    fn mean(&self, id: FeatureId) -> f32 {
        self.slot(id).map_or(f32::NAN, |k| self.stats[k].0)
    }

    fn std(&self, id: FeatureId) -> f32 {
        self.slot(id).map_or(f32::NAN, |k| self.stats[k].1)
    }

    fn percentile(&self, id: FeatureId, p: f32) -> f32 {
        match self.slot(id) {
            Some(k) if self.len > 0 => percentile_sorted(self.column(k), p),
            _ => f32::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::bands::{ALPHA, THETA};
    use crate::features::baseline::{BaselineRecorder, PERCENTILES};

    #[test]
    fn gives_the_recorded_baselines_numbers() {
        // Independent: the editor's calibration recorder on the same frames.
        let ids = [
            FeatureId::Rel(ALPHA as u8),
            FeatureId::Abs(THETA as u8),
            FeatureId::ThetaBeta,
        ];
        let mut ours = StageBaseline::new(&ids, 500);
        let mut theirs = BaselineRecorder::new(500.0, 1.0);
        let mut rng = crate::synth::rng::Rng::new(7);
        for i in 0..600 {
            let mut f = FeatureFrame {
                valid: i % 17 != 0,
                quality: if i % 23 == 0 { 0.2 } else { 1.0 },
                ..FeatureFrame::default()
            };
            f.bands[ALPHA].rel = rng.unit();
            f.bands[THETA].abs = 10.0 * rng.unit() * rng.unit();
            f.theta_beta = 1.0 + rng.unit();
            ours.push(&f, 0.5);
            theirs.push(&f, 0.5);
        }
        ours.finish();
        let stats = theirs.finish().unwrap();
        assert_eq!(ours.frames(), stats.frames.min(500));
        assert_eq!(ours.frames(), 500, "full: later frames are not kept");
        for id in ids {
            assert!((ours.mean(id) - stats.mean(id)).abs() <= 1e-6 * stats.mean(id).abs().max(1.0));
            assert!((ours.std(id) - stats.std(id)).abs() <= 1e-6 * stats.std(id).abs().max(1.0));
            for p in PERCENTILES {
                assert_eq!(
                    ours.percentile(id, p),
                    stats.percentile(id, p),
                    "{id:?} p{p}"
                );
            }
        }
        assert!(ours.percentile(FeatureId::Asymmetry, 50.0).is_nan());
    }
}
