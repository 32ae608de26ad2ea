//! A guided session in the built `.clap` (clack-host, host transport, offline bounces): saved
//! with the project and running when it loads, stage changes sent as MIDI program changes at
//! the stage times, the same bounce whatever played before and for any block size, and the
//! same stage changes as the CLI's renderer (the same engine) on the same simulated listener.

mod support;

use clack_host::prelude::*;
use melodiasync::eeg::sim::{Script, SimConfig};
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::eeg::SourceSpec;
use melodiasync::engine::Controls;
use melodiasync::render::{render_to_vec, EegInput, EegJob, RenderJob};
use support::clap_harness::*;

const SR: f64 = 48_000.0;

/// Fixed times, then a condition on the simulator's SMR, then a return.
const SESSION: &str = r#"{"format": 1, "name": "Test journey", "stages": [
  {"name": "Arrive", "kind": "settle", "sound": {"preset": "Morning focus"}, "glide_s": 2, "advance": {"after_s": 6}},
  {"name": "Baseline", "kind": "baseline", "condition": "eyes-open", "advance": {"after_s": 12}},
  {"name": "SMR", "kind": "train", "program": "smr-focus", "glide_s": 3,
   "advance": {"in_target_s": 10, "max_s": 40}},
  {"name": "Return", "kind": "return", "glide_s": 3, "advance": {"after_s": 5}}]}"#;

fn sim() -> SimConfig {
    SimConfig {
        script: Script::Focus,
        blinks: false,
        rhythm_gain: 1.0,
        ..SimConfig::default()
    }
}

/// An instance on the simulator whose project runs the test session.
fn guided_instance(entry: &PluginEntry) -> PluginInstance<Host> {
    let mut inst = instantiate(entry);
    let state = save_state(&mut inst);
    let source = serde_json::to_value(SourceSpec::Simulator(sim())).unwrap();
    let state = with_field(&state, "eeg-source", &source);
    let session: serde_json::Value = serde_json::from_str(SESSION).unwrap();
    let choice = serde_json::json!({"session": session, "running": true});
    load_state(&mut inst, &with_field(&state, "guided-session", &choice));
    inst
}

