//! EDF, EDF+ and BDF(+) files, read the way MNE and EDFbrowser read them: lenient on header
//! text, strict on the numbers the signals need.
//!
//! Format: Kemp et al. 1992 (EDF), Kemp & Olivan 2003 (EDF+), BioSemi (BDF: 24-bit samples).
//! Header text is Latin-1 with space or NUL padding; numeric fields may be right-aligned.
//! Leniency, each said in a warning: a record count of -1 (a recorder that was not stopped)
//! is taken from the file size; a file that ends inside a record keeps its complete records;
//! a header length that disagrees with the signal count is recomputed. EDF+D files keep their
//! record times: every time-keeping annotation starts its record, and a record that does not
//! follow its predecessor starts a new segment.

use super::select::{choose, microvolts_per_unit, SignalInfo};
use super::text::field;
use super::timing::secs;
use super::{ReadOptions, Recording, Segment};

/// One signal's header.
struct Signal {
    label: String,
    unit: String,
    physical: (f64, f64),
    digital: (f64, f64),
    per_record: usize,
}

impl Signal {
    fn is_annotation(&self) -> bool {
        self.label == "EDF Annotations" || self.label == "BDF Annotations"
    }
}

/// A number from a header field: `what` names the field in the error.
fn number(bytes: &[u8], what: &str) -> Result<f64, String> {
    let text = field(bytes);
    text.replace(',', ".").parse::<f64>().map_err(|_| {
        format!("the header's {what} is '{text}', which is not a number; the file is damaged.")
    })
}

