//! The part of [`Controls`] a stage can set, as numbered fields with their glide curves.
//!
//! A stage names some parameters (its preset's and its own); those fields take the stage's
//! values, the others keep an earlier stage's, and fields no stage named follow the host's
//! parameters. At a stage change every field glides from
//! where it was to where the new stage puts it, over the stage's glide time: linearly for
//! levels, in the log domain for frequencies and times (a glide in pitch), and switching at
//! the halfway point for choices (chord, root note, tempo sync; the drone glides its pitch
//! itself, 60 ms per control).

use nice_plug::prelude::Enum;

use crate::engine::Controls;
use crate::math::Portable;
use crate::synth::Chord;

/// How a field glides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// Straight from one value to the other.
    Linear,
    /// Straight in the logarithm (frequencies, periods).
    Log,
    /// The old value until halfway, then the new one.
    Switch,
}

/// One stage-settable field: its parameter id, how it glides, and how it is read and written.
#[derive(Clone, Copy)]
pub struct Field {
    /// The parameter id (as presets and stage sounds name it).
    pub id: &'static str,
    /// Its glide.
    pub curve: Curve,
    /// Reads it.
    pub get: fn(&Controls) -> f32,
    /// Writes it.
    pub set: fn(&mut Controls, f32),
}

/// Fields a stage can set.
pub const N_FIELDS: usize = 22;

/// The field table: every synth setting, the Relaxation macro and the feedback depth.
pub const FIELDS: [Field; N_FIELDS] = [
    Field {
        id: "relax",
        curve: Curve::Linear,
        get: |c| c.relaxation,
        set: |c, v| c.relaxation = v,
    },
    Field {
        id: "drone",
        curve: Curve::Linear,
        get: |c| c.settings.drone_level,
        set: |c, v| c.settings.drone_level = v,
    },
    Field {
        id: "binaural",
        curve: Curve::Linear,
        get: |c| c.settings.binaural_level,
        set: |c, v| c.settings.binaural_level = v,
    },
    Field {
        id: "pulse",
        curve: Curve::Linear,
        get: |c| c.settings.isochronic_level,
        set: |c, v| c.settings.isochronic_level = v,
    },
    Field {
        id: "noise",
        curve: Curve::Linear,
        get: |c| c.settings.noise_level,
        set: |c, v| c.settings.noise_level = v,
    },
    Field {
        id: "chimes",
        curve: Curve::Linear,
        get: |c| c.settings.chime_level,
        set: |c, v| c.settings.chime_level = v,
    },
    Field {
        id: "root",
        curve: Curve::Switch,
        get: |c| c.settings.root_note,
        set: |c, v| c.settings.root_note = v,
    },
    Field {
        id: "chord",
        curve: Curve::Switch,
        get: |c| c.settings.chord.to_index() as f32,
        set: |c, v| c.settings.chord = Chord::from_index(v.max(0.0) as usize),
    },
    Field {
        id: "drift",
        curve: Curve::Linear,
        get: |c| c.settings.drift,
        set: |c, v| c.settings.drift = v,
    },
    Field {
        id: "carrier",
        curve: Curve::Log,
        get: |c| c.settings.carrier_hz,
        set: |c, v| c.settings.carrier_hz = v,
    },
    Field {
        id: "beat",
        curve: Curve::Log,
        get: |c| c.settings.beat_hz,
        set: |c, v| c.settings.beat_hz = v,
    },
    Field {
        id: "temposync",
        curve: Curve::Switch,
        get: |c| c.settings.tempo_sync as u8 as f32,
        set: |c, v| c.settings.tempo_sync = v >= 0.5,
    },
    Field {
        id: "ptone",
        curve: Curve::Log,
        get: |c| c.settings.pulse_tone_hz,
        set: |c, v| c.settings.pulse_tone_hz = v,
    },
    Field {
        id: "ncolour",
        curve: Curve::Linear,
        get: |c| c.settings.noise_colour,
        set: |c, v| c.settings.noise_colour = v,
    },
    Field {
        id: "ncut",
        curve: Curve::Log,
        get: |c| c.settings.noise_cutoff_hz,
        set: |c, v| c.settings.noise_cutoff_hz = v,
    },
    Field {
        id: "surfp",
        curve: Curve::Log,
        get: |c| c.settings.surf_period,
        set: |c, v| c.settings.surf_period = v,
    },
    Field {
        id: "surfd",
        curve: Curve::Linear,
        get: |c| c.settings.surf_depth,
        set: |c, v| c.settings.surf_depth = v,
    },
    Field {
        id: "tone",
        curve: Curve::Linear,
        get: |c| c.settings.tone,
        set: |c, v| c.settings.tone = v,
    },
    Field {
        id: "rvmix",
        curve: Curve::Linear,
        get: |c| c.settings.reverb_mix,
        set: |c, v| c.settings.reverb_mix = v,
    },
    Field {
        id: "rvsize",
        curve: Curve::Linear,
        get: |c| c.settings.reverb_size,
        set: |c, v| c.settings.reverb_size = v,
    },
    Field {
        id: "out",
        curve: Curve::Linear,
        get: |c| c.settings.output_db,
        set: |c, v| c.settings.output_db = v,
    },
    Field {
        id: "fbdepth",
        curve: Curve::Linear,
        get: |c| c.feedback.depth,
        set: |c, v| c.feedback.depth = v,
    },
];

