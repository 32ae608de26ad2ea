//! The relaxation synthesizer: pure audio DSP, no threads, no I/O, no allocation in `process`.
//!
//! Signal flow per control block of [`CONTROL_BLOCK`] samples:
//!
//! ```text
//!  drone ─┐                                 ┌──────────────┐
//!  noise ─┴─ soundscape bus ─ reverb (wet/dry) ─ tilt (tone) ─┐
//!  binaural ─┐                                                ├─ output gain ─ DC block ─ limiter
//!  isochronic ┴─ entrainment bus (kept dry: reverb would smear beats and pulses) ─┘
//! ```
//!
//! Two inputs drive it: [`SynthSettings`] (what the user set, in physical units) and
//! [`Modulation`] (normalised offsets from the feedback engine or the Relaxation macro). Both
//! become per-block targets that every control follows through a one-pole smoother, so no
//! change — automation jump, preset load, EEG spike — can click.

pub mod binaural;
pub mod chimes;
pub mod drone;
pub mod filter;
pub mod isochronic;
pub mod limiter;
pub mod noise;
pub mod osc;
pub mod reverb;
pub mod rng;
mod settings;
pub mod smooth;
pub mod tempo;
pub mod wavetable;

pub use drone::Chord;
pub use settings::{entrainment_hz, Modulation, SynthSettings};

use crate::math::Portable;
use binaural::Binaural;
use chimes::Chimes;
use drone::{Drone, DroneControl, MAX_VOICES};
use filter::{DcBlocker, Tilt};
use isochronic::Isochronic;
use limiter::Limiter;
use noise::{Noise, NoiseControl};
use reverb::Reverb;
use smooth::{Ramp, Smoothed};

/// Samples per control update: coefficients and targets change at this rate, gains ramp
/// linearly within it. 32 samples is 0.7 ms at 48 kHz: far below audible zipper rates.
pub const CONTROL_BLOCK: usize = 32;

/// Seconds for a control to cover 63 % of a jump. 60 ms: quick enough to feel immediate,
/// slow enough that a full-scale level jump changes by at most 1/2880 per sample at 48 kHz.
const CONTROL_TAU: f32 = 0.06;

/// Amplitude of each layer at level 1.0 before the master gain, balanced by ear and so that the
/// default patch measures about -18 LUFS (see `tests/synth.rs`).
const DRONE_SCALE: f32 = 0.32;
/// See [`DRONE_SCALE`].
const BINAURAL_SCALE: f32 = 0.11;
/// See [`DRONE_SCALE`].
const ISO_SCALE: f32 = 0.1;
/// See [`DRONE_SCALE`].
const NOISE_SCALE: f32 = 0.22;
/// See [`DRONE_SCALE`]. Chimes are a cue above the bed, not a lead: about 6 dB under the drone.
const CHIME_SCALE: f32 = 0.12;

/// The pacer's breathing rates, breaths per minute.
pub const PACER_RATE: (f32, f32) = (3.0, 10.0);
/// The pacer's inhale shares (of each breath).
pub const PACER_INHALE: (f32, f32) = (0.2, 0.6);

/// Indices of the smoothed controls.
#[derive(Clone, Copy)]
#[repr(usize)]
enum C {
    DroneGain,
    BinauralGain,
    IsoGain,
    NoiseGain,
    ChimeGain,
    ChimeDensity,
    Drift,
    UpperWeight,
    /// log2 of the drone cutoff: cutoffs glide evenly in pitch.
    DroneCutoffLog,
    Carrier,
    Beat,
    PulseTone,
    NoiseColour,
    NoiseCutoffLog,
    SurfPeriod,
    SwellDepth,
    /// 0 = the surf swell, 1 = the breath pacer's (a crossfade, so switching never clicks).
    PacerMix,
    /// Pacer breaths per minute.
    PacerRate,
    /// Pacer inhale share.
    PacerInhale,
    TiltDb,
    ReverbMix,
    ReverbRt60,
    DampingLog,
    OutputGain,
}
/// Number of smoothed controls.
const N_CONTROLS: usize = C::OutputGain as usize + 1;

