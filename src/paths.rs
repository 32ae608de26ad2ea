//! Where MelodiaSync keeps the user's files, by each platform's convention (the `dirs` crate):
//!
//! | | Linux | Windows | macOS |
//! |---|---|---|---|
//! | user presets | `$XDG_CONFIG_HOME/melodiasync/presets` (else `~/.config/...`) | `%APPDATA%\MelodiaSync\presets` | `~/Library/Application Support/MelodiaSync/presets` |
//! | session logs | `~/MelodiaSync/sessions` | `Documents\MelodiaSync\sessions` | `~/Documents/MelodiaSync/sessions` |
//!
//! `MELODIASYNC_PRESET_DIR` and `MELODIASYNC_SESSION_DIR` override them (tests, portable
//! installs).

use std::path::PathBuf;

/// The app's folder name: lower case in XDG's config folder, the product name elsewhere.
const APP: &str = if cfg!(any(windows, target_os = "macos")) {
    "MelodiaSync"
} else {
    "melodiasync"
};

/// The user preset folder: `$MELODIASYNC_PRESET_DIR`, else the platform's config folder's
/// `melodiasync/presets` (table above). `None` when the platform knows no home folder.
pub fn user_presets() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MELODIASYNC_PRESET_DIR") {
        return Some(PathBuf::from(d));
    }
    Some(dirs::config_dir()?.join(APP).join("presets"))
}

/// Where session logs go: `$MELODIASYNC_SESSION_DIR`, else `MelodiaSync/sessions` in the home
/// folder (Linux, as before) or in Documents (Windows, macOS); the temporary folder when
/// neither is known.
pub fn sessions() -> PathBuf {
    if let Some(d) = std::env::var_os("MELODIASYNC_SESSION_DIR") {
        return d.into();
    }
    let base = if cfg!(any(windows, target_os = "macos")) {
        dirs::document_dir().or_else(dirs::home_dir)
    } else {
        dirs::home_dir()
    };
    base.unwrap_or_else(std::env::temp_dir)
        .join("MelodiaSync")
        .join("sessions")
}

/// The sentence for a platform without a known home folder.
pub const NO_PRESET_FOLDER: &str = "There is no user preset folder (no home folder is known): \
                                    set MELODIASYNC_PRESET_DIR to a folder for them.";

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_keeps_its_folders() {
        // dirs follows XDG: the same folders as before this module.
        let home = PathBuf::from(std::env::var_os("HOME").unwrap());
        if std::env::var_os("MELODIASYNC_PRESET_DIR").is_none() {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".config"));
            assert_eq!(user_presets(), Some(config.join("melodiasync/presets")));
        }
        if std::env::var_os("MELODIASYNC_SESSION_DIR").is_none() {
            assert_eq!(sessions(), home.join("MelodiaSync/sessions"));
        }
    }

    #[cfg(windows)]
    #[test]
    fn windows_uses_appdata_and_documents() {
        if std::env::var_os("MELODIASYNC_PRESET_DIR").is_none() {
            let appdata = PathBuf::from(std::env::var_os("APPDATA").unwrap());
            assert_eq!(
                user_presets(),
                Some(appdata.join("MelodiaSync").join("presets"))
            );
        }
        if std::env::var_os("MELODIASYNC_SESSION_DIR").is_none() {
            let docs = dirs::document_dir().unwrap();
            assert!(docs.ends_with("Documents"), "{}", docs.display());
            assert_eq!(sessions(), docs.join("MelodiaSync").join("sessions"));
        }
    }
}
