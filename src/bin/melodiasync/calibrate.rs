//! `melodiasync calibrate`: a baseline from a recording, the simulator or a live stream, and
//! a setup file whose targets come from its percentiles.

use std::path::PathBuf;

use melodiasync::eeg::worker::{AnalysisConfig, Worker, CALIBRATION_MIN_QUALITY};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::baseline::BaselineRecorder;
use melodiasync::feedback::program::{Program, ProgramKind};
use melodiasync::feedback::{Condition, FeedbackSetup};
use melodiasync::render::{EegDrive, EegInput};

/// Options of `calibrate`.
#[derive(clap::Args)]
pub(crate) struct CalibrateArgs {
    /// `sim`, `sim:SCRIPT` or a recording, analysed offline; `lsl:PROP=VALUE` (or no
    /// `--eeg`), a live LSL stream.
    #[arg(long)]
    pub(crate) eeg: Option<String>,
    /// Live: match LSL streams of this type.
    #[arg(long = "type", default_value = "EEG")]
    pub(crate) stream_type: String,
    /// Live: match the LSL stream with this name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Baseline length in seconds.
    #[arg(long, default_value_t = 60.0, value_parser = crate::numbers::within(5.0f32, 600.0, " s"))]
    pub(crate) seconds: f32,
    /// eyes-open or eyes-closed.
    #[arg(long, default_value = "eyes-closed")]
    pub(crate) condition: String,
    /// Where to write the setup (JSON).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// How to read a recording given to --eeg.
    #[command(flatten)]
    pub(crate) recording: crate::render::RecordingArgs,
}

/// Runs `calibrate`.
pub(crate) fn run(args: CalibrateArgs) -> Result<(), String> {
    let CalibrateArgs {
        eeg,
        stream_type,
        name,
        seconds,
        condition,
        out,
        recording,
    } = args;
    let out = out.as_path();
    let condition = Condition::parse(&condition)?;
    if !(5.0..=600.0).contains(&seconds) {
        return Err(format!(
            "--seconds {seconds} is out of range; a baseline is 5 to 600 s."
        ));
    }
    // A live stream named in --eeg's syntax goes the live way, like --type/--name.
    let live = match eeg.as_deref().map(str::parse::<SourceSpec>).transpose()? {
        Some(spec @ SourceSpec::Lsl { .. }) => Some(spec),
        Some(_) => None,
        None => Some(match name {
            Some(n) => SourceSpec::lsl(LslProp::Name, n),
            None => SourceSpec::lsl(LslProp::Type, stream_type),
        }),
    };
    let stats = match live {
        None => {
            let text = eeg.unwrap_or_default();
            let mut input = EegInput::parse(&text)?;
            if input == EegInput::None {
                return Err(
                    "calibrate records an EEG baseline; give --eeg a recording or sim \
                            (heart terms learn the listener as the session goes)."
                        .into(),
                );
            }
            recording.apply(&mut input);
            let analysis = AnalysisConfig::default();
            let mut drive = EegDrive::new(&input, &analysis)?;
            for note in drive.notes() {
                eprintln!("{note}");
            }
            let mut rec = BaselineRecorder::new(seconds, 1.0 / analysis.hop_s);
            // Up to three times the length, so artifacts can be skipped.
            drive.feed_until(3.0 * seconds as f64 + analysis.window_s as f64, |f| {
                rec.push(f, CALIBRATION_MIN_QUALITY);
            });
            if let (false, Some(_)) = (rec.is_full(), drive.ended_at()) {
                // The recording ended first: say how much clean EEG it had, and what fits.
                let clean = rec.progress() as f64 * seconds as f64;
                let fits = if clean >= 5.0 {
                    format!("use a longer recording or --seconds {:.0}", clean.floor())
                } else {
                    "use a longer or cleaner recording (a baseline needs at least 5 s)".into()
                };
                return Err(format!(
                    "'{text}' ended after {clean:.1} s of clean frames, short of the \
                     {seconds:.0} s baseline asked for; {fits}."
                ));
            }
            if !rec.is_full() {
                return Err(format!(
                    "Only {:.0} % of a {seconds:.0} s baseline had clean frames in '{text}'; use a \
                     longer or cleaner recording.",
                    100.0 * rec.progress()
                ));
            }
            rec.finish()
        }
        Some(spec) => {
            let (worker, _out) = Worker::spawn(spec, AnalysisConfig::default());
            worker.calibrate(seconds, condition);
            let start = std::time::Instant::now();
            // The last line printed: progress decile and the source's status sentence (so a
            // search for a stream that is not there says so, instead of printing nothing).
            let mut shown: Option<(i32, String)> = None;
            loop {
                let c = worker.calibration();
                let pct = (c.progress * 100.0) as i32;
                let message = worker.status().message;
                let changed = shown
                    .as_ref()
                    .is_none_or(|(p, m)| *p != pct / 10 || *m != message);
                if changed && !message.is_empty() {
                    println!("calibrating: {pct} % — {message}");
                    shown = Some((pct / 10, message));
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
        "baseline: {} frames ({}); targets from its percentiles:",
        stats.frames,
        match condition {
            Condition::EyesOpen => "eyes-open",
            Condition::EyesClosed => "eyes-closed",
        }
    );
    for kind in ProgramKind::ALL {
        let mut p = Program::factory(kind);
        p.calibrate(&stats);
        println!("  {:<12} {}", kind.id(), p.describe_targets().join("; "));
    }
    let setup = FeedbackSetup {
        baseline: Some(stats),
        condition: Some(condition),
        ..FeedbackSetup::default()
    };
    setup.save(out)?;
    println!("wrote {}", out.display());
    Ok(())
}
