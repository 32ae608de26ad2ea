//! The feedback engine inside the built `.clap`, through the real CLAP ABI: MIDI CC output,
//! target automation, and state (program, baseline, adaptive thresholds) across save/load.
//! The plugin's EEG comes from its built-in simulator, chosen through the saved state, and the
//! renders run at real-time pace so the plugin's EEG worker delivers frames as it would live.

mod support;

use melodiasync::eeg::sim::{Script, SimConfig};
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::eeg::SourceSpec;
use melodiasync::features::bands::ALPHA;
use melodiasync::features::baseline::BaselineRecorder;
use melodiasync::features::FeatureFrame;
use melodiasync::feedback::program::ProgramKind;
use melodiasync::feedback::{AdaptiveSnapshot, FeedbackSetup};
use melodiasync::render::{EegDrive, EegInput};
use support::clap_harness::*;

const SR: f64 = 48_000.0;

/// The simulator as the plugin's source.
fn sim_source(script: Script) -> serde_json::Value {
    let spec = SourceSpec::Simulator(SimConfig {
        script,
        blinks: false,
        rhythm_gain: 1.0,
        ..SimConfig::default()
    });
    serde_json::to_value(&spec).unwrap()
}

/// A fresh instance whose EEG source is the simulator.
fn instance_on_sim(
    entry: &clack_host::prelude::PluginEntry,
    script: Script,
) -> clack_host::prelude::PluginInstance<Host> {
    let mut inst = instantiate(entry);
    let state = save_state(&mut inst);
    load_state(
        &mut inst,
        &with_field(&state, "eeg-source", &sim_source(script)),
    );
    inst
}

/// The frames the plugin's simulator produces, computed here with the library's offline
/// driver (same seed, same analysis defaults), in order.
fn expected_frames(script: Script, seconds: f64) -> Vec<FeatureFrame> {
    let input = EegInput::Simulator(SimConfig {
        script,
        blinks: false,
        rhythm_gain: 1.0,
        ..SimConfig::default()
    });
    let mut drive = EegDrive::new(&input, &AnalysisConfig::default()).unwrap();
    let mut out = Vec::new();
    drive.feed_until(seconds, |f| out.push(*f));
    out
}

/// CC messages with `status` and controller `cc`, as (frame, value 0..127).
fn ccs(midi: &[MidiOut], status: u8, cc: u8) -> Vec<(usize, u8)> {
    midi.iter()
        .filter(|m| m.bytes[0] == status && m.bytes[1] == cc)
        .map(|m| (m.frame, m.bytes[2]))
        .collect()
}

#[test]
fn midi_cc_output_uses_the_configured_numbers_and_tracks_the_features() {
    let entry = load_entry();
    let mut inst = instance_on_sim(&entry, Script::EyesClosed);
    let params = params(&mut inst);
    let base = find(&params, "First CC");
    let channel = find(&params, "CC channel");
    let events = [
        (0, HostEvent::Param(base.id, 40.0)),
        // Stepped CLAP parameters count steps from their minimum: 2 steps above 1 is channel 3.
        (0, HostEvent::Param(channel.id, 2.0)),
    ];
    let out = render_with(&mut inst, SR, (6.0 * SR) as usize, |_| 512, &events, true);
    assert!(out.left.iter().all(|x| x.is_finite()));
    // Channel 3 is status 0xB2; CCs 40.. in the documented order (reward first, alpha 6th).
    let stray: Vec<_> = out
        .midi
        .iter()
        .filter(|m| m.bytes[0] != 0xB2 || !(40..51).contains(&m.bytes[1]))
        .collect();
    assert!(
        stray.is_empty(),
        "{} unexpected MIDI messages, first {:?}",
        stray.len(),
        stray[0]
    );
    let alpha = ccs(&out.midi, 0xB2, 45);
    let reward = ccs(&out.midi, 0xB2, 40);
    let quality = ccs(&out.midi, 0xB2, 50);
    assert!(
        alpha.len() >= 20,
        "{} alpha CCs in 5 s of frames",
        alpha.len()
    );
    assert!(!reward.is_empty() && !quality.is_empty());
    // Every alpha CC is one of the simulator's frames, in order: the CC value is the frame's
    // relative alpha in 7 bits (frames can be skipped: only the newest per block is sent).
    let expected: Vec<u8> = expected_frames(Script::EyesClosed, 10.0)
        .iter()
        .map(|f| (f.bands[ALPHA].rel.clamp(0.0, 1.0) * 127.0).round() as u8)
        .collect();
    let mut k = 0;
    for (frame, v) in &alpha {
        match expected[k..].iter().position(|e| e == v) {
            Some(p) => k += p,
            None => panic!("alpha CC {v} at frame {frame} matches no simulator frame after #{k}"),
        }
    }
}

