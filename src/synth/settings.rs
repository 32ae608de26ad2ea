//! What drives the synthesizer: [`SynthSettings`] (what the user set, in physical units) and
//! [`Modulation`] (normalised offsets from the feedback engine or the Relaxation macro), both
//! plain data, and the entrainment rate they give.

use super::drone::Chord;
use crate::math::Portable;

/// Everything the user sets, in physical units. Plain data: the plugin builds it from its
/// parameters each block, the CLI from the same parameters' defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthSettings {
    /// Drone level, 0..1 (squared to amplitude: an audio taper).
    pub drone_level: f32,
    /// Binaural beat level, 0..1.
    pub binaural_level: f32,
    /// Isochronic pulse level, 0..1.
    pub isochronic_level: f32,
    /// Noise level, 0..1.
    pub noise_level: f32,
    /// Success chime level, 0..1 (how often they strike is the feedback engine's call).
    pub chime_level: f32,
    /// Drone root as a MIDI note number (used while no MIDI note is held).
    pub root_note: f32,
    /// Drone chord shape.
    pub chord: Chord,
    /// Drone detune/amplitude drift depth, 0..1.
    pub drift: f32,
    /// Binaural carrier frequency in Hz.
    pub carrier_hz: f32,
    /// Entrainment rate in Hz: the binaural beat and the isochronic pulse rate.
    pub beat_hz: f32,
    /// Pitch of the isochronic tone in Hz.
    pub pulse_tone_hz: f32,
    /// Noise colour, 0 = pink .. 1 = brown.
    pub noise_colour: f32,
    /// Noise low-pass cutoff in Hz.
    pub noise_cutoff_hz: f32,
    /// Seconds per surf swell.
    pub surf_period: f32,
    /// Surf swell depth, 0..1.
    pub surf_depth: f32,
    /// Tone, 0 = dark .. 1 = bright (drone filter, master tilt, reverb damping).
    pub tone: f32,
    /// Reverb wet mix, 0..1.
    pub reverb_mix: f32,
    /// Reverb size, 0..1 (decay time 1..10 s).
    pub reverb_size: f32,
    /// Output gain in dB.
    pub output_db: f32,
    /// Quantise the beat rate to the host tempo and put the pulse on the bar grid (see
    /// [`super::tempo`]); off by default.
    pub tempo_sync: bool,
    /// The breath pacer: the noise layer swells on the inhale and falls on the exhale
    /// instead of following the surf (see [`super::noise`]); off by default.
    pub pacer: bool,
    /// Pacer breathing rate, breaths per minute (3–10; resonance breathing is about 6).
    pub pacer_rate: f32,
    /// Share of each breath spent breathing in, 0.2–0.6 (0.4 is a 4:6 inhale:exhale).
    pub pacer_inhale: f32,
    /// Level of the noise layer while the pacer plays, 0..1 (replaces the noise level, so the
    /// cue is heard whatever the noise level is).
    pub pacer_level: f32,
}

impl SynthSettings {
    /// The factory defaults: the calm soundscape a fresh instance plays. The plugin's parameter
    /// defaults are these values (see `params.rs`), so there is one source of truth.
    pub const DEFAULT: Self = Self {
        drone_level: 0.8,
        binaural_level: 0.5,
        isochronic_level: 0.3,
        noise_level: 0.5,
        chime_level: 0.5,
        root_note: 45.0,
        chord: Chord::Suspended,
        drift: 0.5,
        carrier_hz: 200.0,
        beat_hz: 8.0,
        pulse_tone_hz: 300.0,
        noise_colour: 0.5,
        noise_cutoff_hz: 2500.0,
        surf_period: 10.0,
        surf_depth: 0.6,
        tone: 0.5,
        reverb_mix: 0.35,
        reverb_size: 0.6,
        output_db: 0.0,
        tempo_sync: false,
        pacer: false,
        pacer_rate: 6.0,
        pacer_inhale: 0.4,
        pacer_level: 0.6,
    };

