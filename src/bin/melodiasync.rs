//! `melodiasync`: render soundscapes, benchmark, list parameters, or run the standalone app.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use melodiasync::eeg::recording::{self, Recording};
use melodiasync::features::baseline::FeatureId;
use melodiasync::features::extractor::resolve_channels;
use melodiasync::features::spectrum::Detrend;
use melodiasync::features::{Band, Extractor, ExtractorConfig, FeatureFrame};
use melodiasync::params::{self, MelodiaSyncParams};
use melodiasync::render::{self, RenderJob};
use melodiasync::MelodiaSync;

#[derive(Parser)]
#[command(
    name = "melodiasync",
    version,
    about = "EEG-guided sound-therapy instrument"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a session to a WAV file through the plugin's own signal path.
    Render {
        /// Length in seconds.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Output WAV file (32-bit float, stereo).
        #[arg(long)]
        out: PathBuf,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 48_000)]
        sample_rate: u32,
        /// Relaxation macro ramp FROM:TO over the render, e.g. 0:1.
        #[arg(long, value_parser = render::parse_ramp)]
        relaxation_ramp: Option<(f32, f32)>,
        /// Set a parameter by id, as text a host would show: --set beat=6 --set chord=maj7.
        #[arg(long = "set", value_name = "ID=VALUE")]
        sets: Vec<String>,
        /// Block size in samples, as a host would use.
        #[arg(long, default_value_t = 512)]
        block: usize,
    },
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Compute feature frames from a recording and write them as CSV (one row per frame).
    Features(FeaturesArgs),
    /// List every parameter: id, name and default.
    Params,
    /// Run the standalone app (JACK or ALSA when present, else the dummy backend). Arguments
    /// after `standalone` go to the standalone host; try `melodiasync standalone --help`.
    #[command(disable_help_flag = true)]
    Standalone {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Options of `melodiasync features` (also used by `bench features`).
#[derive(clap::Args, Clone)]
struct FeaturesArgs {
    /// Recording: CSV with a header of channel labels (optional first column 'time').
    recording: PathBuf,
    /// Output CSV.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Sample rate in Hz, for files without timestamps.
    #[arg(long)]
    rate: Option<f32>,
    /// Analysis window in seconds.
    #[arg(long, default_value_t = 1.0)]
    window: f32,
    /// Seconds between frames.
    #[arg(long, default_value_t = 1.0 / 32.0)]
    hop: f32,
    /// Welch segment length in seconds (default: the whole window).
    #[arg(long)]
    segment: Option<f32>,
    /// Welch segment overlap, 0..0.95.
    #[arg(long, default_value_t = 0.5)]
    overlap: f32,
    /// Segment detrending: mean, linear or none.
    #[arg(long, default_value = "mean", value_parser = parse_detrend)]
    detrend: Detrend,
    /// Montage channels by label or index, comma separated (default: all).
    #[arg(long, value_delimiter = ',')]
    channels: Vec<String>,
    /// Extra band NAME:LOW-HIGH in Hz, repeatable (e.g. --band mu:9-11).
    #[arg(long = "band", value_parser = parse_band)]
    bands: Vec<Band>,
    /// Asymmetry pair LEFT,RIGHT by label or index (default F3,F4 when present).
    #[arg(long, value_delimiter = ',')]
    asymmetry: Vec<String>,
    /// Interpolate over 50/60 Hz line-noise bins before integrating bands.
    #[arg(long)]
    remove_line: bool,
    /// Also write each channel's absolute band powers.
    #[arg(long)]
    per_channel: bool,
}

fn parse_detrend(s: &str) -> Result<Detrend, String> {
    match s.to_ascii_lowercase().as_str() {
        "mean" | "constant" => Ok(Detrend::Mean),
        "linear" => Ok(Detrend::Linear),
        "none" => Ok(Detrend::None),
        _ => Err(format!(
            "'{s}' is not a detrend mode; use mean, linear or none."
        )),
    }
}

fn parse_band(s: &str) -> Result<Band, String> {
    let err = || format!("'{s}' is not a band; write NAME:LOW-HIGH in Hz, e.g. mu:9-11.");
    let (name, range) = s.split_once(':').ok_or_else(err)?;
    let (lo, hi) = range.split_once('-').ok_or_else(err)?;
    let lo: f32 = lo.trim().parse().map_err(|_| err())?;
    let hi: f32 = hi.trim().parse().map_err(|_| err())?;
    if name.trim().is_empty() || lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        return Err(err());
    }
    Ok(Band::new(name.trim(), lo, hi))
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Render with all layers on and print the real-time factor.
    Synth {
        /// Seconds of audio.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Block size in samples.
        #[arg(long, default_value_t = 64)]
        block: usize,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 48_000)]
        sample_rate: u32,
        /// Timed runs; the best and the median are reported (VMs are noisy).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Feature extraction speed on a recording (or generated data): windows per second.
    Features {
        /// Recording to analyse; without one, 8 channels x 256 Hz x 600 s of generated EEG.
        input: Option<PathBuf>,
        /// Sample rate for CSV input without timestamps.
        #[arg(long)]
        rate: Option<f32>,
        /// Samples between frames.
        #[arg(long, default_value_t = 16)]
        hop_samples: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render {
            seconds,
            out,
            sample_rate,
            relaxation_ramp,
            sets,
            block,
        } => run_render(seconds, out, sample_rate, relaxation_ramp, &sets, block),
        Command::Bench {
            what:
                BenchWhat::Synth {
                    seconds,
                    block,
                    sample_rate,
                    runs,
                },
        } => run_bench(seconds, block, sample_rate, runs),
        Command::Bench {
            what:
                BenchWhat::Features {
                    input,
                    rate,
                    hop_samples,
                    json,
                },
        } => run_bench_features(input, rate, hop_samples, json),
        Command::Features(args) => run_features(&args),
        Command::Params => {
            for (id, name, default) in params::describe(&MelodiaSyncParams::default()) {
                println!("{id:<10} {name:<18} {default}");
            }
            Ok(())
        }
        Command::Standalone { args } => {
            let argv = std::iter::once("melodiasync standalone".to_string()).chain(args);
            if nice_plug::prelude::nice_export_standalone_with_args::<MelodiaSync, _>(argv) {
                Ok(())
            } else {
                Err(
                    "The standalone app could not start an audio backend; see the messages above."
                        .into(),
                )
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("melodiasync: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Parameters with the `--set ID=VALUE` overrides applied.
fn params_with(sets: &[String]) -> Result<Arc<MelodiaSyncParams>, String> {
    let p = Arc::new(MelodiaSyncParams::default());
    for s in sets {
        let (id, value) = s
            .split_once('=')
            .ok_or_else(|| format!("'--set {s}' needs the form ID=VALUE, e.g. --set beat=6."))?;
        params::set_from_text(&p, id.trim(), value.trim())?;
    }
    Ok(p)
}

fn run_render(
    seconds: f64,
    out: PathBuf,
    sample_rate: u32,
    relaxation_ramp: Option<(f32, f32)>,
    sets: &[String],
    block: usize,
) -> Result<(), String> {
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err(format!(
            "--seconds {seconds} is out of range; use a length from 0 to 86400."
        ));
    }
    if !(8_000..=384_000).contains(&sample_rate) {
        return Err(format!(
            "--sample-rate {sample_rate} is out of range; use 8000 to 384000 Hz."
        ));
    }
    if !(1..=65_536).contains(&block) {
        return Err(format!(
            "--block {block} is out of range; use 1 to 65536 samples."
        ));
    }
    let params = params_with(sets)?;
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(&out, spec).map_err(|e| {
        format!(
            "Cannot create '{}': {e}. Check that the folder exists and is writable.",
            out.display()
        )
    })?;
    let job = RenderJob {
        controls: params.controls(),
        seconds,
        sample_rate: sample_rate as f32,
        block,
        relaxation_ramp,
        notes: Vec::new(),
    };
    let write_err = |e: hound::Error| format!("Writing '{}' failed: {e}.", out.display());
    let report = render::render(&job, |l, r| {
        for (a, b) in l.iter().zip(r) {
            writer.write_sample(*a)?;
            writer.write_sample(*b)?;
        }
        Ok(())
    })
    .map_err(write_err)?;
    writer.finalize().map_err(write_err)?;
    let lufs = report
        .lufs
        .map_or("below the -70 LUFS gate".to_string(), |l| {
            format!("{l:.1} LUFS")
        });
    println!(
        "wrote {}: {:.2} s at {} Hz, loudness {}, peak {:.1} dBFS, {:.0}x real time",
        out.display(),
        report.seconds,
        sample_rate,
        lufs,
        report.peak_dbfs,
        report.realtime_factor
    );
    Ok(())
}

fn run_bench(seconds: f64, block: usize, sample_rate: u32, runs: usize) -> Result<(), String> {
    if block == 0 || seconds <= 0.0 || runs == 0 {
        return Err("Use a positive --seconds, --block and --runs.".into());
    }
    let controls = MelodiaSyncParams::default().controls();
    let s = &controls.settings;
    if [
        s.drone_level,
        s.binaural_level,
        s.isochronic_level,
        s.noise_level,
        s.reverb_mix,
    ]
    .iter()
    .any(|&l| l <= 0.0)
    {
        return Err("The default patch must have every layer on for this benchmark.".into());
    }
    let mut rtfs: Vec<f64> = (0..runs)
        .map(|_| render::bench_engine(&controls, sample_rate as f32, block, seconds))
        .collect();
    rtfs.sort_by(f64::total_cmp);
    let (best, median) = (rtfs[runs - 1], rtfs[runs / 2]);
    println!(
        "synth: {seconds:.0} s at {sample_rate} Hz in {block}-frame blocks, all layers on, \
         {runs} runs: best {best:.0}x real time ({:.3} % of one core), median {median:.0}x",
        100.0 / best
    );
    Ok(())
}

/// The extractor configuration `args` ask for, checked against the recording.
fn extractor_config(args: &FeaturesArgs, rec: &Recording) -> Result<ExtractorConfig, String> {
    let mut cfg = ExtractorConfig::new(rec.sample_rate, rec.labels.clone());
    cfg.window_s = args.window;
    cfg.hop_s = args.hop;
    cfg.segment_s = args.segment;
    cfg.overlap = args.overlap;
    cfg.detrend = args.detrend;
    cfg.extra_bands = args.bands.clone();
    cfg.quality.remove_line = args.remove_line;
    cfg.montage = resolve_channels(&rec.labels, &args.channels)?;
    if !args.asymmetry.is_empty() {
        let pair = resolve_channels(&rec.labels, &args.asymmetry)?;
        let [l, r] = pair[..] else {
            return Err("--asymmetry takes exactly two channels: LEFT,RIGHT (e.g. F3,F4).".into());
        };
        cfg.asymmetry_pair = Some((l, r));
    }
    Ok(cfg)
}

/// CSV header for frames of `ex`.
fn frame_header(ex: &Extractor, labels: &[String], per_channel: bool) -> String {
    let mut h = String::from("time,seq,valid,quality,excluded");
    for b in ex.band_names() {
        h += &format!(",{b}_abs,{b}_rel,{b}_db");
    }
    h += ",theta_beta,alpha_theta,engagement,asymmetry,asymmetry_valid,peak_alpha_hz,peak_alpha_confidence";
    if per_channel {
        for l in labels {
            for b in ex.band_names() {
                h += &format!(",{l}_{b}_abs");
            }
        }
    }
    h
}

/// One CSV row for `frame`.
fn frame_row(ex: &Extractor, f: &FeatureFrame, labels: &[String], per_channel: bool) -> String {
    use std::fmt::Write;
    let excluded: Vec<&str> = (0..labels.len())
        .filter(|&c| !ex.channel_results().flags[c].is_clean())
        .map(|c| labels[c].as_str())
        .collect();
    let mut row = format!(
        "{:.6},{},{},{:.4},{}",
        f.time,
        f.seq,
        u8::from(f.valid),
        f.quality,
        excluded.join(";")
    );
    for i in 0..f.band_count {
        for id in [FeatureId::Abs(i), FeatureId::Rel(i), FeatureId::Db(i)] {
            let _ = write!(row, ",{}", id.of(f));
        }
    }
    let _ = write!(
        row,
        ",{},{},{},{},{},{},{}",
        f.theta_beta,
        f.alpha_theta,
        f.engagement,
        f.asymmetry,
        u8::from(f.asymmetry_valid),
        f.peak_alpha_hz,
        f.peak_alpha_confidence
    );
    if per_channel {
        for v in &ex.channel_results().abs {
            let _ = write!(row, ",{v}");
        }
    }
    row
}

fn run_features(args: &FeaturesArgs) -> Result<(), String> {
    let rec = recording::open(&args.recording, args.rate)?;
    let cfg = extractor_config(args, &rec)?;
    let mut ex = Extractor::new(cfg)?;
    let out = args
        .out
        .clone()
        .ok_or("Say where the frames go with --out FILE.csv.")?;
    let mut text = frame_header(&ex, &rec.labels, args.per_channel);
    text.push('\n');
    let mut frames = 0usize;
    let mut valid = 0usize;
    for i in 0..rec.frames() {
        if let Some(f) = ex.push(rec.frame(i), rec.time(i)) {
            text += &frame_row(&ex, &f, &rec.labels, args.per_channel);
            text.push('\n');
            frames += 1;
            valid += usize::from(f.valid);
        }
    }
    if frames == 0 {
        return Err(format!(
            "'{}' is shorter than one {} s window; no frame was computed.",
            args.recording.display(),
            args.window
        ));
    }
    write_atomically(&out, text.as_bytes())?;
    println!(
        "wrote {}: {frames} frames ({valid} valid) from {} channels at {} Hz",
        out.display(),
        rec.channels(),
        rec.sample_rate
    );
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it: a reader never sees a
/// half-written file, and a failed write leaves any previous file untouched.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("partial");
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        format!(
            "Cannot write '{}': {e}. Check that the folder exists and is writable.",
            path.display()
        )
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

/// Generated EEG for benchmarks: 1/f-ish noise plus alpha, deterministic.
fn generated_recording(channels: usize, rate: f32, seconds: f32) -> Recording {
    let mut rng = melodiasync::synth::rng::Rng::new(1);
    let frames = (rate * seconds) as usize;
    let mut samples = Vec::with_capacity(frames * channels);
    let mut brown = vec![0.0f32; channels];
    for i in 0..frames {
        let t = i as f32 / rate;
        for (c, b) in brown.iter_mut().enumerate() {
            *b = 0.98 * *b + rng.bipolar();
            samples.push(
                3.0 * *b
                    + 10.0 * (std::f32::consts::TAU * (9.5 + c as f32 * 0.1) * t).sin()
                    + 2.0 * rng.bipolar(),
            );
        }
    }
    Recording {
        labels: (0..channels).map(|c| format!("E{c}")).collect(),
        sample_rate: rate,
        samples,
        times: None,
    }
}

/// Pushes a whole recording through an extractor; returns (frames, seconds taken).
fn time_extraction(rec: &Recording, hop_samples: usize) -> Result<(usize, f64), String> {
    let mut cfg = ExtractorConfig::new(rec.sample_rate, rec.labels.clone());
    cfg.hop_s = hop_samples as f32 / rec.sample_rate;
    let mut ex = Extractor::new(cfg)?;
    let started = std::time::Instant::now();
    let mut frames = 0usize;
    for i in 0..rec.frames() {
        if let Some(f) = ex.push(rec.frame(i), 0.0) {
            frames += 1;
            std::hint::black_box(&f);
        }
    }
    Ok((frames, started.elapsed().as_secs_f64()))
}

fn run_bench_features(
    input: Option<PathBuf>,
    rate: Option<f32>,
    hop_samples: usize,
    json: bool,
) -> Result<(), String> {
    if hop_samples == 0 {
        return Err("--hop-samples must be at least 1.".into());
    }
    let rec = match &input {
        Some(p) => recording::open(p, rate)?,
        None => generated_recording(8, 256.0, 600.0),
    };
    // Best of three: VMs are noisy.
    let mut best = f64::INFINITY;
    let mut frames = 0;
    for _ in 0..3 {
        let (f, s) = time_extraction(&rec, hop_samples)?;
        frames = f;
        best = best.min(s);
    }
    let windows = frames * rec.channels();
    let wps = windows as f64 / best;
    // Scale figure: 64 channels x 1 kHz at 32 updates per second, share of one core.
    let big = generated_recording(64, 1000.0, 20.0);
    let (_, s) = time_extraction(&big, 1000 / 32)?;
    let core_share = s / 20.0;
    if json {
        println!(
            "{{\"windows\": {windows}, \"seconds\": {best:.6}, \"windows_per_second\": {wps:.1}, \
             \"core_share_64ch_1khz_32hz\": {core_share:.6}}}"
        );
    } else {
        println!(
            "features: {} channels x {} Hz x {:.0} s, 1 s windows every {hop_samples} samples: \
             {windows} windows in {best:.3} s = {wps:.0} windows/s",
            rec.channels(),
            rec.sample_rate,
            rec.frames() as f32 / rec.sample_rate
        );
        println!(
            "scale: 64 channels x 1 kHz at 32 frames/s uses {:.2} % of one core",
            100.0 * core_share
        );
    }
    Ok(())
}
