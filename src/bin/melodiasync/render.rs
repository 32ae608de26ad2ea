//! `melodiasync render`: a session to a WAV file through the plugin's own signal path.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use melodiasync::eeg::heart_input::HeartInput;
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::features::extractor::Estimator;
use melodiasync::features::heart::HeartKind;
use melodiasync::feedback::program::ProgramKind;
use melodiasync::feedback::FeedbackSetup;
use melodiasync::params::MelodiaSyncParams;
use melodiasync::preset;
use melodiasync::render::{self, EegInput, EegJob, RenderError, RenderJob};

use crate::apply_sets;

/// The render command's options.
#[derive(clap::Args)]
pub(crate) struct RenderArgs {
    /// Length in seconds (default: a recording given to --eeg, whole; with --session the
    /// session's longest path, a guided render ending 2 s after its session completes; else
    /// 60).
    #[arg(long, value_parser = crate::numbers::within(0.01, 86_400.0, " s"))]
    pub(crate) seconds: Option<f64>,
    /// Run a guided session: a factory or user session by name (`melodiasync session list`)
    /// or a session file by its path. Its stages set the sound, program and feedback.
    #[arg(long)]
    pub(crate) session: Option<String>,
    /// Output WAV file (32-bit float, stereo).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 48_000, value_parser = crate::numbers::within(8_000u32, 384_000, " Hz"))]
    pub(crate) sample_rate: u32,
    /// Relaxation macro ramp FROM:TO over the render, e.g. 0:1.
    #[arg(long, value_parser = render::parse_ramp)]
    pub(crate) relaxation_ramp: Option<(f32, f32)>,
    /// Set a parameter by id, as text a host would show: --set beat=6 --set "chord=Major 7"
    /// (`melodiasync params` lists ids and defaults).
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Block size in samples, as a host would use.
    #[arg(long, default_value_t = 512, value_parser = crate::numbers::within(1usize, 65_536, " samples"))]
    pub(crate) block: usize,
    /// Drive the neurofeedback engine with EEG: a recording (CSV, EDF/BDF, XDF), `sim`, or
    /// `sim:SCRIPT` (steady, calm, eyes-closed, focus, relax, drowse, drift); `none` for the heart
    /// alone (the default with --heart).
    #[arg(long)]
    pub(crate) eeg: Option<String>,
    /// The heart beside the EEG: a recording (CSV, EDF/BDF, XDF) of an ECG, a PPG or RR
    /// intervals (see --heart-type), `sim`, or `sim:SCRIPT` (rest, resonance, stress, or
    /// breaths per minute). Its features (HR, RMSSD, coherence, ...) join every frame.
    #[arg(long)]
    pub(crate) heart: Option<String>,
    /// What --heart carries: ECG (the default), PPG or RR (intervals in ms, one per row).
    #[arg(long, value_parser = HeartKind::parse)]
    pub(crate) heart_type: Option<HeartKind>,
    /// The signal of the --heart recording, by label or 1-based number (default: the first).
    #[arg(long)]
    pub(crate) heart_channel: Option<String>,
    /// Sample rate of a --heart CSV without a time column, Hz.
    #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
    pub(crate) heart_rate: Option<f32>,
    /// The XDF stream of --heart, by name or source id.
    #[arg(long)]
    pub(crate) heart_stream: Option<String>,
    /// Neurofeedback program: calm, deep-rest, smr-focus, cool-down, balance, sleep-onset,
    /// resonance-breathing, calm-body-and-mind (default: the preset's, else calm). With --session the stages choose the programs;
    /// this then only picks the EEG analysis (montage, estimator), by default the first
    /// training stage's.
    #[arg(long)]
    pub(crate) program: Option<String>,
    /// Start from a preset (factory or user, by name; see `melodiasync preset list`; or a
    /// preset file by its path); --set and
    /// --program apply on top.
    #[arg(long)]
    pub(crate) preset: Option<String>,
    /// Write the per-frame session log (CSV) here; the summary goes beside it as
    /// NAME.summary.json.
    #[arg(long)]
    pub(crate) log: Option<PathBuf>,
    /// How to read a recording given to --eeg.
    #[command(flatten)]
    pub(crate) recording: RecordingArgs,
    /// A calibration setup from `melodiasync calibrate` (targets from a baseline).
    #[arg(long)]
    pub(crate) setup: Option<PathBuf>,
    /// The daily baseline: write the setup with the session's baseline stage as its
    /// calibration here (give it as --setup to the next session; it may be the same file).
    #[arg(long)]
    pub(crate) save_setup: Option<PathBuf>,
    /// Band-power estimator for the EEG: quadrature (low latency) or welch (default: the
    /// program's, quadrature for the factory programs).
    #[arg(long, value_parser = Estimator::parse)]
    pub(crate) estimator: Option<Estimator>,
}

