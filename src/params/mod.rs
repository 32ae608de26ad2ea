//! Automatable parameters. Ids are stable forever once shipped: hosts store automation and
//! projects by them. Defaults come from [`SynthSettings::DEFAULT`] so there is one source.

use nice_plug::prelude::*;

use crate::bridge::{AdaptiveCell, ProgramTable, QueueSender, SetupCell};
use crate::eeg::SourceSpec;
use crate::engine::Controls;
use crate::feedback::program::{ProgramKind, MAX_INHIBITS, MAX_REWARDS};
use crate::feedback::{Adaptation, AdaptiveSnapshot, FeedbackKnobs};
use crate::synth::{Chord, SynthSettings};
pub use lookup::{describe, param_by_id, set_from_text, ParamRow};
pub use migrate::{migrate_state, STATE_VERSION};

mod lookup;
mod migrate;
pub mod remote;

/// Default editor size in logical pixels (saved with the project when the user resizes).
pub const DEFAULT_EDITOR_SIZE: (u32, u32) = (980, 680);

/// The plugin's parameters.
#[derive(Params)]
pub struct MelodiaSyncParams {
    /// The macro that carries the whole journey from tense/bright to deep/warm.
    #[id = "relax"]
    pub relaxation: FloatParam,

    /// Drone pad level.
    #[id = "drone"]
    pub drone_level: FloatParam,
    /// Binaural beat level.
    #[id = "binaural"]
    pub binaural_level: FloatParam,
    /// Isochronic pulse level.
    #[id = "pulse"]
    pub isochronic_level: FloatParam,
    /// Coloured noise level.
    #[id = "noise"]
    pub noise_level: FloatParam,

    /// Free-running drone root (MIDI notes override it while held).
    #[id = "root"]
    pub root_note: IntParam,
    /// Drone chord shape.
    #[id = "chord"]
    pub chord: EnumParam<Chord>,
    /// Drone detune and amplitude drift.
    #[id = "drift"]
    pub drift: FloatParam,

    /// Binaural carrier frequency.
    #[id = "carrier"]
    pub carrier_hz: FloatParam,
    /// Entrainment rate: binaural beat and isochronic pulse rate.
    #[id = "beat"]
    pub beat_hz: FloatParam,
    /// Quantise the beat rate to the host tempo, pulse on the bar grid.
    #[id = "temposync"]
    pub tempo_sync: BoolParam,
    /// Pitch of the isochronic tone.
    #[id = "ptone"]
    pub pulse_tone_hz: FloatParam,

    /// Noise colour, pink to brown.
    #[id = "ncolour"]
    pub noise_colour: FloatParam,
    /// Noise low-pass cutoff.
    #[id = "ncut"]
    pub noise_cutoff_hz: FloatParam,
    /// Seconds per surf swell.
    #[id = "surfp"]
    pub surf_period: FloatParam,
    /// Surf swell depth.
    #[id = "surfd"]
    pub surf_depth: FloatParam,

    /// Master tone, dark to bright.
    #[id = "tone"]
    pub tone: FloatParam,
    /// Reverb wet mix.
    #[id = "rvmix"]
    pub reverb_mix: FloatParam,
    /// Reverb size (decay time).
    #[id = "rvsize"]
    pub reverb_size: FloatParam,
    /// Output gain.
    #[id = "out"]
    pub output_db: FloatParam,

    /// Success chime level (how often they strike follows the reward).
    #[id = "chimes"]
    pub chime_level: FloatParam,

    /// The breath pacer: the noise layer swells and brightens on the inhale and falls on the
    /// exhale, at the pacer's rate (programs that ask for it turn it on too).
    #[id = "pacer"]
    pub pacer: BoolParam,
    /// Pacer breathing rate, breaths per minute.
    #[id = "pacerrate"]
    pub pacer_rate: FloatParam,
    /// Pacer inhale share of each breath (shown as inhale:exhale, 4:6 = 40 %).
    #[id = "pacerinh"]
    pub pacer_inhale: FloatParam,
    /// Pacer level (the noise layer's while the pacer plays).
    #[id = "pacerlvl"]
    pub pacer_level: FloatParam,
    /// Start the pacer at the listener's measured breathing rate (from the heart) and glide
    /// it to the pacer rate.
    #[id = "pacerglide"]
    pub pacer_glide: BoolParam,

