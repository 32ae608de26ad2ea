//! Parameters by their stable id, for the CLI, presets and the editor: lookup, setting from
//! the text a host shows, and the table `melodiasync params` prints.

use std::sync::Arc;

use nice_plug::prelude::*;

use super::MelodiaSyncParams;

/// Sets the parameter with stable id `id` from text as a host would show it ("6 Hz", "40 %",
/// "A2", "-6"), through the parameter's own parser. For the CLI; never called while a plugin
/// instance processes these parameters.
pub fn set_from_text(params: &Arc<MelodiaSyncParams>, id: &str, text: &str) -> Result<(), String> {
    let Some(ptr) = param_by_id(params, id) else {
        let map = params.param_map();
        let ids: Vec<&str> = map.iter().map(|(pid, _, _)| pid.as_str()).collect();
        return Err(format!(
            "There is no parameter with id '{id}'. Known ids: {}.",
            ids.join(", ")
        ));
    };
    // SAFETY: `ptr` points into `params`, which the caller keeps alive for this call, and no
    // other thread reads these parameters while the CLI configures them.
    unsafe {
        let normalized = ptr
            .string_to_normalized_value(text)
            .or_else(|| choice_by_text(&ptr, text))
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a valid value for '{}' (id '{id}'); {}.",
                    ptr.name(),
                    match choices(&ptr) {
                        Some(names) => format!("choose one of {}", names.join(", ")),
                        None => format!("use {}", values_text(&ptr)),
                    }
                )
            })?;
        // The parameter clamps what is beyond its range; a command line says so instead.
        if beyond_range(&ptr, text, normalized) {
            return Err(format!(
                "'{text}' is outside the range of '{}' (id '{id}'): use {} to {}.",
                ptr.name(),
                ptr.normalized_value_to_string(0.0, true),
                ptr.normalized_value_to_string(1.0, true)
            ));
        }
        ptr._internal_set_normalized_value(normalized);
    }
    Ok(())
}

/// Whether `text`, which the parameter read as `normalized`, asked for a number beyond its
/// range (which the parameter clamped to an end), or for NaN. Text that does not start with
/// a number (a choice's name) is never beyond.
///
/// # Safety
/// `ptr` must point into a parameter object the caller keeps alive.
unsafe fn beyond_range(ptr: &ParamPtr, text: &str, normalized: f32) -> bool {
    let Some(asked) = leading_number(text) else {
        return false;
    };
    // SAFETY: as the caller promises.
    let shown = unsafe { ptr.normalized_value_to_string(normalized, false) };
    let Some(got) = leading_number(&shown) else {
        return false;
    };
    let tolerance = 1e-3 * (1.0 + got.abs()) + 1e-6;
    asked.is_nan()
        || (normalized >= 1.0 && asked > got + tolerance)
        || (normalized <= 0.0 && asked < got - tolerance)
}

/// The number `text` starts with ("+20 dB" -> 20, "-3.5" -> -3.5, "1e3Hz" -> 1000, "inf"),
/// if any.
fn leading_number(text: &str) -> Option<f64> {
    let t = text.trim();
    (1..=t.len())
        .rev()
        .filter(|&end| t.is_char_boundary(end))
        .find_map(|end| t[..end].parse::<f64>().ok())
}

/// The parameter whose stable id (the id hosts save: "beat", "tgt_1") is `id`. The pointer
/// is valid while `params` lives.
pub fn param_by_id(params: &MelodiaSyncParams, id: &str) -> Option<ParamPtr> {
    params
        .param_map()
        .into_iter()
        .find(|(pid, _, _)| pid == id)
        .map(|(_, ptr, _)| ptr)
}

/// The names of a choice parameter's values in order (`None` for other parameters).
///
/// # Safety
/// `ptr` must point into a parameter object the caller keeps alive.
unsafe fn choices(ptr: &ParamPtr) -> Option<Vec<String>> {
    let ParamPtr::EnumParam(_) = ptr else {
        return None;
    };
    // SAFETY: as the caller promises.
    unsafe {
        let last = ptr.step_count()?.max(1);
        Some(
            (0..=last)
                .map(|k| ptr.normalized_value_to_string(k as f32 / last as f32, false))
                .collect(),
        )
    }
}

