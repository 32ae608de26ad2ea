//! `melodiasync simulate | replay | streams | monitor`: EEG (and the heart) over LSL.

use std::path::PathBuf;

use melodiasync::bridge::{SourceState, StopFlag};
use melodiasync::eeg::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use melodiasync::eeg::heart_source::{HeartSource, HeartStatus};
use melodiasync::eeg::outlet::{publish, publish_events, OutletSpec};
use melodiasync::eeg::recording;
use melodiasync::eeg::sim::{Script, SimConfig, Simulator};
use melodiasync::eeg::source::Generator;
use melodiasync::eeg::worker::{AnalysisConfig, Worker};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::bands::{ALPHA, BETA, THETA};
use melodiasync::features::heart::{HeartFeatures, HeartKind};

/// Options of `simulate`.
#[derive(clap::Args)]
pub(crate) struct SimulateArgs {
    /// Channels (standard 10-20 labels first).
    #[arg(long, default_value_t = 8, value_parser = crate::numbers::within(1usize, 1024, ""))]
    pub(crate) channels: usize,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 256.0, value_parser = crate::numbers::within(32.0f32, 20_000.0, " Hz"))]
    pub(crate) rate: f32,
    /// Stream name.
    #[arg(long, default_value = "MelodiaSync-Sim")]
    pub(crate) name: String,
    /// Stream type.
    #[arg(long = "type", default_value = "EEG")]
    pub(crate) stream_type: String,
    /// Amplitude script: steady, calm, eyes-closed, focus, relax, drowse, drift.
    #[arg(long, default_value = "calm", value_parser = Script::parse)]
    pub(crate) script: Script,
    /// Random seed.
    #[arg(long, default_value_t = 1, value_parser = crate::numbers::within(0u64, u64::MAX, ""))]
    pub(crate) seed: u64,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long, value_parser = crate::numbers::within(0.1, 604_800.0, " s"))]
    pub(crate) seconds: Option<f64>,
    /// Also publish the heart simulator as an LSL stream named NAME-Heart (type ECG at
    /// 250 Hz by default; see --heart-type and --heart-script).
    #[arg(long)]
    pub(crate) heart: bool,
    /// The heart stream's kind: ECG (250 Hz), PPG (64 Hz) or RR (an irregular stream of
    /// intervals in ms, as Polar apps publish).
    #[arg(long, default_value = "ECG", value_parser = HeartKind::parse, requires = "heart")]
    pub(crate) heart_type: HeartKind,
    /// How the simulated heart breathes: rest, resonance, stress, or breaths per minute.
    #[arg(long, default_value = "rest", value_parser = HeartScript::parse, requires = "heart")]
    pub(crate) heart_script: HeartScript,
}

/// Options of `replay`.
#[derive(clap::Args)]
pub(crate) struct ReplayArgs {
    /// The recording.
    pub(crate) file: PathBuf,
    /// Start again at the end.
    #[arg(long = "loop")]
    pub(crate) looping: bool,
    /// Sample rate for CSV files without timestamps.
    #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
    pub(crate) rate: Option<f32>,
    /// Stream name (default: the file name).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Stream type.
    #[arg(long = "type", default_value = "EEG")]
    pub(crate) stream_type: String,
}

/// Options of `streams`.
#[derive(clap::Args)]
pub(crate) struct StreamsArgs {
    /// Seconds to listen.
    #[arg(long, default_value_t = 1.0, value_parser = crate::numbers::within(0.1, 60.0, " s"))]
    pub(crate) wait: f64,
}

