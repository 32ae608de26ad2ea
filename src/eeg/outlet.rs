//! Publishing EEG (and the simulated heart) as LSL outlets (`melodiasync simulate` /
//! `replay`): the way a DAW user gets a stream without a sensor, and the way tests get a
//! real LSL peer.

use ::lsl::{ChannelFormat, ExPushable, StreamInfo, StreamOutlet};

use super::source::Pacer;
use crate::queue::StopFlag;

/// Stream metadata for an outlet.
pub struct OutletSpec<'a> {
    /// Stream name.
    pub name: &'a str,
    /// Stream type.
    pub stream_type: &'a str,
    /// Source id (lets inlets reconnect to a restarted publisher).
    pub source_id: &'a str,
    /// Channel labels.
    pub labels: &'a [String],
    /// Sample rate in Hz (0: irregular, one sample per event).
    pub rate: f32,
    /// The channels' unit, as the stream describes it (`microvolts`, `millivolts`, `ms`).
    pub unit: &'a str,
}

impl OutletSpec<'_> {
    /// The stream's description, with each channel's label, unit and type (the stream type).
    fn info(&self) -> Result<StreamInfo, String> {
        let mut info = StreamInfo::new(
            self.name,
            self.stream_type,
            self.labels.len() as u32,
            self.rate as f64,
            ChannelFormat::Float32,
            self.source_id,
        )
        .map_err(|e| {
            format!(
                "Cannot describe the stream '{}' ({e}); use a non-empty name.",
                self.name
            )
        })?;
        let mut chans = info.desc().append_child("channels");
        for l in self.labels {
            let mut ch = chans.append_child("channel");
            ch.append_child_value("label", l);
            ch.append_child_value("unit", self.unit);
            ch.append_child_value("type", self.stream_type);
        }
        Ok(info)
    }

    /// Opens the outlet.
    fn open(&self) -> Result<StreamOutlet, String> {
        StreamOutlet::new(&self.info()?, 0, 60)
            .map_err(|e| format!("Cannot open an LSL outlet ({e}); check the network settings."))
    }
}

/// Publishes samples from `next(buffer) -> bool` (false = no more) at real-time pace until it
/// ends, `seconds` pass, or `stop` is set. Returns the number of samples sent.
pub fn publish(
    spec: &OutletSpec,
    seconds: Option<f64>,
    stop: &StopFlag,
    mut next: impl FnMut(&mut [f32]) -> bool,
) -> Result<u64, String> {
    let channels = spec.labels.len();
    let outlet = spec.open()?;
    let mut pacer = Pacer::new(spec.rate);
    let mut buf = vec![0.0f32; channels];
    let mut sent = 0u64;
    let limit = seconds.map(|s| (s * spec.rate as f64) as u64);
    loop {
        if stop.is_stopped() || limit.is_some_and(|l| sent >= l) {
            return Ok(sent);
        }
        let (due, t0) = pacer.due();
        for i in 0..due {
            if !next(&mut buf) {
                return Ok(sent);
            }
            outlet
                .push_sample_ex(&buf, t0 + i as f64 * pacer.period(), true)
                .map_err(|e| format!("Sending on the LSL outlet failed ({e})."))?;
            sent += 1;
            pacer.advance(1);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Publishes an irregular stream (`spec.rate` 0) from a generator whose samples are events
/// at their own times (RR intervals at their beats): each is sent when the wall clock
/// reaches its time, stamped with it, until the generator ends, `seconds` pass or `stop` is
/// set. Returns the number of samples sent.
pub fn publish_events(
    spec: &OutletSpec,
    seconds: Option<f64>,
    stop: &StopFlag,
    events: &mut dyn crate::eeg::source::Generator,
) -> Result<u64, String> {
    let outlet = spec.open()?;
    let start = ::lsl::local_clock();
    let mut buf = vec![0.0f32; spec.labels.len()];
    let mut sent = 0u64;
    while let Some(t) = events.next(&mut buf) {
        if seconds.is_some_and(|s| t > s) {
            break;
        }
        // Waits in short steps so a stop request is noticed.
        while ::lsl::local_clock() < start + t {
            if stop.is_stopped() {
                return Ok(sent);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        outlet
            .push_sample_ex(&buf, start + t, true)
            .map_err(|e| format!("Sending on the LSL outlet failed ({e})."))?;
        sent += 1;
    }
    Ok(sent)
}
