//! What `bench loop` reports per program, and its text form.

/// t50 and t90 of one signal, s.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepTimes {
    /// Time to 50 % of the change.
    pub t50: Option<f64>,
    /// Time to 90 % of the change.
    pub t90: Option<f64>,
}

/// Best-lag correlation of one signal with the true envelope.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Fidelity {
    /// Correlation (with the expected sign) over the whole run.
    pub corr: f64,
    /// Its lag, s.
    pub lag: f64,
    /// Correlation over the first minute alone.
    pub first_minute: f64,
    /// Its lag, s.
    pub first_minute_lag: f64,
}

/// Step responses of the three signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepReport {
    /// Feature.
    pub feature: StepTimes,
    /// Reward.
    pub reward: StepTimes,
    /// Applied modulation.
    pub modulation: StepTimes,
}

/// Fidelity of the three signals for one listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct WanderReport {
    /// The listener's rhythm relative to the reference.
    pub scale: f32,
    /// Feature.
    pub feature: Fidelity,
    /// Reward.
    pub reward: Fidelity,
    /// Applied modulation.
    pub modulation: Fidelity,
}

/// Flicker on steady EEG for one listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SteadyReport {
    /// The listener's rhythm relative to the reference.
    pub scale: f32,
    /// Standard deviation of the applied modulation after the first minute.
    pub modulation_std: f64,
    /// In-target flips per minute after the first minute.
    pub flips_per_min: f64,
    /// Share of time in target after the first minute.
    pub in_target: f64,
}

/// A held state (issue 27's stimulus, [`crate::eeg::stimulus::Stimulus::hold`]) for one
/// listener: what the applied modulation keeps of it and how it settles after.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct HoldReport {
    /// The listener's rhythm relative to the reference.
    pub scale: f32,
    /// The applied modulation's figures (seed-averaged trace).
    pub modulation: super::HoldFigures,
    /// Share of the held state spent in target (mean over seeds).
    pub in_target: f64,
}

/// Threshold control over a long run for one listener.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ThresholdReport {
    /// Which listener: `x0.25`, `x1`, `x4` (the wander) or `sim:calm`.
    pub listener: String,
    /// The success-rate goal.
    pub goal: f64,
    /// Share of time in target after the first minute.
    pub share: f64,
    /// Lowest share in any 10-minute window after the first minute.
    pub window_min: f64,
    /// Highest share in any such window.
    pub window_max: f64,
    /// Mean success rate the engine reported after the first minute (its 60 s average of
    /// the same in-target state).
    pub reported: f64,
    /// The window length the lowest and highest shares are taken over, s.
    pub window_s: f64,
    /// Share of time after the second minute with the reward above 0.95 (saturated).
    pub saturated: f64,
    /// Share of time after the second minute with the reward below 0.05 (starved).
    pub starved: f64,
}

/// Everything measured for one program with one analysis.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ProgramReport {
    /// Program id.
    pub program: String,
    /// The analysis path (estimator) measured.
    pub estimator: String,
    /// Step up.
    pub step_up: StepReport,
    /// Step down.
    pub step_down: StepReport,
    /// Fidelity per listener.
    pub wander: Vec<WanderReport>,
    /// Flicker per listener.
    pub steady: Vec<SteadyReport>,
    /// A held state per listener.
    pub hold: Vec<HoldReport>,
    /// Threshold control per listener (empty when not asked for).
    pub threshold: Vec<ThresholdReport>,
}

/// A listener's rhythm power relative to the reference, for the table: the square of the
/// amplitude scale.
fn power(scale: f32) -> String {
    let p = scale * scale;
    if p >= 1.0 {
        format!("{p}x")
    } else {
        format!("1/{}", (1.0 / p).round())
    }
}

/// Formats `t` in ms, or a dash.
fn ms(t: Option<f64>) -> String {
    t.map_or("   -".into(), |t| format!("{:4.0}", t * 1000.0))
}

/// The report as the table `bench loop` prints.
pub fn format_report(r: &ProgramReport) -> String {
    let mut out = format!("{} ({})\n", r.program, r.estimator);
    let line = |name: &str, up: &StepTimes, down: &StepTimes| {
        format!(
            "  step {name:<10} up t50 {} t90 {} ms | down t50 {} t90 {} ms\n",
            ms(up.t50),
            ms(up.t90),
            ms(down.t50),
            ms(down.t90)
        )
    };
    out += &line("feature", &r.step_up.feature, &r.step_down.feature);
    out += &line("reward", &r.step_up.reward, &r.step_down.reward);
    out += &line("modulation", &r.step_up.modulation, &r.step_down.modulation);
    for w in &r.wander {
        out += &format!(
            "  wander x{:<4} ({:<5} power) corr@lag: feature {:.2}@{:.0} reward {:.2}@{:.0} modulation {:.2}@{:.0} ms (first minute {:.2}@{:.0})\n",
            w.scale,
            power(w.scale),
            w.feature.corr,
            w.feature.lag * 1000.0,
            w.reward.corr,
            w.reward.lag * 1000.0,
            w.modulation.corr,
            w.modulation.lag * 1000.0,
            w.modulation.first_minute,
            w.modulation.first_minute_lag * 1000.0,
        );
    }
    for s in &r.steady {
        out += &format!(
            "  steady x{:<4} ({:<5} power) modulation std {:.3}, in-target flips {:.2}/min, in target {:.0} %\n",
            s.scale,
            power(s.scale),
            s.modulation_std,
            s.flips_per_min,
            100.0 * s.in_target
        );
    }
    for h in &r.hold {
        out += &format!(
            "  hold x{:<4} ({:<5} power) rise {:+.3}, held {:.0} % after 90-120 s, in target {:.0} % of the hold, settled within {:.0} % after the return\n",
            h.scale,
            power(h.scale),
            h.modulation.rise,
            100.0 * h.modulation.held,
            100.0 * h.in_target,
            100.0 * h.modulation.settle
        );
    }
    for t in &r.threshold {
        out += &format!(
            "  threshold {:<8} in target {:.0} % ({:.0}-min windows {:.0}-{:.0} %), reported success {:.0} %, goal {:.0} %; reward > 0.95 {:.0} %, < 0.05 {:.0} %\n",
            t.listener,
            100.0 * t.share,
            t.window_s / 60.0,
            100.0 * t.window_min,
            100.0 * t.window_max,
            100.0 * t.reported,
            100.0 * t.goal,
            100.0 * t.saturated,
            100.0 * t.starved
        );
    }
    out
}
