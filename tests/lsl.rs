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
    // Timestamps are local-clock times of the newest sample: recent and increasing by the hop
    // (the worker's default, 1/64 s: 4 samples at 256 Hz).
    let now = lsl::local_clock();
    assert!(now - last.time < 0.5, "frame is {} s old", now - last.time);
    let hop = (AnalysisConfig::default().hop_s * 256.0).round() as f64 / 256.0;
    for w in frames.windows(2) {
        assert!(
            (w[1].time - w[0].time - hop).abs() < 1e-3,
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

/// What the audio side saw while a stream came and went.
struct AudioTrace {
    /// (seconds since start, feedback engagement) per block.
    engagement: Vec<(f64, f32)>,
    /// Blocks rendered.
    blocks: usize,
    /// Every sample finite.
    finite: bool,
}

/// Plays the instrument core in real time on its own thread, fed by the worker's audio-side
/// frame queue exactly as `process()` is, until `stop`.
fn play(
    frames: melodiasync::bridge::FrameConsumer,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    start: Instant,
) -> std::thread::JoinHandle<AudioTrace> {
    std::thread::spawn(move || {
        let sr = 48_000.0;
        let block = 512;
        let mut engine = melodiasync::engine::Engine::new(sr);
        let mut controls = melodiasync::engine::Controls::default();
        controls.feedback.adaptive = false;
        let (mut l, mut r) = (vec![0.0; block], vec![0.0; block]);
        let mut trace = AudioTrace {
            engagement: Vec::new(),
            blocks: 0,
            finite: true,
        };
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            while let Some(f) = frames.pop() {
                engine.push_frame(&f, &controls);
            }
            engine.render(&controls, || None, &mut l, &mut r);
            trace.finite &= l.iter().chain(&r).all(|x| x.is_finite());
            trace.blocks += 1;
            let t = start.elapsed().as_secs_f64();
            trace
                .engagement
                .push((t, engine.feedback().snapshot().engagement));
            let due = trace.blocks as f64 * block as f64 / sr as f64;
            if due > t {
                std::thread::sleep(Duration::from_secs_f64(due - t));
            }
        }
        trace
    })
}

#[test]
fn a_vanished_stream_is_reported_lost_and_reconnects_within_two_seconds() {
    use melodiasync::feedback::{FADE_IN_S, FADE_OUT_S};
    let start = Instant::now();
    let first = spawn_outlet(
        "Comeback",
        "EEG-test-reconnect",
        &["O1", "O2"],
        256.0,
        "comeback-42",
        6.0,
        alpha_on_o1,
    );
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-reconnect"), AnalysisConfig::default());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let audio = play(out.audio, stop.clone(), start);
    assert!(wait_for(&worker, 5.0, |s| s.state == SourceState::Connected).is_some());
    first.join().unwrap();
    let gone = start.elapsed().as_secs_f64();
    assert!(
        wait_for(&worker, 3.0, |s| s.state == SourceState::Lost).is_some(),
        "{:?}",
        worker.status()
    );
    while out.monitor.pop().is_some() {}
    // Long enough without data for the sound to start gliding to neutral.
    std::thread::sleep(Duration::from_millis(5000));
    // The same source comes back: reconnection within 2 s of its reappearance.
    let back = Instant::now();
    let back_at = start.elapsed().as_secs_f64();
    let second = spawn_outlet(
        "Comeback",
        "EEG-test-reconnect",
        &["O1", "O2"],
        256.0,
        "comeback-42",
        6.0,
        alpha_on_o1,
    );
    let took = wait_for(&worker, 5.0, |s| {
        s.state == SourceState::Connected && s.reconnects == 1
    });
    assert!(took.is_some(), "{:?}", worker.status());
    let took = back.elapsed().as_secs_f64();
    assert!(took < 2.0, "reconnected after {took:.2} s");
    std::thread::sleep(Duration::from_millis(4500));
    let mut resumed = 0;
    while let Some(f) = out.monitor.pop() {
        assert!(f.bands.iter().all(|b| b.abs.is_finite()));
        resumed += 1;
    }
    assert!(resumed > 10, "frames did not resume ({resumed})");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let trace = audio.join().unwrap();
    let total = start.elapsed().as_secs_f64();

    // The audio never stopped and never went non-finite.
    assert!(trace.finite);
    let expected_blocks = total * 48_000.0 / 512.0;
    assert!(
        trace.blocks as f64 > 0.9 * expected_blocks,
        "{} blocks in {total:.1} s",
        trace.blocks
    );
    let at = |s: f64| {
        trace
            .engagement
            .iter()
            .find(|(t, _)| *t >= s)
            .map(|(_, e)| *e)
            .unwrap()
    };
    // Full feedback before the loss; held just after it; gliding toward neutral (not jumping)
    // during the gap; back to full after the reconnection.
    assert!(at(gone - 0.2) > 0.99, "{}", at(gone - 0.2));
    assert!(at(gone + 1.5) > 0.99, "not held: {}", at(gone + 1.5));
    let lowest = trace
        .engagement
        .iter()
        .filter(|(t, _)| *t > gone && *t < back_at + 1.0)
        .map(|(_, e)| *e)
        .fold(1.0f32, f32::min);
    assert!(lowest < 0.9 && lowest > 0.3, "lowest engagement {lowest}");
    assert!(trace.engagement.last().unwrap().1 > 0.99);
    // The fade runs on the audio clock: at most one block's worth of fade per block.
    let bound = (512.0 / 48_000.0) / FADE_IN_S.min(FADE_OUT_S) + 1e-4;
    for w in trace.engagement.windows(2) {
        assert!((w[1].1 - w[0].1).abs() <= bound, "jump at {}", w[1].0);
    }
    drop(worker);
    second.join().unwrap();
}

/// A 10 Hz, 30 µV rhythm pushed as integers of `format` on stream `name` (the value rounded,
/// then `push`ed) reads as alpha of the right power.
fn integer_stream_reads_alpha(
    format: ChannelFormat,
    name: &'static str,
    push: fn(&StreamOutlet, i64, f64),
) {
    let h = std::thread::spawn(move || {
        let outlet =
            StreamOutlet::new(&info("Int", name, &["O1"], 128.0, format, name), 0, 30).unwrap();
        let start = lsl::local_clock();
        let mut n = 0u64;
        while n < 128 * 4 {
            let due = ((lsl::local_clock() - start) * 128.0) as u64;
            while n < due {
                let v = (30.0 * (std::f64::consts::TAU * 10.0 * n as f64 / 128.0).sin()).round();
                push(&outlet, v as i64, start + n as f64 / 128.0);
                n += 1;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let (worker, out) = Worker::spawn(lsl_spec(name), AnalysisConfig::default());
    assert!(wait_for(&worker, 5.0, |s| s.state == SourceState::Connected).is_some());
    h.join().unwrap();
    let mut last = None;
    while let Some(f) = out.monitor.pop() {
        last = Some(f);
    }
    let f = last.unwrap_or_else(|| panic!("frames from {name}"));
    assert!(f.valid && f.bands[ALPHA].rel > 0.95, "{name}: {f:?}");
    assert!(
        (f.bands[ALPHA].abs - 450.0).abs() < 25.0,
        "{name}: {}",
        f.bands[ALPHA].abs
    );
    drop(worker);
}

#[test]
fn int16_int64_and_non_finite_samples_are_handled() {
    // int16: liblsl widens to int32, the worker converts to f32. int64: pulled as double on
    // every platform (the lsl crate has no i64 pull on Windows).
    integer_stream_reads_alpha(ChannelFormat::Int16, "EEG-test-int16", |o, v, t| {
        o.push_sample_ex(&vec![v as i16], t, true).unwrap()
    });
    // The lsl crate pushes no i64 on Windows either: the outlet converts doubles to its int64.
    integer_stream_reads_alpha(ChannelFormat::Int64, "EEG-test-int64", |o, v, t| {
        o.push_sample_ex(&vec![v as f64], t, true).unwrap()
    });

    // NaN, Inf and 1e30 on three channels, clean alpha on the fourth.
    let outlet = spawn_outlet(
        "Broken",
        "EEG-test-nonfinite",
        &["O1", "O2", "Pz", "Oz"],
        256.0,
        "broken",
        4.0,
        |c, t| match c {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => 1e30,
            _ => alpha_on_o1(0, t),
        },
    );
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-nonfinite"), AnalysisConfig::default());
    assert!(wait_for(&worker, 5.0, |s| s.state == SourceState::Connected).is_some());
    outlet.join().unwrap();
    let mut n = 0;
    while let Some(f) = out.monitor.pop() {
        n += 1;
        assert!(f.excluded.contains(0) && f.excluded.contains(1) && f.excluded.contains(2));
        assert!(f.valid && (f.quality - 0.25).abs() < 1e-6);
        assert!(f
            .bands
            .iter()
            .all(|b| b.abs.is_finite() && b.rel.is_finite() && b.db.is_finite()));
        assert!([f.theta_beta, f.alpha_theta, f.engagement, f.peak_alpha_hz]
            .iter()
            .all(|v| v.is_finite()));
    }
    assert!(n > 20);
}

#[test]
fn sixty_four_channels_at_1_khz_for_60_s_without_drops_or_growing_lag() {
    const CH: usize = 64;
    const RATE: f64 = 1000.0;
    const SECONDS: f64 = 60.0;
    let labels: Vec<String> = (0..CH).map(|i| format!("E{i}")).collect();
    let h = std::thread::spawn(move || {
        let refs: Vec<&str> = labels.iter().map(|s| s.as_str()).collect();
        let outlet = StreamOutlet::new(
            &info(
                "Load",
                "EEG-test-load",
                &refs,
                RATE,
                ChannelFormat::Float32,
                "load-64",
            ),
            0,
            30,
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(1500)); // let the worker connect first
        let start = lsl::local_clock();
        let mut n = 0u64;
        let mut sample = vec![0.0f32; CH];
        while (n as f64) < SECONDS * RATE {
            let due = (((lsl::local_clock() - start) * RATE) as u64).min((SECONDS * RATE) as u64);
            while n < due {
                for (c, s) in sample.iter_mut().enumerate() {
                    *s = (10.0 * (0.0628 * (n as f64) + c as f64).sin()) as f32;
                }
                outlet
                    .push_sample_ex(&sample, start + n as f64 / RATE, true)
                    .unwrap();
                n += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // Stay up while the test reads the final status: losing the stream would count.
        std::thread::sleep(Duration::from_millis(3000));
        n
    });
    let (worker, out) = Worker::spawn(lsl_spec("EEG-test-load"), AnalysisConfig::default());
    let mut lags = Vec::new();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < SECONDS + 1.0 {
        std::thread::sleep(Duration::from_millis(500));
        let s = worker.status();
        if s.state == SourceState::Connected && s.samples > 0 {
            lags.push(s.lag_ms);
        }
        while out.monitor.pop().is_some() {}
    }
    let expected = (SECONDS * RATE) as u64;
    assert!(
        wait_for(&worker, 2.0, |s| s.samples >= expected).is_some(),
        "{:?}",
        worker.status()
    );
    let s = worker.status();
    assert_eq!(s.samples, expected, "samples received vs sent ({s:?})");
    assert_eq!(s.dropouts, 0);
    assert_eq!(h.join().unwrap(), expected);
    let quarter = lags.len() / 4;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (early, late) = (mean(&lags[..quarter]), mean(&lags[lags.len() - quarter..]));
    assert!(
        late < 50.0 && late < early + 20.0,
        "lag early {early:.1} ms, late {late:.1} ms"
    );
}

/// The editor's "Find streams": the worker starts a search that runs beside its source, so
/// the source keeps streaming (no frame gap; a destroyed continuous resolver once stalled it 3 s), and reports the outlet with its name, type,
/// channel count, rate and source id.
#[test]
fn the_worker_finds_streams_without_pausing_its_source() {
    let outlet = spawn_outlet(
        "FindMe",
        "EEG-find-test",
        &["O1", "O2", "Pz"],
        128.0,
        "find-me-1",
        4.0,
        alpha_on_o1,
    );
    let sim = SourceSpec::Simulator(melodiasync::eeg::sim::SimConfig::default());
    let (worker, out) = Worker::spawn(sim, AnalysisConfig::default());
    // The simulator's frames are flowing before the search starts.
    let started = Instant::now();
    while out.audio.latest().is_none() {
        assert!(started.elapsed().as_secs() < 5, "no frames");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(worker.streams().is_none());
    worker.find_streams();
    let searched = Instant::now();
    let mut worst_gap = 0.0f64;
    let mut last = Instant::now();
    let found = loop {
        if out.audio.latest().is_some() {
            worst_gap = worst_gap.max(last.elapsed().as_secs_f64());
            last = Instant::now();
        }
        if let Some(rows) = worker.streams() {
            break rows;
        }
        assert!(
            searched.elapsed().as_secs() < 5,
            "the search never finished"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = searched.elapsed().as_secs_f64();
    eprintln!("stream search: {took:.2} s, largest frame gap {worst_gap:.3} s");
    // Frames come every 1/64 s; a worker blocked in a resolve would stall for a second.
    assert!(
        worst_gap < 0.25,
        "frames stalled for {worst_gap:.3} s during the search"
    );
    // The search's listening time, with room for a machine busy with other tests.
    assert!(took < 4.0, "the search took {took:.2} s");
    let row = found
        .iter()
        .find(|r| r.name == "FindMe")
        .unwrap_or_else(|| panic!("FindMe not among {found:?}"));
    assert_eq!(
        (
            row.stream_type.as_str(),
            row.channels,
            row.rate,
            row.source_id.as_str()
        ),
        ("EEG-find-test", 3, 128.0, "find-me-1")
    );
    drop(worker);
    outlet.join().unwrap();
}
