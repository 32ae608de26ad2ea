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
    /// is valid), else the factory program; the calibration applied to each.
    pub fn compile(&self) -> [CompiledProgram; 6] {
        let usable = self
            .baseline
            .as_ref()
            .filter(|b| b.mean.len() == crate::features::baseline::N_FEATURES);
        program::ProgramKind::ALL.map(|kind| {
            self.programs
                .get(&kind)
                .and_then(|p| CompiledProgram::for_slot(kind, p, usable).ok())
                .unwrap_or_else(|| CompiledProgram::factory(kind, usable))
        })
    }
}
