//! Recorded EEG read whole into memory: CSV and EDF/EDF+/BDF (XDF joins this module next).

use std::path::Path;

/// A multichannel recording in µV.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// One label per channel.
    pub labels: Vec<String>,
    /// Samples per second.
    pub sample_rate: f32,
    /// Samples, interleaved: frame `i`, channel `c` is at `i · channels + c`.
    pub samples: Vec<f32>,
    /// Timestamp of each frame in seconds, when the file had them.
    pub times: Option<Vec<f64>>,
}

impl Recording {
    /// Channel count.
    pub fn channels(&self) -> usize {
        self.labels.len()
    }

    /// Frame count.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.channels().max(1)
    }

    /// Time of frame `i`: the file's timestamp, else `i / rate`.
    pub fn time(&self, i: usize) -> f64 {
        self.times
            .as_ref()
            .map_or(i as f64 / self.sample_rate as f64, |t| t[i])
    }

    /// Frame `i` as a slice of channel values.
    pub fn frame(&self, i: usize) -> &[f32] {
        let c = self.channels();
        &self.samples[i * c..(i + 1) * c]
    }
}

/// Opens a recording by extension. `rate` is needed for CSV files without a time column.
pub fn open(path: &Path, rate: Option<f32>) -> Result<Recording, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "Cannot read '{}': {e}. Check the path and permissions.",
                    path.display()
                )
            })?;
            parse_csv(&text, rate).map_err(|e| format!("'{}': {e}", path.display()))
        }
        "edf" | "bdf" => read_edf(path),
        "xdf" => read_xdf(path),
        other => Err(format!(
            "'{}' has the extension '{other}', which MelodiaSync cannot read yet; use CSV (with a \
             header of channel labels), EDF, BDF or XDF.",
            path.display()
        )),
    }
}

