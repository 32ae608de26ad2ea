//! Saved plugin states from older versions, brought up to date before nice-plug loads them.

/// The plugin state version this build writes. 1: before neurofeedback (synth parameters and
/// `eeg-source` only). 2: feedback parameters, `feedback-setup`, `adaptive`, `state-version`.
pub const STATE_VERSION: u32 = 2;

/// Brings a saved plugin state up to [`STATE_VERSION`] before nice-plug loads it.
///
/// A version 1 project was made when the EEG did not touch the sound and there were no chimes:
/// it loads with feedback depth 0 and chime level 0, so it sounds exactly as it did; the user
/// turns the feedback up when they want it.
pub fn migrate_state(state: &mut nice_plug::plugin::PluginState) {
    use nice_plug::plugin::ParamValue;
    let version = state
        .fields
        .get("state-version")
        .and_then(|v| serde_json::from_str::<u32>(v).ok())
        .unwrap_or(1);
    if version < 2 {
        for id in ["fbdepth", "chimes"] {
            state
                .params
                .entry(id.into())
                .or_insert(ParamValue::F32(0.0));
        }
    }
    state
        .fields
        .insert("state-version".into(), STATE_VERSION.to_string());
}
