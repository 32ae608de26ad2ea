//! Calibration: record a baseline of frames, summarise each feature (mean, standard deviation,
//! percentiles) and express new values as z-scores. (Adaptive targets live in
//! [`crate::feedback`]: they steer the share of time in target.)

use super::bands::STANDARD_BANDS;
use super::heart::HeartFeatures;
use super::{FeatureFrame, MAX_BANDS};

/// Values in a feature vector (the EEG features a baseline records): abs, rel and dB per
/// band, then the ratios, asymmetry and peak alpha.
pub const N_FEATURES: usize = 3 * MAX_BANDS + 5;

/// One heart feature of a frame (see [`HeartFeatures`] for units and sources).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum HeartFeature {
    /// Instantaneous heart rate, bpm.
    HrBpm,
    /// RMSSD over the time window, ms.
    RmssdMs,
    /// SDNN over the time window, ms.
    SdnnMs,
    /// LF power (0.04–0.15 Hz), ms².
    LfMs2,
    /// HF power (0.15–0.4 Hz), ms².
    HfMs2,
    /// LF / HF.
    LfHf,
    /// HF / (LF + HF), 0..1.
    HfShare,
    /// Resonance coherence ratio (HeartMath), ≥ 0.
    Coherence,
    /// Breathing rate from respiratory sinus arrhythmia, breaths per minute.
    BreathRateBpm,
}

impl HeartFeature {
    /// Every heart feature, in the order of the session log's columns.
    pub const ALL: [HeartFeature; 9] = [
        HeartFeature::HrBpm,
        HeartFeature::RmssdMs,
        HeartFeature::SdnnMs,
        HeartFeature::LfMs2,
        HeartFeature::HfMs2,
        HeartFeature::LfHf,
        HeartFeature::HfShare,
        HeartFeature::Coherence,
        HeartFeature::BreathRateBpm,
    ];

    /// The name in files and messages (`rmssd_ms`).
    pub fn name(self) -> &'static str {
        match self {
            HeartFeature::HrBpm => "hr_bpm",
            HeartFeature::RmssdMs => "rmssd_ms",
            HeartFeature::SdnnMs => "sdnn_ms",
            HeartFeature::LfMs2 => "lf_ms2",
            HeartFeature::HfMs2 => "hf_ms2",
            HeartFeature::LfHf => "lf_hf",
            HeartFeature::HfShare => "hf_share",
            HeartFeature::Coherence => "coherence",
            HeartFeature::BreathRateBpm => "breath_rate_bpm",
        }
    }

    /// Whether it comes from the spectrum (a longer window than HR, RMSSD and SDNN).
    pub fn spectral(self) -> bool {
        !matches!(
            self,
            HeartFeature::HrBpm | HeartFeature::RmssdMs | HeartFeature::SdnnMs
        )
    }

    /// Its value in `h`.
    pub fn of(self, h: &HeartFeatures) -> f32 {
        match self {
            HeartFeature::HrBpm => h.hr_bpm,
            HeartFeature::RmssdMs => h.rmssd_ms,
            HeartFeature::SdnnMs => h.sdnn_ms,
            HeartFeature::LfMs2 => h.lf_ms2,
            HeartFeature::HfMs2 => h.hf_ms2,
            HeartFeature::LfHf => h.lf_hf,
            HeartFeature::HfShare => h.hf_share,
            HeartFeature::Coherence => h.coherence,
            HeartFeature::BreathRateBpm => h.breath_rate_bpm,
        }
    }

    /// Whether `h` holds a usable value of it now.
    pub fn available(self, h: &HeartFeatures) -> bool {
        match self {
            HeartFeature::HrBpm => h.hr_valid,
            _ if self.spectral() => h.spectral_valid,
            _ => h.valid,
        }
    }
}

/// One addressable feature of a frame. In files it is a name: `alpha_rel`, `theta_abs`,
/// `high_beta_db`, `band8_rel` (custom band 8), `theta_beta`, `alpha_theta`, `engagement`,
/// `asymmetry`, `peak_alpha`, or a heart feature (`hr_bpm`, `rmssd_ms`, `sdnn_ms`, `lf_ms2`,
/// `hf_ms2`, `lf_hf`, `hf_share`, `coherence`, `breath_rate_bpm`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum FeatureId {
    /// Absolute power of band `i`.
    Abs(u8),
    /// Relative power of band `i`.
    Rel(u8),
    /// Log power of band `i`.
    Db(u8),
    /// theta / beta.
    ThetaBeta,
    /// alpha / theta.
    AlphaTheta,
    /// beta / (alpha + theta).
    Engagement,
    /// Frontal alpha asymmetry.
    Asymmetry,
    /// Individual peak alpha frequency.
    PeakAlpha,
    /// A heart feature.
    Heart(HeartFeature),
}

