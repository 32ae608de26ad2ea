//! The session thread: everything the feedback engine computed leaves the audio thread as a
//! [`FeedbackRecord`] and is handled here, where blocking is allowed: the LSL outlet
//! `MelodiaSync-Features` (so LabRecorder records it beside the raw EEG), the per-frame CSV
//! log, and the end-of-session summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crate::bridge::{FeedbackRecord, QueueReceiver, SessionCommand, SessionLogStatus, StopFlag};
use crate::features::bands::{ALPHA, BETA, DELTA, GAMMA, HIGH_BETA, SMR, STANDARD_BANDS, THETA};

/// Name of the LSL stream the plugin publishes.
pub const OUTLET_NAME: &str = "MelodiaSync-Features";
/// Type of that stream.
pub const OUTLET_TYPE: &str = "Features";

/// The seven standard bands by index and name, as they appear in outputs.
const BANDS: [(usize, &str); 7] = {
    let mut bands = [(0, ""); 7];
    let mut i = 0;
    while i < bands.len() {
        bands[i] = (i, STANDARD_BANDS[i].feature);
        i += 1;
    }
    bands
};

/// Channel labels of the outlet and columns of the log (after its two time columns).
pub const LABELS: [&str; 31] = [
    "reward",
    "reward_raw",
    "in_target",
    "success_rate",
    "engagement",
    "held",
    "quality",
    "delta_rel",
    "theta_rel",
    "alpha_rel",
    "beta_rel",
    "gamma_rel",
    "smr_rel",
    "high_beta_rel",
    "theta_beta",
    "alpha_theta",
    "engagement_index",
    "asymmetry",
    "peak_alpha_hz",
    "mod_warmth",
    "mod_density",
    "mod_swell",
    "mod_space",
    "mod_beat_shift",
    "mod_drone",
    "mod_binaural",
    "mod_isochronic",
    "mod_noise",
    "mod_chimes",
    "beat_hz",
    "loop_delay_ms",
];

/// The record's values in [`LABELS`] order.
pub fn record_values(r: &FeedbackRecord) -> [f32; LABELS.len()] {
    let f = &r.frame;
    let fb = &r.feedback;
    let m = &r.modulation;
    let b = |i: usize| f.bands[i].rel;
    let flag = |x: bool| if x { 1.0 } else { 0.0 };
    [
        fb.reward,
        fb.raw_reward,
        flag(fb.in_target),
        fb.success_rate,
        fb.engagement,
        flag(fb.held),
        f.quality,
        b(DELTA),
        b(THETA),
        b(ALPHA),
        b(BETA),
        b(GAMMA),
        b(SMR),
        b(HIGH_BETA),
        f.theta_beta,
        f.alpha_theta,
        f.engagement,
        f.asymmetry,
        f.peak_alpha_hz,
        m.warmth,
        m.density,
        m.swell,
        m.space,
        m.beat_shift,
        m.drone,
        m.binaural,
        m.isochronic,
        m.noise,
        m.chimes,
        r.beat_hz,
        1000.0 * r.delay.total_s(),
    ]
}

/// Trend of one band's relative power over the session.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BandTrend {
    /// Band name.
    pub band: String,
    /// Mean over the first minute (or the first third, for short sessions).
    pub start_mean: f32,
    /// Mean over the last minute (or the last third).
    pub end_mean: f32,
    /// Least-squares slope per minute over the whole session.
    pub slope_per_min: f32,
}

/// The end-of-session summary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SessionSummary {
    /// Seconds from the first to the last frame (audio clock).
    pub duration_s: f64,
    /// Frames scored.
    pub frames: u64,
    /// Frames held for poor quality.
    pub held_frames: u64,
    /// Seconds in target.
    pub time_in_target_s: f64,
    /// Share of the duration in target, 0..1.
    pub time_in_target: f64,
    /// Mean smoothed reward over valid frames.
    pub mean_reward: f64,
    /// Share of the last 60 s in target at the end, 0..1 (the adaptive target's measure;
    /// `time_in_target` counts the whole session).
    pub final_success_rate: f32,
    /// Per-band trends.
    pub bands: Vec<BandTrend>,
    /// Records the audio thread could not hand over (a stalled session thread).
    pub dropped: u64,
}

