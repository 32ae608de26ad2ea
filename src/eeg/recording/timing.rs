//! A recording's timeline from its timestamps: where the data stops and starts again, and
//! the sample rate the timestamps show.
//!
//! Method (as pyxdf's jitter removal, without its regression): the timestamps break into
//! segments wherever more than [`GAP_S`] of data is missing or the clock goes back by more
//! than that. In regularly stamped files (see [`timeline`]) shorter faults show too: a loss
//! of [`SHORT_GAP_S`] or more, or any step back (repeated rows), starts a segment, and shorter
//! dropouts are left out of the span. Each segment's rate is (n − 1) / (t_last − t_first) — the span, so timestamps
//! rounded to milliseconds still give the exact rate — and the recording's effective rate is
//! the sample-weighted mean over segments.

use super::{Segment, RATE_TOLERANCE};

/// Missing data, or a clock step back, longer than this (seconds) starts a new segment: the
/// feature extractor's own rule, so a segment start is where its window starts afresh.
pub const GAP_S: f64 = crate::features::extractor::DISCONTINUITY_S;

/// In a regularly stamped file, data missing for this long (s) starts a segment too: long
/// enough to matter to a 1 s window, short of [`GAP_S`].
pub const SHORT_GAP_S: f64 = 0.1;

/// In a regularly stamped file, a step longer than this many typical steps is a dropout.
const DROPOUT_STEPS: f64 = 2.5;

/// Whether at least 95 % of the steps between `times` lie within 25 % (or 1.5 ms, for
/// stamps rounded to milliseconds) of the `typical` step.
fn is_regular(times: &[f64], typical: f64) -> bool {
    let tol = (0.25 * typical).max(0.0015);
    let steps = times.len().saturating_sub(1);
    let near = times
        .windows(2)
        .filter(|w| (w[1] - w[0] - typical).abs() <= tol)
        .count();
    steps > 0 && near as f64 >= 0.95 * steps as f64
}

/// Seconds as said in warnings: two decimals below 10 s, one above.
pub(super) fn secs(s: f64) -> String {
    if s.abs() < 10.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.1}")
    }
}

/// Rate, segments and what was noticed.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The rate to analyse at, Hz.
    pub rate: f64,
    /// Continuous segments.
    pub segments: Vec<Segment>,
    /// Gaps, clock steps and rate contradictions, one sentence each.
    pub warnings: Vec<String>,
}

/// The timeline of frames stamped `times` (seconds), with the rate the file declares, if any,
/// and frames where data is known to be lost (`breaks`: a reader's resynchronisation), which
/// start segments whatever the step. A file is *regularly stamped* when 95 % of its steps lie
/// within 25 % (or 1.5 ms) of the typical step. Errors: timestamps that never advance.
pub fn timeline(
    times: &[f64],
    declared: Option<f64>,
    breaks: &[usize],
) -> Result<Timeline, String> {
    let declared = declared.filter(|r| r.is_finite() && *r > 0.0);
    let mut steps: Vec<f64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    if steps.is_empty() {
        return Err(
            "the timestamps never advance, so the sample rate is unknown; give the rate.".into(),
        );
    }
    steps.sort_by(f64::total_cmp);
    let typical = steps[steps.len() / 2];
    let period = declared.map_or(typical, |r| 1.0 / r);
    // Regularly stamped files (one stamp per sample at the rate, maybe rounded) show even
    // short losses and repeats; bursty ones (chunks stamped at once) only long ones.
    let regular = is_regular(times, typical);
    let mut segments = vec![Segment {
        start: 0,
        time: times[0],
    }];
    let mut warnings = Vec::new();
    let mut missing = Vec::new();
    // Losses too short to restart the analysis for, in regular files: left out of the rate.
    let mut dropouts = Vec::new();
    for i in 1..times.len() {
        let d = times[i] - times[i - 1];
        let back = if regular { 0.5 * typical } else { GAP_S };
        if d > GAP_S + period || (regular && d - typical >= SHORT_GAP_S) {
            missing.push((d - period.min(typical), times[i - 1] + period.min(typical)));
        } else if regular && d > DROPOUT_STEPS * typical {
            dropouts.push(d - typical);
            continue;
        } else if d < -back {
            warnings.push(format!(
                "the clock jumps back by {} s at sample {i} ({:.3} s to {:.3} s; repeated \
                 rows look like this); the data is kept in recording order",
                secs(-d),
                times[i - 1],
                times[i]
            ));
        } else if d.is_finite() && !(d > 1.5 * period && breaks.contains(&i)) {
            continue;
        }
        segments.push(Segment {
            start: i,
            time: times[i],
        });
    }
    if !dropouts.is_empty() {
        let total: f64 = dropouts.iter().sum();
        let longest = dropouts.iter().copied().fold(0.0, f64::max);
        warnings.push(format!(
            "{} short dropout{} ({} s in all, the longest {} s); the rate is measured without \
             them",
            dropouts.len(),
            if dropouts.len() == 1 { "" } else { "s" },
            secs(total),
            secs(longest)
        ));
    }
    if !missing.is_empty() {
        let total: f64 = missing.iter().map(|m| m.0).sum();
        let listed: Vec<String> = missing
            .iter()
            .take(3)
            .map(|(s, at)| format!("{} s at {} s", secs(*s), secs(*at)))
            .collect();
        warnings.push(format!(
            "{} s of data missing in {} gap{} ({}{}); no analysis window spans a gap",
            secs(total),
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            listed.join(", "),
            if missing.len() > 3 { ", …" } else { "" }
        ));
    }
    // Each segment's whole span (not its steps: devices that push chunks stamp the samples
    // inside a chunk at the declared rate, whatever the real one).
    let (mut n, mut span) = (0.0, 0.0);
    for (k, s) in segments.iter().enumerate() {
        let end = segments.get(k + 1).map_or(times.len(), |x| x.start);
        let t = &times[s.start..end];
        if t.len() >= 2 && t[t.len() - 1] > t[0] {
            n += (t.len() - 1) as f64;
            span += t[t.len() - 1] - t[0];
        }
    }
    let span = span - dropouts.iter().sum::<f64>();
    let measured = if span > 0.0 {
        tidy(n / span)
    } else {
        1.0 / period
    };
    let rate = match declared {
        Some(r) if (measured / r - 1.0).abs() > RATE_TOLERANCE => {
            warnings.push(format!(
                "the file declares {r} Hz but its timestamps show {measured} Hz; analysed at \
                 {measured} Hz"
            ));
            measured
        }
        Some(r) => r,
        None => measured,
    };
    Ok(Timeline {
        rate,
        segments,
        warnings,
    })
}

