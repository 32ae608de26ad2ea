//! Sliding-window feature extraction: per-channel rings, one [`FeatureFrame`] every hop.

use super::alpha_peak::peak_alpha;
use super::bands::{standard_bands, Band, BandWeights, ALPHA, BETA, MAX_BANDS, THETA, TOTAL_RANGE};
pub use super::config::{resolve_channels, Estimator, ExtractorConfig};
use super::envelope::QuadratureBank;
use super::quality::{assess, is_frontal, Flags, SpectralShares, WindowStats};
use super::spectrum::{remove_line_bins, Welch};
use super::TINY;
use super::{BandValue, FeatureFrame};
use crate::math::Portable;

/// Per-channel results of the latest frame.
#[derive(Clone, Debug)]
pub struct ChannelResults {
    /// Absolute band power, `channels × bands`, row-major by channel.
    pub abs: Vec<f32>,
    /// 1–45 Hz power per channel.
    pub total: Vec<f32>,
    /// Quality flags per channel.
    pub flags: Vec<Flags>,
}

/// Data missing for longer than this, or a clock step back by as much, is a discontinuity
/// (seconds). Shorter irregularities are timestamp jitter: bursty Bluetooth devices stamp
/// 0.1–0.3 s chunks at once.
pub const DISCONTINUITY_S: f64 = 0.5;

/// The sliding-window extractor.
pub struct Extractor {
    /// Configuration, validated.
    cfg: ExtractorConfig,
    /// Channel count.
    channels: usize,
    /// Samples per window.
    window: usize,
    /// Samples per hop.
    hop: usize,
    /// Rings: each channel has `2 · window` slots and every sample is written twice, so the
    /// latest window is always one contiguous slice.
    ring: Vec<f32>,
    /// Next write index in `0..window`.
    pos: usize,
    /// Samples received (saturating at `window`) and since the last frame.
    filled: usize,
    /// Samples since the last frame.
    since_hop: usize,
    /// Frames emitted.
    seq: u64,
    /// PSD estimator.
    welch: Welch,
    /// One channel's PSD.
    psd: Vec<f32>,
    /// Mean PSD of the good montage channels (for peak alpha).
    montage_psd: Vec<f32>,
    /// Integration weights per band.
    band_weights: Vec<BandWeights>,
    /// Weights for 1–45 Hz, 1–4 Hz, 30–45 Hz, and the line-noise bands.
    total_w: BandWeights,
    /// See `total_w`.
    low_w: BandWeights,
    /// See `total_w`.
    high_w: BandWeights,
    /// See `total_w`.
    line_w: Vec<BandWeights>,
    /// Bins within ±1 Hz of line frequencies and their harmonics (for removal).
    line_bins: Vec<(usize, usize)>,
    /// Frontal flag per channel (blink check).
    frontal: Vec<bool>,
    /// Whether each channel is in the montage.
    in_montage: Vec<bool>,
    /// Asymmetry pair.
    pair: Option<(usize, usize)>,
    /// Latest per-channel results.
    results: ChannelResults,
    /// Band names.
    names: Vec<String>,
    /// The low-latency band filters (quadrature estimator only).
    bank: Option<QuadratureBank>,
    /// Per channel and band, the Welch window's power outside the band (1–45 Hz total minus
    /// the band), µV²: the quadrature path's relative-power denominator.
    rest: Vec<f32>,
    /// Group delay per band, s (see [`Extractor::group_delay_s`]).
    delays: [f32; MAX_BANDS],
    /// Time of the last sample pushed (`None` after a reset).
    last_time: Option<f64>,
}

