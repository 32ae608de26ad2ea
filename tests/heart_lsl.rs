//! The worker's heart inlet over a real liblsl loopback: an ECG stream and an irregular
//! RR-interval stream reach the feature frames within 5 s, with no EEG at all or beside a
//! simulated EEG; a stream that stops, a flat line, saturation and NaN each give a status
//! sentence and a hold while frames keep coming. (The pylsl peer is in
//! `tests/python/test_heart_lsl.py`.)

use std::time::{Duration, Instant};

use melodiasync::bridge::{SourceState, StopFlag};
use melodiasync::eeg::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use melodiasync::eeg::heart_source::HeartSource;
use melodiasync::eeg::outlet::{publish, publish_events, OutletSpec};
use melodiasync::eeg::sim::SimConfig;
use melodiasync::eeg::source::Generator;
use melodiasync::eeg::worker::{AnalysisConfig, Worker, WorkerOutputs};
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::heart::{HeartIssue, HeartKind};
use melodiasync::features::FeatureFrame;

/// A name no other test uses.
fn unique(what: &str) -> String {
    format!("ms-heart-{what}-{}", std::process::id())
}

/// Publishes `next` as a one-channel stream `name` of `kind` at `rate` on a thread, until
/// `stop`.
fn outlet(
    name: &str,
    kind: HeartKind,
    rate: f32,
    stop: &StopFlag,
    mut next: impl FnMut(&mut [f32]) -> bool + Send + 'static,
) -> std::thread::JoinHandle<u64> {
    let (name, stop) = (name.to_string(), stop.clone());
    std::thread::spawn(move || {
        let labels = vec![kind.name().to_string()];
        let spec = OutletSpec {
            name: &name,
            stream_type: kind.name(),
            source_id: &name,
            labels: &labels,
            rate,
            unit: "millivolts",
        };
        publish(&spec, Some(60.0), &stop, &mut next).unwrap()
    })
}

/// A worker with no EEG stream (one that never comes) and the heart from LSL stream `name`.
fn heart_worker(name: &str, kind: HeartKind) -> (Worker, WorkerOutputs) {
    let eeg = SourceSpec::lsl(LslProp::Name, unique("no-eeg"));
    let (worker, out) = Worker::spawn(eeg, AnalysisConfig::default());
    let mut heart = HeartSource::parse(&format!("lsl:name={name}"), kind).unwrap();
    heart.channel = Some("1".into());
    worker.set_heart(heart);
    (worker, out)
}

