//! Guided sessions through the renderer (the plugin's own signal path on the audio clock,
//! deterministic): stages advance exactly when their rules are met (checked against an
//! independent reading of the session log), maximum times and fallbacks, the visit cap, a
//! baseline stage's calibration, click-free stage changes, block-size independence, and bad
//! session files.

mod support;

use std::path::PathBuf;

use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::engine::Controls;
use melodiasync::features::baseline::BaselineRecorder;
use melodiasync::features::FeatureFrame;
use melodiasync::feedback::program::{CompiledProgram, ProgramKind};
use melodiasync::feedback::{FeedbackSetup, FeedbackSnapshot};
use melodiasync::guide::{self, Conductor, GuidedSession};
use melodiasync::render::{render_to_vec, EegInput, EegJob, RenderJob};
use melodiasync::synth::Modulation;
use support::analysis::max_step;

const SR: f64 = 48_000.0;
/// The synth's control grid, s: frames are scored at its points.
const GRID: f64 = 32.0 / SR;

fn session(json: &str) -> GuidedSession {
    guide::parse(json.as_bytes(), "test").unwrap_or_else(|e| panic!("{e}"))
}

fn factory(name: &str) -> GuidedSession {
    let (list, _) = guide::library(None);
    guide::find(&list, name).unwrap().session.clone()
}

fn plan(s: &GuidedSession) -> guide::Plan {
    let (presets, _) = melodiasync::preset::library(None);
    guide::compile(s, &FeedbackSetup::default(), &presets).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("melodiasync-guide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One row of the session log.
#[derive(Clone, Debug)]
struct Row {
    time: f64,
    reward: f64,
    in_target: bool,
    stage: i32,
    name: String,
    /// The first term's target (`target_1`).
    target: f64,
}

/// Renders `s` on `script` for at most `seconds` (block size `block`) with a log; returns the
/// audio, the log's rows and the summary.
fn run(
    s: &GuidedSession,
    script: &str,
    seconds: f64,
    block: usize,
    tag: &str,
) -> (Vec<f32>, Vec<Row>, melodiasync::session::SessionSummary) {
    run_with(s, script, seconds, block, tag, Controls::default())
}

/// [`run`] with the host's parameters as `controls`.
fn run_with(
    s: &GuidedSession,
    script: &str,
    seconds: f64,
    block: usize,
    tag: &str,
    controls: Controls,
) -> (Vec<f32>, Vec<Row>, melodiasync::session::SessionSummary) {
    let (left, rows, report) = run_setup(
        s,
        script,
        seconds,
        block,
        tag,
        controls,
        &FeedbackSetup::default(),
    );
    (left, rows, report.session.unwrap())
}

/// [`run_with`] for the project's calibration `setup`; the whole render report.
fn run_setup(
    s: &GuidedSession,
    script: &str,
    seconds: f64,
    block: usize,
    tag: &str,
    controls: Controls,
    setup: &FeedbackSetup,
) -> (Vec<f32>, Vec<Row>, melodiasync::render::RenderReport) {
    let (presets, _) = melodiasync::preset::library(None);
    let plan = guide::compile(s, setup, &presets).unwrap();
    let log = temp(&format!("{tag}.csv"));
    let job = RenderJob {
        eeg: Some(EegJob {
            input: EegInput::parse(script).unwrap(),
            analysis: AnalysisConfig::default(),
            log: Some(log.clone()),
            heart: None,
        }),
        guide: Some(plan),
        programs: Some(setup.compile()),
        block,
        ..RenderJob::new(controls, seconds)
    };
    let (left, _, report) = render_to_vec(&job).unwrap();
    (left, read_log(&log), report)
}

/// An independent reading of the CSV log.
fn read_log(path: &PathBuf) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, r, i, si, sn, t1) = (
        col("audio_time_s"),
        col("reward"),
        col("in_target"),
        col("stage_index"),
        col("stage"),
        col("target_1"),
    );
    lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            // The log prints 4 decimals; frames sit on the control grid.
            let time = (v[t].parse::<f64>().unwrap() / GRID).round() * GRID;
            Row {
                time,
                reward: v[r].parse().unwrap(),
                in_target: v[i] == "1.000000",
                stage: v[si].parse::<f64>().unwrap() as i32,
                name: v[sn].to_string(),
                target: v[t1].parse().unwrap(),
            }
        })
        .collect()
}