/// Reads an EDF/EDF+/BDF file.
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Recording, String> {
    if bytes.len() < 256 {
        return Err(format!(
            "the file is {} bytes, too short for an EDF header (256 bytes at least); it may be \
             cut off.",
            bytes.len()
        ));
    }
    let bdf = bytes[0] == 0xFF;
    if !bdf && field(&bytes[0..8]) != "0" {
        return Err(
            "it does not start like an EDF or BDF file (version '0' or 0xFF BIOSEMI).".into(),
        );
    }
    let width = if bdf { 3 } else { 2 };
    let reserved = field(&bytes[192..236]);
    let plus = reserved.starts_with("EDF+") || reserved.starts_with("BDF+");
    let discontinuous = reserved.starts_with("EDF+D") || reserved.starts_with("BDF+D");
    let duration = number(&bytes[244..252], "record duration")?;
    let ns = number(&bytes[252..256], "number of signals")?;
    if !((1.0..=4096.0).contains(&ns) && ns.fract() == 0.0) {
        return Err(format!(
            "the header declares {ns} signals; the file is damaged."
        ));
    }
    let ns = ns as usize;
    let header = 256 * (ns + 1);
    if bytes.len() < header {
        return Err(format!(
            "the header is cut off: the file is {} bytes, its header needs {header}.",
            bytes.len()
        ));
    }
    let mut warnings = Vec::new();
    let declared_header = field(&bytes[184..192]);
    if declared_header.parse::<usize>().ok() != Some(header) {
        warnings.push(format!(
            "the header declares {declared_header} header bytes where {ns} signals take \
             {header}; read with {header}"
        ));
    }
    // Per-signal fields: each an array of `ns` entries of a fixed width.
    let widths = [16, 80, 8, 8, 8, 8, 8, 80, 8, 32];
    let mut starts = [0usize; 10];
    let mut at = 256;
    for (k, w) in widths.iter().enumerate() {
        starts[k] = at;
        at += w * ns;
    }
    let entry =
        |k: usize, i: usize| &bytes[starts[k] + i * widths[k]..starts[k] + (i + 1) * widths[k]];
    let mut signals = Vec::with_capacity(ns);
    for i in 0..ns {
        let label = field(entry(0, i));
        let what = |f: &str| format!("{f} of signal {} ('{label}')", i + 1);
        let per_record = number(entry(8, i), &what("samples per record"))?;
        if per_record < 0.0 || per_record.fract() != 0.0 {
            return Err(format!(
                "signal {} ('{label}') declares {per_record} samples per record.",
                i + 1
            ));
        }
        signals.push(Signal {
            unit: field(entry(2, i)),
            physical: (
                number(entry(3, i), &what("physical minimum"))?,
                number(entry(4, i), &what("physical maximum"))?,
            ),
            digital: (
                number(entry(5, i), &what("digital minimum"))?,
                number(entry(6, i), &what("digital maximum"))?,
            ),
            per_record: per_record as usize,
            label,
        });
    }
    let record_bytes: usize = signals.iter().map(|s| s.per_record * width).sum();
    if record_bytes == 0 {
        return Err("its records hold no samples.".into());
    }
    let available = (bytes.len() - header) / record_bytes;
    let declared = field(&bytes[236..244]).parse::<i64>().ok();
    let records = match declared {
        Some(n) if n >= 0 && (n as usize) <= available => {
            if (n as usize) < available {
                warnings.push(format!(
                    "the file holds {available} records but its header declares {n}; the \
                     extra data was left out"
                ));
            }
            n as usize
        }
        Some(n) if n >= 0 => {
            warnings.push(format!(
                "the file ends early: {available} of the {n} records it declares are \
                 complete ({} s of {} s); the rest is missing",
                available as f64 * duration,
                n as f64 * duration
            ));
            available
        }
        _ => {
            warnings.push(format!(
                "the header does not give the number of records ('{}', as when a recorder is \
                 not stopped properly); {available} complete records were read, as the file \
                 size gives",
                field(&bytes[236..244])
            ));
            available
        }
    };
    if records == 0 {
        return Err("it holds no complete data record.".into());
    }
    let data: Vec<usize> = (0..ns).filter(|&i| !signals[i].is_annotation()).collect();
    if data.is_empty() {
        return Err("it holds annotations only, no signals.".into());
    }
    if !(duration.is_finite() && duration > 0.0) {
        return Err(format!(
            "it declares records of {duration} s, which gives no sample rate."
        ));
    }
    let infos: Vec<SignalInfo> = data
        .iter()
        .map(|&i| SignalInfo {
            label: signals[i].label.clone(),
            unit: signals[i].unit.clone(),
            declared_type: String::new(),
            rate: signals[i].per_record as f64 / duration,
        })
        .collect();
    let choice = choose(&infos, &options.channels)?;
    let used: Vec<usize> = choice.used.iter().map(|&k| data[k]).collect();
    let per_record = signals[used[0]].per_record;
    if per_record == 0 {
        return Err("the chosen signals hold no samples.".into());
    }
    // Byte offset of each signal inside a record.
    let mut offsets = Vec::with_capacity(ns);
    let mut o = 0;
    for s in &signals {
        offsets.push(o);
        o += s.per_record * width;
    }
    let scales: Vec<(f64, f64)> = used
        .iter()
        .map(|&i| {
            let s = &signals[i];
            let span = s.digital.1 - s.digital.0;
            let gain = if span != 0.0 {
                (s.physical.1 - s.physical.0) / span
            } else {
                1.0
            };
            let unit = microvolts_per_unit(&s.unit).unwrap_or(1.0);
            (gain * unit, (s.physical.0 - gain * s.digital.0) * unit)
        })
        .collect();
    let mut samples = Vec::with_capacity(records * per_record * used.len());
    for r in 0..records {
        let base = header + r * record_bytes;
        for j in 0..per_record {
            for (k, &i) in used.iter().enumerate() {
                let at = base + offsets[i] + j * width;
                let d = if bdf {
                    (i32::from_le_bytes([0, bytes[at], bytes[at + 1], bytes[at + 2]]) >> 8) as f64
                } else {
                    i16::from_le_bytes([bytes[at], bytes[at + 1]]) as f64
                };
                samples.push((d * scales[k].0 + scales[k].1) as f32);
            }
        }
    }
    let onsets = record_onsets(
        bytes,
        header,
        record_bytes,
        records,
        duration,
        plus,
        &signals,
        &offsets,
        width,
        &mut warnings,
    );
    let segments = segments(&onsets, duration, per_record, discontinuous, &mut warnings);
    let kind = if bdf { "BDF" } else { "EDF" };
    let kind = if plus {
        format!("{kind}+{}", if discontinuous { "D" } else { "C" })
    } else {
        kind.to_string()
    };
    Ok(Recording {
        labels: used.iter().map(|&i| signals[i].label.clone()).collect(),
        sample_rate: (per_record as f64 / duration) as f32,
        samples,
        segments,
        summary: format!("{kind}, {}", choice.summary),
        warnings,
    })
}

