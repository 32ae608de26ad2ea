//! Session reports to look at (`melodiasync report`), drawn with `plotters` into a PNG or an
//! SVG: the reward and chosen bands over time with a guided session's stages shaded and the
//! targets drawn in, the time in target per stage, and (from a folder of sessions) the trend
//! over the last sessions. Read from the session log (CSV) and the summaries beside logs.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

/// One row of a session log: what the report draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRow {
    /// Audio time, s.
    pub time: f64,
    /// Reward, 0..1.
    pub reward: f64,
    /// Whether in target.
    pub in_target: bool,
    /// The sustained reward's in-target level.
    pub in_target_level: f64,
    /// Band relative powers by band column (`alpha_rel`, ...), in [`Log::bands`] order.
    pub bands: Vec<f64>,
    /// The first three terms' targets, rewards then inhibit ceilings (NaN where the
    /// program has none).
    pub targets: [f64; 3],
    /// A guided session's stage index (-1: none) and name.
    pub stage: (i32, String),
}

/// A session log read for a report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    /// Band columns drawn, in order (`alpha_rel`).
    pub bands: Vec<String>,
    /// The rows.
    pub rows: Vec<LogRow>,
    /// Per stage index, whether the stage trains (from the summary beside the log; empty
    /// when there is none: every stage counts).
    pub training: Vec<bool>,
}

/// Reads a session log, keeping `bands` (relative-power column names). Errors: a sentence.
pub fn read_log(path: &Path, bands: &[String]) -> Result<Log, String> {
    let origin = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Cannot read the session log '{origin}' ({e})."))?;
    let text = crate::eeg::recording::strip_bom(&text);
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("'{origin}' is empty; it is not a session log."))?
        .split(',')
        .collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            format!(
                "'{origin}' has no '{name}' column; it is not a MelodiaSync session log \
                 (write one with `render --log` or the editor's session button)."
            )
        })
    };
    let (t, r, it) = (need("audio_time_s")?, need("reward")?, need("in_target")?);
    let band_cols = bands
        .iter()
        .map(|b| need(b))
        .collect::<Result<Vec<_>, _>>()?;
    let (lvl, si, sn) = (col("in_target_level"), col("stage_index"), col("stage"));
    let targets = [col("target_1"), col("target_2"), col("target_3")];
    let mut rows = Vec::new();
    let mut skipped = 0usize;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let num = |i: usize| cells.get(i).and_then(|c| c.trim().parse::<f64>().ok());
        let (Some(time), Some(reward)) = (num(t), num(r)) else {
            skipped += 1;
            continue;
        };
        rows.push(LogRow {
            time,
            reward,
            in_target: num(it).is_some_and(|v| v > 0.5),
            in_target_level: lvl.and_then(num).unwrap_or(f64::NAN),
            bands: band_cols
                .iter()
                .map(|c| num(*c).unwrap_or(f64::NAN))
                .collect(),
            targets: targets.map(|c| c.and_then(num).unwrap_or(f64::NAN)),
            stage: (
                si.and_then(num).map_or(-1, |v| v as i32),
                sn.and_then(|i| cells.get(i))
                    .map_or(String::new(), |s| s.trim().to_string()),
            ),
        });
    }
    if rows.is_empty() {
        return Err(format!(
            "'{origin}' holds no frames{}; there is nothing to report.",
            if skipped > 0 {
                format!(" ({skipped} rows could not be read)")
            } else {
                String::new()
            }
        ));
    }
    Ok(Log {
        bands: bands.to_vec(),
        rows,
        training: training_stages(&crate::session::summary_path(path)),
    })
}

