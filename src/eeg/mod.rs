//! The EEG side: sources (LSL, simulator, recordings) and the worker thread that owns them.
//! This is one of the two places that block or do I/O; `features/` stays pure.

pub mod analysis;
pub mod cardiac_sim;
pub mod discovery;
pub mod heart_input;
pub mod heart_source;
pub mod heart_worker;
pub mod lobby;
pub mod lsl;
pub mod outlet;
pub mod playback;
pub mod protocol;
pub mod recording;
pub mod sim;
pub mod source;
pub mod stimulus;
pub mod worker;

/// Now on the clock every EEG sample and frame time is on (liblsl's `local_clock`: the
/// monotonic clock, in seconds). A clock read, not a system call on Linux (vDSO); safe on the
/// audio thread.
pub fn local_clock() -> f64 {
    ::lsl::local_clock()
}

use std::path::PathBuf;

/// Which LSL stream property a query matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LslProp {
    /// Stream type (e.g. "EEG").
    Type,
    /// Stream name.
    Name,
    /// Source id (survives restarts of the sending app).
    SourceId,
    /// Host name of the sending machine.
    Hostname,
}

impl LslProp {
    /// The liblsl property name.
    pub fn as_lsl(self) -> &'static str {
        match self {
            LslProp::Type => "type",
            LslProp::Name => "name",
            LslProp::SourceId => "source_id",
            LslProp::Hostname => "hostname",
        }
    }
}

/// Where EEG comes from. Plain data (Send): the worker turns it into a live source on its own
/// thread, because liblsl handles must stay there.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SourceSpec {
    /// The first LSL stream whose `prop` equals `value`.
    Lsl {
        /// Property to match.
        prop: LslProp,
        /// Value to match.
        value: String,
    },
    /// The built-in simulator.
    Simulator(sim::SimConfig),
    /// A recording played at real-time pace.
    File {
        /// The recording (CSV, EDF/BDF, XDF).
        path: PathBuf,
        /// Start again at the end.
        looping: bool,
        /// Sample rate for CSV files without timestamps.
        rate: Option<f32>,
        /// Signals to read by label or number (empty: the EEG signals).
        #[serde(default)]
        channels: Vec<String>,
        /// The XDF stream by name or source id (`None`: the first EEG stream).
        #[serde(default)]
        stream: Option<String>,
    },
}

impl SourceSpec {
    /// The first LSL stream whose `prop` is `value`.
    pub fn lsl(prop: LslProp, value: impl Into<String>) -> Self {
        SourceSpec::Lsl {
            prop,
            value: value.into(),
        }
    }
}

impl std::str::FromStr for SourceSpec {
    type Err = String;

    /// What a user types for a source (the CLI's `--eeg`, `standalone --eeg`):
    /// `sim` or `sim:SCRIPT` (steady, calm, eyes-closed, focus, relax, drowse, drift); `lsl` (the first stream of
    /// type EEG) or `lsl:PROP=VALUE` with PROP one of type, name, source_id, hostname; else
    /// the path of a recording (CSV, EDF/BDF, XDF), which a live source plays in a loop.
    ///
    /// Errors: an unknown script or LSL property, or an empty value, in one sentence.
    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t == "sim" {
            return Ok(SourceSpec::Simulator(sim::SimConfig::default()));
        }
        if let Some(script) = t.strip_prefix("sim:") {
            return Ok(SourceSpec::Simulator(sim::SimConfig {
                script: sim::Script::parse(script)?,
                ..sim::SimConfig::default()
            }));
        }
        if t == "lsl" {
            return Ok(SourceSpec::default());
        }
        if let Some(query) = t.strip_prefix("lsl:") {
            let err = || {
                format!(
                    "'{t}' is not an LSL query; write lsl:PROP=VALUE with PROP one of type, \
                     name, source_id, hostname (e.g. lsl:type=EEG)."
                )
            };
            let (prop, value) = query.split_once('=').ok_or_else(err)?;
            let prop = [
                LslProp::Type,
                LslProp::Name,
                LslProp::SourceId,
                LslProp::Hostname,
            ]
            .into_iter()
            .find(|p| p.as_lsl() == prop.trim())
            .ok_or_else(err)?;
            if value.trim().is_empty() {
                return Err(err());
            }
            return Ok(SourceSpec::lsl(prop, value.trim()));
        }
        Ok(SourceSpec::File {
            path: PathBuf::from(t),
            looping: true,
            rate: None,
            channels: Vec::new(),
            stream: None,
        })
    }
}

impl Default for SourceSpec {
    /// The plugin's default: the first LSL stream of type EEG (never silently simulated data).
    fn default() -> Self {
        SourceSpec::Lsl {
            prop: LslProp::Type,
            value: "EEG".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_from_what_users_type() {
        let parse = |t: &str| t.parse::<SourceSpec>();
        assert_eq!(
            parse("sim"),
            Ok(SourceSpec::Simulator(sim::SimConfig::default()))
        );
        let SourceSpec::Simulator(focus) = parse(" sim:focus ").unwrap() else {
            panic!("not the simulator");
        };
        assert_eq!(focus.script, sim::Script::Focus);
        assert_eq!(parse("lsl"), Ok(SourceSpec::default()));
        assert_eq!(
            parse("lsl:name=Muse S"),
            Ok(SourceSpec::lsl(LslProp::Name, "Muse S"))
        );
        assert_eq!(
            parse("lsl:source_id=abc123"),
            Ok(SourceSpec::lsl(LslProp::SourceId, "abc123"))
        );
        assert_eq!(
            parse("rec/session 1.edf"),
            Ok(SourceSpec::File {
                path: PathBuf::from("rec/session 1.edf"),
                looping: true,
                rate: None,
                channels: Vec::new(),
                stream: None,
            })
        );
        for bad in ["lsl:colour=red", "lsl:name=", "lsl:type", "sim:sleepy"] {
            let e = parse(bad).unwrap_err();
            assert!(e.ends_with('.') && e.len() > 20, "{bad}: {e}");
        }
        // Offline inputs take the same syntax, and refuse live streams with a sentence.
        let e = crate::render::EegInput::parse("lsl:type=EEG").unwrap_err();
        assert!(e.contains("live LSL stream"), "{e}");
    }
}