#[test]
fn automating_a_target_changes_the_reward() {
    let entry = load_entry();
    let mut inst = instance_on_sim(&entry, Script::Steady);
    let params = params(&mut inst);
    let adapt = find(&params, "Adaptive targets");
    let target = find(&params, "Reward target 1");
    let half = (5.0 * SR) as usize;
    // Calm: target 1 is relative alpha; 0 % = 0.05 (always met), 100 % = 0.6 (above this
    // listener).
    let events = [
        (0, HostEvent::Param(adapt.id, 0.0)),
        (0, HostEvent::Param(target.id, 0.0)),
        (half, HostEvent::Param(target.id, 1.0)),
    ];
    let out = render_with(&mut inst, SR, 2 * half, |_| 512, &events, true);
    let reward = ccs(&out.midi, 0xB0, 20);
    let last_before = reward
        .iter()
        .rfind(|(f, _)| *f < half)
        .expect("reward CCs before the change");
    let last_after = reward.last().unwrap();
    // The reward is graded by the listener's own spread: far above one half while the target
    // is below the listener, below one half once it is above.
    assert!(last_before.1 > 100, "easy target: reward {}", last_before.1);
    assert!(last_after.1 < 64, "hard target: reward {}", last_after.1);
    assert!(
        last_before.1 - last_after.1 > 50,
        "{} -> {}",
        last_before.1,
        last_after.1
    );
}

/// `state` with the program set to Deep rest and adaptive targets frozen (nice-plug stores
/// enum parameters by their stable id).
fn deep_rest_frozen(state: &[u8]) -> Vec<u8> {
    let s = with_param(
        state,
        "program",
        serde_json::json!({ "string": "deep-rest" }),
    );
    with_param(&s, "freeze", serde_json::json!({ "bool": true }))
}

