//! From beat-to-beat intervals (RR) to normal-to-normal intervals (NN): missed, extra and
//! ectopic beats corrected, each interval flagged.
//!
//! The rule is Kubios HRV's threshold-based correction (Tarvainen et al. 2014, "medium"
//! level), made causal and adapted to breathing:
//! - Each interval is compared with the previous accepted one (the step must stay within the
//!   threshold) and with a local reference, the median of the last [`REFERENCE_BEATS`]
//!   accepted intervals (within twice the threshold).
//! - The threshold is Kubios's medium level, 0.25 s at 60 bpm, scaled by the reference
//!   interval; it is raised to 5.2 quartile deviations of the recent successive differences
//!   when those are larger (the adaptive threshold of Lipponen & Tarvainen 2019). Deep slow
//!   breathing swings the interval by more than a fixed threshold allows, and that swing is the
//!   signal this product rewards.
//! - An interval close to a whole multiple (2, 3) of the reference is missed beats: it is split
//!   evenly. A short interval is held for one beat: with the next one it is an extra beat
//!   (their sum is one reference: merged) or an ectopic beat and its compensatory pause (their
//!   sum is two references: both replaced by their mean). A long interval that the next one
//!   confirms is a real change of rhythm and is kept.
//! - Anything else is replaced by the reference, flagged as corrected.
//! - Intervals outside 250–2500 ms (240–24 bpm) are never accepted as they are.
//!
//! The decision costs at most one beat of delay, only for suspicious intervals.

/// Accepted intervals in the local reference (median).
pub const REFERENCE_BEATS: usize = 9;
/// Successive differences in the adaptive threshold's quartile deviation (Lipponen &
/// Tarvainen 2019 use 91).
pub const SPREAD_BEATS: usize = 91;
/// Kubios's medium threshold at 60 bpm, ms.
pub const MEDIUM_THRESHOLD_MS: f32 = 250.0;
/// The physiological range of an interval, ms.
pub const RR_RANGE_MS: (f32, f32) = (250.0, 2500.0);

/// One corrected interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nn {
    /// Time of the beat that ends it, s (source clock).
    pub time: f64,
    /// Length, ms.
    pub ms: f32,
    /// Whether the interval was made by the correction (split, merged, replaced) rather than
    /// measured as it is.
    pub corrected: bool,
}

/// What [`RrCorrector::push`] made of an interval: up to three NN intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Corrected {
    /// The intervals, oldest first.
    items: [Option<Nn>; 4],
}

impl Corrected {
    fn add(&mut self, nn: Nn) {
        if let Some(slot) = self.items.iter_mut().find(|s| s.is_none()) {
            *slot = Some(nn);
        }
    }

    /// The intervals in order.
    pub fn iter(&self) -> impl Iterator<Item = Nn> + '_ {
        self.items.iter().flatten().copied()
    }
}

/// The streaming corrector (allocation-free).
#[derive(Clone, Debug)]
pub struct RrCorrector {
    /// The last accepted intervals (a ring), ms.
    recent: [f32; REFERENCE_BEATS],
    /// How many of `recent` are filled.
    recent_len: usize,
    /// Next write position in `recent`.
    recent_pos: usize,
    /// Recent absolute successive differences of accepted intervals (a ring), ms.
    diffs: [f32; SPREAD_BEATS],
    /// How many of `diffs` are filled.
    diffs_len: usize,
    /// Next write position in `diffs`.
    diffs_pos: usize,
    /// The previous accepted interval, ms.
    previous: Option<f32>,
    /// A suspicious interval waiting for the next one: (time, ms, long).
    pending: Option<(f64, f32, bool)>,
}

impl Default for RrCorrector {
    fn default() -> Self {
        Self {
            recent: [0.0; REFERENCE_BEATS],
            recent_len: 0,
            recent_pos: 0,
            diffs: [0.0; SPREAD_BEATS],
            diffs_len: 0,
            diffs_pos: 0,
            previous: None,
            pending: None,
        }
    }
}

