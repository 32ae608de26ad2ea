//! Drone pad: a chord of band-limited voices with slow detune and amplitude drift.
//!
//! Free-running by default (the chord sounds without any MIDI, so a session needs no notes).
//! While MIDI notes are held they choose the chord: one held note becomes the root of the
//! chosen chord shape, two or more are voiced as played (lowest six). Pitch changes glide.

use crate::math::Portable;
use nice_plug::prelude::Enum;

use super::filter::SvfLowpass;
use super::osc::{increment, to_phase};
use super::smooth::{Drift, Ramp};
use super::wavetable::Wavetable;
use super::CONTROL_BLOCK;

/// Voice slots: enough for a rich chord, few enough for the CPU budget.
pub const MAX_VOICES: usize = 6;

/// The chord shapes the free-running drone can play, as semitone offsets from the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum Chord {
    /// Root, fifth, octave, twelfth: open and neutral.
    #[id = "fifths"]
    #[name = "Open fifths"]
    Fifths,
    /// Sus2 stacked: root, fifth, ninth, twelfth.
    #[id = "sus"]
    #[name = "Suspended"]
    Suspended,
    /// Minor ninth voicing: dark and soft.
    #[id = "min9"]
    #[name = "Minor 9"]
    Minor9,
    /// Major seventh voicing: warm and bright.
    #[id = "maj7"]
    #[name = "Major 7"]
    Major7,
    /// Lydian cluster: floating, unresolved.
    #[id = "lydian"]
    #[name = "Lydian"]
    Lydian,
}

impl Chord {
    /// Semitone offsets from the root.
    pub fn intervals(self) -> &'static [f32] {
        match self {
            Chord::Fifths => &[0.0, 7.0, 12.0, 19.0],
            Chord::Suspended => &[0.0, 7.0, 14.0, 19.0, 24.0],
            Chord::Minor9 => &[0.0, 7.0, 10.0, 15.0, 19.0, 26.0],
            Chord::Major7 => &[0.0, 7.0, 11.0, 16.0, 19.0, 23.0],
            Chord::Lydian => &[0.0, 7.0, 14.0, 18.0, 21.0, 28.0],
        }
    }
}

/// Controls the drone reads once per control block (already smoothed by the synth).
#[derive(Clone, Copy, Debug)]
pub struct DroneControl {
    /// Root note (MIDI number, fractional allowed) used while no MIDI note is held.
    pub root: f32,
    /// Chord shape used while fewer than two notes are held.
    pub chord: Chord,
    /// Detune and amplitude drift depth, 0..1.
    pub drift: f32,
    /// Weight of the upper chord voices (index >= 2), 0..1: the "density" of the pad.
    pub upper_weight: f32,
    /// Low-pass cutoff in Hz: the warmth of the pad.
    pub cutoff_hz: f32,
}

/// One voice: two detuned oscillators panned apart.
#[derive(Clone, Copy, Debug)]
struct Voice {
    /// Current pitch (MIDI number), gliding toward `target_pitch`.
    pitch: f32,
    /// Pitch this voice is heading to.
    target_pitch: f32,
    /// Whether the current chord uses this voice.
    active: bool,
    /// Gain over the current control block.
    gain: Ramp,
    /// Phase increments of the two oscillators in this control block.
    incs: [u32; 2],
    /// Wavetable mip level of each oscillator in this control block.
    mips: [usize; 2],
    /// Oscillator phases (left-leaning, right-leaning), 2^32 = one turn.
    phases: [u32; 2],
    /// Slow detune motion.
    detune_drift: Drift,
    /// Slow amplitude motion.
    amp_drift: Drift,
}

/// The drone pad layer.
pub struct Drone {
    /// Shared band-limited waveform.
    table: &'static Wavetable,
    /// Voice slots.
    voices: [Voice; MAX_VOICES],
    /// Held MIDI notes as a bit set (bit n = key n).
    held: u128,
    /// Per-channel warmth filters.
    filters: [SvfLowpass; 2],
    /// Sample rate in Hz.
    sample_rate: f32,
    /// Seed for the drift sources, so `reset` reproduces the same motion.
    seed: u64,
}

/// Seconds for a pitch glide to cover 63 % of its distance.
const GLIDE_TAU: f32 = 0.35;
/// Seconds for a voice to fade in or out by 63 %: a pad's slow attack and release.
const FADE_TAU: f32 = 1.2;
/// Mean seconds between drift points.
const DRIFT_PERIOD: f32 = 4.0;

impl Drone {
    /// A drone at `sample_rate` (builds the shared wavetable on first use: call off the audio thread).
    pub fn new(sample_rate: f32, seed: u64) -> Self {
        let voice = Voice {
            pitch: 60.0,
            target_pitch: 60.0,
            active: false,
            gain: Ramp::flat(0.0),
            incs: [0; 2],
            mips: [0; 2],
            phases: [0; 2],
            detune_drift: Drift::new(0, DRIFT_PERIOD, sample_rate),
            amp_drift: Drift::new(0, DRIFT_PERIOD, sample_rate),
        };
        let mut d = Self {
            table: Wavetable::pad(),
            voices: [voice; MAX_VOICES],
            held: 0,
            filters: [SvfLowpass::default(); 2],
            sample_rate,
            seed,
        };
        d.reset();
        d
    }

