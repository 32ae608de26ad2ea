//! The EEG worker against real liblsl on this machine: a Rust outlet on another thread, bad
//! streams, and a stream that vanishes and comes back. Every test uses its own stream type, so
//! tests running in parallel never see each other's outlets.

use std::time::{Duration, Instant};

use lsl::{ChannelFormat, ExPushable, StreamInfo, StreamOutlet};
use melodiasync::bridge::SourceState;
use melodiasync::eeg::worker::{AnalysisConfig, Worker};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::bands::{ALPHA, BETA};
use melodiasync::features::FeatureFrame;

/// Stream info with channel labels in the standard description.
fn info(
    name: &str,
    stype: &str,
    labels: &[&str],
    rate: f64,
    format: ChannelFormat,
    source_id: &str,
) -> StreamInfo {
    let mut info =
        StreamInfo::new(name, stype, labels.len() as u32, rate, format, source_id).unwrap();
    let mut chans = info.desc().append_child("channels");
    for l in labels {
        let mut ch = chans.append_child("channel");
        ch.append_child_value("label", l);
        ch.append_child_value("unit", "microvolts");
    }
    info
}

/// Runs an outlet on its own thread for `seconds`, pushing `f(channel, t)` at `rate` in real
/// time (chunks of 8 samples with explicit timestamps).
fn spawn_outlet(
    name: &'static str,
    stype: &'static str,
    labels: &'static [&'static str],
    rate: f64,
    source_id: &'static str,
    seconds: f64,
    f: fn(usize, f64) -> f32,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let outlet = StreamOutlet::new(
            &info(name, stype, labels, rate, ChannelFormat::Float32, source_id),
            0,
            30,
        )
        .unwrap();
        let start = lsl::local_clock();
        let mut n = 0u64;
        while (n as f64) / rate < seconds {
            let due = ((lsl::local_clock() - start) * rate) as u64;
            while n < due {
                let t = n as f64 / rate;
                let sample: Vec<f32> = (0..labels.len()).map(|c| f(c, t)).collect();
                outlet.push_sample_ex(&sample, start + t, true).unwrap();
                n += 1;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

fn lsl_spec(stype: &str) -> SourceSpec {
    SourceSpec::Lsl {
        prop: LslProp::Type,
        value: stype.into(),
    }
}

/// Waits until `cond(status)` or `timeout`; returns the time it took.
fn wait_for(
    worker: &Worker,
    timeout: f64,
    cond: impl Fn(&melodiasync::bridge::SourceStatus) -> bool,
) -> Option<f64> {
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < timeout {
        if cond(&worker.status()) {
            return Some(start.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn alpha_on_o1(c: usize, t: f64) -> f32 {
    let tau = std::f64::consts::TAU;
    match c {
        0 => (20.0 * (tau * 10.0 * t).sin()) as f32,
        _ => (20.0 * (tau * 20.0 * t).sin()) as f32,
    }
}

#[test]
fn rust_outlet_to_worker_frames_with_labels_values_and_timestamps() {
    let outlet = spawn_outlet(
        "RustAlpha",
        "EEG-test-basic",
        &["O1", "C3"],
        256.0,
        "rust-alpha-1",
        6.0,
        alpha_on_o1,
    );
    let analysis = AnalysisConfig {
        montage: vec!["O1".into()],
        ..Default::default()
    };
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-basic"), analysis);
    assert!(
        wait_for(&worker, 5.0, |s| s.state == SourceState::Connected).is_some(),
        "{:?}",
        worker.status()
    );
    let status = worker.status();
    assert_eq!(status.labels, ["O1", "C3"]);
    assert_eq!(status.name, "RustAlpha");
    assert_eq!(status.nominal_rate, 256.0);
    std::thread::sleep(Duration::from_millis(2500));
    let mut frames: Vec<FeatureFrame> = Vec::new();
    while let Some(f) = out.monitor.pop() {
        frames.push(f);
    }
    assert!(frames.len() > 20, "{} frames", frames.len());
    let last = frames.last().unwrap();
    // Montage = O1: the 10 Hz sine is alpha; C3's 20 Hz beta is not in the montage.
    assert!(
        last.valid && last.bands[ALPHA].rel > 0.95,
        "{:?}",
        last.bands[ALPHA]
    );
    assert!(last.bands[BETA].rel < 0.05);
    assert!(
        (last.bands[ALPHA].abs - 200.0).abs() < 10.0,
        "{}",
        last.bands[ALPHA].abs
    );
    // Timestamps are local-clock times of the newest sample: recent and increasing by the hop.
    let now = lsl::local_clock();
    assert!(now - last.time < 0.5, "frame is {} s old", now - last.time);
    for w in frames.windows(2) {
        assert!(
            (w[1].time - w[0].time - 8.0 / 256.0).abs() < 1e-3,
            "{} -> {}",
            w[0].time,
            w[1].time
        );
    }
    let s = worker.status();
    assert!(s.samples > 500 && s.lag_ms < 200.0, "{s:?}");
    drop(worker);
    outlet.join().unwrap();
}

#[test]
fn string_and_irregular_streams_are_refused_with_a_sentence() {
    let h = std::thread::spawn(|| {
        let strings = StreamOutlet::new(
            &info(
                "Markers",
                "EEG-test-strings",
                &["m"],
                100.0,
                ChannelFormat::String,
                "s1",
            ),
            0,
            30,
        )
        .unwrap();
        let irregular = StreamOutlet::new(
            &info(
                "Irregular",
                "EEG-test-irregular",
                &["a"],
                0.0,
                ChannelFormat::Float32,
                "i1",
            ),
            0,
            30,
        )
        .unwrap();
        std::thread::sleep(Duration::from_secs(5));
        drop((strings, irregular));
    });
    for (stype, phrase) in [
        ("EEG-test-strings", "string"),
        ("EEG-test-irregular", "irregular"),
    ] {
        let (worker, _) = Worker::spawn(lsl_spec(stype), AnalysisConfig::default());
        assert!(
            wait_for(&worker, 4.0, |s| s.state == SourceState::Error
                && s.message.contains(phrase))
            .is_some(),
            "{stype}: {:?}",
            worker.status()
        );
    }
    h.join().unwrap();
}

#[test]
fn a_montage_the_stream_lacks_gets_a_status_sentence() {
    let outlet = spawn_outlet(
        "TwoCh",
        "EEG-test-montage",
        &["O1", "O2"],
        128.0,
        "two-ch",
        3.0,
        alpha_on_o1,
    );
    let analysis = AnalysisConfig {
        montage: vec!["Fp1".into(), "Fp2".into()],
        ..Default::default()
    };
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-montage"), analysis);
    assert!(
        wait_for(&worker, 5.0, |s| s.state == SourceState::Error
            && s.message.contains("montage"))
        .is_some(),
        "{:?}",
        worker.status()
    );
    assert!(
        out.monitor.pop().is_none(),
        "no frames from a stream the montage does not fit"
    );
    drop(worker);
    outlet.join().unwrap();
}

#[test]
fn a_vanished_stream_is_reported_lost_and_reconnects_within_two_seconds() {
    let first = spawn_outlet(
        "Comeback",
        "EEG-test-reconnect",
        &["O1", "O2"],
        256.0,
        "comeback-42",
        2.5,
        alpha_on_o1,
    );
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-reconnect"), AnalysisConfig::default());
    assert!(wait_for(&worker, 5.0, |s| s.state == SourceState::Connected).is_some());
    first.join().unwrap();
    assert!(
        wait_for(&worker, 3.0, |s| s.state == SourceState::Lost).is_some(),
        "{:?}",
        worker.status()
    );
    while out.monitor.pop().is_some() {}
    // The same source comes back: reconnection within 2 s of its reappearance.
    let back = Instant::now();
    let second = spawn_outlet(
        "Comeback",
        "EEG-test-reconnect",
        &["O1", "O2"],
        256.0,
        "comeback-42",
        4.0,
        alpha_on_o1,
    );
    let took = wait_for(&worker, 5.0, |s| {
        s.state == SourceState::Connected && s.reconnects == 1
    });
    assert!(took.is_some(), "{:?}", worker.status());
    let took = back.elapsed().as_secs_f64();
    assert!(took < 2.0, "reconnected after {took:.2} s");
    std::thread::sleep(Duration::from_millis(1500));
    let mut resumed = 0;
    while let Some(f) = out.monitor.pop() {
        assert!(f.bands.iter().all(|b| b.abs.is_finite()));
        resumed += 1;
    }
    assert!(resumed > 10, "frames did not resume ({resumed})");
    drop(worker);
    second.join().unwrap();
}
