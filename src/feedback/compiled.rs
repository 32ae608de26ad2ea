//! A program as the audio thread holds it: validated, fixed-size and `Copy`, with the
//! baseline numbers its terms and routes need, so switching programs never allocates.

use super::mapping::{Route, MAX_ROUTES};
use super::program::{Entrainment, Program, ProgramKind, Term, MAX_TERMS};
use crate::features::baseline::BaselineStats;
use crate::features::baseline::{BaselineSource, FeatureId};
use crate::features::extractor::Estimator;

/// Baseline numbers one term needs (copied out of [`BaselineStats`] so the audio thread never
/// touches a `Vec`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TermBaseline {
    /// Mean.
    pub mean: f32,
    /// Standard deviation.
    pub std: f32,
    /// Median.
    pub median: f32,
    /// 15th percentile.
    pub low: f32,
    /// 85th percentile.
    pub high: f32,
}

impl TermBaseline {
    /// The numbers of feature `id` in `baseline`, or `None` when the baseline lacks it (a
    /// heart feature in an EEG baseline, a feature a guided stage did not keep): the term
    /// then learns the listener as it goes, as without a baseline.
    pub fn of(baseline: &impl BaselineSource, id: FeatureId) -> Option<Self> {
        let b = Self {
            mean: baseline.mean(id),
            std: baseline.std(id),
            median: baseline.percentile(id, 50.0),
            low: baseline.percentile(id, 15.0),
            high: baseline.percentile(id, 85.0),
        };
        [b.mean, b.std, b.median, b.low, b.high]
            .iter()
            .all(|x| x.is_finite())
            .then_some(b)
    }
}

/// A validated program in fixed-size form for the audio thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompiledProgram {
    /// Which factory program it came from (for display and state), if any.
    pub kind: Option<ProgramKind>,
    /// Reward terms, then inhibit terms.
    pub terms: [Term; MAX_TERMS],
    /// Reward terms in use.
    pub rewards: usize,
    /// Inhibit terms in use.
    pub inhibits: usize,
    /// Baseline per term, when calibrated.
    pub baseline: [Option<TermBaseline>; MAX_TERMS],
    /// See [`Program::min_quality`].
    pub min_quality: f32,
    /// See [`Program::dwell_s`].
    pub dwell_s: f32,
    /// See [`Program::success_rate`].
    pub success_rate: f32,
    /// See [`Program::adaptation_s`].
    pub adaptation_s: f32,
    /// Routes in use first.
    pub routes: [Route; MAX_ROUTES],
    /// Routes in use.
    pub route_count: usize,
    /// Baseline per route source (for z-score sources).
    pub route_baseline: [Option<TermBaseline>; MAX_ROUTES],
    /// See [`Program::entrainment`].
    pub entrainment: Option<Entrainment>,
    /// See [`Program::estimator`].
    pub estimator: Estimator,
    /// See [`Program::pacer`].
    pub pacer: bool,
}

impl CompiledProgram {
    /// Compiles a validated program, uncalibrated (see [`CompiledProgram::calibrated`]).
    pub fn compile(program: &Program, kind: Option<ProgramKind>) -> Result<Self, String> {
        program.validate()?;
        let placeholder = program.rewards[0];
        let mut terms = [placeholder; MAX_TERMS];
        for (slot, t) in terms
            .iter_mut()
            .zip(program.rewards.iter().chain(&program.inhibits))
        {
            *slot = *t;
        }
        let mut routes = [Route::NONE; MAX_ROUTES];
        for (slot, r) in routes.iter_mut().zip(&program.mapping) {
            *slot = *r;
        }
        Ok(Self {
            kind,
            terms,
            rewards: program.rewards.len(),
            inhibits: program.inhibits.len(),
            baseline: [None; MAX_TERMS],
            min_quality: program.min_quality,
            dwell_s: program.dwell_s,
            success_rate: program.success_rate,
            adaptation_s: program.adaptation_s,
            routes,
            route_count: program.mapping.len(),
            route_baseline: [None; MAX_ROUTES],
            entrainment: program.entrainment,
            estimator: program.estimator,
            pacer: program.pacer,
        })
    }

    /// This program calibrated to `baseline`: each term's target from the baseline's
    /// percentiles ([`Term::calibrate`]) and the baseline numbers its terms and z-score
    /// routes need. Allocation-free, so a guided session's baseline stage calibrates its
    /// programs on the audio thread; call it on the uncalibrated program.
    pub fn calibrated(&self, baseline: &impl BaselineSource) -> Self {
        let mut out = *self;
        let used = self.rewards + self.inhibits;
        for (i, (t, b)) in out.terms.iter_mut().zip(&mut out.baseline).enumerate() {
            if i < used {
                t.calibrate(i >= self.rewards, baseline);
                *b = TermBaseline::of(baseline, t.feature);
            }
        }
        for (r, b) in out.routes[..self.route_count]
            .iter()
            .zip(&mut out.route_baseline)
        {
            *b = r
                .source
                .feature()
                .and_then(|id| TermBaseline::of(baseline, id));
        }
        out
    }

    /// The factory program `kind`, compiled (with `baseline` if calibrated).
    pub fn factory(kind: ProgramKind, baseline: Option<&BaselineStats>) -> Self {
        Self::for_slot(kind, &Program::factory(kind), baseline)
            .expect("factory programs are valid (checked by a unit test)")
    }

    /// `program` compiled for slot `kind`, with its targets calibrated to `baseline` if given.
    pub fn for_slot(
        kind: ProgramKind,
        program: &Program,
        baseline: Option<&BaselineStats>,
    ) -> Result<Self, String> {
        let compiled = Self::compile(program, Some(kind))?;
        Ok(match baseline {
            Some(b) => compiled.calibrated(b),
            None => compiled,
        })
    }

    /// Every factory program, compiled, in [`ProgramKind::ALL`] order.
    pub fn factory_table(baseline: Option<&BaselineStats>) -> [Self; ProgramKind::COUNT] {
        ProgramKind::ALL.map(|k| Self::factory(k, baseline))
    }
}
