//! `melodiasync heart`: beats, corrected intervals and HRV from a heart recording (or the
//! heart simulator), as JSON, with the beats and the live features as CSV.

use std::path::PathBuf;

use melodiasync::eeg::heart_input::HeartInput;
use melodiasync::features::heart::record::{analyse, RecordAnalysis};
use melodiasync::features::heart::{HeartConfig, HeartKind};

/// Options of `melodiasync heart`.
#[derive(clap::Args, Clone)]
pub(crate) struct HeartArgs {
    /// Recording (CSV, EDF/BDF, XDF) holding an ECG or PPG signal, or RR intervals in ms (one
    /// per row); or `sim` / `sim:SCRIPT` (rest, resonance, stress, or breaths per minute).
    pub(crate) recording: String,
    /// What the signal is: ECG, PPG or RR.
    #[arg(long = "type", default_value = "ECG", value_parser = HeartKind::parse)]
    pub(crate) kind: HeartKind,
    /// The signal to read, by label or 1-based number (default: the first one).
    #[arg(long)]
    pub(crate) channel: Option<String>,
    /// Sample rate in Hz, for CSV files without a time column.
    #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
    pub(crate) rate: Option<f32>,
    /// Seconds of the simulator to analyse.
    #[arg(long, default_value_t = 300.0, value_parser = crate::numbers::within(1.0, 604_800.0, " s"))]
    pub(crate) seconds: f64,
    /// Write every beat as CSV: time_s, nn_ms, corrected.
    #[arg(long)]
    pub(crate) beats: Option<PathBuf>,
    /// Write the live features once a second as CSV.
    #[arg(long)]
    pub(crate) frames: Option<PathBuf>,
    /// Write the whole record's PSD of the NN intervals as CSV: frequency_hz, psd_ms2_per_hz.
    #[arg(long)]
    pub(crate) psd: Option<PathBuf>,
}

/// What `heart` prints.
#[derive(serde::Serialize)]
struct HeartReport {
    /// The input, in words.
    source: String,
    /// Beats detected (or intervals read).
    beats: usize,
    /// Intervals after correction.
    intervals: usize,
    /// Of those, corrected (split, merged, replaced).
    corrected: usize,
    mean_hr_bpm: Option<f32>,
    sdnn_ms: Option<f32>,
    rmssd_ms: Option<f32>,
    lf_ms2: Option<f32>,
    hf_ms2: Option<f32>,
    lf_hf: Option<f32>,
    hf_share: Option<f32>,
    breath_rate_bpm: Option<f32>,
    coherence: Option<f32>,
    /// What could not be computed, and why.
    notes: Vec<String>,
}

/// The samples and their times: a file's signal (intervals timed by their running sum) or
/// the simulator's first `--seconds`.
fn read(args: &HeartArgs) -> Result<(Vec<f32>, Vec<f64>, f32, String), String> {
    let input = HeartInput::parse(
        &args.recording,
        args.kind,
        args.channel.clone(),
        args.rate,
        None,
    )?;
    let mut opened = input.open()?;
    for note in &opened.notes {
        eprintln!("{note}");
    }
    let endless = matches!(input, HeartInput::Simulator(_));
    let (mut x, mut t) = (Vec::new(), Vec::new());
    let mut buf = [0.0f32];
    while let Some(time) = opened.samples.next(&mut buf) {
        if endless && time > args.seconds {
            break;
        }
        x.push(buf[0]);
        t.push(time);
    }
    Ok((x, t, opened.samples.rate(), opened.summary))
}

fn report(source: String, a: &RecordAnalysis) -> HeartReport {
    let mut notes = Vec::new();
    if a.time.is_none() {
        notes.push("Fewer than three intervals: no time-domain HRV.".to_string());
    }
    if a.spectral.is_none() {
        notes.push(
            "Under 2 minutes of intervals: no whole-record spectrum (LF, HF, breathing rate, \
             coherence)."
                .to_string(),
        );
    }
    let corrected = a.nn.iter().filter(|n| n.corrected).count();
    if corrected > 0 {
        notes.push(format!(
            "{corrected} of {} intervals were corrected.",
            a.nn.len()
        ));
    }
    let s = a.spectral;
    HeartReport {
        source,
        beats: a.beats.len(),
        intervals: a.nn.len(),
        corrected,
        mean_hr_bpm: a.time.map(|t| t.mean_hr_bpm),
        sdnn_ms: a.time.map(|t| t.sdnn_ms),
        rmssd_ms: a.time.map(|t| t.rmssd_ms),
        lf_ms2: s.map(|s| s.lf_ms2),
        hf_ms2: s.map(|s| s.hf_ms2),
        lf_hf: s.map(|s| s.lf_hf),
        hf_share: s.map(|s| s.hf_share),
        breath_rate_bpm: s.map(|s| s.breath_rate_bpm),
        coherence: s.map(|s| s.coherence),
        notes,
    }
}

/// Runs `heart`.
pub(crate) fn run(args: HeartArgs) -> Result<(), String> {
    let (x, t, rate, source) = read(&args)?;
    if x.is_empty() {
        return Err(format!("'{}' holds no samples.", args.recording));
    }
    let config = HeartConfig::live(args.kind, rate);
    let a = analyse(config, &x, |i| t[i]);
    if let Some(path) = &args.beats {
        let mut text = String::from("time_s,nn_ms,corrected\n");
        for n in &a.nn {
            text += &format!("{:.6},{:.3},{}\n", n.time, n.ms, u8::from(n.corrected));
        }
        write(path, &text)?;
    }
    if let Some(path) = &args.psd {
        let mut text = String::from("frequency_hz,psd_ms2_per_hz\n");
        for (f, p) in &a.psd {
            text += &format!("{f},{p}\n");
        }
        write(path, &text)?;
    }
    if let Some(path) = &args.frames {
        let mut text = String::from(
            "time_s,valid,spectral_valid,hr_bpm,rmssd_ms,sdnn_ms,lf_ms2,hf_ms2,lf_hf,hf_share,\
             coherence,breath_rate_bpm,quality,status\n",
        );
        for (time, f) in &a.frames {
            text += &format!(
                "{time:.3},{},{},{},{},{},{},{},{},{},{},{},{},\"{}\"\n",
                u8::from(f.valid),
                u8::from(f.spectral_valid),
                f.hr_bpm,
                f.rmssd_ms,
                f.sdnn_ms,
                f.lf_ms2,
                f.hf_ms2,
                f.lf_hf,
                f.hf_share,
                f.coherence,
                f.breath_rate_bpm,
                f.quality,
                f.issue.sentence()
            );
        }
        write(path, &text)?;
    }
    let json = serde_json::to_string_pretty(&report(source, &a)).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    melodiasync::files::write_atomically(path, text.as_bytes())
        .map_err(|e| format!("Cannot write '{}': {e}.", path.display()))
}