    /// The neurofeedback program.
    #[id = "program"]
    pub program: EnumParam<ProgramKind>,
    /// How much the EEG shapes the sound (0: not at all).
    #[id = "fbdepth"]
    pub feedback_depth: FloatParam,
    /// Reward targets, as positions in each term's range (50 % = the program's target).
    #[nested(array, group = "Targets")]
    pub targets: [TargetParam; MAX_REWARDS],
    /// Inhibit ceilings, likewise.
    #[nested(array, group = "Ceilings")]
    pub ceilings: [CeilingParam; MAX_INHIBITS],
    /// Adaptive targets: thresholds follow the listener to keep the success rate near the goal.
    #[id = "adapt"]
    pub adaptive: BoolParam,
    /// Holds adaptive targets where they are.
    #[id = "freeze"]
    pub freeze: BoolParam,
    /// Success rate adaptive targets aim for.
    #[id = "srate"]
    pub success_rate: FloatParam,
    /// How fast the listener's range follows the listener once learned (minutes; the
    /// program's own time by default): faster follows drift and shapes, slower holds states.
    #[id = "adapttime"]
    pub adaptation: EnumParam<Adaptation>,
    /// Response time: how long each term takes to reach the sound (its band filter's delay
    /// topped up by smoothing). The id keeps its first name, "reward smoothing".
    #[id = "rsmooth"]
    pub reward_smoothing: FloatParam,
    /// Seconds without usable EEG before the sound glides to neutral.
    #[id = "hold"]
    pub stale_hold: FloatParam,
    /// Entrainment glide from the listener's peak alpha to the program's band.
    #[id = "glide"]
    pub glide: BoolParam,

    /// Send features and reward as MIDI CC.
    #[id = "ccout"]
    pub cc_out: BoolParam,
    /// MIDI channel for the CCs.
    #[id = "ccch"]
    pub cc_channel: IntParam,
    /// CC number of the first value (the reward); the others follow (see README).
    #[id = "ccbase"]
    pub cc_base: IntParam,
    /// Publish features, reward and modulation as the LSL stream `MelodiaSync-Features`.
    #[id = "lslout"]
    pub lsl_out: BoolParam,
    /// Song position (s) where a recording's or the simulator's time 0 sits on the host's
    /// timeline (see [`crate::timeline`]).
    #[id = "eegstart"]
    pub eeg_start: FloatParam,

    /// Where EEG comes from (LSL by default; simulator or file one choice away). Saved with
    /// the project, never automated.
    #[persist = "eeg-source"]
    pub source: std::sync::RwLock<SourceSpec>,
    /// Montage channels by label (empty: every channel of the stream), saved with the project.
    #[persist = "montage"]
    pub montage: std::sync::RwLock<Vec<String>>,
    /// Where the heart comes from (off by default; an LSL ECG, PPG or RR stream, the heart
    /// simulator or a recording). Saved with the project, never automated.
    #[persist = "heart-source"]
    pub heart_source: std::sync::RwLock<crate::eeg::heart_source::HeartSource>,
    /// Calibration baseline (and, with presets, program edits).
    #[persist = "feedback-setup"]
    pub setup: SetupCell,
    /// Adaptive thresholds, so a session continues where it stopped.
    #[persist = "adaptive"]
    pub adaptive_state: AdaptiveCell,
    /// The guided session chosen for this project and whether it runs (see
    /// [`GuideChoice`]).
    #[persist = "guided-session"]
    pub guided: std::sync::RwLock<GuideChoice>,
    /// Editor window size in logical pixels, remembered with the project.
    #[persist = "editor-size"]
    pub editor_size: std::sync::RwLock<(u32, u32)>,
    /// Version of the saved state (see [`migrate_state`]).
    #[persist = "state-version"]
    pub state_version: std::sync::atomic::AtomicU32,
}