/// Index of the first row of each stage visit, in order.
fn visits(rows: &[Row]) -> Vec<usize> {
    (0..rows.len())
        .filter(|&k| k == 0 || rows[k].stage != rows[k - 1].stage)
        .collect()
}

#[test]
fn stages_advance_exactly_when_their_rules_are_met() {
    // Focus reset on a listener whose SMR rises: fixed times, then SMR's time in target.
    let s = factory("Focus reset");
    let (_, rows, summary) = run(&s, "sim:focus", 700.0, 512, "focus");
    let starts = visits(&rows);
    let names: Vec<&str> = starts.iter().map(|&k| rows[k].name.as_str()).collect();
    assert_eq!(names, ["Arrive", "Baseline", "SMR", "Return"]);
    // Fixed times: the first frame of the next stage is the first at or after the time
    // (frames come every 1/64 s; the stage clock runs on the control grid).
    for (stage, end) in [(1, 45.0), (2, 90.0)] {
        let first = rows[starts[stage]].time;
        assert!(
            first >= end - 1e-9 && first < end + 1.0 / 64.0 + GRID,
            "stage {stage} at {first}"
        );
    }
    // Time in target within SMR, counted independently from the log: each step between the
    // stage's frames counts when the earlier frame was in target (the step into the stage
    // belongs to none, as in the summary).
    let (a, b) = (starts[2], starts[3]);
    let mut acc = 0.0;
    let mut met = None;
    for k in a + 1..b {
        if rows[k - 1].in_target {
            acc += rows[k].time - rows[k - 1].time;
        }
        if acc >= 150.0 && met.is_none() {
            met = Some(k);
        }
    }
    let met = met.expect("the SMR stage reached 150 s in target");
    // The frame that meets the rule is the stage's last.
    assert_eq!(
        met,
        b - 1,
        "met at {}, stage ended at {}",
        rows[met].time,
        rows[b - 1].time
    );
    let smr = &summary.stages[2];
    assert_eq!(smr.name, "SMR");
    assert_eq!(smr.ended, Some(melodiasync::bridge::Outcome::Success));
    assert!(
        (smr.summary.time_in_target_s - 150.0).abs() < 0.05,
        "{}",
        smr.summary.time_in_target_s
    );
    // The session ended with its last stage, 2 s before the render's end.
    assert_eq!(
        summary.stages.last().unwrap().ended,
        Some(melodiasync::bridge::Outcome::Time)
    );
}

#[test]
fn the_mean_reward_rule_uses_the_window_it_names() {
    let s = session(
        r#"{"format": 1, "name": "Mean", "stages": [
          {"name": "Warm", "kind": "settle", "advance": {"after_s": 20}},
          {"name": "Train", "kind": "train", "program": "calm",
           "advance": {"mean_reward": 0.6, "over_s": 10, "max_s": 300}},
          {"name": "End", "kind": "settle", "advance": {"after_s": 5}}]}"#,
    );
    let (_, rows, summary) = run(&s, "sim:relax", 330.0, 512, "mean");
    let starts = visits(&rows);
    assert_eq!(starts.len(), 3);
    let (a, b) = (starts[1], starts[2]);
    let stage_start = rows[a].time;
    // Independent: the mean of the stage's frame rewards over the last 10 s, once the
    // stage has run 10 s; the first frame where it reaches 0.6.
    let mut met = None;
    for k in a..b {
        let t = rows[k].time;
        if t - stage_start + GRID < 10.0 {
            continue;
        }
        let w: Vec<f64> = rows[a..=k]
            .iter()
            .filter(|r| r.time > t - 10.0)
            .map(|r| r.reward)
            .collect();
        if w.iter().sum::<f64>() / w.len() as f64 >= 0.6 - 1e-6 {
            met = Some(k);
            break;
        }
    }
    let met = met.expect("the mean reward reached 0.6");
    assert!(
        (b - 1).abs_diff(met) <= 1,
        "met at frame {met} ({} s), stage ended at {} ({} s)",
        rows[met].time,
        b - 1,
        rows[b - 1].time
    );
    assert_eq!(
        summary.stages[1].ended,
        Some(melodiasync::bridge::Outcome::Success)
    );
}