/// Bounces `frames` offline from song 0 after `stopped` frames of free running.
fn bounce(
    inst: &mut PluginInstance<Host>,
    stopped: usize,
    frames: usize,
    block: impl FnMut(usize) -> usize,
) -> Rendered {
    set_offline(inst, true);
    let config = PluginAudioConfiguration {
        sample_rate: SR,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let p = inst.activate(|_, _| (), config).expect("activate");
    let (out, stopped_p) = play_with_transport(p, SR, stopped + frames, block, &[], false, |f| {
        Some(Transport {
            playing: f >= stopped,
            seconds: f.saturating_sub(stopped) as f64 / SR,
        })
    });
    inst.deactivate(stopped_p);
    out
}

/// The program changes (song frame, program) after `skip` frames.
fn program_changes(r: &Rendered, skip: usize) -> Vec<(usize, u8)> {
    r.midi
        .iter()
        .filter(|m| m.bytes[0] & 0xF0 == 0xC0 && m.frame >= skip)
        .map(|m| (m.frame - skip, m.bytes[1]))
        .collect()
}

#[test]
fn a_guided_session_runs_with_the_project_and_bounces_the_same() {
    let entry = load_entry();
    let n = (70.0 * SR) as usize;
    let mut first = guided_instance(&entry);
    let a = bounce(&mut first, 0, n, |_| 512);
    let changes = program_changes(&a, 0);
    // Stage 1 at 6 s, stage 2 at 18 s, then the condition, stage 3, and 127 at completion.
    let programs: Vec<u8> = changes.iter().map(|c| c.1).collect();
    assert_eq!(programs, [1, 2, 3, 127], "{changes:?}");
    // Fixed times land on a control point at or just after the time (the stage clock adds
    // up control blocks: within two of them).
    let grid = 32.0;
    for (i, at) in [(0, 6.0), (1, 18.0)] {
        let f = changes[i].0 as f64;
        assert!(
            f >= at * SR - grid && f <= at * SR + 2.0 * grid,
            "stage {} at {}",
            i + 1,
            f / SR
        );
    }
    // Return lasts 5 s: completion 5 s after it starts.
    let ret = changes[2].0 as f64;
    let done = changes[3].0 as f64;
    assert!(
        (done - ret - 5.0 * SR).abs() <= 2.0 * grid,
        "{}",
        (done - ret) / SR
    );

    // The same stage changes as the CLI's renderer on the same listener: the engine is
    // shared, only the host around it differs.
    let session = melodiasync::guide::parse(SESSION.as_bytes(), "test").unwrap();
    let (presets, _) = melodiasync::preset::library(None);
    let plan = melodiasync::guide::compile(&session, &Default::default(), &presets).unwrap();
    let log = std::env::temp_dir().join(format!("ms-clap-guide-{}.csv", std::process::id()));
    let job = RenderJob {
        eeg: Some(EegJob {
            input: EegInput::Simulator(sim()),
            analysis: AnalysisConfig::default(),
            log: Some(log.clone()),
            heart: None,
        }),
        guide: Some(plan),
        ..RenderJob::new(Controls::default(), 70.0)
    };
    let (_, _, report) = render_to_vec(&job).unwrap();
    let stages = report.session.unwrap().stages;
    // The daily baseline: the baseline stage became the project's calibration (the session
    // thread hands it over a moment after the stage ends), the same as the CLI's.
    let cli_baseline = report.baselines[0].as_ref().unwrap();
    let mut setup = serde_json::Value::Null;
    for _ in 0..100 {
        setup = field(&save_state(&mut first), "feedback-setup");
        if !setup["baseline"].is_null() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(setup["condition"], "eyes-open");
    assert_eq!(setup["baseline"]["frames"], cli_baseline.stats.frames);
    let means: Vec<f32> = serde_json::from_value(setup["baseline"]["mean"].clone()).unwrap();
    assert_eq!(means, cli_baseline.stats.mean);
    let cli: Vec<f64> = stages.iter().skip(1).map(|s| s.start_s).collect();
    // The log's first frame of each stage comes within a frame hop of the change.
    for (k, (plugin, cli)) in changes.iter().zip(&cli).enumerate() {
        let p = plugin.0 as f64 / SR;
        assert!(
            (p - cli).abs() < 1.0 / 64.0 + 0.01,
            "stage {}: plugin {p:.3} s, CLI {cli:.3} s",
            k + 1
        );
    }
    std::fs::remove_file(&log).ok();

    // A second bounce after free running (whole blocks of 500, so playback starts at song
    // 0), with other block sizes: the same sound and MIDI.
    let stopped = 30_000;
    let b = bounce(&mut guided_instance(&entry), stopped, n, |i| {
        if i < 60 {
            500
        } else {
            [97, 512, 4096][i % 3]
        }
    });
    if let Some(i) = a
        .left
        .iter()
        .zip(&b.left[stopped..])
        .position(|(x, y)| x != y)
    {
        panic!(
            "the second bounce differs from sample {i} ({:.3} s)",
            i as f64 / SR
        );
    }
    assert_eq!(program_changes(&b, stopped), changes);
    println!(
        "stage changes at {:?} s",
        changes.iter().map(|c| c.0 as f64 / SR).collect::<Vec<_>>()
    );
}

#[test]
fn the_chosen_session_is_saved_with_the_project() {
    let entry = load_entry();
    let mut inst = guided_instance(&entry);
    let saved = save_state(&mut inst);
    let choice = field(&saved, "guided-session");
    assert_eq!(choice["running"], true);
    assert_eq!(choice["session"]["name"], "Test journey");
    // Reopened in a fresh instance: it runs there too.
    let mut other = instantiate(&entry);
    load_state(&mut other, &saved);
    let r = bounce(&mut other, 0, (20.0 * SR) as usize, |_| 512);
    assert_eq!(program_changes(&r, 0).first().map(|c| c.1), Some(1));
    // A broken session in a project: no session, the sound goes on.
    let broken = with_field(
        &saved,
        "guided-session",
        &serde_json::json!({"session": {"format": 1, "name": "X", "stages": []}, "running": true}),
    );
    let mut third = instantiate(&entry);
    load_state(&mut third, &broken);
    let r = bounce(&mut third, 0, (8.0 * SR) as usize, |_| 512);
    assert!(program_changes(&r, 0).is_empty());
    assert!(r.left.iter().all(|x| x.is_finite()) && r.left.iter().any(|x| x.abs() > 1e-3));
}