/// Options of `monitor`.
#[derive(clap::Args)]
pub(crate) struct MonitorArgs {
    /// Match streams of this type.
    #[arg(long = "type")]
    pub(crate) stream_type: Option<String>,
    /// Match the stream with this name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Match the stream with this source id.
    #[arg(long)]
    pub(crate) source_id: Option<String>,
    /// Use the built-in simulator instead of LSL.
    #[arg(long)]
    pub(crate) sim: bool,
    /// Any source, as the plugin names them: sim, sim:SCRIPT, lsl:PROP=VALUE, or a recording
    /// (played at its own pace, gaps included).
    #[arg(long, conflicts_with_all = ["sim", "name", "source_id", "stream_type"])]
    pub(crate) eeg: Option<String>,
    /// Seconds to run (default: until interrupted).
    #[arg(long, value_parser = crate::numbers::within(0.1, 604_800.0, " s"))]
    pub(crate) seconds: Option<f64>,
    /// One JSON object per line (frames and status changes).
    #[arg(long)]
    pub(crate) json: bool,
    /// Montage channels by label, comma separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub(crate) channels: Vec<String>,
    /// With --eeg FILE.xdf: the stream to use, by name or source id (default: the first EEG
    /// stream).
    #[arg(long, requires = "eeg")]
    pub(crate) eeg_stream: Option<String>,
    /// Read a heart stream of this kind: ECG, PPG or RR (by default the first LSL stream of
    /// that type; --heart chooses another source). Without EEG options only the heart is
    /// shown.
    #[arg(long, value_parser = HeartKind::parse)]
    pub(crate) heart_type: Option<HeartKind>,
    /// The heart source: lsl, lsl:PROP=VALUE, sim, sim:SCRIPT or a recording.
    #[arg(long)]
    pub(crate) heart: Option<String>,
    /// The heart stream's channel, by label or 1-based number (default: the first).
    #[arg(long)]
    pub(crate) heart_channel: Option<String>,
}

/// Runs `simulate`.
pub(crate) fn run_simulate(args: SimulateArgs) -> Result<(), String> {
    let SimulateArgs {
        channels,
        rate,
        name,
        stream_type,
        script,
        seed,
        seconds,
        heart,
        heart_type,
        heart_script,
    } = args;
    let (name, stream_type) = (name.as_str(), stream_type.as_str());
    let stop = StopFlag::default();
    // The heart on its own thread, beside the EEG: both stop together.
    let heart_thread = heart
        .then(|| {
            let heart_name = format!("{name}-Heart");
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("melodiasync-heart-outlet".into())
                .spawn(move || publish_heart(&heart_name, heart_type, heart_script, seconds, &stop))
                .map_err(|e| format!("Cannot start the heart outlet's thread ({e})."))
        })
        .transpose()?;
    let mut sim = Simulator::new(SimConfig {
        channels,
        rate,
        script,
        seed,
        blinks: true,
        rhythm_gain: 1.0,
    })?;
    let labels = sim.labels().to_vec();
    println!(
        "publishing simulated EEG as LSL stream '{name}' (type {stream_type}, {channels} channels at {rate} Hz, script {script:?}); Ctrl-C stops"
    );
    let source_id = format!("melodiasync-sim-{name}-{seed}");
    let spec = OutletSpec {
        name,
        stream_type,
        source_id: &source_id,
        labels: &labels,
        rate,
        unit: "microvolts",
    };
    let sent = publish(&spec, seconds, &stop, |buf| {
        sim.next_sample(buf);
        true
    });
    stop.stop();
    let heart_sent = match heart_thread.map(|t| t.join()) {
        Some(Ok(result)) => Some(result?),
        Some(Err(_)) => return Err("the heart outlet's thread failed.".into()),
        None => None,
    };
    println!("sent {} samples", sent?);
    if let Some(n) = heart_sent {
        println!("sent {n} heart samples");
    }
    Ok(())
}

/// Publishes the heart simulator as an LSL stream `name` of `kind` (ECG, PPG at their rates;
/// RR as an irregular stream, each interval at its beat).
fn publish_heart(
    name: &str,
    kind: HeartKind,
    script: HeartScript,
    seconds: Option<f64>,
    stop: &StopFlag,
) -> Result<u64, String> {
    let mut sim = CardiacSim::new(CardiacSimConfig::new(kind, script));
    let labels = sim.labels().to_vec();
    let rate = if kind == HeartKind::Rr {
        0.0
    } else {
        sim.rate()
    };
    let unit = match kind {
        HeartKind::Ecg => "millivolts",
        HeartKind::Ppg => "arbitrary",
        HeartKind::Rr => "ms",
    };
    // The kind in the id: an ECG and an RR simulator of one name are different streams.
    let source_id = format!("melodiasync-heart-sim-{}-{name}", kind.name());
    let spec = OutletSpec {
        name,
        stream_type: kind.name(),
        source_id: &source_id,
        labels: &labels,
        rate,
        unit,
    };
    println!(
        "publishing the simulated heart as LSL stream '{name}' (type {}, {}, script {script:?})",
        kind.name(),
        if rate > 0.0 {
            format!("{rate} Hz")
        } else {
            "one interval per beat".into()
        }
    );
    if kind == HeartKind::Rr {
        publish_events(&spec, seconds, stop, &mut sim)
    } else {
        publish(&spec, seconds, stop, |buf| sim.next(buf).is_some())
    }
}