/// Band names as feature names use them, by band index.
const BAND_NAMES: [&str; 7] = {
    let mut names = [""; 7];
    let mut i = 0;
    while i < names.len() {
        names[i] = STANDARD_BANDS[i].feature;
        i += 1;
    }
    names
};

impl From<FeatureId> for String {
    fn from(id: FeatureId) -> String {
        let band = |i: u8| {
            BAND_NAMES
                .get(i as usize)
                .map_or(format!("band{i}"), |n| n.to_string())
        };
        match id {
            FeatureId::Abs(i) => format!("{}_abs", band(i)),
            FeatureId::Rel(i) => format!("{}_rel", band(i)),
            FeatureId::Db(i) => format!("{}_db", band(i)),
            FeatureId::ThetaBeta => "theta_beta".into(),
            FeatureId::AlphaTheta => "alpha_theta".into(),
            FeatureId::Engagement => "engagement".into(),
            FeatureId::Asymmetry => "asymmetry".into(),
            FeatureId::PeakAlpha => "peak_alpha".into(),
            FeatureId::Heart(h) => h.name().into(),
        }
    }
}

impl TryFrom<String> for FeatureId {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        let unknown = || {
            format!(
                "unknown feature '{name}'; use BAND_abs, BAND_rel or BAND_db (BAND: {}, or \
                 bandN), theta_beta, alpha_theta, engagement, asymmetry, peak_alpha, or a \
                 heart feature ({})",
                BAND_NAMES.join(", "),
                HeartFeature::ALL.map(HeartFeature::name).join(", ")
            )
        };
        let whole = match name.as_str() {
            "theta_beta" => Some(FeatureId::ThetaBeta),
            "alpha_theta" => Some(FeatureId::AlphaTheta),
            "engagement" => Some(FeatureId::Engagement),
            "asymmetry" => Some(FeatureId::Asymmetry),
            "peak_alpha" => Some(FeatureId::PeakAlpha),
            _ => None,
        };
        if let Some(id) = whole {
            return Ok(id);
        }
        if let Some(h) = HeartFeature::ALL.into_iter().find(|h| h.name() == name) {
            return Ok(FeatureId::Heart(h));
        }
        let (band, kind) = name.rsplit_once('_').ok_or_else(unknown)?;
        let index = match BAND_NAMES.iter().position(|b| *b == band) {
            Some(i) => i as u8,
            None => band
                .strip_prefix("band")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (*n as usize) < MAX_BANDS)
                .ok_or_else(unknown)?,
        };
        match kind {
            "abs" => Ok(FeatureId::Abs(index)),
            "rel" => Ok(FeatureId::Rel(index)),
            "db" => Ok(FeatureId::Db(index)),
            _ => Err(unknown()),
        }
    }
}

impl FeatureId {
    /// Position in a feature vector (`None` for heart features: an EEG baseline does not
    /// record them).
    pub fn index(self) -> Option<usize> {
        let b = |i: u8| (i as usize).min(MAX_BANDS - 1);
        Some(match self {
            FeatureId::Abs(i) => b(i),
            FeatureId::Rel(i) => MAX_BANDS + b(i),
            FeatureId::Db(i) => 2 * MAX_BANDS + b(i),
            FeatureId::ThetaBeta => 3 * MAX_BANDS,
            FeatureId::AlphaTheta => 3 * MAX_BANDS + 1,
            FeatureId::Engagement => 3 * MAX_BANDS + 2,
            FeatureId::Asymmetry => 3 * MAX_BANDS + 3,
            FeatureId::PeakAlpha => 3 * MAX_BANDS + 4,
            FeatureId::Heart(_) => return None,
        })
    }

    /// Whether it is a heart feature (else an EEG one).
    pub fn is_heart(self) -> bool {
        matches!(self, FeatureId::Heart(_))
    }

    /// Whether `frame` holds a usable value of it: EEG features when the frame is valid,
    /// heart features when the heart analysis is (its time-domain or spectral part).
    pub fn available(self, frame: &FeatureFrame) -> bool {
        match self {
            FeatureId::Heart(h) => h.available(&frame.heart),
            _ => frame.valid,
        }
    }

    /// The band index, for band features.
    pub fn band(self) -> Option<u8> {
        match self {
            FeatureId::Abs(i) | FeatureId::Rel(i) | FeatureId::Db(i) => Some(i),
            _ => None,
        }
    }

    /// The feature's name as files and messages use it (`alpha_rel`, `theta_beta`).
    pub fn label(self) -> String {
        self.into()
    }

