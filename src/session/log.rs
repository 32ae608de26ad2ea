//! The per-frame CSV log, written to a temporary file and renamed when complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::record::{record_values, LABELS};
use crate::bridge::FeedbackRecord;

/// A CSV log written to a temporary file and renamed into place at the end, so a crash never
/// leaves a half-written log under the real name.
pub struct CsvLog {
    /// Buffered temp file.
    out: std::io::BufWriter<std::fs::File>,
    /// Temp path.
    tmp: PathBuf,
    /// Final path.
    path: PathBuf,
    /// A guided session's stage names, for the `stage` column.
    stage_names: Vec<String>,
}

impl CsvLog {
    /// Where the log ends up.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the log (header written); `stage_names` name a guided session's stages in
    /// the last column, `stage` (empty without one).
    pub fn create(path: &Path, stage_names: &[String]) -> Result<Self, String> {
        let tmp = path.with_extension("csv.partial");
        let file = std::fs::File::create(&tmp).map_err(|e| {
            format!(
                "Cannot create the session log '{}' ({e}); check that the folder exists and is \
                 writable.",
                path.display()
            )
        })?;
        let mut out = std::io::BufWriter::new(file);
        let header = format!("audio_time_s,eeg_time_s,{},stage\n", LABELS.join(","));
        out.write_all(header.as_bytes())
            .map_err(|e| format!("Cannot write the session log '{}': {e}.", path.display()))?;
        Ok(Self {
            out,
            tmp,
            path: path.to_path_buf(),
            stage_names: stage_names.to_vec(),
        })
    }

    /// Names the stages of a guided session that started during the log.
    pub fn set_stage_names(&mut self, names: &[String]) {
        self.stage_names = names.to_vec();
    }

    /// Appends a record.
    pub fn write(&mut self, r: &FeedbackRecord) -> Result<(), String> {
        let mut line = format!("{:.4},{:.4}", r.audio_time, r.frame.time);
        for v in record_values(r) {
            line.push_str(&format!(",{v:.6}"));
        }
        line.push(',');
        if r.guide.active {
            // Stage names are validated: no commas or quotes need escaping, but be safe.
            let name = self.stage_names.get(r.guide.stage as usize);
            line.push_str(&name.map_or(String::new(), |n| n.replace([',', '"', '\n'], " ")));
        }
        line.push('\n');
        self.out
            .write_all(line.as_bytes())
            .map_err(|e| format!("Writing the session log failed: {e}."))
    }

    /// Flushes and moves the log into place.
    pub fn finish(mut self) -> Result<PathBuf, String> {
        self.out
            .flush()
            .map_err(|e| format!("Writing the session log failed: {e}."))?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| {
            format!(
                "Cannot move the session log into place at '{}': {e}.",
                self.path.display()
            )
        })?;
        Ok(self.path)
    }
}