/// Turns settings and modulation into the per-block control targets (pure).
fn targets(s: &SynthSettings, m: &Modulation, bpm: Option<f64>) -> [f32; N_CONTROLS] {
    let unit = |x: f32| x.clamp(0.0, 1.0);
    let bright = unit(s.tone - 0.3 * m.warmth);
    let size = unit(s.reverb_size + 0.2 * m.space);
    let mut t = [0.0; N_CONTROLS];
    t[C::DroneGain as usize] = unit(s.drone_level).powi(2) * m.drone * DRONE_SCALE;
    t[C::BinauralGain as usize] = unit(s.binaural_level).powi(2) * m.binaural * BINAURAL_SCALE;
    t[C::IsoGain as usize] = unit(s.isochronic_level).powi(2) * m.isochronic * ISO_SCALE;
    // The pacer is a cue to follow: its level replaces the noise level and the feedback's
    // noise offset, so it is heard whatever they are.
    t[C::NoiseGain as usize] = if s.pacer {
        unit(s.pacer_level).powi(2)
    } else {
        unit(s.noise_level).powi(2) * m.noise
    } * NOISE_SCALE;
    t[C::ChimeGain as usize] = unit(s.chime_level).powi(2) * CHIME_SCALE;
    t[C::ChimeDensity as usize] = unit(m.chimes);
    t[C::Drift as usize] = unit(s.drift * (1.0 + 0.5 * m.density));
    t[C::UpperWeight as usize] = 0.75 + 0.25 * m.density;
    t[C::DroneCutoffLog as usize] = 150f32.libm_log2() + 6.5 * bright;
    t[C::Carrier as usize] = s.carrier_hz.clamp(20.0, 2000.0);
    t[C::Beat as usize] = match bpm.filter(|_| s.tempo_sync) {
        Some(bpm) => tempo::synced_hz(entrainment_hz(s, m), bpm),
        None => entrainment_hz(s, m),
    };
    t[C::PulseTone as usize] = s.pulse_tone_hz.clamp(20.0, 4000.0);
    t[C::NoiseColour as usize] = unit(s.noise_colour);
    t[C::NoiseCutoffLog as usize] =
        s.noise_cutoff_hz.clamp(50.0, 20_000.0).libm_log2() - 0.7 * m.warmth;
    t[C::SurfPeriod as usize] = s.surf_period.clamp(2.0, 60.0);
    t[C::SwellDepth as usize] = unit(s.surf_depth + 0.3 * m.swell);
    t[C::PacerMix as usize] = if s.pacer { 1.0 } else { 0.0 };
    // A glide from the listener's own breathing may start above the pacer's range.
    t[C::PacerRate as usize] = s
        .pacer_rate
        .clamp(PACER_RATE.0, crate::feedback::PACER_GLIDE_FROM_MAX);
    t[C::PacerInhale as usize] = s.pacer_inhale.clamp(PACER_INHALE.0, PACER_INHALE.1);
    t[C::TiltDb as usize] = 12.0 * (bright - 0.5);
    t[C::ReverbMix as usize] = unit(s.reverb_mix + 0.25 * m.space);
    t[C::ReverbRt60 as usize] = 1.0 + 9.0 * size * size;
    t[C::DampingLog as usize] = 2000f32.libm_log2() + 3.0 * bright;
    t[C::OutputGain as usize] = 10f32.libm_powf(s.output_db.clamp(-80.0, 12.0) / 20.0);
    t
}

/// The whole synthesizer.
pub struct Synth {
    /// Drone pad layer.
    drone: Drone,
    /// Binaural beat layer.
    binaural: Binaural,
    /// Isochronic pulse layer.
    isochronic: Isochronic,
    /// Coloured noise layer.
    noise: Noise,
    /// Success chimes.
    chimes: Chimes,
    /// Soundscape reverb.
    reverb: Reverb,
    /// Tone tilt per channel.
    tilt: [Tilt; 2],
    /// DC blocker per channel.
    dc: [DcBlocker; 2],
    /// Output safety limiter.
    limiter: Limiter,
    /// Smoothed controls (see [`C`]).
    controls: [Smoothed; N_CONTROLS],
    /// Smoother coefficient for one control block.
    block_coeff: f32,
    /// Each control's course over the current control block.
    ramps: [Ramp; N_CONTROLS],
    /// Position inside the current control block (0 = a new block starts with the next sample).
    ctl_pos: usize,
    /// Tilt gains (low, high) for the current control block.
    tilt_gains: (f32, f32),
    /// False until the first block: then smoothers jump to their targets instead of gliding
    /// from arbitrary start values.
    primed: bool,
    /// Last reverb decay settings applied, to skip recomputing unchanged coefficients.
    reverb_applied: (f32, f32),
    /// Sample rate in Hz.
    sample_rate: f32,
    /// The seed of every random stream (drift, surf, noise, chimes) after a reset.
    seed: u64,
    /// The host's musical time while the transport plays (tempo sync).
    time: Option<tempo::MusicalTime>,
}

