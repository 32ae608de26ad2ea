//! The preset library on disk: the user folder, listing factory and user presets, reading,
//! naming and writing files atomically.

use std::path::{Path, PathBuf};

use super::{parse, validate, Preset, FACTORY, MAX_BYTES};
use crate::files::write_atomically;

/// Where user presets live (see [`crate::paths::user_presets`]).
pub fn user_dir() -> Option<PathBuf> {
    crate::paths::user_presets()
}

/// Where a preset in the list comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary.
    Factory,
    /// A file in the user folder.
    User(PathBuf),
}

/// A loaded preset and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The preset.
    pub preset: Preset,
    /// Its origin.
    pub origin: Origin,
}

/// The factory presets with their stable keys: the file name in `presets/` without `.json`
/// (`night-sky`), which CLAP hosts keep to load a preset again.
pub fn factory() -> impl Iterator<Item = (&'static str, Preset)> {
    FACTORY.iter().map(|(file, text)| {
        let preset = parse(text.as_bytes(), file)
            .expect("factory presets are valid (checked by a test)")
            .0;
        (file.trim_end_matches(".json"), preset)
    })
}

/// Every preset: factory first, then the user folder's. A broken user file is reported in the
/// second list and skipped; the others still load.
pub fn library(dir: Option<&Path>) -> (Vec<Entry>, Vec<String>) {
    let mut entries: Vec<Entry> = factory()
        .map(|(_, preset)| Entry {
            preset,
            origin: Origin::Factory,
        })
        .collect();
    let mut problems = Vec::new();
    let Some(dir) = dir else {
        return (entries, problems);
    };
    let Ok(listing) = std::fs::read_dir(dir) else {
        // No folder yet: no user presets.
        return (entries, problems);
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        match read_file(&path) {
            Ok((preset, warnings)) => {
                problems.extend(warnings);
                entries.push(Entry {
                    preset,
                    origin: Origin::User(path),
                });
            }
            Err(e) => problems.push(e),
        }
    }
    (entries, problems)
}

/// Reads and validates one preset file.
pub fn read_file(path: &Path) -> Result<(Preset, Vec<String>), String> {
    let origin = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|e| format!("Preset '{origin}': cannot read it ({e})."))?
        .len();
    if size > MAX_BYTES {
        // Refused before reading: a huge file is never loaded into memory.
        return Err(format!(
            "Preset '{origin}': the file is {size} bytes, far more than a preset (at most \
             {MAX_BYTES}); it is not a MelodiaSync preset."
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("Preset '{origin}': cannot read it ({e})."))?;
    parse(&bytes, &origin)
}

/// A file name for a preset name: lower case, letters and digits, dashes between words.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "preset".into()
    } else {
        out
    }
}

/// Saves `preset` in the user folder as `slug(name).json` (creating the folder); refuses to
/// overwrite a different preset's file unless `replace`. Returns the path.
pub fn save_user(dir: &Path, preset: &Preset, replace: bool) -> Result<PathBuf, String> {
    validate(preset).map_err(|e| format!("Preset '{}': {e}", preset.name))?;
    if factory_names()
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&preset.name))
    {
        return Err(format!(
            "'{}' is a factory preset's name; choose another name.",
            preset.name
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("Cannot create the preset folder '{}': {e}.", dir.display()))?;
    let path = dir.join(format!("{}.json", slug(&preset.name)));
    if path.exists() && !replace {
        return Err(format!(
            "A user preset '{}' already exists; pass --replace to overwrite it.",
            preset.name
        ));
    }
    write_atomically(&path, preset.to_json().as_bytes())?;
    Ok(path)
}

/// The factory presets' names.
fn factory_names() -> Vec<String> {
    library(None).0.into_iter().map(|e| e.preset.name).collect()
}

/// Finds a preset by name (case-insensitive).
pub fn find<'a>(entries: &'a [Entry], name: &str) -> Result<&'a Entry, String> {
    entries
        .iter()
        .find(|e| e.preset.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            let names: Vec<&str> = entries.iter().map(|e| e.preset.name.as_str()).collect();
            format!(
                "There is no preset '{name}'. Presets: {}.",
                names.join(", ")
            )
        })
}