/// Each record's start time: its time-keeping annotation in EDF+/BDF+ files, else
/// `r · duration`. Unreadable annotations fall back to the record's place, with a count.
#[allow(clippy::too_many_arguments)]
fn record_onsets(
    bytes: &[u8],
    header: usize,
    record_bytes: usize,
    records: usize,
    duration: f64,
    plus: bool,
    signals: &[Signal],
    offsets: &[usize],
    width: usize,
    warnings: &mut Vec<String>,
) -> Vec<f64> {
    let place = |r: usize| r as f64 * duration;
    let Some(a) = signals
        .iter()
        .position(Signal::is_annotation)
        .filter(|_| plus)
    else {
        return (0..records).map(place).collect();
    };
    let len = signals[a].per_record * width;
    let mut unreadable = 0;
    let onsets = (0..records)
        .map(|r| {
            let at = header + r * record_bytes + offsets[a];
            match first_onset(&bytes[at..at + len]) {
                Some(t) => t,
                None => {
                    unreadable += 1;
                    place(r)
                }
            }
        })
        .collect();
    if unreadable > 0 {
        warnings.push(format!(
            "{unreadable} records have no readable time-keeping annotation; they were placed \
             one record after the previous"
        ));
    }
    onsets
}

/// The onset of a record's first TAL ("+12.5\x14\x14\0"), in seconds.
fn first_onset(tal: &[u8]) -> Option<f64> {
    let end = tal.iter().position(|&b| b == 0x14 || b == 0x15)?;
    let text = std::str::from_utf8(&tal[..end]).ok()?;
    if !(text.starts_with('+') || text.starts_with('-')) {
        return None;
    }
    text.parse().ok()
}

/// Segments from record onsets: a record that does not start where its predecessor ends
/// (beyond 1 ms) starts a new one.
fn segments(
    onsets: &[f64],
    duration: f64,
    per_record: usize,
    discontinuous: bool,
    warnings: &mut Vec<String>,
) -> Vec<Segment> {
    let mut segments = vec![Segment {
        start: 0,
        time: onsets[0],
    }];
    let mut gaps = Vec::new();
    for r in 1..onsets.len() {
        let expected = onsets[r - 1] + duration;
        if (onsets[r] - expected).abs() > 1e-3 {
            gaps.push((onsets[r] - expected, expected));
            segments.push(Segment {
                start: r * per_record,
                time: onsets[r],
            });
        }
    }
    let (missing, overlaps): (Vec<&(f64, f64)>, Vec<_>) = gaps.iter().partition(|g| g.0 >= 0.0);
    let list = |v: &[&(f64, f64)]| {
        let mut l: Vec<String> = v
            .iter()
            .take(3)
            .map(|(s, at)| format!("{} s at {} s", secs(s.abs()), secs(*at)))
            .collect();
        if v.len() > 3 {
            l.push("…".into());
        }
        l.join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        let total: f64 = missing.iter().map(|g| g.0).sum();
        parts.push(format!(
            "{} s missing in {} gap{} ({})",
            secs(total),
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            list(&missing)
        ));
    }
    if !overlaps.is_empty() {
        parts.push(format!(
            "{} record{} before the previous one ends ({})",
            overlaps.len(),
            if overlaps.len() == 1 {
                " starts"
            } else {
                "s start"
            },
            list(&overlaps)
        ));
    }
    if !parts.is_empty() {
        warnings.push(format!(
            "the recording is discontinuous{}: {}; no analysis window spans a gap",
            if discontinuous { " (EDF+D)" } else { "" },
            parts.join("; ")
        ));
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tal_onsets() {
        assert_eq!(first_onset(b"+12\x14\x14\0\0\0"), Some(12.0));
        assert_eq!(first_onset(b"+0.5\x15+1\x14\x14\0"), Some(0.5));
        assert_eq!(first_onset(b"\0\0\0"), None);
    }
}