/// Builds the summary from records as they come (memory: one small row per frame).
#[derive(Default)]
pub struct SummaryBuilder {
    /// (audio time, relative power per band) per valid frame.
    rows: Vec<(f64, [f32; 7])>,
    /// First and last audio time.
    span: Option<(f64, f64)>,
    /// Previous record's audio time and in-target state.
    prev: Option<(f64, bool)>,
    /// Frames, held frames.
    counts: (u64, u64),
    /// Sum of rewards over valid frames.
    reward_sum: f64,
    /// Seconds in target.
    in_target_s: f64,
    /// Last success rate.
    success_rate: f32,
}

impl SummaryBuilder {
    /// Adds a record.
    pub fn push(&mut self, r: &FeedbackRecord) {
        let t = r.audio_time;
        self.span = Some(self.span.map_or((t, t), |(a, _)| (a, t)));
        if let Some((pt, was_in)) = self.prev {
            if was_in {
                self.in_target_s += (t - pt).max(0.0);
            }
        }
        self.prev = Some((t, r.feedback.in_target));
        self.counts.0 += 1;
        if r.feedback.held || !r.frame.valid {
            self.counts.1 += 1;
            return;
        }
        self.reward_sum += r.feedback.reward as f64;
        self.success_rate = r.feedback.success_rate;
        self.rows
            .push((t, BANDS.map(|(i, _)| r.frame.bands[i].rel)));
    }

    /// The summary so far.
    pub fn finish(&self, dropped: u64) -> SessionSummary {
        let (t0, t1) = self.span.unwrap_or((0.0, 0.0));
        let duration = t1 - t0;
        let valid = self.rows.len();
        let edge = if duration > 180.0 {
            60.0
        } else {
            duration / 3.0
        };
        let mean_where = |band: usize, keep: &dyn Fn(f64) -> bool| {
            let v: Vec<f32> = self
                .rows
                .iter()
                .filter(|(t, _)| keep(*t))
                .map(|(_, b)| b[band])
                .collect();
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f32>() / v.len() as f32
            }
        };
        let bands = BANDS
            .iter()
            .enumerate()
            .map(|(k, (_, name))| BandTrend {
                band: name.to_string(),
                start_mean: mean_where(k, &|t| t <= t0 + edge),
                end_mean: mean_where(k, &|t| t >= t1 - edge),
                slope_per_min: slope(self.rows.iter().map(|(t, b)| (*t, b[k] as f64))) as f32
                    * 60.0,
            })
            .collect();
        SessionSummary {
            duration_s: duration,
            frames: self.counts.0,
            held_frames: self.counts.1,
            time_in_target_s: self.in_target_s,
            time_in_target: if duration > 0.0 {
                self.in_target_s / duration
            } else {
                0.0
            },
            mean_reward: if valid > 0 {
                self.reward_sum / valid as f64
            } else {
                0.0
            },
            final_success_rate: self.success_rate,
            bands,
            dropped,
        }
    }
}

