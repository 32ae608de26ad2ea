//! The heart's live input beside the EEG: what the user chose ([`HeartSource`], saved with
//! the project), the live source it opens on the worker thread (the heart simulator, a
//! recording at its own pace, or an LSL stream of ECG, PPG or RR intervals with the EEG
//! inlet's search, clock correction and reconnection), and [`HeartSide`], which pumps it
//! through the heart analysis and reports what it sees.

use std::path::PathBuf;

use super::cardiac_sim::{CardiacSim, CardiacSimConfig, HeartScript};
use super::heart_input::HeartInput;
use super::lsl::{LslSource, StreamRules};
use super::protocol::{SourceState, SourceStatus};
use super::recording::ReadOptions;
use super::source::{Generator, Idle, Paced, Source};
use super::{LslProp, SourceSpec};
use crate::features::heart::{HeartAnalyzer, HeartConfig, HeartFeatures, HeartKind};

/// Where the heart comes from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum HeartFrom {
    /// No heart input.
    #[default]
    Off,
    /// The heart simulator, breathing by `script`.
    Simulator {
        /// How the simulated listener breathes.
        script: HeartScript,
    },
    /// The first LSL stream whose `prop` is `value`.
    Lsl {
        /// Property to match.
        prop: LslProp,
        /// Value to match.
        value: String,
    },
    /// A recording played once at real-time pace.
    File {
        /// The recording (CSV, EDF/BDF, XDF).
        path: PathBuf,
        /// Sample rate for CSV files without a time column.
        #[serde(default)]
        rate: Option<f32>,
    },
}

/// The heart input the user chose: what it carries and where it comes from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeartSource {
    /// ECG, PPG or RR intervals.
    pub kind: HeartKind,
    /// Where from.
    pub from: HeartFrom,
    /// The channel to analyse, by label or 1-based number (default: the first).
    #[serde(default)]
    pub channel: Option<String>,
}

impl HeartSource {
    /// No heart input.
    pub const OFF: HeartSource = HeartSource {
        kind: HeartKind::Ecg,
        from: HeartFrom::Off,
        channel: None,
    };

    /// Parses what a user types for a heart source of `kind`: `off`, `sim` or `sim:SCRIPT`
    /// (rest, resonance, stress, or breaths per minute), `lsl` (the first stream whose type
    /// is the kind's name: `ECG`, `PPG` or `RR`) or `lsl:PROP=VALUE`, else a recording's
    /// path. Errors are sentences.
    pub fn parse(text: &str, kind: HeartKind) -> Result<Self, String> {
        let t = text.trim();
        if let Some(script) = HeartScript::from_source(t) {
            return Ok(Self {
                kind,
                from: HeartFrom::Simulator { script: script? },
                channel: None,
            });
        }
        let from = match t {
            "" | "off" | "none" => HeartFrom::Off,
            "lsl" => HeartFrom::Lsl {
                prop: LslProp::Type,
                value: kind.name().into(),
            },
            _ => match t.parse::<SourceSpec>()? {
                SourceSpec::Lsl { prop, value } => HeartFrom::Lsl { prop, value },
                _ => HeartFrom::File {
                    path: PathBuf::from(t),
                    rate: None,
                },
            },
        };
        Ok(Self {
            kind,
            from,
            channel: None,
        })
    }

    /// Whether there is a heart input.
    pub fn is_on(&self) -> bool {
        self.from != HeartFrom::Off
    }

    /// The source in the syntax [`HeartSource::parse`] takes (for the editor's field).
    pub fn text(&self) -> String {
        match &self.from {
            HeartFrom::Off => "off".into(),
            HeartFrom::Simulator { script } => match script {
                HeartScript::Rest => "sim".into(),
                HeartScript::Resonance => "sim:resonance".into(),
                HeartScript::Stress => "sim:stress".into(),
                HeartScript::Paced(r) => format!("sim:{r}"),
            },
            HeartFrom::Lsl { prop, value } => format!("lsl:{}={value}", prop.as_lsl()),
            HeartFrom::File { path, .. } => path.display().to_string(),
        }
    }