    /// Changes the sample rate and resets.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        self.reset();
    }

    /// Sets the seed the next [`Self::reset`] restarts from (a relock at a song position).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Back to the initial state: silent voices, no held notes, drift restarted from the seed.
    pub fn reset(&mut self) {
        let sr = self.sample_rate;
        for (i, v) in self.voices.iter_mut().enumerate() {
            let s = self.seed.wrapping_mul(31).wrapping_add(i as u64 * 2);
            v.detune_drift.reset(s, DRIFT_PERIOD, sr);
            v.amp_drift.reset(s + 1, DRIFT_PERIOD * 1.7, sr);
            v.active = false;
            v.gain = Ramp::flat(0.0);
            // Spread start phases so the chord does not begin with an aligned transient.
            v.phases = [to_phase(i as f64 * 0.37), to_phase(i as f64 * 0.61)];
        }
        for f in &mut self.filters {
            f.reset();
        }
        self.held = 0;
    }

    /// A MIDI note starts being held.
    pub fn note_on(&mut self, key: u8) {
        self.held |= 1u128 << (key & 127);
    }

    /// A MIDI note is released.
    pub fn note_off(&mut self, key: u8) {
        self.held &= !(1u128 << (key & 127));
    }

    /// Releases every held note (back to the free-running chord).
    pub fn all_notes_off(&mut self) {
        self.held = 0;
    }

    /// The notes the drone is playing (MIDI numbers, glide targets) into `out`; returns how
    /// many. Other layers use them to stay in key.
    pub fn notes(&self, out: &mut [f32; MAX_VOICES]) -> usize {
        let mut n = 0;
        for v in self.voices.iter().filter(|v| v.active) {
            out[n] = v.target_pitch;
            n += 1;
        }
        n
    }

    /// Assigns the chord for this block to the voice slots.
    fn assign_chord(&mut self, ctl: &DroneControl) {
        let mut pitches = [0.0f32; MAX_VOICES];
        let count = match self.held.count_ones() {
            0 => fill_chord(&mut pitches, ctl.root, ctl.chord),
            1 => fill_chord(&mut pitches, self.held.trailing_zeros() as f32, ctl.chord),
            _ => {
                let mut n = 0;
                let mut bits = self.held;
                while bits != 0 && n < MAX_VOICES {
                    pitches[n] = bits.trailing_zeros() as f32;
                    bits &= bits - 1;
                    n += 1;
                }
                n
            }
        };
        for (i, v) in self.voices.iter_mut().enumerate() {
            let was_silent = v.gain.to < 1e-4 && !v.active;
            v.active = i < count;
            if v.active {
                v.target_pitch = pitches[i];
                if was_silent {
                    // A voice entering from silence starts on its note instead of gliding in.
                    v.pitch = pitches[i];
                }
            }
        }
    }

    /// Starts a control block: assigns the chord, moves glides and drift on by
    /// [`CONTROL_BLOCK`] samples, and fixes each voice's gain course and oscillator rates.
    pub fn control(&mut self, ctl: &DroneControl) {
        self.assign_chord(ctl);
        let n = CONTROL_BLOCK;
        let sr = self.sample_rate;
        let glide = 1.0 - (-(n as f32) / (GLIDE_TAU * sr)).libm_exp();
        let fade = 1.0 - (-(n as f32) / (FADE_TAU * sr)).libm_exp();
        let active = self.voices.iter().filter(|v| v.active).count().max(1) as f32;
        // Equal loudness for any voice count: uncorrelated voices add in power.
        let norm = 1.0 / active.sqrt();
        for f in &mut self.filters {
            f.set(ctl.cutoff_hz, 0.6, sr);
        }
        for (i, v) in self.voices.iter_mut().enumerate() {
            let detune = v.detune_drift.advance(n);
            let wobble = v.amp_drift.advance(n);
            v.pitch += (v.target_pitch - v.pitch) * glide;
            let weight = if i >= 2 { ctl.upper_weight } else { 1.0 };
            let target = if v.active {
                norm * weight * (1.0 + 0.35 * ctl.drift * wobble)
            } else {
                0.0
            };
            let g0 = v.gain.to;
            let g1 = if g0 < 1e-6 && target == 0.0 {
                0.0
            } else {
                g0 + (target - g0) * fade
            };
            v.gain = Ramp::new(g0, g1);
            // Detune in cents: a fixed spread plus slow motion, both scaled by drift.
            let cents = (2.0 + 6.0 * ctl.drift) + 5.0 * ctl.drift * detune;
            let base = 440.0 * ((v.pitch - 69.0) / 12.0).libm_exp2() as f64;
            let ratio = (cents as f64 / 1200.0).libm_exp2();
            let freqs = [base / ratio, base * ratio];
            let sr = sr as f64;
            v.incs = [increment(freqs[0], sr), increment(freqs[1], sr)];
            v.mips = [
                Wavetable::mip_for(freqs[0] / sr),
                Wavetable::mip_for(freqs[1] / sr),
            ];
        }
    }

    /// Adds samples `offset..offset + left.len()` of the current control block into the buffers.
    pub fn render(&mut self, offset: usize, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let mut buf_l = [0.0f32; CONTROL_BLOCK];
        let mut buf_r = [0.0f32; CONTROL_BLOCK];
        for v in self.voices.iter_mut().filter(|v| !v.gain.is_zero()) {
            for (i, (l, r)) in buf_l[..n].iter_mut().zip(&mut buf_r[..n]).enumerate() {
                let g = v.gain.at(offset + i);
                let a = self.table.read(v.mips[0], v.phases[0]);
                let b = self.table.read(v.mips[1], v.phases[1]);
                v.phases[0] = v.phases[0].wrapping_add(v.incs[0]);
                v.phases[1] = v.phases[1].wrapping_add(v.incs[1]);
                // Each oscillator leans to one side: width from detune, centre from the sum.
                *l += g * (0.8 * a + 0.3 * b);
                *r += g * (0.3 * a + 0.8 * b);
            }
        }
        let [fl, fr] = &mut self.filters;
        for i in 0..n {
            left[i] += fl.process(buf_l[i]);
            right[i] += fr.process(buf_r[i]);
        }
    }
}