/// A measured rate within 0.05 % of a whole number is that number (256.02 → 256), else it is
/// kept to 0.01 Hz.
pub fn tidy(rate: f64) -> f64 {
    let whole = rate.round();
    if (rate - whole).abs() <= 5e-4 * rate {
        whole
    } else {
        (rate * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_timestamps_give_the_exact_rate() {
        let t: Vec<f64> = (0..2560)
            .map(|i| 12.0 + (i as f64 / 256.0 * 1000.0).round() / 1000.0)
            .collect();
        let tl = timeline(&t, None, &[]).unwrap();
        assert_eq!((tl.rate, tl.segments.len()), (256.0, 1));
        assert!(tl.warnings.is_empty());
    }

    #[test]
    fn gaps_resets_and_contradicted_rates_are_reported() {
        let mut t: Vec<f64> = (0..300).map(|i| i as f64 / 100.0).collect();
        t.extend((0..300).map(|i| 12.0 + i as f64 / 100.0));
        t.extend((0..300).map(|i| 1.0 + i as f64 / 100.0));
        let tl = timeline(&t, Some(100.0), &[]).unwrap();
        assert_eq!(tl.segments.len(), 3);
        assert_eq!((tl.segments[1].start, tl.segments[1].time), (300, 12.0));
        assert!(tl
            .warnings
            .iter()
            .any(|w| w.contains("9.00 s of data missing in 1 gap")));
        assert!(tl
            .warnings
            .iter()
            .any(|w| w.contains("clock jumps back by 14.0 s")));
        let half: Vec<f64> = (0..2500).map(|i| i as f64 / 125.0).collect();
        let tl = timeline(&half, Some(250.0), &[]).unwrap();
        assert_eq!(tl.rate, 125.0);
        assert!(tl.warnings[0].contains("declares 250 Hz but its timestamps show 125 Hz"));
        assert_eq!(timeline(&half, Some(126.0), &[]).unwrap().rate, 126.0);
    }

    #[test]
    fn short_losses_and_repeated_rows_in_regular_files_keep_the_rate() {
        // Each case: 256 Hz kept, `segments` segments, the first warning opening with `said`.
        let check = |t: &[f64], segments: usize, said: &str| {
            let tl = timeline(t, None, &[]).unwrap();
            assert_eq!(
                (tl.rate, tl.segments.len()),
                (256.0, segments),
                "{:?}",
                tl.warnings
            );
            assert!(
                tl.warnings[0].starts_with(said),
                "{said}: {:?}",
                tl.warnings
            );
        };
        // 256 Hz stamped to the millisecond; 0.3 s missing at 5 s.
        let ms = |t: f64| (t * 1000.0).round() / 1000.0;
        let mut t: Vec<f64> = (0..1280).map(|i| ms(i as f64 / 256.0)).collect();
        t.extend((0..1280).map(|i| ms(5.3 + i as f64 / 256.0)));
        check(&t, 2, "0.30 s of data missing in 1 gap (0.30 s at 5.00 s)");
        // 64 rows written twice at 5 s: the clock steps back 0.25 s.
        let mut t: Vec<f64> = (0..1280).map(|i| i as f64 / 256.0).collect();
        t.extend((1216..2560).map(|i| i as f64 / 256.0));
        check(&t, 2, "the clock jumps back by 0.25 s");
        // Three lost samples here and there: dropouts, out of the rate, no new segment.
        let t: Vec<f64> = (0..2560)
            .filter(|i| !(1000..1003).contains(i) && !(2000..2003).contains(i))
            .map(|i| i as f64 / 256.0)
            .collect();
        check(&t, 1, "2 short dropouts (0.02 s in all");
        // Chunks stamped at once (bursty devices): steps up to 0.2 s are no gaps.
        let t: Vec<f64> = (0..2560).map(|i| (i / 51) as f64 * 51.0 / 256.0).collect();
        let tl = timeline(&t, None, &[]).unwrap();
        assert_eq!(tl.segments.len(), 1, "{:?}", tl.warnings);
        assert!(tl.warnings.is_empty(), "{:?}", tl.warnings);
    }
}