impl Extractor {
    /// An extractor for `cfg` (allocates everything it will ever need). Errors are sentences.
    pub fn new(cfg: ExtractorConfig) -> Result<Self, String> {
        let channels = cfg.labels.len();
        if channels == 0 {
            return Err("The stream has no channels; an EEG source needs at least one.".into());
        }
        if !(cfg.sample_rate.is_finite() && cfg.sample_rate >= 32.0) {
            return Err(format!(
                "A sample rate of {} Hz is too low for EEG band analysis; use 32 Hz or more.",
                cfg.sample_rate
            ));
        }
        let window = (cfg.window_s * cfg.sample_rate).round() as usize;
        let hop = (cfg.hop_s * cfg.sample_rate).round().max(1.0) as usize;
        if window < 16 || !cfg.window_s.is_finite() {
            return Err(format!(
                "A {} s window holds too few samples at {} Hz; use at least 16 samples.",
                cfg.window_s, cfg.sample_rate
            ));
        }
        if !cfg.hop_s.is_finite() || cfg.hop_s <= 0.0 {
            return Err(format!(
                "The hop must be a positive time, not {} s.",
                cfg.hop_s
            ));
        }
        let bands: Vec<Band> = standard_bands()
            .into_iter()
            .chain(cfg.extra_bands.clone())
            .collect();
        if bands.len() > MAX_BANDS {
            return Err(format!(
                "{} custom bands are too many; at most {} fit next to the standard seven.",
                cfg.extra_bands.len(),
                MAX_BANDS - 7
            ));
        }
        let nyquist = cfg.sample_rate / 2.0;
        for b in &bands {
            if !(b.low.is_finite() && b.high.is_finite() && 0.0 <= b.low && b.low < b.high) {
                return Err(format!(
                    "Band '{}' ({}–{} Hz) is not a valid range; the low edge must be below the high edge.",
                    b.name, b.low, b.high
                ));
            }
            if b.high > nyquist {
                return Err(format!(
                    "Band '{}' reaches {} Hz, above the Nyquist frequency {} Hz of this stream.",
                    b.name, b.high, nyquist
                ));
            }
        }
        if let Some(&bad) = cfg.montage.iter().find(|&&c| c >= channels) {
            return Err(format!(
                "Montage channel {bad} does not exist; the stream has {channels}."
            ));
        }
        let segment = cfg
            .segment_s
            .map_or(window, |s| (s * cfg.sample_rate).round() as usize);
        let welch = Welch::new(cfg.sample_rate, window, segment, cfg.overlap, cfg.detrend);
        let (bins, bin_hz) = (welch.bins(), welch.bin_hz());
        let weights = |lo: f32, hi: f32| BandWeights::new(lo, hi, bin_hz, bins);
        let band_weights = bands.iter().map(|b| weights(b.low, b.high)).collect();
        let mut line_w = Vec::new();
        let mut line_bins = Vec::new();
        for base in [50.0f32, 60.0] {
            if base + 1.0 < nyquist {
                line_w.push(weights(base - 1.0, base + 1.0));
            }
            let mut h = base;
            while h + 1.0 < nyquist {
                let lo = ((h - 1.0) / bin_hz).floor().max(1.0) as usize;
                let hi = (((h + 1.0) / bin_hz).ceil() as usize).min(bins - 2);
                if lo < hi {
                    line_bins.push((lo, hi));
                }
                h += base;
            }
        }
        let pair = cfg.asymmetry_pair.or_else(|| {
            let find = |name: &str| {
                cfg.labels
                    .iter()
                    .position(|l| l.trim().eq_ignore_ascii_case(name))
            };
            find("F3").zip(find("F4"))
        });
        if let Some((l, r)) = pair {
            if l >= channels || r >= channels {
                return Err(format!(
                    "The asymmetry pair ({l}, {r}) names a channel the stream does not have ({channels} channels)."
                ));
            }
        }
        let in_montage = (0..channels)
            .map(|c| cfg.montage.is_empty() || cfg.montage.contains(&c))
            .collect();
        let frontal = cfg.labels.iter().map(|l| is_frontal(l)).collect();
        let n_bands = bands.len();
        let bank = (cfg.estimator == Estimator::Quadrature).then(|| {
            let edges: Vec<(f64, f64)> = bands
                .iter()
                .map(|b| (b.low as f64, b.high as f64))
                .collect();
            QuadratureBank::new(channels, cfg.sample_rate as f64, &edges)
        });

        Ok(Self {
            channels,
            window,
            hop,
            ring: vec![0.0; channels * 2 * window],
            pos: 0,
            filled: 0,
            since_hop: 0,
            seq: 0,
            psd: vec![0.0; bins],
            montage_psd: vec![0.0; bins],
            total_w: weights(TOTAL_RANGE.0, TOTAL_RANGE.1),
            low_w: weights(1.0, 4.0),
            high_w: weights(30.0, 45.0_f32.min(nyquist)),
            band_weights,
            line_w,
            line_bins,
            frontal,
            in_montage,
            pair,
            results: ChannelResults {
                abs: vec![0.0; channels * n_bands],
                total: vec![0.0; channels],
                flags: vec![Flags::default(); channels],
            },
            names: bands.iter().map(|b| b.name.clone()).collect(),
            welch,
            bank,
            rest: vec![0.0; channels * n_bands],
            delays: [0.0; MAX_BANDS],
            last_time: None,
            cfg,
        })
        .map(|mut ex: Self| {
            for b in 0..n_bands {
                ex.delays[b] = ex.group_delay_s(b) as f32;
            }
            ex
        })
    }

