//! Band-limited wavetable: one table per octave, each holding only the partials that stay
//! below Nyquist for every pitch that reads it, so the drone never aliases.

use crate::math::Portable;

/// Samples per table (a power of two so the index wraps with a mask).
const TABLE_LEN: usize = 1 << TABLE_BITS;
/// log2 of [`TABLE_LEN`]: the top bits of a 32-bit phase index the table.
const TABLE_BITS: u32 = 11;
/// Number of octave tables; table `k` holds `2^(MIPS-1-k)` partials, down to a pure sine.
const MIPS: usize = 10;

/// A mip-mapped single-cycle waveform with partial amplitudes `1 / n^rolloff`.
pub struct Wavetable {
    /// `MIPS` tables of `TABLE_LEN + 1` samples (one guard sample for interpolation).
    tables: Vec<f32>,
}

impl Wavetable {
    /// Builds the tables (allocates; call off the audio thread). `rolloff` 1 is a saw spectrum;
    /// larger values are softer. Each table is one inverse FFT of its exact partial amplitudes,
    /// so it costs microseconds rather than millions of sine evaluations.
    pub fn new(rolloff: f64) -> Self {
        let fft = realfft::RealFftPlanner::<f64>::new().plan_fft_inverse(TABLE_LEN);
        let mut spectrum = fft.make_input_vec();
        let mut cycle = fft.make_output_vec();
        let mut tables = vec![0.0f32; MIPS * (TABLE_LEN + 1)];
        for k in 0..MIPS {
            let partials = 1usize << (MIPS - 1 - k);
            spectrum.iter_mut().for_each(|c| *c = Default::default());
            for (n, bin) in spectrum.iter_mut().enumerate().take(partials + 1).skip(1) {
                // Bin value -j·a/2 becomes a·sin(nθ) in the unnormalised inverse transform
                // (the transform adds the bin and its conjugate mirror).
                bin.im = -0.5 / (n as f64).libm_powf(rolloff);
            }
            fft.process(&mut spectrum, &mut cycle)
                .expect("buffer sizes come from the same plan");
            let peak = cycle.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let table = &mut tables[k * (TABLE_LEN + 1)..(k + 1) * (TABLE_LEN + 1)];
            for (t, x) in table.iter_mut().zip(&cycle) {
                *t = (x / peak) as f32;
            }
            table[TABLE_LEN] = table[0];
        }
        Self { tables }
    }

    /// The drone's waveform (partials fall as 1/n^1.6: a soft, string-like pad), built once per
    /// process on first use and shared by every instance.
    pub fn pad() -> &'static Wavetable {
        static PAD: std::sync::OnceLock<Wavetable> = std::sync::OnceLock::new();
        PAD.get_or_init(|| Wavetable::new(1.6))
    }

    /// Which table to read for a phase increment (turns per sample): the richest one whose
    /// highest partial stays below 0.45 of the sample rate.
    #[inline]
    pub fn mip_for(increment: f64) -> usize {
        let allowed = (0.45 / increment.max(1e-9)).max(1.0);
        // Largest power of two <= allowed, as a table index.
        let log2 = (allowed as u64).ilog2() as usize;
        (MIPS - 1).saturating_sub(log2.min(MIPS - 1))
    }

    /// Reads table `mip` at a fixed-point `phase` (2^32 = one turn) with linear interpolation.
    #[inline]
    pub fn read(&self, mip: usize, phase: u32) -> f32 {
        let i = (phase >> (32 - TABLE_BITS)) as usize;
        let frac = (phase & ((1 << (32 - TABLE_BITS)) - 1)) as f32
            * (1.0 / (1u32 << (32 - TABLE_BITS)) as f32);
        let base = mip * (TABLE_LEN + 1) + i;
        let a = self.tables[base];
        let b = self.tables[base + 1];
        a + (b - a) * frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::osc::{increment, to_phase};
    use realfft::RealFftPlanner;

    /// Renders `n` samples of the wavetable at `freq` and returns the magnitude spectrum.
    fn spectrum(freq: f64, sr: f64, n: usize) -> Vec<f32> {
        let wt = Wavetable::new(1.0);
        let mip = Wavetable::mip_for(freq / sr);
        let inc = increment(freq, sr);
        let mut x: Vec<f32> = (0..n)
            .map(|i| {
                // 4-term Blackman-Harris: side lobes at -92 dB, so leakage cannot hide aliases.
                let t = std::f64::consts::TAU * i as f64 / n as f64;
                let w = 0.35875 - 0.48829 * t.cos() + 0.14128 * (2.0 * t).cos()
                    - 0.01168 * (3.0 * t).cos();
                wt.read(mip, (i as u32).wrapping_mul(inc)) * w as f32
            })
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let mut out = fft.make_output_vec();
        fft.process(&mut x, &mut out).unwrap();
        out.iter().map(|c| c.norm()).collect()
    }

    #[test]
    fn no_partial_folds_back_below_the_fundamental_region() {
        // A high note whose naive saw would alias heavily: 3.1 kHz at 48 kHz.
        let (sr, n, f0) = (48_000.0, 1 << 15, 3_100.0);
        let mag = spectrum(f0, sr, n);
        let peak = mag.iter().cloned().fold(0.0, f32::max);
        let bin_hz = sr / n as f64;
        // Everything that is not a harmonic of f0 must be > 80 dB down (aliases would land
        // at non-harmonic frequencies).
        for (b, m) in mag.iter().enumerate().skip(4) {
            let f = b as f64 * bin_hz;
            let h = (f / f0).round();
            if (f - h * f0).abs() > 6.0 * bin_hz {
                assert!(
                    20.0 * (m / peak).log10() < -80.0,
                    "energy at {f:.0} Hz: {:.1} dB",
                    20.0 * (m / peak).log10()
                );
            }
        }
    }

    #[test]
    fn table_matches_direct_additive_synthesis() {
        let wt = Wavetable::new(1.0);
        // Table MIPS-3 holds 4 partials: compare with the sum of sines, normalised by its peak.
        let direct: Vec<f64> = (0..TABLE_LEN)
            .map(|i| {
                let p = std::f64::consts::TAU * i as f64 / TABLE_LEN as f64;
                (1..=4).map(|n| (p * n as f64).sin() / n as f64).sum()
            })
            .collect();
        let peak = direct.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, d) in direct.iter().enumerate() {
            let t = wt.read(MIPS - 3, to_phase(i as f64 / TABLE_LEN as f64)) as f64;
            assert!(
                (t - d / peak).abs() < 1e-5,
                "sample {i}: {t} vs {}",
                d / peak
            );
        }
    }

    #[test]
    fn chosen_table_is_the_richest_that_stays_below_nyquist() {
        let sr = 48_000.0;
        let mut f = 20.0;
        while f < 20_000.0 {
            let mip = Wavetable::mip_for(f / sr);
            let partials = (1usize << (MIPS - 1 - mip)) as f64;
            if mip < MIPS - 1 {
                assert!(
                    partials * f <= 0.45 * sr,
                    "{f} Hz reads {partials} partials"
                );
            }
            if mip > 0 {
                assert!(
                    2.0 * partials * f > 0.45 * sr,
                    "{f} Hz could use more partials"
                );
            }
            f *= 1.07;
        }
    }
}
