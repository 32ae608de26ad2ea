//! Exponential smoothing with a time constant in seconds and an optional rate limit, for
//! feature values that drive sound: fast enough to feel responsive, never jumpy.

/// One smoothed value.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Smoother {
    /// Time constant in seconds (0 = no smoothing).
    pub tau_s: f32,
    /// Largest change per second (`f32::INFINITY` = unlimited).
    pub max_rate: f32,
    /// Current output; `None` until the first value.
    pub value: Option<f32>,
}

impl Smoother {
    /// A smoother with time constant `tau_s` and rate limit `max_rate` per second.
    pub fn new(tau_s: f32, max_rate: f32) -> Self {
        Self {
            tau_s,
            max_rate,
            value: None,
        }
    }

    /// Feeds `x` arriving `dt` seconds after the previous value; returns the output. Non-finite
    /// inputs are ignored (the output holds).
    pub fn update(&mut self, x: f32, dt: f32) -> f32 {
        let Some(y) = self.value else {
            let first = if x.is_finite() { x } else { 0.0 };
            self.value = Some(first);
            return first;
        };
        if !x.is_finite() {
            return y;
        }
        let a = if self.tau_s > 0.0 {
            1.0 - (-dt.max(0.0) / self.tau_s).exp()
        } else {
            1.0
        };
        let limit = self.max_rate * dt.max(0.0);
        let step = ((x - y) * a).clamp(-limit, limit);
        let out = y + step;
        self.value = Some(out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_63_percent_after_one_time_constant() {
        let mut s = Smoother::new(0.5, f32::INFINITY);
        s.update(0.0, 0.0);
        let dt = 1.0 / 32.0;
        let mut y = 0.0;
        for _ in 0..16 {
            y = s.update(1.0, dt);
        }
        assert!((y - (1.0 - (-1.0f32).exp())).abs() < 1e-4, "{y}");
    }

    #[test]
    fn rate_limit_bounds_every_step_and_nan_holds() {
        let mut s = Smoother::new(0.0, 2.0);
        s.update(0.0, 0.0);
        let y = s.update(100.0, 0.1);
        assert!((y - 0.2).abs() < 1e-6);
        assert_eq!(s.update(f32::NAN, 0.1), y);
    }
}
