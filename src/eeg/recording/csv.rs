//! Text recordings: CSV with a header of channel labels (comma, semicolon or tab separated),
//! and the exports people bring — muse-lsl (`timestamps`), the OpenBCI GUI's raw `.txt`
//! (`%` comment lines with the rate, "EXG Channel N" columns), Mind Monitor (its `RAW_`
//! columns). A BrainFlow data file (tab-separated, no header) is recognised and refused with
//! what to do, because its columns depend on the board.
//!
//! Signals are chosen as for every format (see [`super::select`]): a time column is used
//! for the rate and gaps, non-EEG columns are left out and said so.

use super::select::{choose, SignalInfo};
use super::text::decode;
use super::timing::timeline;
use super::{ReadOptions, Recording, Segment, RATE_TOLERANCE};

/// Header names of a time column in seconds (any column, case-insensitive).
const TIME_COLUMNS: [&str; 8] = [
    "time",
    "timestamp",
    "timestamps",
    "t",
    "time_s",
    "time (s)",
    "lsl_timestamp",
    "seconds",
];

/// Header names of a time column in milliseconds.
const TIME_MS_COLUMNS: [&str; 4] = ["time_ms", "timestamp_ms", "time (ms)", "ms"];

/// Reads a text recording.
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Recording, String> {
    parse(&decode(bytes), options)
}

/// Parses CSV text with a header of channel labels; `rate` for files without a time column.
/// Empty cells and "nan" become NaN (the quality checks flag them); anything else that is
/// not a number is an error naming the line and column.
pub fn parse_csv(text: &str, rate: Option<f32>) -> Result<Recording, String> {
    parse(text, &ReadOptions::with_rate(rate))
}

/// A table as read: column names, their values by row, and comment lines.
struct Table<'a> {
    names: Vec<String>,
    rows: Vec<(usize, Vec<&'a str>)>,
    comments: Vec<&'a str>,
}

