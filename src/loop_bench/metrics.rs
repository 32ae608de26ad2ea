//! The loop's measures: step times, correlation at the best lag, flicker, shares of time and
//! what a held state leaves, from traces on the audio clock. Pure functions of their inputs.

/// Seconds after `step_s` at which `values` (sampled at `times`) passes `fraction` of its
/// change from the 5 s before the step to 5–8 s after it and stays past it for
/// [`HOLD_S`] (so a noise spike before the response cannot count); `None` if it never does
/// (or does not change).
pub fn step_time(times: &[f64], values: &[f32], step_s: f64, fraction: f64) -> Option<f64> {
    let before = mean_in(times, values, step_s - 5.0, step_s)?;
    let after = mean_in(times, values, step_s + 5.0, step_s + 8.0)?;
    let change = after - before;
    if change.abs() < 1e-9 {
        return None;
    }
    let level = before + fraction * change;
    let past = |i: usize| (values[i] as f64 - level) * change.signum() >= 0.0;
    (0..times.len())
        .filter(|&i| times[i] >= step_s && past(i))
        .find(|&i| {
            (i..times.len())
                .take_while(|&j| times[j] < times[i] + HOLD_S)
                .all(past)
        })
        .map(|i| times[i] - step_s)
}

/// How long a step response must stay past a level to count as having reached it, s.
pub const HOLD_S: f64 = 0.1;

/// Pearson correlation of `a` and `b` (0 when either is constant).
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The best correlation (times `sign`) of `values` with the envelope delayed by 0–2 s, over
/// blocks in `[from, to)` seconds; `envelope(t)` gives the true amplitude. Returns
/// (correlation, lag in s).
pub fn best_lag(
    times: &[f64],
    values: &[f32],
    envelope: &dyn Fn(f64) -> f64,
    sign: f32,
    from: f64,
    to: f64,
) -> (f64, f64) {
    let idx: Vec<usize> = (0..times.len())
        .filter(|&i| times[i] >= from && times[i] < to)
        .collect();
    let v: Vec<f64> = idx
        .iter()
        .map(|&i| values[i] as f64 * sign as f64)
        .collect();
    let mut best = (f64::NEG_INFINITY, 0.0);
    for step in 0..=200 {
        let lag = step as f64 * 0.01;
        let e: Vec<f64> = idx.iter().map(|&i| envelope(times[i] - lag)).collect();
        let c = correlation(&v, &e);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

/// Standard deviation of `values` over blocks at or after `from` seconds.
pub fn std_after(times: &[f64], values: &[f32], from: f64) -> f64 {
    let v: Vec<f64> = times
        .iter()
        .zip(values)
        .filter(|(t, _)| **t >= from)
        .map(|(_, v)| *v as f64)
        .collect();
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

/// In-target changes (on or off) per minute after `from` seconds.
pub fn flips_per_min(times: &[f64], in_target: &[bool], from: f64) -> f64 {
    let idx: Vec<usize> = (0..times.len()).filter(|&i| times[i] >= from).collect();
    if idx.len() < 2 {
        return 0.0;
    }
    let flips = idx
        .windows(2)
        .filter(|w| in_target[w[0]] != in_target[w[1]])
        .count();
    let minutes = (times[*idx.last().unwrap_or(&0)] - times[idx[0]]) / 60.0;
    flips as f64 / minutes.max(1e-9)
}

/// Share of blocks in target in `[from, to)` seconds.
pub fn share(times: &[f64], in_target: &[bool], from: f64, to: f64) -> f64 {
    let (mut on, mut n) = (0usize, 0usize);
    for (t, it) in times.iter().zip(in_target) {
        if *t >= from && *t < to {
            n += 1;
            on += *it as usize;
        }
    }
    on as f64 / n.max(1) as f64
}

/// Mean of `values` over blocks in `[from, to)` seconds (0 when there are none).
pub fn mean_between(times: &[f64], values: &[f32], from: f64, to: f64) -> f64 {
    mean_in(times, values, from, to).unwrap_or(0.0)
}

/// Mean of `values` over blocks in `[from, to)` seconds, if there are any.
fn mean_in(times: &[f64], values: &[f32], from: f64, to: f64) -> Option<f64> {
    let v: Vec<f64> = times
        .iter()
        .zip(values)
        .filter(|(t, _)| **t >= from && **t < to)
        .map(|(_, v)| *v as f64)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// What a held state leaves in a signal: its rise when the state is reached, how much of it is
/// still there late in the hold, and how far from its old level it strays after the return.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct HoldFigures {
    /// The rise: the mean over 1–4 s after `up` less the mean over the 10 s before it.
    pub rise: f64,
    /// The mean over 90–120 s after `up`, less the old level, as a share of the rise.
    pub held: f64,
    /// After the return at `down`: the largest distance of a 5 s mean from the old level,
    /// over 20–60 s after `down`, as a share of the rise (a punishment dip or a reward for
    /// coming back both count).
    pub settle: f64,
}

/// The [`HoldFigures`] of `values` for a state reached at `up` and left at `down` seconds.
pub fn hold_figures(times: &[f64], values: &[f32], up: f64, down: f64) -> HoldFigures {
    let mean = |a: f64, b: f64| mean_between(times, values, a, b);
    let before = mean(up - 10.0, up);
    let rise = mean(up + 1.0, up + 4.0) - before;
    let share = |x: f64| if rise.abs() > 1e-9 { x / rise } else { 0.0 };
    let settle = (0..8)
        .map(|k| {
            let from = down + 20.0 + 5.0 * k as f64;
            share(mean(from, from + 5.0) - before).abs()
        })
        .fold(0.0, f64::max);
    HoldFigures {
        rise,
        held: share(mean(up + 90.0, up + 120.0) - before),
        settle,
    }
}

/// Share of blocks in `[from, to)` seconds where `values` is above `level` (`above`) or
/// below it.
pub fn share_beyond(
    times: &[f64],
    values: &[f32],
    level: f32,
    above: bool,
    from: f64,
    to: f64,
) -> f64 {
    let flags: Vec<bool> = values
        .iter()
        .map(|v| if above { *v > level } else { *v < level })
        .collect();
    share(times, &flags, from, to)
}