/// Reads the first regularly sampled numeric stream of an XDF file (LabRecorder), preferring
/// one of type EEG: labels from `desc/channels/channel/label`, timestamps as recorded (clock
/// offsets applied by the `xdf` crate), values taken as µV.
fn read_xdf(path: &Path) -> Result<Recording, String> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| format!("Cannot read '{shown}': {e}. Check the path and permissions."))?;
    let file = xdf::XDFFile::from_bytes(&bytes).map_err(|e| {
        format!("Cannot read '{shown}' as XDF ({e}). Check that the file is a complete LabRecorder recording.")
    })?;
    let usable: Vec<_> = file
        .streams
        .iter()
        .filter(|s| {
            s.nominal_srate.is_some_and(|r| r > 0.0)
                && s.format != xdf::Format::String
                && s.channel_count > 0
                && !s.samples.is_empty()
        })
        .collect();
    let stream = usable
        .iter()
        .find(|s| {
            s.r#type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("EEG"))
        })
        .or(usable.first())
        .copied()
        .ok_or_else(|| {
            format!("'{shown}' has no regularly sampled numeric stream (only markers or strings).")
        })?;
    let channels = stream.channel_count as usize;
    let mut labels: Vec<String> = stream
        .header
        .get_child("desc")
        .and_then(|d| d.get_child("channels"))
        .map(|c| {
            c.children
                .iter()
                .filter_map(|n| n.as_element())
                .filter_map(|ch| {
                    ch.get_child("label")
                        .and_then(|l| l.get_text())
                        .map(|t| t.trim().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    if labels.len() != channels {
        labels = (1..=channels).map(|i| format!("ch{i}")).collect();
    }
    let mut samples = Vec::with_capacity(stream.samples.len() * channels);
    let mut times = Vec::with_capacity(stream.samples.len());
    for s in &stream.samples {
        let before = samples.len();
        match &s.values {
            xdf::Values::Int8(v) => samples.extend(v.iter().map(|x| *x as f32)),
            xdf::Values::Int16(v) => samples.extend(v.iter().map(|x| *x as f32)),
            xdf::Values::Int32(v) => samples.extend(v.iter().map(|x| *x as f32)),
            xdf::Values::Int64(v) => samples.extend(v.iter().map(|x| *x as f32)),
            xdf::Values::Float32(v) => samples.extend_from_slice(v),
            xdf::Values::Float64(v) => samples.extend(v.iter().map(|x| *x as f32)),
            xdf::Values::String(_) => {}
        }
        if samples.len() - before != channels {
            return Err(format!(
                "'{shown}' has a sample with {} values in a {channels}-channel stream.",
                samples.len() - before
            ));
        }
        times.push(s.timestamp.unwrap_or(f64::NAN));
    }
    let rate = stream.nominal_srate.unwrap_or(1.0) as f32;
    let have_times = times.iter().all(|t| t.is_finite());
    Ok(Recording {
        labels,
        sample_rate: rate,
        samples,
        times: have_times.then_some(times),
    })
}

/// Microvolts per unit of an EDF physical dimension (unknown dimensions are taken as µV).
fn microvolts_per_unit(dimension: &str) -> f64 {
    match dimension.trim() {
        "V" => 1e6,
        "mV" => 1e3,
        "nV" => 1e-3,
        _ => 1.0,
    }
}

/// Reads an EDF/EDF+/BDF/BDF+ file with `edf-rs`: the data signals that share the most common
/// sample rate (annotation signals and signals at other rates are left out), converted from
/// digital to physical values in µV.
fn read_edf(path: &Path) -> Result<Recording, String> {
    let shown = path.display();
    let mut edf = edf_rs::file::EDFFile::open(path).map_err(|e| {
        format!("Cannot read '{shown}' as EDF/BDF ({e:?}). Check that the file is a complete EDF or BDF recording.")
    })?;
    let signals: Vec<edf_rs::headers::signal_header::SignalHeader> =
        edf.header.get_signals().clone();
    let duration = edf.header.get_record_duration();
    // Data signals in file order; `edf-rs` stores their samples in the same order.
    let data: Vec<&edf_rs::headers::signal_header::SignalHeader> =
        signals.iter().filter(|s| !s.is_annotation()).collect();
    let Some(count) = mode(data.iter().map(|s| s.samples_count)) else {
        return Err(format!("'{shown}' has no data signals, only annotations."));
    };
    if !duration.is_finite() || duration <= 0.0 || count == 0 {
        return Err(format!("'{shown}' declares records of {duration} s with {count} samples; that is not a usable sample rate."));
    }
    let keep: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].samples_count == count)
        .collect();
    let scale: Vec<(f64, f64)> = keep
        .iter()
        .map(|&i| {
            let s = data[i];
            let span = (s.digital_maximum - s.digital_minimum) as f64;
            let gain = if span != 0.0 {
                (s.physical_maximum - s.physical_minimum) / span
            } else {
                1.0
            };
            let unit = microvolts_per_unit(&s.physical_dimension);
            (
                gain * unit,
                (s.physical_minimum - gain * s.digital_minimum as f64) * unit,
            )
        })
        .collect();
    let mut samples = Vec::new();
    let mut column = vec![0.0f64; count * keep.len()];
    while let Some(record) = edf.read_record().map_err(|e| {
        format!(
            "'{shown}' is damaged after {} samples ({e:?}).",
            samples.len() / keep.len().max(1)
        )
    })? {
        for (k, &i) in keep.iter().enumerate() {
            let (g, o) = scale[k];
            let raw = record
                .raw_signal_samples
                .get(i)
                .ok_or_else(|| format!("'{shown}' has a record without signal {i}."))?;
            let values: Vec<f64> = match raw {
                edf_rs::record::Samples::Values16Bit(v) => v.iter().map(|d| *d as f64).collect(),
                edf_rs::record::Samples::Values24Bit(v) => v.iter().map(|d| *d as f64).collect(),
            };
            for (j, d) in values.iter().take(count).enumerate() {
                column[j * keep.len() + k] = d * g + o;
            }
        }
        samples.extend(column.iter().map(|v| *v as f32));
    }
    if samples.is_empty() {
        return Err(format!("'{shown}' holds no data records."));
    }
    Ok(Recording {
        labels: keep
            .iter()
            .map(|&i| data[i].label.trim().to_string())
            .collect(),
        sample_rate: (count as f64 / duration) as f32,
        samples,
        times: None,
    })
}

/// The most common value (the smallest of equally common ones).
fn mode<T: Ord + Copy>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut v: Vec<T> = values.collect();
    v.sort();
    let mut best: Option<(T, usize)> = None;
    for run in v.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, n)| run.len() > n) {
            best = Some((run[0], run.len()));
        }
    }
    best.map(|(x, _)| x)
}

