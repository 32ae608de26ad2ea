//! Per-channel signal quality: which channels a frame may trust.
//!
//! Every check is cheap, uses only the current window, and yields a flag. A flagged channel is
//! excluded from the montage for that frame; the frame's quality is the share of selected
//! channels that passed, so later stages can hold instead of rewarding artifacts.

/// Thresholds for the checks (defaults suit scalp EEG in µV).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QualityConfig {
    /// Largest plausible deviation from the window mean, µV (clipping, electrode pops).
    pub amplitude_uv: f32,
    /// Below this standard deviation a channel is flat (disconnected or saturated), µV.
    pub flat_uv: f32,
    /// Line noise: power within ±1 Hz of 50 Hz and 60 Hz over the 1–45 Hz power.
    pub line_ratio: f32,
    /// Blink on a frontal channel: deviation beyond this (µV) with most power below 4 Hz.
    pub blink_uv: f32,
    /// Muscle: share of 1–45 Hz power that lies in 30–45 Hz.
    pub muscle_ratio: f32,
    /// Remove 50/60 Hz line-noise bins (interpolated over) before integrating bands.
    pub remove_line: bool,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            amplitude_uv: 150.0,
            flat_uv: 0.1,
            line_ratio: 1.0,
            blink_uv: 70.0,
            muscle_ratio: 0.4,
            remove_line: false,
        }
    }
}

/// Why a channel was excluded, as bit flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    /// NaN or infinite samples in the window.
    pub const NON_FINITE: Flags = Flags(1);
    /// No signal.
    pub const FLAT: Flags = Flags(2);
    /// Beyond the amplitude threshold.
    pub const AMPLITUDE: Flags = Flags(4);
    /// Strong 50/60 Hz.
    pub const LINE_NOISE: Flags = Flags(8);
    /// Eye blink on a frontal channel.
    pub const BLINK: Flags = Flags(16);
    /// Muscle (high-frequency) burst.
    pub const MUSCLE: Flags = Flags(32);

    /// No flag set.
    pub fn is_clean(self) -> bool {
        self.0 == 0
    }

    /// Whether `other`'s flag is set.
    pub fn has(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Adds `other`'s flag.
    pub fn set(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Short names of the set flags, for logs and CSV.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            (Self::NON_FINITE, "nonfinite"),
            (Self::FLAT, "flat"),
            (Self::AMPLITUDE, "amplitude"),
            (Self::LINE_NOISE, "line"),
            (Self::BLINK, "blink"),
            (Self::MUSCLE, "muscle"),
        ]
        .into_iter()
        .filter(move |(f, _)| self.has(*f))
        .map(|(_, n)| n)
    }
}

/// Time-domain statistics of one channel's window (finite samples only).
#[derive(Clone, Copy, Debug, Default)]
pub struct WindowStats {
    /// Count of NaN/Inf samples.
    pub non_finite: usize,
    /// Mean of the finite samples.
    pub mean: f32,
    /// Standard deviation of the finite samples.
    pub std: f32,
    /// Largest |x - mean|.
    pub max_dev: f32,
}

