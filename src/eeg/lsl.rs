//! LSL inlet source: resolve by property, open, correct clocks, pull with preallocated buffers,
//! notice a vanished stream and find it again.

use ::lsl::{ChannelFormat, Pullable, StreamInfo, StreamInlet};

use std::time::Duration;

use super::discovery::StreamRow;
use super::lobby::{lobby, matches, Ticket};
use super::protocol::{SourceState, SourceStatus};
use super::recording::timing::tidy;
use super::recording::RATE_TOLERANCE;
use super::source::Source;
use super::LslProp;
use crate::features::extractor::DISCONTINUITY_S;

/// Seconds resolving a stream the lobby has seen may block the worker.
const RESOLVE_WAIT: f64 = 0.25;
/// Seconds without samples after which a connected stream counts as lost.
const LOST_AFTER: f64 = 0.6;

/// Values of one sample in the stream's native type (liblsl converts int8/16 to i32).
enum Buffers {
    /// float32 streams.
    F32(Vec<f32>),
    /// double and int64 streams. int64 is pulled as double on every platform (the `lsl`
    /// crate cannot pull i64 on Windows, where C's `long` is 32 bits): exact below 2^53, far
    /// beyond any EEG value, and the sample becomes an f32 anyway.
    F64(Vec<f64>),
    /// int8/int16/int32 streams.
    I32(Vec<i32>),
}

/// A connected inlet.
struct Connection {
    /// The inlet.
    inlet: StreamInlet,
    /// Native sample buffer.
    buf: Buffers,
    /// The sample as µV floats.
    out: Vec<f32>,
    /// Channel labels.
    labels: Vec<String>,
    /// The rate analysed: the declared one until the timestamps contradict it.
    rate: f32,
    /// The declared (nominal) rate.
    declared: f32,
    /// The declared-rate check: first remote stamp of its window, samples in it, and
    /// whether it has decided.
    rate_check: (f64, u64, bool),
    /// Remote → local clock offset.
    offset: f64,
    /// Local time of the last sample received (for loss detection).
    last_arrival: f64,
    /// Remote timestamp of the previous sample (for dropout detection).
    last_stamp: f64,
    /// When the clock offset was last refreshed.
    offset_checked: f64,
    /// Rate measurement from remote timestamps: (first stamp in window, samples in window).
    rate_window: (f64, u64),
}

/// What identifies "the same stream" when it comes back.
#[derive(Clone, Debug, PartialEq)]
struct Identity {
    /// Source id, if the stream had one.
    source_id: String,
    /// Name and type otherwise.
    name: String,
    /// See `name`.
    stream_type: String,
}

/// What a stream must be for its consumer, and when it counts as lost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamRules {
    /// What the stream feeds, for sentences ("band analysis", "heart analysis").
    pub purpose: &'static str,
    /// What the stream should be, for sentences ("an EEG stream", "an ECG stream").
    pub wanted: &'static str,
    /// Whether an irregular stream (nominal rate 0: one sample per event, as RR intervals
    /// are) is accepted.
    pub irregular: bool,
    /// Lowest declared rate accepted for a regular stream, Hz.
    pub min_rate: f64,
    /// Highest declared rate accepted, Hz (an RR stream has one sample a beat).
    pub max_rate: f64,
    /// Seconds without samples after which a connected irregular stream counts as lost
    /// (regular streams: [`LOST_AFTER`] or ten sample periods, whichever is longer).
    pub irregular_lost_s: f64,
    /// What the sound does meanwhile, for the loss sentence.
    pub meanwhile: &'static str,
    /// What sends such streams, for the search sentence ("your EEG app (or ...)").
    pub app: &'static str,
}

impl StreamRules {
    /// An EEG stream for the band analysis.
    pub const EEG: StreamRules = StreamRules {
        purpose: "band analysis",
        wanted: "a regularly sampled EEG stream",
        irregular: false,
        min_rate: 32.0,
        max_rate: f64::INFINITY,
        irregular_lost_s: 0.0,
        meanwhile: "the sound holds, then settles,",
        app: "your EEG app (or `melodiasync simulate`)",
    };
}

/// The LSL source.
pub struct LslSource {
    /// What the stream must be.
    rules: StreamRules,
    /// What to look for initially.
    prop: LslProp,
    /// See `prop`.
    value: String,
    /// The stream we had, once we had one: reconnection looks for it specifically.
    identity: Option<Identity>,
    /// The live connection.
    conn: Option<Connection>,
    /// Our place in the process's stream search while we wait for a stream.
    ticket: Option<Ticket>,
    /// The last lobby wave looked at.
    seen: u64,
}

