//! `melodiasync`: render soundscapes, benchmark, list parameters, or run the standalone app.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use melodiasync::bridge::{SourceState, StopFlag};
use melodiasync::eeg::outlet::{publish, OutletSpec};
use melodiasync::eeg::recording::{self, Recording};
use melodiasync::eeg::sim::{Script, SimConfig, Simulator};
use melodiasync::eeg::worker::CALIBRATION_MIN_QUALITY;
use melodiasync::eeg::worker::{AnalysisConfig, Worker};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::bands::{ALPHA, BETA, THETA};
use melodiasync::features::baseline::BaselineRecorder;
use melodiasync::features::baseline::FeatureId;
use melodiasync::features::extractor::{resolve_channels, Estimator};
use melodiasync::features::spectrum::Detrend;
use melodiasync::features::{Band, Extractor, ExtractorConfig, FeatureFrame};
use melodiasync::feedback::program::{Program, ProgramKind};
use melodiasync::feedback::{Condition, FeedbackSetup};
use melodiasync::params::{self, MelodiaSyncParams};
use melodiasync::preset;
use melodiasync::render::{self, EegDrive, EegInput, EegJob, RenderError, RenderJob};
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
enum PresetCmd {
    /// Every preset with its category and origin (factory or the user file).
    List,
    /// A preset as JSON.
    Show {
        /// Preset name.
        name: String,
    },
    /// Save the parameter defaults (or another preset) with --set changes as a user preset.
    Save {
        /// Name of the new preset.
        name: String,
        /// Start from this preset instead of the defaults.
        #[arg(long)]
        from: Option<String>,
        /// Program slot: calm, deep-rest, smr-focus, cool-down, balance, sleep-onset.
        #[arg(long)]
        program: Option<String>,
        /// Parameter changes, as for `render`.
        #[arg(long = "set", value_name = "ID=VALUE")]
        sets: Vec<String>,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Overwrite a user preset of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Validate a preset file and copy it into the user folder.
    Import {
        /// The file.
        file: PathBuf,
        /// Overwrite a user preset of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Write a preset to a file.
    Export {
        /// Preset name.
        name: String,
        /// Destination file.
        file: PathBuf,
    },
    /// Rename a user preset.
    Rename {
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// Delete a user preset.
    Delete {
        /// Preset name.
        name: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Render a session to a WAV file through the plugin's own signal path.
    Render(RenderArgs),
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Compute feature frames from a recording and write them as CSV (one row per frame).
    Features(FeaturesArgs),
    /// Publish the built-in EEG simulator as an LSL stream (try the plugin without a headset).
    Simulate {
        /// Channels (standard 10-20 labels first).
        #[arg(long, default_value_t = 8)]
        channels: usize,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 256.0)]
        rate: f32,
        /// Stream name.
        #[arg(long, default_value = "MelodiaSync-Sim")]
        name: String,
        /// Stream type.
        #[arg(long = "type", default_value = "EEG")]
        stream_type: String,
        /// Amplitude script: steady, calm, eyes-closed, focus.
        #[arg(long, default_value = "calm", value_parser = Script::parse)]
        script: Script,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long)]
        seconds: Option<f64>,
    },
    /// Publish a recording (CSV, EDF/BDF, XDF) as an LSL stream at real-time pace.
    Replay {
        /// The recording.
        file: PathBuf,
        /// Start again at the end.
        #[arg(long = "loop")]
        looping: bool,
        /// Sample rate for CSV files without timestamps.
        #[arg(long)]
        rate: Option<f32>,
        /// Stream name (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// Stream type.
        #[arg(long = "type", default_value = "EEG")]
        stream_type: String,
    },
    /// List the LSL streams visible on this network.
    Streams {
        /// Seconds to listen.
        #[arg(long, default_value_t = 1.0)]
        wait: f64,
    },
    /// Connect through the EEG worker and print status and features per frame.
    Monitor {
        /// Match streams of this type.
        #[arg(long = "type")]
        stream_type: Option<String>,
        /// Match the stream with this name.
        #[arg(long)]
        name: Option<String>,
        /// Match the stream with this source id.
        #[arg(long)]
        source_id: Option<String>,
        /// Use the built-in simulator instead of LSL.
        #[arg(long)]
        sim: bool,
        /// Seconds to run (default: until interrupted).
        #[arg(long)]
        seconds: Option<f64>,
        /// One JSON object per line (frames and status changes).
        #[arg(long)]
        json: bool,
        /// Montage channels by label, comma separated (default: all).
        #[arg(long, value_delimiter = ',')]
        channels: Vec<String>,
    },
    /// Record a baseline and write a setup file whose targets come from its percentiles
    /// (use it with `render --setup`; the editor applies the same to the plugin).
    Calibrate {
        /// `sim`, `sim:SCRIPT` or a recording, analysed offline; without it, a live LSL stream.
        #[arg(long)]
        eeg: Option<String>,
        /// Live: match LSL streams of this type.
        #[arg(long = "type", default_value = "EEG")]
        stream_type: String,
        /// Live: match the LSL stream with this name.
        #[arg(long)]
        name: Option<String>,
        /// Baseline length in seconds.
        #[arg(long, default_value_t = 60.0)]
        seconds: f32,
        /// eyes-open or eyes-closed.
        #[arg(long, default_value = "eyes-closed")]
        condition: String,
        /// Where to write the setup (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Factory and user presets: list, show, save, import, export, rename, delete.
    Preset {
        #[command(subcommand)]
        what: PresetCmd,
    },
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
    /// Recording: CSV with a header of channel labels (optional first column 'time'), EDF/BDF
    /// or XDF.
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
    /// Band-power estimator: welch (the analysis reference) or quadrature (the low-latency
    /// filters live feedback uses).
    #[arg(long, default_value = "welch", value_parser = Estimator::parse)]
    estimator: Estimator,
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
    /// Cost of scoring one EEG frame in the audio thread (feedback engine: every program, with
    /// adaptive targets), in nanoseconds and as a share of a core at 64 frames/s.
    Feedback {
        /// Frames to score per program.
        #[arg(long, default_value_t = 200_000)]
        frames: usize,
    },
    /// LSL push -> frame available latency through the real worker (in-process outlet).
    Latency {
        /// Seconds to measure.
        #[arg(long, default_value_t = 20.0)]
        seconds: f64,
        /// Channels.
        #[arg(long, default_value_t = 8)]
        channels: usize,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 256.0)]
        rate: f32,
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
    /// The EEG -> sound loop on the audio clock, per factory program: step response (t50/t90
    /// of feature, reward and applied modulation), correlation with a wandering envelope,
    /// flicker on steady EEG, and long-run threshold control.
    Loop(LoopArgs),
}