impl Synth {
    /// A synth at `sample_rate` with a deterministic `seed` (allocates: not for the audio thread).
    pub fn new(sample_rate: f32, seed: u64) -> Self {
        let controls = [Smoothed::new(0.0, CONTROL_TAU, sample_rate); N_CONTROLS];
        let mut s = Self {
            drone: Drone::new(sample_rate, seed),
            binaural: Binaural::new(sample_rate),
            isochronic: Isochronic::new(sample_rate),
            noise: Noise::new(sample_rate, seed.wrapping_add(1)),
            chimes: Chimes::new(sample_rate, seed.wrapping_add(2)),
            reverb: Reverb::new(sample_rate),
            tilt: [Tilt::new(800.0, sample_rate); 2],
            dc: [DcBlocker::new(5.0, sample_rate); 2],
            limiter: Limiter::new(sample_rate),
            block_coeff: controls[0].coeff_for(CONTROL_BLOCK),
            controls,
            ramps: [Ramp::flat(0.0); N_CONTROLS],
            ctl_pos: 0,
            tilt_gains: (1.0, 1.0),
            primed: false,
            reverb_applied: (0.0, 0.0),
            sample_rate,
            seed,
            time: None,
        };
        s.reset();
        s
    }

    /// The state a render starting at song `position` (samples) begins with, whatever played
    /// before: every random stream seeded from the synth's seed and the position
    /// ([`crate::transport::seed_at`]), every memory (voices, reverb, filters, limiter,
    /// smoothers) cleared. Real-time safe.
    pub fn reset_at(&mut self, position: i64) {
        self.seed_units(crate::transport::seed_at(self.seed, position));
        self.clear();
    }