#[test]
fn a_maximum_time_leads_to_the_fallback_and_revisits_are_capped() {
    // "Hard" can never be met (300 s in target within 20 s): it ends at its maximum and
    // falls back to "Easy", which leads back to "Hard" as its next. After three visits of
    // each, the session moves on in file order, to "Done".
    let s = session(
        r#"{"format": 1, "name": "Loop", "stages": [
          {"name": "Hard", "kind": "train", "program": "calm", "glide_s": 1,
           "advance": {"in_target_s": 20, "max_s": 20}, "fallback": "Easy"},
          {"name": "Easy", "kind": "train", "program": "cool-down", "glide_s": 1,
           "advance": {"after_s": 5}, "next": "Hard"},
          {"name": "Done", "kind": "settle", "glide_s": 1, "advance": {"after_s": 5}}]}"#,
    );
    // Steady EEG: a calm program with fixed targets is not met for 20 s of 20.
    let (_, rows, summary) = run(&s, "sim:steady", 400.0, 512, "loop");
    let order: Vec<&str> = summary.stages.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        order,
        ["Hard", "Easy", "Hard", "Easy", "Hard", "Easy", "Done"],
        "{order:?}"
    );
    use melodiasync::bridge::Outcome::*;
    let ended: Vec<_> = summary.stages.iter().map(|v| v.ended.unwrap()).collect();
    assert_eq!(ended, [MaxTime, Time, MaxTime, Time, MaxTime, Time, Time]);
    // Stage times: 20 s, 5 s, ... from the log's first frame of each visit.
    // Stage times (from the render's start; the first frame comes after the first 1 s
    // analysis window).
    let starts = visits(&rows);
    let mut expected = 0.0;
    for (k, &i) in starts.iter().enumerate() {
        if k > 0 {
            let t = rows[i].time;
            assert!(
                t >= expected - 1e-9 && t <= expected + 1.0 / 64.0 + GRID,
                "visit {k}: {t}"
            );
        }
        expected += if k % 2 == 0 && k < 6 { 20.0 } else { 5.0 };
    }
    // The render ended 2 s after the last stage.
    let last = rows.last().unwrap().time;
    assert!((last - (expected + 2.0)).abs() < 0.05, "{last}");
}

/// A frame with the given alpha and theta relative powers.
fn frame(alpha: f32, theta: f32, t: f64) -> FeatureFrame {
    let mut f = FeatureFrame {
        valid: true,
        quality: 1.0,
        time: t,
        ..FeatureFrame::default()
    };
    f.bands[melodiasync::features::bands::ALPHA].rel = alpha;
    f.bands[melodiasync::features::bands::THETA].rel = theta;
    f.bands[melodiasync::features::bands::HIGH_BETA].rel = 0.1;
    f.bands[melodiasync::features::bands::ALPHA].abs = 40.0 * alpha;
    f
}

