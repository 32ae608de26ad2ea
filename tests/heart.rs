//! The heart in the feedback loop, end to end through the renderer: a heart input (the heart
//! simulator, or a recording file) paced by the audio clock, its features in every frame,
//! the heart programs scoring them, the session log's heart columns, and bad cardiac input
//! holding with a sentence while the audio goes on. Expected values come from the
//! simulator's own beats, not from the analysis under test.

use melodiasync::bridge::FeedbackRecord;
use melodiasync::eeg::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use melodiasync::eeg::heart_input::HeartInput;
use melodiasync::eeg::source::Generator;
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::engine::Controls;
use melodiasync::features::baseline::HeartFeature;
use melodiasync::features::heart::{HeartIssue, HeartKind};
use melodiasync::feedback::program::ProgramKind;
use melodiasync::render::{render_traced, EegInput, EegJob, RenderJob, RenderReport, TraceEvent};

/// Renders `seconds` of `program` with `eeg` and `heart` (`audio`: run the synth too) and
/// returns every scored record, the report and the left channel.
fn run(
    eeg: EegInput,
    heart: Option<HeartInput>,
    program: ProgramKind,
    seconds: f64,
    audio: bool,
    log: Option<std::path::PathBuf>,
) -> (Vec<FeedbackRecord>, RenderReport, Vec<f32>) {
    let mut controls = Controls {
        program,
        ..Controls::default()
    };
    controls.feedback.adaptive = false;
    let job = RenderJob {
        eeg: Some(EegJob {
            input: eeg,
            analysis: AnalysisConfig::default(),
            log,
            heart,
        }),
        audio,
        ..RenderJob::new(controls, seconds)
    };
    let mut records = Vec::new();
    let mut left = Vec::new();
    let report = render_traced::<std::convert::Infallible>(
        &job,
        |l, _| {
            left.extend_from_slice(l);
            Ok(())
        },
        |e| {
            if let TraceEvent::Frame(r) = e {
                records.push(**r);
            }
        },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    (records, report, left)
}

fn sim(kind: HeartKind, script: HeartScript) -> HeartInput {
    HeartInput::Simulator(CardiacSimConfig::new(kind, script))
}

/// The simulator's own intervals (ms) and the times they end, up to `seconds` (every kind
/// of the simulator draws its beats from the same clock).
fn true_intervals(script: HeartScript, seconds: f64) -> Vec<(f64, f64)> {
    let mut s = CardiacSim::new(CardiacSimConfig::new(HeartKind::Rr, script));
    let mut x = [0.0f32];
    std::iter::from_fn(|| s.next(&mut x).map(|t| (t, x[0] as f64)))
        .take_while(|(t, _)| *t <= seconds)
        .collect()
}

/// RMSSD and mean HR of the intervals ending in the 60 s before `end`.
fn reference(intervals: &[(f64, f64)], end: f64) -> (f64, f64) {
    let w: Vec<f64> = intervals
        .iter()
        .filter(|(t, _)| *t <= end && end - *t < 60.0)
        .map(|(_, ms)| *ms)
        .collect();
    let d2: f64 = w.windows(2).map(|p| (p[1] - p[0]).powi(2)).sum();
    let rmssd = (d2 / (w.len() - 1) as f64).sqrt();
    let mean_hr = 60_000.0 / (w.iter().sum::<f64>() / w.len() as f64);
    (rmssd, mean_hr)
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn heart_alone_drives_resonance_breathing_and_its_numbers_match_the_beats() {
    let dir = std::env::temp_dir().join(format!("ms-heart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("heart.csv");
    let script = HeartScript::Resonance;
    let (records, report, _) = run(
        EegInput::None,
        Some(sim(HeartKind::Ecg, script)),
        ProgramKind::ResonanceBreathing,
        300.0,
        false,
        Some(log.clone()),
    );
    assert!(
        report
            .eeg_notes
            .iter()
            .any(|n| n.contains("heart simulator")),
        "{:?}",
        report.eeg_notes
    );
    // Frames come on the live hop without EEG; their EEG part is invalid.
    assert!(records.len() > 300 * 60, "{}", records.len());
    assert!(records.iter().all(|r| !r.frame.valid));
    // HR reaches the features within 5 s of the signal's start.
    let first_hr = records
        .iter()
        .find(|r| HeartFeature::HrBpm.available(&r.frame.heart))
        .map(|r| r.frame.time)
        .unwrap();
    assert!(first_hr < 5.0, "HR first at {first_hr:.2} s");
    // The last frame against the simulator's own beats (the ECG detector's timing is the
    // only difference).
    let last = records.last().unwrap();
    let h = last.frame.heart;
    assert!(h.valid && h.spectral_valid, "{h:?}");
    let truth = true_intervals(script, 300.0);
    let (rmssd, mean_hr) = reference(&truth, h.beat_time + 0.05);
    assert!(
        rel_err(h.rmssd_ms as f64, rmssd) < 0.03,
        "{} vs {rmssd}",
        h.rmssd_ms
    );
    assert!(
        rel_err(h.mean_hr_bpm as f64, mean_hr) < 0.01,
        "{} vs {mean_hr}",
        h.mean_hr_bpm
    );
    // The script breathes at 6 per minute from minute 3.
    assert!(
        (h.breath_rate_bpm - 6.0).abs() < 0.5,
        "{}",
        h.breath_rate_bpm
    );
    // Once the spectral window is full, the program scores every frame: nothing missing.
    let scored: Vec<&FeedbackRecord> = records.iter().filter(|r| r.frame.time > 80.0).collect();
    assert!(scored
        .iter()
        .all(|r| !r.feedback.held && r.feedback.missing == Default::default()));
    assert!(scored.iter().all(|r| r.feedback.reward.is_finite()));
    // Before it, the coherence term had nothing: held, and said so.
    let early = records.iter().find(|r| r.frame.time > 2.0).unwrap();
    assert!(early.feedback.held && early.feedback.missing.heart);
    assert!(early
        .feedback
        .missing
        .sentence()
        .contains("No usable heart signal"));

    // The log's heart columns hold what the frames held (NaN while not valid).
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), records.len());
    for (row, r) in rows.iter().zip(&records) {
        for (name, f) in [
            ("hr_bpm", HeartFeature::HrBpm),
            ("rmssd_ms", HeartFeature::RmssdMs),
            ("hf_ms2", HeartFeature::HfMs2),
            ("coherence", HeartFeature::Coherence),
            ("breath_rate_bpm", HeartFeature::BreathRateBpm),
        ] {
            let cell: f64 = row[col(name)].parse().unwrap();
            if f.available(&r.frame.heart) {
                let want = f.of(&r.frame.heart) as f64;
                assert!((cell - want).abs() <= 1e-4 * want.abs().max(1.0), "{name}");
            } else {
                assert!(cell.is_nan(), "{name} should be NaN at {}", r.frame.time);
            }
        }
    }
    // The summary: the breathing slowed from 12 to 6 per minute, and RMSSD rose with it.
    let heart = report.session.unwrap().heart.unwrap();
    assert!(heart.valid_s > 280.0, "{}", heart.valid_s);
    let br = heart.breath_rate_bpm.unwrap();
    assert!(br.start_mean > br.end_mean + 3.0, "{br:?}");
    let rmssd = heart.rmssd_ms.unwrap();
    assert!(rmssd.end_mean > rmssd.start_mean, "{heart:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_rr_stream_gives_the_same_numbers_as_its_intervals() {
    let script = HeartScript::Paced(6.0);
    let (records, _, _) = run(
        EegInput::None,
        Some(sim(HeartKind::Rr, script)),
        ProgramKind::ResonanceBreathing,
        120.0,
        false,
        None,
    );
    let truth = true_intervals(script, 120.0);
    let first_hr = records
        .iter()
        .find(|r| HeartFeature::HrBpm.available(&r.frame.heart))
        .unwrap();
    assert!(first_hr.frame.time < 5.0);
    for r in records
        .iter()
        .filter(|r| r.frame.heart.valid && r.frame.time > 60.0)
    {
        let h = r.frame.heart;
        let (rmssd, mean_hr) = reference(&truth, h.beat_time + 1e-6);
        assert!(
            rel_err(h.rmssd_ms as f64, rmssd) < 0.005,
            "{} vs {rmssd}",
            h.rmssd_ms
        );
        assert!(rel_err(h.mean_hr_bpm as f64, mean_hr) < 0.002);
        // HR is the newest interval's.
        let newest = truth
            .iter()
            .rev()
            .find(|(t, _)| *t <= h.beat_time + 1e-6)
            .unwrap();
        assert!(rel_err(h.hr_bpm as f64, 60_000.0 / newest.1) < 1e-3);
    }
}

#[test]
fn calm_body_and_mind_works_with_eeg_heart_or_both_and_says_what_is_missing() {
    let kind = ProgramKind::CalmBodyAndMind;
    let heart = || Some(sim(HeartKind::Ecg, HeartScript::Rest));
    let eeg = || EegInput::parse("sim:calm").unwrap();
    let cases = [
        ("EEG only", eeg(), None, (false, true), "EEG alone"),
        (
            "heart only",
            EegInput::None,
            heart(),
            (true, false),
            "heart alone",
        ),
        ("both", eeg(), heart(), (false, false), ""),
    ];
    for (what, eeg, heart, (no_eeg, no_heart), says) in cases {
        let (records, report, _) = run(eeg, heart, kind, 40.0, false, None);
        let late: Vec<&FeedbackRecord> = records.iter().filter(|r| r.frame.time > 20.0).collect();
        assert!(!late.is_empty(), "{what}");
        for r in &late {
            let m = r.feedback.missing;
            assert_eq!(
                (m.eeg, m.heart, m.held),
                (no_eeg, no_heart, false),
                "{what}"
            );
            assert!(m.sentence().contains(says), "{what}: {}", m.sentence());
            assert!(r.feedback.reward.is_finite());
        }
        assert!(report.session.unwrap().held_frames < records.len() as u64 / 2);
    }
    // A heart program without a heart holds, and says so.
    let (records, _, _) = run(
        eeg(),
        None,
        ProgramKind::ResonanceBreathing,
        10.0,
        false,
        None,
    );
    let last = records.last().unwrap().feedback;
    assert!(last.held && last.missing.heart);
    assert_eq!(
        last.missing.sentence(),
        "No usable heart signal: the feedback holds."
    );
}

/// Writes `samples` at `rate` Hz as a one-column CSV named ECG.
fn write_csv(path: &std::path::Path, samples: &[f32]) {
    let mut text = String::from("ECG\n");
    for x in samples {
        if x.is_nan() {
            text.push_str("nan\n");
        } else {
            text.push_str(&format!("{x}\n"));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn bad_cardiac_input_holds_with_a_sentence_and_the_audio_goes_on() {
    // A clean simulated ECG with a flat stretch, a NaN stretch and a clipped stretch, then
    // the recording stops.
    let rate = 250.0;
    let mut sim = CardiacSim::new(CardiacSimConfig::new(HeartKind::Ecg, HeartScript::Rest));
    let mut x = [0.0f32];
    let n = (150.0 * rate) as usize;
    let mut ecg: Vec<f32> = (0..n)
        .map(|_| {
            sim.next(&mut x);
            x[0]
        })
        .collect();
    let span = |a: f64, b: f64| (a * rate) as usize..(b * rate) as usize;
    let (flat, nan, clipped) = ((30.0, 40.0), (70.0, 80.0), (110.0, 120.0));
    ecg[span(flat.0, flat.1)].fill(0.12);
    ecg[span(nan.0, nan.1)].fill(f32::NAN);
    for v in &mut ecg[span(clipped.0, clipped.1)] {
        *v = v.clamp(-0.03, 0.03);
    }
    let dir = std::env::temp_dir().join(format!("ms-heart-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ecg.csv");
    write_csv(&path, &ecg);
    let input = HeartInput::parse(
        path.to_str().unwrap(),
        HeartKind::Ecg,
        None,
        Some(rate as f32),
        None,
    )
    .unwrap();
    let (records, report, left) = run(
        EegInput::None,
        Some(input),
        ProgramKind::ResonanceBreathing,
        165.0,
        true,
        None,
    );
    let during = |(a, b): (f64, f64)| {
        records
            .iter()
            .filter(move |r| r.frame.time > a + 1.5 && r.frame.time < b)
    };
    for (window, issue) in [
        (flat, HeartIssue::Flat),
        (nan, HeartIssue::NonFinite),
        (clipped, HeartIssue::Saturated),
        ((154.0, 165.0), HeartIssue::NoBeats),
    ] {
        for r in during(window) {
            let h = r.frame.heart;
            assert_eq!(h.issue, issue, "at {:.2} s", r.frame.time);
            assert!(!h.valid && !h.hr_valid && !h.issue.sentence().is_empty());
            assert!(
                r.feedback.held && r.feedback.missing.heart,
                "at {}",
                r.frame.time
            );
        }
    }
    // Between the bad stretches the heart comes back.
    assert!(records
        .iter()
        .any(|r| r.frame.time > 50.0 && r.frame.time < 70.0 && r.frame.heart.hr_valid));
    assert!(
        report
            .eeg_notes
            .iter()
            .any(|n| n.contains("heart recording ends at 150.0 s")),
        "{:?}",
        report.eeg_notes
    );
    // The audio never stopped: finite, and sounding in every second.
    assert!(report.all_finite);
    for (k, second) in left.chunks(48_000).enumerate() {
        let rms = (second.iter().map(|v| v * v).sum::<f32>() / second.len() as f32).sqrt();
        assert!(rms > 1e-4, "silent in second {k}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn resonance_breathing_turns_the_pacer_on_and_it_glides_from_the_measured_breath() {
    let mut controls = Controls {
        program: ProgramKind::ResonanceBreathing,
        ..Controls::default()
    };
    assert!(!controls.settings.pacer, "the pacer parameter stays off");
    controls.feedback.pacer_glide = true;
    let job = RenderJob {
        eeg: Some(EegJob {
            input: EegInput::None,
            analysis: AnalysisConfig::default(),
            log: None,
            heart: Some(sim(HeartKind::Rr, HeartScript::Rest)),
        }),
        audio: false,
        ..RenderJob::new(controls, 420.0)
    };
    let mut records = Vec::new();
    render_traced::<std::convert::Infallible>(
        &job,
        |_, _| Ok(()),
        |e| {
            if let TraceEvent::Frame(r) = e {
                records.push(**r);
            }
        },
    )
    .unwrap();
    // Until a breathing rate is measured the pacer plays its own rate.
    let first = records
        .iter()
        .position(|r| r.frame.heart.spectral_valid)
        .unwrap();
    assert!(records[..first].iter().all(|r| r.pacer_bpm == 6.0));
    // Then it starts from the listener's rate (about 12 a minute at rest)...
    let start = records[first];
    let measured = start.frame.heart.breath_rate_bpm;
    assert!((measured - 12.0).abs() < 3.0, "{measured}");
    assert!(
        (start.pacer_bpm - measured).abs() < 1e-3,
        "{}",
        start.pacer_bpm
    );
    // ...and slows by 2 a minute per minute to the pacer's 6.
    let rate = melodiasync::feedback::PACER_GLIDE_PER_MIN;
    for r in &records[first..] {
        let elapsed = (r.audio_time - start.audio_time) as f32 / 60.0;
        let want = (measured - rate * elapsed).max(6.0);
        assert!(
            (r.pacer_bpm - want).abs() < 0.02,
            "{} vs {want} after {elapsed} min",
            r.pacer_bpm
        );
    }
    assert_eq!(records.last().unwrap().pacer_bpm, 6.0);
    // A program without the pacer: off.
    let calm = RenderJob {
        eeg: Some(EegJob {
            input: EegInput::None,
            analysis: AnalysisConfig::default(),
            log: None,
            heart: None,
        }),
        audio: false,
        ..RenderJob::new(Controls::default(), 2.0)
    };
    let mut off = Vec::new();
    render_traced::<std::convert::Infallible>(
        &calm,
        |_, _| Ok(()),
        |e| {
            if let TraceEvent::Frame(r) = e {
                off.push(r.pacer_bpm);
            }
        },
    )
    .unwrap();
    assert!(!off.is_empty() && off.iter().all(|b| *b == 0.0));
}