/// Frames until `done(frame)` or `limit`; returns the frames and the time it took.
fn until(
    out: &WorkerOutputs,
    limit: Duration,
    mut done: impl FnMut(&FeatureFrame) -> bool,
) -> (Vec<FeatureFrame>, Option<Duration>) {
    let start = Instant::now();
    let mut frames = Vec::new();
    while start.elapsed() < limit {
        while let Some(f) = out.monitor.pop() {
            frames.push(f);
            if done(&f) {
                return (frames, Some(start.elapsed()));
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (frames, None)
}

#[test]
fn an_ecg_stream_reaches_the_frames_within_5_s_and_a_stopped_one_holds_with_a_sentence() {
    let name = unique("ecg");
    let (worker, out) = heart_worker(&name, HeartKind::Ecg);
    let stop = StopFlag::default();
    let mut sim = CardiacSim::new(CardiacSimConfig::new(HeartKind::Ecg, HeartScript::Rest));
    let started = Instant::now();
    let sender = outlet(&name, HeartKind::Ecg, 250.0, &stop, move |b| {
        sim.next(b).is_some()
    });
    // From the inlet's first samples: the detector's 2 s learning phase, then the three
    // beats whose two agreeing intervals the correction needs.
    let (_, connected) = until(&out, Duration::from_secs(8), |_| {
        worker.heart_status().source.state == SourceState::Connected
    });
    assert!(connected.is_some(), "{:?}", worker.heart_status());
    let fed = Instant::now();
    let (frames, took) = until(&out, Duration::from_secs(8), |f| f.heart.hr_valid);
    assert!(took.is_some(), "no HR in 8 s: {:?}", worker.heart_status());
    assert!(
        fed.elapsed() < Duration::from_secs(5),
        "HR {:?} after the stream reached the inlet ({:?} after the outlet started)",
        fed.elapsed(),
        started.elapsed()
    );
    let f = frames.last().unwrap();
    // The simulator's heart beats at 66 bpm at rest (±RSA).
    assert!((f.heart.hr_bpm - 66.0).abs() < 8.0, "{:?}", f.heart);
    // No EEG: heart-only frames, their EEG part invalid.
    assert!(!f.valid);
    let st = worker.heart_status();
    assert_eq!(st.source.state, SourceState::Connected);
    assert!(st.source.message.contains(&name), "{}", st.source.message);

    // The stream stops: frames keep coming, the heart holds and says why.
    std::thread::sleep(Duration::from_secs(3));
    stop.stop();
    sender.join().unwrap();
    // Lost after 0.6 s without samples (the analysis starts afresh for the next
    // connection), or, had it lingered, no beat for 3 s: either way the heart holds.
    let (frames, took) = until(&out, Duration::from_secs(6), |f| {
        matches!(f.heart.issue, HeartIssue::NoBeats | HeartIssue::NoSignal)
    });
    assert!(took.is_some(), "{:?}", frames.last().map(|f| f.heart));
    let held = frames.last().unwrap().heart;
    assert!(!held.valid && !held.hr_valid && !held.issue.sentence().is_empty());
    let start = Instant::now();
    while worker.heart_status().source.state != SourceState::Lost && start.elapsed().as_secs() < 3 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = worker.heart_status();
    assert_eq!(st.source.state, SourceState::Lost, "{st:?}");
    assert!(
        st.source.message.contains("the heart features hold"),
        "{}",
        st.source.message
    );
    // Frames keep coming (held) while the inlet searches for the stream again.
    let (frames, _) = until(&out, Duration::from_millis(500), |_| false);
    assert!(frames.len() >= 5, "{} frames in 0.5 s", frames.len());
}

#[test]
fn an_irregular_rr_stream_gives_hr_from_its_intervals_within_5_s() {
    let name = unique("rr");
    let (worker, out) = heart_worker(&name, HeartKind::Rr);
    let stop = StopFlag::default();
    let script = HeartScript::Paced(6.0);
    let truth: Vec<f32> = {
        let mut s = CardiacSim::new(CardiacSimConfig::new(HeartKind::Rr, script));
        let mut x = [0.0];
        (0..40)
            .map(|_| {
                s.next(&mut x);
                x[0]
            })
            .collect()
    };
    let started = Instant::now();
    let sender = {
        let (name, stop) = (name.clone(), stop.clone());
        std::thread::spawn(move || {
            let labels = vec!["RR".to_string()];
            let spec = OutletSpec {
                name: &name,
                stream_type: "RR",
                source_id: &name,
                labels: &labels,
                rate: 0.0,
                unit: "ms",
            };
            let mut sim = CardiacSim::new(CardiacSimConfig::new(HeartKind::Rr, script));
            publish_events(&spec, Some(30.0), &stop, &mut sim).unwrap()
        })
    };
    let (frames, took) = until(&out, Duration::from_secs(8), |f| f.heart.hr_valid);
    assert!(took.is_some(), "no HR in 8 s: {:?}", worker.heart_status());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Every HR the frames show is one of the intervals sent.
    let (more, _) = until(&out, Duration::from_secs(4), |_| false);
    for f in frames.iter().chain(&more).filter(|f| f.heart.hr_valid) {
        let ms = 60_000.0 / f.heart.hr_bpm;
        assert!(
            truth.iter().any(|t| (t - ms).abs() < 0.01),
            "{ms} ms is not an interval sent"
        );
    }
    let st = worker.heart_status();
    assert!(
        st.source.message.contains("one sample per event"),
        "{}",
        st.source.message
    );
    stop.stop();
    sender.join().unwrap();
}

#[test]
fn flat_saturated_and_nan_heart_streams_hold_with_their_sentences() {
    let rate = 250.0;
    for (what, issue, make) in [
        ("flat", HeartIssue::Flat, 0usize),
        ("nan", HeartIssue::NonFinite, 1),
        ("clipped", HeartIssue::Saturated, 2),
    ] {
        let name = unique(what);
        let (worker, out) = heart_worker(&name, HeartKind::Ecg);
        let stop = StopFlag::default();
        let mut sim = CardiacSim::new(CardiacSimConfig::new(HeartKind::Ecg, HeartScript::Rest));
        let sender = outlet(&name, HeartKind::Ecg, rate, &stop, move |b| {
            sim.next(b);
            b[0] = match make {
                0 => 0.42,
                1 => f32::NAN,
                _ => b[0].clamp(-0.03, 0.03),
            };
            true
        });
        let (frames, took) = until(&out, Duration::from_secs(8), |f| f.heart.issue == issue);
        assert!(
            took.is_some(),
            "{what}: {:?} / {:?} / {} frames",
            frames.last().map(|f| f.heart.issue),
            worker.heart_status(),
            frames.len()
        );
        let h = frames.last().unwrap().heart;
        assert!(!h.valid && !h.hr_valid, "{what}");
        // The status follows within its 20 ms publication.
        let start = Instant::now();
        while !worker.heart_status().sentence().contains(issue.sentence())
            && start.elapsed() < Duration::from_secs(1)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let st = worker.heart_status().sentence();
        assert!(st.contains(issue.sentence()), "{what}: {st}");
        stop.stop();
        sender.join().unwrap();
    }
}

#[test]
fn eeg_frames_carry_the_heart_beside_them() {
    let sim = SimConfig {
        channels: 4,
        rate: 128.0,
        ..SimConfig::default()
    };
    let (worker, out) = Worker::spawn(SourceSpec::Simulator(sim), AnalysisConfig::default());
    worker.set_heart(HeartSource::parse("sim", HeartKind::Ecg).unwrap());
    let (frames, took) = until(&out, Duration::from_secs(8), |f| {
        f.valid && f.heart.hr_valid
    });
    assert!(took.is_some(), "{:?}", frames.last());
    // With EEG flowing there are no heart-only frames: every frame is an EEG frame.
    let (more, _) = until(&out, Duration::from_secs(1), |_| false);
    assert!(more.len() > 40 && more.iter().all(|f| f.valid && f.heart.present()));
    // Switching the heart off leaves the EEG as it was.
    worker.set_heart(HeartSource::OFF);
    std::thread::sleep(Duration::from_millis(300));
    // What was queued before the switch.
    while out.monitor.pop().is_some() {}
    let (more, _) = until(&out, Duration::from_secs(1), |_| false);
    let present: Vec<(bool, bool, HeartIssue)> = more
        .iter()
        .filter(|f| !f.valid || f.heart.present())
        .map(|f| (f.valid, f.heart.hr_valid, f.heart.issue))
        .collect();
    assert!(
        more.len() > 40 && present.is_empty(),
        "{} {present:?}",
        more.len()
    );
}
