//! The saved calibration setup: the baseline, the condition it was recorded in, and the
//! programs per slot, compiled for the audio thread.

use super::program::{self, CompiledProgram};
/// The state the listener was in while the baseline was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// Eyes open, resting.
    EyesOpen,
    /// Eyes closed, resting (alpha is higher: targets from it are harder to reach with the
    /// eyes open).
    EyesClosed,
}

impl Condition {
    /// Parses `eyes-open` / `eyes-closed` (also `open` / `closed`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "eyes-open" | "open" => Ok(Condition::EyesOpen),
            "eyes-closed" | "closed" => Ok(Condition::EyesClosed),
            other => Err(format!(
                "'{other}' is not a baseline condition; use eyes-open or eyes-closed."
            )),
        }
    }
}

/// The feedback configuration saved with the project (and, later, in presets): the
/// calibration baseline every program's targets come from. Plain data; compiled for the audio
/// thread with [`FeedbackSetup::compile`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeedbackSetup {
    /// Format version of this record.
    #[serde(default = "FeedbackSetup::version_now")]
    pub version: u32,
    /// The calibration baseline, if one was recorded and applied.
    #[serde(default)]
    pub baseline: Option<crate::features::baseline::BaselineStats>,
    /// The condition the baseline was recorded in.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// Programs that replace the factory program in their slot (from presets or the editor).
    #[serde(default)]
    pub programs: std::collections::BTreeMap<program::ProgramKind, program::Program>,
}

impl FeedbackSetup {
    /// The current format version.
    pub const VERSION: u32 = 1;

    /// For serde's default.
    fn version_now() -> u32 {
        Self::VERSION
    }

    /// Every program slot compiled: the slot's program from this setup if it has one (and it
    /// is valid), else the factory program; the calibration applied to each when it is valid
    /// (see [`crate::features::baseline::BaselineStats::validate`]).
    pub fn compile(&self) -> crate::bridge::ProgramTable {
        let usable = self.baseline.as_ref().filter(|b| b.validate().is_ok());
        program::ProgramKind::ALL.map(|kind| {
            self.programs
                .get(&kind)
                .and_then(|p| CompiledProgram::for_slot(kind, p, usable).ok())
                .unwrap_or_else(|| CompiledProgram::factory(kind, usable))
        })
    }

    /// Writes the setup as JSON to `path` (atomically: a failed write leaves the old file).
    /// Errors: a sentence.
    pub fn save(&self, path: &std::path::Path) -> Result<(), String> {
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| format!("Cannot format the setup: {e}."))?;
        crate::files::write_atomically(path, json.as_bytes())
    }

    /// The program in `kind`'s slot: this setup's, else the factory one.
    pub fn program(&self, kind: program::ProgramKind) -> program::Program {
        self.programs
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| program::Program::factory(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::baseline::{BaselineStats, N_FEATURES};

    fn baseline(scale: f32) -> BaselineStats {
        BaselineStats {
            frames: 100,
            mean: vec![0.3 * scale; N_FEATURES],
            std: vec![0.05 * scale; N_FEATURES],
            percentiles: (0..N_FEATURES)
                .map(|_| std::array::from_fn(|k| scale * (0.1 + 0.02 * k as f32)))
                .collect(),
        }
    }

    #[test]
    fn a_malformed_saved_baseline_is_ignored_not_a_panic() {
        let plain = FeedbackSetup::default().compile();
        let good = FeedbackSetup {
            baseline: Some(baseline(1.0)),
            ..FeedbackSetup::default()
        };
        assert!(good.baseline.as_ref().unwrap().validate().is_ok());
        assert_ne!(good.compile(), plain, "a valid baseline calibrates");
        // A project saved by anything may hold short rows or non-finite numbers.
        let mut short = baseline(1.0);
        short.std.truncate(3);
        let mut rows = baseline(1.0);
        rows.percentiles.truncate(1);
        let mut nan = baseline(1.0);
        nan.percentiles[2][4] = f32::NAN;
        for bad in [short, rows, nan] {
            let e = bad.validate().unwrap_err();
            assert!(e.starts_with("the baseline") && e.ends_with('.'), "{e}");
            let setup = FeedbackSetup {
                baseline: Some(bad),
                ..FeedbackSetup::default()
            };
            assert_eq!(setup.compile(), plain);
        }
    }
}
