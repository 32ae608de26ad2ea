//! Publishing EEG as an LSL outlet (`melodiasync simulate` / `replay`): the way a DAW user gets
//! a stream without a headset, and the way tests get a real LSL peer.

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
    /// Sample rate in Hz.
    pub rate: f32,
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
    let mut info = StreamInfo::new(
        spec.name,
        spec.stream_type,
        channels as u32,
        spec.rate as f64,
        ChannelFormat::Float32,
        spec.source_id,
    )
    .map_err(|e| {
        format!(
            "Cannot describe the stream '{}' ({e}); use a non-empty name.",
            spec.name
        )
    })?;
    let mut chans = info.desc().append_child("channels");
    for l in spec.labels {
        let mut ch = chans.append_child("channel");
        ch.append_child_value("label", l);
        ch.append_child_value("unit", "microvolts");
        ch.append_child_value("type", "EEG");
    }
    let outlet = StreamOutlet::new(&info, 0, 60)
        .map_err(|e| format!("Cannot open an LSL outlet ({e}); check the network settings."))?;
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