/// Writes root + chord intervals into `out`; returns how many voices are used.
fn fill_chord(out: &mut [f32; MAX_VOICES], root: f32, chord: Chord) -> usize {
    let iv = chord.intervals();
    for (o, i) in out.iter_mut().zip(iv) {
        *o = root + i;
    }
    iv.len().min(MAX_VOICES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::CONTROL_BLOCK;

    fn render(d: &mut Drone, ctl: &DroneControl, seconds: f32) -> (Vec<f32>, Vec<f32>) {
        let n = (seconds * d.sample_rate) as usize / CONTROL_BLOCK * CONTROL_BLOCK;
        let mut l = vec![0.0; n];
        let mut r = vec![0.0; n];
        for (cl, cr) in l.chunks_mut(CONTROL_BLOCK).zip(r.chunks_mut(CONTROL_BLOCK)) {
            d.control(ctl);
            d.render(0, cl, cr);
        }
        (l, r)
    }

    fn ctl() -> DroneControl {
        DroneControl {
            root: 45.0,
            chord: Chord::Fifths,
            drift: 0.5,
            upper_weight: 1.0,
            cutoff_hz: 20_000.0,
        }
    }

    /// Frequency of the lowest spectral peak within 20 dB of the strongest one: the chord's
    /// bottom note (independent of the synth: a plain FFT of the output).
    fn lowest_strong_peak(x: &[f32], sr: f32) -> f32 {
        use realfft::RealFftPlanner;
        let n = x.len().next_power_of_two() / 2;
        let mut buf: Vec<f32> = x[x.len() - n..].to_vec();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let mut out = fft.make_output_vec();
        fft.process(&mut buf, &mut out).unwrap();
        let mag: Vec<f32> = out.iter().map(|c| c.norm()).collect();
        let max = mag.iter().cloned().fold(0.0, f32::max);
        let first = (20.0 * n as f32 / sr) as usize;
        let b = (first..mag.len() - 1)
            .find(|&b| mag[b] > 0.1 * max && mag[b] >= mag[b - 1] && mag[b] >= mag[b + 1])
            .unwrap();
        b as f32 * sr / n as f32
    }

    #[test]
    fn free_running_chord_sounds_without_midi() {
        let mut d = Drone::new(48_000.0, 1);
        let (l, r) = render(&mut d, &ctl(), 3.0);
        let rms = (l.iter().map(|x| x * x).sum::<f32>() / l.len() as f32).sqrt();
        assert!(rms > 0.05, "drone is silent: {rms}");
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        // Root 45 = A2 = 110 Hz is the chord's bottom note.
        let f = lowest_strong_peak(&l, 48_000.0);
        assert!((f - 110.0).abs() < 3.0, "lowest strong component at {f} Hz");
    }

    #[test]
    fn held_note_moves_the_root() {
        let mut d = Drone::new(48_000.0, 1);
        render(&mut d, &ctl(), 1.0);
        d.note_on(50); // D3, 146.8 Hz
        let (l, _) = render(&mut d, &ctl(), 4.0);
        let f = lowest_strong_peak(&l, 48_000.0);
        assert!((f - 146.8).abs() < 3.0, "lowest strong component at {f} Hz");
        d.note_off(50);
        let (l, _) = render(&mut d, &ctl(), 4.0);
        let f = lowest_strong_peak(&l, 48_000.0);
        assert!(
            (f - 110.0).abs() < 3.0,
            "back to the free-running root: {f} Hz"
        );
    }

    #[test]
    fn reset_reproduces_the_same_output() {
        let mut d = Drone::new(44_100.0, 9);
        let (a, _) = render(&mut d, &ctl(), 1.0);
        d.reset();
        let (b, _) = render(&mut d, &ctl(), 1.0);
        assert_eq!(a, b);
    }
}
