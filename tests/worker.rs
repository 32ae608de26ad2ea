//! The worker with the non-LSL sources: simulator and recordings at real-time pace, switching
//! sources without a restart, and a clean stop.

use std::time::{Duration, Instant};

use melodiasync::bridge::SourceState;
use melodiasync::eeg::sim::{Script, SimConfig};
use melodiasync::eeg::worker::{AnalysisConfig, Worker};
use melodiasync::eeg::SourceSpec;
use melodiasync::features::bands::ALPHA;

fn drain(out: &melodiasync::bridge::FrameConsumer) -> Vec<melodiasync::features::FeatureFrame> {
    let mut v = Vec::new();
    while let Some(f) = out.pop() {
        v.push(f);
    }
    v
}

#[test]
fn simulator_runs_in_real_time_and_sources_switch_without_restart() {
    let sim = SimConfig {
        channels: 4,
        rate: 128.0,
        script: Script::Steady,
        seed: 2,
        blinks: false,
        rhythm_gain: 1.0,
    };
    let (worker, out) = Worker::spawn(SourceSpec::Simulator(sim), AnalysisConfig::default());
    std::thread::sleep(Duration::from_millis(2500));
    let frames = drain(&out.monitor);
    // 2.5 s at 64 frames/s after a 1 s window: about 96 frames (real-time pace, not faster).
    let per_s = 1.0 / AnalysisConfig::default().hop_s;
    assert_eq!(per_s, 64.0);
    assert!(
        (70..=120).contains(&frames.len()),
        "{} frames",
        frames.len()
    );
    let s = worker.status();
    assert_eq!(s.state, SourceState::Connected);
    assert!(s.message.contains("Simulated"), "{}", s.message);
    assert_eq!(s.labels, ["Fp1", "Fp2", "F3", "F4"]);

    // Switch to a looping CSV recording: 10 Hz alpha on one channel.
    let dir = std::env::temp_dir().join(format!("melodiasync-worker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("alpha.csv");
    let mut text = String::from("Oz\n");
    for i in 0..256 {
        text += &format!(
            "{}\n",
            20.0 * (std::f64::consts::TAU * 10.0 * i as f64 / 256.0).sin()
        );
    }
    std::fs::write(&path, text).unwrap();
    worker.set_source(SourceSpec::File {
        path: path.clone(),
        looping: true,
        rate: Some(256.0),
        channels: Vec::new(),
        stream: None,
    });
    let start = Instant::now();
    while worker.status().labels != ["Oz"] && start.elapsed().as_secs() < 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    drain(&out.monitor);
    std::thread::sleep(Duration::from_millis(2500));
    let frames = drain(&out.monitor);
    assert!(
        frames.len() > 20,
        "looping recording delivered {} frames",
        frames.len()
    );
    assert!(frames.iter().all(|f| f.bands[ALPHA].rel > 0.95));

    // Without looping, a one-second recording ends and the status says so.
    worker.set_source(SourceSpec::File {
        path: path.clone(),
        looping: false,
        rate: Some(256.0),
        channels: Vec::new(),
        stream: None,
    });
    let start = Instant::now();
    while worker.status().state != SourceState::Stopped && start.elapsed().as_secs() < 4 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(worker.status().message, "The recording has ended.");

    // An unreadable file: an error sentence, no panic, the worker still answers.
    worker.set_source(SourceSpec::File {
        path: dir.join("missing.csv"),
        looping: false,
        rate: None,
        channels: Vec::new(),
        stream: None,
    });
    let start = Instant::now();
    while worker.status().state != SourceState::Error && start.elapsed().as_secs() < 3 {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        worker.status().message.contains("missing.csv"),
        "{:?}",
        worker.status()
    );
    let stopping = Instant::now();
    drop(worker);
    assert!(
        stopping.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        stopping.elapsed()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn calibration_records_a_baseline_from_the_live_source() {
    use melodiasync::features::baseline::FeatureId;
    use melodiasync::feedback::Condition;
    let sim = SimConfig {
        script: Script::Steady,
        blinks: false,
        rhythm_gain: 1.0,
        ..SimConfig::default()
    };
    let (worker, out) = Worker::spawn(SourceSpec::Simulator(sim), AnalysisConfig::default());
    // Let the first window fill, then record 5 s.
    std::thread::sleep(Duration::from_millis(1200));
    drain(&out.monitor);
    worker.calibrate(5.0, Condition::EyesOpen);
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut halfway = false;
    let status = loop {
        seen.extend(drain(&out.monitor));
        let c = worker.calibration();
        halfway |= c.running && c.progress > 0.3 && c.progress < 0.9;
        if !c.running && c.progress >= 1.0 {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "calibration stuck: {c:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(halfway, "progress was never reported part-way");
    let stats = status.result.expect("baseline");
    assert_eq!(status.condition, Some(Condition::EyesOpen));
    // 5 s at the worker's frame rate (64 per second).
    assert_eq!(
        stats.frames,
        (5.0 / AnalysisConfig::default().hop_s) as usize
    );
    // The baseline describes the frames the worker delivered meanwhile (the same stream).
    let alpha: Vec<f32> = seen.iter().map(|f| f.bands[ALPHA].rel).collect();
    let mean = alpha.iter().sum::<f32>() / alpha.len() as f32;
    let id = FeatureId::Rel(ALPHA as u8);
    let got = stats.mean[id.index().unwrap()];
    assert!(
        (got - mean).abs() < 0.05 * mean,
        "baseline {got} vs frames {mean}"
    );
    // A cancelled calibration leaves the last result alone.
    worker.calibrate(30.0, Condition::EyesClosed);
    std::thread::sleep(Duration::from_millis(300));
    worker.cancel_calibration();
    std::thread::sleep(Duration::from_millis(300));
    let c = worker.calibration();
    assert!(!c.running && c.message.contains("cancelled"), "{c:?}");
}

#[test]
fn the_montage_changes_without_restarting_the_source() {
    use melodiasync::features::bands::BETA;
    // A looping recording: 10 Hz alpha on O1, 20 Hz beta on C3.
    let dir = std::env::temp_dir().join(format!("melodiasync-montage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("two.csv");
    let mut text = String::from("O1,C3\n");
    for i in 0..512 {
        let t = i as f64 / 256.0;
        let tau = std::f64::consts::TAU;
        text += &format!(
            "{},{}\n",
            20.0 * (tau * 10.0 * t).sin(),
            20.0 * (tau * 20.0 * t).sin()
        );
    }
    std::fs::write(&path, text).unwrap();
    let spec = SourceSpec::File {
        path,
        looping: true,
        rate: Some(256.0),
        channels: Vec::new(),
        stream: None,
    };
    let only = |ch: &str| AnalysisConfig {
        montage: vec![ch.into()],
        ..AnalysisConfig::default()
    };
    let (worker, out) = Worker::spawn(spec, only("O1"));
    let settle = |out: &melodiasync::eeg::worker::WorkerOutputs| {
        std::thread::sleep(Duration::from_millis(1800));
        drain(&out.monitor);
        std::thread::sleep(Duration::from_millis(700));
        drain(&out.monitor)
    };
    let frames = settle(&out);
    assert!(!frames.is_empty() && frames.iter().all(|f| f.bands[ALPHA].rel > 0.95));
    let samples_before = worker.status().samples;
    worker.set_analysis(only("C3"));
    let frames = settle(&out);
    assert!(!frames.is_empty() && frames.iter().all(|f| f.bands[BETA].rel > 0.95));
    // Same source, still counting: it was not reopened.
    assert!(worker.status().samples > samples_before);
    // A channel the stream lacks: a sentence, no frames; a fitting montage recovers.
    worker.set_analysis(only("Q9"));
    std::thread::sleep(Duration::from_millis(300));
    let s = worker.status();
    assert_eq!(s.state, SourceState::Error);
    assert!(s.message.contains("Q9"), "{}", s.message);
    worker.set_analysis(only("O1"));
    let frames = settle(&out);
    assert_eq!(worker.status().state, SourceState::Connected);
    assert!(!frames.is_empty() && frames.iter().all(|f| f.bands[ALPHA].rel > 0.95));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_worker_follows_the_estimator_switch() {
    use melodiasync::features::extractor::Estimator;
    let sim = SimConfig {
        channels: 4,
        rate: 128.0,
        script: Script::Steady,
        seed: 3,
        blinks: false,
        rhythm_gain: 1.0,
    };
    let (worker, out) = Worker::spawn(SourceSpec::Simulator(sim), AnalysisConfig::default());
    let wait_frames = |what: &str, check: &dyn Fn(&melodiasync::features::FeatureFrame) -> bool| {
        let start = Instant::now();
        loop {
            if drain(&out.monitor).last().is_some_and(check) {
                return;
            }
            assert!(start.elapsed().as_secs() < 5, "no {what} frames");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // Quadrature frames carry their band filters' delays (alpha, 3rd-order Butterworth with
    // fc = 2.5 Hz / 1.047: 2/(2π·fc) = 133 ms); Welch frames half the 1 s window.
    let quadrature_alpha =
        |f: &melodiasync::features::FeatureFrame| (f.band_delay_s[ALPHA] - 0.1333).abs() < 0.005;
    wait_frames("quadrature", &quadrature_alpha);
    // What the plugin's audio thread does when the active program uses Welch.
    worker.estimator_switch().set(Estimator::Welch);
    wait_frames("Welch", &|f| f.band_delay_s[ALPHA] == 0.5);
    worker.estimator_switch().set(Estimator::Quadrature);
    wait_frames("quadrature again", &quadrature_alpha);
}

/// A recording's signals and stream chosen in the source (the editor's Channels and Stream
/// fields, saved with the project), its reader's warnings in the status, and its gaps played
/// as gaps: the EDF+D file's 9 s gap holds the frames back in real time.
#[test]
fn a_recording_source_reads_the_signals_and_stream_asked_for_and_plays_gaps_as_gaps() {
    let case = |n: &str| {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/recordings")
            .join(n)
    };
    let file = |name: &str, channels: &[&str], stream: Option<&str>| SourceSpec::File {
        path: case(name),
        looping: false,
        rate: None,
        channels: channels.iter().map(|s| s.to_string()).collect(),
        stream: stream.map(String::from),
    };
    let wait_for = |worker: &Worker, labels: &[&str]| {
        let start = Instant::now();
        while worker.status().labels != labels {
            assert!(start.elapsed().as_secs() < 5, "{:?}", worker.status());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let (worker, out) = Worker::spawn(
        file("10c-edf-eeg256-aux128.edf", &["EMG chin"], None),
        AnalysisConfig::default(),
    );
    wait_for(&worker, &["EMG chin"]);
    worker.set_source(file("28-xdf-two-eeg-streams.xdf", &[], Some("EEG115")));
    wait_for(&worker, &["O1", "O2", "Pz", "Cz"]);
    assert!(
        worker.status().message.contains("'EEG115'"),
        "{:?}",
        worker.status()
    );
    // 01: 3 s of alpha, a 9 s gap, 3 s of theta. After 5 s of playing, no theta yet.
    worker.set_source(file("01-edfplus-discontinuous.edf", &[], None));
    let start = Instant::now();
    while !worker
        .status()
        .name
        .ends_with("01-edfplus-discontinuous.edf")
    {
        assert!(start.elapsed().as_secs() < 5, "{:?}", worker.status());
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = worker.status();
    assert!(
        status.warnings.iter().any(|w| w.contains("9.00 s missing")),
        "{status:?}"
    );
    drain(&out.monitor);
    std::thread::sleep(Duration::from_millis(5000));
    let frames = drain(&out.monitor);
    assert!(frames.len() > 20, "{} frames", frames.len());
    assert!(
        frames.iter().all(|f| f.bands[ALPHA].rel > 0.9),
        "theta arrived before the gap had passed"
    );
}
