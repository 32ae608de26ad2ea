//! `melodiasync`: render soundscapes, analyse recordings, stream EEG, calibrate, manage
//! presets, benchmark, list parameters, or run the standalone app. This file holds the
//! command line and the dispatch; each family of commands has its own module.

mod bench;
mod calibrate;
mod eeg;
mod features;
mod heart;
mod numbers;
mod preset;
mod render;
mod report;
mod session;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use melodiasync::params::{self, MelodiaSyncParams};
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
    Render(Box<render::RenderArgs>),
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        what: bench::BenchWhat,
    },
    /// Compute feature frames from a recording and write them as CSV (one row per frame).
    Features(features::FeaturesArgs),
    /// Beats, corrected intervals and HRV (HR, RMSSD, SDNN, LF, HF, breathing rate from RSA,
    /// coherence) from a heart recording (ECG, PPG or RR) or the heart simulator, as JSON.
    Heart(heart::HeartArgs),
    /// Publish the built-in EEG simulator as an LSL stream (try the plugin without a headset).
    Simulate(eeg::SimulateArgs),
    /// Publish a recording (CSV, EDF/BDF, XDF) as an LSL stream at real-time pace.
    Replay(eeg::ReplayArgs),
    /// List the LSL streams visible on this network.
    Streams(eeg::StreamsArgs),
    /// Connect through the EEG worker and print status and features per frame.
    Monitor(eeg::MonitorArgs),
    /// Record a baseline and write a setup file whose targets come from its percentiles
    /// (use it with `render --setup`; the editor applies the same to the plugin).
    Calibrate(calibrate::CalibrateArgs),
    /// Factory and user presets: list, show, save, import, export, rename, delete.
    Preset {
        #[command(subcommand)]
        what: preset::PresetCmd,
    },
    /// Guided sessions (stages that advance when the listener gets there): list, show,
    /// validate, import. Render one with `render --session NAME --eeg sim:relax`.
    Session {
        #[command(subcommand)]
        what: session::SessionCmd,
    },
    /// Draw a session log as a report (PNG and SVG): reward and bands over time with the
    /// stages shaded and the targets drawn in, time in target per stage; --history adds the
    /// trend over the last sessions.
    Report(report::ReportArgs),
    /// List every parameter: id, name and default.
    Params {
        /// One JSON object per parameter: id, name, default.
        #[arg(long)]
        json: bool,
    },
    /// Run the standalone app (JACK or ALSA when present, else the dummy backend). Arguments
    /// after `standalone` go to the standalone host; try `melodiasync standalone --help`.
    #[command(disable_help_flag = true)]
    Standalone {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render::run(*args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Preset { what } => preset::run(what),
        Command::Session { what } => session::run(what),
        Command::Report(args) => report::run(args),
        Command::Bench { what } => bench::run(what),
        Command::Features(args) => features::run(&args),
        Command::Heart(args) => heart::run(args),
        Command::Simulate(args) => eeg::run_simulate(args),
        Command::Replay(args) => eeg::run_replay(args),
        Command::Streams(args) => eeg::run_streams(args),
        Command::Monitor(args) => eeg::run_monitor(args),
        Command::Params { json } => {
            for row in params::describe(&MelodiaSyncParams::default()) {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": row.id,
                            "name": row.name,
                            "default": row.default,
                            "values": row.values,
                        })
                    );
                } else {
                    println!(
                        "{:<10} {:<20} {:<14} {}",
                        row.id, row.name, row.default, row.values
                    );
                }
            }
            Ok(())
        }
        Command::Standalone { args } => run_standalone(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("melodiasync: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Output piped into `head` and closed early ends the program quietly, as for other command
/// line tools (Rust ignores SIGPIPE, so `println!` would panic instead).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in `main`, before any thread starts; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Windows has no SIGPIPE: a closed pipe is an error `println!` panics on. End quietly.
    #[cfg(windows)]
    {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or("");
            if text.starts_with("failed printing to stdout") {
                std::process::exit(0);
            }
            default(info);
        }));
    }
}

/// Removes `--name VALUE` from `args` and returns the value.
fn take_option(args: &mut Vec<String>, name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    if i + 1 >= args.len() {
        return None;
    }
    let value = args.remove(i + 1);
    args.remove(i);
    Some(value)
}

/// The standalone's own options, printed before the standalone host's `--help`.
const STANDALONE_OPTIONS: &str = "\
MelodiaSync's own options (give them before the standalone host's):
  --eeg SOURCE        where the EEG comes from: lsl (the first EEG stream, the default),
                      lsl:PROP=VALUE (e.g. lsl:name=Muse), sim, sim:SCRIPT (steady, calm,
                      eyes-closed, focus, relax, drowse, drift) or a recording (CSV, EDF/BDF, XDF)
  --heart SOURCE      where the heart comes from: lsl, lsl:PROP=VALUE, sim, sim:SCRIPT (rest,
                      resonance, stress or breaths per minute) or a recording
  --heart-type KIND   what --heart carries: ECG (the default), PPG or RR (intervals in ms)