impl LslSource {
    /// A source that will look for the first EEG stream whose `prop` is `value`.
    pub fn new(prop: LslProp, value: &str) -> Self {
        Self::with_rules(prop, value, StreamRules::EEG)
    }

    /// A source for the first stream whose `prop` is `value` that meets `rules`.
    pub fn with_rules(prop: LslProp, value: &str, rules: StreamRules) -> Self {
        Self {
            rules,
            prop,
            value: value.to_string(),
            identity: None,
            conn: None,
            ticket: None,
            seen: 0,
        }
    }

    /// Looks for the stream in the process's shared search (waiting up to 50 ms for its
    /// next wave); when it is there, opens an inlet. Updates the status either way.
    fn search(&mut self, status: &mut SourceStatus) {
        if self.ticket.is_none() {
            match lobby().join() {
                Ok(t) => self.ticket = Some(t),
                Err(why) => {
                    status.state = SourceState::Error;
                    status.message = why;
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    return;
                }
            }
        }
        let (prop, value) = match &self.identity {
            Some(id) if !id.source_id.is_empty() => ("source_id", id.source_id.clone()),
            Some(id) => ("name", id.name.clone()),
            None => (self.prop.as_lsl(), self.value.clone()),
        };
        let searching = |status: &mut SourceStatus| {
            if status.state != SourceState::Lost {
                status.state = SourceState::Searching;
                status.message = format!(
                    "Looking for an LSL stream with {prop} '{value}'. Start {} on this network.",
                    self.rules.app
                );
            }
        };
        let Some((rows, waves)) = lobby().wait_for_news(self.seen, Duration::from_millis(50))
        else {
            if self.seen == 0 && status.state != SourceState::Error {
                searching(status);
            }
            return;
        };
        self.seen = waves;
        let wanted = |r: &&StreamRow| {
            matches(r, prop, &value)
                && match &self.identity {
                    Some(id) if id.source_id.is_empty() => r.stream_type == id.stream_type,
                    _ => true,
                }
        };
        let Some(row) = rows.iter().find(wanted) else {
            searching(status);
            return;
        };
        // The lobby only lists streams; liblsl's handle for this one is resolved here, on
        // the worker thread that will own the inlet (fast: the stream is known to be there).
        let (by, key) = if row.source_id.is_empty() {
            (prop, value.as_str())
        } else {
            ("source_id", row.source_id.as_str())
        };
        let found = ::lsl::resolve_byprop(by, key, 1, RESOLVE_WAIT).unwrap_or_default();
        let Some(info) = found.into_iter().find(|i| i.hostname() == row.host) else {
            return;
        };
        if let Err(why) = check_usable(&info, &self.rules) {
            status.state = SourceState::Error;
            status.message = why;
            status.name = info.stream_name();
            std::thread::sleep(std::time::Duration::from_millis(500));
            return;
        }
        match connect(&info) {
            Ok(conn) => {
                if self.identity.is_some() {
                    status.reconnects += 1;
                } else {
                    status.warnings.extend(namesakes(&info, &rows));
                    status.warnings.dedup();
                }
                self.identity = Some(Identity {
                    source_id: info.source_id(),
                    name: info.stream_name(),
                    stream_type: info.stream_type(),
                });
                status.state = SourceState::Connected;
                status.name = info.stream_name();
                status.stream_type = info.stream_type();
                status.host = info.hostname();
                status.source_id = info.source_id();
                status.labels = conn.labels.clone();
                status.nominal_rate = info.nominal_srate();
                status.clock_offset = conn.offset;
                status.samples = 0;
                status.message = if status.nominal_rate > 0.0 {
                    format!(
                        "Connected to '{}' ({} channels at {} Hz) on {}.",
                        status.name,
                        conn.labels.len(),
                        status.nominal_rate,
                        status.host
                    )
                } else {
                    format!(
                        "Connected to '{}' ({} channels, one sample per event) on {}.",
                        status.name,
                        conn.labels.len(),
                        status.host
                    )
                };
                self.conn = Some(conn);
                // Connected sources leave the lobby; the last one out ends its waves.
                self.ticket = None;
            }
            Err(e) => {
                status.state = SourceState::Error;
                status.message = format!(
                    "Found '{}' but could not open it ({e}); retrying.",
                    info.stream_name()
                );
            }
        }
    }
}

