//! Coloured noise (pink and brown) with a slow "surf" swell and its own low-pass, and the
//! breath pacer built from the same swell: while it plays, the swell follows a breath
//! (rising over the inhale, falling over the exhale, [`breath_envelope`]) at an exact rate
//! instead of the drifting surf, and the low-pass opens on the inhale, up to
//! [`PACER_OCTAVES`] at its top, so the breath is heard as a rise in brightness too. The two
//! swells crossfade, so turning the pacer on or off never clicks.

use super::filter::{OnePole, SvfLowpass};
use super::osc::{cos_turns, fract};
use super::rng::Rng;
use super::smooth::{Drift, Ramp};
use super::CONTROL_BLOCK;
use crate::math::Portable;

/// Pink-noise sections: one pole every `RATIO` (two octaves) from `LOWEST_POLE` Hz up.
const SECTIONS: usize = 7;
/// Lowest pole frequency in Hz.
const LOWEST_POLE: f64 = 2.0;
/// Spacing between successive poles; each zero sits halfway (in log frequency) between poles.
const RATIO: f64 = 4.0;

/// Pink noise filter: white noise through interleaved pole/zero pairs.
///
/// Each pole/zero pair is a shelf that drops `sqrt(RATIO)` in gain over `RATIO` in frequency,
/// i.e. exactly -10 dB/decade = -3.01 dB/octave on average, independent of the sample rate
/// (poles are placed in hertz and mapped with the matched-z transform).
///
/// The cascade is run in parallel form (partial fractions: a direct term plus one one-pole
/// per pole), so the per-sample work is independent multiply-adds instead of a serial chain.
#[derive(Clone, Copy, Debug, Default)]
pub struct PinkFilter {
    /// Pole coefficients in z.
    poles: [f32; SECTIONS],
    /// Residue of each pole (input weight of its one-pole).
    residues: [f32; SECTIONS],
    /// Direct (feed-through) term.
    direct: f32,
    /// One-pole states.
    state: [f32; SECTIONS],
}

impl PinkFilter {
    /// A pink filter for `sample_rate`, normalised to 0 dB at 1 kHz.
    pub fn new(sample_rate: f32) -> Self {
        let sr = sample_rate as f64;
        let mut poles = [0.0f64; SECTIONS];
        let mut zeros = [0.0f64; SECTIONS];
        for k in 0..SECTIONS {
            let p = LOWEST_POLE * RATIO.powi(k as i32);
            poles[k] = (-std::f64::consts::TAU * p / sr).libm_exp();
            zeros[k] = (-std::f64::consts::TAU * p * RATIO.sqrt() / sr).libm_exp();
        }
        // Cascade H(z) = g · Π (1 - z_k/z) / (1 - p_k/z), with g making it 0 dB at 1 kHz.
        let w = std::f64::consts::TAU * 1000.0 / sr;
        let (c, s) = (w.libm_cos(), w.libm_sin());
        let g = 1.0
            / poles
                .iter()
                .zip(&zeros)
                .map(|(p, z)| (1.0 - z * c).libm_hypot(z * s) / (1.0 - p * c).libm_hypot(p * s))
                .product::<f64>();
        // Partial fractions: H(z) = D + Σ r_k / (1 - p_k/z).
        let direct = g * zeros.iter().product::<f64>() / poles.iter().product::<f64>();
        let mut f = Self {
            direct: direct as f32,
            ..Self::default()
        };
        for k in 0..SECTIONS {
            let pk = poles[k];
            let mut r = g;
            for j in 0..SECTIONS {
                r *= 1.0 - zeros[j] / pk;
                if j != k {
                    r /= 1.0 - poles[j] / pk;
                }
            }
            f.poles[k] = pk as f32;
            f.residues[k] = r as f32;
        }
        f
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.state = [0.0; SECTIONS];
    }

    /// Filters one white sample.
    #[inline]
    pub fn process(&mut self, white: f32) -> f32 {
        let mut y = self.direct * white;
        for k in 0..SECTIONS {
            self.state[k] = self.poles[k] * self.state[k] + self.residues[k] * white;
            y += self.state[k];
        }
        y
    }
}

/// Corner of the brown-noise integrator in Hz: below it the spectrum flattens, so the layer does
/// not spend headroom on inaudible rumble (the master DC blocker takes the rest).
const BROWN_CORNER: f32 = 10.0;

/// Brown noise filter: a leaky integrator, -6.02 dB/octave above `BROWN_CORNER`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrownFilter {
    /// The integrator.
    lp: OnePole,
    /// Gain that makes the response 0 dB at 1 kHz, like the pink filter.
    gain: f32,
}

