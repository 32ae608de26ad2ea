//! A guided session compiled for the audio thread: each stage's sound as field values
//! ([`super::sound`]), its rule in fixed-size form, fallbacks as indices, and the programs it
//! trains compiled (with the project's calibration, and uncalibrated for the session's own
//! baseline stage). Built on the main thread; the audio thread only reads it.

use super::file::{GuidedSession, StageKind};
use super::sound::{field_index, FIELDS, N_FIELDS};
use crate::features::baseline::FeatureId;
use crate::feedback::program::{CompiledProgram, ProgramKind};
use crate::feedback::{Condition, FeedbackSetup};
use crate::params::MelodiaSyncParams;
use crate::preset::{self, Entry};

/// Relaxation a return stage glides to unless its sound says otherwise (toward bright, alert).
pub const RETURN_RELAXATION: f32 = 0.2;
/// Beat rate a return stage's listener hears unless its sound says otherwise, Hz (low beta).
pub const RETURN_BEAT_HZ: f32 = 14.0;

/// The beat parameter that plays [`RETURN_BEAT_HZ`] with Relaxation at [`RETURN_RELAXATION`]
/// (the macro shifts the beat rate; toward bright it raises it).
fn return_beat_param() -> f32 {
    use crate::math::Portable;
    let shift = crate::synth::Modulation::from_relaxation(RETURN_RELAXATION).beat_shift;
    RETURN_BEAT_HZ * (-shift).libm_exp2()
}

/// When a stage ends, in fixed-size form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// After this many seconds.
    After(f32),
    /// After `seconds` in target within the stage; at most `max` s.
    InTarget {
        /// Seconds in target.
        seconds: f32,
        /// Maximum stage time.
        max: f32,
    },
    /// When the mean reward over the last `over` s reaches `level`; at most `max` s.
    MeanReward {
        /// Reward level, 0..1.
        level: f32,
        /// Window, s.
        over: f32,
        /// Maximum stage time.
        max: f32,
    },
}

impl Rule {
    /// The stage's longest time, s.
    pub fn max_s(&self) -> f32 {
        match *self {
            Rule::After(s) => s,
            Rule::InTarget { max, .. } | Rule::MeanReward { max, .. } => max,
        }
    }
}

/// One stage, compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StagePlan {
    /// What it does.
    pub kind: StageKind,
    /// The program a training stage trains.
    pub program: Option<ProgramKind>,
    /// The condition a baseline stage records.
    pub condition: Option<Condition>,
    /// Its field values (where `set`).
    pub values: [f32; N_FIELDS],
    /// Which fields the stage sets (the others keep an earlier stage's value, or follow the
    /// host's parameters).
    pub set: [bool; N_FIELDS],
    /// Fields the stage hands back to the host's parameters: a training or integrating
    /// stage's feedback depth, which settle, baseline and return stages set to 0 by kind.
    pub release: [bool; N_FIELDS],
    /// Glide into it, s.
    pub glide_s: f32,
    /// When it ends.
    pub rule: Rule,
    /// Where the stage leads when it ends by time or success (default: the next in order).
    pub next: Option<usize>,
    /// Where a maximum time without success leads (default: as `next`).
    pub fallback: Option<usize>,
    /// Whether a training stage's targets adapt.
    pub adaptive: bool,
}

/// A compiled session.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The session's name.
    pub name: String,
    /// Stage names, by index (for logs and the editor; never read by the audio thread).
    pub stage_names: Vec<String>,
    /// The stages.
    pub stages: Vec<StagePlan>,
    /// Every program slot compiled with the project's calibration (what training uses until
    /// the session's own baseline stage has run).
    pub programs: crate::bridge::ProgramTable,
    /// The same, uncalibrated (what the session's baseline stage calibrates).
    pub raw_programs: crate::bridge::ProgramTable,
    /// Features the trained programs calibrate from (their terms and z-score routes).
    pub baseline_features: Vec<FeatureId>,
    /// The longest baseline stage, s.
    pub longest_baseline_s: f32,
}

