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
        ptr._internal_set_normalized_value(normalized);
    }
    Ok(())
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