#[test]
fn a_baseline_stage_calibrates_the_programs_as_a_recorded_baseline_does() {
    let s = session(
        r#"{"format": 1, "name": "Cal", "stages": [
          {"name": "Baseline", "kind": "baseline", "condition": "eyes-closed", "advance": {"after_s": 20}},
          {"name": "Train", "kind": "train", "program": "calm", "advance": {"after_s": 30}}]}"#,
    );
    let p = plan(&s);
    let raw = p.raw_programs[ProgramKind::Calm.index()];
    let mut c = Conductor::new(p);
    // Independent: the editor's calibration recorder on the same frames.
    let mut rec = BaselineRecorder::new(20.0, 80.0);
    let live = Controls::default();
    let dt = GRID as f32;
    let mut rng = melodiasync::synth::rng::Rng::new(5);
    let mut t = 0.0;
    let mut program = None;
    for step in 0..(25.0 / GRID) as usize {
        // A frame every 1/64 s (every 23.4 control points: on the grid as the engine does).
        if step % 23 == 0 {
            let f = frame(0.1 + 0.3 * rng.unit(), 0.2 + 0.1 * rng.unit(), t);
            if c.mark().stage == 0 {
                rec.push(&f, 0.5);
            }
            c.on_frame(&f, &FeedbackSnapshot::default(), t);
        }
        c.control_point(dt, &live, &Modulation::NEUTRAL);
        if let Some(changed) = c.take_program_change() {
            program = Some(changed);
        }
        t += GRID;
    }
    assert_eq!(c.mark().stage, 1);
    let stats = rec.finish().unwrap();
    let want = raw.calibrated(&stats);
    assert_eq!(program, Some(want));
    // And it is the factory calibration path's result too.
    let factory = CompiledProgram::for_slot(
        ProgramKind::Calm,
        &melodiasync::feedback::program::Program::factory(ProgramKind::Calm),
        Some(&stats),
    )
    .unwrap();
    assert_eq!(want, factory);
    assert_ne!(want, raw, "calibration moved the targets");
}

#[test]
fn a_baseline_stage_is_carried_to_the_next_session_as_the_daily_baseline() {
    let today = session(
        r#"{"format": 1, "name": "Today", "stages": [
          {"name": "Rest", "kind": "baseline", "condition": "eyes-closed", "advance": {"after_s": 20}},
          {"name": "Train", "kind": "train", "program": "calm", "advance": {"after_s": 10}}]}"#,
    );
    let (_, rows, report) = run_setup(
        &today,
        "sim:relax",
        40.0,
        512,
        "carry-1",
        Controls::default(),
        &FeedbackSetup::default(),
    );
    assert_eq!(report.baselines.len(), 1);
    let carried = report.baselines[0].as_ref().unwrap();
    assert_eq!(carried.stage, 0);
    assert_eq!(
        carried.condition,
        melodiasync::feedback::Condition::EyesClosed
    );
    // Every frame of the stage (the simulator's are clean), none of the next.
    let in_stage = rows.iter().filter(|r| r.stage == 0).count();
    assert_eq!(carried.stats.frames, in_stage);
    let summary = report.session.unwrap();
    assert!(summary.stages[0].baseline && !summary.stages[1].baseline);
    // Today's training targets, which the stage calibrated.
    let trained: Vec<f64> = rows
        .iter()
        .filter(|r| r.stage == 1)
        .map(|r| r.target)
        .collect();
    assert!(trained.windows(2).all(|w| w[0] == w[1]), "fixed targets");

    // Tomorrow: a session with no baseline stage, on the carried setup, trains to the same
    // targets; on the project's old (uncalibrated) setup it would not.
    let tomorrow = session(
        r#"{"format": 1, "name": "Tomorrow", "stages": [
          {"name": "Train", "kind": "train", "program": "calm", "advance": {"after_s": 10}}]}"#,
    );
    let setup = carried.applied_to(&FeedbackSetup::default());
    assert_eq!(
        setup.condition,
        Some(melodiasync::feedback::Condition::EyesClosed)
    );
    let (_, next, _) = run_setup(
        &tomorrow,
        "sim:relax",
        10.0,
        512,
        "carry-2",
        Controls::default(),
        &setup,
    );
    assert!(
        next.iter().all(|r| r.target == trained[0]),
        "{} vs {}",
        next[0].target,
        trained[0]
    );
    let (_, plain, _) = run_setup(
        &tomorrow,
        "sim:relax",
        10.0,
        512,
        "carry-3",
        Controls::default(),
        &FeedbackSetup::default(),
    );
    assert_ne!(plain[0].target, trained[0]);
    // Through a file, as `render --save-setup` writes it and `--setup` reads it.
    let file = temp("carried-setup.json");
    setup.save(&file).unwrap();
    let back: FeedbackSetup =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(back, setup);
}