/// Compiles `session` for the project's `setup` (its programs and calibration), with presets
/// from `library` (factory and user). Errors are sentences naming the stage.
pub fn compile(
    session: &GuidedSession,
    setup: &FeedbackSetup,
    library: &[Entry],
) -> Result<Plan, String> {
    super::file::validate(session)?;
    let programs = setup.compile();
    let raw_programs = ProgramKind::ALL.map(|k| {
        CompiledProgram::for_slot(k, &setup.program(k), None)
            .unwrap_or_else(|_| CompiledProgram::factory(k, None))
    });
    let mut stages = Vec::with_capacity(session.stages.len());
    let mut baseline_features = Vec::new();
    for (i, st) in session.stages.iter().enumerate() {
        let at = |e: String| format!("stage {} ('{}'): {e}", i + 1, st.name);
        let (values, set) = stage_sound(st, library).map_err(at)?;
        let mut release = [false; N_FIELDS];
        let depth = field_index("fbdepth").expect("a field");
        if matches!(st.kind, StageKind::Train | StageKind::Integrate) && !set[depth] {
            release[depth] = true;
        }
        let a = &st.advance;
        let rule = match (a.after_s, a.in_target_s, a.mean_reward) {
            (Some(s), _, _) => Rule::After(s),
            (_, Some(seconds), _) => Rule::InTarget {
                seconds,
                max: a.max_s.unwrap_or(seconds),
            },
            (_, _, Some(level)) => Rule::MeanReward {
                level,
                over: a.over_s.unwrap_or(1.0),
                max: a.max_s.unwrap_or(1.0),
            },
            _ => unreachable!("validated: one rule per stage"),
        };
        if let Some(kind) = st.program {
            let p = &raw_programs[kind.index()];
            for t in &p.terms[..p.rewards + p.inhibits] {
                baseline_features.push(t.feature);
            }
            for r in &p.routes[..p.route_count] {
                baseline_features.extend(r.source.feature());
            }
        }
        stages.push(StagePlan {
            kind: st.kind,
            program: st.program,
            condition: st.condition,
            values,
            set,
            release,
            glide_s: st.glide_s,
            rule,
            next: st.next.as_deref().and_then(|f| session.stage_index(f)),
            fallback: st.fallback.as_deref().and_then(|f| session.stage_index(f)),
            adaptive: st.adaptive,
        });
    }
    // An EEG baseline stage records EEG features; heart terms learn the listener as they go.
    baseline_features.retain(|f| !f.is_heart());
    baseline_features.sort();
    baseline_features.dedup();
    let longest_baseline_s = session
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Baseline)
        .filter_map(|s| s.advance.after_s)
        .fold(0.0, f32::max);
    Ok(Plan {
        name: session.name.clone(),
        stage_names: session.stages.iter().map(|s| s.name.clone()).collect(),
        stages,
        programs,
        raw_programs,
        baseline_features,
        longest_baseline_s,
    })
}

/// A stage's field values and which it sets: its preset's sound fields, then its own
/// parameters, then what its kind implies where neither says (no feedback outside training
/// and integration; a return's brightening and rising beat).
fn stage_sound(
    st: &super::file::Stage,
    library: &[Entry],
) -> Result<([f32; N_FIELDS], [bool; N_FIELDS]), String> {
    let scratch = MelodiaSyncParams::default();
    let mut set = [false; N_FIELDS];
    let mut apply = |values: &std::collections::BTreeMap<String, preset::PresetValue>,
                     only_sound: bool|
     -> Result<(), String> {
        for (id, n) in preset::resolve_params(values, &scratch)? {
            match field_index(&id) {
                Some(i) => {
                    set[i] = true;
                    if let Some(ptr) = crate::params::param_by_id(&scratch, &id) {
                        // SAFETY: `ptr` points into `scratch`, alive here, used by no one else.
                        unsafe { ptr._internal_set_normalized_value(n) };
                    }
                }
                // A preset's other settings (CC numbers, targets) are not a stage's sound.
                None if only_sound => {}
                None => {
                    let ids: Vec<&str> = FIELDS.iter().map(|f| f.id).collect();
                    return Err(format!(
                        "'sound.params.{id}' is not part of a stage's sound; a stage sets {}.",
                        ids.join(", ")
                    ));
                }
            }
        }
        Ok(())
    };
    if let Some(name) = &st.sound.preset {
        let entry = preset::find(library, name)?;
        apply(&entry.preset.params, true)?;
    }
    apply(&st.sound.params, false)?;
    let mut controls = scratch.controls();
    let mut default = |id: &str, value: f32| {
        let i = field_index(id).expect("a field");
        if !set[i] {
            set[i] = true;
            (FIELDS[i].set)(&mut controls, value);
        }
    };
    match st.kind {
        StageKind::Settle | StageKind::Baseline => default("fbdepth", 0.0),
        StageKind::Return => {
            default("fbdepth", 0.0);
            default("relax", RETURN_RELAXATION);
            default("beat", return_beat_param());
        }
        StageKind::Train | StageKind::Integrate => {}
    }
    Ok((super::sound::read(&controls), set))
}
