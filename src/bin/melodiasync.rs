//! `melodiasync`: render soundscapes, benchmark, list parameters, or run the standalone app.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
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
