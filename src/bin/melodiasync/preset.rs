//! `melodiasync preset`: list, show, save, import, export, rename and delete presets.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use melodiasync::feedback::program::{Program, ProgramKind};
use melodiasync::params::{self, MelodiaSyncParams};
use melodiasync::preset;

use crate::apply_sets;

/// The preset subcommands.
#[derive(Subcommand)]
pub(crate) enum PresetCmd {
    /// Every preset with its category and origin (factory or the user file).
    List,
    /// A preset as JSON.
    Show {
        /// Preset name.
        name: String,
    },
    /// Save the parameter defaults (or another preset) with --set changes as a user preset.
    Save {
        /// Name of the new preset.
        name: String,
        /// Start from this preset instead of the defaults.
        #[arg(long)]
        from: Option<String>,
        /// Program slot: calm, deep-rest, smr-focus, cool-down, balance, sleep-onset.
        #[arg(long)]
        program: Option<String>,
        /// Parameter changes, as for `render`.
        #[arg(long = "set", value_name = "ID=VALUE")]
        sets: Vec<String>,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Overwrite a user preset of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Validate a preset file and copy it into the user folder.
    Import {
        /// The file.
        file: PathBuf,
        /// Overwrite a user preset of the same name.
        #[arg(long)]
        replace: bool,
    },
    /// Write a preset to a file.
    Export {
        /// Preset name.
        name: String,
        /// Destination file.
        file: PathBuf,
    },
    /// Rename a user preset.
    Rename {
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// Delete a user preset.
    Delete {
        /// Preset name.
        name: String,
    },
}

/// The user preset folder, or a sentence saying why there is none.
fn user_presets() -> Result<PathBuf, String> {
    preset::user_dir().ok_or_else(|| melodiasync::paths::NO_PRESET_FOLDER.to_string())
}

/// Runs `preset`.
pub(crate) fn run(what: PresetCmd) -> Result<(), String> {
    let dir = preset::user_dir();
    let (entries, problems) = preset::library(dir.as_deref());
    for p in &problems {
        eprintln!("warning: {p}");
    }
    let user_entry = |name: &str| -> Result<(preset::Preset, PathBuf), String> {
        let e = preset::find(&entries, name)?;
        match &e.origin {
            preset::Origin::User(path) => Ok((e.preset.clone(), path.clone())),
            preset::Origin::Factory => Err(format!(
                "'{}' is a factory preset; factory presets cannot be changed (save a copy with `melodiasync preset save NEW --from \"{}\"`).",
                e.preset.name, e.preset.name
            )),
        }
    };
    match what {
        PresetCmd::List => {
            for e in &entries {
                let origin = match &e.origin {
                    preset::Origin::Factory => "factory".to_string(),
                    preset::Origin::User(p) => p.display().to_string(),
                };
                println!(
                    "{:<20} {:<12} {:<12} {}",
                    e.preset.name,
                    e.preset.category,
                    e.preset.slot.id(),
                    origin
                );
            }
            if let Some(d) = &dir {
                println!("user presets: {}", d.display());
            }
        }
        PresetCmd::Show { name } => println!("{}", preset::find(&entries, &name)?.preset.to_json()),
        PresetCmd::Save {
            name,
            from,
            program,
            sets,
            description,
            replace,
        } => {
            let params = Arc::new(MelodiaSyncParams::default());
            let mut slot_program = None;
            if let Some(base) = from {
                let e = preset::find(&entries, &base)?;
                e.preset.apply_to(&params)?;
                slot_program = Some(e.preset.program.clone());
            }
            apply_sets(&params, &sets)?;
            if let Some(p) = program {
                let kind = ProgramKind::parse(&p)?;
                params::set_from_text(&params, "program", kind.name())?;
                if slot_program.is_some() {
                    // The base preset's program belonged to its own slot.
                    slot_program = None;
                }
            }
            let program = slot_program.unwrap_or_else(|| Program::factory(params.program.value()));
            let mut p = preset::Preset::capture(&name, &params, program);
            p.description = description;
            let path = preset::save_user(&user_presets()?, &p, replace)?;
            println!("saved '{}' to {}", p.name, path.display());
        }
        PresetCmd::Import { file, replace } => {
            let (p, warnings) = preset::read_file(&file)?;
            for w in warnings {
                eprintln!("warning: {w}");
            }
            let path = preset::save_user(&user_presets()?, &p, replace)?;
            println!("imported '{}' to {}", p.name, path.display());
        }
        PresetCmd::Export { name, file } => {
            let p = &preset::find(&entries, &name)?.preset;
            melodiasync::files::write_atomically(&file, p.to_json().as_bytes())?;
            println!("exported '{}' to {}", p.name, file.display());
        }
        PresetCmd::Rename { name, new_name } => {
            let (mut p, old_path) = user_entry(&name)?;
            p.name = new_name.clone();
            let path = preset::save_user(&user_presets()?, &p, false)?;
            if path != old_path {
                std::fs::remove_file(&old_path).map_err(|e| {
                    format!("Saved '{new_name}' but could not remove the old file: {e}.")
                })?;
            }
            println!("renamed '{name}' to '{new_name}' ({})", path.display());
        }
        PresetCmd::Delete { name } => {
            let (p, path) = user_entry(&name)?;
            std::fs::remove_file(&path)
                .map_err(|e| format!("Cannot delete '{}': {e}.", path.display()))?;
            println!("deleted '{}'", p.name);
        }
    }
    Ok(())
}
