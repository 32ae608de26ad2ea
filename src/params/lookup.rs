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
        let normalized = ptr.string_to_normalized_value(text).ok_or_else(|| {
            format!(
                "'{text}' is not a valid value for '{}' (id '{id}'); try something like '{}'.",
                ptr.name(),
                ptr.normalized_value_to_string(ptr.default_normalized_value(), true)
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

/// One row per parameter for docs and `melodiasync params`: id, name, default as text.
pub fn describe(params: &MelodiaSyncParams) -> Vec<(String, String, String)> {
    params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            // SAFETY: `ptr` points into `params`, borrowed for the duration of this call.
            unsafe {
                (
                    id,
                    ptr.name().to_string(),
                    ptr.normalized_value_to_string(ptr.default_normalized_value(), true),
                )
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
    }
}
