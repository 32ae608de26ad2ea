//! Integrated loudness (ITU-R BS.1770-4 / EBU R128) and sample peak, for the CLI's report and
//! the tests' loudness promise. The measurement is the `ebur128` crate (a port of libebur128,
//! tested against the EBU's conformance material); this wrapper gives the render's stereo
//! blocks to it and reads the numbers.

use ebur128::{EbuR128, Mode};

/// Streaming loudness meter for a stereo signal.
pub struct LoudnessMeter {
    /// The BS.1770 meter (integrated loudness and sample peak); `None` if the rate is one the
    /// crate refuses (it takes 16 Hz to 2.8 MHz, so in practice never).
    meter: Option<EbuR128>,
    /// Largest absolute sample value seen.
    peak: f32,
    /// Samples seen per channel.
    frames: u64,
}

impl LoudnessMeter {
    /// A meter for `sample_rate` (Hz).
    pub fn new(sample_rate: f32) -> Self {
        Self {
            meter: EbuR128::new(2, sample_rate.round() as u32, Mode::I).ok(),
            peak: 0.0,
            frames: 0,
        }
    }

    /// Feeds one block of stereo audio (allocation-free; the same numbers for any split
    /// into blocks).
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&left[..n], &right[..n]);
        for (&l, &r) in left.iter().zip(right) {
            self.peak = self.peak.max(l.abs()).max(r.abs());
        }
        if let Some(m) = &mut self.meter {
            // Channels of equal length: the only error the crate can return here.
            let _ = m.add_frames_planar_f32(&[left, right]);
        }
        self.frames += n as u64;
    }

    /// Integrated loudness in LUFS (gated), or `None` if less than 400 ms were measured or
    /// everything was below the -70 LUFS absolute gate.
    pub fn integrated_lufs(&self) -> Option<f64> {
        let lufs = self.meter.as_ref()?.loudness_global().ok()?;
        lufs.is_finite().then_some(lufs)
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
        let expected = 10.0 * ((amp as f64).powi(2)).log10();
        assert!((l - expected).abs() < 0.05, "{l} vs {expected}");
        assert!((m.peak_dbfs() + 20.0).abs() < 0.01);
    }

    /// The gating: a quiet second after a loud one is more than 10 LU below it and so left out
    /// by the relative gate; the result is the loud part's loudness.
    #[test]
    fn the_relative_gate_leaves_out_quiet_passages() {
        let sr = 48_000.0;
        let sine = |amp: f32, n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| amp * (std::f32::consts::TAU * 1000.0 * i as f32 / sr).sin())
                .collect()
        };
        let mut loud_only = LoudnessMeter::new(sr);
        let loud = sine(0.5, 48_000 * 4);
        loud_only.push(&loud, &loud);
        let mut both = LoudnessMeter::new(sr);
        both.push(&loud, &loud);
        let quiet = sine(0.005, 48_000 * 4);
        both.push(&quiet, &quiet);
        let (a, b) = (
            loud_only.integrated_lufs().unwrap(),
            both.integrated_lufs().unwrap(),
        );
        assert!((a - b).abs() < 0.2, "{a} vs {b}");
    }

    #[test]
    fn silence_has_no_loudness() {
        let mut m = LoudnessMeter::new(44_100.0);
        let z = vec![0.0; 44_100];
        m.push(&z, &z);
        assert_eq!(m.integrated_lufs(), None);
    }
}
