//! XDF files (LabRecorder), read chunk by chunk the way pyxdf reads them.
//!
//! Format: the XDF specification (github.com/sccn/xdf/wiki/Specifications): "XDF:" then
//! chunks of [length][tag][content]; tags 2 (stream header, XML), 3 (samples), 4 (clock
//! offset), 5 (boundary). Streams are kept in file order, and the first EEG stream (by the
//! stream's type) is used unless the user names one (`--stream NAME|SOURCE_ID`); the others
//! are listed. A damaged stretch (a chunk whose length or content does not parse) is skipped
//! up to the next boundary chunk, as pyxdf does, and the bytes skipped are reported. Clock
//! offsets are applied with an ordinary least-squares line through them (pyxdf fits a robust
//! line; on clean offsets the two agree). Timestamps then give the segments and the
//! effective rate (see [`super::timing`]); samples stay in recording order.

use xmltree::Element;

use super::select::{choose, microvolts_per_unit, SignalInfo};
use super::timing::timeline;
use super::{ReadOptions, Recording};

/// The boundary chunk's UUID, which a reader scans for to resynchronise.
const BOUNDARY: [u8; 16] = [
    0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4,
];

/// Sample formats.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    Text,
}

impl Format {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "int8" => Self::I8,
            "int16" => Self::I16,
            "int32" => Self::I32,
            "int64" => Self::I64,
            "float32" => Self::F32,
            "double64" | "float64" => Self::F64,
            "string" => Self::Text,
            _ => return None,
        })
    }

    fn width(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 => 2,
            Self::I32 | Self::F32 => 4,
            Self::I64 | Self::F64 => 8,
            Self::Text => 0,
        }
    }
}

/// One stream as read.
struct Stream {
    id: u32,
    name: String,
    kind: String,
    source_id: String,
    channels: usize,
    nominal: f64,
    format: Format,
    labels: Vec<String>,
    units: Vec<String>,
    types: Vec<String>,
    values: Vec<f64>,
    times: Vec<f64>,
    offsets: Vec<(f64, f64)>,
    /// How many channel descriptions the header has, when not one per channel.
    label_note: Option<usize>,
}

impl Stream {
    fn from_header(id: u32, xml: &[u8]) -> Option<Self> {
        let info = Element::parse(xml).ok()?;
        let text = |name: &str| {
            info.get_child(name)
                .and_then(|e| e.get_text())
                .map(|t| t.trim().to_string())
                .unwrap_or_default()
        };
        let channels: usize = text("channel_count").parse().ok()?;
        let mut stream = Self {
            id,
            name: text("name"),
            kind: text("type"),
            source_id: text("source_id"),
            channels,
            nominal: text("nominal_srate").parse().unwrap_or(0.0),
            format: Format::parse(&text("channel_format"))?,
            labels: Vec::new(),
            units: Vec::new(),
            types: Vec::new(),
            values: Vec::new(),
            times: Vec::new(),
            offsets: Vec::new(),
            label_note: None,
        };
        let list = info
            .get_child("desc")
            .and_then(|d| d.get_child("channels"))
            .map(|c| {
                c.children
                    .iter()
                    .filter_map(|n| n.as_element())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if !list.is_empty() && list.len() != channels {
            stream.label_note = Some(list.len());
        }
        if list.len() == channels {
            let get = |ch: &Element, key: &str| {
                ch.get_child(key)
                    .and_then(|e| e.get_text())
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default()
            };
            stream.labels = list.iter().map(|c| get(c, "label")).collect();
            stream.units = list.iter().map(|c| get(c, "unit")).collect();
            stream.types = list.iter().map(|c| get(c, "type")).collect();
        }
        if stream.labels.iter().any(String::is_empty) || stream.labels.len() != channels {
            stream.labels = (1..=channels).map(|i| format!("ch{i}")).collect();
        }
        stream.units.resize(channels, String::new());
        stream.types.resize(channels, String::new());
        Some(stream)
    }

    fn describe(&self) -> String {
        format!(
            "'{}' ({}, {} channels at {} Hz, source id '{}')",
            self.name, self.kind, self.channels, self.nominal, self.source_id
        )
    }
}

/// A little-endian reader over one chunk's content; every read is checked.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|s| s[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|s| u32::from_le_bytes(s.try_into().unwrap_or_default()))
    }
    fn f64(&mut self) -> Option<f64> {
        self.take(8)
            .map(|s| f64::from_le_bytes(s.try_into().unwrap_or_default()))
    }
    fn varlen(&mut self) -> Option<u64> {
        match self.u8()? {
            1 => self.u8().map(u64::from),
            4 => self.u32().map(u64::from),
            8 => self
                .take(8)
                .map(|s| u64::from_le_bytes(s.try_into().unwrap_or_default())),
            _ => None,
        }
    }
}