#[test]
fn state_keeps_program_baseline_and_adaptive_thresholds() {
    let entry = load_entry();
    // A baseline recorded with the library from a minute of simulated EEG.
    let mut rec = BaselineRecorder::new(60.0, 32.0);
    for f in expected_frames(Script::Steady, 62.0) {
        rec.push(&f, 0.0);
    }
    let setup = FeedbackSetup {
        baseline: Some(rec.finish().unwrap()),
        ..FeedbackSetup::default()
    };
    // Distinctive adaptive thresholds for Deep rest (3 terms), as a session saved before the
    // listener normaliser would have them (no offsets, no normaliser state).
    let saved = AdaptiveSnapshot {
        program: Some(ProgramKind::DeepRest),
        thresholds: [1.37, 0.29, 0.21, 0.0, 0.0],
        positions: [0.5; 5],
        terms: 3,
        ..AdaptiveSnapshot::default()
    };
    let mut a = instantiate(&entry);
    let params_a = params(&mut a);
    let program = find(&params_a, "Program");
    let freeze = find(&params_a, "Freeze targets");
    let mut state = save_state(&mut a);
    state = with_field(&state, "eeg-source", &sim_source(Script::Steady));
    state = with_field(
        &state,
        "feedback-setup",
        &serde_json::to_value(&setup).unwrap(),
    );
    state = with_field(&state, "adaptive", &serde_json::to_value(saved).unwrap());
    state = deep_rest_frozen(&state);

    let mut b = instantiate(&entry);
    load_state(&mut b, &state);
    assert!(
        (param_value(&mut b, program.id) - 1.0).abs() < 1e-6,
        "program not restored"
    );
    assert!((param_value(&mut b, freeze.id) - 1.0).abs() < 1e-6);
    // Play with EEG: the restored, frozen thresholds drive the feedback engine, which
    // publishes them back after every frame; a fresh engine would publish its own.
    render_with(&mut b, SR, (2.0 * SR) as usize, |_| 512, &[], true);
    let again = save_state(&mut b);
    let thresholds: AdaptiveSnapshot = serde_json::from_value(field(&again, "adaptive")).unwrap();
    assert_eq!(thresholds.program, Some(ProgramKind::DeepRest));
    assert_eq!(thresholds.terms, 3);
    assert_eq!(thresholds.thresholds, saved.thresholds);
    let setup_back: FeedbackSetup =
        serde_json::from_value(field(&again, "feedback-setup")).unwrap();
    assert_eq!(setup_back, setup);

    // Control: the same session without the saved thresholds publishes different ones.
    let mut c = instance_on_sim(&entry, Script::Steady);
    let st = save_state(&mut c);
    load_state(&mut c, &deep_rest_frozen(&st));
    render_with(&mut c, SR, (2.0 * SR) as usize, |_| 512, &[], true);
    let fresh: AdaptiveSnapshot =
        serde_json::from_value(field(&save_state(&mut c), "adaptive")).unwrap();
    assert_eq!(fresh.program, Some(ProgramKind::DeepRest));
    assert_ne!(fresh.thresholds, saved.thresholds);
}