/// Runs `replay`.
pub(crate) fn run_replay(args: ReplayArgs) -> Result<(), String> {
    let ReplayArgs {
        file,
        looping,
        rate,
        name,
        stream_type,
    } = args;
    let (file, stream_type) = (file.as_path(), stream_type.as_str());
    let rec = recording::open(file, &recording::ReadOptions::with_rate(rate))?;
    for note in rec.notes() {
        eprintln!("{note}");
    }
    let name = name.unwrap_or_else(|| {
        file.file_stem().map_or("MelodiaSync-Replay".into(), |s| {
            s.to_string_lossy().into_owned()
        })
    });
    println!(
        "publishing '{}' as LSL stream '{name}' ({} channels at {} Hz{}); Ctrl-C stops",
        file.display(),
        rec.channels(),
        rec.sample_rate,
        if looping { ", looping" } else { "" }
    );
    let mut i = 0usize;
    let source_id = format!("melodiasync-replay-{name}");
    let spec = OutletSpec {
        name: &name,
        stream_type,
        source_id: &source_id,
        labels: &rec.labels,
        rate: rec.sample_rate,
        unit: "microvolts",
    };
    let sent = publish(&spec, None, &StopFlag::default(), |buf| {
        if i >= rec.frames() {
            if !looping {
                return false;
            }
            i = 0;
        }
        buf.copy_from_slice(rec.frame(i));
        i += 1;
        true
    })?;
    println!("sent {sent} samples");
    Ok(())
}

/// Runs `streams`.
pub(crate) fn run_streams(args: StreamsArgs) -> Result<(), String> {
    let wait = args.wait;
    let streams = melodiasync::eeg::discovery::visible_streams(wait);
    if streams.is_empty() {
        println!(
            "No LSL streams found in {wait} s. Start your EEG app, or `melodiasync simulate`."
        );
    }
    for s in streams {
        println!(
            "{:<24} type {:<8} {:>4} ch {:>8} Hz  host {}  source_id {}",
            s.name, s.stream_type, s.channels, s.rate, s.host, s.source_id
        );
    }
    Ok(())
}

/// `monitor --json`: a status change. Fields in alphabetical order, as the output has
/// always had them.
#[derive(serde::Serialize)]
struct StatusLine<'a> {
    channels: &'a [String],
    message: &'a str,
    /// Nominal sample rate, Hz.
    rate: f64,
    /// connected, searching, error, ...
    status: String,
    stream: &'a str,
    /// What the source noticed (declared rate contradicted, another stream of the same name,
    /// a recording's repairs), one sentence each.
    warnings: &'a [String],
}

/// `monitor --json`: one feature frame (relative powers 0..1, times in s, delays in ms).
#[derive(serde::Serialize)]
struct FrameLine {
    alpha: f64,
    /// The alpha band filter's group delay.
    alpha_filter_ms: f64,
    beta: f64,
    /// Transport plus the alpha filter: EEG sample to frame.
    delay_ms: f64,
    dropouts: u64,
    lag_ms: f64,
    peak_alpha_hz: f64,
    quality: f64,
    samples: u64,
    seq: u64,
    theta: f64,
    theta_beta: f64,
    /// The newest sample's (clock-corrected) LSL time.
    time: f64,
    /// From the newest sample to now.
    transport_ms: f64,
    valid: bool,
}

/// One JSON object on one line.
fn json_line(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
}

