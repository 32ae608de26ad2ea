//! A whole recording analysed at once, for the CLI's `heart` command and comparisons with
//! the field's references: every beat, every interval, the record's time-domain HRV and its
//! spectrum (Welch over the whole record in segments of half its length, as NeuroKit2's
//! `hrv_frequency` does), and the live features once a second.

use super::hrv::{self, SpectralConfig, SpectralMeasures, Spectrum, TimeDomain};
use super::rr::Nn;
use super::{HeartAnalyzer, HeartConfig, HeartFeatures, HeartKind};

/// What a recording holds.
#[derive(Clone, Debug, Default)]
pub struct RecordAnalysis {
    /// Beat times, s (raw streams: as detected; RR: the interval ends).
    pub beats: Vec<f64>,
    /// The corrected intervals.
    pub nn: Vec<Nn>,
    /// Time-domain HRV of all intervals.
    pub time: Option<TimeDomain>,
    /// Frequency-domain HRV of all intervals (`None` under 2 minutes of intervals: the
    /// Task Force's minimum for LF).
    pub spectral: Option<SpectralMeasures>,
    /// The live features, once a second of source time.
    pub frames: Vec<(f64, HeartFeatures)>,
    /// The whole-record PSD: (frequency Hz, density ms²/Hz) per bin.
    pub psd: Vec<(f32, f32)>,
}

/// Shortest record with a whole-record spectrum, s.
pub const MIN_SPECTRAL_S: f64 = 120.0;

/// Analyses `samples` (one value per sample; `time(i)` is sample `i`'s time, s) of a raw
/// stream, or intervals in ms at their times for [`HeartKind::Rr`].
pub fn analyse(
    config: HeartConfig,
    samples: &[f32],
    time: impl Fn(usize) -> f64,
) -> RecordAnalysis {
    let mut a = HeartAnalyzer::new(config);
    let mut out = RecordAnalysis::default();
    let mut next_frame = f64::NEG_INFINITY;
    for (i, &x) in samples.iter().enumerate() {
        let t = time(i);
        if config.kind == HeartKind::Rr {
            a.push_rr(x, t);
            out.beats.push(t);
        } else if let Some(b) = a.push(x, t) {
            out.beats.push(b);
        }
        if t >= next_frame {
            out.frames.push((t, a.features_at(t)));
            next_frame = if next_frame.is_finite() {
                next_frame + 1.0
            } else {
                t + 1.0
            };
        }
    }
    // The interval store keeps the live windows only: the record's intervals are corrected
    // again, the same way, over the whole record.
    out.nn = corrected(&out.beats, config.kind, samples);
    let ms: Vec<f32> = out.nn.iter().map(|n| n.ms).collect();
    out.time = hrv::time_domain(&ms);
    if let Some((m, psd)) = whole_spectrum(&out.nn) {
        out.spectral = Some(m);
        out.psd = psd;
    }
    out
}

/// The intervals of a whole record through the same correction as live.
fn corrected(beats: &[f64], kind: HeartKind, samples: &[f32]) -> Vec<Nn> {
    let mut c = super::rr::RrCorrector::default();
    let mut out = Vec::new();
    let mut take = |t: f64, ms: f32| {
        if ms as f64 > super::GAP_S * 1000.0 {
            c.reset();
        } else {
            out.extend(c.push(t, ms).iter());
        }
    };
    if kind == HeartKind::Rr {
        for (t, ms) in beats.iter().zip(samples) {
            take(*t, *ms);
        }
    } else {
        for w in beats.windows(2) {
            take(w[1], ((w[1] - w[0]) * 1000.0) as f32);
        }
    }
    out
}

/// Welch over the whole record, segments of half its length (NeuroKit2's choice): the
/// measures and the PSD (frequency Hz, density ms²/Hz).
pub fn whole_spectrum(nn: &[Nn]) -> Option<(SpectralMeasures, Vec<(f32, f32)>)> {
    let span = nn.last()?.time - nn.first()?.time;
    if span < MIN_SPECTRAL_S {
        return None;
    }
    let window_s = (span * hrv::RESAMPLE_HZ as f64).floor() as f32 / hrv::RESAMPLE_HZ;
    let config = SpectralConfig {
        window_s,
        segment_s: window_s / 2.0,
        overlap: 0.5,
        resample_hz: hrv::RESAMPLE_HZ,
    };
    let mut s = Spectrum::new(config, nn.len() + 2);
    let m = s.analyse(nn.iter().map(|n| (n.time, n.ms)))?;
    let (psd, df) = s.psd();
    Some((
        m,
        psd.iter()
            .enumerate()
            .map(|(k, p)| (k as f32 * df, *p))
            .collect(),
    ))
}
