//! `clap.preset-load/2`: a host loads a preset it found through [`super::discovery`].
//!
//! The preset is applied to the instance's current state ([`crate::preset::Preset::apply_to_state`])
//! and the state is loaded back on the main thread exactly as a host's own state load is
//! (`Wrapper::set_state_inner`, what nice-plug's `clap.state` load calls): parameters are
//! atomics, the setup's programs are compiled here and queued for the audio thread, and the
//! host is told to rescan the parameter values. Not `set_state_object_from_gui`: while the
//! audio thread runs, that hands the state to it through a zero-capacity channel whose return
//! send blocks and allocates inside `process()`. Every call is on the main thread (the CLAP
//! spec's `[main-thread]`).

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::Path;
use std::sync::Mutex;

use clap_sys::ext::preset_load::{
    clap_host_preset_load, clap_plugin_preset_load, CLAP_EXT_PRESET_LOAD,
    CLAP_EXT_PRESET_LOAD_COMPAT,
};
use clap_sys::factory::preset_discovery::{
    CLAP_PRESET_DISCOVERY_LOCATION_FILE, CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
};
use nice_plug::wrapper::clap::{clap_host, clap_plugin, Wrapper};

use crate::preset::{self, Preset};
use crate::MelodiaSync;

/// Each live instance's host (plugin and host pointers as addresses), for the host's
/// preset-load callbacks. Touched on the main thread only: at creation, destruction and load.
static HOSTS: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

static PRESET_LOAD: clap_plugin_preset_load = clap_plugin_preset_load {
    from_location: Some(from_location),
};

/// Whether `id` names the preset-load extension (final or draft id).
pub(super) fn is_preset_load(id: &CStr) -> bool {
    id == CLAP_EXT_PRESET_LOAD || id == CLAP_EXT_PRESET_LOAD_COMPAT
}

/// The extension's vtable.
pub(super) fn extension() -> *const c_void {
    &PRESET_LOAD as *const _ as *const c_void
}

/// Records `host` as the host of `plugin`.
pub(super) fn remember_host(plugin: *const clap_plugin, host: *const clap_host) {
    if let Ok(mut hosts) = HOSTS.lock() {
        hosts.push((plugin as usize, host as usize));
    }
}

/// Forgets `plugin`'s host (the instance is being destroyed).
pub(super) fn forget_host(plugin: *const clap_plugin) {
    if let Ok(mut hosts) = HOSTS.lock() {
        hosts.retain(|(p, _)| *p != plugin as usize);
    }
}

/// `plugin`'s host, if it is a live instance.
fn host_of(plugin: *const clap_plugin) -> Option<*const clap_host> {
    let hosts = HOSTS.lock().ok()?;
    hosts
        .iter()
        .find(|(p, _)| *p == plugin as usize)
        .map(|(_, h)| *h as *const clap_host)
}

/// Where a preset is, as the discovery provider named it.
#[derive(Debug, PartialEq)]
pub(super) enum PresetLocation<'a> {
    /// A factory preset by its key (`night-sky`).
    Factory(&'a str),
    /// A user preset file.
    File(&'a Path),
}

/// Finds and reads the preset at `location`. Errors are sentences for the host to show.
pub(super) fn read(location: PresetLocation) -> Result<Preset, String> {
    match location {
        PresetLocation::Factory(key) => preset::factory()
            .find(|(k, _)| *k == key)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                let keys: Vec<&str> = preset::factory().map(|(k, _)| k).collect();
                format!(
                    "MelodiaSync has no factory preset '{key}' (it has {}); rescan the presets.",
                    keys.join(", ")
                )
            }),
        PresetLocation::File(path) => preset::read_file(path).map(|(p, _)| p),
    }
}

/// Decodes the host's location arguments.
///
/// # Safety
/// `location` and `load_key` are null or valid C strings (the CLAP spec's promise).
unsafe fn decode<'a>(
    kind: u32,
    location: *const c_char,
    load_key: *const c_char,
) -> Result<PresetLocation<'a>, String> {
    // SAFETY: the caller's promise.
    let text = |p: *const c_char| unsafe { (!p.is_null()).then(|| CStr::from_ptr(p).to_str()) };
    match kind {
        CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN => match text(load_key) {
            Some(Ok(key)) => Ok(PresetLocation::Factory(key)),
            _ => Err(
                "the host asked for a MelodiaSync factory preset without a valid key; \
                      rescan the presets."
                    .into(),
            ),
        },
        CLAP_PRESET_DISCOVERY_LOCATION_FILE => match text(location) {
            Some(Ok(path)) => Ok(PresetLocation::File(Path::new(path))),
            _ => Err("the host asked for a preset file without a valid path.".into()),
        },
        other => Err(format!(
            "the host asked for a preset at an unknown kind of location ({other})."
        )),
    }
}

