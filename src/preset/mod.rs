//! Preset files: one JSON file per preset, validated with one-sentence errors, migrated from
//! older formats, written atomically. Factory presets are embedded in the binary (the
//! `presets/` folder); user presets live in the user preset folder (see [`user_dir`]).
//!
//! A preset holds a program for one program slot (the `program` parameter position it takes
//! over) and parameter values by stable parameter id, in the parameter's own units (levels
//! 0..1, Hz, seconds, dB; enum parameters by their display name, booleans as booleans).

mod library;
mod state;

use std::collections::BTreeMap;

pub use library::{factory, find, library, read_file, save_user, slug, user_dir, Entry, Origin};

use nice_plug::prelude::{ParamPtr, Params};

use crate::feedback::program::{Program, ProgramKind};
use crate::params::MelodiaSyncParams;

/// The preset format this version writes and reads.
pub const FORMAT: u32 = 1;
/// Largest preset file accepted: a real preset is a few kilobytes.
pub const MAX_BYTES: u64 = 1 << 20;

/// The factory presets, embedded so the plugin works without the folder.
pub const FACTORY: [(&str, &str); 12] = [
    ("calm.json", include_str!("../../presets/calm.json")),
    (
        "deep-rest.json",
        include_str!("../../presets/deep-rest.json"),
    ),
    (
        "smr-focus.json",
        include_str!("../../presets/smr-focus.json"),
    ),
    (
        "cool-down.json",
        include_str!("../../presets/cool-down.json"),
    ),
    ("balance.json", include_str!("../../presets/balance.json")),
    (
        "sleep-onset.json",
        include_str!("../../presets/sleep-onset.json"),
    ),
    (
        "resonance-breathing.json",
        include_str!("../../presets/resonance-breathing.json"),
    ),
    (
        "calm-body-and-mind.json",
        include_str!("../../presets/calm-body-and-mind.json"),
    ),
    (
        "ocean-drift.json",
        include_str!("../../presets/ocean-drift.json"),
    ),
    (
        "night-sky.json",
        include_str!("../../presets/night-sky.json"),
    ),
    (
        "morning-focus.json",
        include_str!("../../presets/morning-focus.json"),
    ),
    ("temple.json", include_str!("../../presets/temple.json")),
];

/// A parameter value in a preset.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum PresetValue {
    /// A plain value in the parameter's units.
    Number(f64),
    /// On/off.
    Bool(bool),
    /// Text as the host shows it (enum names like "Suspended", or "6 Hz").
    Text(String),
}

/// One preset.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Preset {
    /// Format version.
    pub format: u32,
    /// Display name (also the user preset's file name, slugged).
    pub name: String,
    /// A sentence or two for the practitioner.
    #[serde(default)]
    pub description: String,
    /// Browser category ("Programs", "Soundscapes", ...).
    #[serde(default = "default_category")]
    pub category: String,
    /// The program slot (the `program` parameter value) this preset's program occupies.
    pub slot: ProgramKind,
    /// The program.
    pub program: Program,
    /// Parameter values by stable id (anything but `program`, which `slot` sets).
    #[serde(default)]
    pub params: BTreeMap<String, PresetValue>,
}

/// For serde's default.
fn default_category() -> String {
    "User".into()
}

pub use crate::eeg::recording::select::ELECTRODES;

