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

/// Frames counted with the checks their channels failed: what a run says when no frame of a
/// recording was usable, instead of going quiet about it.
#[derive(Clone, Debug, Default)]
pub struct QualityTally {
    /// Frames seen.
    pub frames: u64,
    /// Frames that passed.
    pub valid: u64,
    /// Channel-frames that failed each check, in [`Flags::names`] order.
    failed: [u64; 6],
    /// Channel-frames seen.
    channel_frames: u64,
}

impl QualityTally {
    /// Counts a frame and its channels' flags.
    pub fn push(&mut self, valid: bool, flags: &[Flags]) {
        self.frames += 1;
        self.valid += u64::from(valid);
        for f in flags {
            self.channel_frames += 1;
            for (k, bit) in (0..6).map(|k| (k, Flags(1 << k))) {
                self.failed[k] += u64::from(f.has(bit));
            }
        }
    }

    /// When frames were seen and none passed: one sentence with the checks that failed most.
    pub fn unusable(&self) -> Option<String> {
        if self.frames == 0 || self.valid > 0 {
            return None;
        }
        const WHY: [&str; 6] = [
            "samples that are not numbers",
            "flat signals",
            "amplitudes beyond the artifact limit",
            "strong 50/60 Hz line noise",
            "eye blinks",
            "muscle activity",
        ];
        let mut causes: Vec<(u64, &str)> = self
            .failed
            .iter()
            .zip(WHY)
            .filter(|(n, _)| **n > 0)
            .map(|(n, w)| (*n, w))
            .collect();
        causes.sort_by_key(|c| std::cmp::Reverse(c.0));
        let listed: Vec<String> = causes
            .iter()
            .take(2)
            .map(|(n, w)| {
                format!(
                    "{w} in {:.0} % of channel windows",
                    100.0 * *n as f64 / self.channel_frames.max(1) as f64
                )
            })
            .collect();
        Some(format!(
            "none of the {} feature frames passed the quality checks ({}), so they carry no \
             usable EEG; check the recording's units, channels and electrodes",
            self.frames,
            if listed.is_empty() {
                "too few clean channels".to_string()
            } else {
                listed.join("; ")
            }
        ))
    }
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

    #[test]
    fn a_tally_says_why_no_frame_was_usable_and_nothing_when_one_was() {
        let mut t = QualityTally::default();
        for _ in 0..10 {
            t.push(
                false,
                &[Flags::FLAT, Flags(Flags::FLAT.0 | Flags::LINE_NOISE.0)],
            );
        }
        let why = t.unusable().unwrap();
        assert!(why.starts_with("none of the 10 feature frames"), "{why}");
        assert!(
            why.contains("flat signals in 100 %") && why.contains("line noise in 50 %"),
            "{why}"
        );
        t.push(true, &[Flags::default(), Flags::default()]);
        assert_eq!(t.unusable(), None);
        assert_eq!(QualityTally::default().unusable(), None);
    }
}