/// Other streams in the lobby's last wave (`rows`) with `info`'s name (a second headset, an
/// old outlet still running), as a warning naming the one used.
fn namesakes(info: &StreamInfo, rows: &[StreamRow]) -> Option<String> {
    let name = info.stream_name();
    let others: Vec<String> = rows
        .iter()
        .filter(|o| {
            o.name == name && (o.source_id != info.source_id() || o.host != info.hostname())
        })
        .map(|o| format!("source id '{}' on {}", o.source_id, o.host))
        .collect();
    (!others.is_empty()).then(|| {
        format!(
            "Another stream is also named '{name}' ({}); using source id '{}' on {}. Choose \
             by source id to be sure (lsl:source_id=…).",
            others.join(", "),
            info.source_id(),
            info.hostname()
        )
    })
}

/// Seconds of timestamps the declared-rate check measures over.
const RATE_CHECK_S: f64 = 4.0;

/// Once [`RATE_CHECK_S`] of timestamps have arrived: when they contradict the declared rate
/// by more than [`RATE_TOLERANCE`], analyse at the measured rate (the worker rebuilds its
/// extractor when the layout's rate changes) and say so. A stream declaring 250 Hz that
/// delivers 125 Hz would otherwise show its alpha as beta, at full quality.
fn check_declared_rate(conn: &mut Connection, status: &mut SourceStatus) {
    let (first, n, done) = conn.rate_check;
    let span = conn.last_stamp - first;
    // An irregular stream declares no rate to contradict.
    if done || n < 2 || span < RATE_CHECK_S || conn.declared <= 0.0 {
        return;
    }
    conn.rate_check.2 = true;
    let measured = tidy((n - 1) as f64 / span);
    let declared = conn.declared as f64;
    if (measured / declared - 1.0).abs() > RATE_TOLERANCE {
        conn.rate = measured as f32;
        let warning = format!(
            "'{}' declares {declared} Hz but its timestamps show {measured} Hz; analysed at \
             {measured} Hz.",
            status.name
        );
        status.message = warning.clone();
        if !status.warnings.contains(&warning) {
            status.warnings.push(warning);
        }
    }
}

/// Refuses streams the consumer cannot use (see [`StreamRules`]), with a sentence.
fn check_usable(info: &StreamInfo, rules: &StreamRules) -> Result<(), String> {
    let name = info.stream_name();
    let (purpose, wanted) = (rules.purpose, rules.wanted);
    if info.channel_format() == ChannelFormat::String {
        return Err(format!(
            "'{name}' is a string (marker) stream, not samples; choose {wanted}."
        ));
    }
    let rate = info.nominal_srate();
    if rate <= 0.0 && !rules.irregular {
        return Err(format!(
            "'{name}' has an irregular rate (0 Hz); {purpose} needs {wanted}."
        ));
    }
    if rate > rules.max_rate {
        return Err(format!(
            "'{name}' runs at {rate} Hz; {purpose} needs {wanted}, not a sampled signal."
        ));
    }
    if rate > 0.0 && rate < rules.min_rate {
        return Err(format!(
            "'{name}' runs at {rate} Hz; {purpose} needs at least {} Hz.",
            rules.min_rate
        ));
    }
    if info.channel_count() <= 0 {
        return Err(format!("'{name}' has no channels."));
    }
    Ok(())
}

/// Channel labels from the stream description (`desc/channels/channel/label`), or "ch1".. when
/// the stream has none.
fn labels_of(info: &StreamInfo, channels: usize) -> Vec<String> {
    let mut info = info.clone();
    let mut labels = Vec::new();
    let mut ch = info.desc().child("channels").child("channel");
    while ch.is_valid() && labels.len() < channels {
        labels.push(ch.child_value_named("label").trim().to_string());
        ch = ch.next_sibling_named("channel");
    }
    if labels.len() != channels || labels.iter().all(|l| l.is_empty()) {
        return (1..=channels).map(|i| format!("ch{i}")).collect();
    }
    labels
}

/// Opens an inlet with buffers for the stream's format.
fn connect(info: &StreamInfo) -> Result<Connection, ::lsl::Error> {
    // Keep up to 30 s buffered: enough for a stalled worker, bounded for 64 ch x 1 kHz.
    let inlet = StreamInlet::new(info, 30, 0, false)?;
    inlet.open_stream(2.0)?;
    let full = inlet.info(2.0).unwrap_or_else(|_| info.clone());
    let n = full.channel_count() as usize;
    let offset = inlet.time_correction(1.0).unwrap_or(0.0);
    let buf = match full.channel_format() {
        ChannelFormat::Float32 => Buffers::F32(vec![0.0; n]),
        ChannelFormat::Double64 | ChannelFormat::Int64 => Buffers::F64(vec![0.0; n]),
        _ => Buffers::I32(vec![0; n]),
    };
    let now = ::lsl::local_clock();
    Ok(Connection {
        labels: labels_of(&full, n),
        rate: full.nominal_srate() as f32,
        declared: full.nominal_srate() as f32,
        rate_check: (f64::NAN, 0, false),
        inlet,
        buf,
        out: vec![0.0; n],
        offset,
        last_arrival: now,
        last_stamp: f64::NAN,
        offset_checked: now,
        rate_window: (f64::NAN, 0),
    })
}