/// A host may load a project while the audio thread runs (CLAP loads state on the main
/// thread). Each load's adaptive thresholds must reach the feedback engine even though the
/// audio thread publishes its own after every frame: the engine then publishes the loaded
/// values back (frozen, they stay), which the next save shows.
#[test]
fn a_state_loaded_while_audio_runs_applies_its_thresholds() {
    let entry = load_entry();
    let mut inst = instance_on_sim(&entry, Script::Steady);
    let base = deep_rest_frozen(&save_state(&mut inst));
    load_state(&mut inst, &base);
    let config = clack_host::prelude::PluginAudioConfiguration {
        sample_rate: SR,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let processor = inst.activate(|_, _| (), config).expect("activate");
    let frames = (6.0 * SR) as usize;
    let audio = std::thread::spawn(move || play(processor, SR, frames, |_| 512, &[], true));
    // Frames flow (the first after the 1 s window) and the engine publishes its own state.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let loads = [[1.37, 0.29, 0.21, 0.0, 0.0], [1.11, 0.33, 0.18, 0.0, 0.0]];
    for k in 0..8 {
        let saved = AdaptiveSnapshot {
            program: Some(ProgramKind::DeepRest),
            thresholds: loads[k % 2],
            positions: [0.5; 5],
            terms: 3,
            ..AdaptiveSnapshot::default()
        };
        let state = with_field(&base, "adaptive", &serde_json::to_value(saved).unwrap());
        load_state(&mut inst, &state);
        // Several frames (64/s) and blocks later.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now: AdaptiveSnapshot =
            serde_json::from_value(field(&save_state(&mut inst), "adaptive")).unwrap();
        assert_eq!(now.program, Some(ProgramKind::DeepRest), "load {k}");
        assert_eq!(now.thresholds, saved.thresholds, "load {k}");
        // The engine scored frames with it: its normaliser has started on the listener.
        assert!(now.norms[0].elapsed > 0.0, "load {k}: {:?}", now.norms[0]);
    }
    let (_, stopped) = audio.join().expect("audio thread");
    inst.deactivate(stopped);
}

#[test]
fn a_version_1_project_migrates_and_sounds_as_it_did() {
    // A state saved by the first release (before neurofeedback: no feedback parameters, no
    // state version), kept forever as a fixture.
    let v1: serde_json::Value = serde_json::from_str(include_str!("data/state-v1.json")).unwrap();
    assert!(v1["fields"].get("state-version").is_none());
    let entry = load_entry();
    let load = |source: serde_json::Value| {
        let mut inst = instantiate(&entry);
        let mut json = v1.clone();
        json["fields"]["eeg-source"] = serde_json::Value::String(source.to_string());
        load_state(&mut inst, &state_bytes(&json));
        inst
    };
    // With EEG (the simulator) and without (a stream that does not exist).
    let mut with_eeg = load(sim_source(Script::EyesClosed));
    let nothing = serde_json::json!({"kind": "lsl", "prop": "name", "value": "no-such-stream"});
    let mut without = load(nothing);
    let params = params(&mut with_eeg);
    // Continuous CLAP parameters are normalised: 40 Hz is the top of the beat range.
    for (name, want) in [
        ("Beat rate", 1.0),
        ("Tone", 0.3),
        ("Feedback depth", 0.0),
        ("Chime level", 0.0),
    ] {
        let got = param_value(&mut with_eeg, find(&params, name).id);
        assert!((got - want).abs() < 1e-6, "{name}: {got}");
    }
    let saved = save_state(&mut with_eeg);
    assert_eq!(state_json(&saved)["fields"]["state-version"], "2");
    // Feedback depth 0: the EEG cannot change the sound, so both render identically.
    let frames = (4.0 * SR) as usize;
    let a = render_with(&mut with_eeg, SR, frames, |_| 512, &[], true);
    let b = render_with(&mut without, SR, frames, |_| 512, &[], false);
    assert_eq!(a.left, b.left);
    assert_eq!(a.right, b.right);
    // The EEG was really there: the migrated project still reports it as MIDI CC.
    assert!(!a.midi.is_empty() && b.midi.is_empty());
}

#[test]
fn remote_control_pages_name_the_main_controls() {
    use clack_extensions::remote_controls::{PluginRemoteControls, RemoteControlsPageBuffer};
    let entry = load_entry();
    let mut inst = instantiate(&entry);
    let params = params(&mut inst);
    let handle = inst.plugin_handle();
    let rc: PluginRemoteControls = handle.get_extension().expect("remote controls");
    assert_eq!(rc.count(&handle), 4);
    let expected: [(&str, &str, [&str; 8]); 4] = [
        (
            "Feedback",
            "Feedback",
            [
                "Program",
                "Feedback depth",
                "Reward target 1",
                "Inhibit ceiling 1",
                "Adaptive targets",
                "Freeze targets",
                "Target success rate",
                "Response time",
            ],
        ),
        (
            "Feedback",
            "Adaptation and breath",
            [
                "Adaptation",
                "Reward target 2",
                "Reward target 3",
                "Inhibit ceiling 2",
                "Stale hold",
                "Breath pacer",
                "Pacer rate",
                "Pacer glide",
            ],
        ),
        (
            "Sound",
            "Layers",
            [
                "Relaxation",
                "Drone level",
                "Binaural level",
                "Pulse level",
                "Noise level",
                "Chime level",
                "Tone",
                "Reverb mix",
            ],
        ),
        (
            "Sound",
            "Entrainment",
            [
                "Beat rate",
                "Binaural carrier",
                "Pulse tone",
                "Entrainment glide",
                "Root note",
                "Chord",
                "Drift",
                "Output",
            ],
        ),
    ];
    for (i, (section, page, names)) in expected.iter().enumerate() {
        let mut buf = RemoteControlsPageBuffer::new();
        let p = rc.get(&handle, i as u32, &mut buf).expect("page");
        assert_eq!(std::str::from_utf8(p.section_name).unwrap(), *section);
        assert_eq!(std::str::from_utf8(p.page_name).unwrap(), *page);
        for (slot, name) in p.param_ids.iter().zip(names) {
            assert_eq!(
                slot.map(|id| id.get()),
                Some(find(&params, name).id.get()),
                "{page}: {name}"
            );
        }
    }
}