    /// Band names in frame order.
    pub fn band_names(&self) -> &[String] {
        &self.names
    }

    /// The configuration in use.
    pub fn config(&self) -> &ExtractorConfig {
        &self.cfg
    }

    /// Samples per hop and per window.
    pub fn hop_and_window(&self) -> (usize, usize) {
        (self.hop, self.window)
    }

    /// The asymmetry pair in use, if any.
    pub fn asymmetry_pair(&self) -> Option<(usize, usize)> {
        self.pair
    }

    /// Per-channel results of the latest frame.
    pub fn channel_results(&self) -> &ChannelResults {
        &self.results
    }

    /// Forgets all samples (after a stream gap or a reconnect).
    pub fn reset(&mut self) {
        self.ring.iter_mut().for_each(|x| *x = 0.0);
        self.pos = 0;
        self.filled = 0;
        self.since_hop = 0;
        self.last_time = None;
        if let Some(b) = self.bank.as_mut() {
            b.reset();
        }
    }

    /// Group delay of band `b`'s value in seconds: the quadrature filter's (see
    /// [`super::envelope::BandDesign::group_delay_s`]), or half the window for Welch.
    pub fn group_delay_s(&self, b: usize) -> f64 {
        match &self.bank {
            Some(bank) => bank.designs().get(b).map_or(0.0, |d| d.group_delay_s()),
            None => 0.5 * self.window as f64 / self.cfg.sample_rate as f64,
        }
    }

    /// Pushes one multichannel sample (`channels` values, µV) taken at `time` (seconds);
    /// returns a frame when a hop completes and a full window is available. Allocation-free.
    ///
    /// A discontinuity — `time` more than [`DISCONTINUITY_S`] beyond the sample period after
    /// the previous sample, or that far before it — resets the extractor first: no window
    /// spans a gap in the data or a clock reset, and frames resume once a new window is full.
    pub fn push(&mut self, sample: &[f32], time: f64) -> Option<FeatureFrame> {
        debug_assert_eq!(sample.len(), self.channels);
        if let Some(last) = self.last_time {
            let step = time - last;
            let period = 1.0 / self.cfg.sample_rate as f64;
            if !(step > -DISCONTINUITY_S && step <= period + DISCONTINUITY_S) {
                self.reset();
            }
        }
        self.last_time = Some(time);
        if let Some(bank) = self.bank.as_mut() {
            bank.push(sample);
        }
        let w = self.window;
        for (ch, &x) in sample.iter().enumerate().take(self.channels) {
            let base = ch * 2 * w;
            self.ring[base + self.pos] = x;
            self.ring[base + self.pos + w] = x;
        }
        self.pos = (self.pos + 1) % w;
        let first_full = self.filled + 1 == w;
        self.filled = (self.filled + 1).min(w);
        self.since_hop += 1;
        // The first frame comes as soon as the first window is full, then one every hop.
        if self.filled < w || (!first_full && self.since_hop < self.hop) {
            return None;
        }
        self.since_hop = 0;
        Some(self.analyse(time))
    }