/// Parses and validates a preset from `bytes`; `origin` names the file in messages. Returns the
/// preset and warnings (unknown fields, ignored for forward compatibility).
pub fn parse(bytes: &[u8], origin: &str) -> Result<(Preset, Vec<String>), String> {
    let fail = |problem: String| format!("Preset '{origin}': {problem}");
    if bytes.len() as u64 > MAX_BYTES {
        return Err(fail(format!(
            "the file is {} bytes, far more than a preset (at most {MAX_BYTES}); it is not a \
             MelodiaSync preset.",
            bytes.len()
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "not a text file (invalid UTF-8 at byte {}); it is not a MelodiaSync preset.",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(fail("the file is empty.".into()));
    }
    // Notepad and PowerShell save UTF-8 with a byte-order mark.
    let text = crate::eeg::recording::strip_bom(text);
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        fail(if e.is_eof() {
            format!("not valid JSON ({e}); the file ends too early, it may be truncated.")
        } else {
            format!("not valid JSON ({e}).")
        })
    })?;
    let format = match value.get("format") {
        None => return Err(fail("field 'format' is missing.".into())),
        Some(v) => v.as_u64().filter(|f| *f >= 1).ok_or_else(|| {
            fail(format!(
                "field 'format' must be a positive integer, not {v}."
            ))
        })?,
    };
    if format > FORMAT as u64 {
        return Err(fail(format!(
            "it was written by a newer MelodiaSync (format {format}; this version reads up to \
             {FORMAT}); update MelodiaSync to use it."
        )));
    }
    migrate(&mut value, format as u32);
    let mut warnings = Vec::new();
    let preset: Preset = {
        let mut note = |path: serde_ignored::Path| {
            warnings.push(fail(format!(
                "unknown field '{path}' ignored (written by a newer version?)."
            )))
        };
        let ignored = serde_ignored::Deserializer::new(&value, &mut note);
        serde_path_to_error::deserialize(ignored).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            if path == "." {
                fail(format!("{inner}."))
            } else {
                fail(format!("field '{path}': {inner}."))
            }
        })?
    };
    validate(&preset).map_err(fail)?;
    Ok((preset, warnings))
}

/// Brings an older format up to date (format 1 is the first; later formats add steps here).
fn migrate(value: &mut serde_json::Value, from: u32) {
    if from < FORMAT {
        value["format"] = serde_json::json!(FORMAT);
    }
}

/// Checks what the types cannot: program limits, bands, channels, parameter ids and ranges.
pub fn validate(p: &Preset) -> Result<(), String> {
    if p.name.trim().is_empty() || p.name.len() > 80 {
        return Err("field 'name' must be 1 to 80 characters.".into());
    }
    p.program.validate()?;
    for (i, t) in p
        .program
        .rewards
        .iter()
        .chain(&p.program.inhibits)
        .enumerate()
    {
        if let Some(band) = t.feature.band() {
            if band as usize >= crate::features::bands::standard_bands().len() {
                let names: Vec<&str> = crate::features::bands::STANDARD_BANDS
                    .iter()
                    .map(|b| b.feature)
                    .collect();
                return Err(format!(
                    "field 'program' term {} uses band {band}, which does not exist (bands 0-{}: \
                     {}).",
                    i + 1,
                    names.len() - 1,
                    names.join(", ")
                ));
            }
        }
    }
    for c in &p.program.channels {
        if !ELECTRODES.iter().any(|e| e.eq_ignore_ascii_case(c)) {
            return Err(format!(
                "field 'program.channels' names '{c}', which is not a 10-10 electrode label."
            ));
        }
    }
    resolve_params(&p.params, &MelodiaSyncParams::default()).map(|_| ())
}

/// The normalised value for each preset parameter, checked against the parameter's range.
pub fn resolve_params(
    values: &BTreeMap<String, PresetValue>,
    params: &MelodiaSyncParams,
) -> Result<Vec<(String, f32)>, String> {
    let mut out = Vec::new();
    for (id, value) in values {
        if id == "program" {
            return Err("field 'params.program': the program comes from 'slot'.".into());
        }
        let Some(ptr) = crate::params::param_by_id(params, id) else {
            return Err(format!(
                "field 'params.{id}': there is no parameter with that id."
            ));
        };
        out.push((id.clone(), normalized(&ptr, id, value)?));
    }
    Ok(out)
}