#[test]
fn stage_changes_glide_without_clicks_or_level_jumps() {
    // Every stage change of Burnout recovery (presets with other chords, levels, noise and
    // beats; program switches; integrate's hold; return's brightening). Chimes off: their
    // strikes are transients by design (tested in tests/synth.rs) and would hide a level
    // jump; no stage of this session sets them.
    let s = factory("Burnout recovery");
    let mut host = Controls::default();
    host.settings.chime_level = 0.0;
    let (left, rows, _) = run_with(&s, "sim:relax", 1300.0, 512, "clicks", host);
    let starts = visits(&rows);
    assert!(starts.len() >= 6);
    let sr = SR as usize;
    for &k in &starts[1..] {
        let at = (rows[k].time * SR) as usize;
        let glide = s.stages[rows[k].stage as usize].glide_s as usize;
        let end = at + (glide + 1) * sr;
        // The steady sound on either side, over as long as the change takes (at least 20 s).
        let span = (end - at).max(20 * sr);
        let before = max_step(&left[at - span..at - sr / 2]);
        let after = max_step(&left[end..(end + span).min(left.len())]);
        let during = max_step(&left[at - sr / 2..end]);
        // The synth tests' bound for a parameter jump.
        let bound = 1.25 * before.max(after) + 0.001;
        assert!(
            during <= bound,
            "{}: step {during:.5} > {bound:.5}",
            rows[k].name
        );
        // Level: from one 1 s window to the next, the level moves no more during the change
        // than it does by itself (the surf's swells) in the minute before or after it.
        let moves = |from: usize, to: usize| {
            let rms: Vec<f64> = left[from..to]
                .chunks(sr)
                .map(|c| {
                    (c.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / c.len() as f64).sqrt()
                })
                .collect();
            rms.windows(2)
                .map(|w| (20.0 * (w[1] / w[0]).log10()).abs())
                .fold(0.0, f64::max)
        };
        let natural =
            moves(at.saturating_sub(60 * sr), at).max(moves(end, (end + 60 * sr).min(left.len())));
        let change = moves(at - sr, end);
        assert!(
            change <= natural + 1.0,
            "{}: level moved {change:.2} dB (by itself {natural:.2} dB)",
            rows[k].name
        );
    }
}

#[test]
fn a_stage_that_turns_the_level_down_glides_there() {
    // -24 dB over an 8 s glide: the level falls no faster than the glide's raised cosine
    // allows (pi/2 x 24 dB / 8 s at its steepest), so an instant change would fail here.
    let s = session(
        r#"{"format": 1, "name": "Level", "stages": [
          {"name": "Loud", "kind": "settle", "advance": {"after_s": 40}},
          {"name": "Quiet", "kind": "settle", "glide_s": 8, "sound": {"params": {"out": -24.0}},
           "advance": {"after_s": 40}}]}"#,
    );
    let mut host = Controls::default();
    host.settings.chime_level = 0.0;
    let (left, _, _) = run_with(&s, "sim:steady", 90.0, 512, "level", host);
    let sr = SR as usize;
    let level = |a: usize| {
        let c = &left[a..a + sr];
        10.0 * (c.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / sr as f64).log10()
    };
    let steps = |from: usize, to: usize| {
        (from..to - sr)
            .step_by(sr)
            .map(|a| (level(a + sr) - level(a)).abs())
            .fold(0.0, f64::max)
    };
    let natural = steps(5 * sr, 39 * sr).max(steps(50 * sr, 79 * sr));
    let during = steps(39 * sr, 50 * sr);
    let allowed = natural + 1.0 + std::f64::consts::FRAC_PI_2 * 24.0 / 8.0;
    assert!(during <= allowed, "{during:.2} dB per s > {allowed:.2}");
    // And it got there: 24 dB down, within the sound's own variation.
    let drop = level(20 * sr) - level(70 * sr);
    assert!((drop - 24.0).abs() < 2.0, "{drop:.2} dB");
}