unsafe extern "C" fn from_location(
    plugin: *const clap_plugin,
    kind: u32,
    location: *const c_char,
    load_key: *const c_char,
) -> bool {
    if plugin.is_null() {
        return false;
    }
    let outcome = std::panic::catch_unwind(|| {
        // SAFETY: the host passes null or valid C strings.
        let preset = unsafe { decode(kind, location, load_key) }.and_then(read)?;
        // SAFETY: `plugin` is one of this library's instances (its vtable led here), whose
        // `plugin_data` is nice-plug's wrapper for MelodiaSync.
        let wrapper = unsafe { &*((*plugin).plugin_data as *const Wrapper<MelodiaSync>) };
        let mut state = wrapper.get_state_object();
        preset.apply_to_state(&mut state)?;
        if wrapper.set_state_inner(&mut state) {
            Ok(())
        } else {
            Err(format!(
                "MelodiaSync could not apply the preset '{}'.",
                preset.name
            ))
        }
    })
    .unwrap_or_else(|_| Err("loading the preset failed inside MelodiaSync (a bug).".into()));
    if let Some(host) = host_of(plugin) {
        // SAFETY: the host pointer came with this instance and outlives it; we are on the
        // main thread, where its extension is called; the strings are the host's own.
        unsafe { report(host, &outcome, kind, location, load_key) };
    }
    if let Err(message) = &outcome {
        nice_plug::nice_error!("{message}");
    }
    outcome.is_ok()
}

/// Tells the host's preset-load extension (if it has one) that the preset loaded, or why not.
///
/// # Safety
/// `host` is a live host, on its main thread; `location` and `load_key` as the host gave them.
unsafe fn report(
    host: *const clap_host,
    outcome: &Result<(), String>,
    kind: u32,
    location: *const c_char,
    load_key: *const c_char,
) {
    // SAFETY: the caller's promise.
    let Some(ext) = (unsafe { host_preset_load(host) }) else {
        return;
    };
    match outcome {
        Ok(()) => {
            if let Some(loaded) = ext.loaded {
                // SAFETY: the host's function with its own arguments.
                unsafe { loaded(host, kind, location, load_key) };
            }
        }
        Err(message) => {
            if let Some(on_error) = ext.on_error {
                let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
                // SAFETY: as above; `text` lives through the call.
                unsafe { on_error(host, kind, location, load_key, 0, text.as_ptr()) };
            }
        }
    }
}

/// The host's preset-load extension, if it has one.
///
/// # Safety
/// `host` is a live host, on its main thread.
unsafe fn host_preset_load<'a>(host: *const clap_host) -> Option<&'a clap_host_preset_load> {
    // SAFETY: the caller's promise; the host returns null or its extension's vtable.
    unsafe {
        let get = (*host).get_extension?;
        let ext = get(host, CLAP_EXT_PRESET_LOAD.as_ptr());
        let ext = if ext.is_null() {
            get(host, CLAP_EXT_PRESET_LOAD_COMPAT.as_ptr())
        } else {
            ext
        };
        (ext as *const clap_host_preset_load).as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_keys_find_their_presets_and_an_unknown_key_is_a_sentence() {
        let p = read(PresetLocation::Factory("night-sky")).unwrap();
        assert_eq!(p.name, "Night sky");
        let e = read(PresetLocation::Factory("nope")).unwrap_err();
        assert!(
            e.contains("no factory preset 'nope'") && e.contains("night-sky"),
            "{e}"
        );
    }

    #[test]
    fn locations_decode_by_kind() {
        let key = CString::new("temple").unwrap();
        let path = CString::new("/tmp/x.json").unwrap();
        // SAFETY: valid C strings or null.
        unsafe {
            assert_eq!(
                decode(
                    CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
                    std::ptr::null(),
                    key.as_ptr()
                ),
                Ok(PresetLocation::Factory("temple"))
            );
            assert_eq!(
                decode(
                    CLAP_PRESET_DISCOVERY_LOCATION_FILE,
                    path.as_ptr(),
                    std::ptr::null()
                ),
                Ok(PresetLocation::File(Path::new("/tmp/x.json")))
            );
            assert!(decode(
                CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
                path.as_ptr(),
                std::ptr::null()
            )
            .is_err());
            assert!(decode(7, path.as_ptr(), key.as_ptr())
                .unwrap_err()
                .contains("(7)"));
        }
    }
}
