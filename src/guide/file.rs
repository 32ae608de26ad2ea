//! Guided session files: a list of stages, validated with one sentence per problem (as
//! presets are), nothing applied on error.
//!
//! ```json
//! {"format": 1, "name": "Focus reset", "description": "...",
//!  "stages": [
//!    {"name": "Arrive", "kind": "settle", "glide_s": 5, "advance": {"after_s": 60},
//!     "sound": {"preset": "Morning focus", "params": {"beat": 10.0}}},
//!    {"name": "Baseline", "kind": "baseline", "condition": "eyes-open", "advance": {"after_s": 60}},
//!    {"name": "SMR", "kind": "train", "program": "smr-focus",
//!     "advance": {"in_target_s": 120, "max_s": 420}, "fallback": "Easier"},
//!    ...]}
//! ```

use std::collections::BTreeMap;

use crate::feedback::program::ProgramKind;
use crate::feedback::Condition;
use crate::preset::PresetValue;

/// The guided-session format this version writes and reads.
pub const FORMAT: u32 = 1;
/// Largest session file accepted (a real one is a few kilobytes).
pub const MAX_BYTES: u64 = 1 << 20;
/// Stages a session may have.
pub const MAX_STAGES: usize = 16;
/// Longest stage, s (a maximum time beyond two hours is a mistake).
pub const MAX_STAGE_S: f32 = 7200.0;
/// Longest window of a mean-reward rule, s.
pub const MAX_WINDOW_S: f32 = 300.0;
/// Times one stage may be entered: a `next` or `fallback` leading back to a stage visited
/// this often moves on in file order instead, so every session ends.
pub const MAX_VISITS: u8 = 3;
/// Longest baseline stage, s (its frames are kept while it records).
pub const MAX_BASELINE_S: f32 = 300.0;

/// What a stage does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageKind {
    /// Sound only: the feedback does not touch the sound (arriving, settling in).
    Settle,
    /// Records a baseline (sound only) and calibrates the training stages after it.
    Baseline,
    /// Neurofeedback with a program and its targets.
    Train,
    /// The feedback's effect on the sound is held where it was as the stage began.
    Integrate,
    /// Coming back: a gentle brightening and a rising beat, no feedback.
    Return,
}

impl StageKind {
    /// The kind's name as files use it.
    pub fn id(self) -> &'static str {
        match self {
            StageKind::Settle => "settle",
            StageKind::Baseline => "baseline",
            StageKind::Train => "train",
            StageKind::Integrate => "integrate",
            StageKind::Return => "return",
        }
    }
}

/// The sound of a stage: a preset's parameter values (factory or user, by name), then these
/// parameter values on top, by parameter id in the parameter's units (as presets hold them).
/// A parameter neither names keeps the value an earlier stage gave it; those no stage has
/// named follow the host's parameters.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSound {
    /// A preset by name whose parameter values the stage takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Parameter values by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, PresetValue>,
}

/// When a stage ends.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// A fixed time, s: the stage ends then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f32>,
    /// Success: this many seconds in target within the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_target_s: Option<f32>,
    /// Success: the mean reward over the last `over_s` seconds reaches this (0..1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_reward: Option<f32>,
    /// The window of `mean_reward`, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_s: Option<f32>,
    /// With a condition: the stage ends here without success (then `fallback`, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_s: Option<f32>,
}

/// One stage.
// Unknown fields are refused: a misspelt "glide" would otherwise fall back silently.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Its name (unique in the session; fallbacks name stages by it).
    pub name: String,
    /// What it does.
    pub kind: StageKind,
    /// The program of a training stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramKind>,
    /// The condition a baseline stage records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Its sound.
    #[serde(default)]
    pub sound: StageSound,
    /// Seconds the sound takes to glide into this stage's.
    #[serde(default = "default_glide")]
    pub glide_s: f32,
    /// When it ends.
    pub advance: Advance,
    /// Where to go when the stage ends by time or success (a stage name; default: the next
    /// in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Where to go when `max_s` passes without success (a stage name; default: as `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// A train stage's targets adapt to the listener (keeping the time in target at the
    /// success rate). Off by default: with fixed targets (the program's, or calibrated by a
    /// baseline) the time in target rises only as the listener gets there, so a condition
    /// means progress rather than time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adaptive: bool,
}

/// For serde's default.
fn default_glide() -> f32 {
    8.0
}

/// A guided session.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidedSession {
    /// Format version.
    pub format: u32,
    /// Display name.
    pub name: String,
    /// One line on what it does (no medical claims).
    #[serde(default)]
    pub description: String,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

