//! The LSL outlet `MelodiaSync-Features`.

use super::record::{record_values, LABELS};
use crate::bridge::FeedbackRecord;

/// Name of the LSL stream the plugin publishes.
pub const OUTLET_NAME: &str = "MelodiaSync-Features";
/// Type of that stream.
pub const OUTLET_TYPE: &str = "Features";

/// The LSL features outlet (created and fed on the session thread only).
pub struct FeaturesOutlet {
    /// The outlet.
    outlet: ::lsl::StreamOutlet,
}

impl FeaturesOutlet {
    /// Opens `MelodiaSync-Features` with one labelled float channel per [`LABELS`] entry,
    /// irregular rate (one sample per scored EEG frame).
    pub fn open(source_id: &str) -> Result<Self, String> {
        let mut info = ::lsl::StreamInfo::new(
            OUTLET_NAME,
            OUTLET_TYPE,
            LABELS.len() as u32,
            ::lsl::IRREGULAR_RATE,
            ::lsl::ChannelFormat::Float32,
            source_id,
        )
        .map_err(|e| format!("Cannot describe the features stream ({e})."))?;
        let mut chans = info.desc().append_child("channels");
        for l in LABELS {
            let mut ch = chans.append_child("channel");
            ch.append_child_value("label", l);
            ch.append_child_value("type", "feature");
        }
        info.desc()
            .append_child_value("manufacturer", "MelodiaSync");
        let outlet = ::lsl::StreamOutlet::new(&info, 0, 360).map_err(|e| {
            format!("Cannot open the features outlet ({e}); check the network settings.")
        })?;
        Ok(Self { outlet })
    }

    /// Sends a record, stamped with its EEG frame's time when that is on the local LSL clock.
    pub fn send(&self, r: &FeedbackRecord, stamp: Option<f64>) -> Result<(), String> {
        use ::lsl::ExPushable;
        let values = record_values(r);
        let t = stamp.unwrap_or_else(::lsl::local_clock);
        self.outlet
            .push_sample_ex(&values.to_vec(), t, true)
            .map_err(|e| format!("Sending on the features outlet failed ({e})."))
    }
}