    /// Opens the live source on the calling thread (the worker's: an LSL inlet must not
    /// move), with its first status. A recording that cannot be read gives an idle source
    /// and an error status.
    pub fn open(&self) -> (Box<dyn Source>, SourceStatus) {
        let kind = self.kind.name();
        let mut status = SourceStatus {
            stream_type: kind.into(),
            ..SourceStatus::default()
        };
        let source: Box<dyn Source> = match &self.from {
            HeartFrom::Off => {
                status.state = SourceState::Stopped;
                status.message = "No heart input.".into();
                Box::new(Idle)
            }
            HeartFrom::Simulator { script } => {
                let sim = CardiacSim::new(CardiacSimConfig::new(self.kind, *script));
                status.state = SourceState::Connected;
                status.name = "MelodiaSync heart simulator".into();
                status.labels = sim.labels().to_vec();
                status.nominal_rate = sim.rate() as f64;
                status.message =
                    format!("Simulated {kind} (script {script:?}) — not a real heart.");
                Box::new(Paced::new(sim))
            }
            HeartFrom::Lsl { prop, value } => {
                status.message = format!(
                    "Looking for an LSL {kind} stream with {} '{value}'.",
                    prop.as_lsl()
                );
                Box::new(LslSource::with_rules(*prop, value, rules(self.kind)))
            }
            HeartFrom::File { path, rate } => {
                let input = HeartInput::File {
                    path: path.clone(),
                    kind: self.kind,
                    options: ReadOptions {
                        rate: rate.or((self.kind == HeartKind::Rr).then_some(1.0)),
                        channels: vec![self.channel.clone().unwrap_or_else(|| "1".into())],
                        stream: None,
                    },
                };
                match input.open() {
                    Ok(opened) => {
                        status.state = SourceState::Connected;
                        status.name = path.display().to_string();
                        status.labels = opened.samples.labels().to_vec();
                        status.nominal_rate = opened.samples.rate() as f64;
                        status.message =
                            format!("Playing '{}' ({}).", path.display(), opened.summary);
                        status.warnings = opened.notes;
                        Box::new(Paced::new(opened.samples))
                    }
                    Err(e) => {
                        status.state = SourceState::Error;
                        status.message = format!("The heart recording: {e}");
                        Box::new(Idle)
                    }
                }
            }
        };
        (source, status)
    }
}

/// What an LSL heart stream of `kind` must be: ECG at 100–1000 Hz, PPG at 20 Hz or more,
/// RR intervals as an irregular stream (or any declared rate).
pub fn rules(kind: HeartKind) -> StreamRules {
    let base = StreamRules {
        purpose: "heart analysis",
        wanted: "",
        irregular: false,
        min_rate: 0.0,
        max_rate: f64::INFINITY,
        irregular_lost_s: 0.0,
        meanwhile: "the heart features hold",
        app: "the app that streams your heart sensor (or `melodiasync simulate --heart`)",
    };
    match kind {
        HeartKind::Ecg => StreamRules {
            wanted: "an ECG stream at 100 Hz or more",
            min_rate: 100.0,
            ..base
        },
        HeartKind::Ppg => StreamRules {
            wanted: "a PPG stream at 20 Hz or more",
            min_rate: 20.0,
            app: "the app that streams your heart sensor (or `melodiasync simulate --heart \
                  --heart-type PPG`)",
            ..base
        },
        HeartKind::Rr => StreamRules {
            wanted: "an RR-interval stream (one interval in ms per beat)",
            irregular: true,
            max_rate: 5.0,
            app: "the app that streams your heart sensor (or `melodiasync simulate --heart \
                  --heart-type RR`)",
            // Two beats at 30 bpm: a quiet stream is lost after that.
            irregular_lost_s: 4.0,
            ..base
        },
    }
}

/// The heart side of the worker: the live source, the analysis built for its layout, and
/// its status. Lives on the worker thread.
pub struct HeartSide {
    /// What the user chose.
    spec: HeartSource,
    /// The live source.
    source: Box<dyn Source>,
    /// Its status.
    status: SourceStatus,
    /// The analysis, for the current layout (rate, chosen channel).
    analyzer: Option<(HeartAnalyzer, usize, f32)>,
}

/// What the heart side reports (the editor's heart panel, `monitor`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeartStatus {
    /// The source's condition (state, sentence, stream, rate, warnings).
    pub source: SourceStatus,
    /// What the stream carries.
    pub kind: HeartKind,
    /// Whether a heart input is chosen at all.
    pub on: bool,
    /// The newest features (with why they hold, when they do).
    pub features: HeartFeatures,
    /// Beats detected (or intervals taken) since the analysis started.
    pub beats: u64,
}

impl HeartStatus {
    /// The status sentence: the source's, then why the features hold, if they do.
    pub fn sentence(&self) -> String {
        let why = self.features.issue.sentence();
        if self.source.state == SourceState::Connected && !why.is_empty() {
            format!("{} {why}", self.source.message)
        } else {
            self.source.message.clone()
        }
    }
}

impl HeartSide {
    /// Opens `spec` (call on the worker thread).
    pub fn open(spec: &HeartSource) -> Self {
        let (source, status) = spec.open();
        Self {
            spec: spec.clone(),
            source,
            status,
            analyzer: None,
        }
    }

    /// What the user chose.
    pub fn spec(&self) -> &HeartSource {
        &self.spec
    }

    /// Whether there is a heart input.
    pub fn is_on(&self) -> bool {
        self.spec.is_on()
    }