    /// How long this feature lags the body in `frame`, s: its band's estimator delay (the
    /// slower band's, for ratios; alpha's for asymmetry; the window's for peak alpha). Heart
    /// features: HR lags by the time since its beat; the others by half their window.
    pub fn delay_s(self, frame: &FeatureFrame) -> f32 {
        use super::bands::{ALPHA, BETA, THETA};
        let d = |i: usize| frame.band_delay_s[i.min(MAX_BANDS - 1)];
        match self {
            FeatureId::Abs(i) | FeatureId::Rel(i) | FeatureId::Db(i) => d(i as usize),
            FeatureId::ThetaBeta => d(THETA).max(d(BETA)),
            FeatureId::AlphaTheta => d(ALPHA).max(d(THETA)),
            FeatureId::Engagement => d(BETA).max(d(ALPHA)).max(d(THETA)),
            FeatureId::Asymmetry => d(ALPHA),
            FeatureId::PeakAlpha => frame.window_delay_s,
            FeatureId::Heart(HeartFeature::HrBpm) => {
                (frame.time - frame.heart.beat_time).clamp(0.0, 60.0) as f32
            }
            FeatureId::Heart(h) if h.spectral() => frame.heart.spectral_delay_s,
            FeatureId::Heart(_) => frame.heart.delay_s,
        }
    }

    /// The value of this feature in `frame`.
    pub fn of(self, frame: &FeatureFrame) -> f32 {
        let band = |i: u8| frame.bands[(i as usize).min(MAX_BANDS - 1)];
        match self {
            FeatureId::Abs(i) => band(i).abs,
            FeatureId::Rel(i) => band(i).rel,
            FeatureId::Db(i) => band(i).db,
            FeatureId::ThetaBeta => frame.theta_beta,
            FeatureId::AlphaTheta => frame.alpha_theta,
            FeatureId::Engagement => frame.engagement,
            FeatureId::Asymmetry => frame.asymmetry,
            FeatureId::PeakAlpha => frame.peak_alpha_hz,
            FeatureId::Heart(h) => h.of(&frame.heart),
        }
    }
}

/// Every feature of `frame` as a vector indexed by [`FeatureId::index`].
pub fn feature_vector(frame: &FeatureFrame) -> [f32; N_FEATURES] {
    let mut v = [0.0; N_FEATURES];
    let mut put = |id: FeatureId| {
        if let Some(i) = id.index() {
            v[i] = id.of(frame);
        }
    };
    for i in 0..MAX_BANDS as u8 {
        for id in [FeatureId::Abs(i), FeatureId::Rel(i), FeatureId::Db(i)] {
            put(id);
        }
    }
    for id in [
        FeatureId::ThetaBeta,
        FeatureId::AlphaTheta,
        FeatureId::Engagement,
        FeatureId::Asymmetry,
        FeatureId::PeakAlpha,
    ] {
        put(id);
    }
    v
}

/// Percentiles kept per feature: 5, 10, ..., 95.
pub const PERCENTILES: [f32; 19] = [
    5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0,
    85.0, 90.0, 95.0,
];

/// Records frames for a baseline; preallocated for its whole duration so pushing never
/// allocates.
pub struct BaselineRecorder {
    /// Feature vectors, frame after frame.
    values: Vec<f32>,
    /// Frames the recorder holds when full.
    capacity: usize,
    /// Frames recorded.
    count: usize,
}

impl BaselineRecorder {
    /// A recorder for `seconds` of frames at `frames_per_second`.
    pub fn new(seconds: f32, frames_per_second: f32) -> Self {
        let capacity = (seconds * frames_per_second).ceil().max(1.0) as usize;
        Self {
            values: Vec::with_capacity(capacity * N_FEATURES),
            capacity,
            count: 0,
        }
    }

    /// A recorder with no planned length that grows as frames come (it allocates: for threads
    /// where that is allowed, such as the session thread's daily baseline).
    pub fn growing() -> Self {
        Self {
            values: Vec::new(),
            capacity: usize::MAX,
            count: 0,
        }
    }

    /// Adds a frame; invalid frames (no usable channel) are skipped, and so are frames whose
    /// quality is below `min_quality`. Returns true once the recorder is full.
    pub fn push(&mut self, frame: &FeatureFrame, min_quality: f32) -> bool {
        if self.count < self.capacity && frame.valid && frame.quality >= min_quality {
            self.values.extend_from_slice(&feature_vector(frame));
            self.count += 1;
        }
        self.is_full()
    }

    /// Whether the recorder holds its planned number of frames.
    pub fn is_full(&self) -> bool {
        self.count >= self.capacity
    }

    /// Share of the planned frames recorded, 0..1.
    pub fn progress(&self) -> f32 {
        self.count as f32 / self.capacity as f32
    }