/// The guided session a project runs: the whole session as its file holds it (so a project
/// plays the same journey on another machine, whatever that one's library holds), and
/// whether it runs. Parsed and validated by the plugin (`crate::guide`) when it starts.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GuideChoice {
    /// The session, as JSON.
    #[serde(default)]
    pub session: Option<serde_json::Value>,
    /// Whether it runs (started in the editor; it starts again when the project loads).
    #[serde(default)]
    pub running: bool,
}

/// One reward target parameter (ids `tgt1`..`tgt3`).
#[derive(Params)]
pub struct TargetParam {
    /// Position in the term's range.
    #[id = "tgt"]
    pub position: FloatParam,
}

/// One inhibit ceiling parameter (ids `ceil1`, `ceil2`).
#[derive(Params)]
pub struct CeilingParam {
    /// Position in the term's range.
    #[id = "ceil"]
    pub position: FloatParam,
}

/// A 0..1 parameter shown as a percentage.
/// An inhale share as a breath's inhale:exhale in tenths ("4:6"), or to one decimal when it
/// falls between tenths ("3.5:6.5").
fn inhale_to_string(share: f32) -> String {
    let tenths = share * 10.0;
    if (tenths - tenths.round()).abs() < 0.05 {
        format!("{:.0}:{:.0}", tenths, 10.0 - tenths)
    } else {
        format!("{:.1}:{:.1}", tenths, 10.0 - tenths)
    }
}

/// Parses "4:6" (inhale:exhale, any scale: "1:2" is a third), "40 %" or "0.4".
fn inhale_from_string(text: &str) -> Option<f32> {
    let t = text.trim();
    if let Some((a, b)) = t.split_once(':') {
        let (a, b) = (a.trim().parse::<f32>().ok()?, b.trim().parse::<f32>().ok()?);
        return (a > 0.0 && b > 0.0).then(|| a / (a + b));
    }
    let v = t.trim_end_matches('%').trim().parse::<f32>().ok()?;
    Some(if t.ends_with('%') || v > 1.0 {
        v / 100.0
    } else {
        v
    })
}

fn percent(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// A parameter whose range is skewed toward its low end (`skew` as for
/// `FloatRange::skew_factor`: -1 for frequencies and times).
fn skewed(name: &str, default: f32, min: f32, max: f32, skew: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(skew),
        },
    )
}

/// A frequency parameter with a logarithmic-feeling skew.
fn hertz(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, min, max, -1.0)
        .with_value_to_string(formatters::v2s_f32_hz_then_khz(2))
        .with_string_to_value(formatters::s2v_f32_hz_then_khz())
}

