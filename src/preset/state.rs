//! A preset applied to a saved plugin state: how a CLAP host's own preset browser loads a
//! preset (`clap.preset-load`), through the same state path as a project load.

use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::{Param, ParamPtr};

use super::Preset;
use crate::feedback::FeedbackSetup;
use crate::params::{param_by_id, MelodiaSyncParams};

/// The persisted field that holds the programs per slot (see [`MelodiaSyncParams::setup`]).
const SETUP_FIELD: &str = "feedback-setup";

impl Preset {
    /// Applies this preset to `state` (a nice-plug plugin state, as the plugin saves it): its
    /// parameters and the `program` parameter (its slot) take the preset's values and its
    /// program replaces the slot's program in the saved feedback setup. Every other parameter
    /// and field (EEG source, montage, calibration baseline, adaptive thresholds) stays as it
    /// was: the same result as applying the preset in the editor.
    ///
    /// Errors: a sentence when a value does not fit its parameter or the state's setup cannot
    /// be read; `state` is then untouched.
    pub fn apply_to_state(&self, state: &mut PluginState) -> Result<(), String> {
        // Normalising, clamping and enum ids are the parameters' own: apply to a scratch set,
        // then read the plain values back as nice-plug saves them.
        let scratch = MelodiaSyncParams::default();
        self.apply_to(&scratch)?;
        let mut setup: FeedbackSetup = match state.fields.get(SETUP_FIELD) {
            None => FeedbackSetup::default(),
            Some(text) => serde_json::from_str(text)
                .map_err(|e| format!("the plugin's saved feedback setup cannot be read ({e})."))?,
        };
        setup.programs.insert(self.slot, self.program.clone());
        let setup_text = serde_json::to_string(&setup).expect("setups always serialise");
        let mut values = Vec::with_capacity(self.params.len() + 1);
        for id in std::iter::once("program").chain(self.params.keys().map(String::as_str)) {
            let ptr = param_by_id(&scratch, id)
                .ok_or_else(|| format!("there is no parameter '{id}'."))?;
            values.push((id.to_string(), saved_value(&ptr)));
        }
        state.params.extend(values);
        state.fields.insert(SETUP_FIELD.into(), setup_text);
        Ok(())
    }
}

/// A parameter's current value in the form nice-plug saves it: plain floats and integers,
/// booleans, and enums by their stable id when they have one (else by index).
fn saved_value(ptr: &ParamPtr) -> ParamValue {
    // SAFETY: `ptr` points into parameters the caller keeps alive for this call.
    unsafe {
        match ptr {
            ParamPtr::FloatParam(p) => ParamValue::F32((**p).unmodulated_plain_value()),
            ParamPtr::IntParam(p) => ParamValue::I32((**p).unmodulated_plain_value()),
            ParamPtr::BoolParam(p) => ParamValue::Bool((**p).unmodulated_plain_value()),
            ParamPtr::EnumParam(p) => match (**p).unmodulated_plain_id() {
                Some(id) => ParamValue::String(id.to_owned()),
                None => ParamValue::I32((**p).unmodulated_plain_value()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::program::ProgramKind;
    use crate::preset::{parse, FACTORY};
    use nice_plug::prelude::Params;
    use std::collections::BTreeMap;

    /// `ParamValue` has no `PartialEq`: compare as saved.
    fn json(v: &ParamValue) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }

    /// A state as the plugin saves it with default parameters and an edited Calm program.
    fn default_state() -> PluginState {
        let params = MelodiaSyncParams::default();
        let mut values = BTreeMap::new();
        for (id, ptr, _) in params.param_map() {
            values.insert(id, saved_value(&ptr));
        }
        let mut setup = FeedbackSetup::default();
        let mut calm = crate::feedback::program::Program::factory(ProgramKind::Calm);
        calm.name = "My calm".into();
        setup.programs.insert(ProgramKind::Calm, calm);
        let mut fields = params.serialize_fields();
        fields.insert(SETUP_FIELD.into(), serde_json::to_string(&setup).unwrap());
        PluginState {
            version: "test".into(),
            params: values,
            fields,
        }
    }

    #[test]
    fn a_preset_applied_to_a_state_loads_as_applying_it_to_the_parameters() {
        for (file, text) in FACTORY {
            let preset = parse(text.as_bytes(), file).unwrap().0;
            let mut state = default_state();
            let before = state.clone();
            preset.apply_to_state(&mut state).unwrap();
            // Independent: the preset applied straight to parameters (the CLI's way).
            let direct = MelodiaSyncParams::default();
            preset.apply_to(&direct).unwrap();
            for (id, ptr, _) in direct.param_map() {
                let want = json(&saved_value(&ptr));
                let got = json(&state.params[&id]);
                if preset.params.contains_key(&id) || id == "program" {
                    assert_eq!(got, want, "{file}: {id}");
                } else {
                    assert_eq!(got, json(&before.params[&id]), "{file}: {id} kept");
                }
            }
            let setup: FeedbackSetup = serde_json::from_str(&state.fields[SETUP_FIELD]).unwrap();
            assert_eq!(setup.programs[&preset.slot], preset.program, "{file}");
            if preset.slot != ProgramKind::Calm {
                assert_eq!(setup.programs[&ProgramKind::Calm].name, "My calm", "{file}");
            }
            for (key, value) in &before.fields {
                if key != SETUP_FIELD {
                    assert_eq!(&state.fields[key], value, "{file}: field {key} kept");
                }
            }
        }
    }

    #[test]
    fn an_unreadable_saved_setup_is_said_and_the_state_is_untouched() {
        let preset = parse(FACTORY[7].1.as_bytes(), FACTORY[7].0).unwrap().0;
        let mut state = default_state();
        state.fields.insert(SETUP_FIELD.into(), "{not json".into());
        let before = state.clone();
        let e = preset.apply_to_state(&mut state).unwrap_err();
        assert!(e.contains("feedback setup cannot be read"), "{e}");
        let all = |s: &PluginState| serde_json::to_value(&s.params).unwrap();
        assert_eq!(all(&state), all(&before));
        assert_eq!(state.fields, before.fields);
    }
}
