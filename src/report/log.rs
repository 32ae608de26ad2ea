//! A session log read for a report: its rows, the stage visits they make, and the series
//! the pictures plot.

use std::path::Path;

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
