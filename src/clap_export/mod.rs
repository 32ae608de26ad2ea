//! The CLAP entry point: nice-plug's plugin factory for [`MelodiaSync`], plus the two parts of
//! CLAP's preset support that nice-plug 0.4 does not offer, so CLAP hosts list the factory and
//! user presets in their own browsers and load them:
//!
//! - the preset discovery factory (`clap.preset-discovery-factory/2`, [`discovery`]), built on
//!   `clack-plugin`'s safe wrappers;
//! - the preset-load extension (`clap.preset-load/2`, [`load`]) on every instance.
//!
//! `nice_export_clap!` writes a `clap_entry` whose `get_factory` knows only the plugin factory,
//! and nice-plug's `get_extension` knows only its own extensions. So this module writes the
//! entry itself (the macro's plugin factory, for one plugin type, through nice-plug's public
//! `Wrapper`), and each new instance's vtable gets a `get_extension` that answers preset-load
//! and hands every other id to nice-plug's.

mod discovery;
mod load;

use std::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, OnceLock};

use nice_plug::wrapper::clap::{
    clap_host, clap_plugin, clap_plugin_descriptor, clap_plugin_entry, clap_plugin_factory,
    PluginDescriptor, Wrapper, CLAP_PLUGIN_FACTORY_ID, CLAP_VERSION,
};

use crate::MelodiaSync;

/// `clap_plugin::get_extension`'s type.
type GetExtension = unsafe extern "C" fn(*const clap_plugin, *const c_char) -> *const c_void;
/// `clap_plugin::destroy`'s type.
type Destroy = unsafe extern "C" fn(*const clap_plugin);

/// The plugin's descriptor (built once, as nice-plug's macro does).
fn descriptor() -> &'static PluginDescriptor {
    static DESCRIPTOR: OnceLock<PluginDescriptor> = OnceLock::new();
    DESCRIPTOR.get_or_init(PluginDescriptor::for_plugin::<MelodiaSync>)
}

/// nice-plug's own `get_extension` and `destroy` for the plugin type (the same for every
/// instance), taken from the first instance's vtable.
static NICE_VTABLE: OnceLock<(GetExtension, Destroy)> = OnceLock::new();

const PLUGIN_FACTORY: clap_plugin_factory = clap_plugin_factory {
    get_plugin_count: Some(get_plugin_count),
    get_plugin_descriptor: Some(get_plugin_descriptor),
    create_plugin: Some(create_plugin),
};

unsafe extern "C" fn get_plugin_count(_factory: *const clap_plugin_factory) -> u32 {
    1
}

unsafe extern "C" fn get_plugin_descriptor(
    _factory: *const clap_plugin_factory,
    index: u32,
) -> *const clap_plugin_descriptor {
    if index == 0 {
        descriptor().clap_plugin_descriptor()
    } else {
        std::ptr::null()
    }
}

unsafe extern "C" fn create_plugin(
    _factory: *const clap_plugin_factory,
    host: *const clap_host,
    plugin_id: *const c_char,
) -> *const clap_plugin {
    // SAFETY: the host passes a valid C string or null (checked).
    if plugin_id.is_null() || unsafe { CStr::from_ptr(plugin_id) } != descriptor().clap_id() {
        return std::ptr::null();
    }
    // SAFETY: `host` is the host's pointer for this instance, as nice-plug's factory gets it.
    let wrapper = unsafe { Wrapper::<MelodiaSync>::new(host) };
    let plugin = {
        let mut vtable = wrapper.clap_plugin.borrow_mut();
        if let (Some(get_extension), Some(destroy)) = (vtable.get_extension, vtable.destroy) {
            NICE_VTABLE.get_or_init(|| (get_extension, destroy));
            vtable.get_extension = Some(get_extension_with_presets);
            vtable.destroy = Some(destroy_instance);
        }
        wrapper.clap_plugin.as_ptr() as *const clap_plugin
    };
    load::remember_host(plugin, host);
    // The reference is released by nice-plug's `destroy` (as the macro does).
    let _ = Arc::into_raw(wrapper);
    plugin
}

/// Answers `clap.preset-load` (and its draft id) and asks nice-plug for everything else.
unsafe extern "C" fn get_extension_with_presets(
    plugin: *const clap_plugin,
    id: *const c_char,
) -> *const c_void {
    // SAFETY: the host passes a valid C string or null (checked).
    if !id.is_null() && load::is_preset_load(unsafe { CStr::from_ptr(id) }) {
        return load::extension();
    }
    match NICE_VTABLE.get() {
        // SAFETY: nice-plug's own function for this instance, with the host's arguments.
        Some((get_extension, _)) => unsafe { get_extension(plugin, id) },
        None => std::ptr::null(),
    }
}

/// Forgets the instance's host, then lets nice-plug destroy the instance.
unsafe extern "C" fn destroy_instance(plugin: *const clap_plugin) {
    load::forget_host(plugin);
    if let Some((_, destroy)) = NICE_VTABLE.get() {
        // SAFETY: nice-plug's own function for this instance, called once, by the host.
        unsafe { destroy(plugin) }
    }
}

extern "C" fn init(_plugin_path: *const c_char) -> bool {
    nice_plug::wrapper::setup_logger::<MelodiaSync>();
    true
}

extern "C" fn deinit() {}

extern "C" fn get_factory(factory_id: *const c_char) -> *const c_void {
    if factory_id.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the host passes a valid C string (null checked).
    let id = unsafe { CStr::from_ptr(factory_id) };
    if id == CLAP_PLUGIN_FACTORY_ID {
        &PLUGIN_FACTORY as *const _ as *const c_void
    } else if discovery::is_factory_id(id) {
        discovery::factory()
    } else {
        std::ptr::null()
    }
}

/// The CLAP plugin's entry point.
#[unsafe(no_mangle)]
#[used]
pub static clap_entry: clap_plugin_entry = clap_plugin_entry {
    clap_version: CLAP_VERSION,
    init: Some(init),
    deinit: Some(deinit),
    get_factory: Some(get_factory),
};
