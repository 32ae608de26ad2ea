//! The adaptation time: how fast the listener's range, and with it the reward's centre and
//! the in-target bar, follow the listener once the range is learned (the **Adaptation**
//! parameter).
//!
//! Three time scales stay apart (issue 27). The band estimator and the response time work in
//! tenths of a second: they make the sound follow the brain *quickly*. The listener's range is
//! learned over the first minute ([`super::reward::LEARN_S`]), or taken from a calibration.
//! From then on it adapts over the adaptation time, minutes: slow enough that a state reached
//! and held for a few minutes is still heard as reached, fast enough to follow a drift across a
//! session (drowsiness, drying electrodes, a headset shifting).
//!
//! Where the defaults come from. Clinical practice knows both ways:
//! - Thresholds set once and left alone, so that the trainee's improvement shows as more
//!   reward: the school of Lubar and Brownback in Collura's account (T. F. Collura,
//!   "Autothresholding", *Brainwave Connections*, BrainMaster Technologies, Summer 2005: changing
//!   thresholds "can frustrate or thwart learning by masking EEG improvements"; also Collura,
//!   *Technical Foundations of Neurofeedback*, Routledge 2014, ch. 11).
//! - Automatic thresholds that keep the reward rate near a goal, updated over a trailing window
//!   of tens of seconds (BioExplorer designs as documented by Brain-Trainer: auto thresholds at
//!   "80-90 percent success", inhibits switched to manual after a 20-40 s baseline, epochs of
//!   30-60 s). That is *shaping* in the operant sense: the criterion follows the trainee's
//!   recent performance (percentile schedules, G. Galbicka, *J. Appl. Behav. Anal.* 27:739,
//!   1994; adaptive thresholds in simulated neurofeedback learning, E. J. Davelaar,
//!   *Neuroscience* 378:175, 2018).
//!
//! A fast window turns the feedback into a high-pass filter of the brain state: within-session
//! alpha changes "return to baseline levels" as the threshold follows them (Dempster & Vernon,
//! *Appl. Psychophysiol. Biofeedback* 34:309, 2009, on why percent time and amplitude must be
//! read apart). So the relaxation programs, whose promise is a calm state reached and *held*,
//! adapt over [`HOLDING_S`]; SMR focus, which trains by shaping (raising the bar as the trainee
//! improves), adapts over [`SHAPING_S`] and says so in its description.

use nice_plug::prelude::Enum;

/// The adaptation time of programs that hold states (Calm, Deep rest, Sleep onset, Cool-down,
/// Balance and the heart programs), s: after two minutes in a new state 78–88 % of the sound's
/// rise is still heard (`bench loop`'s hold figures, listeners with ¼ to 4 times the power),
/// while two hours of drift keep the share of time in target within a few points of the goal.
pub const HOLDING_S: f32 = 1200.0;

/// The adaptation time of programs that train by shaping (SMR focus), s: the bar rises with
/// the trainee over a few minutes, as clinical auto-thresholds do over their trailing windows.
pub const SHAPING_S: f32 = 180.0;

/// Shortest and longest adaptation time a program may ask for, s.
pub const PROGRAM_RANGE_S: (f32, f32) = (30.0, 7200.0);

/// The Adaptation parameter: the program's own time, a fixed time, or none.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Adaptation {
    /// The program's adaptation time ([`HOLDING_S`] or [`SHAPING_S`] for the factory ones).
    #[default]
    #[id = "program"]
    #[name = "Program"]
    Program,
    /// 30 seconds: fast auto-thresholds (the feedback forgets a held state within a minute).
    #[id = "30s"]
    #[name = "30 s"]
    S30,
    /// One minute.
    #[id = "1min"]
    #[name = "1 min"]
    M1,
    /// Two minutes.
    #[id = "2min"]
    #[name = "2 min"]
    M2,
    /// Three minutes (shaping).
    #[id = "3min"]
    #[name = "3 min"]
    M3,
    /// Five minutes.
    #[id = "5min"]
    #[name = "5 min"]
    M5,
    /// Ten minutes.
    #[id = "10min"]
    #[name = "10 min"]
    M10,
    /// Twenty minutes (holding).
    #[id = "20min"]
    #[name = "20 min"]
    M20,
    /// Forty minutes.
    #[id = "40min"]
    #[name = "40 min"]
    M40,
    /// An hour.
    #[id = "60min"]
    #[name = "60 min"]
    M60,
    /// None: the range is learned in the first minute (or taken from the calibration) and
    /// then stays where it is, as thresholds set once do.
    #[id = "off"]
    #[name = "Off"]
    Off,
}

impl Adaptation {
    /// The time constant in seconds for a program whose own adaptation time is `program_s`
    /// (infinite for [`Adaptation::Off`]).
    pub fn seconds(self, program_s: f32) -> f32 {
        match self {
            Adaptation::Program => program_s,
            Adaptation::S30 => 30.0,
            Adaptation::M1 => 60.0,
            Adaptation::M2 => 120.0,
            Adaptation::M3 => 180.0,
            Adaptation::M5 => 300.0,
            Adaptation::M10 => 600.0,
            Adaptation::M20 => 1200.0,
            Adaptation::M40 => 2400.0,
            Adaptation::M60 => 3600.0,
            Adaptation::Off => f32::INFINITY,
        }
    }
}

/// An adaptation time for people: "20 min", "3 min", "45 s", "off".
pub fn describe_s(tau: f32) -> String {
    if !tau.is_finite() {
        "off".into()
    } else if tau >= 60.0 {
        format!("{} min", round_to(tau / 60.0, 1))
    } else {
        format!("{tau:.0} s")
    }
}

/// `x` with at most `digits` decimals, trailing zeros dropped ("20", "2.5").
fn round_to(x: f32, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_has_its_time_and_the_program_choice_defers() {
        assert_eq!(Adaptation::Program.seconds(123.0), 123.0);
        assert_eq!(Adaptation::M20.seconds(5.0), HOLDING_S);
        assert_eq!(Adaptation::M3.seconds(5.0), SHAPING_S);
        assert!(Adaptation::Off.seconds(5.0).is_infinite());
        // Strictly increasing from 30 s to an hour.
        let times: Vec<f32> = Adaptation::variants()
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, _)| Adaptation::from_index(i).seconds(0.0))
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        assert_eq!(describe_s(1200.0), "20 min");
        assert_eq!(describe_s(150.0), "2.5 min");
        assert_eq!(describe_s(30.0), "30 s");
        assert_eq!(describe_s(f32::INFINITY), "off");
    }
}
