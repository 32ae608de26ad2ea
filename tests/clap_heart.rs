//! The heart inside the built `.clap`, through the real CLAP ABI and a real liblsl loopback:
//! the project's heart source (saved state) is an LSL ECG stream, the EEG stream never comes,
//! and the plugin's own features outlet (`MelodiaSync-Features`, read here by an LSL inlet)
//! shows the heart rate within 5 s of the plugin starting and Calm body and mind scoring it
//! from the heart alone, while the audio plays on. Its own test binary, so the plugin's
//! features outlet is the only one of this process.

mod support;

use std::time::Instant;

use melodiasync::bridge::StopFlag;
use melodiasync::eeg::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use melodiasync::eeg::heart_source::HeartSource;
use melodiasync::eeg::outlet::{publish, OutletSpec};
use melodiasync::eeg::source::Generator;
use melodiasync::eeg::{LslProp, SourceSpec};
use melodiasync::features::heart::HeartKind;
use melodiasync::session::LABELS;
use support::clap_harness::*;

const SR: f64 = 48_000.0;

/// Reads the plugin's features outlet (this process's) until `stop`: (seconds since
/// `start`, the sample).
fn read_features(start: Instant, stop: StopFlag) -> std::thread::JoinHandle<Vec<(f64, Vec<f32>)>> {
    std::thread::spawn(move || {
        let mine = format!("melodiasync-features-{}-", std::process::id());
        let mut inlet = None;
        let mut rows = Vec::new();
        while !stop.is_stopped() {
            let Some(i) = &inlet else {
                let found = ::lsl::resolve_byprop("name", "MelodiaSync-Features", 4, 0.5)
                    .unwrap_or_default();
                if let Some(info) = found.into_iter().find(|i| i.source_id().starts_with(&mine)) {
                    let i = ::lsl::StreamInlet::new(&info, 360, 0, true).unwrap();
                    i.open_stream(2.0).unwrap();
                    inlet = Some(i);
                }
                continue;
            };
            let mut buf = vec![0.0f32; LABELS.len()];
            use ::lsl::Pullable;
            if let Ok(ts) = i.pull_sample_buf(&mut buf, 0.1) {
                if ts != 0.0 {
                    rows.push((start.elapsed().as_secs_f64(), buf));
                }
            }
        }
        rows
    })
}

#[test]
fn an_lsl_ecg_reaches_the_plugins_features_within_5_s_and_drives_calm_body_and_mind() {
    let pid = std::process::id();
    let ecg_name = format!("ms-clap-heart-ecg-{pid}");
    let stop = StopFlag::default();
    let sender = {
        let (name, stop) = (ecg_name.clone(), stop.clone());
        std::thread::spawn(move || {
            let labels = vec!["ECG".to_string()];
            let spec = OutletSpec {
                name: &name,
                stream_type: "ECG",
                source_id: &name,
                labels: &labels,
                rate: 250.0,
                unit: "millivolts",
            };
            let mut sim = CardiacSim::new(CardiacSimConfig::new(HeartKind::Ecg, HeartScript::Rest));
            publish(&spec, Some(60.0), &stop, |b| sim.next(b).is_some()).unwrap()
        })
    };
    let entry = load_entry();
    let mut inst = instantiate(&entry);
    let state = save_state(&mut inst);
    let no_eeg = SourceSpec::lsl(LslProp::Name, format!("no-such-eeg-{pid}"));
    let heart = HeartSource::parse(&format!("lsl:name={ecg_name}"), HeartKind::Ecg).unwrap();
    let state = with_field(
        &state,
        "eeg-source",
        &serde_json::to_value(&no_eeg).unwrap(),
    );
    let state = with_field(
        &state,
        "heart-source",
        &serde_json::to_value(&heart).unwrap(),
    );
    let state = with_param(
        &state,
        "program",
        serde_json::json!({ "string": "calm-body-and-mind" }),
    );
    load_state(&mut inst, &state);
    let start = Instant::now();
    let reader = read_features(start, stop.clone());
    let out = render_with(&mut inst, SR, (18.0 * SR) as usize, |_| 512, &[], true);
    stop.stop();
    let rows = reader.join().unwrap();
    sender.join().unwrap();

    // The audio played throughout: finite, and sounding in every second.
    assert!(out.left.iter().chain(&out.right).all(|x| x.is_finite()));
    for (k, s) in out.left.chunks(SR as usize).enumerate() {
        let rms = (s.iter().map(|v| v * v).sum::<f32>() / s.len() as f32).sqrt();
        assert!(rms > 1e-4, "silent in second {k}");
    }
    let col = |name: &str| LABELS.iter().position(|l| *l == name).unwrap();
    let (hr, rmssd, held, reward) = (col("hr_bpm"), col("rmssd_ms"), col("held"), col("reward"));
    assert!(rows.len() > 300, "{} feature samples", rows.len());
    let first_hr = rows
        .iter()
        .find(|(_, r)| r[hr].is_finite())
        .map(|(t, _)| *t)
        .expect("no HR in the plugin's features");
    // From the plugin's start: the LSL search and connection, the ECG detector's 2 s
    // learning phase, three beats.
    assert!(first_hr < 5.0 + 1.5, "HR first at {first_hr:.2} s");
    let late: Vec<&Vec<f32>> = rows
        .iter()
        .filter(|(t, _)| *t > 16.0)
        .map(|(_, r)| r)
        .collect();
    assert!(!late.is_empty());
    for r in &late {
        assert!((r[hr] - 66.0).abs() < 10.0, "{}", r[hr]);
        // RMSSD counts from the tenth interval: Calm body and mind scores it without EEG.
        assert!(r[rmssd].is_finite() && r[rmssd] > 5.0, "{}", r[rmssd]);
        assert_eq!(r[held], 0.0);
        assert!(r[reward].is_finite());
    }
    // The heart rate as MIDI CC b+11 (31 with the default base 20, channel 1): 40-160 bpm.
    let hr_cc: Vec<u8> = out
        .midi
        .iter()
        .filter(|m| m.bytes[0] == 0xB0 && m.bytes[1] == 31)
        .map(|m| m.bytes[2])
        .collect();
    let last = *hr_cc.last().expect("no heart-rate CC");
    let bpm = 40.0 + 120.0 * last as f32 / 127.0;
    assert!((bpm - 66.0).abs() < 10.0, "CC 31 = {last} ({bpm} bpm)");
    // Before the heart, the program had nothing to score: held.
    assert!(rows
        .iter()
        .filter(|(t, _)| *t < first_hr)
        .all(|(_, r)| r[held] == 1.0));
}