#[test]
fn a_guided_render_is_the_same_for_any_block_size() {
    let s = factory("Focus reset");
    let (a, rows_a, _) = run(&s, "sim:focus", 120.0, 512, "block-a");
    let (b, rows_b, _) = run(&s, "sim:focus", 120.0, 97, "block-b");
    assert!(a == b, "the audio differs");
    let stages = |rows: &[Row]| rows.iter().map(|r| r.stage).collect::<Vec<_>>();
    assert_eq!(stages(&rows_a), stages(&rows_b));
}

#[test]
fn bad_session_files_get_one_sentence_each() {
    let good = r#"{"format": 1, "name": "S", "stages": [
      {"name": "A", "kind": "train", "program": "calm", "advance": {"in_target_s": 10, "max_s": 60}}]}"#;
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "truncated"),
        (String::new(), "empty"),
        ("\u{0}\u{1}binary".into(), "not valid JSON"),
        (
            good.replace("\"format\": 1", "\"format\": 9"),
            "newer MelodiaSync",
        ),
        (good.replace("\"format\": 1,", ""), "'format' is missing"),
        (good.replace(", \"max_s\": 60", ""), "needs a maximum time"),
        (
            good.replace("\"program\": \"calm\", ", ""),
            "needs a program",
        ),
        (good.replace("\"calm\"", "\"nope\""), "stages[0].program"),
        (good.replace("\"train\"", "\"dance\""), "stages[0].kind"),
        (
            good.replace("\"max_s\": 60}", "\"max_s\": 60}, \"fallback\": \"Z\""),
            "no stage 'Z'",
        ),
        (
            good.replace("\"in_target_s\": 10", "\"in_target_s\": 100"),
            "advance.in_target_s",
        ),
        (
            good.replace(
                "\"in_target_s\": 10, \"max_s\": 60",
                "\"after_s\": 5, \"in_target_s\": 3",
            ),
            "exactly one",
        ),
        (
            good.replace("\"stages\": [", "\"stages\": [], \"stages_old\": ["),
            "unknown field `stages_old`",
        ),
        (
            good.replace("\"kind\": \"train\"", "\"glide\": 30, \"kind\": \"train\""),
            "unknown field `glide`",
        ),
        (
            r#"{"format": 1, "name": "Empty", "stages": []}"#.to_string(),
            "1 to 16 stages",
        ),
        (
            good.replace(
                "\"advance\"",
                "\"sound\": {\"params\": {\"beat\": 99}}, \"advance\"",
            ),
            "outside the parameter's range",
        ),
        (
            good.replace(
                "\"kind\": \"train\", \"program\": \"calm\"",
                "\"kind\": \"baseline\"",
            )
            .replace("\"in_target_s\": 10, \"max_s\": 60", "\"after_s\": 30"),
            "eyes-open or eyes-closed",
        ),
        (
            good.replace(
                "]}",
                ", {\"name\": \"A\", \"kind\": \"settle\", \"advance\": {\"after_s\": 5}}]}",
            ),
            "unique",
        ),
    ];
    for (text, says) in cases {
        let e = guide::parse(text.as_bytes(), "bad.json").unwrap_err();
        assert!(
            e.starts_with("Session 'bad.json': ") && e.contains(says),
            "{says}: {e}"
        );
        assert!(e.ends_with('.'), "{e}");
    }
    // A preset that does not exist is found when the session is compiled.
    let s = session(&good.replace(
        "\"advance\"",
        "\"sound\": {\"preset\": \"Nowhere\"}, \"advance\"",
    ));
    let (presets, _) = melodiasync::preset::library(None);
    let e = guide::compile(&s, &FeedbackSetup::default(), &presets).unwrap_err();
    assert!(
        e.contains("no preset 'Nowhere'") && e.contains("Ocean drift"),
        "{e}"
    );
    // A stage parameter that is not part of a stage's sound.
    let s = session(&good.replace(
        "\"advance\"",
        "\"sound\": {\"params\": {\"ccch\": 3}}, \"advance\"",
    ));
    let e = guide::compile(&s, &FeedbackSetup::default(), &presets).unwrap_err();
    assert!(
        e.contains("'sound.params.ccch' is not part of a stage's sound"),
        "{e}"
    );
}