impl Log {
    /// Writes the series the report draws, one row per frame, as CSV: `time_s`, `reward`,
    /// `in_target` (0/1), `in_target_level`, the band columns, `target_1..3`, `stage_index`,
    /// `stage` (NaN where the log has no value). The report's pictures plot exactly these.
    pub fn write_series(&self, out: &Path) -> Result<(), String> {
        let mut text = String::from("time_s,reward,in_target,in_target_level");
        for b in &self.bands {
            text.push(',');
            text.push_str(b);
        }
        text.push_str(",target_1,target_2,target_3,stage_index,stage\n");
        for r in &self.rows {
            let mut cells = vec![
                r.time.to_string(),
                r.reward.to_string(),
                u8::from(r.in_target).to_string(),
                r.in_target_level.to_string(),
            ];
            cells.extend(r.bands.iter().map(f64::to_string));
            cells.extend(r.targets.iter().map(f64::to_string));
            cells.push(r.stage.0.to_string());
            cells.push(r.stage.1.clone());
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        crate::files::write_atomically(out, text.as_bytes())
    }
}

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

/// Which stages train, by index, from a session summary's `stages` (`training`); empty when
/// the summary is missing or older than the field.
fn training_stages(summary: &Path) -> Vec<bool> {
    let Ok(text) = std::fs::read_to_string(summary) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for st in v["stages"].as_array().into_iter().flatten() {
        let (Some(i), Some(t)) = (st["stage"].as_u64(), st["training"].as_bool()) else {
            return Vec::new();
        };
        let i = i as usize;
        if out.len() <= i {
            out.resize(i + 1, false);
        }
        out[i] = t;
    }
    out
}

/// A guided session's stage visit as the log shows it: name, first and last time, seconds
/// in target (each step between frames counts when the earlier frame was in target).
#[derive(Clone, Debug, PartialEq)]
pub struct StageSpan {
    /// Stage index.
    pub index: i32,
    /// Stage name.
    pub name: String,
    /// First frame's time, s.
    pub start: f64,
    /// Last frame's time, s.
    pub end: f64,
    /// Seconds in target.
    pub in_target_s: f64,
    /// Whether it trains (false: sound only, its time in target is not the session's aim).
    pub training: bool,
}

impl Log {
    /// The stage visits in order (one span for the whole log without a guided session).
    pub fn spans(&self) -> Vec<StageSpan> {
        let mut out: Vec<StageSpan> = Vec::new();
        let mut prev: Option<&LogRow> = None;
        for r in &self.rows {
            let new = prev.is_none_or(|p| p.stage != r.stage);
            if new {
                out.push(StageSpan {
                    index: r.stage.0,
                    name: if r.stage.0 < 0 {
                        "session".into()
                    } else {
                        r.stage.1.clone()
                    },
                    start: r.time,
                    end: r.time,
                    in_target_s: 0.0,
                    training: usize::try_from(r.stage.0)
                        .ok()
                        .and_then(|i| self.training.get(i).copied())
                        .unwrap_or(true),
                });
            }
            let span = out.last_mut().expect("pushed");
            if let Some(p) = prev {
                if p.in_target && !new {
                    span.in_target_s += r.time - p.time;
                }
            }
            span.end = r.time;
            prev = Some(r);
        }
        out
    }
}

/// The font the report writes with (egui's Ubuntu Light, embedded: no system fonts needed).
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// Stage shading colours (Okabe-Ito, light).
const SHADES: [RGBColor; 5] = [
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xf0, 0xe4, 0x42),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0xe6, 0x9f, 0x00),
];
/// Band line colours (the editor's).
const BAND_COLOURS: [RGBColor; 7] = [
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x99, 0x99, 0x00),
];

/// Converts a drawing error into a sentence.
fn drawing<E: std::fmt::Debug>(out: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("Cannot draw the report '{}': {e:?}.", out.display())
}

/// Whether `out` names an SVG (else a PNG); a sentence for any other name, or for a folder
/// that does not exist.
fn picture_kind(out: &Path) -> Result<bool, String> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "png" && ext != "svg" {
        return Err(format!(
            "'{}': a report is a PNG or an SVG; end the name in .png or .svg.",
            out.display()
        ));
    }
    if let Some(dir) = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(format!(
            "Cannot write '{}': the folder '{}' does not exist.",
            out.display(),
            dir.display()
        ));
    }
    Ok(ext == "svg")
}

/// Draws the session report for `log` (titled `title`) into `out`: a PNG, or an SVG when
/// the name ends in `.svg` (any other name: a sentence). 1200 x 900 pixels.
pub fn draw_session(log: &Log, title: &str, out: &Path) -> Result<(), String> {
    register_font();
    let svg = picture_kind(out)?;
    let size = (1200, 900);
    if svg {
        let root = SVGBackend::new(out, size).into_drawing_area();
        session_panels(&root, log, title).map_err(drawing(out))?;
        root.present().map_err(drawing(out))
    } else {
        let root = BitMapBackend::new(out, size).into_drawing_area();
        session_panels(&root, log, title).map_err(drawing(out))?;
        root.present().map_err(drawing(out))
    }
}