    /// Computes a frame from the current windows.
    fn analyse(&mut self, time: f64) -> FeatureFrame {
        let w = self.window;
        let n_bands = self.band_weights.len();
        let mut frame = FeatureFrame {
            seq: self.seq,
            time,
            band_count: n_bands as u8,
            band_delay_s: self.delays,
            window_delay_s: 0.5 * self.window as f32 / self.cfg.sample_rate,
            ..FeatureFrame::default()
        };
        self.seq += 1;
        self.montage_psd.iter_mut().for_each(|p| *p = 0.0);
        let mut sums = [0.0f32; MAX_BANDS];
        let mut rest_sums = [0.0f32; MAX_BANDS];
        let mut total_sum = 0.0f32;
        let (mut good, mut selected) = (0usize, 0usize);
        for ch in 0..self.channels {
            let start = ch * 2 * w + self.pos;
            let window = &self.ring[start..start + w];
            let stats = WindowStats::of(window);
            let abs = &mut self.results.abs[ch * n_bands..(ch + 1) * n_bands];
            let flags = if stats.non_finite > 0 {
                abs.iter_mut().for_each(|a| *a = 0.0);
                self.results.total[ch] = 0.0;
                Flags::NON_FINITE
            } else {
                self.welch.psd(window, &mut self.psd);
                let shares = SpectralShares {
                    total: self.total_w.integrate(&self.psd),
                    low: self.low_w.integrate(&self.psd),
                    high: self.high_w.integrate(&self.psd),
                    line: self.line_w.iter().map(|lw| lw.integrate(&self.psd)).sum(),
                };
                if self.cfg.quality.remove_line {
                    remove_line_bins(&mut self.psd, &self.line_bins);
                }
                for (a, bw) in abs.iter_mut().zip(&self.band_weights) {
                    *a = bw.integrate(&self.psd);
                }
                self.results.total[ch] = shares.total;
                if let Some(bank) = &self.bank {
                    let rest = &mut self.rest[ch * n_bands..(ch + 1) * n_bands];
                    for (b, (a, r)) in abs.iter_mut().zip(rest.iter_mut()).enumerate() {
                        *r = (shares.total - *a).max(0.0);
                        *a = bank.power(ch, b);
                    }
                }
                assess(&self.cfg.quality, &stats, &shares, self.frontal[ch])
            };
            self.results.flags[ch] = flags;
            if !flags.is_clean() {
                frame.excluded.insert(ch);
                frame.excluded_count += 1;
            }
            if self.in_montage[ch] {
                selected += 1;
                if flags.is_clean() {
                    good += 1;
                    for (s, a) in sums.iter_mut().zip(abs.iter()) {
                        *s += a;
                    }
                    if self.bank.is_some() {
                        let rest = &self.rest[ch * n_bands..(ch + 1) * n_bands];
                        for (s, r) in rest_sums.iter_mut().zip(rest) {
                            *s += r;
                        }
                    }
                    total_sum += self.results.total[ch];
                    for (m, p) in self.montage_psd.iter_mut().zip(&self.psd) {
                        *m += p;
                    }
                }
            }
        }
        frame.quality = if selected > 0 {
            good as f32 / selected as f32
        } else {
            0.0
        };
        if good == 0 {
            return frame;
        }
        frame.valid = true;
        let inv = 1.0 / good as f32;
        let total = (total_sum * inv).max(TINY);
        let quadrature = self.bank.is_some();
        for (i, s) in sums.iter().take(n_bands).enumerate() {
            let abs = s * inv;
            // Quadrature relative power: the band's fast power over itself plus the rest of
            // the 1–45 Hz spectrum from the Welch window (total minus the band). The rest only
            // normalises, so it may be slower than the band; taken from the window it is exact
            // (no filter skirts count a neighbour's rhythm twice) and steady (the slow, noisy
            // low frequencies do not make the share flicker), while a change in the band itself
            // shows at its filter's speed.
            let rel = if quadrature {
                abs / (abs + rest_sums[i] * inv).max(TINY)
            } else {
                abs / total
            };
            frame.bands[i] = BandValue {
                abs,
                rel,
                db: 10.0 * abs.max(TINY).libm_log10(),
            };
        }

        let p = |b: usize| frame.bands[b].abs.max(TINY);
        frame.theta_beta = p(THETA) / p(BETA);
        frame.alpha_theta = p(ALPHA) / p(THETA);
        frame.engagement = p(BETA) / (p(ALPHA) + p(THETA));
        if let Some((l, r)) = self.pair {
            let (fl, fr) = (self.results.flags[l], self.results.flags[r]);
            if fl.is_clean() && fr.is_clean() {
                let alpha = |c: usize| self.results.abs[c * n_bands + ALPHA].max(TINY);
                frame.asymmetry = alpha(r).libm_ln() - alpha(l).libm_ln();
                frame.asymmetry_valid = true;
            }
        }
        self.montage_psd.iter_mut().for_each(|m| *m *= inv);
        let (f, c) = peak_alpha(&self.montage_psd, self.welch.bin_hz());
        frame.peak_alpha_hz = f;
        frame.peak_alpha_confidence = c;
        frame
    }
}
