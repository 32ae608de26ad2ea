//! The trend over a folder of sessions: time in target and baseline alpha per session, read
//! from the summaries beside the logs.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::draw::write_picture;

/// One session in a history: its summary file's date and figures.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    /// Session label (the file's date, `YYYY-MM-DD HH:MM`, or its name).
    pub label: String,
    /// Share of the time with EEG in target, 0..1.
    pub time_in_target: f64,
    /// Baseline alpha: the mean relative alpha of the session's first baseline stage, else of
    /// its first minute.
    pub baseline_alpha: f64,
}

/// The summaries (`*.summary.json`) in `dir`, oldest first by name (session files are named
/// by their start time): the newest `keep` that can be read. Files that cannot be read
/// (among the newer ones) are said in the second list and left out.
pub fn history(dir: &Path, keep: usize) -> Result<(Vec<HistoryPoint>, Vec<String>), String> {
    let listing = std::fs::read_dir(dir)
        .map_err(|e| format!("Cannot read the session folder '{}' ({e}).", dir.display()))?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".summary.json"))
        .collect();
    files.sort();
    // The newest first, until `keep` sessions are read: a broken file does not take a place.
    let mut points = Vec::new();
    let mut problems = Vec::new();
    for f in files.iter().rev() {
        if points.len() >= keep {
            break;
        }
        match history_point(f) {
            Ok(p) => points.push(p),
            Err(e) => problems.push(e),
        }
    }
    points.reverse();
    problems.reverse();
    Ok((points, problems))
}

/// One summary file as a history point.
fn history_point(path: &Path) -> Result<HistoryPoint, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("'{}' cannot be read ({e}); left out.", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "'{}' is not a session summary ({e}); left out.",
            path.display()
        )
    })?;
    let alpha_of = |bands: &serde_json::Value, key: &str| {
        bands.as_array().and_then(|b| {
            b.iter()
                .find(|x| x["band"] == "alpha")
                .and_then(|x| x[key].as_f64())
        })
    };
    // The first baseline stage (summaries before the stage kind was written: by its name).
    let baseline = v["stages"].as_array().and_then(|s| {
        s.iter()
            .find(|st| {
                st["baseline"].as_bool().unwrap_or_else(|| {
                    st["name"]
                        .as_str()
                        .is_some_and(|n| n.to_lowercase().contains("baseline"))
                })
            })
            .and_then(|st| alpha_of(&st["bands"], "mean"))
    });
    let time_in_target = v["time_in_target"]
        .as_f64()
        .ok_or_else(|| format!("'{}' has no time_in_target; left out.", path.display()))?;
    let baseline_alpha = baseline
        .or_else(|| alpha_of(&v["bands"], "start_mean"))
        .unwrap_or(f64::NAN);
    let name = path
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_end_matches(".summary.json")
                .to_string()
        })
        .unwrap_or_default();
    Ok(HistoryPoint {
        label: name,
        time_in_target,
        baseline_alpha,
    })
}

/// Writes the history's points as CSV (`session,time_in_target,baseline_alpha`): what
/// [`draw_history`] plots.
pub fn write_history(points: &[HistoryPoint], out: &Path) -> Result<(), String> {
    let mut text = String::from("session,time_in_target,baseline_alpha\n");
    for p in points {
        text.push_str(&format!(
            "{},{},{}\n",
            p.label, p.time_in_target, p.baseline_alpha
        ));
    }
    crate::files::write_atomically(out, text.as_bytes())
}

/// Draws the history (time in target and baseline alpha per session) into `out` (PNG or SVG).
pub fn draw_history(points: &[HistoryPoint], out: &Path) -> Result<(), String> {
    write_picture!(out, (1200, 500), |root| history_panel(root, points))
}

/// The history chart.
fn history_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[HistoryPoint],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let n = points.len().max(1) as f64;
    let alpha_hi = points
        .iter()
        .map(|p| p.baseline_alpha)
        .filter(|v| v.is_finite())
        .fold(0.05, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(root)
        .margin(16)
        .caption(
            "Sessions: time in target (green, %) and baseline alpha (blue)",
            ("sans-serif", 22),
        )
        .x_label_area_size(60)
        .y_label_area_size(50)
        .right_y_label_area_size(50)
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..100.0)?
        .set_secondary_coord(-0.5..n - 0.5, 0.0..alpha_hi);
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    chart
        .configure_mesh()
        .x_labels(points.len().min(12))
        .x_label_formatter(&|x| {
            labels
                .get(x.round().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        })
        .y_desc("time in target, %")
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("baseline alpha (relative)")
        .draw()?;
    let green = RGBColor(0x00, 0x9e, 0x73);
    let blue = RGBColor(0x00, 0x72, 0xb2);
    chart.draw_series(LineSeries::new(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as f64, 100.0 * p.time_in_target)),
        green.stroke_width(2),
    ))?;
    chart.draw_series(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| Circle::new((i as f64, 100.0 * p.time_in_target), 4, green.filled())),
    )?;
    chart.draw_secondary_series(LineSeries::new(
        points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.baseline_alpha.is_finite())
            .map(|(i, p)| (i as f64, p.baseline_alpha)),
        blue.stroke_width(2),
    ))?;
    Ok(())
}