    /// Gives the drone, noise and chimes their seeds for the next reset.
    fn seed_units(&mut self, seed: u64) {
        self.drone.set_seed(seed);
        self.noise.set_seed(seed.wrapping_add(1));
        self.chimes.set_seed(seed.wrapping_add(2));
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Prepares every unit for `sample_rate` (allocates the reverb lines: call from the plugin's
    /// `initialize`, never from `process`).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        self.drone.set_sample_rate(sample_rate);
        self.binaural.set_sample_rate(sample_rate);
        self.isochronic.set_sample_rate(sample_rate);
        self.noise.set_sample_rate(sample_rate);
        self.chimes.set_sample_rate(sample_rate);
        self.reverb.set_sample_rate(sample_rate);
        self.tilt = [Tilt::new(800.0, sample_rate); 2];
        self.dc = [DcBlocker::new(5.0, sample_rate); 2];
        self.limiter.set_sample_rate(sample_rate);
        for c in &mut self.controls {
            c.set_sample_rate(sample_rate);
        }
        self.block_coeff = self.controls[0].coeff_for(CONTROL_BLOCK);
        self.reset();
    }

    /// Back to the initial state (no allocation; safe on the audio thread). Identical settings
    /// after a reset give identical output.
    pub fn reset(&mut self) {
        self.seed_units(self.seed);
        self.clear();
    }

    /// Clears every memory and restarts every unit from its seed.
    fn clear(&mut self) {
        self.drone.reset();
        self.binaural.reset();
        self.isochronic.reset();
        self.noise.reset();
        self.chimes.reset();
        self.reverb.reset();
        self.tilt.iter_mut().for_each(Tilt::reset);
        self.dc.iter_mut().for_each(DcBlocker::reset);
        self.limiter.reset();
        self.primed = false;
        self.reverb_applied = (0.0, 0.0);
        self.ctl_pos = 0;
    }

    /// Where the synth is in its control grid: samples since the last control point
    /// (0..[`CONTROL_BLOCK`]). Settings and modulation take effect at control points.
    pub fn grid_phase(&self) -> usize {
        self.ctl_pos
    }

    /// A MIDI note starts: the drone follows held notes.
    pub fn note_on(&mut self, key: u8) {
        self.drone.note_on(key);
    }

    /// A MIDI note ends.
    pub fn note_off(&mut self, key: u8) {
        self.drone.note_off(key);
    }

    /// The breath pacer's phase (turns from the start of an inhale) and envelope (0..1).
    pub fn breath(&self) -> (f64, f32) {
        self.noise.breath()
    }

    /// Chime strikes since the last reset.
    pub fn chime_strikes(&self) -> u64 {
        self.chimes.strikes()
    }

    /// Releases all notes (the drone returns to its free-running chord).
    pub fn all_notes_off(&mut self) {
        self.drone.all_notes_off();
    }

    /// Renders `left.len()` samples (any length) into `left` and `right`, overwriting them.
    ///
    /// Controls update on a fixed grid of [`CONTROL_BLOCK`] samples that does not depend on how
    /// the host splits its buffers: the same settings give bit-identical output for any block
    /// size. Settings and notes take effect at the next grid point (at most 0.7 ms at 48 kHz).
    pub fn process(
        &mut self,
        settings: &SynthSettings,
        modulation: &Modulation,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        debug_assert_eq!(left.len(), right.len());
        let settings = &settings.sanitized();
        let t = targets(
            settings,
            &modulation.sanitized(),
            self.time.map(|time| time.bpm),
        );
        if !self.primed {
            for (c, v) in self.controls.iter_mut().zip(t) {
                c.reset(v);
            }
            self.primed = true;
        }
        let len = left.len().min(right.len());
        let mut pos = 0;
        while pos < len {
            if self.ctl_pos == 0 {
                self.control(settings, &t);
            }
            let n = (len - pos).min(CONTROL_BLOCK - self.ctl_pos);
            let (l, r) = (&mut left[pos..pos + n], &mut right[pos..pos + n]);
            if self.render(self.ctl_pos, l, r) {
                self.ctl_pos = (self.ctl_pos + n) % CONTROL_BLOCK;
                if let Some(time) = self.time.as_mut() {
                    time.advance(n, self.sample_rate);
                }
            } else {
                // Cannot happen with sanitised inputs; if it ever does, recover instead of
                // poisoning the reverb forever, and never let a NaN reach the host.
                l.iter_mut().chain(r.iter_mut()).for_each(|x| *x = 0.0);
                self.reset();
                for (c, v) in self.controls.iter_mut().zip(t) {
                    c.reset(v);
                }
                self.primed = true;
            }
            pos += n;
        }
    }

    /// Starts a control block: advances every smoother by one block and hands each layer its
    /// settings for the block.
    fn control(&mut self, settings: &SynthSettings, t: &[f32; N_CONTROLS]) {
        for ((ramp, control), &target) in self.ramps.iter_mut().zip(&mut self.controls).zip(t) {
            let from = control.current;
            *ramp = Ramp::new(from, control.next_n(target, self.block_coeff));
        }
        let get = |c: C| self.ramps[c as usize].to;
        self.drone.control(&DroneControl {
            root: settings.root_note,
            chord: settings.chord,
            drift: get(C::Drift),
            upper_weight: get(C::UpperWeight),
            cutoff_hz: get(C::DroneCutoffLog).libm_exp2(),
        });
        self.noise.control(&NoiseControl {
            colour: get(C::NoiseColour),
            cutoff_hz: get(C::NoiseCutoffLog).libm_exp2(),
            surf_period: get(C::SurfPeriod),
            swell_depth: get(C::SwellDepth),
            pacer_mix: get(C::PacerMix),
            pacer_rate: get(C::PacerRate),
            pacer_inhale: get(C::PacerInhale),
        });
        let mut notes = [0.0; MAX_VOICES];
        let n = self.drone.notes(&mut notes);
        self.chimes.control(get(C::ChimeDensity), &notes[..n]);
        let rt60 = get(C::ReverbRt60);
        let damping = get(C::DampingLog).libm_exp2();
        if (rt60 - self.reverb_applied.0).abs() > 1e-3
            || (damping - self.reverb_applied.1).abs() > 1.0
        {
            self.reverb.set_decay(rt60, damping);
            self.reverb_applied = (rt60, damping);
        }
        self.tilt_gains = Tilt::gains(get(C::TiltDb));
        // On the bar grid: the pulse is pulled toward where the song position puts it.
        if let Some(time) = self.time.filter(|_| settings.tempo_sync) {
            if let Some(m) = tempo::multiple_for(get(C::Beat), time.bpm) {
                let target = tempo::pulse_phase(time.beats_since_bar, m);
                let now = self.isochronic.pulse_turns();
                self.isochronic.shift_pulse(tempo::nudge(now, target));
            }
        }
    }

    /// The host's musical time from here on (set when the transport starts, jumps or changes
    /// tempo; the synth follows it sample by sample in between), or none (stopped, or a host
    /// without a tempo).
    pub fn set_musical_time(&mut self, time: Option<tempo::MusicalTime>) {
        self.time = time;
    }

    /// Renders samples `offset..offset + left.len()` of the current control block: the layers,
    /// then the master section. Returns whether every sample was finite.
    fn render(&mut self, offset: usize, left: &mut [f32], right: &mut [f32]) -> bool {
        let n = left.len();
        let ramp = |c: C| self.ramps[c as usize];

        // Soundscape bus: drone + noise, which the reverb and tone act on.
        let mut bus_l = [0.0f32; CONTROL_BLOCK];
        let mut bus_r = [0.0f32; CONTROL_BLOCK];
        let (bl, br) = (&mut bus_l[..n], &mut bus_r[..n]);
        let drone_gain = ramp(C::DroneGain);
        if !drone_gain.is_zero() {
            // The drone renders at unit gain; the layer level is applied here.
            let mut dl = [0.0f32; CONTROL_BLOCK];
            let mut dr = [0.0f32; CONTROL_BLOCK];
            self.drone.render(offset, &mut dl[..n], &mut dr[..n]);
            for i in 0..n {
                let g = drone_gain.at(offset + i);
                bl[i] += g * dl[i];
                br[i] += g * dr[i];
            }
        }
        self.noise.render(ramp(C::NoiseGain), offset, bl, br);
        // Always rendered (ringing voices keep decaying even at zero level); silent voices cost
        // nothing.
        self.chimes.render(ramp(C::ChimeGain).at(offset), bl, br);

        // Entrainment bus: kept out of the reverb and the tilt.
        let mut ent_l = [0.0f32; CONTROL_BLOCK];
        let mut ent_r = [0.0f32; CONTROL_BLOCK];
        let (el, er) = (&mut ent_l[..n], &mut ent_r[..n]);
        let beat = ramp(C::Beat).to;
        self.binaural.process(
            ramp(C::Carrier).to,
            beat,
            ramp(C::BinauralGain),
            offset,
            el,
            er,
        );
        self.isochronic.process(
            ramp(C::PulseTone).to,
            beat,
            ramp(C::IsoGain),
            offset,
            el,
            er,
        );

        // Master.
        let (lg, hg) = self.tilt_gains;
        let mix_ramp = ramp(C::ReverbMix);
        let out_ramp = ramp(C::OutputGain);
        let [tl, tr] = &mut self.tilt;
        let [dcl, dcr] = &mut self.dc;
        let mut finite = true;
        for i in 0..n {
            let mix = mix_ramp.at(offset + i);
            let out_gain = out_ramp.at(offset + i);
            let (wl, wr) = self.reverb.process(bl[i], br[i]);
            // The dry bus only dips by half at full wet, so "more reverb" never thins the sound.
            let dry = 1.0 - 0.5 * mix;
            let sl = tl.process(dry * bl[i] + mix * wl, lg, hg);
            let sr = tr.process(dry * br[i] + mix * wr, lg, hg);
            let xl = dcl.process((sl + el[i]) * out_gain);
            let xr = dcr.process((sr + er[i]) * out_gain);
            let (yl, yr) = self.limiter.process(xl, xr);
            finite &= yl.is_finite() && yr.is_finite();
            left[i] = yl;
            right[i] = yr;
        }
        finite
    }
}