/// How to read a recording given to `--eeg` (render, calibrate).
#[derive(clap::Args, Clone, Default)]
pub(crate) struct RecordingArgs {
    /// Sample rate of a CSV recording without a time column.
    #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
    pub(crate) eeg_rate: Option<f32>,
    /// Signals of the recording to use, by label or number, comma separated (default: its
    /// EEG signals).
    #[arg(long, value_delimiter = ',')]
    pub(crate) eeg_channels: Vec<String>,
    /// The XDF stream to use, by name or source id (default: the first EEG stream).
    #[arg(long)]
    pub(crate) eeg_stream: Option<String>,
}

impl RecordingArgs {
    /// Sets a recording input's read options (nothing for the simulator).
    pub(crate) fn apply(&self, input: &mut EegInput) {
        if let EegInput::File { options, .. } = input {
            options.rate = self.eeg_rate;
            options.channels = self.eeg_channels.clone();
            options.stream = self.eeg_stream.clone();
        }
    }
}

/// Runs `render`: checks the options, builds the job from the preset, setup and `--set`s,
/// renders to the WAV file and prints the report (and the session summary with `--eeg`).
pub(crate) fn run(args: RenderArgs) -> Result<(), String> {
    let program = args
        .program
        .as_deref()
        .map(ProgramKind::parse)
        .transpose()?;
    let mut setup = args
        .setup
        .as_deref()
        .map(read_setup)
        .transpose()?
        .unwrap_or_default();
    check_ranges(&args)?;
    if args.save_setup.is_some() && args.session.is_none() {
        return Err("--save-setup keeps a guided session's baseline stage; add --session.".into());
    }
    let params = Arc::new(MelodiaSyncParams::default());
    if let Some(name) = &args.preset {
        apply_preset(name, &params, &mut setup)?;
    }
    apply_sets(&params, &args.sets)?;
    let guided = args
        .session
        .as_deref()
        .map(|name| {
            let session = melodiasync::guide::resolve(name)?;
            let (library, _) = preset::library(preset::user_dir().as_deref());
            let plan = melodiasync::guide::compile(&session, &setup, &library)
                .map_err(|e| format!("Session '{}': {e}", session.name))?;
            Ok::<_, String>((session, plan))
        })
        .transpose()?;
    if let (Some(path), Some((session, _))) = (&args.save_setup, &guided) {
        if !session
            .stages
            .iter()
            .any(|s| s.kind == melodiasync::guide::StageKind::Baseline)
        {
            return Err(format!(
                "--save-setup '{}': the session '{}' has no baseline stage, so it has no \
                 baseline to carry.",
                path.display(),
                session.name
            ));
        }
    }
    // The EEG is analysed for the session's first training program (its montage and
    // estimator), unless --program says otherwise.
    let first_trained = guided
        .as_ref()
        .and_then(|(s, _)| s.stages.iter().find_map(|st| st.program));
    let program = program.or(first_trained).unwrap_or(params.program.value());
    if args.setup.is_some() {
        println!("{}", describe_setup(&setup, program));
    }
    // The heart alone drives the feedback when no EEG is given.
    let eeg_text = args.eeg.as_deref().or(args.heart.as_ref().map(|_| "none"));
    let eeg = eeg_text
        .map(|text| eeg_job(text, &args, &setup, program))
        .transpose()?;
    let recording_s = eeg.as_ref().and_then(|e| e.input.length_s());
    let seconds = match (args.seconds, &guided, recording_s) {
        (Some(s), _, _) => s,
        // Long enough for any path through the session: the render ends at its completion.
        (None, Some((s, _)), _) => s.bound_s() as f64 + render::GUIDE_TAIL_S,
        (None, None, Some(length)) => {
            println!("playing the whole recording: {length:.1} s (--seconds sets another length)");
            length
        }
        (None, None, None) => 60.0,
    };
    check_wav_length(seconds, args.sample_rate)?;
    let mut controls = params.controls();
    controls.program = program;
    let job = RenderJob {
        sample_rate: args.sample_rate as f32,
        block: args.block,
        relaxation_ramp: args.relaxation_ramp,
        eeg,
        programs: Some(setup.compile()),
        guide: guided.as_ref().map(|(_, plan)| plan.clone()),
        ..RenderJob::new(controls, seconds)
    };
    let report = render_wav(&job, &args.out)?;
    let what = match &guided {
        Some((s, _)) => s.name.clone(),
        None => program.id().to_string(),
    };
    print_report(&report, &args.out, args.sample_rate, &what)?;
    if let (Some(path), Some((session, _))) = (&args.save_setup, &guided) {
        let Some(carried) = report.baselines.iter().rev().find_map(|b| b.as_ref().ok()) else {
            return Err(format!(
                "'{}' was not written: no baseline stage of '{}' ended with enough usable EEG \
                 (see the warnings above), so there is no baseline to carry.",
                path.display(),
                session.name
            ));
        };
        carried.applied_to(&setup).save(path)?;
        let name = session
            .stages
            .get(carried.stage)
            .map_or("", |s| s.name.as_str());
        println!("{} Saved in '{}'.", carried.describe(name), path.display());
    }
    Ok(())
}