/// Seconds, skewed so short values get room.
fn seconds(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    skewed(name, default, min, max, -1.0)
        .with_unit(" s")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

impl Default for MelodiaSyncParams {
    /// Parameters whose compiled programs go nowhere (the CLI and tests); the plugin uses
    /// [`MelodiaSyncParams::new`].
    fn default() -> Self {
        Self::new(
            crate::bridge::program_channel().0,
            crate::bridge::adaptive_restore_channel().0,
        )
    }
}

impl MelodiaSyncParams {
    /// Parameters that send compiled programs (after state loads and calibrations) to
    /// `programs` and loaded adaptive states to `adaptive_restores`, both read by the audio
    /// thread.
    pub fn new(
        programs: QueueSender<ProgramTable>,
        adaptive_restores: QueueSender<AdaptiveSnapshot>,
    ) -> Self {
        let d = SynthSettings::DEFAULT;
        Self {
            relaxation: percent("Relaxation", 0.5),
            drone_level: percent("Drone level", d.drone_level),
            binaural_level: percent("Binaural level", d.binaural_level),
            isochronic_level: percent("Pulse level", d.isochronic_level),
            noise_level: percent("Noise level", d.noise_level),
            root_note: IntParam::new(
                "Root note",
                d.root_note as i32,
                IntRange::Linear { min: 24, max: 72 },
            )
            .with_value_to_string(formatters::v2s_i32_key_formatter())
            .with_string_to_value(formatters::s2v_i32_key_formatter()),
            chord: EnumParam::new("Chord", d.chord),
            drift: percent("Drift", d.drift),
            carrier_hz: hertz("Binaural carrier", d.carrier_hz, 100.0, 400.0),
            beat_hz: FloatParam::new(
                "Beat rate",
                d.beat_hz,
                FloatRange::Skewed {
                    min: 0.5,
                    max: 40.0,
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            tempo_sync: BoolParam::new("Sync beat to tempo", d.tempo_sync),
            pulse_tone_hz: hertz("Pulse tone", d.pulse_tone_hz, 100.0, 1000.0),
            noise_colour: percent("Noise colour", d.noise_colour),
            noise_cutoff_hz: hertz("Noise cutoff", d.noise_cutoff_hz, 200.0, 16_000.0),
            surf_period: FloatParam::new(
                "Surf period",
                d.surf_period,
                FloatRange::Skewed {
                    min: 2.0,
                    max: 60.0,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_unit(" s")
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            surf_depth: percent("Surf depth", d.surf_depth),
            tone: percent("Tone", d.tone),
            reverb_mix: percent("Reverb mix", d.reverb_mix),
            reverb_size: percent("Reverb size", d.reverb_size),
            output_db: FloatParam::new(
                "Output",
                d.output_db,
                FloatRange::Linear {
                    min: -60.0,
                    max: 6.0,
                },
            )
            .with_unit(" dB")
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            chime_level: percent("Chime level", d.chime_level),
            pacer: BoolParam::new("Breath pacer", d.pacer),
            pacer_rate: FloatParam::new(
                "Pacer rate",
                d.pacer_rate,
                FloatRange::Linear {
                    min: crate::synth::PACER_RATE.0,
                    max: crate::synth::PACER_RATE.1,
                },
            )
            .with_unit(" /min")
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            pacer_inhale: FloatParam::new(
                "Pacer inhale",
                d.pacer_inhale,
                FloatRange::Linear {
                    min: crate::synth::PACER_INHALE.0,
                    max: crate::synth::PACER_INHALE.1,
                },
            )
            .with_value_to_string(std::sync::Arc::new(inhale_to_string))
            .with_string_to_value(std::sync::Arc::new(inhale_from_string)),
            pacer_level: percent("Pacer level", d.pacer_level),
            pacer_glide: BoolParam::new("Pacer glide", false),
            program: EnumParam::new("Program", ProgramKind::Calm),
            feedback_depth: percent("Feedback depth", 1.0),
            targets: std::array::from_fn(|i| TargetParam {
                position: percent(&format!("Reward target {}", i + 1), 0.5),
            }),
            ceilings: std::array::from_fn(|i| CeilingParam {
                position: percent(&format!("Inhibit ceiling {}", i + 1), 0.5),
            }),
            adaptive: BoolParam::new("Adaptive targets", true),
            freeze: BoolParam::new("Freeze targets", false),
            success_rate: FloatParam::new(
                "Target success rate",
                0.6,
                FloatRange::Linear { min: 0.1, max: 0.9 },
            )
            .with_unit(" %")
            .with_value_to_string(formatters::v2s_f32_percentage(0))
            .with_string_to_value(formatters::s2v_f32_percentage()),
            adaptation: EnumParam::new("Adaptation", Adaptation::Program),
            reward_smoothing: seconds(
                "Response time",
                crate::feedback::DEFAULT_SMOOTHING_S,
                0.1,
                10.0,
            ),
            stale_hold: seconds("Stale hold", 3.0, 0.5, 30.0),
            glide: BoolParam::new("Entrainment glide", true),
            cc_out: BoolParam::new("Send CCs", true),
            cc_channel: IntParam::new("CC channel", 1, IntRange::Linear { min: 1, max: 16 }),
            cc_base: IntParam::new(
                "First CC",
                20,
                IntRange::Linear {
                    min: 0,
                    max: 127 - crate::midi_out::CC_COUNT as i32 + 1,
                },
            ),
            lsl_out: BoolParam::new("LSL features out", true),
            eeg_start: FloatParam::new(
                "EEG start",
                0.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: 3600.0,
                },
            )
            .with_unit(" s")
            .with_step_size(0.001)
            .with_value_to_string(formatters::v2s_f32_rounded(3)),
            source: std::sync::RwLock::new(SourceSpec::default()),
            montage: std::sync::RwLock::new(Vec::new()),
            heart_source: std::sync::RwLock::new(crate::eeg::heart_source::HeartSource::OFF),
            setup: SetupCell::new(programs),
            adaptive_state: AdaptiveCell::new(adaptive_restores),
            state_version: std::sync::atomic::AtomicU32::new(STATE_VERSION),
            editor_size: std::sync::RwLock::new(DEFAULT_EDITOR_SIZE),
            guided: std::sync::RwLock::new(GuideChoice::default()),
        }
    }
}

impl MelodiaSyncParams {
    /// The current parameter values as engine controls (targets; the synth smooths them).
    pub fn controls(&self) -> Controls {
        Controls {
            settings: SynthSettings {
                drone_level: self.drone_level.value(),
                binaural_level: self.binaural_level.value(),
                isochronic_level: self.isochronic_level.value(),
                noise_level: self.noise_level.value(),
                root_note: self.root_note.value() as f32,
                chord: self.chord.value(),
                drift: self.drift.value(),
                carrier_hz: self.carrier_hz.value(),
                beat_hz: self.beat_hz.value(),
                pulse_tone_hz: self.pulse_tone_hz.value(),
                noise_colour: self.noise_colour.value(),
                noise_cutoff_hz: self.noise_cutoff_hz.value(),
                surf_period: self.surf_period.value(),
                surf_depth: self.surf_depth.value(),
                tone: self.tone.value(),
                reverb_mix: self.reverb_mix.value(),
                reverb_size: self.reverb_size.value(),
                output_db: self.output_db.value(),
                chime_level: self.chime_level.value(),
                pacer: self.pacer.value(),
                pacer_rate: self.pacer_rate.value(),
                pacer_inhale: self.pacer_inhale.value(),
                pacer_level: self.pacer_level.value(),
                tempo_sync: self.tempo_sync.value(),
            },
            relaxation: self.relaxation.value(),
            program: self.program.value(),
            feedback: self.feedback_knobs(),
        }
    }

    /// The position parameter (0..1, 50 % = the program's target) of target slot `slot`,
    /// `0..MAX_TERMS`: the reward targets, then the inhibit ceilings — the order of a
    /// program's terms and of [`FeedbackKnobs::positions`]. Panics past `MAX_TERMS`.
    pub fn target_position(&self, slot: usize) -> &FloatParam {
        if slot < MAX_REWARDS {
            &self.targets[slot].position
        } else {
            &self.ceilings[slot - MAX_REWARDS].position
        }
    }

    /// The feedback controls.
    pub fn feedback_knobs(&self) -> FeedbackKnobs {
        let positions = std::array::from_fn(|slot| self.target_position(slot).value());
        FeedbackKnobs {
            depth: self.feedback_depth.value(),
            positions,
            adaptive: self.adaptive.value(),
            freeze: self.freeze.value(),
            success_rate: Some(self.success_rate.value()),
            adaptation: self.adaptation.value(),
            smoothing_s: self.reward_smoothing.value(),
            hold_s: self.stale_hold.value(),
            glide: self.glide.value(),
            pacer_glide: self.pacer_glide.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::program::MAX_TERMS;
    use std::sync::Arc;

    #[test]
    fn target_slots_are_the_saved_target_parameters_the_engine_reads() {
        let params = Arc::new(MelodiaSyncParams::default());
        let ids = ["tgt_1", "tgt_2", "tgt_3", "ceil_1", "ceil_2"];
        assert_eq!(ids.len(), MAX_TERMS);
        for (slot, id) in ids.iter().enumerate() {
            let by_id = param_by_id(&params, id).unwrap();
            assert_eq!(by_id, params.target_position(slot).as_ptr(), "slot {slot}");
            let value = 0.1 + 0.15 * slot as f32;
            set_from_text(&params, id, &format!("{}", 100.0 * value)).unwrap();
            assert!((params.feedback_knobs().positions[slot] - value).abs() < 1e-4);
        }
        assert!(param_by_id(&params, "no_such_id").is_none());
    }
}