/// Options of `bench loop`.
#[derive(clap::Args, Clone)]
struct LoopArgs {
    /// Only this program (default: every factory program).
    #[arg(long)]
    program: Option<String>,
    /// Noise seeds averaged for the step and wander figures.
    #[arg(long, default_value_t = 4)]
    seeds: u64,
    /// Length of the threshold-control runs in hours (0 skips them).
    #[arg(long, default_value_t = 2.0)]
    hours: f64,
    /// Listener strengths to measure: the rhythm's amplitude relative to the reference.
    #[arg(long, value_delimiter = ',', default_values_t = [0.25, 0.5, 1.0, 2.0, 4.0])]
    scales: Vec<f32>,
    /// Print one JSON array instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => run_render(args),
        Command::Calibrate {
            eeg,
            stream_type,
            name,
            seconds,
            condition,
            out,
        } => run_calibrate(eeg, stream_type, name, seconds, &condition, &out),
        Command::Preset { what } => run_preset(what),
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
        Command::Bench {
            what: BenchWhat::Feedback { frames },
        } => run_bench_feedback(frames),
        Command::Bench {
            what:
                BenchWhat::Latency {
                    seconds,
                    channels,
                    rate,
                },
        } => run_bench_latency(seconds, channels, rate),
        Command::Bench {
            what: BenchWhat::Loop(args),
        } => run_bench_loop(&args),
        Command::Features(args) => run_features(&args),
        Command::Simulate {
            channels,
            rate,
            name,
            stream_type,
            script,
            seed,
            seconds,
        } => run_simulate(channels, rate, &name, &stream_type, script, seed, seconds),
        Command::Replay {
            file,
            looping,
            rate,
            name,
            stream_type,
        } => run_replay(&file, looping, rate, name, &stream_type),
        Command::Streams { wait } => {
            let streams = melodiasync::eeg::lsl::visible_streams(wait);
            if streams.is_empty() {
                println!("No LSL streams found in {wait} s. Start your EEG app, or `melodiasync simulate`.");
            }
            for (name, t, ch, rate, host, id) in streams {
                println!(
                    "{name:<24} type {t:<8} {ch:>4} ch {rate:>8} Hz  host {host}  source_id {id}"
                );
            }
            Ok(())
        }
        Command::Monitor {
            stream_type,
            name,
            source_id,
            sim,
            seconds,
            json,
            channels,
        } => run_monitor(stream_type, name, source_id, sim, seconds, json, channels),
        Command::Params => {
            for (id, name, default) in params::describe(&MelodiaSyncParams::default()) {
                println!("{id:<10} {name:<18} {default}");
            }
            Ok(())
        }
        Command::Standalone { args } => {
            // `--eeg sim|sim:SCRIPT|FILE` before the standalone host's own options picks the
            // EEG source explicitly (the plugin reads it once, at creation).
            let mut args = args;
            if let Some(i) = args.iter().position(|a| a == "--eeg") {
                if i + 1 < args.len() {
                    let source = args.remove(i + 1);
                    args.remove(i);
                    // SAFETY: set before any other thread starts.
                    unsafe { std::env::set_var("MELODIASYNC_EEG", source) };
                }
            }
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

/// Applies `--set ID=VALUE` options.
fn apply_sets(p: &Arc<MelodiaSyncParams>, sets: &[String]) -> Result<(), String> {
    for s in sets {
        let (id, value) = s
            .split_once('=')
            .ok_or_else(|| format!("'--set {s}' needs the form ID=VALUE, e.g. --set beat=6."))?;
        params::set_from_text(p, id.trim(), value.trim())?;
    }
    Ok(())
}

/// The render command's options.
#[derive(clap::Args)]
struct RenderArgs {
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
    /// Drive the neurofeedback engine with EEG: a recording (CSV, EDF/BDF, XDF), `sim`, or
    /// `sim:SCRIPT` (steady, calm, eyes-closed, focus).
    #[arg(long)]
    eeg: Option<String>,
    /// Neurofeedback program: calm, deep-rest, smr-focus, cool-down, balance, sleep-onset
    /// (default: the preset's, else calm).
    #[arg(long)]
    program: Option<String>,
    /// Start from a preset (factory or user; see `melodiasync preset list`); --set and
    /// --program apply on top.
    #[arg(long)]
    preset: Option<String>,
    /// Write the per-frame session log (CSV) here; the summary goes beside it as
    /// NAME.summary.json.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Sample rate of a CSV recording without a time column.
    #[arg(long)]
    eeg_rate: Option<f32>,
    /// A calibration setup from `melodiasync calibrate` (targets from a baseline).
    #[arg(long)]
    setup: Option<PathBuf>,
    /// Band-power estimator for the EEG: quadrature (low latency) or welch (default: the
    /// program's, quadrature for the factory programs).
    #[arg(long, value_parser = Estimator::parse)]
    estimator: Option<Estimator>,
}

fn run_render(args: RenderArgs) -> Result<(), String> {
    let RenderArgs {
        seconds,
        out,
        sample_rate,
        relaxation_ramp,
        block,
        eeg,
        program,
        log,
        eeg_rate,
        setup,
        preset,
        sets,
        estimator,
    } = args;
    let sets = &sets;
    let program = program.as_deref().map(ProgramKind::parse).transpose()?;
    let mut setup = setup
        .as_deref()
        .map(read_setup)
        .transpose()?
        .unwrap_or_default();
    if log.is_some() && eeg.is_none() {
        return Err("--log records a neurofeedback session; add --eeg FILE or --eeg sim.".into());
    }
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
    let params = Arc::new(MelodiaSyncParams::default());
    if let Some(name) = preset {
        let (entries, problems) = preset::library(preset::user_dir().as_deref());
        let entry = preset::find(&entries, &name).map_err(|e| {
            // A broken user file may be the one asked for: say so.
            problems.iter().fold(e, |acc, p| format!("{acc} {p}"))
        })?;
        entry.preset.apply_to(&params)?;
        setup
            .programs
            .insert(entry.preset.slot, entry.preset.program.clone());
    }
    apply_sets(&params, sets)?;
    let program = program.unwrap_or(params.program.value());
    let chosen = setup
        .programs
        .get(&program)
        .cloned()
        .unwrap_or_else(|| Program::factory(program));
    let montage = chosen.channels;
    let estimator = estimator.unwrap_or(chosen.estimator);
    let programs = Some(setup.compile());
    let eeg = match eeg {
        Some(text) => {
            let mut input = EegInput::parse(&text)?;
            if let EegInput::File { rate, .. } = &mut input {
                *rate = eeg_rate;
            }
            Some(EegJob {
                input,
                analysis: AnalysisConfig {
                    montage,
                    estimator,
                    ..AnalysisConfig::default()
                },
                log: log.clone(),
            })
        }
        None => None,
    };
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
    let mut controls = params.controls();
    controls.program = program;
    let job = RenderJob {
        sample_rate: sample_rate as f32,
        block,
        relaxation_ramp,
        eeg,
        programs,
        ..RenderJob::new(controls, seconds)
    };
    let write_err = |e: hound::Error| format!("Writing '{}' failed: {e}.", out.display());
    let report = render::render(&job, |l, r| {
        for (a, b) in l.iter().zip(r) {
            writer.write_sample(*a)?;
            writer.write_sample(*b)?;
        }
        Ok(())
    })
    .map_err(|e| match e {
        RenderError::Sink(e) => write_err(e),
        RenderError::Session(s) => s,
    })?;
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
    if let Some(summary) = &report.session {
        let json = serde_json::to_string_pretty(summary)
            .map_err(|e| format!("Cannot format the session summary: {e}."))?;
        println!("session summary ({}):\n{json}", program.id());
        if let Some(path) = &report.log {
            let summary_path = path.with_extension("summary.json");
            preset::write_atomically(&summary_path, json.as_bytes())?;
            println!(
                "session log: {}, summary: {}",
                path.display(),
                summary_path.display()
            );
        }
    }
    Ok(())
}

/// The user preset folder, or a sentence saying why there is none.
fn user_presets() -> Result<PathBuf, String> {
    preset::user_dir().ok_or_else(|| {
        "There is no user preset folder: set HOME, XDG_CONFIG_HOME or MELODIASYNC_PRESET_DIR."
            .to_string()
    })
}

fn run_preset(what: PresetCmd) -> Result<(), String> {
    let dir = preset::user_dir();
    let (entries, problems) = preset::library(dir.as_deref());
    for p in &problems {
        eprintln!("warning: {p}");
    }
    let user_entry = |name: &str| -> Result<(preset::Preset, PathBuf), String> {
        let e = preset::find(&entries, name)?;
        match &e.origin {
            preset::Origin::User(path) => Ok((e.preset.clone(), path.clone())),
            preset::Origin::Factory => Err(format!(
                "'{}' is a factory preset; factory presets cannot be changed (save a copy with `melodiasync preset save NEW --from \"{}\"`).",
                e.preset.name, e.preset.name
            )),
        }
    };
    match what {
        PresetCmd::List => {
            for e in &entries {
                let origin = match &e.origin {
                    preset::Origin::Factory => "factory".to_string(),
                    preset::Origin::User(p) => p.display().to_string(),
                };
                println!(
                    "{:<20} {:<12} {:<12} {}",
                    e.preset.name,
                    e.preset.category,
                    e.preset.slot.id(),
                    origin
                );
            }
            if let Some(d) = &dir {
                println!("user presets: {}", d.display());
            }
        }
        PresetCmd::Show { name } => println!("{}", preset::find(&entries, &name)?.preset.to_json()),
        PresetCmd::Save {
            name,
            from,
            program,
            sets,
            description,
            replace,
        } => {
            let params = Arc::new(MelodiaSyncParams::default());
            let mut slot_program = None;
            if let Some(base) = from {
                let e = preset::find(&entries, &base)?;
                e.preset.apply_to(&params)?;
                slot_program = Some(e.preset.program.clone());
            }
            apply_sets(&params, &sets)?;
            if let Some(p) = program {
                let kind = ProgramKind::parse(&p)?;
                params::set_from_text(
                    &params,
                    "program",
                    <ProgramKind as nice_plug::prelude::Enum>::variants()[kind.index()],
                )?;
                if slot_program.is_some() {
                    // The base preset's program belonged to its own slot.
                    slot_program = None;
                }
            }
            let program = slot_program.unwrap_or_else(|| Program::factory(params.program.value()));
            let mut p = preset::Preset::capture(&name, &params, program);
            p.description = description;
            let path = preset::save_user(&user_presets()?, &p, replace)?;
            println!("saved '{}' to {}", p.name, path.display());
        }
        PresetCmd::Import { file, replace } => {
            let (p, warnings) = preset::read_file(&file)?;
            for w in warnings {
                eprintln!("warning: {w}");
            }
            let path = preset::save_user(&user_presets()?, &p, replace)?;
            println!("imported '{}' to {}", p.name, path.display());
        }
        PresetCmd::Export { name, file } => {
            let p = &preset::find(&entries, &name)?.preset;
            preset::write_atomically(&file, p.to_json().as_bytes())?;
            println!("exported '{}' to {}", p.name, file.display());
        }
        PresetCmd::Rename { name, new_name } => {
            let (mut p, old_path) = user_entry(&name)?;
            p.name = new_name.clone();
            let path = preset::save_user(&user_presets()?, &p, false)?;
            if path != old_path {
                std::fs::remove_file(&old_path).map_err(|e| {
                    format!("Saved '{new_name}' but could not remove the old file: {e}.")
                })?;
            }
            println!("renamed '{name}' to '{new_name}' ({})", path.display());
        }
        PresetCmd::Delete { name } => {
            let (p, path) = user_entry(&name)?;
            std::fs::remove_file(&path)
                .map_err(|e| format!("Cannot delete '{}': {e}.", path.display()))?;
            println!("deleted '{}'", p.name);
        }
    }
    Ok(())
}

/// Reads a setup file (a calibration from `melodiasync calibrate`).
fn read_setup(path: &std::path::Path) -> Result<FeedbackSetup, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Cannot read the setup '{}': {e}.", path.display()))?;
    let setup: FeedbackSetup = serde_json::from_str(&text).map_err(|e| {
        format!(
            "'{}' is not a MelodiaSync setup ({e}); make one with `melodiasync calibrate`.",
            path.display()
        )
    })?;
    if let Some(b) = &setup.baseline {
        let n = melodiasync::features::baseline::N_FEATURES;
        if b.mean.len() != n || b.std.len() != n || b.percentiles.len() != n {
            return Err(format!(
                "The baseline in '{}' has the wrong number of features; record it again.",
                path.display()
            ));
        }
        if b.mean.iter().chain(&b.std).any(|x| !x.is_finite()) {
            return Err(format!(
                "The baseline in '{}' holds non-finite numbers; record it again.",
                path.display()
            ));
        }
    }
    Ok(setup)
}

fn run_calibrate(
    eeg: Option<String>,
    stream_type: String,
    name: Option<String>,
    seconds: f32,
    condition: &str,
    out: &std::path::Path,
) -> Result<(), String> {
    let condition = Condition::parse(condition)?;
    if !(5.0..=600.0).contains(&seconds) {
        return Err(format!(
            "--seconds {seconds} is out of range; a baseline is 5 to 600 s."
        ));
    }
    let stats = match eeg {
        Some(text) => {
            let input = EegInput::parse(&text)?;
            let analysis = AnalysisConfig::default();
            let mut drive = EegDrive::new(&input, &analysis)?;
            let mut rec = BaselineRecorder::new(seconds, 1.0 / analysis.hop_s);
            // Up to three times the length, so artifacts can be skipped.
            drive.feed_until(3.0 * seconds as f64 + analysis.window_s as f64, |f| {
                rec.push(f, CALIBRATION_MIN_QUALITY);
            });
            if !rec.is_full() {
                return Err(format!(
                    "Only {:.0} % of a {seconds:.0} s baseline had clean frames in '{text}'; use a                      longer or cleaner recording.",
                    100.0 * rec.progress()
                ));
            }
            rec.finish()
        }
        None => {
            let spec = match name {
                Some(n) => SourceSpec::Lsl {
                    prop: LslProp::Name,
                    value: n,
                },
                None => SourceSpec::Lsl {
                    prop: LslProp::Type,
                    value: stream_type,
                },
            };
            let (worker, _out) = Worker::spawn(spec, AnalysisConfig::default());
            worker.calibrate(seconds, condition);
            let start = std::time::Instant::now();
            let mut shown = -1;
            loop {
                let c = worker.calibration();
                let pct = (c.progress * 100.0) as i32;
                if pct / 10 != shown / 10 {
                    println!("calibrating: {pct} % — {}", worker.status().message);
                    shown = pct;
                }
                if !c.running && c.progress >= 1.0 {
                    break c.result.ok_or(c.message)?;
                }
                if start.elapsed().as_secs_f32() > 3.0 * seconds + 30.0 {
                    return Err(format!(
                        "The baseline did not complete ({pct} % after {:.0} s): {}",
                        start.elapsed().as_secs_f32(),
                        worker.status().message
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            .into()
        }
    }
    .ok_or("The baseline had too few clean frames; check the electrodes and try again.")?;
    println!(
        "baseline: {} frames ({condition:?}); targets from its percentiles:",
        stats.frames
    );
    for kind in ProgramKind::ALL {
        let mut p = Program::factory(kind);
        p.calibrate(&stats);
        let terms: Vec<String> = p
            .rewards
            .iter()
            .map(|t| {
                format!(
                    "reward {} {:?} {:.3}",
                    t.feature.label(),
                    t.direction,
                    t.target
                )
            })
            .chain(
                p.inhibits
                    .iter()
                    .map(|t| format!("inhibit {} below {:.3}", t.feature.label(), t.target)),
            )
            .collect();
        println!("  {:<12} {}", kind.id(), terms.join("; "));
    }
    let setup = FeedbackSetup {
        baseline: Some(stats),
        condition: Some(condition),
        ..FeedbackSetup::default()
    };
    let json = serde_json::to_string_pretty(&setup)
        .map_err(|e| format!("Cannot format the setup: {e}."))?;
    preset::write_atomically(out, json.as_bytes())?;
    println!("wrote {}", out.display());
    Ok(())
}

fn run_bench_loop(args: &LoopArgs) -> Result<(), String> {
    use melodiasync::loop_bench::{format_report, measure, LoopCase, LoopOptions};
    let programs = match &args.program {
        Some(p) => vec![ProgramKind::parse(p)?],
        None => ProgramKind::ALL.to_vec(),
    };
    if !(args.hours.is_finite() && (0.0..=24.0).contains(&args.hours)) || args.seeds == 0 {
        return Err("--hours must be 0 to 24 and --seeds at least 1.".into());
    }
    let opts = LoopOptions {
        seeds: args.seeds,
        threshold_s: args.hours * 3600.0,
        scales: args.scales.clone(),
    };
    let controls = MelodiaSyncParams::default().controls();
    let mut reports = Vec::new();
    for program in programs {
        let case = LoopCase::for_program(program);
        for estimator in [Estimator::Welch, Estimator::Quadrature] {
            let started = std::time::Instant::now();
            let analysis = AnalysisConfig {
                estimator,
                ..AnalysisConfig::default()
            };
            let r = measure(&case, controls, &analysis, estimator.id(), &opts)?;
            if !args.json {
                print!("{}", format_report(&r));
                println!("  (measured in {:.1} s)", started.elapsed().as_secs_f64());
            }
            reports.push(r);
        }
    }
    if args.json {
        let json = serde_json::to_string_pretty(&reports)
            .map_err(|e| format!("Cannot format the report: {e}."))?;
        println!("{json}");
    }
    Ok(())
}

fn run_bench_feedback(frames: usize) -> Result<(), String> {
    if frames == 0 {
        return Err("Use a positive --frames.".into());
    }
    // Real frames from the simulator (a minute, cycled), prepared before timing.
    let input = EegInput::Simulator(SimConfig::default());
    let mut drive = EegDrive::new(&input, &AnalysisConfig::default())?;
    let mut pool = Vec::new();
    drive.feed_until(61.0, |f| pool.push(*f));
    let mut engine = melodiasync::engine::Engine::new(48_000.0);
    let mut controls = MelodiaSyncParams::default().controls();
    controls.feedback.adaptive = true;
    let mut worst = 0.0f64;
    let mut total = 0.0f64;
    for kind in ProgramKind::ALL {
        controls.program = kind;
        let started = std::time::Instant::now();
        let mut guard = 0.0f32;
        for i in 0..frames {
            let mut f = pool[i % pool.len()];
            f.time = i as f64 / 64.0;
            guard += engine.push_frame(&f, &controls).reward;
        }
        std::hint::black_box(guard);
        let ns = started.elapsed().as_nanos() as f64 / frames as f64;
        worst = worst.max(ns);
        total += ns;
        println!("  {:<12} {ns:>7.0} ns per frame", kind.id());
    }
    println!(
        "feedback: mean {:.0} ns, worst {worst:.0} ns per frame; at 64 frames/s that is {:.5} % of \
         one core",
        total / ProgramKind::ALL.len() as f64,
        worst * 64.0 / 1e9 * 100.0
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
    cfg.estimator = args.estimator;
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
    preset::write_atomically(&out, text.as_bytes())?;
    println!(
        "wrote {}: {frames} frames ({valid} valid) from {} channels at {} Hz",
        out.display(),
        rec.channels(),
        rec.sample_rate
    );
    Ok(())
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
fn time_extraction(
    rec: &Recording,
    hop_samples: usize,
    estimator: Estimator,
) -> Result<(usize, f64), String> {
    let mut cfg = ExtractorConfig::new(rec.sample_rate, rec.labels.clone());
    cfg.hop_s = hop_samples as f32 / rec.sample_rate;
    cfg.estimator = estimator;
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
        let (f, s) = time_extraction(&rec, hop_samples, Estimator::Welch)?;
        frames = f;
        best = best.min(s);
    }
    let windows = frames * rec.channels();
    let wps = windows as f64 / best;
    // Scale figures: 64 channels x 1 kHz at 64 frames per second (the live rate), share of one
    // core, Welch alone and with the quadrature filters on every sample.
    let big = generated_recording(64, 1000.0, 20.0);
    let (_, s) = time_extraction(&big, 1000 / 64, Estimator::Welch)?;
    let core_share = s / 20.0;
    let (_, s) = time_extraction(&big, 1000 / 64, Estimator::Quadrature)?;
    let quadrature_share = s / 20.0;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "windows": windows,
                "seconds": best,
                "windows_per_second": wps,
                "core_share_64ch_1khz_64hz_welch": core_share,
                "core_share_64ch_1khz_64hz_quadrature": quadrature_share,
            })
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
            "scale: 64 channels x 1 kHz at 64 frames/s uses {:.2} % of one core with Welch, \
             {:.2} % with the quadrature filters on every sample",
            100.0 * core_share,
            100.0 * quadrature_share
        );
    }
    Ok(())
}

fn run_simulate(
    channels: usize,
    rate: f32,
    name: &str,
    stream_type: &str,
    script: Script,
    seed: u64,
    seconds: Option<f64>,
) -> Result<(), String> {
    let mut sim = Simulator::new(SimConfig {
        channels,
        rate,
        script,
        seed,
        blinks: true,
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
    };
    let sent = publish(&spec, seconds, &StopFlag::default(), |buf| {
        sim.next_sample(buf);
        true
    })?;
    println!("sent {sent} samples");
    Ok(())
}

fn run_replay(
    file: &std::path::Path,
    looping: bool,
    rate: Option<f32>,
    name: Option<String>,
    stream_type: &str,
) -> Result<(), String> {
    let rec = recording::open(file, rate)?;
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

fn run_monitor(
    stream_type: Option<String>,
    name: Option<String>,
    source_id: Option<String>,
    sim: bool,
    seconds: Option<f64>,
    json: bool,
    montage: Vec<String>,
) -> Result<(), String> {
    let spec = if sim {
        SourceSpec::Simulator(SimConfig::default())
    } else if let Some(n) = name {
        SourceSpec::Lsl {
            prop: LslProp::Name,
            value: n,
        }
    } else if let Some(id) = source_id {
        SourceSpec::Lsl {
            prop: LslProp::SourceId,
            value: id,
        }
    } else {
        SourceSpec::Lsl {
            prop: LslProp::Type,
            value: stream_type.unwrap_or_else(|| "EEG".into()),
        }
    };
    let analysis = AnalysisConfig {
        montage,
        ..AnalysisConfig::default()
    };
    let (worker, out) = Worker::spawn(spec, analysis);
    let start = std::time::Instant::now();
    let mut last_state = None;
    let mut last_print = 0.0f64;
    while seconds.is_none_or(|s| start.elapsed().as_secs_f64() < s) {
        let status = worker.status();
        if !status.message.is_empty() && last_state != Some((status.state, status.message.clone()))
        {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"status": format!("{:?}", status.state).to_lowercase(),
                        "message": status.message, "stream": status.name, "channels": status.labels,
                        "rate": status.nominal_rate})
                );
            } else {
                println!("[{:?}] {}", status.state, status.message);
            }
            last_state = Some((status.state, status.message.clone()));
        }
        while let Some(f) = out.monitor.pop() {
            // EEG -> features: from the newest sample (clock-corrected) to now, plus the alpha
            // filter's group delay. The plugin adds its audio block on top.
            let transport_ms = 1000.0 * (melodiasync::eeg::local_clock() - f.time).max(0.0);
            let filter_ms = 1000.0 * f.band_delay_s[ALPHA] as f64;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"time": f.time, "seq": f.seq, "valid": f.valid, "quality": f.quality,
                        "alpha": f.bands[ALPHA].rel, "theta": f.bands[THETA].rel, "beta": f.bands[BETA].rel,
                        "theta_beta": f.theta_beta, "peak_alpha_hz": f.peak_alpha_hz,
                        "lag_ms": status.lag_ms, "transport_ms": transport_ms,
                        "alpha_filter_ms": filter_ms, "delay_ms": transport_ms + filter_ms,
                        "samples": status.samples, "dropouts": status.dropouts})
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
    if status.state == SourceState::Error {
        return Err(status.message);
    }
    Ok(())
}