/// The option checks that do not need files, each a sentence.
fn check_ranges(args: &RenderArgs) -> Result<(), String> {
    let (seconds, sample_rate, block) =
        (args.seconds.unwrap_or(60.0), args.sample_rate, args.block);
    let sets_program = args.sets.iter().any(|s| {
        s.split_once('=')
            .is_some_and(|(id, _)| id.trim() == "program")
    });
    if args.program.is_some() && sets_program {
        return Err("--program and --set program=... both choose the program; give one.".into());
    }
    if args.log.is_some() && args.eeg.is_none() && args.heart.is_none() {
        return Err(
            "--log records a neurofeedback session; add --eeg FILE, --eeg sim or --heart.".into(),
        );
    }
    let file_options =
        args.heart_channel.is_some() || args.heart_rate.is_some() || args.heart_stream.is_some();
    if args.heart.is_none() && (file_options || args.heart_type.is_some()) {
        return Err(
            "--heart-type, --heart-channel, --heart-rate and --heart-stream describe --heart; \
             add it."
                .into(),
        );
    }
    let simulated = args
        .heart
        .as_deref()
        .is_some_and(|h| melodiasync::eeg::cardiac_sim::HeartScript::from_source(h).is_some());
    if simulated && file_options {
        return Err(
            "--heart-channel, --heart-rate and --heart-stream read a heart recording; the \
             simulator has one signal at its own rate."
                .into(),
        );
    }
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err(format!(
            "--seconds {seconds} is out of range; use a length above 0 and up to 86400."
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
    check_wav_length(seconds, sample_rate)
}

/// Bytes of one second of the render's WAV (stereo, 32-bit float) per hertz of sample rate.
const WAV_BYTES_PER_SAMPLE_FRAME: f64 = 2.0 * 4.0;

/// Refuses a render longer than a WAV file can hold (its sizes are 32-bit: 4 GiB in all),
/// before any audio is made.
fn check_wav_length(seconds: f64, sample_rate: u32) -> Result<(), String> {
    // The RIFF size field counts everything after its first 8 bytes; leave room for headers.
    let room = u32::MAX as f64 - 1024.0;
    let longest = (room / (sample_rate as f64 * WAV_BYTES_PER_SAMPLE_FRAME)).floor();
    if seconds > longest {
        return Err(format!(
            "A WAV file holds at most 4 GiB: {longest:.0} s ({:.1} h) of {sample_rate} Hz stereo \
             32-bit audio, and --seconds {seconds} would need {:.1} GiB. Render in parts of up \
             to {longest:.0} s, or at a lower --sample-rate.",
            longest / 3600.0,
            seconds * sample_rate as f64 * WAV_BYTES_PER_SAMPLE_FRAME / (1u64 << 30) as f64
        ));
    }
    Ok(())
}

/// Applies preset `name` to `params` and puts its program in `setup` for its slot.
fn apply_preset(
    name: &str,
    params: &MelodiaSyncParams,
    setup: &mut FeedbackSetup,
) -> Result<(), String> {
    // A preset file given by its path is read as it is (not imported).
    let path = std::path::Path::new(name);
    let from_file;
    let (entries, problems) = preset::library(preset::user_dir().as_deref());
    let chosen = if path.is_file() {
        let (p, warnings) = preset::read_file(path)?;
        for w in warnings {
            eprintln!("warning: {w}");
        }
        from_file = p;
        &from_file
    } else {
        &preset::find(&entries, name)
            .map_err(|e| {
                // A broken user file may be the one asked for: say so.
                problems.iter().fold(e, |acc, p| format!("{acc} {p}"))
            })?
            .preset
    };
    chosen.apply_to(params)?;
    setup.programs.insert(chosen.slot, chosen.program.clone());
    Ok(())
}

/// The EEG side of the job: `text` (`--eeg`) analysed with `program`'s montage and estimator
/// (or `--estimator`), logged to `--log`.
fn eeg_job(
    text: &str,
    args: &RenderArgs,
    setup: &FeedbackSetup,
    program: ProgramKind,
) -> Result<EegJob, String> {
    let chosen = setup.program(program);
    let mut input = EegInput::parse(text)?;
    args.recording.apply(&mut input);
    // Read now, so the render's length can default to the recording's.
    let input = input.open()?;
    Ok(EegJob {
        input,
        analysis: AnalysisConfig {
            montage: chosen.channels,
            estimator: args.estimator.unwrap_or(chosen.estimator),
            ..AnalysisConfig::default()
        },
        log: args.log.clone(),
        heart: args
            .heart
            .as_deref()
            .map(|text| {
                HeartInput::parse(
                    text,
                    args.heart_type.unwrap_or_default(),
                    args.heart_channel.clone(),
                    args.heart_rate,
                    args.heart_stream.clone(),
                )
            })
            .transpose()?,
    })
}

/// Renders `job` into a 32-bit float stereo WAV at `out`, written beside it under a temporary
/// name and renamed when complete: a render that fails (a missing recording, a full disk)
/// leaves a file already at `out` as it was.
fn render_wav(job: &RenderJob, out: &Path) -> Result<render::RenderReport, String> {
    let part = out.with_extension("wav.part");
    let result = render_to(job, &part, out).and_then(|report| {
        std::fs::rename(&part, out)
            .map(|()| report)
            .map_err(|e| format!("Cannot write '{}': {e}.", out.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// Renders `job` into a WAV file at `path` (`out` names it in messages).
fn render_to(job: &RenderJob, path: &Path, out: &Path) -> Result<render::RenderReport, String> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: job.sample_rate as u32,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| {
        format!(
            "Cannot create '{}': {e}. Check that the folder exists and is writable.",
            out.display()
        )
    })?;
    let write_err = |e: hound::Error| format!("Writing '{}' failed: {e}.", out.display());
    let report = render::render(job, |l, r| {
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
    Ok(report)
}

/// Prints what was rendered and, for a session, its summary (saved beside the log).
fn print_report(
    report: &render::RenderReport,
    out: &Path,
    sample_rate: u32,
    what: &str,
) -> Result<(), String> {
    for note in &report.eeg_notes {
        eprintln!("{note}");
    }
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
        println!("session summary ({what}):\n{json}");
        if let Some(path) = &report.log {
            // The session thread wrote the summary beside the log.
            let summary_path = melodiasync::session::summary_path(path);
            println!(
                "session log: {}, summary: {}",
                path.display(),
                summary_path.display()
            );
        }
    }
    Ok(())
}

/// One line on what a setup brings: its calibration and the targets it gives `program`.
fn describe_setup(setup: &FeedbackSetup, program: ProgramKind) -> String {
    let mut p = setup.program(program);
    let what = match (&setup.baseline, setup.condition) {
        (Some(b), condition) => {
            p.calibrate(b);
            let condition = match condition {
                Some(melodiasync::feedback::Condition::EyesOpen) => " (eyes open)",
                Some(melodiasync::feedback::Condition::EyesClosed) => " (eyes closed)",
                None => "",
            };
            format!("a calibration{condition}")
        }
        (None, _) => "programs without a calibration".into(),
    };
    format!(
        "setup: {what}; {} starts at {}.",
        program.name(),
        p.describe_targets().join(", ")
    )
}

/// The fields a setup file may have (those of [`FeedbackSetup`]).
const SETUP_FIELDS: [&str; 4] = ["version", "baseline", "condition", "programs"];

/// Reads a setup file (a calibration from `melodiasync calibrate`).
fn read_setup(path: &std::path::Path) -> Result<FeedbackSetup, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Cannot read the setup '{}': {e}.", path.display()))?;
    let text = melodiasync::eeg::recording::strip_bom(&text);
    let not_setup = |why: String| {
        format!(
            "'{}' is not a MelodiaSync setup ({why}); make one with `melodiasync calibrate` \
             (a preset goes to --preset).",
            path.display()
        )
    };
    // Every field of a setup may be absent, so a preset, a summary or any JSON object would
    // read as an empty one: a setup is an object of a setup's fields with something in it.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| not_setup(e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| not_setup("it is not a JSON object".into()))?;
    if let Some(field) = object.keys().find(|k| !SETUP_FIELDS.contains(&k.as_str())) {
        return Err(not_setup(format!("it has a field '{field}'")));
    }
    if !object.contains_key("baseline") && !object.contains_key("programs") {
        return Err(not_setup("it has neither a baseline nor programs".into()));
    }
    let setup: FeedbackSetup =
        serde_json::from_value(value).map_err(|e| not_setup(e.to_string()))?;
    if let Some(b) = &setup.baseline {
        b.validate()
            .map_err(|e| format!("'{}': {e}", path.display()))?;
    }
    Ok(setup)
}
