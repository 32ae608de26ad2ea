//! Session reports (`melodiasync report`, `melodiasync::report`): the figures drawn are the
//! log's own (time in target per stage against the session summary), the PNG and SVG are real
//! pictures of the right size with the stages in them, the history reads a folder of
//! summaries, and bad logs get a sentence.

use std::path::PathBuf;

use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::engine::Controls;
use melodiasync::render::{render_to_vec, EegInput, EegJob, RenderJob};
use melodiasync::report;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("melodiasync-report-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Renders the factory session `name` on `script` with a log at `log`.
fn guided_log(
    name: &str,
    script: &str,
    log: &std::path::Path,
) -> melodiasync::session::SessionSummary {
    let (list, _) = melodiasync::guide::library(None);
    let session = &melodiasync::guide::find(&list, name).unwrap().session;
    let (presets, _) = melodiasync::preset::library(None);
    let plan = melodiasync::guide::compile(session, &Default::default(), &presets).unwrap();
    let job = RenderJob {
        eeg: Some(EegJob {
            input: EegInput::parse(script).unwrap(),
            analysis: AnalysisConfig::default(),
            log: Some(log.to_path_buf()),
            heart: None,
        }),
        guide: Some(plan),
        audio: false,
        ..RenderJob::new(Controls::default(), 700.0)
    };
    render_to_vec(&job).unwrap().2.session.unwrap()
}

#[test]
fn the_report_draws_the_logs_own_figures() {
    let d = dir("draw");
    let log = d.join("focus.csv");
    let summary = guided_log("Focus reset", "sim:focus", &log);
    let bands = vec![
        "theta_rel".to_string(),
        "alpha_rel".into(),
        "smr_rel".into(),
    ];
    let data = report::read_log(&log, &bands).unwrap();
    assert_eq!(data.rows.len() as u64, summary.frames);
    let spans = data.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Arrive", "Baseline", "SMR", "Return"]);
    // Only SMR trains (the summary beside the log says so): the others are sound only.
    let training: Vec<bool> = spans.iter().map(|s| s.training).collect();
    assert_eq!(training, [false, false, true, false]);
    for (span, stage) in spans.iter().zip(&summary.stages) {
        assert!(
            (span.in_target_s - stage.summary.time_in_target_s).abs() < 1e-2,
            "{}: {} vs {}",
            span.name,
            span.in_target_s,
            stage.summary.time_in_target_s
        );
        assert!((span.start - stage.start_s).abs() < 1e-3);
    }
    // The targets are there for the training stage: SMR focus has one reward term and two
    // inhibit ceilings.
    let smr = data.rows.iter().find(|r| r.stage.1 == "SMR").unwrap();
    assert!(
        smr.targets.iter().all(|t| t.is_finite()),
        "{:?}",
        smr.targets
    );

    let png = d.join("focus.report.png");
    let svg = d.join("focus.report.svg");
    report::draw_session(&data, "Focus reset", &png).unwrap();
    report::draw_session(&data, "Focus reset", &svg).unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (1200, 900));
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 100, "{} colours", colours.len());
    // The stage shading: the SMR stage's green tint in the top panel.
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") || text.contains("<svg"));
    for name in [
        "Arrive",
        "Baseline",
        "SMR",
        "Return",
        "alpha",
        "Time in target per stage",
    ] {
        assert!(text.contains(name), "{name} missing in the SVG");
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn the_history_reads_the_folders_summaries_and_says_what_it_leaves_out() {
    let d = dir("history");
    let a = guided_log("Focus reset", "sim:focus", &d.join("2026-11-30-focus.csv"));
    let b = guided_log("Focus reset", "sim:steady", &d.join("2026-12-01-focus.csv"));
    std::fs::write(d.join("2026-12-02-broken.summary.json"), "{not json").unwrap();
    let (points, problems) = report::history(&d, 30).unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("broken") && problems[0].contains("left out"),
        "{}",
        problems[0]
    );
    assert_eq!(points[0].label, "2026-11-30-focus");
    assert!((points[0].time_in_target - a.time_in_target).abs() < 1e-9);
    assert!((points[1].time_in_target - b.time_in_target).abs() < 1e-9);
    // Baseline alpha: the baseline stage's mean relative alpha.
    let baseline = a.stages.iter().find(|s| s.name == "Baseline").unwrap();
    let alpha = baseline
        .summary
        .bands
        .iter()
        .find(|x| x.band == "alpha")
        .unwrap()
        .trend
        .mean;
    assert!((points[0].baseline_alpha - alpha as f64).abs() < 1e-6);
    // A focusing listener spends more time in target than a steady one.
    assert!(points[0].time_in_target > points[1].time_in_target);
    let out = d.join("history.png");
    report::draw_history(&points, &out).unwrap();
    assert_eq!(
        image::open(&out).unwrap().to_rgb8().dimensions(),
        (1200, 500)
    );
    // The newest session only, when asked: the broken file newer than it is said and does
    // not take its place.
    let (last, problems) = report::history(&d, 1).unwrap();
    assert_eq!((last.len(), problems.len()), (1, 1));
    assert_eq!(last[0].label, "2026-12-01-focus");
    let (two, _) = report::history(&d, 2).unwrap();
    assert_eq!(two, points);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_logs_get_a_sentence() {
    let d = dir("bad");
    let bands = vec!["alpha_rel".to_string()];
    let empty = d.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let e = report::read_log(&empty, &bands).unwrap_err();
    assert!(e.contains("is empty"), "{e}");
    let other = d.join("other.csv");
    std::fs::write(&other, "time,value\n1,2\n").unwrap();
    let e = report::read_log(&other, &bands).unwrap_err();
    assert!(
        e.contains("no 'audio_time_s' column") && e.contains("not a MelodiaSync session log"),
        "{e}"
    );
    let header_only = d.join("header.csv");
    std::fs::write(
        &header_only,
        "audio_time_s,eeg_time_s,reward,in_target,alpha_rel\n",
    )
    .unwrap();
    let e = report::read_log(&header_only, &bands).unwrap_err();
    assert!(e.contains("holds no frames"), "{e}");
    let e = report::read_log(&d.join("missing.csv"), &bands).unwrap_err();
    assert!(e.starts_with("Cannot read the session log"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}