/// One preset value as the parameter's normalised value.
fn normalized(ptr: &ParamPtr, id: &str, value: &PresetValue) -> Result<f32, String> {
    // SAFETY: `ptr` points into a parameter object the caller keeps alive for this call.
    unsafe {
        let bad = |what: &str| {
            format!(
                "field 'params.{id}': {what} (e.g. {}).",
                ptr.normalized_value_to_string(ptr.default_normalized_value(), true)
            )
        };
        match (ptr, value) {
            (ParamPtr::BoolParam(_), PresetValue::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
            (ParamPtr::BoolParam(_), _) => Err(bad("expects true or false")),
            (_, PresetValue::Number(x)) => {
                let x = *x as f32;
                // Outside the range first: an integer parameter's normalisation would
                // overflow on a value far beyond it.
                let (lo, hi) = (ptr.preview_plain(0.0), ptr.preview_plain(1.0));
                let slack = 1e-4 * (1.0 + x.abs()) + 0.5 * step(ptr);
                if !x.is_finite() || x < lo.min(hi) - slack || x > lo.max(hi) + slack {
                    return Err(bad(&format!("{x} is outside the parameter's range")));
                }
                let n = ptr.preview_normalized(x);
                let back = ptr.preview_plain(n);
                let tolerance = 1e-4 * (1.0 + x.abs());
                if !x.is_finite() || (back - x).abs() > tolerance.max(0.5 * step(ptr)) {
                    return Err(bad(&format!("{x} is outside the parameter's range")));
                }
                Ok(n)
            }
            (_, PresetValue::Text(t)) => ptr
                .string_to_normalized_value(t)
                .ok_or_else(|| bad(&format!("'{t}' is not a valid value"))),
            (_, PresetValue::Bool(_)) => Err(bad("expects a number")),
        }
    }
}

/// Plain-value step of a stepped parameter (0 for continuous ones).
unsafe fn step(ptr: &ParamPtr) -> f32 {
    // SAFETY: as for `normalized`.
    unsafe {
        match ptr.step_count() {
            Some(n) if n > 0 => (ptr.preview_plain(1.0) - ptr.preview_plain(0.0)).abs() / n as f32,
            _ => 0.0,
        }
    }
}

impl Preset {
    /// Serialises for a file (pretty JSON).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("presets always serialise")
    }

    /// Captures the current parameter values and `program` (for the slot the `program`
    /// parameter selects) as a preset.
    pub fn capture(name: &str, params: &MelodiaSyncParams, program: Program) -> Self {
        let mut values = BTreeMap::new();
        for (id, ptr, _) in params.param_map() {
            if id == "program" {
                continue;
            }
            // SAFETY: `ptr` points into `params`, borrowed for this call.
            let value = unsafe {
                match ptr {
                    ParamPtr::BoolParam(_) => {
                        PresetValue::Bool(ptr.unmodulated_normalized_value() > 0.5)
                    }
                    ParamPtr::EnumParam(_) => PresetValue::Text(
                        ptr.normalized_value_to_string(ptr.unmodulated_normalized_value(), false),
                    ),
                    _ => PresetValue::Number(ptr.unmodulated_plain_value() as f64),
                }
            };
            values.insert(id, value);
        }
        Self {
            format: FORMAT,
            name: name.into(),
            description: String::new(),
            category: default_category(),
            slot: params.program.value(),
            program,
            params: values,
        }
    }

    /// Sets `params` to this preset (the CLI's way; the editor goes through the host). Never
    /// call while a plugin instance processes these parameters.
    pub fn apply_to(&self, params: &MelodiaSyncParams) -> Result<(), String> {
        let resolved = resolve_params(&self.params, params)?;
        let set = |id: &str, n: f32| {
            if let Some(ptr) = crate::params::param_by_id(params, id) {
                // SAFETY: `ptr` points into `params`, borrowed for this call; no other thread
                // processes them (see above).
                unsafe {
                    ptr._internal_set_normalized_value(n);
                }
            }
        };
        let slots = ProgramKind::ALL.len() - 1;
        set("program", self.slot.index() as f32 / slots as f32);
        for (id, n) in resolved {
            set(&id, n);
        }
        Ok(())
    }
}