/// Least-squares slope of `y` over `x` (0 with fewer than two points).
fn slope(points: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in points {
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let den = n * sxx - sx * sx;
    if n < 2.0 || den.abs() < 1e-12 {
        0.0
    } else {
        (n * sxy - sx * sy) / den
    }
}

/// A CSV log written to a temporary file and renamed into place at the end, so a crash never
/// leaves a half-written log under the real name.
pub struct CsvLog {
    /// Buffered temp file.
    out: std::io::BufWriter<std::fs::File>,
    /// Temp path.
    tmp: PathBuf,
    /// Final path.
    path: PathBuf,
}

impl CsvLog {
    /// Creates the log (header written).
    pub fn create(path: &Path) -> Result<Self, String> {
        let tmp = path.with_extension("csv.partial");
        let file = std::fs::File::create(&tmp).map_err(|e| {
            format!(
                "Cannot create the session log '{}' ({e}); check that the folder exists and is \
                 writable.",
                path.display()
            )
        })?;
        let mut out = std::io::BufWriter::new(file);
        let header = format!("audio_time_s,eeg_time_s,{}\n", LABELS.join(","));
        out.write_all(header.as_bytes())
            .map_err(|e| format!("Cannot write the session log '{}': {e}.", path.display()))?;
        Ok(Self {
            out,
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// Appends a record.
    pub fn write(&mut self, r: &FeedbackRecord) -> Result<(), String> {
        let mut line = format!("{:.4},{:.4}", r.audio_time, r.frame.time);
        for v in record_values(r) {
            line.push_str(&format!(",{v:.6}"));
        }
        line.push('\n');
        self.out
            .write_all(line.as_bytes())
            .map_err(|e| format!("Writing the session log failed: {e}."))
    }

    /// Flushes and moves the log into place.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.out
            .flush()
            .map_err(|e| format!("Writing the session log failed: {e}."))?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| {
            format!(
                "Cannot move the session log into place at '{}': {e}.",
                self.path.display()
            )
        })?;
        Ok(self.path)
    }
}

/// The LSL features outlet (created and fed on the session thread only).
pub struct FeaturesOutlet {
    /// The outlet.
    outlet: ::lsl::StreamOutlet,
}

impl FeaturesOutlet {
    /// Opens `MelodiaSync-Features` with one labelled float channel per [`LABELS`] entry,
    /// irregular rate (one sample per scored EEG frame).
    pub fn open(source_id: &str) -> Result<Self, String> {
        let mut info = ::lsl::StreamInfo::new(
            OUTLET_NAME,
            OUTLET_TYPE,
            LABELS.len() as u32,
            ::lsl::IRREGULAR_RATE,
            ::lsl::ChannelFormat::Float32,
            source_id,
        )
        .map_err(|e| format!("Cannot describe the features stream ({e:?})."))?;
        let mut chans = info.desc().append_child("channels");
        for l in LABELS {
            let mut ch = chans.append_child("channel");
            ch.append_child_value("label", l);
            ch.append_child_value("type", "feature");
        }
        info.desc()
            .append_child_value("manufacturer", "MelodiaSync");
        let outlet = ::lsl::StreamOutlet::new(&info, 0, 360).map_err(|e| {
            format!("Cannot open the features outlet ({e:?}); check the network settings.")
        })?;
        Ok(Self { outlet })
    }

    /// Sends a record, stamped with its EEG frame's time when that is on the local LSL clock.
    pub fn send(&self, r: &FeedbackRecord, stamp: Option<f64>) -> Result<(), String> {
        use ::lsl::ExPushable;
        let values = record_values(r);
        let t = stamp.unwrap_or_else(::lsl::local_clock);
        self.outlet
            .push_sample_ex(&values.to_vec(), t, true)
            .map_err(|e| format!("Sending on the features outlet failed ({e:?})."))
    }
}

/// What the session thread does with records.
#[derive(Default)]
pub struct SessionOptions {
    /// Start/stop commands for the log (the editor's session button).
    pub commands: Option<QueueReceiver<SessionCommand>>,
    /// Where the log's state is reported.
    pub log_status: Option<std::sync::Arc<std::sync::Mutex<SessionLogStatus>>>,
    /// Publish the LSL features outlet with this source id.
    pub outlet_source_id: Option<String>,
    /// When given, the outlet exists only while this returns true (the plugin's `lslout`).
    pub outlet_switch: Option<std::sync::Arc<dyn Fn() -> bool + Send + Sync>>,
    /// Write the per-frame CSV log here.
    pub log: Option<PathBuf>,
    /// Whether frame times are on the local LSL clock (live sources) and can stamp the outlet.
    pub live_clock: bool,
}

/// What a finished session hands back: the summary and where the log went.
pub type SessionResult = Result<(SessionSummary, Option<PathBuf>), String>;

/// The running session thread.
pub struct SessionThread {
    /// The thread; returns the summary and any error.
    handle: Option<JoinHandle<SessionResult>>,
    /// Stop request.
    stop: StopFlag,
}

impl SessionThread {
    /// Starts the thread reading `records`.
    pub fn spawn(records: QueueReceiver<FeedbackRecord>, opts: SessionOptions) -> Self {
        let stop = StopFlag::default();
        let thread_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name("melodiasync-session".into())
            .spawn(move || run(records, opts, thread_stop))
            .expect("the OS refused to start the session thread");
        Self {
            handle: Some(handle),
            stop,
        }
    }

    /// Drains what is left, stops, and returns the summary and the log path.
    pub fn finish(mut self) -> SessionResult {
        self.stop.stop();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err("The session thread failed.".into()),
        }
    }
}

impl Drop for SessionThread {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The session loop: drain, send, log; every 10 ms.
fn run(
    records: QueueReceiver<FeedbackRecord>,
    opts: SessionOptions,
    stop: StopFlag,
) -> SessionResult {
    let wanted =
        || opts.outlet_source_id.is_some() && opts.outlet_switch.as_ref().is_none_or(|on| on());
    let mut outlet: Option<FeaturesOutlet> = None;
    let mut outlet_error_shown = false;
    let mut log = match &opts.log {
        Some(p) => Some(CsvLog::create(p)?),
        None => None,
    };
    let mut summary = SummaryBuilder::default();
    loop {
        // Read the flag before draining: records pushed before `finish` are all handled.
        let stopping = stop.is_stopped();
        match (wanted(), outlet.is_some()) {
            (true, false) => {
                match FeaturesOutlet::open(opts.outlet_source_id.as_deref().unwrap_or("")) {
                    Ok(o) => outlet = Some(o),
                    // No network for LSL: the session goes on without the outlet.
                    Err(e) if !outlet_error_shown => {
                        eprintln!("{e}");
                        outlet_error_shown = true;
                    }
                    Err(_) => {}
                }
            }
            (false, true) => outlet = None,
            _ => {}
        }
        while let Some(cmd) = opts.commands.as_ref().and_then(QueueReceiver::pop) {
            let message = match cmd {
                SessionCommand::Start(path) => {
                    let finished = finish_session(log.take(), &summary, records.overflowed());
                    summary = SummaryBuilder::default();
                    match CsvLog::create(&path) {
                        Ok(l) => {
                            log = Some(l);
                            finished.map_or(
                                format!("Recording the session to '{}'.", path.display()),
                                |m| m,
                            )
                        }
                        Err(e) => e,
                    }
                }
                SessionCommand::Stop => finish_session(log.take(), &summary, records.overflowed())
                    .unwrap_or_else(|| "No session was being recorded.".into()),
            };
            if let Some(st) = &opts.log_status {
                if let Ok(mut st) = st.lock() {
                    st.recording = log.as_ref().map(|l| l.path.clone());
                    st.message = message;
                }
            }
        }
        while let Some(r) = records.pop() {
            summary.push(&r);
            if let Some(o) = &outlet {
                // A failed send loses one sample of a side stream; the session continues.
                let _ = o.send(&r, opts.live_clock.then_some(r.frame.time));
            }
            if let Some(l) = log.as_mut() {
                l.write(&r)?;
            }
        }
        if stopping {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let path = log.map(CsvLog::finish).transpose()?;
    Ok((summary.finish(records.overflowed()), path))
}

/// Closes a running log and writes its summary beside it; returns a sentence, or `None` when
/// there was no log.
fn finish_session(log: Option<CsvLog>, summary: &SummaryBuilder, dropped: u64) -> Option<String> {
    let log = log?;
    let result = log.finish().and_then(|path| {
        let json = serde_json::to_string_pretty(&summary.finish(dropped))
            .map_err(|e| format!("Cannot format the session summary: {e}."))?;
        let summary_path = path.with_extension("summary.json");
        crate::preset::write_atomically(&summary_path, json.as_bytes())?;
        Ok(format!(
            "Session saved: '{}' and '{}'.",
            path.display(),
            summary_path.display()
        ))
    });
    Some(result.unwrap_or_else(|e| e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line() {
        let pts = (0..100).map(|i| (i as f64, 3.0 + 0.5 * i as f64));
        assert!((slope(pts) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn summary_counts_time_in_target_and_trends() {
        let mut b = SummaryBuilder::default();
        for i in 0..=600 {
            let t = i as f64 * 0.5;
            let mut r = FeedbackRecord {
                audio_time: t,
                ..Default::default()
            };
            r.frame.valid = true;
            r.frame.bands[ALPHA].rel = 0.1 + 0.001 * i as f32;
            r.feedback.in_target = t >= 200.0;
            r.feedback.reward = if t >= 200.0 { 1.0 } else { 0.0 };
            b.push(&r);
        }
        let s = b.finish(0);
        assert_eq!(s.frames, 601);
        assert!((s.duration_s - 300.0).abs() < 1e-9);
        assert!((s.time_in_target_s - 100.0).abs() < 1e-6);
        let alpha = s.bands.iter().find(|t| t.band == "alpha").unwrap();
        // 0.001 per frame, 2 frames per second -> 0.12 per minute.
        assert!((alpha.slope_per_min - 0.12).abs() < 1e-4);
        assert!(alpha.end_mean > alpha.start_mean);
    }
}