    /// Takes everything the source has ready into the analysis; rebuilds the analysis when
    /// the stream's layout changes, and starts it afresh when the stream was lost.
    pub fn pump(&mut self) {
        if !self.is_on() {
            return;
        }
        if let Some((labels, rate)) = self.source.layout() {
            let fits = self.analyzer.as_ref().is_some_and(|(_, _, r)| *r == rate);
            if !fits {
                match pick_channel(labels, self.spec.channel.as_deref()) {
                    Ok(ch) => {
                        let config = HeartConfig::live(self.spec.kind, rate);
                        self.analyzer = Some((HeartAnalyzer::new(config), ch, rate));
                    }
                    Err(why) => {
                        self.status.state = SourceState::Error;
                        self.status.message = why;
                        self.analyzer = None;
                    }
                }
            }
        }
        let before = self.status.state;
        let kind = self.spec.kind;
        let analyzer = &mut self.analyzer;
        self.source
            .pump(&mut self.status, &mut |sample: &[f32], time: f64| {
                if let Some((a, ch, _)) = analyzer.as_mut() {
                    let x = sample.get(*ch).copied().unwrap_or(f32::NAN);
                    if kind == HeartKind::Rr {
                        a.push_rr(x, time);
                    } else {
                        a.push(x, time);
                    }
                }
            });
        if self.status.state == SourceState::Lost && before == SourceState::Connected {
            // The next connection starts a fresh series: no interval spans the loss.
            if let Some((a, _, _)) = self.analyzer.as_mut() {
                a.reset();
            }
        }
    }

    /// The heart features as of local time `t` (the default, not valid and without an
    /// issue, when there is no heart input).
    pub fn features_at(&self, t: f64) -> HeartFeatures {
        match &self.analyzer {
            Some((a, _, _)) if self.is_on() => a.features_at(t),
            _ if self.is_on() => HeartFeatures {
                issue: crate::features::heart::HeartIssue::NoSignal,
                ..HeartFeatures::default()
            },
            _ => HeartFeatures::default(),
        }
    }

    /// The status as of local time `now`.
    pub fn status(&self, now: f64) -> HeartStatus {
        HeartStatus {
            source: self.status.clone(),
            kind: self.spec.kind,
            on: self.is_on(),
            features: self.features_at(now),
            beats: self.analyzer.as_ref().map_or(0, |(a, _, _)| a.beats_seen()),
        }
    }
}

/// The channel to analyse among `labels`: by label (any case) or 1-based number, default
/// the first. The error names the channels there are.
fn pick_channel(labels: &[String], wanted: Option<&str>) -> Result<usize, String> {
    let Some(w) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok(0);
    };
    if let Some(i) = labels.iter().position(|l| l.eq_ignore_ascii_case(w)) {
        return Ok(i);
    }
    match w.parse::<usize>() {
        Ok(n) if (1..=labels.len()).contains(&n) => Ok(n - 1),
        _ => Err(format!(
            "The heart stream has no channel '{w}'; it has {}.",
            labels.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heart_sources_parse_from_what_users_type_and_back() {
        let ecg = HeartKind::Ecg;
        for text in [
            "off",
            "sim",
            "sim:resonance",
            "sim:6",
            "lsl:type=ECG",
            "rec/ecg.edf",
        ] {
            let s = HeartSource::parse(text, ecg).unwrap();
            assert_eq!(HeartSource::parse(&s.text(), ecg).unwrap(), s, "{text}");
        }
        let rr = HeartSource::parse("lsl", HeartKind::Rr).unwrap();
        assert_eq!(
            rr.from,
            HeartFrom::Lsl {
                prop: LslProp::Type,
                value: "RR".into()
            }
        );
        assert!(!HeartSource::parse(" none ", ecg).unwrap().is_on());
        assert!(HeartSource::parse("sim:sprint", ecg).is_err());
        assert!(HeartSource::parse("lsl:colour=red", ecg).is_err());
        let json = serde_json::to_string(&rr).unwrap();
        assert_eq!(serde_json::from_str::<HeartSource>(&json).unwrap(), rr);
    }

    #[test]
    fn channels_are_picked_by_label_or_number() {
        let labels: Vec<String> = ["PPG1", "PPG2", "PPG3"].map(String::from).to_vec();
        assert_eq!(pick_channel(&labels, None), Ok(0));
        assert_eq!(pick_channel(&labels, Some("ppg2")), Ok(1));
        assert_eq!(pick_channel(&labels, Some("3")), Ok(2));
        assert!(pick_channel(&labels, Some("4"))
            .unwrap_err()
            .contains("PPG1, PPG2"));
    }

    #[test]
    fn the_simulator_feeds_the_analysis_on_the_wall_clock() {
        let spec = HeartSource::parse("sim", HeartKind::Rr).unwrap();
        let mut side = HeartSide::open(&spec);
        let start = ::lsl::local_clock();
        while ::lsl::local_clock() - start < 5.0 {
            side.pump();
        }
        let st = side.status(::lsl::local_clock());
        assert!(st.on && st.source.state == SourceState::Connected);
        assert!(st.beats >= 2, "{st:?}");
        assert!(st.features.hr_valid, "{st:?}");
        assert!((st.features.hr_bpm - 66.0).abs() < 10.0, "{st:?}");
    }
}