/// The field of parameter `id`, if a stage can set it.
pub fn field_index(id: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.id == id)
}

/// Where a field stands `g` (0..1, already eased) of the way from `from` to `to`.
pub fn glide(curve: Curve, from: f32, to: f32, g: f32) -> f32 {
    match curve {
        _ if g >= 1.0 => to,
        Curve::Linear => from + (to - from) * g,
        Curve::Log if from > 0.0 && to > 0.0 => {
            (from.libm_ln() + (to.libm_ln() - from.libm_ln()) * g).libm_exp()
        }
        Curve::Log => from + (to - from) * g,
        Curve::Switch => {
            if g < 0.5 {
                from
            } else {
                to
            }
        }
    }
}

/// The glide's easing: a raised cosine (smoothstep-like, no corner at either end).
pub fn ease(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    0.5 - 0.5 * (std::f32::consts::PI * t).libm_cos()
}

/// Every field of `controls`.
pub fn read(controls: &Controls) -> [f32; N_FIELDS] {
    std::array::from_fn(|i| (FIELDS[i].get)(controls))
}

/// `controls` with every field set to `values`.
pub fn write(controls: &mut Controls, values: &[f32; N_FIELDS]) {
    for (f, v) in FIELDS.iter().zip(values) {
        (f.set)(controls, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{param_by_id, MelodiaSyncParams};

    #[test]
    fn every_field_is_its_parameter() {
        // Independent: the parameters' own path to the controls (what process() reads).
        for (i, f) in FIELDS.iter().enumerate() {
            let params = MelodiaSyncParams::default();
            let ptr = param_by_id(&params, f.id).unwrap_or_else(|| panic!("no parameter {}", f.id));
            // SAFETY: `ptr` points into `params`, alive here; no other thread uses them.
            unsafe { ptr._internal_set_normalized_value(0.73) };
            let from_params = params.controls();
            let mut written = MelodiaSyncParams::default().controls();
            (f.set)(&mut written, (f.get)(&from_params));
            assert_eq!(written, from_params, "field {i} ({})", f.id);
            assert_ne!(
                from_params,
                MelodiaSyncParams::default().controls(),
                "{} moved",
                f.id
            );
        }
        // Every synth setting has a field (a new setting needs one here).
        let c = Controls::default();
        let mut all = c;
        for f in &FIELDS {
            (f.set)(&mut all, (f.get)(&c) + 0.25);
        }
        let d = crate::synth::SynthSettings::DEFAULT;
        let s = all.settings;
        let moved = [
            s.drone_level != d.drone_level,
            s.binaural_level != d.binaural_level,
            s.isochronic_level != d.isochronic_level,
            s.noise_level != d.noise_level,
            s.chime_level != d.chime_level,
            s.root_note != d.root_note,
            s.drift != d.drift,
            s.carrier_hz != d.carrier_hz,
            s.beat_hz != d.beat_hz,
            s.pulse_tone_hz != d.pulse_tone_hz,
            s.noise_colour != d.noise_colour,
            s.noise_cutoff_hz != d.noise_cutoff_hz,
            s.surf_period != d.surf_period,
            s.surf_depth != d.surf_depth,
            s.tone != d.tone,
            s.reverb_mix != d.reverb_mix,
            s.reverb_size != d.reverb_size,
            s.output_db != d.output_db,
        ];
        assert!(moved.iter().all(|m| *m), "{moved:?}");
    }

    #[test]
    fn glides_end_where_they_should_and_frequencies_glide_in_pitch() {
        assert_eq!(glide(Curve::Linear, 0.2, 0.8, 0.5), 0.5);
        let mid = glide(Curve::Log, 4.0, 16.0, 0.5);
        assert!((mid - 8.0).abs() < 1e-4, "{mid}");
        assert_eq!(glide(Curve::Switch, 1.0, 3.0, 0.49), 1.0);
        assert_eq!(glide(Curve::Switch, 1.0, 3.0, 0.5), 3.0);
        for c in [Curve::Linear, Curve::Log, Curve::Switch] {
            assert_eq!(glide(c, 5.0, 9.0, 1.0), 9.0);
            assert_eq!(glide(c, 5.0, 9.0, 0.0), 5.0);
        }
        assert_eq!((ease(0.0), ease(1.0)), (0.0, 1.0));
        assert!((ease(0.5) - 0.5).abs() < 1e-6);
    }
}