/// A choice parameter's value named `text` however it is spelt ("off", "Off", "10min",
/// "10 min", "PROGRAM"): letters compared without case and spaces.
///
/// # Safety
/// `ptr` must point into a parameter object the caller keeps alive.
unsafe fn choice_by_text(ptr: &ParamPtr, text: &str) -> Option<f32> {
    let key = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    // SAFETY: as the caller promises.
    let names = unsafe { choices(ptr)? };
    let last = (names.len() - 1).max(1) as f32;
    names
        .iter()
        .position(|n| key(n) == key(text))
        .map(|k| k as f32 / last)
}

/// What values a parameter takes, for people: "0.5 Hz to 40.0 Hz", "on or off", or its
/// choices.
///
/// # Safety
/// `ptr` must point into a parameter object the caller keeps alive.
unsafe fn values_text(ptr: &ParamPtr) -> String {
    // SAFETY: as the caller promises.
    unsafe {
        if let Some(names) = choices(ptr) {
            return names.join(" | ");
        }
        if let ParamPtr::BoolParam(_) = ptr {
            return "on or off".into();
        }
        format!(
            "{} to {}",
            ptr.normalized_value_to_string(0.0, true),
            ptr.normalized_value_to_string(1.0, true)
        )
    }
}

/// One parameter as `melodiasync params` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamRow {
    /// Stable id (what hosts save and `--set` takes).
    pub id: String,
    /// Name as hosts show it.
    pub name: String,
    /// Default, as text.
    pub default: String,
    /// What values it takes: its range, its choices, or on/off.
    pub values: String,
}

/// One row per parameter for docs and `melodiasync params`.
pub fn describe(params: &MelodiaSyncParams) -> Vec<ParamRow> {
    params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            // SAFETY: `ptr` points into `params`, borrowed for the duration of this call.
            unsafe {
                ParamRow {
                    id,
                    name: ptr.name().to_string(),
                    default: ptr.normalized_value_to_string(ptr.default_normalized_value(), true),
                    values: values_text(&ptr),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_beyond_a_range_are_refused_with_it_and_values_within_are_set() {
        let p = Arc::new(MelodiaSyncParams::default());
        for (id, text) in [
            ("beat", "100"),
            ("out", "+20"),
            ("out", "-100"),
            ("relax", "150"),
            ("ccch", "20"),
            ("beat", "inf"),
            ("beat", "NaN"),
        ] {
            let before =
                param_by_id(&p, id).map(|ptr| unsafe { ptr.unmodulated_normalized_value() });
            let err = set_from_text(&p, id, text).unwrap_err();
            assert!(
                err.contains("outside the range") && err.contains(" to "),
                "{id}={text}: {err}"
            );
            let after =
                param_by_id(&p, id).map(|ptr| unsafe { ptr.unmodulated_normalized_value() });
            assert_eq!(before, after, "{id}={text} changed the value");
        }
        set_from_text(&p, "beat", "6").unwrap();
        assert!((p.beat_hz.value() - 6.0).abs() < 1e-4);
        set_from_text(&p, "relax", "80").unwrap();
        assert!((p.relaxation.value() - 0.8).abs() < 1e-4);
        set_from_text(&p, "adapttime", "10 min").unwrap();
        assert_eq!(p.adaptation.value(), crate::feedback::Adaptation::M10);
        // Choices however they are spelt: names without case or spaces, and the ids.
        for (text, want) in [
            ("off", crate::feedback::Adaptation::Off),
            ("Off", crate::feedback::Adaptation::Off),
            ("10min", crate::feedback::Adaptation::M10),
            ("PROGRAM", crate::feedback::Adaptation::Program),
            ("30s", crate::feedback::Adaptation::S30),
        ] {
            set_from_text(&p, "adapttime", text).unwrap();
            assert_eq!(p.adaptation.value(), want, "{text}");
        }
        let err = set_from_text(&p, "adapttime", "5").unwrap_err();
        assert!(err.contains("choose one of Program, 30 s, 1 min"), "{err}");
        assert!(err.contains("Off"), "{err}");
    }
}