impl BrownFilter {
    /// A brown filter for `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        let lp = OnePole::new(BROWN_CORNER, sample_rate);
        let a =
            1.0 - (-std::f64::consts::TAU * BROWN_CORNER as f64 / sample_rate as f64).libm_exp();
        let w = std::f64::consts::TAU * 1000.0 / sample_rate as f64;
        // |a / (1 - (1-a) e^{-jw})| at 1 kHz.
        let b = 1.0 - a;
        let mag = a / (1.0 - b * w.libm_cos()).libm_hypot(b * w.libm_sin());
        Self {
            lp,
            gain: (1.0 / mag) as f32,
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.lp.reset();
    }

    /// Filters one white sample.
    #[inline]
    pub fn process(&mut self, white: f32) -> f32 {
        self.lp.process(white) * self.gain
    }
}

/// The swell at the end of an exhale, of the inhale's top: the cue never falls silent.
pub const PACER_FLOOR: f32 = 0.15;
/// How far the low-pass opens at the top of the inhale, octaves.
pub const PACER_OCTAVES: f32 = 1.0;

/// The breath pacer's envelope at phase `p` (turns from the start of an inhale) with an
/// inhale share `inhale`: a raised-cosine rise from 0 to 1 over the inhale, then a
/// raised-cosine fall over the exhale. Continuous with a continuous slope at both turns,
/// so the swell never steps.
pub fn breath_envelope(p: f64, inhale: f32) -> f32 {
    let p = fract(p) as f32;
    let inhale = inhale.clamp(0.05, 0.95);
    if p < inhale {
        0.5 - 0.5 * (std::f32::consts::PI * p / inhale).libm_cos()
    } else {
        0.5 + 0.5 * (std::f32::consts::PI * (p - inhale) / (1.0 - inhale)).libm_cos()
    }
}

/// Controls for one block of the noise layer.
#[derive(Clone, Copy, Debug)]
pub struct NoiseControl {
    /// 0 = pink, 1 = brown; in between crossfades.
    pub colour: f32,
    /// Low-pass cutoff in Hz.
    pub cutoff_hz: f32,
    /// Seconds per surf swell.
    pub surf_period: f32,
    /// Swell depth 0..1: 0 is steady noise, 1 swells from silence to full.
    pub swell_depth: f32,
    /// 0 = the surf swell, 1 = the breath pacer's; in between crossfades.
    pub pacer_mix: f32,
    /// Pacer breaths per minute.
    pub pacer_rate: f32,
    /// Pacer inhale share of each breath.
    pub pacer_inhale: f32,
}

/// The noise layer: two decorrelated channels, coloured, low-passed, and swelling like surf.
pub struct Noise {
    /// White sources per channel.
    rng: [Rng; 2],
    /// Pink filters per channel.
    pink: [PinkFilter; 2],
    /// Brown filters per channel.
    brown: [BrownFilter; 2],
    /// Low-pass per channel.
    lowpass: [SvfLowpass; 2],
    /// Surf phase in turns (control rate, so plain floating point is fine).
    surf: f64,
    /// Slow variation of the surf rate so waves are not metronomic.
    surf_drift: Drift,
    /// Breath pacer phase in turns from the start of an inhale (exact rate: no drift).
    breath: f64,
    /// The pacer's envelope at the end of the current control block, 0..1.
    breath_level: f32,
    /// Sample rate in Hz.
    sample_rate: f32,
    /// Seed, for a reproducible `reset`.
    seed: u64,
    /// Surf swell gain over the current control block.
    swell: Ramp,
    /// Pink/brown crossfade in this control block.
    mix: f32,
}

impl Noise {
    /// A noise layer at `sample_rate`.
    pub fn new(sample_rate: f32, seed: u64) -> Self {
        let mut n = Self {
            rng: [Rng::new(seed), Rng::new(seed ^ 0xABCD)],
            pink: [PinkFilter::new(sample_rate); 2],
            brown: [BrownFilter::new(sample_rate); 2],
            lowpass: [SvfLowpass::default(); 2],
            surf: 0.0,
            surf_drift: Drift::new(seed, 10.0, sample_rate),
            breath: 0.0,
            breath_level: 0.0,
            sample_rate,
            seed,
            swell: Ramp::flat(0.0),
            mix: 0.0,
        };
        n.reset();
        n
    }

