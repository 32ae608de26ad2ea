//! `melodiasync bench`: speed of the synth, the feedback engine, feature extraction and the
//! LSL path, and the EEG -> sound loop on the audio clock.

use std::path::PathBuf;

use clap::Subcommand;
use melodiasync::bridge::StopFlag;
use melodiasync::eeg::recording::{self, Recording};
use melodiasync::eeg::sim::{SimConfig, Simulator};
use melodiasync::eeg::worker::{AnalysisConfig, Worker};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::extractor::Estimator;
use melodiasync::features::{Extractor, ExtractorConfig};
use melodiasync::feedback::program::ProgramKind;
use melodiasync::params::MelodiaSyncParams;
use melodiasync::render::{self, EegDrive, EegInput};

/// What `bench` measures.
#[derive(Subcommand)]
pub(crate) enum BenchWhat {
    /// Render with all layers on and print the real-time factor.
    Synth {
        /// Seconds of audio.
        #[arg(long, default_value_t = 60.0, value_parser = crate::numbers::within(0.1, 3600.0, " s"))]
        seconds: f64,
        /// Block size in samples.
        #[arg(long, default_value_t = 64, value_parser = crate::numbers::within(1usize, 65_536, " samples"))]
        block: usize,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 48_000, value_parser = crate::numbers::within(8_000u32, 384_000, " Hz"))]
        sample_rate: u32,
        /// Timed runs; the best and the median are reported (VMs are noisy).
        #[arg(long, default_value_t = 5, value_parser = crate::numbers::within(1usize, 100, ""))]
        runs: usize,
    },
    /// Cost of scoring one EEG frame in the audio thread (feedback engine: every program, with
    /// adaptive targets), in nanoseconds and as a share of a core at 64 frames/s.
    Feedback {
        /// Frames to score per program.
        #[arg(long, default_value_t = 200_000, value_parser = crate::numbers::within(1usize, 100_000_000, ""))]
        frames: usize,
    },
    /// LSL push -> frame available latency through the real worker (in-process outlet).
    Latency {
        /// Seconds to measure.
        #[arg(long, default_value_t = 20.0, value_parser = crate::numbers::within(1.0, 3600.0, " s"))]
        seconds: f64,
        /// Channels.
        #[arg(long, default_value_t = 8, value_parser = crate::numbers::within(1usize, 1024, ""))]
        channels: usize,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 256.0, value_parser = crate::numbers::within(32.0f32, 20_000.0, " Hz"))]
        rate: f32,
    },
    /// Feature extraction speed on a recording (or generated data): windows per second.
    Features {
        /// Recording to analyse; without one, 8 channels x 256 Hz x 600 s of generated EEG.
        input: Option<PathBuf>,
        /// Sample rate for CSV input without timestamps.
        #[arg(long, value_parser = crate::numbers::within(1.0f32, 100_000.0, " Hz"))]
        rate: Option<f32>,
        /// Samples between frames.
        #[arg(long, default_value_t = 16, value_parser = crate::numbers::within(1usize, 65_536, " samples"))]
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
pub(crate) struct LoopArgs {
    /// Only this program (default: every factory program).
    #[arg(long)]
    program: Option<String>,
    /// Noise seeds averaged for the step and wander figures.
    #[arg(long, default_value_t = 4, value_parser = crate::numbers::within(1u64, 64, ""))]
    seeds: u64,
    /// Length of the threshold-control runs in hours (0 skips them).
    #[arg(long, default_value_t = 2.0, value_parser = crate::numbers::within(0.0, 24.0, " h"))]
    hours: f64,
    /// Listener strengths to measure: the rhythm's amplitude relative to the reference.
    #[arg(long, value_delimiter = ',', default_values_t = [0.25, 0.5, 1.0, 2.0, 4.0],
          value_parser = crate::numbers::within(0.01f32, 100.0, ""))]
    scales: Vec<f32>,
    /// Print one JSON array instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `bench`.
pub(crate) fn run(what: BenchWhat) -> Result<(), String> {
    match what {
        BenchWhat::Synth {
            seconds,
            block,
            sample_rate,
            runs,
        } => run_synth(seconds, block, sample_rate, runs),
        BenchWhat::Features {
            input,
            rate,
            hop_samples,
            json,
        } => run_features(input, rate, hop_samples, json),
        BenchWhat::Feedback { frames } => run_feedback(frames),
        BenchWhat::Latency {
            seconds,
            channels,
            rate,
        } => run_latency(seconds, channels, rate),
        BenchWhat::Loop(args) => run_loop(&args),
    }
}

fn run_loop(args: &LoopArgs) -> Result<(), String> {
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
        let Some(case) = LoopCase::for_program(program) else {
            eprintln!(
                "{}: no EEG term, so the EEG loop does not measure it (it follows the heart).",
                program.name()
            );
            continue;
        };
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

fn run_feedback(frames: usize) -> Result<(), String> {
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

fn run_synth(seconds: f64, block: usize, sample_rate: u32, runs: usize) -> Result<(), String> {
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

/// `bench features --json` (fields in alphabetical order, as the output has always had them).
#[derive(serde::Serialize)]
struct FeaturesReport {
    /// Share of one core for 64 channels at 1 kHz, 64 frames/s, quadrature filters on.
    core_share_64ch_1khz_64hz_quadrature: f64,
    /// The same with Welch alone.
    core_share_64ch_1khz_64hz_welch: f64,
    /// Best of three runs over the input, s.
    seconds: f64,
    /// Windows analysed (frames × channels).
    windows: usize,
    windows_per_second: f64,
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
    Recording::continuous(
        (0..channels).map(|c| format!("E{c}")).collect(),
        rate,
        samples,
    )
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

fn run_features(
    input: Option<PathBuf>,
    rate: Option<f32>,
    hop_samples: usize,
    json: bool,
) -> Result<(), String> {
    if hop_samples == 0 {
        return Err("--hop-samples must be at least 1.".into());
    }
    let rec = match &input {
        Some(p) => recording::open(p, &recording::ReadOptions::with_rate(rate))?,
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
            serde_json::to_string(&FeaturesReport {
                core_share_64ch_1khz_64hz_quadrature: quadrature_share,
                core_share_64ch_1khz_64hz_welch: core_share,
                seconds: best,
                windows,
                windows_per_second: wps,
            })
            .map_err(|e| format!("Cannot format the report: {e}."))?
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

/// Pushes simulated EEG through a real LSL outlet in this process, stamping each sample with
/// the local clock at the moment it is pushed; the worker stamps frames with the newest
/// sample's (clock-corrected) timestamp; a consumer polling every 0.2 ms records
/// `arrival - frame.time`: the delay from the hop's last push to its frame being available.
fn run_latency(seconds: f64, channels: usize, rate: f32) -> Result<(), String> {
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
        .map_err(|e| e.to_string())?;
        let outlet = StreamOutlet::new(&info, 0, 30).map_err(|e| e.to_string())?;
        let mut buf = vec![0.0f32; channels];
        let start = lsl::local_clock();
        let mut n = 0u64;
        while !outlet_stop.is_stopped() {
            let due = ((lsl::local_clock() - start) * rate as f64) as u64;
            while n < due {
                sim.next_sample(&mut buf);
                outlet
                    .push_sample_ex(&buf, lsl::local_clock(), true)
                    .map_err(|e| e.to_string())?;
                n += 1;
            }
            std::thread::sleep(std::time::Duration::from_micros(500));
        }
        Ok(())
    });
    let (worker, out) = Worker::spawn(
        SourceSpec::lsl(LslProp::Type, stype),
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