impl Connection {
    /// Pulls one sample into `out`; returns its remote timestamp, 0.0 when none was ready.
    fn pull(&mut self, timeout: f64) -> Result<f64, ::lsl::Error> {
        let (inlet, out) = (&self.inlet, &mut self.out);
        match &mut self.buf {
            Buffers::F32(b) => pull_as(inlet, b, out, timeout, |v| v),
            Buffers::F64(b) => pull_as(inlet, b, out, timeout, |v| v as f32),
            Buffers::I32(b) => pull_as(inlet, b, out, timeout, |v| v as f32),
        }
    }
}

/// Pulls one sample of native type `T` into `buf` (no allocation: it already has the channel
/// count) and converts it into `out`.
fn pull_as<T: Copy>(
    inlet: &StreamInlet,
    buf: &mut Vec<T>,
    out: &mut [f32],
    timeout: f64,
    convert: fn(T) -> f32,
) -> Result<f64, ::lsl::Error>
where
    StreamInlet: Pullable<T>,
{
    let ts = inlet.pull_sample_buf(buf, timeout)?;
    if ts != 0.0 {
        for (o, v) in out.iter_mut().zip(buf.iter()) {
            *o = convert(*v);
        }
    }
    Ok(ts)
}

impl Source for LslSource {
    fn pump(&mut self, status: &mut SourceStatus, sink: &mut dyn FnMut(&[f32], f64)) -> usize {
        let Some(conn) = self.conn.as_mut() else {
            self.search(status);
            return 0;
        };
        let mut delivered = 0;
        let mut lost = false;
        // Wait up to 5 ms for the first sample, then take everything already there.
        let mut timeout = 0.005;
        loop {
            match conn.pull(timeout) {
                Ok(ts) if ts != 0.0 => {
                    let local = ts + conn.offset;
                    // Irregular streams (rate 0) have no period to miss.
                    let period = 1.0 / conn.rate as f64;
                    if conn.last_stamp.is_finite() && ts - conn.last_stamp > 1.5 * period + 0.002 {
                        status.dropouts += 1;
                    }
                    // The declared-rate check's window restarts after a real gap.
                    if conn.rate_check.1 == 0 || ts - conn.last_stamp > DISCONTINUITY_S {
                        conn.rate_check.0 = ts;
                        conn.rate_check.1 = 0;
                    }
                    conn.rate_check.1 += 1;
                    conn.last_stamp = ts;
                    if conn.rate_window.1 == 0 {
                        conn.rate_window.0 = ts;
                    }
                    conn.rate_window.1 += 1;
                    sink(&conn.out, local);
                    delivered += 1;
                    timeout = 0.0;
                }
                Ok(_) => break,
                Err(_) => {
                    lost = true;
                    break;
                }
            }
        }
        let now = ::lsl::local_clock();
        if delivered > 0 {
            conn.last_arrival = now;
            status.samples += delivered as u64;
            status.lag_ms = 1000.0 * (now - (conn.last_stamp + conn.offset));
            // Rate from the sender's timestamps, so a backlog pulled at once does not inflate it.
            let span = conn.last_stamp - conn.rate_window.0;
            if span >= 2.0 {
                status.measured_rate = (conn.rate_window.1 - 1) as f64 / span;
                conn.rate_window = (conn.last_stamp, 1);
            }
            check_declared_rate(conn, status);
            if now - conn.offset_checked > 5.0 {
                // After the first estimate this returns at once.
                if let Ok(o) = conn.inlet.time_correction(0.5) {
                    conn.offset = o;
                    status.clock_offset = o;
                }
                conn.offset_checked = now;
            }
        }
        let silence = if conn.rate > 0.0 {
            LOST_AFTER.max(10.0 / conn.rate as f64)
        } else {
            self.rules.irregular_lost_s
        };
        if lost || now - conn.last_arrival > silence {
            status.state = SourceState::Lost;
            status.dropouts += 1;
            status.message = format!(
                "The stream '{}' stopped sending; {} while MelodiaSync waits for it to come back.",
                status.name, self.rules.meanwhile
            );
            // Dropping the inlet blocks ~0.5 s inside liblsl: fine here, on the worker thread.
            self.conn = None;
        }
        delivered
    }

    fn layout(&self) -> Option<(&[String], f32)> {
        self.conn.as_ref().map(|c| (c.labels.as_slice(), c.rate))
    }
}