/// Reads one chunk at `at`; `None` when it does not parse (the caller resynchronises).
fn chunk(
    bytes: &[u8],
    at: &mut usize,
    streams: &mut Vec<Stream>,
    unknown: &mut usize,
) -> Option<()> {
    let mut c = Cursor { b: bytes, at: *at };
    let len = c.varlen()? as usize;
    if len < 2 || c.at.checked_add(len)? > bytes.len() {
        return None;
    }
    let body = &bytes[c.at..c.at + len];
    let tag = u16::from_le_bytes([body[0], body[1]]);
    let mut content = Cursor {
        b: &body[2..],
        at: 0,
    };
    match tag {
        1 | 5 | 6 => {}
        2 => {
            let id = content.u32()?;
            let stream = Stream::from_header(id, &body[6..])?;
            streams.push(stream);
        }
        3 => {
            let id = content.u32()?;
            match streams.iter_mut().find(|s| s.id == id) {
                Some(s) => samples(&mut content, s)?,
                None => *unknown += 1,
            }
        }
        4 => {
            let id = content.u32()?;
            let (t, o) = (content.f64()?, content.f64()?);
            if let Some(s) = streams.iter_mut().find(|s| s.id == id) {
                s.offsets.push((t, o));
            }
        }
        _ => return None,
    }
    *at = c.at + len;
    Some(())
}

/// Appends a samples chunk to `s` (all or nothing).
fn samples(c: &mut Cursor, s: &mut Stream) -> Option<()> {
    let n = c.varlen()? as usize;
    let (mut values, mut times) = (Vec::with_capacity(n * s.channels), Vec::with_capacity(n));
    let period = if s.nominal > 0.0 {
        1.0 / s.nominal
    } else {
        0.0
    };
    let mut last = s.times.last().copied().unwrap_or(0.0);
    for _ in 0..n {
        let t = match c.u8()? {
            8 => c.f64()?,
            0 => last + period,
            _ => return None,
        };
        times.push(t);
        last = t;
        for _ in 0..s.channels {
            let v = match s.format {
                Format::Text => {
                    let len = c.varlen()? as usize;
                    c.take(len)?;
                    f64::NAN
                }
                f => {
                    let b = c.take(f.width())?;
                    match f {
                        Format::I8 => b[0] as i8 as f64,
                        Format::I16 => i16::from_le_bytes([b[0], b[1]]) as f64,
                        Format::I32 => i32::from_le_bytes(b.try_into().ok()?) as f64,
                        Format::I64 => i64::from_le_bytes(b.try_into().ok()?) as f64,
                        Format::F32 => f32::from_le_bytes(b.try_into().ok()?) as f64,
                        _ => f64::from_le_bytes(b.try_into().ok()?),
                    }
                }
            };
            values.push(v);
        }
    }
    s.values.extend(values);
    s.times.extend(times);
    Some(())
}

/// Whether timestamps come at a steady pace: nine steps in ten within 10 % of the median
/// step (a stream declared irregular, 0 Hz, that is sampled regularly all the same).
fn regular(times: &[f64]) -> bool {
    let mut steps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_by(f64::total_cmp);
    let median = steps[steps.len() / 2];
    median > 0.0
        && steps
            .iter()
            .filter(|d| (**d - median).abs() <= 0.1 * median)
            .count()
            * 10
            >= steps.len() * 9
}