/// Runs `monitor`.
pub(crate) fn run_monitor(args: MonitorArgs) -> Result<(), String> {
    let MonitorArgs {
        stream_type,
        name,
        source_id,
        sim,
        eeg,
        seconds,
        json,
        channels: montage,
        eeg_stream,
        heart_type,
        heart,
        heart_channel,
    } = args;
    // Heart options alone: the heart is what is watched (the EEG search goes on unseen).
    let eeg_asked = stream_type.is_some() || name.is_some() || source_id.is_some() || sim;
    let eeg_asked = eeg_asked || eeg.is_some() || !montage.is_empty();
    let heart_spec = match (&heart, heart_type) {
        (None, None) => None,
        (text, kind) => {
            let mut spec =
                HeartSource::parse(text.as_deref().unwrap_or("lsl"), kind.unwrap_or_default())?;
            spec.channel = heart_channel;
            Some(spec)
        }
    };
    let show_eeg = eeg_asked || heart_spec.is_none();
    let mut montage = montage;
    let spec = if let Some(text) = eeg {
        let mut spec = text.parse::<SourceSpec>()?;
        // A recording reads the signals named (any kind, as `features --channels`).
        match &mut spec {
            SourceSpec::File {
                channels, stream, ..
            } => {
                *channels = std::mem::take(&mut montage);
                *stream = eeg_stream;
            }
            _ if eeg_stream.is_some() => {
                return Err(
                    "--eeg-stream chooses a stream inside an XDF recording; give one \
                            with --eeg FILE.xdf."
                        .into(),
                )
            }
            _ => {}
        }
        spec
    } else if sim {
        SourceSpec::Simulator(SimConfig::default())
    } else if let Some(n) = name {
        SourceSpec::lsl(LslProp::Name, n)
    } else if let Some(id) = source_id {
        SourceSpec::lsl(LslProp::SourceId, id)
    } else {
        SourceSpec::lsl(LslProp::Type, stream_type.unwrap_or_else(|| "EEG".into()))
    };
    let analysis = AnalysisConfig {
        montage,
        ..AnalysisConfig::default()
    };
    let (worker, out) = Worker::spawn(spec, analysis);
    if let Some(h) = &heart_spec {
        worker.set_heart(h.clone());
    }
    let start = std::time::Instant::now();
    let mut last_state = None;
    let mut warned = 0;
    let mut last_print = 0.0f64;
    let mut heart_view = HeartView::default();
    while seconds.is_none_or(|s| start.elapsed().as_secs_f64() < s) {
        if heart_spec.is_some() {
            heart_view.show(&worker.heart_status(), start.elapsed().as_secs_f64(), json);
        }
        let status = worker.status();
        if show_eeg
            && !status.message.is_empty()
            && last_state != Some((status.state, status.message.clone()))
        {
            if json {
                println!(
                    "{}",
                    json_line(&StatusLine {
                        channels: &status.labels,
                        message: &status.message,
                        rate: status.nominal_rate,
                        status: format!("{:?}", status.state).to_lowercase(),
                        stream: &status.name,
                        warnings: &status.warnings,
                    })
                );
            } else {
                println!("[{:?}] {}", status.state, status.message);
            }
            last_state = Some((status.state, status.message.clone()));
        }
        if !json && show_eeg {
            for w in status.warnings.iter().skip(warned) {
                println!("warning: {w}");
            }
        }
        warned = status.warnings.len();
        while let Some(f) = out.monitor.pop() {
            if !show_eeg {
                continue;
            }
            // EEG -> features: from the newest sample (clock-corrected) to now, plus the alpha
            // filter's group delay. The plugin adds its audio block on top.
            let transport_ms = 1000.0 * (melodiasync::eeg::local_clock() - f.time).max(0.0);
            let filter_ms = 1000.0 * f.band_delay_s[ALPHA] as f64;
            if json {
                println!(
                    "{}",
                    json_line(&FrameLine {
                        alpha: f.bands[ALPHA].rel.into(),
                        alpha_filter_ms: filter_ms,
                        beta: f.bands[BETA].rel.into(),
                        delay_ms: transport_ms + filter_ms,
                        dropouts: status.dropouts,
                        lag_ms: status.lag_ms,
                        peak_alpha_hz: f.peak_alpha_hz.into(),
                        quality: f.quality.into(),
                        samples: status.samples,
                        seq: f.seq,
                        theta: f.bands[THETA].rel.into(),
                        theta_beta: f.theta_beta.into(),
                        time: f.time,
                        transport_ms,
                        valid: f.valid,
                    })
                );
            } else if start.elapsed().as_secs_f64() - last_print >= 1.0 {
                // People read one line a second; --json gives every frame.
                last_print = start.elapsed().as_secs_f64();
                println!(
                    "t {:>9.2}  quality {:>4.2}  alpha {:>5.1} %  theta {:>5.1} %  beta {:>5.1} %  peak alpha {:>5.2} Hz  delay {:>4.0} ms (alpha filter {:.0} + transport {:.0})  lag {:>5.1} ms  rate {:>6.1} Hz  dropouts {}",
                    f.time,
                    f.quality,
                    100.0 * f.bands[ALPHA].rel,
                    100.0 * f.bands[THETA].rel,
                    100.0 * f.bands[BETA].rel,
                    f.peak_alpha_hz,
                    transport_ms + filter_ms,
                    filter_ms,
                    transport_ms,
                    status.lag_ms,
                    status.measured_rate,
                    status.dropouts
                );
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = worker.status();
    if show_eeg && status.state == SourceState::Error {
        // The sentence itself was printed as the status line.
        return Err("the EEG source stopped on the error above.".into());
    }
    if show_eeg && status.samples == 0 {
        return Err(format!(
            "No EEG arrived in {:.0} s: no stream matched (see `melodiasync streams` for what \
             is on the network), or the one found sent nothing.",
            start.elapsed().as_secs_f64()
        ));
    }
    if heart_spec.is_some() && worker.heart_status().source.state == SourceState::Error {
        return Err("the heart source stopped on the error above.".into());
    }
    Ok(())
}

/// `monitor --json`: the heart as of one beat (HR from the second beat, RMSSD and SDNN from
/// the tenth, the spectral values once 64 s are in; `null` until then).
#[derive(serde::Serialize)]
struct HeartLine {
    /// Seconds since `monitor` started.
    at_s: f64,
    /// The newest beat's (clock-corrected) LSL time.
    beat_time: f64,
    beats: u64,
    breath_rate_bpm: Option<f32>,
    coherence: Option<f32>,
    hf_ms2: Option<f32>,
    hr_bpm: Option<f32>,
    /// Why the features hold ("" when they do not).
    issue: String,
    kind: &'static str,
    lf_ms2: Option<f32>,
    mean_hr_bpm: Option<f32>,
    rmssd_ms: Option<f32>,
    sdnn_ms: Option<f32>,
}

/// What `monitor` has shown of the heart.
#[derive(Default)]
struct HeartView {
    /// The last status sentence and state printed.
    said: Option<(SourceState, String)>,
    /// The last beat (and issue) printed.
    beat: Option<(f64, String)>,
    /// When the last text line was printed, s.
    printed: f64,
}

impl HeartView {
    /// Prints what changed: the status sentence, and a line per beat (`--json`) or a line a
    /// second.
    fn show(&mut self, st: &HeartStatus, at_s: f64, json: bool) {
        let said = (st.source.state, st.source.message.clone());
        if !st.source.message.is_empty() && self.said.as_ref() != Some(&said) {
            if json {
                println!(
                    "{}",
                    json_line(&serde_json::json!({
                        "at_s": at_s,
                        "heart_status": format!("{:?}", st.source.state).to_lowercase(),
                        "message": st.source.message,
                        "stream": st.source.name,
                        "rate": st.source.nominal_rate,
                        "warnings": st.source.warnings,
                    }))
                );
            } else {
                println!("[heart {:?}] {}", st.source.state, st.source.message);
            }
            self.said = Some(said);
        }
        let f = &st.features;
        let issue = f.issue.sentence().to_string();
        let beat = (f.beat_time, issue.clone());
        if json {
            if self.beat.as_ref() != Some(&beat) && f.present() {
                println!("{}", json_line(&heart_line(st, at_s)));
                self.beat = Some(beat);
            }
        } else if at_s - self.printed >= 1.0 && f.present() {
            self.printed = at_s;
            let v = |x: Option<f32>, unit: &str| x.map_or("-".into(), |x| format!("{x:.1}{unit}"));
            let l = heart_line(st, at_s);
            println!(
                "heart {}  HR {}  RMSSD {}  SDNN {}  coherence {}  breathing {}  beats {}  {}",
                l.kind,
                v(l.hr_bpm, " bpm"),
                v(l.rmssd_ms, " ms"),
                v(l.sdnn_ms, " ms"),
                v(l.coherence, ""),
                v(l.breath_rate_bpm, "/min"),
                l.beats,
                issue
            );
        }
    }
}

/// The heart's numbers as `monitor` shows them (`None` where not valid).
fn heart_line(st: &HeartStatus, at_s: f64) -> HeartLine {
    use melodiasync::features::baseline::HeartFeature as H;
    let f: &HeartFeatures = &st.features;
    let get = |h: H| h.available(f).then(|| h.of(f));
    HeartLine {
        at_s,
        beat_time: f.beat_time,
        beats: st.beats,
        breath_rate_bpm: get(H::BreathRateBpm),
        coherence: get(H::Coherence),
        hf_ms2: get(H::HfMs2),
        hr_bpm: get(H::HrBpm),
        issue: f.issue.sentence().into(),
        kind: st.kind.name(),
        lf_ms2: get(H::LfMs2),
        mean_hr_bpm: f.valid.then_some(f.mean_hr_bpm),
        rmssd_ms: get(H::RmssdMs),
        sdnn_ms: get(H::SdnnMs),
    }
}