impl RrCorrector {
    /// Forgets everything (a new recording, a gap in the signal).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The local reference interval (median of the recent accepted ones), ms.
    pub fn reference(&self) -> Option<f32> {
        if self.recent_len == 0 {
            return None;
        }
        let mut sorted = self.recent;
        let s = &mut sorted[..self.recent_len];
        s.sort_by(f32::total_cmp);
        Some(s[s.len() / 2])
    }

    /// The threshold for a reference interval `reference` ms.
    pub fn threshold(&self, reference: f32) -> f32 {
        let fixed = MEDIUM_THRESHOLD_MS * reference / 1000.0;
        if self.diffs_len < 20 {
            return fixed;
        }
        let mut sorted = self.diffs;
        let s = &mut sorted[..self.diffs_len];
        s.sort_by(f32::total_cmp);
        // For successive differences symmetric about zero, the quartile deviation of the
        // signed differences, (Q3 − Q1) / 2, is the median of their absolute values.
        let spread = s[s.len() / 2];
        fixed.max(5.2 * spread)
    }

    /// Accepts `ms` as measured (or made) and updates the reference.
    fn accept(&mut self, out: &mut Corrected, time: f64, ms: f32, corrected: bool) {
        if !corrected {
            if let Some(p) = self.previous {
                self.diffs[self.diffs_pos] = (ms - p).abs();
                self.diffs_pos = (self.diffs_pos + 1) % SPREAD_BEATS;
                self.diffs_len = (self.diffs_len + 1).min(SPREAD_BEATS);
            }
            self.recent[self.recent_pos] = ms;
            self.recent_pos = (self.recent_pos + 1) % REFERENCE_BEATS;
            self.recent_len = (self.recent_len + 1).min(REFERENCE_BEATS);
        }
        self.previous = Some(ms);
        out.add(Nn {
            time,
            ms,
            corrected,
        });
    }

    /// Takes the interval `ms` ending at the beat at `time` and returns what became of it
    /// (and of a held one before it).
    pub fn push(&mut self, time: f64, ms: f32) -> Corrected {
        let mut out = Corrected::default();
        let in_range = ms.is_finite() && ms >= RR_RANGE_MS.0 && ms <= RR_RANGE_MS.1;
        let Some(reference) = self.reference() else {
            // The first intervals seed the reference: only the range check applies, and two
            // agreeing intervals are needed before anything is trusted.
            if in_range {
                match self.pending.take() {
                    Some((pt, pm, _)) if (pm - ms).abs() <= MEDIUM_THRESHOLD_MS * ms / 1000.0 => {
                        self.accept(&mut out, pt, pm, false);
                        self.accept(&mut out, time, ms, false);
                    }
                    _ => self.pending = Some((time, ms, false)),
                }
            }
            return out;
        };
        let thr = self.threshold(reference);
        if let Some((pt, pm, long)) = self.pending.take() {
            let sum = pm + ms;
            if long {
                if (ms - pm).abs() <= thr && in_range {
                    // Confirmed: the rhythm really slowed.
                    self.accept(&mut out, pt, pm, false);
                    self.accept(&mut out, time, ms, false);
                    return out;
                }
                self.accept(&mut out, pt, reference, true);
            } else if (sum - reference).abs() <= thr {
                // An extra beat split one interval in two.
                self.accept(&mut out, time, sum, true);
                return out;
            } else if (sum - 2.0 * reference).abs() <= 2.0 * thr {
                // A premature beat and its compensatory pause.
                self.accept(&mut out, pt, sum / 2.0, true);
                self.accept(&mut out, time, sum / 2.0, true);
                return out;
            } else {
                self.accept(&mut out, pt, reference, true);
            }
        }
        self.classify(&mut out, time, ms, reference, thr, in_range);
        out
    }