/// Pushes simulated EEG through a real LSL outlet in this process, stamping each sample with
/// the local clock at the moment it is pushed; the worker stamps frames with the newest
/// sample's (clock-corrected) timestamp; a consumer polling every 0.2 ms records
/// `arrival - frame.time`: the delay from the hop's last push to its frame being available.
fn run_bench_latency(seconds: f64, channels: usize, rate: f32) -> Result<(), String> {
    use lsl::{ChannelFormat, ExPushable, StreamInfo, StreamOutlet};
    let stop = StopFlag::default();
    let outlet_stop = stop.clone();
    let stype = format!("EEG-latency-{}", std::process::id());
    let outlet_type = stype.clone();
    let pusher = std::thread::spawn(move || -> Result<(), String> {
        let mut sim = Simulator::new(SimConfig {
            channels,
            rate,
            ..SimConfig::default()
        })?;
        let info = StreamInfo::new(
            "MelodiaSync-Latency",
            &outlet_type,
            channels as u32,
            rate as f64,
            ChannelFormat::Float32,
            "latency",
        )
        .map_err(|e| format!("{e:?}"))?;
        let outlet = StreamOutlet::new(&info, 0, 30).map_err(|e| format!("{e:?}"))?;
        let mut buf = vec![0.0f32; channels];
        let start = lsl::local_clock();
        let mut n = 0u64;
        while !outlet_stop.is_stopped() {
            let due = ((lsl::local_clock() - start) * rate as f64) as u64;
            while n < due {
                sim.next_sample(&mut buf);
                outlet
                    .push_sample_ex(&buf, lsl::local_clock(), true)
                    .map_err(|e| format!("{e:?}"))?;
                n += 1;
            }
            std::thread::sleep(std::time::Duration::from_micros(500));
        }
        Ok(())
    });
    let (worker, out) = Worker::spawn(
        SourceSpec::Lsl {
            prop: LslProp::Type,
            value: stype,
        },
        AnalysisConfig::default(),
    );
    let start = std::time::Instant::now();
    let mut lat = Vec::new();
    while start.elapsed().as_secs_f64() < seconds + 3.0 {
        if let Some(f) = out.audio.latest() {
            // Skip the first seconds: connection and the first window.
            if start.elapsed().as_secs_f64() > 3.0 {
                lat.push(1000.0 * (lsl::local_clock() - f.time));
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    stop.stop();
    drop(worker);
    pusher
        .join()
        .map_err(|_| "the outlet thread panicked".to_string())??;
    if lat.len() < 10 {
        return Err(
            "Too few frames arrived to measure latency; is LSL working on this machine?".into(),
        );
    }
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
    println!(
        "latency push -> frame available ({channels} ch at {rate} Hz, {} frames): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        q(0.5),
        q(0.99),
        lat[lat.len() - 1]
    );
    Ok(())
}
