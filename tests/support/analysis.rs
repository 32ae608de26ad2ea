//! Signal measurements used by the tests, written independently of the synth's code.

#![allow(dead_code)]

use realfft::RealFftPlanner;

/// Frequency of the strongest spectral peak between `lo` and `hi` Hz, refined by Gaussian
/// (log-parabolic) interpolation over a Hann window: accurate to a small fraction of a bin for a
/// steady tone.
pub fn peak_frequency(x: &[f32], sample_rate: f32, lo: f32, hi: f32) -> f64 {
    let n = x.len();
    let mut buf: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
            *v as f64 * w
        })
        .collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut out = fft.make_output_vec();
    fft.process(&mut buf, &mut out).unwrap();
    let bin_hz = sample_rate as f64 / n as f64;
    let b0 = ((lo as f64 / bin_hz) as usize).max(1);
    let b1 = ((hi as f64 / bin_hz) as usize).min(out.len() - 2);
    let mag: Vec<f64> = out.iter().map(|c| c.norm()).collect();
    let k = (b0..=b1)
        .max_by(|&a, &b| mag[a].total_cmp(&mag[b]))
        .unwrap();
    let (a, b, c) = (mag[k - 1].ln(), mag[k].ln(), mag[k + 1].ln());
    let delta = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f64 + delta) * bin_hz
}

/// Root mean square.
pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt() as f32
}

/// Largest absolute difference between consecutive samples.
pub fn max_step(x: &[f32]) -> f32 {
    x.windows(2).fold(0.0, |m, w| m.max((w[1] - w[0]).abs()))
}

/// Spectral centroid in Hz (power-weighted mean frequency) of the whole signal.
pub fn centroid(x: &[f32], sample_rate: f32) -> f64 {
    let n = x.len().next_power_of_two() / 2;
    let mut buf: Vec<f64> = x[..n].iter().map(|v| *v as f64).collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut out = fft.make_output_vec();
    fft.process(&mut buf, &mut out).unwrap();
    let bin = sample_rate as f64 / n as f64;
    let (num, den) = out.iter().enumerate().fold((0.0, 0.0), |(a, b), (i, c)| {
        let p = c.norm_sqr();
        (a + i as f64 * bin * p, b + p)
    });
    num / den
}