/// Records of a guided session: `stages` stage visits of `frames` frames each (the second
/// a baseline), then one completed.
fn guided_records(stages: u8, frames: usize) -> Vec<melodiasync::bridge::FeedbackRecord> {
    let mut out = Vec::new();
    let mut t = 0.0;
    for stage in 0..stages {
        for _ in 0..frames {
            let mut r = melodiasync::bridge::FeedbackRecord {
                audio_time: t,
                frame: frame(0.3, 0.2, t),
                ..Default::default()
            };
            r.guide.active = true;
            r.guide.stage = stage;
            r.guide.visit = stage as u16 + 1;
            r.guide.baseline = stage == 1;
            out.push(r);
            t += 1.0 / 64.0;
        }
    }
    let mut done = *out.last().unwrap();
    done.guide.complete = true;
    done.audio_time = t;
    out.push(done);
    out
}

#[test]
fn a_guided_session_started_in_the_editor_is_logged_until_it_completes() {
    use melodiasync::bridge::{queue, record_channel, SessionCommand, SessionLogStatus};
    use melodiasync::session::{SessionOptions, SessionThread};
    let dir = temp("guided-log");
    std::fs::create_dir_all(&dir).unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .unwrap()
        .and_hms_opt(7, 5, 9)
        .unwrap();
    let name = melodiasync::session::log_file_name(at, Some("Burnout recovery!"));
    assert_eq!(name, "2026-12-02_07-05-09_burnout-recovery.csv");
    assert_eq!(
        melodiasync::session::log_file_name(at, None),
        "2026-12-02_07-05-09.csv"
    );
    let path = dir.join(name);

    let (tx, rx) = record_channel();
    let (cmd_tx, cmd_rx) = queue(8);
    let status = std::sync::Arc::new(std::sync::Mutex::new(SessionLogStatus::default()));
    let carried = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = carried.clone();
    let thread = SessionThread::spawn(
        rx,
        SessionOptions {
            commands: Some(cmd_rx),
            log_status: Some(status.clone()),
            carry: Some(Box::new(move |b| {
                sink.lock()
                    .unwrap()
                    .push(b.cloned().map_err(str::to_string))
            })),
            ..SessionOptions::default()
        },
    );
    cmd_tx.push(SessionCommand::Stages(vec![
        "Arrive".into(),
        "Rest".into(),
        "Train".into(),
    ]));
    cmd_tx.push(SessionCommand::StartGuided(path.clone()));
    std::thread::sleep(std::time::Duration::from_millis(150));
    // 11 s a stage at 64 frames/s: the baseline stage has the 10 s of EEG it needs.
    let records = guided_records(3, 704);
    for r in &records {
        tx.push_waiting(*r);
    }
    // Records after the completion are not logged: the log closed by itself.
    let mut after = *records.last().unwrap();
    after.audio_time += 1.0;
    std::thread::sleep(std::time::Duration::from_millis(200));
    tx.push(after);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let st = status.lock().unwrap().clone();
    assert_eq!(st.recording, None, "{}", st.message);
    assert_eq!(st.last_saved.as_deref(), Some(path.as_path()));
    let rows = read_log(&path);
    assert_eq!(rows.len(), records.len());
    assert_eq!(rows[709].name, "Rest");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(melodiasync::session::summary_path(&path)).unwrap(),
    )
    .unwrap();
    let stages = summary["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3);
    assert_eq!(stages[1]["baseline"], true);
    // The baseline stage was carried, with its 704 frames, when the next stage began.
    let carried = carried.lock().unwrap();
    assert_eq!(carried.len(), 1);
    let first = carried[0].as_ref().unwrap();
    assert_eq!((first.stage, first.stats.frames), (1, 704));
    // StopGuided leaves a log the user started alone.
    let manual = dir.join("manual.csv");
    cmd_tx.push(SessionCommand::Start(manual.clone()));
    cmd_tx.push(SessionCommand::StopGuided);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        status.lock().unwrap().recording.as_deref(),
        Some(manual.as_path())
    );
    drop(thread);
    std::fs::remove_dir_all(&dir).ok();
}