    /// All layers silent (used by tests and as a clean start for presets).
    pub fn silent() -> Self {
        Self {
            drone_level: 0.0,
            binaural_level: 0.0,
            isochronic_level: 0.0,
            noise_level: 0.0,
            chime_level: 0.0,
            ..Self::DEFAULT
        }
    }
}

impl SynthSettings {
    /// Replaces every non-finite field by its default, so a corrupt preset or a buggy host
    /// value degrades to the factory sound instead of silence or noise.
    pub fn sanitized(&self) -> Self {
        let d = Self::DEFAULT;
        let f = |x: f32, def: f32| if x.is_finite() { x } else { def };
        Self {
            drone_level: f(self.drone_level, d.drone_level),
            binaural_level: f(self.binaural_level, d.binaural_level),
            isochronic_level: f(self.isochronic_level, d.isochronic_level),
            noise_level: f(self.noise_level, d.noise_level),
            chime_level: f(self.chime_level, d.chime_level),
            root_note: f(self.root_note, d.root_note).clamp(0.0, 127.0),
            chord: self.chord,
            drift: f(self.drift, d.drift),
            carrier_hz: f(self.carrier_hz, d.carrier_hz),
            beat_hz: f(self.beat_hz, d.beat_hz),
            pulse_tone_hz: f(self.pulse_tone_hz, d.pulse_tone_hz),
            noise_colour: f(self.noise_colour, d.noise_colour),
            noise_cutoff_hz: f(self.noise_cutoff_hz, d.noise_cutoff_hz),
            surf_period: f(self.surf_period, d.surf_period),
            surf_depth: f(self.surf_depth, d.surf_depth),
            tone: f(self.tone, d.tone),
            reverb_mix: f(self.reverb_mix, d.reverb_mix),
            reverb_size: f(self.reverb_size, d.reverb_size),
            output_db: f(self.output_db, d.output_db),
            tempo_sync: self.tempo_sync,
            pacer: self.pacer,
            pacer_rate: f(self.pacer_rate, d.pacer_rate),
            pacer_inhale: f(self.pacer_inhale, d.pacer_inhale),
            pacer_level: f(self.pacer_level, d.pacer_level),
        }
    }
}

impl Default for SynthSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Normalised modulation: what the feedback engine (or the Relaxation macro) asks of the sound.
///
/// Offsets are bipolar in `-1..=1` with 0 meaning "as the user set it"; layer gains are
/// multipliers in `0..=1`. [`Modulation::NEUTRAL`] leaves the sound exactly as the settings say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Modulation {
    /// +1 warmer/darker, -1 brighter/tenser: drone filter, tilt, noise cutoff, reverb damping.
    pub warmth: f32,
    /// +1 fuller chord (upper voices up, more drift), -1 sparser and stiller.
    pub density: f32,
    /// +1 deeper surf swells, -1 steadier noise.
    pub swell: f32,
    /// Entrainment rate shift in octaves: -1 halves the beat rate, +1 doubles it.
    pub beat_shift: f32,
    /// +1 more and longer reverb, -1 drier.
    pub space: f32,
    /// Drone layer gain multiplier.
    pub drone: f32,
    /// Binaural layer gain multiplier.
    pub binaural: f32,
    /// Isochronic layer gain multiplier.
    pub isochronic: f32,
    /// Noise layer gain multiplier.
    pub noise: f32,
    /// Success chime density, 0 (none) ..1 (about one strike per second).
    pub chimes: f32,
    /// Entrainment rate in Hz that replaces the user's beat rate (the entrainment glide);
    /// 0 = use the user's rate. `beat_shift` still applies on top.
    pub beat_hz: f32,
}

