//! Integrated loudness (ITU-R BS.1770-4 / EBU R128) and sample peak, for the CLI's report and
//! the tests' loudness promise. Pure: feed it samples, read the numbers.

/// A biquad in direct form I, in f64: K-weighting needs the precision at low frequencies.
#[derive(Clone, Copy, Debug)]
struct Biquad {
    /// Numerator.
    b: [f64; 3],
    /// Denominator (a0 normalised to 1).
    a: [f64; 2],
    /// Past inputs.
    x: [f64; 2],
    /// Past outputs.
    y: [f64; 2],
}

impl Biquad {
    fn new(b: [f64; 3], a0: f64, a: [f64; 2]) -> Self {
        Self {
            b: [b[0] / a0, b[1] / a0, b[2] / a0],
            a: [a[0] / a0, a[1] / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// The two K-weighting stages for any sample rate, designed from their analogue prototypes
/// as libebur128 does; at 48 kHz this reproduces the coefficients printed in BS.1770-4.
fn k_weighting(sample_rate: f64) -> [Biquad; 2] {
    use std::f64::consts::PI;
    // Stage 1: high shelf, about +4 dB above 1.7 kHz (the acoustic effect of the head).
    let (f0, g, q) = (
        1_681.974_450_955_533,
        3.999_843_853_973_347,
        0.707_175_236_955_419_6,
    );
    let k = (PI * f0 / sample_rate).tan();
    let vh = 10f64.powf(g / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad::new(
        [
            vh + vb * k / q + k * k,
            2.0 * (k * k - vh),
            vh - vb * k / q + k * k,
        ],
        a0,
        [2.0 * (k * k - 1.0), 1.0 - k / q + k * k],
    );
    // Stage 2: the RLB high-pass at about 38 Hz.
    let (f0, q) = (38.135_470_876_024_44, 0.500_327_037_323_877_3);
    let k = (PI * f0 / sample_rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let hp = Biquad::new(
        [a0, -2.0 * a0, a0],
        a0,
        [2.0 * (k * k - 1.0), 1.0 - k / q + k * k],
    );
    [shelf, hp]
}

/// Streaming loudness meter for a stereo signal.
pub struct LoudnessMeter {
    /// K-weighting per channel.
    filters: [[Biquad; 2]; 2],
    /// Mean square per 100 ms step (a quarter of the 400 ms gating block).
    steps: Vec<f64>,
    /// Sum of squares in the current step.
    acc: f64,
    /// Samples in the current step.
    count: usize,
    /// Samples per 100 ms step.
    step_len: usize,
    /// Largest absolute sample value seen.
    peak: f32,
    /// Samples seen per channel.
    frames: u64,
}

impl LoudnessMeter {
    /// A meter for `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        let k = k_weighting(sample_rate as f64);
        Self {
            filters: [k, k],
            steps: Vec::new(),
            acc: 0.0,
            count: 0,
            step_len: (sample_rate as f64 * 0.1).round() as usize,
            peak: 0.0,
            frames: 0,
        }
    }

    /// Feeds one block of stereo audio.
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        for (&l, &r) in left.iter().zip(right) {
            self.peak = self.peak.max(l.abs()).max(r.abs());
            let mut sum = 0.0;
            for (ch, x) in [l, r].into_iter().enumerate() {
                let [a, b] = &mut self.filters[ch];
                let y = b.process(a.process(x as f64));
                sum += y * y;
            }
            self.acc += sum;
            self.count += 1;
            if self.count == self.step_len {
                self.steps.push(self.acc / self.step_len as f64);
                self.acc = 0.0;
                self.count = 0;
            }
        }
        self.frames += left.len().min(right.len()) as u64;
    }

    /// Integrated loudness in LUFS (gated), or `None` if less than 400 ms were measured or
    /// everything was below the -70 LUFS absolute gate.
    pub fn integrated_lufs(&self) -> Option<f64> {
        if self.steps.len() < 4 {
            return None;
        }
        // 400 ms blocks with 75 % overlap: each is the mean of four 100 ms steps.
        let blocks: Vec<f64> = self
            .steps
            .windows(4)
            .map(|w| w.iter().sum::<f64>() / 4.0)
            .collect();
        let lufs = |z: f64| -0.691 + 10.0 * z.log10();
        let mean_of = |gate: f64| {
            let kept: Vec<f64> = blocks.iter().copied().filter(|&z| lufs(z) > gate).collect();
            (!kept.is_empty()).then(|| kept.iter().sum::<f64>() / kept.len() as f64)
        };
        let abs_mean = mean_of(-70.0)?;
        let relative_gate = lufs(abs_mean) - 10.0;
        mean_of(relative_gate).map(lufs)
    }

    /// Largest absolute sample, in dBFS.
    pub fn peak_dbfs(&self) -> f64 {
        20.0 * (self.peak.max(1e-10) as f64).log10()
    }

    /// Seconds of audio measured, at `sample_rate`.
    pub fn seconds(&self, sample_rate: f32) -> f64 {
        self.frames as f64 / sample_rate as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BS.1770's calibration point: a full-scale 1 kHz sine in one channel reads -3.01 LUFS,
    /// because the K-weighting gain at 1 kHz cancels the -0.691 offset. So a sine of amplitude
    /// A in both channels (mean square A²/2 each) reads 10·log10(A²).
    #[test]
    fn sine_at_1khz_reads_its_power_plus_the_k_weighting_gain() {
        let sr = 48_000.0;
        let amp = 0.1f32; // -20 dBFS peak
        let mut m = LoudnessMeter::new(sr);
        let x: Vec<f32> = (0..(sr as usize * 5))
            .map(|i| amp * (std::f32::consts::TAU * 1000.0 * i as f32 / sr).sin())
            .collect();
        m.push(&x, &x);
        let l = m.integrated_lufs().unwrap();
        // Mean square per channel = amp²/2; two channels; K-weighting gain at 1 kHz is
        // +0.691 dB by design (that is why the -0.691 offset exists): so L = 10·log10(amp²).
        let expected = 10.0 * ((amp as f64).powi(2)).log10();
        assert!((l - expected).abs() < 0.05, "{l} vs {expected}");
        assert!((m.peak_dbfs() + 20.0).abs() < 0.01);
    }

    #[test]
    fn coefficients_at_48k_match_the_standard() {
        let [s, h] = k_weighting(48_000.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(s.b[0], 1.535_124_859_586_97) && close(s.b[1], -2.691_696_189_406_38));
        assert!(close(s.b[2], 1.198_392_810_852_85) && close(s.a[0], -1.690_659_293_182_41));
        assert!(close(s.a[1], 0.732_480_774_215_85));
        assert!(close(h.b[0], 1.0) && close(h.b[1], -2.0) && close(h.b[2], 1.0));
        assert!(close(h.a[0], -1.990_047_454_833_98) && close(h.a[1], 0.990_072_250_366_21));
    }

    #[test]
    fn silence_has_no_loudness() {
        let mut m = LoudnessMeter::new(44_100.0);
        let z = vec![0.0; 44_100];
        m.push(&z, &z);
        assert_eq!(m.integrated_lufs(), None);
    }
}