fn parse(text: &str, options: &ReadOptions) -> Result<Recording, String> {
    let text = super::text::strip_bom(text);
    let mut comments = Vec::new();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter(|(_, l)| {
            let comment = l.starts_with('%') || l.starts_with('#');
            if comment {
                comments.push(l.trim_start_matches(['%', '#']).trim());
            }
            !comment
        });
    let (_, mut header) = lines
        .next()
        .ok_or("the file is empty; a CSV recording starts with a header of channel labels.")?;
    // Emotiv writes a title line of `key:value` cells above the header
    // ("title:…,sampling rate:eeg_128,…"): metadata, with the rate in it.
    let mut title_rate = None;
    if header.split(',').all(|c| c.contains(':')) {
        title_rate = header.split(',').find_map(|c| {
            let (k, v) = c.split_once(':')?;
            k.trim().eq_ignore_ascii_case("sampling rate").then(|| {
                v.trim_start_matches(|ch: char| !ch.is_ascii_digit())
                    .parse::<f64>()
                    .ok()
            })?
        });
        header = lines
            .next()
            .map(|(_, h)| h)
            .ok_or("the file holds a title line and nothing else.")?;
    }
    let sep = [',', ';', '\t']
        .into_iter()
        .max_by_key(|s| header.matches(*s).count())
        .unwrap_or(',');
    let names: Vec<String> = header
        .split(sep)
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    if names.iter().all(|n| n.parse::<f64>().is_ok()) {
        return Err(if sep == '\t' {
            "this looks like a BrainFlow data file (tab-separated numbers, no header): its \
             columns depend on the board. Write the EEG rows with a header of channel labels \
             (BoardShim.get_eeg_channels gives the rows), or stream it over LSL."
                .into()
        } else {
            "the first line must name the channels (e.g. 'Fp1,Fp2,O1'), not hold numbers.".into()
        });
    }
    let rows = lines
        .map(|(n, l)| (n + 1, l.split(sep).map(str::trim).collect()))
        .collect();
    let table = Table {
        names,
        rows,
        comments,
    };
    let declared = declared_rate(&table.comments).or(title_rate);
    let mind_monitor = table.names.iter().any(|n| n.starts_with("RAW_"));
    let time_col = table.names.iter().position(|n| {
        let n = n.to_ascii_lowercase();
        TIME_COLUMNS.contains(&n.as_str()) || TIME_MS_COLUMNS.contains(&n.as_str())
    });
    // Seconds per unit of the time column.
    let time_unit = match time_col {
        Some(t) if TIME_MS_COLUMNS.contains(&table.names[t].to_ascii_lowercase().as_str()) => 1e-3,
        _ => 1.0,
    };
    let mut signals: Vec<(usize, SignalInfo)> = Vec::new();
    for (c, name) in table.names.iter().enumerate() {
        if Some(c) == time_col || is_time_like(name) {
            continue;
        }
        let label = if mind_monitor {
            match name.strip_prefix("RAW_") {
                Some(site) => site.to_string(),
                // Mind Monitor's band powers and sensors are not raw EEG.
                None => continue,
            }
        } else {
            name.strip_prefix("EXG Channel ")
                .map_or(name.clone(), |n| format!("EXG{n}"))
        };
        signals.push((
            c,
            SignalInfo {
                label,
                unit: String::new(),
                declared_type: if name.starts_with("EXG Channel ") {
                    "EEG".into()
                } else {
                    String::new()
                },
                rate: 0.0,
            },
        ));
    }
    // The columns read: the time column and the candidate signals (once, not per cell).
    let mut wanted = vec![false; table.names.len()];
    for c in signals.iter().map(|(c, _)| *c).chain(time_col) {
        wanted[c] = true;
    }
    let mut values = vec![Vec::<f64>::with_capacity(table.rows.len()); table.names.len()];
    let mut skipped = 0usize;
    for (n, cells) in &table.rows {
        if cells.len() != table.names.len() {
            return Err(format!(
                "line {n} has {} values but the header names {} columns.",
                cells.len(),
                table.names.len()
            ));
        }
        // Mind Monitor writes marker rows ("/muse/elements/…") without raw values.
        if mind_monitor && signals.iter().all(|(c, _)| cells[*c].is_empty()) {
            skipped += 1;
            continue;
        }
        for (c, cell) in cells.iter().enumerate() {
            if !wanted[c] {
                continue;
            }
            let cell = cell.trim_matches('"');
            // European spreadsheets: semicolons between cells, commas in numbers.
            let comma;
            let cell = if sep == ';' && cell.contains(',') {
                comma = cell.replace(',', ".");
                comma.as_str()
            } else {
                cell
            };
            let v = if cell.is_empty() || cell.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else if let Some(t) = (Some(c) == time_col).then(|| date_time_s(cell)).flatten() {
                // Mind Monitor writes its time stamps as dates.
                t
            } else {
                let v: f64 = cell.parse().map_err(|_| {
                    format!(
                        "line {n}, column '{}': '{cell}' is not a number.",
                        table.names[c]
                    )
                })?;
                if Some(c) == time_col {
                    v * time_unit
                } else {
                    v
                }
            };
            values[c].push(v);
        }
    }
    let frames = time_col.map_or(signals.first().map_or(0, |(c, _)| values[*c].len()), |t| {
        values[t].len()
    });
    if frames == 0 {
        return Err("the file has a header but no samples.".into());
    }
    let mut warnings = Vec::new();
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} rows without raw EEG (Mind Monitor markers) were skipped"
        ));
    }
    // The time column's timeline (milliseconds recognised), when there is one.
    let from_times = match time_col {
        Some(t) => (|| {
            let mut tl = timeline(&values[t], declared, &[])?;
            if tl.rate < 1.0 && tl.rate * 1000.0 >= 32.0 {
                // Steps of a few units at EEG rates: the column is in milliseconds.
                values[t].iter_mut().for_each(|v| *v /= 1000.0);
                tl = timeline(&values[t], declared, &[])?;
                tl.warnings.insert(
                    0,
                    format!(
                        "the time column '{}' holds milliseconds (its steps are {:.0} units at \
                         an EEG rate); read as milliseconds",
                        table.names[t],
                        1000.0 / tl.rate
                    ),
                );
            }
            Ok::<_, String>(tl)
        })()
        // A rate the user gave stands even where the time column is unusable.
        .map(Some)
        .or_else(|e| {
            if options.rate.is_some() {
                Ok(None)
            } else {
                Err(e)
            }
        })?,
        None => None,
    };
    // The rate and the segments: the user's rate, else the time column, else the header.
    let (rate, segments) = match (options.rate, from_times) {
        (Some(r), _) if !(r.is_finite() && r > 0.0) => {
            return Err(format!("a sample rate of {r} Hz is not valid."))
        }
        (Some(r), tl) => {
            let r = r as f64;
            let start = time_col.map_or(0.0, |t| values[t][0]).max(0.0);
            if let Some(tl) = tl.filter(|tl| (tl.rate / r - 1.0).abs() > RATE_TOLERANCE) {
                warnings.push(format!(
                    "the time column shows {} Hz, but {r} Hz was given; analysed at {r} Hz as \
                     asked (leave the rate out to use the time column)",
                    tl.rate
                ));
            }
            (
                r,
                vec![Segment {
                    start: 0,
                    time: start,
                }],
            )
        }
        (None, Some(tl)) => {
            warnings.extend(tl.warnings);
            (tl.rate, tl.segments)
        }
        (None, None) => match declared {
            Some(r) => (
                r,
                vec![Segment {
                    start: 0,
                    time: 0.0,
                }],
            ),
            None => {
                // A column that looks like time but in no unit read here: name it.
                let hint = match table
                    .names
                    .iter()
                    .find(|n| is_time_like(n) && n.to_ascii_lowercase().contains("time"))
                {
                    Some(n) => format!(
                        "the column '{n}' looks like time but its unit is unknown; name it \
                         'time' (seconds) or 'time_ms', or give the rate (--rate, or \
                         --eeg-rate for render and calibrate)."
                    ),
                    None => "there is no time column (time, timestamps, time_ms, …), so the \
                             sample rate is unknown; give it (--rate, or --eeg-rate for \
                             render and calibrate)."
                        .into(),
                };
                return Err(hint);
            }
        },
    };
    for (c, s) in signals.iter_mut() {
        s.rate = rate;
        // An unnamed column or one counting 0, 1, 2, … is an index (pandas, spreadsheets),
        // whatever its name: never EEG.
        if table.names[*c].is_empty() || is_counter(&values[*c]) {
            s.declared_type = "sample counter".into();
            if s.label.is_empty() {
                s.label = "(unnamed column)".into();
            }
        }
    }
    let infos: Vec<SignalInfo> = signals.iter().map(|(_, s)| s.clone()).collect();
    let choice = choose(&infos, &options.channels)?;
    let cols: Vec<usize> = choice.used.iter().map(|&i| signals[i].0).collect();
    let mut samples = Vec::with_capacity(frames * cols.len());
    for row in 0..frames {
        // Column-major in the table, interleaved in the recording.
        samples.extend(
            cols.iter()
                .map(|&c| values[c].get(row).map_or(f32::NAN, |v| *v as f32)),
        );
    }
    // CSV has no unit: EEG in µV has a spread of microvolts, EEG written in volts (numpy,
    // MNE's get_data) one of 1e-7..1e-3. Read the latter as volts, and say so.
    let spreads: Vec<f64> = cols.iter().map(|&c| std_dev(&values[c])).collect();
    if !spreads.is_empty() && spreads.iter().all(|s| *s > 0.0 && *s < 1e-3) {
        samples.iter_mut().for_each(|x| *x *= 1e6);
        warnings.push(format!(
            "the values are tiny for microvolts (largest spread {:.1e}), as EEG written in \
             volts is; read as volts (×1e6 to µV)",
            spreads.iter().cloned().fold(0.0, f64::max)
        ));
    }
    let mut summary = choice.summary;
    if mind_monitor {
        summary = format!("Mind Monitor export: {summary}");
    } else if declared.is_some() && table.names.iter().any(|n| n.starts_with("EXG Channel ")) {
        summary = format!("OpenBCI GUI export: {summary}");
    }
    Ok(Recording {
        labels: choice
            .used
            .iter()
            .map(|&i| infos[i].label.clone())
            .collect(),
        sample_rate: rate as f32,
        samples,
        segments,
        summary,
        warnings,
    })
}