impl Modulation {
    /// No modulation at all.
    pub const NEUTRAL: Self = Self {
        warmth: 0.0,
        density: 0.0,
        swell: 0.0,
        beat_shift: 0.0,
        space: 0.0,
        drone: 1.0,
        binaural: 1.0,
        isochronic: 1.0,
        noise: 1.0,
        chimes: 0.0,
        beat_hz: 0.0,
    };

    /// `g` (0..1) of the way from `self` to `to`, field by field (a guided session's stage
    /// change glides the feedback's effect with it). The entrainment rate jumps to `to`'s
    /// where either is "the user's rate" (0).
    pub fn toward(self, to: Self, g: f32) -> Self {
        let g = if g.is_finite() {
            g.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let mix = |a: f32, b: f32| a + (b - a) * g;
        Self {
            warmth: mix(self.warmth, to.warmth),
            density: mix(self.density, to.density),
            swell: mix(self.swell, to.swell),
            beat_shift: mix(self.beat_shift, to.beat_shift),
            space: mix(self.space, to.space),
            drone: mix(self.drone, to.drone),
            binaural: mix(self.binaural, to.binaural),
            isochronic: mix(self.isochronic, to.isochronic),
            noise: mix(self.noise, to.noise),
            chimes: mix(self.chimes, to.chimes),
            beat_hz: if self.beat_hz > 0.0 && to.beat_hz > 0.0 {
                mix(self.beat_hz, to.beat_hz)
            } else {
                to.beat_hz
            },
        }
    }

    /// The Relaxation macro: 0 = tense/bright, 0.5 = neutral, 1 = deep/warm.
    ///
    /// Toward 1 the sound warms, the entrainment rate halves (8 Hz alpha toward 4 Hz theta), the
    /// space opens, the surf deepens, the drone stills and the alerting isochronic pulse fades;
    /// toward 0 the reverse, with the rate doubling toward beta.
    pub fn from_relaxation(relaxation: f32) -> Self {
        let r = if relaxation.is_finite() {
            relaxation.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let u = 2.0 * r - 1.0;
        Self {
            warmth: u,
            density: -0.5 * u,
            swell: 0.6 * u,
            beat_shift: -u,
            space: 0.6 * u,
            drone: 1.0,
            binaural: 1.0,
            isochronic: 1.0 - 0.6 * u.max(0.0),
            noise: 1.0 - 0.5 * (-u).max(0.0),
            chimes: 0.0,
            beat_hz: 0.0,
        }
    }

    /// Clamps every field into its range and replaces non-finite values with neutral ones, so
    /// a bad frame upstream can never reach the DSP.
    pub fn sanitized(self) -> Self {
        let off = |x: f32| {
            if x.is_finite() {
                x.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        };
        let gain = |x: f32| {
            if x.is_finite() {
                x.clamp(0.0, 1.0)
            } else {
                1.0
            }
        };
        Self {
            warmth: off(self.warmth),
            density: off(self.density),
            swell: off(self.swell),
            beat_shift: off(self.beat_shift),
            space: off(self.space),
            drone: gain(self.drone),
            binaural: gain(self.binaural),
            isochronic: gain(self.isochronic),
            noise: gain(self.noise),
            chimes: if self.chimes.is_finite() {
                self.chimes.clamp(0.0, 1.0)
            } else {
                0.0
            },
            beat_hz: if self.beat_hz.is_finite() && self.beat_hz > 0.0 {
                self.beat_hz.clamp(0.5, 40.0)
            } else {
                0.0
            },
        }
    }
}

impl Default for Modulation {
    fn default() -> Self {
        Self::NEUTRAL
    }
}

/// The entrainment rate in Hz (binaural beat and isochronic pulse) for settings and
/// modulation: the glide's rate if it set one, else the user's, shifted in octaves.
pub fn entrainment_hz(s: &SynthSettings, m: &Modulation) -> f32 {
    let beat = if m.beat_hz > 0.0 {
        m.beat_hz
    } else {
        s.beat_hz
    };
    (beat * m.beat_shift.libm_exp2()).clamp(0.5, 40.0)
}