/// Header names that mark a time column (seconds).
const TIME_COLUMNS: [&str; 4] = ["time", "timestamp", "t", "time_s"];

/// Parses CSV (comma, semicolon or tab separated) with a header of channel labels and an
/// optional first time column. Empty cells and "nan" become NaN (the quality checks flag
/// them); anything else unparsable is an error naming the line and column.
pub fn parse_csv(text: &str, rate: Option<f32>) -> Result<Recording, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or("the file is empty; a CSV recording starts with a header of channel labels.")?;
    let sep = [',', ';', '\t']
        .into_iter()
        .max_by_key(|s| header.matches(*s).count())
        .unwrap_or(',');
    let names: Vec<String> = header
        .split(sep)
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    let has_time = TIME_COLUMNS.contains(&names[0].to_ascii_lowercase().as_str());
    let labels: Vec<String> = names[usize::from(has_time)..].to_vec();
    if labels.is_empty() || labels.iter().any(|l| l.parse::<f64>().is_ok()) {
        return Err(
            "the first line must name the channels (e.g. 'Fp1,Fp2,O1'), not hold numbers.".into(),
        );
    }
    let mut samples = Vec::new();
    let mut times = Vec::new();
    for (n, line) in lines {
        let cells: Vec<&str> = line.split(sep).collect();
        if cells.len() != names.len() {
            return Err(format!(
                "line {} has {} values but the header names {} columns.",
                n + 1,
                cells.len(),
                names.len()
            ));
        }
        for (col, cell) in cells.iter().enumerate() {
            let cell = cell.trim();
            let v: f64 = if cell.is_empty() || cell.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                cell.parse().map_err(|_| {
                    format!(
                        "line {}, column '{}': '{cell}' is not a number.",
                        n + 1,
                        names[col]
                    )
                })?
            };
            if has_time && col == 0 {
                times.push(v);
            } else {
                samples.push(v as f32);
            }
        }
    }
    if samples.is_empty() {
        return Err("the file has a header but no samples.".into());
    }
    let sample_rate = match (rate, has_time) {
        (Some(r), _) if r.is_finite() && r > 0.0 => r,
        (Some(r), _) => return Err(format!("a sample rate of {r} Hz is not valid.")),
        (None, true) => infer_rate(&times)?,
        (None, false) => {
            return Err(
                "there is no time column, so the sample rate is unknown; pass --rate HZ.".into(),
            )
        }
    };
    Ok(Recording {
        labels,
        sample_rate,
        samples,
        times: has_time.then_some(times),
    })
}

/// Sample rate from timestamps: the inverse of the median interval.
fn infer_rate(times: &[f64]) -> Result<f32, String> {
    let mut d: Vec<f64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.is_finite())
        .collect();
    if d.is_empty() {
        return Err("the time column has fewer than two usable values; pass --rate HZ.".into());
    }
    d.sort_by(f64::total_cmp);
    let median = d[d.len() / 2];
    if median <= 0.0 {
        return Err("the time column does not increase; fix it or pass --rate HZ.".into());
    }
    Ok((1.0 / median) as f32)
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
    fn reads_the_xdf_crates_minimal_file() {
        // tests/data/minimal.xdf is the `xdf` crate's test file (MIT/Apache-2.0); its README
        // documents stream 0: 3 int16 channels at 10 Hz, 9 samples, timestamps 5.1..5.9.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal.xdf");
        let r = open(&path, None).unwrap();
        assert_eq!(r.channels(), 3);
        assert_eq!(r.sample_rate, 10.0);
        assert_eq!(r.frames(), 9);
        assert_eq!(r.frame(0), [192.0, 255.0, 238.0]);
        assert_eq!(r.frame(8), [15.0, 25.0, 35.0]);
        // The crate applies the file's clock offsets, so absolute times shift; the 0.1 s
        // spacing of a 10 Hz stream must survive.
        for i in 1..9 {
            assert!(
                (r.time(i) - r.time(i - 1) - 0.1).abs() < 1e-6,
                "{} {}",
                r.time(i - 1),
                r.time(i)
            );
        }
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