/// The three panels.
fn session_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    log: &Log,
    title: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 26))?;
    let (top, rest) = root.split_vertically(330);
    let (middle, bottom) = rest.split_vertically(300);
    let spans = log.spans();
    let t0 = log.rows.first().map_or(0.0, |r| r.time) / 60.0;
    let t1 = (log.rows.last().map_or(1.0, |r| r.time) / 60.0).max(t0 + 1e-3);
    let shade = |chart: &mut ChartContext<DB, Cartesian2d<_, _>>, hi: f64| {
        let guided = spans.iter().any(|s| s.index >= 0);
        if !guided {
            return Ok(());
        }
        chart.draw_series(spans.iter().map(|s| {
            let c = SHADES[(s.index.max(0) as usize) % SHADES.len()].mix(0.18);
            Rectangle::new([(s.start / 60.0, 0.0), (s.end / 60.0, hi)], c.filled())
        }))?;
        chart.draw_series(spans.iter().map(|s| {
            Text::new(
                s.name.clone(),
                (s.start / 60.0 + 0.05, hi * 0.97),
                ("sans-serif", 14).into_font().color(&BLACK.mix(0.7)),
            )
        }))?;
        Ok(())
    };

    // Reward, in target shaded, the in-target level.
    let mut chart = ChartBuilder::on(&top)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .caption(
            "Reward (0-1) and the level 'in target' asks for (dashed)",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(t0..t1, 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .light_line_style(WHITE)
        .draw()?;
    shade(&mut chart, 1.05)?;
    chart.draw_series(log.rows.windows(2).filter(|w| w[0].in_target).map(|w| {
        Rectangle::new(
            [(w[0].time / 60.0, 0.0), (w[1].time / 60.0, 0.04)],
            RGBColor(0x00, 0x9e, 0x73).filled(),
        )
    }))?;
    chart.draw_series(LineSeries::new(
        log.rows.iter().map(|r| (r.time / 60.0, r.reward)),
        BLACK.stroke_width(1),
    ))?;
    dashed(
        &mut chart,
        log.rows.iter().map(|r| (r.time / 60.0, r.in_target_level)),
        RGBColor(0xd5, 0x5e, 0x00),
    )?;

    // Bands with the reward terms' targets.
    let hi = log
        .rows
        .iter()
        .flat_map(|r| r.bands.iter().chain(&r.targets))
        .copied()
        .filter(|v| v.is_finite() && *v <= 1.0)
        .fold(0.05, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&middle)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .caption(
            "Relative band power; the program's targets and ceilings dashed",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(t0..t1, 0.0..hi)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .light_line_style(WHITE)
        .draw()?;
    shade(&mut chart, hi)?;
    for (k, name) in log.bands.iter().enumerate() {
        let colour = BAND_COLOURS[band_colour(name)];
        chart
            .draw_series(LineSeries::new(
                log.rows.iter().map(|r| (r.time / 60.0, r.bands[k])),
                colour.stroke_width(1),
            ))?
            .label(name.trim_end_matches("_rel"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
    }
    for k in 0..3 {
        // Targets in relative-power units only (other scales do not share the axis).
        let points: Vec<(f64, f64)> = log
            .rows
            .iter()
            .map(|r| (r.time / 60.0, r.targets[k]))
            .filter(|(_, v)| v.is_finite() && *v > 0.0 && *v <= 1.0)
            .collect();
        dashed(&mut chart, points.into_iter(), RGBColor(0x55, 0x55, 0x55))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()?;

    // Time in target per stage.
    let n = spans.len().max(1);
    let top_s = spans.iter().map(|s| s.end - s.start).fold(1.0, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .caption(
            "Time in target per stage (of the stage's time)",
            ("sans-serif", 18),
        )
        .build_cartesian_2d(0.0..n as f64, 0.0..top_s)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(WHITE)
        .y_desc("seconds")
        .draw()?;
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        Rectangle::new(
            [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, s.end - s.start)],
            BLACK.mix(0.12).filled(),
        )
    }))?;
    // Stages that do not train are grey: scored, but not what the session works toward.
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        let colour = if s.training {
            RGBColor(0x00, 0x9e, 0x73)
        } else {
            RGBColor(0x99, 0x99, 0x99)
        };
        Rectangle::new(
            [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, s.in_target_s)],
            colour.filled(),
        )
    }))?;
    chart.draw_series(spans.iter().enumerate().map(|(i, s)| {
        let share = if s.end > s.start {
            100.0 * s.in_target_s / (s.end - s.start)
        } else {
            0.0
        };
        let sound_only = if s.training { "" } else { ", sound only" };
        Text::new(
            format!(
                "{} {:.0} s ({share:.0} %{sound_only})",
                s.name, s.in_target_s
            ),
            (i as f64 + 0.15, top_s * 0.93),
            ("sans-serif", 13).into_font(),
        )
    }))?;
    Ok(())
}

/// A dashed line through `points` (NaN points break it).
fn dashed<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    points: impl Iterator<Item = (f64, f64)>,
    colour: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let pts: Vec<(f64, f64)> = points.filter(|(_, v)| v.is_finite()).collect();
    // Every other short stretch: a dash.
    let dashes = pts
        .chunks(12)
        .step_by(2)
        .map(|c| PathElement::new(c.to_vec(), colour.stroke_width(2)));
    chart.draw_series(dashes)?;
    Ok(())
}

/// The editor's colour for a band column.
fn band_colour(name: &str) -> usize {
    crate::features::bands::STANDARD_BANDS
        .iter()
        .position(|b| format!("{}_rel", b.feature) == name)
        .unwrap_or(0)
        .min(BAND_COLOURS.len() - 1)
}

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
    register_font();
    let svg = picture_kind(out)?;
    let size = (1200, 500);
    if svg {
        let root = SVGBackend::new(out, size).into_drawing_area();
        history_panel(&root, points).map_err(drawing(out))?;
        root.present().map_err(drawing(out))
    } else {
        let root = BitMapBackend::new(out, size).into_drawing_area();
        history_panel(&root, points).map_err(drawing(out))?;
        root.present().map_err(drawing(out))
    }
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