    /// The statistics of what was recorded, or `None` with fewer than two frames.
    pub fn finish(&self) -> Option<BaselineStats> {
        if self.count < 2 {
            return None;
        }
        let n = self.count;
        let mut column = vec![0.0f32; n];
        let mut stats = BaselineStats {
            frames: n,
            mean: vec![0.0; N_FEATURES],
            std: vec![0.0; N_FEATURES],
            percentiles: vec![[0.0; PERCENTILES.len()]; N_FEATURES],
        };
        for f in 0..N_FEATURES {
            for (i, c) in column.iter_mut().enumerate() {
                *c = self.values[i * N_FEATURES + f];
            }
            // Summed in sorted order: a guided session's baseline stage keeps its columns
            // sorted, and gets the same bits.
            column.sort_by(f32::total_cmp);
            let mean = column.iter().map(|x| *x as f64).sum::<f64>() / n as f64;
            let var = column
                .iter()
                .map(|x| (*x as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64;
            stats.mean[f] = mean as f32;
            stats.std[f] = var.sqrt() as f32;
            for (slot, p) in stats.percentiles[f].iter_mut().zip(PERCENTILES) {
                *slot = percentile_sorted(&column, p);
            }
        }
        Some(stats)
    }
}

/// Linear-interpolated percentile of sorted data (numpy's default "linear" method).
pub fn percentile_sorted(sorted: &[f32], p: f32) -> f32 {
    let pos = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f32;
    let i = pos.floor() as usize;
    let frac = pos - i as f32;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * frac
}

/// Per-feature statistics of a baseline (serialisable: it travels with presets and state).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineStats {
    /// Frames the statistics come from.
    pub frames: usize,
    /// Mean per feature.
    pub mean: Vec<f32>,
    /// Population standard deviation per feature.
    pub std: Vec<f32>,
    /// Percentiles per feature (see [`PERCENTILES`]).
    pub percentiles: Vec<[f32; 19]>,
}

impl BaselineStats {
    /// Checks what the types cannot (a saved project or setup file may hold anything): one
    /// value per feature in `mean`, `std` and `percentiles`, every one finite. Errors are
    /// the end of a sentence ("the baseline has …").
    pub fn validate(&self) -> Result<(), String> {
        let n = N_FEATURES;
        if self.mean.len() != n || self.std.len() != n || self.percentiles.len() != n {
            return Err(format!(
                "the baseline has {} means, {} deviations and {} percentile rows where {n} \
                 features need {n} each; record it again.",
                self.mean.len(),
                self.std.len(),
                self.percentiles.len()
            ));
        }
        let all = self
            .mean
            .iter()
            .chain(&self.std)
            .chain(self.percentiles.iter().flatten());
        if all.copied().any(|x| !x.is_finite()) {
            return Err("the baseline holds non-finite numbers; record it again.".into());
        }
        Ok(())
    }
}

/// What calibration reads of a baseline, per feature: its mean, population standard
/// deviation and percentiles. A whole recorded baseline ([`BaselineStats`]) gives it, and so
/// does a guided session's baseline stage (`crate::guide`), which keeps only the features its
/// programs use, on the audio thread.
pub trait BaselineSource {
    /// Mean of feature `id`.
    fn mean(&self, id: FeatureId) -> f32;
    /// Population standard deviation of feature `id`.
    fn std(&self, id: FeatureId) -> f32;
    /// Percentile `p` (0..100) of feature `id`.
    fn percentile(&self, id: FeatureId, p: f32) -> f32;

    /// `(value - mean) / std` for feature `id` (0 when the baseline had no spread).
    fn z(&self, id: FeatureId, value: f32) -> f32 {
        let sd = self.std(id);
        if sd > 1e-12 && value.is_finite() {
            (value - self.mean(id)) / sd
        } else {
            0.0
        }
    }
}

/// NaN for heart features, which an EEG baseline does not record (calibration then leaves
/// their terms as they were).
impl BaselineSource for BaselineStats {
    fn mean(&self, id: FeatureId) -> f32 {
        id.index().map_or(f32::NAN, |i| self.mean[i])
    }

    fn std(&self, id: FeatureId) -> f32 {
        id.index().map_or(f32::NAN, |i| self.std[i])
    }

    /// Interpolated between the stored percentiles (5..95): exact at multiples of 5.
    fn percentile(&self, id: FeatureId, p: f32) -> f32 {
        let Some(row) = id.index().map(|i| &self.percentiles[i]) else {
            return f32::NAN;
        };
        let pos = ((p - 5.0) / 5.0).clamp(0.0, (row.len() - 1) as f32);
        let i = pos.floor() as usize;
        let j = (i + 1).min(row.len() - 1);
        row[i] + (row[j] - row[i]) * (pos - i as f32)
    }
}