pub use crate::bridge::Outcome;

/// Parses and validates a session from `bytes`; `origin` names the file in messages.
pub fn parse(bytes: &[u8], origin: &str) -> Result<GuidedSession, String> {
    let fail = |problem: String| format!("Session '{origin}': {problem}");
    if bytes.len() as u64 > MAX_BYTES {
        return Err(fail(format!(
            "the file is {} bytes, far more than a session (at most {MAX_BYTES}); it is not a \
             MelodiaSync session.",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "not a text file (invalid UTF-8 at byte {}); it is not a MelodiaSync session.",
            e.valid_up_to()
        ))
    })?;
    let text = crate::eeg::recording::strip_bom(text);
    if text.trim().is_empty() {
        return Err(fail("the file is empty.".into()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        fail(if e.is_eof() {
            format!("not valid JSON ({e}); the file ends too early, it may be truncated.")
        } else {
            format!("not valid JSON ({e}).")
        })
    })?;
    match value.get("format") {
        None => return Err(fail("field 'format' is missing.".into())),
        Some(v) => match v.as_u64() {
            Some(f) if f as u32 == FORMAT => {}
            Some(f) if f > FORMAT as u64 => {
                return Err(fail(format!(
                    "it was written by a newer MelodiaSync (format {f}; this version reads \
                     {FORMAT}); update MelodiaSync to use it."
                )))
            }
            _ => return Err(fail(format!("field 'format' must be {FORMAT}, not {v}."))),
        },
    }
    let session: GuidedSession = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            fail(format!("{inner}."))
        } else {
            fail(format!("field '{path}': {inner}."))
        }
    })?;
    validate(&session).map_err(fail)?;
    Ok(session)
}