impl WindowStats {
    /// Statistics of `window`.
    ///
    /// The common case (all samples finite) is one pass with eight independent accumulators,
    /// which the compiler vectorises; values are taken relative to the first sample so the
    /// single-pass variance does not cancel. Any NaN/Inf poisons the sums, and only then does
    /// the careful path run.
    pub fn of(window: &[f32]) -> Self {
        const LANES: usize = 8;
        let n = window.len();
        if n == 0 {
            return Self::default();
        }
        let shift = window[0];
        let mut sum = [0.0f32; LANES];
        let mut sq = [0.0f32; LANES];
        let mut lo = [0.0f32; LANES];
        let mut hi = [0.0f32; LANES];
        let chunks = window.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..LANES {
                let d = c[i] - shift;
                sum[i] += d;
                sq[i] += d * d;
                lo[i] = if d < lo[i] { d } else { lo[i] };
                hi[i] = if d > hi[i] { d } else { hi[i] };
            }
        }
        let (mut s, mut q) = (sum.iter().sum::<f32>(), sq.iter().sum::<f32>());
        let (mut l, mut h) = (
            lo.iter().fold(0.0f32, |a, b| a.min(*b)),
            hi.iter().fold(0.0f32, |a, b| a.max(*b)),
        );
        for &x in rest {
            let d = x - shift;
            s += d;
            q += d * d;
            l = l.min(d);
            h = h.max(d);
        }
        if !(s.is_finite() && q.is_finite() && shift.is_finite()) {
            return Self::careful(window);
        }
        let mean = s / n as f32;
        let var = (q / n as f32 - mean * mean).max(0.0);
        Self {
            non_finite: 0,
            mean: mean + shift,
            std: var.sqrt(),
            max_dev: (h - mean).max(mean - l),
        }
    }

    /// Two-pass statistics over the finite samples only (windows with NaN/Inf).
    fn careful(window: &[f32]) -> Self {
        let mut n = 0usize;
        let mut sum = 0.0f64;
        let mut lo = f32::INFINITY;
        let mut hi = f32::NEG_INFINITY;
        for &x in window {
            if x.is_finite() {
                n += 1;
                sum += x as f64;
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if n == 0 {
            return Self {
                non_finite: window.len(),
                ..Self::default()
            };
        }
        let mean = (sum / n as f64) as f32;
        let var = window
            .iter()
            .filter(|x| x.is_finite())
            .map(|x| ((x - mean) as f64).powi(2))
            .sum::<f64>()
            / n as f64;
        Self {
            non_finite: window.len() - n,
            mean,
            std: var.sqrt() as f32,
            max_dev: (hi - mean).max(mean - lo),
        }
    }
}

/// Spectral shares a channel's checks need, from its band powers.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpectralShares {
    /// Power 1–45 Hz, µV².
    pub total: f32,
    /// Power 1–4 Hz, µV².
    pub low: f32,
    /// Power 30–45 Hz, µV².
    pub high: f32,
    /// Power within ±1 Hz of 50 and 60 Hz (those below Nyquist), µV².
    pub line: f32,
}

/// The flags of one channel.
pub fn assess(
    cfg: &QualityConfig,
    stats: &WindowStats,
    shares: &SpectralShares,
    frontal: bool,
) -> Flags {
    let mut f = Flags::default();
    if stats.non_finite > 0 {
        f.set(Flags::NON_FINITE);
        return f;
    }
    if stats.std < cfg.flat_uv {
        f.set(Flags::FLAT);
        return f;
    }
    if stats.max_dev > cfg.amplitude_uv {
        f.set(Flags::AMPLITUDE);
    }
    let total = shares.total.max(f32::MIN_POSITIVE);
    if shares.line / total > cfg.line_ratio {
        f.set(Flags::LINE_NOISE);
    }
    if frontal && stats.max_dev > cfg.blink_uv && shares.low / total > 0.5 {
        f.set(Flags::BLINK);
    }
    if shares.high / total > cfg.muscle_ratio {
        f.set(Flags::MUSCLE);
    }
    f
}

/// Whether a 10-20/10-10 label names a frontal site where blinks show (Fp*, AF*, F7, F8).
pub fn is_frontal(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    l.starts_with("fp") || l.starts_with("af") || l == "f7" || l == "f8" || l == "fpz"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_ignore_non_finite_samples_but_count_them() {
        let s = WindowStats::of(&[1.0, f32::NAN, 3.0, f32::INFINITY]);
        assert_eq!(s.non_finite, 2);
        assert_eq!(s.mean, 2.0);
        assert_eq!(s.max_dev, 1.0);
    }

    #[test]
    fn fast_path_matches_the_careful_path() {
        let mut rng = crate::synth::rng::Rng::new(4);
        for len in [1, 7, 8, 9, 256, 1000] {
            let w: Vec<f32> = (0..len)
                .map(|i| 40.0 + 25.0 * rng.bipolar() + 0.01 * i as f32)
                .collect();
            let (a, b) = (WindowStats::of(&w), WindowStats::careful(&w));
            assert_eq!(a.non_finite, 0);
            assert!(
                (a.mean - b.mean).abs() < 1e-3,
                "{len}: {} {}",
                a.mean,
                b.mean
            );
            assert!(
                (a.std - b.std).abs() < 1e-3 * b.std.max(1.0),
                "{len}: {} {}",
                a.std,
                b.std
            );
            assert!((a.max_dev - b.max_dev).abs() < 1e-3, "{len}");
        }
    }

    #[test]
    fn frontal_labels() {
        for l in ["Fp1", "FP2", "AF3", "F7", "Fpz"] {
            assert!(is_frontal(l), "{l}");
        }
        for l in ["O1", "Pz", "F3", "C4", ""] {
            assert!(!is_frontal(l), "{l}");
        }
    }
}