    /// Judges one interval against the reference.
    fn classify(
        &mut self,
        out: &mut Corrected,
        time: f64,
        ms: f32,
        reference: f32,
        thr: f32,
        in_range: bool,
    ) {
        // The beat-to-beat step is the test (breathing moves the interval smoothly, an
        // artefact jumps); the reference only bounds drift away from the recent rhythm.
        let near_previous = self.previous.is_none_or(|p| (ms - p).abs() <= thr);
        if in_range && near_previous && (ms - reference).abs() <= 2.0 * thr {
            self.accept(out, time, ms, false);
            return;
        }
        if !ms.is_finite() {
            return;
        }
        let multiple = (ms / reference).round();
        if (2.0..=3.0).contains(&multiple) && (ms - multiple * reference).abs() <= thr {
            // Missed beats: the interval split evenly, each part ending at its own time.
            let parts = multiple as usize;
            let part = ms / multiple;
            for k in 1..=parts {
                let t = time - (parts - k) as f64 * part as f64 / 1000.0;
                self.accept(out, t, part, true);
            }
            return;
        }
        if ms < reference {
            self.pending = Some((time, ms, false));
        } else if in_range {
            self.pending = Some((time, ms, true));
        } else {
            self.accept(out, time, reference, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds intervals (ms) to a corrector; beats at their cumulative times.
    fn run(rr: &[f32]) -> Vec<Nn> {
        let mut c = RrCorrector::default();
        let mut t = 0.0;
        let mut out = Vec::new();
        for &ms in rr {
            t += ms as f64 / 1000.0;
            out.extend(c.push(t, ms).iter());
        }
        out
    }

    fn steady(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 800.0 + 10.0 * ((i % 3) as f32 - 1.0))
            .collect()
    }

    #[test]
    fn clean_intervals_pass_unchanged() {
        let rr = steady(40);
        let nn = run(&rr);
        assert_eq!(nn.len(), rr.len());
        assert!(nn.iter().zip(&rr).all(|(n, r)| n.ms == *r && !n.corrected));
    }

    #[test]
    fn a_missed_beat_is_split_and_an_extra_beat_merged() {
        let mut rr = steady(20);
        rr.push(1600.0); // missed beat
        rr.extend(steady(10));
        rr.extend([300.0, 500.0]); // extra beat
        rr.extend(steady(10));
        let nn = run(&rr);
        let corrected: Vec<&Nn> = nn.iter().filter(|n| n.corrected).collect();
        assert_eq!(corrected.len(), 3, "{corrected:?}");
        assert!((corrected[0].ms - 800.0).abs() < 1.0 && (corrected[1].ms - 800.0).abs() < 1.0);
        assert!((corrected[2].ms - 800.0).abs() < 1.0);
        // Time is kept: the NN intervals add up to the RR intervals.
        let total_rr: f32 = rr.iter().sum();
        let total_nn: f32 = nn.iter().map(|n| n.ms).sum();
        assert!(
            (total_rr - total_nn).abs() < 1.0,
            "{total_rr} vs {total_nn}"
        );
    }

    #[test]
    fn an_ectopic_beat_and_its_pause_are_replaced_by_their_mean() {
        let mut rr = steady(20);
        rr.extend([520.0, 1080.0]);
        rr.extend(steady(5));
        let nn = run(&rr);
        let c: Vec<&Nn> = nn.iter().filter(|n| n.corrected).collect();
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|n| (n.ms - 800.0).abs() < 1e-3));
    }

    #[test]
    fn deep_slow_breathing_is_not_mistaken_for_artefacts() {
        // RSA of ±250 ms at 6 breaths per minute around 1 s: the swing passes the fixed
        // threshold's reach from a lagging median, and must pass.
        let mut rr = Vec::new();
        let mut t = 0.0f64;
        while t < 300.0 {
            let ms = 1000.0 + 250.0 * (std::f64::consts::TAU * 0.1 * t).sin();
            t += ms / 1000.0;
            rr.push(ms as f32);
        }
        let nn = run(&rr);
        let corrected = nn.iter().filter(|n| n.corrected).count();
        assert_eq!(corrected, 0, "{corrected} of {} corrected", nn.len());
    }

    #[test]
    fn a_real_slowdown_is_kept_and_nonsense_replaced() {
        let mut rr = steady(20);
        rr.extend([1100.0; 10]);
        let nn = run(&rr);
        assert!(nn.iter().all(|n| !n.corrected), "{nn:?}");
        let mut rr = steady(20);
        rr.push(f32::NAN);
        rr.push(5000.0);
        rr.extend(steady(5));
        let nn = run(&rr);
        assert!(nn.iter().all(|n| n.ms.is_finite() && n.ms <= RR_RANGE_MS.1));
        assert_eq!(nn.iter().filter(|n| n.corrected).count(), 1);
    }
}