The standalone host's options:";

/// Runs the standalone app. `--eeg sim|sim:SCRIPT|FILE` before the standalone host's own
/// options picks the EEG source explicitly, `--heart sim|lsl|lsl:PROP=VALUE|FILE` with
/// `--heart-type ECG|PPG|RR` the heart's (the plugin reads them once, at creation).
fn run_standalone(mut args: Vec<String>) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{STANDALONE_OPTIONS}");
    }
    let kind = take_option(&mut args, "--heart-type")
        .map(|k| melodiasync::features::heart::HeartKind::parse(&k))
        .transpose()?
        .unwrap_or_default();
    if let Some(heart) = take_option(&mut args, "--heart") {
        let spec = melodiasync::eeg::heart_source::HeartSource::parse(&heart, kind)?;
        let json = serde_json::to_string(&spec)
            .map_err(|e| format!("Cannot pass the heart source on ({e})."))?;
        // SAFETY: set before any other thread starts.
        unsafe { std::env::set_var("MELODIASYNC_HEART", json) };
    }
    if let Some(i) = args.iter().position(|a| a == "--eeg") {
        if i + 1 < args.len() {
            let source = args.remove(i + 1);
            args.remove(i);
            // Checked here, where a mistake can still be said: the plugin reads it silently.
            if let melodiasync::eeg::SourceSpec::File { path, .. } =
                source.parse::<melodiasync::eeg::SourceSpec>()?
            {
                if !path.is_file() {
                    return Err(format!(
                        "--eeg '{}': there is no such file; give a recording (CSV, EDF/BDF, \
                         XDF), sim, sim:SCRIPT or lsl:PROP=VALUE.",
                        path.display()
                    ));
                }
            }
            // SAFETY: set before any other thread starts.
            unsafe { std::env::set_var("MELODIASYNC_EEG", source) };
        }
    }
    let argv = std::iter::once("melodiasync standalone".to_string()).chain(args);
    if nice_plug::prelude::nice_export_standalone_with_args::<MelodiaSync, _>(argv) {
        Ok(())
    } else {
        Err("The standalone app could not start an audio backend; see the messages above.".into())
    }
}

/// Applies `--set ID=VALUE` options.
pub(crate) fn apply_sets(p: &Arc<MelodiaSyncParams>, sets: &[String]) -> Result<(), String> {
    for s in sets {
        let (id, value) = s
            .split_once('=')
            .ok_or_else(|| format!("'--set {s}' needs the form ID=VALUE, e.g. --set beat=6."))?;
        params::set_from_text(p, id.trim(), value.trim())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;
    use std::any::TypeId;

    /// Every option of every command whose value is a number, with the path of subcommands
    /// that reaches it: found by walking the command tree, so a new option cannot slip past.
    fn number_options(
        cmd: &clap::Command,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, String)>,
    ) {
        let numeric = [
            TypeId::of::<f32>(),
            TypeId::of::<f64>(),
            TypeId::of::<usize>(),
            TypeId::of::<u32>(),
            TypeId::of::<u64>(),
            TypeId::of::<i32>(),
            TypeId::of::<i64>(),
        ];
        for arg in cmd.get_arguments() {
            let id = arg.get_value_parser().type_id();
            if let Some(long) = arg.get_long().filter(|_| numeric.iter().any(|t| id == *t)) {
                out.push((path.clone(), format!("--{long}")));
            }
        }
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_string());
            number_options(sub, path, out);
            path.pop();
        }
    }

    #[test]
    fn every_number_option_refuses_absurd_values_with_its_range() {
        let cmd = Cli::command();
        let mut options = Vec::new();
        number_options(&cmd, &mut Vec::new(), &mut options);
        // Options for which 0 means something: no seconds of threshold runs, no overlap, a seed.
        let zero_ok = ["--hours", "--overlap", "--seed"];
        assert!(options.len() >= 30, "found only {options:?}");
        for (path, option) in &options {
            for value in ["0", "-1", "1e9", "NaN", "inf", "-inf", "ten"] {
                if value == "0" && zero_ok.contains(&option.as_str()) {
                    continue;
                }
                let mut argv = vec!["melodiasync".to_string()];
                argv.extend(path.iter().cloned());
                argv.push(format!("{option}={value}"));
                let err = match Cli::command().try_get_matches_from(&argv) {
                    Err(e) => e,
                    Ok(_) => panic!("{argv:?} was accepted"),
                };
                assert_eq!(
                    err.kind(),
                    clap::error::ErrorKind::ValueValidation,
                    "{argv:?}: {err}"
                );
                let text = err.to_string();
                assert!(
                    text.contains(option.as_str()) && text.contains(" to "),
                    "{argv:?} says: {text}"
                );
            }
        }
    }
}