/// Applies a stream's clock offsets: the least-squares line of offset against collection time.
fn synchronise(s: &mut Stream) {
    let n = s.offsets.len() as f64;
    if n == 0.0 {
        return;
    }
    let mt = s.offsets.iter().map(|o| o.0).sum::<f64>() / n;
    let mo = s.offsets.iter().map(|o| o.1).sum::<f64>() / n;
    let sxx: f64 = s.offsets.iter().map(|o| (o.0 - mt).powi(2)).sum();
    let sxy: f64 = s.offsets.iter().map(|o| (o.0 - mt) * (o.1 - mo)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    for t in s.times.iter_mut() {
        *t += mo + slope * (*t - mt);
    }
}

/// Reads an XDF file.
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<Recording, String> {
    if !bytes.starts_with(b"XDF:") {
        return Err("it does not start with 'XDF:'; it is not an XDF file.".into());
    }
    let mut streams: Vec<Stream> = Vec::new();
    let (mut at, mut unknown) = (4usize, 0usize);
    // Damaged stretches: byte offset, length, and each stream's sample count there.
    let mut damaged: Vec<(usize, usize, Vec<usize>)> = Vec::new();
    // Where the file ends inside a chunk (bytes from, length).
    let mut truncated: Option<(usize, usize)> = None;
    while at < bytes.len() {
        if chunk(bytes, &mut at, &mut streams, &mut unknown).is_some() {
            continue;
        }
        // Resynchronise after the next boundary chunk's UUID, as pyxdf does.
        let from = at;
        match bytes[at + 1..]
            .windows(BOUNDARY.len())
            .position(|w| w == BOUNDARY)
        {
            Some(p) => {
                at = at + 1 + p + BOUNDARY.len();
                damaged.push((
                    from,
                    at - from,
                    streams.iter().map(|s| s.times.len()).collect(),
                ));
            }
            None => {
                // No boundary follows: the file ends in the damage.
                truncated = Some((from, bytes.len() - from));
                break;
            }
        }
    }
    let usable: Vec<usize> = (0..streams.len())
        .filter(|&i| {
            let s = &streams[i];
            s.format != Format::Text
                && s.channels > 0
                && s.times.len() >= 2
                && (s.nominal > 0.0 || regular(&s.times))
        })
        .collect();
    let chosen = match &options.stream {
        Some(want) => streams
            .iter()
            .position(|s| s.name == *want || s.source_id == *want)
            .ok_or_else(|| {
                let names: Vec<String> = streams.iter().map(Stream::describe).collect();
                format!(
                    "there is no stream '{want}'; the file has {}.",
                    names.join(", ")
                )
            })?,
        None => usable
            .iter()
            .copied()
            .find(|&i| streams[i].kind.eq_ignore_ascii_case("EEG"))
            .or(usable.first().copied())
            .ok_or("it has no regularly sampled numeric stream (only markers or text).")?,
    };
    if !usable.contains(&chosen) {
        return Err(format!(
            "stream {} holds no regularly sampled numbers.",
            streams[chosen].describe()
        ));
    }
    synchronise(&mut streams[chosen]);
    let mut warnings = Vec::new();
    for (from, len, counts) in &damaged {
        let s = &streams[chosen];
        // What the chosen stream lost there: the step across the damage beyond one sample.
        let k = counts.get(chosen).copied().unwrap_or(s.times.len());
        let lost = match (k.checked_sub(1).map(|j| s.times[j]), s.times.get(k)) {
            (Some(a), Some(b)) if s.nominal > 0.0 => {
                format!(
                    "; {:.2} s of '{}' lost at {a:.2} s",
                    (b - a - 1.0 / s.nominal).max(0.0),
                    s.name
                )
            }
            (Some(a), None) => format!("; '{}' ends there, at {a:.2} s", s.name),
            _ => String::new(),
        };
        warnings.push(format!(
            "{len} damaged bytes at byte {from} were skipped (read on from the next boundary \
             chunk){lost}"
        ));
    }
    if let Some((from, len)) = truncated {
        warnings.push(format!(
            "the file ends inside a chunk: its last {len} bytes (from byte {from}) were not \
             readable, as when a recording is cut off"
        ));
    }
    if unknown > 0 {
        warnings.push(format!(
            "{unknown} sample chunks of undeclared streams were skipped"
        ));
    }
    // Other streams one could analyse (marker and text streams are not offered).
    let others: Vec<String> = usable
        .iter()
        .filter(|&&i| i != chosen)
        .map(|&i| streams[i].describe())
        .collect();
    let same_name = streams
        .iter()
        .enumerate()
        .any(|(i, s)| i != chosen && s.name == streams[chosen].name);
    let s = &mut streams[chosen];
    if let Some(n) = s.label_note {
        warnings.push(format!(
            "the stream describes {n} channels but has {}; its labels were not used (ch1, \
             ch2, …)",
            s.channels
        ));
    }
    // Where the reader resynchronised, samples are known to be lost.
    let breaks: Vec<usize> = damaged
        .iter()
        .filter_map(|d| d.2.get(chosen).copied())
        .filter(|&k| k > 0 && k < s.times.len())
        .collect();
    let declared = (s.nominal > 0.0).then_some(s.nominal);
    let tl = timeline(&s.times, declared, &breaks)?;
    if declared.is_none() {
        warnings.push(format!(
            "the stream declares an irregular rate (0 Hz) but its timestamps are regular at \
             {} Hz; analysed at that rate",
            tl.rate
        ));
    }
    warnings.extend(tl.warnings);
    let infos: Vec<SignalInfo> = (0..s.channels)
        .map(|c| SignalInfo {
            label: s.labels[c].clone(),
            unit: s.units[c].clone(),
            declared_type: s.types[c].clone(),
            rate: tl.rate,
        })
        .collect();
    let choice = choose(&infos, &options.channels)?;
    let scale: Vec<f64> = choice
        .used
        .iter()
        .map(|&c| microvolts_per_unit(&s.units[c]).unwrap_or(1.0))
        .collect();
    let frames = s.times.len();
    let mut samples = Vec::with_capacity(frames * choice.used.len());
    for i in 0..frames {
        for (k, &c) in choice.used.iter().enumerate() {
            samples.push((s.values[i * s.channels + c] * scale[k]) as f32);
        }
    }
    let mut summary = format!("stream {}: {}", s.describe(), choice.summary);
    if !others.is_empty() {
        summary += &format!(
            "; other streams: {} (choose one by name or source id: --stream for features, \
             --eeg-stream for render, calibrate and monitor, the Stream field in the plugin)",
            others.join(", ")
        );
    }
    // Said only when the reader chose: a stream the user named by source id is theirs.
    if same_name && options.stream.is_none() {
        warnings.push(format!(
            "more than one stream is named '{}'; the first in the file was used (choose one \
             by source id: --stream for features, --eeg-stream for render, calibrate and \
             monitor, the Stream field in the plugin)",
            s.name
        ));
    }
    Ok(Recording {
        labels: choice.used.iter().map(|&c| s.labels[c].clone()).collect(),
        sample_rate: tl.rate as f32,
        samples,
        segments: tl.segments,
        summary,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_xdf_crates_minimal_file() {
        // tests/data/minimal.xdf is the `xdf` crate's test file (MIT/Apache-2.0); its README
        // documents stream 0: 3 int16 channels at 10 Hz, 9 samples, timestamps 5.1..5.9, and
        // a string marker stream beside it.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minimal.xdf");
        let r = read(&std::fs::read(path).unwrap(), &ReadOptions::default()).unwrap();
        assert_eq!((r.channels(), r.sample_rate, r.frames()), (3, 10.0, 9));
        assert_eq!(r.frame(0), [192.0, 255.0, 238.0]);
        assert_eq!(r.frame(8), [15.0, 25.0, 35.0]);
        for i in 1..9 {
            assert!((r.time(i) - r.time(i - 1) - 0.1).abs() < 1e-6);
        }
        // Its second stream holds text markers: not offered as a stream to analyse.
        assert!(!r.summary.contains("other streams"), "{}", r.summary);
    }
}
