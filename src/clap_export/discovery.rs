//! `clap.preset-discovery-factory/2`: one provider, "MelodiaSync presets", that declares
//!
//! - the factory presets, inside the plugin (location kind "plugin"), each with its stable key
//!   (`night-sky`, see [`crate::preset::factory`]);
//! - the user preset folder ([`crate::preset::user_dir`], when it exists), whose `.json` files
//!   the host reads one preset each through [`crate::preset::read_file`]; a broken file gets its
//!   sentence through the host's metadata receiver and the other files still index.
//!
//! Each preset carries its name, description, creator, the plugin's CLAP id, factory or user
//! flags and, as extra info, its browser category and program. Built on `clack-plugin`'s
//! preset-discovery wrappers (lifecycle, null checks, panics kept from the host).

use std::ffi::{c_void, CStr, CString};

use clack_extensions::preset_discovery::prelude::*;
use clack_plugin::factory::FactoryImplementation;
use clack_plugin::prelude::PluginError;
use clap_sys::factory::preset_discovery::{
    CLAP_PRESET_DISCOVERY_FACTORY_ID, CLAP_PRESET_DISCOVERY_FACTORY_ID_COMPAT,
};
use std::sync::OnceLock;

use crate::preset::{self, Preset};

/// The provider's stable id.
pub const PROVIDER_ID: &str = "com.melodiasync.presets";

/// Whether `id` names the preset discovery factory (final or draft id).
pub(super) fn is_factory_id(id: &CStr) -> bool {
    id == CLAP_PRESET_DISCOVERY_FACTORY_ID || id == CLAP_PRESET_DISCOVERY_FACTORY_ID_COMPAT
}

/// The factory, built once per process.
pub(super) fn factory() -> *const c_void {
    static FACTORY: OnceLock<PresetDiscoveryFactoryWrapper<Presets>> = OnceLock::new();
    let wrapper = FACTORY.get_or_init(|| {
        PresetDiscoveryFactoryWrapper::new(Presets {
            descriptor: ProviderDescriptor::new(PROVIDER_ID, "MelodiaSync presets")
                .with_vendor("MelodiaSync"),
        })
    });
    wrapper.wrapper().as_raw_ptr() as *const c_void
}

/// The factory: one provider.
struct Presets {
    /// The provider's descriptor.
    descriptor: ProviderDescriptor,
}

impl PresetDiscoveryFactoryImpl for Presets {
    fn provider_count(&self) -> u32 {
        1
    }

    fn provider_descriptor(&self, index: u32) -> Option<&ProviderDescriptor> {
        (index == 0).then_some(&self.descriptor)
    }

    fn create_provider<'a>(
        &'a self,
        indexer: IndexerInfo<'a>,
        provider_id: &CStr,
    ) -> Option<ProviderInstance<'a>> {
        if provider_id.to_bytes() != PROVIDER_ID.as_bytes() {
            return None;
        }
        Some(ProviderInstance::new(
            indexer,
            &self.descriptor,
            |mut indexer| {
                declare(&mut indexer)?;
                Ok(Provider)
            },
        ))
    }
}

/// Declares the file type and the two locations.
fn declare(indexer: &mut Indexer) -> Result<(), PluginError> {
    let fail = |_| PluginError::Message("the host refused a preset location");
    indexer
        .declare_filetype(FileType {
            name: c"MelodiaSync preset",
            description: Some(c"A MelodiaSync preset (JSON): a program and parameter values"),
            file_extension: Some(c"json"),
        })
        .map_err(fail)?;
    indexer
        .declare_location(LocationInfo {
            name: c"MelodiaSync factory presets",
            flags: Flags::IS_FACTORY_CONTENT,
            location: Location::Plugin,
        })
        .map_err(fail)?;
    let user = preset::user_dir()
        .filter(|d| d.is_dir())
        .and_then(|d| CString::new(d.to_string_lossy().into_owned()).ok());
    if let Some(path) = user {
        indexer
            .declare_location(LocationInfo {
                name: c"MelodiaSync user presets",
                flags: Flags::IS_USER_CONTENT,
                location: Location::File { path: &path },
            })
            .map_err(fail)?;
    }
    Ok(())
}

/// The provider: reads presets when the host asks.
struct Provider;

impl ProviderImpl<'_> for Provider {
    fn get_metadata(
        &mut self,
        location: Location,
        receiver: &mut MetadataReceiver,
    ) -> Result<(), PluginError> {
        match location {
            Location::Plugin => {
                for (key, p) in preset::factory() {
                    describe(receiver, &p, Some(key), Flags::IS_FACTORY_CONTENT)?;
                }
            }
            Location::File { path } => {
                let path =
                    std::path::Path::new(path.to_str().map_err(|_| {
                        PluginError::Message("the preset file's path is not UTF-8")
                    })?);
                match preset::read_file(path) {
                    Ok((p, _warnings)) => describe(receiver, &p, None, Flags::IS_USER_CONTENT)?,
                    Err(sentence) => {
                        let text = CString::new(sentence.replace('\0', " ")).unwrap_or_default();
                        receiver.on_error(0, Some(&text));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Sends one preset's metadata.
fn describe(
    receiver: &mut MetadataReceiver,
    p: &Preset,
    load_key: Option<&str>,
    flags: Flags,
) -> Result<(), PluginError> {
    let c = |s: &str| CString::new(s.replace('\0', " ")).unwrap_or_default();
    let (name, key) = (c(&p.name), load_key.map(c));
    let (description, category, program) = (c(&p.description), c(&p.category), c(p.slot.name()));
    let plugin_id = c(<crate::MelodiaSync as nice_plug::prelude::ClapPlugin>::CLAP_ID);
    receiver
        .begin_preset(Some(&name), key.as_deref())
        .map_err(|_| PluginError::Message("the host refused a preset"))?
        .add_plugin_id(UniversalPluginId::clap(&plugin_id))
        .set_flags(flags)
        .add_creator(c"MelodiaSync")
        .set_description(&description)
        .add_extra_info(c"category", &category)
        .add_extra_info(c"program", &program);
    Ok(())
}