    /// Changes the sample rate and resets.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        self.pink = [PinkFilter::new(sample_rate); 2];
        self.brown = [BrownFilter::new(sample_rate); 2];
        self.reset();
    }

    /// Sets the seed the next [`Self::reset`] restarts from (a relock at a song position).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Restarts every source from the seed.
    pub fn reset(&mut self) {
        self.rng = [Rng::new(self.seed), Rng::new(self.seed ^ 0xABCD)];
        for f in &mut self.pink {
            f.reset();
        }
        for f in &mut self.brown {
            f.reset();
        }
        for f in &mut self.lowpass {
            f.reset();
        }
        // Start in a trough, so the layer fades in like an incoming wave.
        self.surf = 0.0;
        self.surf_drift.reset(self.seed, 10.0, self.sample_rate);
        // The pacer starts at the bottom of an exhale: the first inhale begins at once.
        self.breath = 0.0;
        self.breath_level = 0.0;
    }

    /// The breath pacer's phase (turns from the start of an inhale) and envelope (0..1), for
    /// a display that breathes with the sound.
    pub fn breath(&self) -> (f64, f32) {
        (self.breath, self.breath_level)
    }

    /// Starts a control block: filter settings and the surf swell's course over it.
    pub fn control(&mut self, ctl: &NoiseControl) {
        let sr = self.sample_rate;
        let n = CONTROL_BLOCK;
        let rate = (1.0 + 0.2 * self.surf_drift.advance(n)) / ctl.surf_period.max(0.5);
        let p0 = self.surf;
        self.surf = fract(p0 + rate as f64 * n as f64 / sr as f64);
        let p1 = self.surf;
        let b0 = self.breath;
        self.breath = fract(b0 + ctl.pacer_rate as f64 / 60.0 * n as f64 / sr as f64);
        let mix = ctl.pacer_mix.clamp(0.0, 1.0);
        let swell = |p: f64, b: f64| {
            // Squared raised cosine: long troughs, rounded crests, like waves on a shore.
            let w = 0.5 - 0.5 * cos_turns(p);
            let surf = 1.0 - ctl.swell_depth * (1.0 - w * w);
            let breath = PACER_FLOOR + (1.0 - PACER_FLOOR) * breath_envelope(b, ctl.pacer_inhale);
            surf + (breath - surf) * mix
        };
        self.swell = Ramp::new(swell(p0, b0), swell(p1, self.breath));
        self.breath_level = breath_envelope(self.breath, ctl.pacer_inhale);
        // The inhale brightens: the low-pass opens with the breath.
        let cutoff = ctl.cutoff_hz * (PACER_OCTAVES * mix * self.breath_level).libm_exp2();
        for f in &mut self.lowpass {
            f.set(cutoff, 0.707, sr);
        }
        self.mix = ctl.colour.clamp(0.0, 1.0);
    }

    /// Adds samples `offset..` of the current control block; `gain` is the layer level's course.
    pub fn render(&mut self, gain: Ramp, offset: usize, left: &mut [f32], right: &mut [f32]) {
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            let g = gain.at(offset + i) * self.swell.at(offset + i);
            for (ch, out) in [l, r].into_iter().enumerate() {
                let w = self.rng[ch].bipolar();
                let pink = self.pink[ch].process(w);
                let brown = self.brown[ch].process(w);
                let c = pink + (brown - pink) * self.mix;
                *out += g * self.lowpass[ch].process(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::RealFftPlanner;

    /// Welch PSD (Hann, 50 % overlap) of `f` applied to uniform white noise; returns
    /// (frequency, power) pairs. Independent of the filters under test.
    fn psd(mut f: impl FnMut(f32) -> f32, sr: f32) -> Vec<(f32, f32)> {
        let seg = 8192;
        let segments = 200;
        let mut rng = Rng::new(42);
        let x: Vec<f32> = (0..seg * (segments + 1) / 2 + seg)
            .map(|_| f(rng.bipolar()))
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(seg);
        let mut acc = vec![0.0f64; seg / 2 + 1];
        let mut out = fft.make_output_vec();
        let win: Vec<f32> = (0..seg)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / seg as f32).cos())
            .collect();
        let mut start = seg; // skip the filters' start-up transient
        while start + seg <= x.len() {
            let mut buf: Vec<f32> = (0..seg).map(|i| x[start + i] * win[i]).collect();
            fft.process(&mut buf, &mut out).unwrap();
            for (a, c) in acc.iter_mut().zip(&out) {
                *a += c.norm_sqr() as f64;
            }
            start += seg / 2;
        }
        acc.iter()
            .enumerate()
            .map(|(b, p)| (b as f32 * sr / seg as f32, *p as f32))
            .collect()
    }

    /// Least-squares slope of dB power against octaves over 50 Hz – 5 kHz, with points spaced
    /// evenly in log frequency (one per 1/12 octave) so high bins do not dominate.
    fn slope_db_per_octave(spec: &[(f32, f32)]) -> f32 {
        let bin = spec[1].0;
        let mut pts = Vec::new();
        let mut f = 50.0f32;
        while f <= 5000.0 {
            let lo = (f * 2f32.powf(-1.0 / 24.0) / bin).round() as usize;
            let hi = (f * 2f32.powf(1.0 / 24.0) / bin).round() as usize;
            let p: f32 = spec[lo..=hi].iter().map(|s| s.1).sum::<f32>() / (hi - lo + 1) as f32;
            pts.push((f.log2(), 10.0 * p.log10()));
            f *= 2f32.powf(1.0 / 12.0);
        }
        let n = pts.len() as f32;
        let mx = pts.iter().map(|p| p.0).sum::<f32>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f32>() / n;
        let sxy: f32 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f32 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
        sxy / sxx
    }

    #[test]
    fn parallel_form_equals_the_cascade() {
        let sr = 48_000.0;
        let mut f = PinkFilter::new(sr);
        // The same poles and zeros as a direct cascade in f64, normalised the same way.
        let poles: Vec<f64> = (0..SECTIONS)
            .map(|k| (-std::f64::consts::TAU * LOWEST_POLE * RATIO.powi(k as i32) / 48_000.0).exp())
            .collect();
        let zeros: Vec<f64> = (0..SECTIONS)
            .map(|k| {
                (-std::f64::consts::TAU * LOWEST_POLE * RATIO.powi(k as i32) * RATIO.sqrt()
                    / 48_000.0)
                    .exp()
            })
            .collect();
        let mut x1 = [0.0f64; SECTIONS];
        let mut y1 = [0.0f64; SECTIONS];
        let mut cascade = Vec::new();
        for i in 0..4096 {
            let mut x = if i == 0 { 1.0 } else { 0.0 };
            for k in 0..SECTIONS {
                let y = x - zeros[k] * x1[k] + poles[k] * y1[k];
                x1[k] = x;
                y1[k] = y;
                x = y;
            }
            cascade.push(x);
        }
        let parallel: Vec<f64> = (0..4096)
            .map(|i| f.process(if i == 0 { 1.0 } else { 0.0 }) as f64)
            .collect();
        // Same shape up to the normalising gain.
        let scale = parallel[0] / cascade[0];
        for (i, (p, c)) in parallel.iter().zip(&cascade).enumerate() {
            assert!(
                (p - c * scale).abs() < 1e-5 * scale.abs().max(1.0),
                "sample {i}: {p} vs {}",
                c * scale
            );
        }
    }

    #[test]
    fn pink_slope_is_minus_3_db_per_octave() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            let mut f = PinkFilter::new(sr);
            let s = slope_db_per_octave(&psd(|x| f.process(x), sr));
            assert!((s + 3.01).abs() < 0.5, "pink slope at {sr}: {s}");
        }
    }

    #[test]
    fn brown_slope_is_minus_6_db_per_octave() {
        for sr in [44_100.0, 48_000.0, 96_000.0] {
            let mut f = BrownFilter::new(sr);
            let s = slope_db_per_octave(&psd(|x| f.process(x), sr));
            assert!((s + 6.02).abs() < 0.5, "brown slope at {sr}: {s}");
        }
    }

    #[test]
    fn surf_swells_at_the_set_period() {
        let sr = 8_000.0;
        let mut n = Noise::new(sr, 5);
        let ctl = NoiseControl {
            colour: 0.0,
            cutoff_hz: 3000.0,
            surf_period: 4.0,
            swell_depth: 1.0,
            pacer_mix: 0.0,
            pacer_rate: 6.0,
            pacer_inhale: 0.4,
        };
        // RMS per 0.25 s over 40 s: the envelope must rise and fall about 10 times.
        let block = CONTROL_BLOCK;
        let hop = (0.25 * sr) as usize;
        let mut env = Vec::new();
        let (mut l, mut r) = (vec![0.0; hop], vec![0.0; hop]);
        for _ in 0..160 {
            l.iter_mut().for_each(|x| *x = 0.0);
            r.iter_mut().for_each(|x| *x = 0.0);
            for (cl, cr) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                n.control(&ctl);
                n.render(Ramp::flat(1.0), 0, cl, cr);
            }
            env.push((l.iter().map(|x| x * x).sum::<f32>() / hop as f32).sqrt());
        }
        let max = env.iter().cloned().fold(0.0, f32::max);
        let min = env.iter().cloned().fold(f32::MAX, f32::min);
        assert!(min < 0.1 * max, "swell too shallow: {min} vs {max}");
        // Count upward crossings of the mid level.
        let mid = 0.5 * (max + min);
        let ups = env.windows(2).filter(|w| w[0] < mid && w[1] >= mid).count();
        // Period 4 s ± 20 % drift over 40 s: 8 to 13 waves.
        assert!((8..=13).contains(&ups), "{ups} swells in 40 s");
    }
}