/// Checks what the types cannot. Errors are sentences naming the stage and field.
pub fn validate(s: &GuidedSession) -> Result<(), String> {
    if s.name.trim().is_empty() || s.name.len() > 80 {
        return Err("field 'name' must be 1 to 80 characters.".into());
    }
    if s.stages.is_empty() || s.stages.len() > MAX_STAGES {
        return Err(format!(
            "a session has 1 to {MAX_STAGES} stages, this one {}.",
            s.stages.len()
        ));
    }
    for (i, st) in s.stages.iter().enumerate() {
        let at = |field: &str| format!("stage {} ('{}'), field '{field}'", i + 1, st.name);
        if st.name.trim().is_empty() || st.name.len() > 40 {
            return Err(format!(
                "stage {}: field 'name' must be 1 to 40 characters.",
                i + 1
            ));
        }
        if s.stages[..i].iter().any(|o| o.name == st.name) {
            return Err(format!(
                "{}: another stage has the name '{}'; names must be unique.",
                at("name"),
                st.name
            ));
        }
        let seconds = |v: f32, field: &str, max: f32| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(format!(
                    "{}: {v} is not a time from above 0 to {max} s.",
                    at(field)
                ))
            }
        };
        if !(st.glide_s.is_finite() && (0.0..=600.0).contains(&st.glide_s)) {
            return Err(format!(
                "{}: {} is not 0 to 600 s.",
                at("glide_s"),
                st.glide_s
            ));
        }
        let a = &st.advance;
        let conditions = a.in_target_s.is_some() as u8 + a.mean_reward.is_some() as u8;
        match (a.after_s, conditions) {
            (Some(t), 0) => {
                seconds(t, "advance.after_s", MAX_STAGE_S)?;
                if a.max_s.is_some() || a.over_s.is_some() || st.fallback.is_some() {
                    return Err(format!(
                        "{}: a fixed time ('after_s') takes no 'max_s', 'over_s' or \
                         'fallback'; those belong to a condition.",
                        at("advance")
                    ));
                }
            }
            (None, 1) => {
                let max = a.max_s.ok_or_else(|| {
                    format!(
                        "{}: a condition needs a maximum time ('max_s'), so the session \
                         always moves on.",
                        at("advance")
                    )
                })?;
                seconds(max, "advance.max_s", MAX_STAGE_S)?;
                if let Some(x) = a.in_target_s {
                    seconds(x, "advance.in_target_s", max)?;
                    if a.over_s.is_some() {
                        return Err(format!(
                            "{}: 'over_s' belongs to 'mean_reward'.",
                            at("advance")
                        ));
                    }
                }
                if let Some(y) = a.mean_reward {
                    if !(y.is_finite() && (0.0..=1.0).contains(&y)) {
                        return Err(format!(
                            "{}: {y} is not a reward from 0 to 1.",
                            at("advance.mean_reward")
                        ));
                    }
                    let over = a.over_s.ok_or_else(|| {
                        format!(
                            "{}: 'mean_reward' needs the window it is averaged over \
                             ('over_s', s).",
                            at("advance")
                        )
                    })?;
                    seconds(over, "advance.over_s", MAX_WINDOW_S.min(max))?;
                }
            }
            _ => {
                return Err(format!(
                    "{}: give exactly one of 'after_s' (a fixed time), 'in_target_s' or \
                     'mean_reward' (conditions, with 'max_s').",
                    at("advance")
                ))
            }
        }
        if conditions > 0 && !matches!(st.kind, StageKind::Train | StageKind::Integrate) {
            return Err(format!(
                "{}: a {} stage has no feedback to succeed at; give it a fixed time \
                 ('after_s').",
                at("advance"),
                st.kind.id()
            ));
        }
        match st.kind {
            StageKind::Train if st.program.is_none() => {
                return Err(format!(
                    "{}: a train stage needs a program (calm, deep-rest, smr-focus, \
                     cool-down, balance or sleep-onset).",
                    at("program")
                ))
            }
            StageKind::Baseline => {
                if st.condition.is_none() {
                    return Err(format!(
                        "{}: a baseline stage records eyes-open or eyes-closed.",
                        at("condition")
                    ));
                }
                let t = a.after_s.unwrap_or(0.0);
                if !(10.0..=MAX_BASELINE_S).contains(&t) {
                    return Err(format!(
                        "{}: a baseline lasts 10 to {MAX_BASELINE_S} s, not {t} s.",
                        at("advance.after_s")
                    ));
                }
            }
            _ => {}
        }
        if st.condition.is_some() && st.kind != StageKind::Baseline {
            return Err(format!(
                "{}: only baseline stages record in a condition.",
                at("condition")
            ));
        }
        if st.program.is_some() && st.kind != StageKind::Train {
            return Err(format!(
                "{}: only train stages have a program.",
                at("program")
            ));
        }
        for (field, target) in [("next", &st.next), ("fallback", &st.fallback)] {
            let Some(f) = target else { continue };
            if !s.stages.iter().any(|o| &o.name == f) {
                let names: Vec<&str> = s.stages.iter().map(|o| o.name.as_str()).collect();
                return Err(format!(
                    "{}: there is no stage '{f}' (stages: {}).",
                    at(field),
                    names.join(", ")
                ));
            }
            if f == &st.name {
                return Err(format!("{}: a stage cannot lead to itself.", at(field)));
            }
        }
        if st.adaptive && st.kind != StageKind::Train {
            return Err(format!(
                "{}: only train stages have targets to adapt.",
                at("adaptive")
            ));
        }
        if st.sound.params.contains_key("program") {
            return Err(format!(
                "{}: the program comes from the stage's 'program'.",
                at("sound.params.program")
            ));
        }
        crate::preset::resolve_params(
            &st.sound.params,
            &crate::params::MelodiaSyncParams::default(),
        )
        .map_err(|e| format!("stage {} ('{}'): {e}", i + 1, st.name))?;
    }
    Ok(())
}

impl GuidedSession {
    /// The longest the session can take, s: every stage to its fixed or maximum time, in
    /// order (a fallback can repeat stages; renders stop at their own length).
    pub fn longest_s(&self) -> f32 {
        self.stages
            .iter()
            .map(|s| s.advance.after_s.or(s.advance.max_s).unwrap_or(0.0))
            .sum()
    }

    /// The most the session can take, s: [`GuidedSession::longest_s`], or, when a `next` or
    /// `fallback` can send it back, every stage to its limit on each of its
    /// [`MAX_VISITS`] entries. A render of the whole session lasts at most this (it ends
    /// when the session completes).
    pub fn bound_s(&self) -> f32 {
        let jumps = self
            .stages
            .iter()
            .any(|s| s.next.is_some() || s.fallback.is_some());
        if jumps {
            self.longest_s() * MAX_VISITS as f32
        } else {
            self.longest_s()
        }
    }

    /// A length in words: "45 s", "12 min", "1 h 30 min".
    pub fn describe_length(seconds: f32) -> String {
        let s = seconds.round() as u32;
        match s {
            0..=119 => format!("{s} s"),
            120..=5399 => format!("{} min", (seconds / 60.0).round() as u32),
            _ => format!("{} h {} min", s / 3600, (s % 3600 + 30) / 60),
        }
    }

    /// The index of the stage named `name`.
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name == name)
    }
}