/// Whether `v` counts up by one (0, 1, 2, … or from any start) for at least 16 rows: an
/// index, not a signal.
fn is_counter(v: &[f64]) -> bool {
    v.len() >= 16 && v.windows(2).all(|w| w[1] - w[0] == 1.0) && v[0].fract() == 0.0
}

/// Population standard deviation of the finite values (0 for fewer than two).
fn std_dev(v: &[f64]) -> f64 {
    let x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if x.len() < 2 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Columns that hold time or counters in another form than seconds (left out).
fn is_time_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("timestamp") || n.starts_with("time") || n == "sample index"
}

/// Seconds since 1970 of "YYYY-MM-DD HH:MM:SS(.fff)" (no time zone: only differences are
/// used), `None` for anything else.
fn date_time_s(text: &str) -> Option<f64> {
    let (date, time) = text.split_once(' ')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, min, sec) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + h * 3600.0 + min * 60.0 + sec)
}

/// "Sample Rate = 250 Hz" in comment lines (OpenBCI GUI).
fn declared_rate(comments: &[&str]) -> Option<f64> {
    comments.iter().find_map(|c| {
        let (key, value) = c.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("sample rate") {
            return None;
        }
        value
            .trim()
            .trim_end_matches("Hz")
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| *r > 0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_time_column_and_infers_the_rate() {
        let r = parse_csv("time,O1,O2\n0.0,1,2\n0.004,3,\n0.008,5,6\n", None).unwrap();
        assert_eq!(r.labels, ["O1", "O2"]);
        assert_eq!(r.sample_rate, 250.0);
        assert_eq!(r.frames(), 3);
        assert_eq!(r.frame(0), [1.0, 2.0]);
        assert!(r.frame(1)[1].is_nan());
        assert_eq!(r.time(2), 0.008);
    }

    #[test]
    fn a_bom_and_crlf_do_not_make_a_channel() {
        let r = read(
            b"\xEF\xBB\xBFtime,O1,O2\r\n0,1,2\r\n0.5,3,4\r\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (r.labels.clone(), r.sample_rate),
            (vec!["O1".into(), "O2".into()], 2.0)
        );
    }

    #[test]
    fn exports_are_recognised() {
        // muse-lsl: `timestamps`, four sites and the right AUX input.
        let m = "timestamps,TP9,AF7,AF8,TP10,Right AUX\n10.0,1,2,3,4,5\n10.5,1,2,3,4,5\n";
        let r = parse_csv(m, None).unwrap();
        assert_eq!(r.labels, ["TP9", "AF7", "AF8", "TP10"]);
        assert!(
            r.summary.contains("Right AUX (auxiliary input)"),
            "{}",
            r.summary
        );
        // OpenBCI GUI: the rate from the comments, the EXG columns only.
        let o = "%OpenBCI Raw EEG Data\n%Sample Rate = 250 Hz\nSample Index, EXG Channel 0, \
                 EXG Channel 1, Accel Channel 0, Timestamp\n0, 1, 2, 0.1, 1700000000.0\n1, 3, \
                 4, 0.1, 1700000000.004\n";
        let r = parse_csv(o, None).unwrap();
        assert_eq!(
            (r.labels.clone(), r.sample_rate),
            (vec!["EXG0".into(), "EXG1".into()], 250.0)
        );
        assert_eq!(r.frame(1), [3.0, 4.0]);
        // Mind Monitor: dates as time stamps, RAW_ columns, marker rows skipped.
        let mm = "TimeStamp,Delta_TP9,RAW_TP9,RAW_AF7,Elements\n\
                  2024-01-01 10:00:00.000,0.5,800,810,\n\
                  2024-01-01 10:00:00.004,0.5,801,811,\n\
                  2024-01-01 10:00:00.006,,,,/muse/elements/blink\n\
                  2024-01-01 10:00:00.008,0.5,802,812,\n";
        let r = parse_csv(mm, None).unwrap();
        assert_eq!(
            (r.labels.clone(), r.sample_rate),
            (vec!["TP9".into(), "AF7".into()], 250.0)
        );
        assert!(
            r.warnings[0].contains("1 rows without raw EEG"),
            "{:?}",
            r.warnings
        );
        assert_eq!(date_time_s("1970-01-02 00:00:01.5"), Some(86_401.5));
        // Emotiv: a title line with the rate, then the header.
        let e =
            "title:T,sampling rate:eeg_128,channels:2\nEEG.Counter,EEG.AF3,EEG.O1\n0,1,2\n1,3,4\n";
        let r = parse_csv(e, None).unwrap();
        assert_eq!(
            (r.labels.clone(), r.sample_rate),
            (vec!["EEG.AF3".into(), "EEG.O1".into()], 128.0)
        );
        // BrainFlow: no header, tab-separated.
        let e = parse_csv("0.0\t1.0\t2.0\n", None).unwrap_err();
        assert!(e.contains("BrainFlow"), "{e}");
    }

    #[test]
    fn index_columns_volts_and_decimal_commas() {
        let rows: String = (0..20)
            .map(|i| format!("{i},{},{}\n", (i * 7 % 5) as f32 - 2.0, (i * 3 % 4) as f32))
            .collect();
        let r = parse_csv(&format!(",Ch1,Ch2\n{rows}"), Some(256.0)).unwrap();
        assert_eq!(r.labels, ["Ch1", "Ch2"]);
        assert!(
            r.summary.contains("(unnamed column) (type sample counter)"),
            "{}",
            r.summary
        );
        let volts = "time,O1\n0,1e-5\n0.5,-2e-5\n1.0,3e-5\n";
        let r = parse_csv(volts, None).unwrap();
        assert!((r.frame(0)[0] - 10.0).abs() < 1e-3, "{:?}", r.frame(0));
        assert!(r.warnings[0].contains("read as volts"), "{:?}", r.warnings);
        let eu = "time;O1\n0,000;1,5\n0,004;-2,25\n";
        let r = parse_csv(eu, None).unwrap();
        assert_eq!((r.sample_rate, r.frame(1)[0]), (250.0, -2.25));
        let ms = "timestamp,O1\n1700000000000,1\n1700000000004,2\n1700000000008,3\n";
        let r = parse_csv(ms, None).unwrap();
        assert_eq!(r.sample_rate, 250.0);
        assert!(
            r.warnings[0].contains("holds milliseconds"),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn time_columns_in_milliseconds_and_unknown_units() {
        let r = parse_csv("time_ms,O1\n1000,1\n1004,2\n1008,3\n", None).unwrap();
        assert_eq!((r.sample_rate, r.time(0)), (250.0, 1.0));
        let e = parse_csv("time_us,O1\n0,1\n4000,2\n", None).unwrap_err();
        assert!(e.contains("'time_us' looks like time"), "{e}");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_csv("O1,O2\n1,2\n", None).unwrap_err();
        assert!(e.contains("--rate"), "{e}");
        let e = parse_csv("O1,O2\n1,2\n3\n", Some(256.0)).unwrap_err();
        assert!(e.contains("line 3 has 1 values"), "{e}");
        let e = parse_csv("O1\n1\nabc\n", Some(256.0)).unwrap_err();
        assert!(e.contains("'abc' is not a number"), "{e}");
        let e = parse_csv("1,2\n3,4\n", Some(256.0)).unwrap_err();
        assert!(e.contains("name the channels"), "{e}");
        assert!(parse_csv("", Some(1.0)).unwrap_err().contains("empty"));
    }
}
