//! Frequency bands and their exact integration over a PSD.
//!
//! The PSD is treated as piecewise linear between bin centres, and a band `[low, high]` is the
//! exact integral of that function, so an edge between two bins takes the fraction of the
//! interval it covers instead of snapping to a bin. When both edges sit on bin centres this is
//! the trapezoidal rule over the bins inside the band — the same number as
//! `scipy.integrate.trapezoid(psd[(f >= low) & (f <= high)], f[...])`.
//!
//! A band edge shared by two adjacent bands is split exactly: the two integrals add up to the
//! integral over the union, so relative powers of bands tiling 1–45 Hz sum to 1.

/// Most bands a frame carries (the seven standard bands plus custom ones).
pub const MAX_BANDS: usize = 12;

/// The standard bands, always present at these indices.
pub const DELTA: usize = 0;
/// Theta, 4–8 Hz.
pub const THETA: usize = 1;
/// Alpha, 8–13 Hz.
pub const ALPHA: usize = 2;
/// Beta, 13–30 Hz.
pub const BETA: usize = 3;
/// Gamma, 30–45 Hz.
pub const GAMMA: usize = 4;
/// Sensorimotor rhythm, 12–15 Hz.
pub const SMR: usize = 5;
/// High beta, 20–30 Hz.
pub const HIGH_BETA: usize = 6;

/// The range relative powers are taken against.
pub const TOTAL_RANGE: (f32, f32) = (1.0, 45.0);

/// A named frequency band in Hz.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Band {
    /// Short name, used in CSV headers and the editor.
    pub name: String,
    /// Lower edge in Hz.
    pub low: f32,
    /// Upper edge in Hz.
    pub high: f32,
}

impl Band {
    /// A band.
    pub fn new(name: &str, low: f32, high: f32) -> Self {
        Self {
            name: name.to_string(),
            low,
            high,
        }
    }
}

/// One standard band and the names it goes by. The three spellings are each part of a
/// published format, so they stay as they are.
#[derive(Clone, Copy, Debug)]
pub struct StandardBand {
    /// Feature name (`alpha_rel`, presets, the features outlet, session summaries).
    pub feature: &'static str,
    /// Column name in `melodiasync features` CSV (`highbeta_abs`).
    pub column: &'static str,
    /// Short label under the editor's meters.
    pub label: &'static str,
    /// Lower edge, Hz.
    pub low: f32,
    /// Upper edge, Hz.
    pub high: f32,
}

/// The seven standard bands, by index ([`DELTA`] .. [`HIGH_BETA`]): the one list every
/// output names them from.
pub const STANDARD_BANDS: [StandardBand; 7] = [
    standard("delta", "delta", "delta", 1.0, 4.0),
    standard("theta", "theta", "theta", 4.0, 8.0),
    standard("alpha", "alpha", "alpha", 8.0, 13.0),
    standard("beta", "beta", "beta", 13.0, 30.0),
    standard("gamma", "gamma", "gamma", 30.0, 45.0),
    standard("smr", "smr", "SMR", 12.0, 15.0),
    standard("high_beta", "highbeta", "hi-beta", 20.0, 30.0),
];

const fn standard(
    feature: &'static str,
    column: &'static str,
    label: &'static str,
    low: f32,
    high: f32,
) -> StandardBand {
    StandardBand {
        feature,
        column,
        label,
        low,
        high,
    }
}

/// The seven standard bands as analysis bands (named by their CSV column), in index order.
pub fn standard_bands() -> Vec<Band> {
    STANDARD_BANDS
        .iter()
        .map(|b| Band::new(b.column, b.low, b.high))
        .collect()
}

/// Integration weights of one band: `power = Σ weight · psd[first + i]`.
#[derive(Clone, Debug)]
pub struct BandWeights {
    /// First bin with a non-zero weight.
    pub first: usize,
    /// Weights from `first` on, in Hz (they multiply densities).
    pub weights: Vec<f32>,
}

impl BandWeights {
    /// Weights integrating the piecewise-linear PSD over `[low, high]` Hz for bins `bin_hz`
    /// apart, `bins` in all. Edges beyond the spectrum are clipped to it.
    pub fn new(low: f32, high: f32, bin_hz: f32, bins: usize) -> Self {
        let top = (bins - 1) as f64;
        let a = (low as f64 / bin_hz as f64).clamp(0.0, top);
        let b = (high as f64 / bin_hz as f64).clamp(0.0, top);
        let mut w = vec![0.0f64; bins];
        if b > a {
            let mut k = a.floor() as usize;
            while (k as f64) < b && k < bins - 1 {
                // Sub-interval of [k, k+1] inside [a, b], as fractions u0..u1 of the interval.
                let u0 = (a - k as f64).max(0.0);
                let u1 = (b - k as f64).min(1.0);
                if u1 > u0 {
                    // ∫ (1-u)·P_k + u·P_{k+1} du over [u0, u1], times the bin width.
                    let len = u1 - u0;
                    let mid = 0.5 * (u0 + u1);
                    w[k] += len * (1.0 - mid);
                    w[k + 1] += len * mid;
                }
                k += 1;
            }
        }
        let first = w.iter().position(|x| *x != 0.0).unwrap_or(0);
        let last = w.iter().rposition(|x| *x != 0.0).unwrap_or(0);
        Self {
            first,
            weights: w[first..=last.max(first)]
                .iter()
                .map(|x| (x * bin_hz as f64) as f32)
                .collect(),
        }
    }

    /// The band power of `psd`.
    #[inline]
    pub fn integrate(&self, psd: &[f32]) -> f32 {
        psd[self.first..self.first + self.weights.len()]
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| p * w)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_aligned_edges_equal_the_trapezoidal_rule() {
        let bins = 129;
        let psd: Vec<f32> = (0..bins)
            .map(|k| 1.0 + (k as f32 * 0.37).sin().abs())
            .collect();
        let bw = BandWeights::new(8.0, 13.0, 1.0, bins);
        let trapz: f32 = (8..13).map(|k| 0.5 * (psd[k] + psd[k + 1])).sum();
        assert!((bw.integrate(&psd) - trapz).abs() < 1e-5);
    }

    #[test]
    fn fractional_edges_integrate_the_linear_interpolant_exactly() {
        // A linear PSD p(f) = 2 + 3f: the integral over [a, b] is known in closed form.
        let bin_hz = 0.5;
        let bins = 100;
        let psd: Vec<f32> = (0..bins).map(|k| 2.0 + 3.0 * k as f32 * bin_hz).collect();
        let (a, b) = (3.3f32, 11.85f32);
        let exact = 2.0 * (b - a) + 1.5 * (b * b - a * a);
        let got = BandWeights::new(a, b, bin_hz, bins).integrate(&psd);
        assert!((got - exact).abs() < 1e-3 * exact, "{got} vs {exact}");
    }

    #[test]
    fn adjacent_bands_add_up_to_their_union() {
        let bins = 257;
        let bin_hz = 0.37;
        let psd: Vec<f32> = (0..bins).map(|k| 1.0 / (1.0 + k as f32)).collect();
        let whole = BandWeights::new(1.0, 45.0, bin_hz, bins).integrate(&psd);
        let edges = [1.0, 4.0, 8.0, 13.0, 30.0, 45.0];
        let parts: f32 = edges
            .windows(2)
            .map(|e| BandWeights::new(e[0], e[1], bin_hz, bins).integrate(&psd))
            .sum();
        assert!((parts - whole).abs() < 1e-5 * whole);
    }
}
