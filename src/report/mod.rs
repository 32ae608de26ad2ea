//! Session reports to look at (`melodiasync report`), drawn with `plotters` into a PNG or an
//! SVG: the reward and chosen bands over time with a guided session's stages shaded and the
//! targets drawn in, the time in target per stage, and (from a folder of sessions) the trend
//! over the last sessions. Read from the session log (CSV) and the summaries beside logs.
//!
//! `log.rs` reads a log and its stage spans, `draw.rs` draws a session, `history.rs` reads and
//! draws the trend over a folder of sessions.

mod draw;
mod history;
mod log;

use std::path::{Path, PathBuf};

pub use draw::draw_session;
pub use history::{draw_history, history, write_history, HistoryPoint};
pub use log::{read_log, Log, LogRow, StageSpan};

/// The files a report writes beside a log `NAME.csv`: `NAME.report.png`, `NAME.report.svg`
/// and the plotted series `NAME.report.csv`; with `out` (a PNG or an SVG by its name), that
/// picture and `OUT.series.csv`.
/// `bands` are band names (`alpha`, `smr`, ...). Returns what was written; errors: a
/// sentence (a bad band name, an unreadable log, a failed drawing).
pub fn write_report(
    log_path: &Path,
    bands: &[String],
    out: Option<&Path>,
) -> Result<Vec<PathBuf>, String> {
    let known: Vec<&str> = crate::features::bands::STANDARD_BANDS
        .iter()
        .map(|b| b.feature)
        .collect();
    let mut columns = Vec::new();
    for b in bands {
        let b = b.trim().to_lowercase().replace('-', "_");
        if !known.contains(&b.as_str()) {
            return Err(format!(
                "'{b}' is not a band; choose from {}.",
                known.join(", ")
            ));
        }
        let column = format!("{b}_rel");
        // A band named twice is drawn once.
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    let log = read_log(log_path, &columns)?;
    let stem = stem(log_path);
    let pictures = match out {
        Some(o) => vec![o.to_path_buf()],
        None => vec![
            beside(log_path, "report.png"),
            beside(log_path, "report.svg"),
        ],
    };
    let spans = log.spans();
    let minutes = (log.rows.last().map_or(0.0, |r| r.time) - log.rows[0].time) / 60.0;
    let in_target: f64 = spans
        .iter()
        .filter(|s| s.training)
        .map(|s| s.in_target_s)
        .sum();
    let while_training = if log.training.is_empty() {
        ""
    } else {
        " while training"
    };
    let title = format!("{stem}: {minutes:.1} min, {in_target:.0} s in target{while_training}");
    for p in &pictures {
        if p == log_path {
            return Err(format!(
                "'{}' is the log itself; choose another --out.",
                p.display()
            ));
        }
        draw_session(&log, &title, p)?;
    }
    // NAME.report.csv beside the log; beside a picture given by name, PICTURE.series.csv
    // (never the log itself).
    let series = match out {
        None => beside(log_path, "report.csv"),
        Some(o) => o.with_extension("series.csv"),
    };
    log.write_series(&series)?;
    Ok(pictures.into_iter().chain([series]).collect())
}

/// A log's name without its extension.
fn stem(log: &Path) -> String {
    log.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".into())
}

/// `NAME.suffix` beside the log `NAME.csv`.
pub fn beside(log: &Path, suffix: &str) -> PathBuf {
    log.with_file_name(format!("{}.{suffix}", stem(log)))
}
