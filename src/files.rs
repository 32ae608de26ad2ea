//! Writing files so that no reader ever sees half of one (presets, setups, session logs'
//! summaries, feature CSVs).

use std::path::Path;

/// Writes `bytes` to a temporary file beside `path`, then renames it into place: a reader never
/// sees half a file, and a failed write leaves any previous file untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("partial");
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        format!(
            "Cannot write '{}': {e}. Check that the folder exists and is writable.",
            path.display()
        )
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
