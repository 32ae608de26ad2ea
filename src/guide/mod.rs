//! Guided sessions: a relaxation journey in stages (settle, baseline, train, integrate,
//! return) that advance when the listener gets there, with a maximum time and a fallback.
//!
//! (The per-frame session *log* is [`crate::session`]; a guided session is what the listener
//! goes through, and its log is one of those logs.)
//!
//! - [`file`]: the JSON format, parsing and validation (one sentence per problem);
//! - [`plan`]: a session compiled for the audio thread (stage sounds as field values, rules,
//!   programs calibrated and uncalibrated);
//! - [`sound`]: the controls a stage sets and how they glide;
//! - [`baseline`]: a baseline stage's recording (sorted columns, allocation-free);
//! - [`conductor`]: the running session, driven by the engine at its control points and
//!   scored frames.
//!
//! Factory sessions live in `sessions/` (one JSON file each, embedded); user sessions in the
//! user preset folder's sibling `sessions` folder ([`user_dir`]).

pub mod baseline;
pub mod conductor;
pub mod file;
pub mod plan;
pub mod sound;

use std::path::{Path, PathBuf};

pub use crate::bridge::GuideMark;
pub use conductor::Conductor;
pub use file::{parse, GuidedSession, Outcome, StageKind};
pub use plan::{compile, Plan};

/// The factory sessions, embedded.
pub const FACTORY: [(&str, &str); 5] = [
    (
        "burnout-recovery.json",
        include_str!("../../sessions/burnout-recovery.json"),
    ),
    (
        "power-nap.json",
        include_str!("../../sessions/power-nap.json"),
    ),
    (
        "sleep-onset.json",
        include_str!("../../sessions/sleep-onset.json"),
    ),
    (
        "focus-reset.json",
        include_str!("../../sessions/focus-reset.json"),
    ),
    (
        "evening-wind-down.json",
        include_str!("../../sessions/evening-wind-down.json"),
    ),
];

/// Where user sessions live: `$MELODIASYNC_GUIDE_DIR`, else `sessions` beside the user preset
/// folder (see [`crate::paths`]).
pub fn user_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("MELODIASYNC_GUIDE_DIR") {
        return Some(PathBuf::from(d));
    }
    Some(crate::paths::user_presets()?.parent()?.join("sessions"))
}

/// A session and where it came from (`None`: factory).
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    /// The session.
    pub session: GuidedSession,
    /// Its file, for a user session.
    pub file: Option<PathBuf>,
}

/// Every session: factory first, then the user folder's `.json` files. A broken user file
/// is reported in the second list (its sentence) and skipped.
pub fn library(dir: Option<&Path>) -> (Vec<Listed>, Vec<String>) {
    let mut out: Vec<Listed> = FACTORY
        .iter()
        .map(|(name, text)| Listed {
            session: parse(text.as_bytes(), name).expect("factory sessions are valid (tested)"),
            file: None,
        })
        .collect();
    let mut problems = Vec::new();
    let Some(dir) = dir else {
        return (out, problems);
    };
    let Ok(listing) = std::fs::read_dir(dir) else {
        return (out, problems);
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        match read_file(&path) {
            Ok(session) => out.push(Listed {
                session,
                file: Some(path),
            }),
            Err(e) => problems.push(e),
        }
    }
    (out, problems)
}

/// Reads and validates one session file.
pub fn read_file(path: &Path) -> Result<GuidedSession, String> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("Session '{origin}': cannot read it ({e})."))?;
    if meta.is_dir() {
        return Err(format!(
            "Session '{origin}': that is a folder, not a session file."
        ));
    }
    if meta.len() > file::MAX_BYTES {
        return Err(format!(
            "Session '{origin}': the file is {} bytes, far more than a session (at most {}); \
             it is not a MelodiaSync session.",
            meta.len(),
            file::MAX_BYTES
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("Session '{origin}': cannot read it ({e})."))?;
    parse(&bytes, &origin)
}

/// Finds a session by name (case-insensitive) in `list`, or a sentence naming those there are.
pub fn find<'a>(list: &'a [Listed], name: &str) -> Result<&'a Listed, String> {
    list.iter()
        .find(|l| l.session.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            let names: Vec<&str> = list.iter().map(|l| l.session.name.as_str()).collect();
            format!(
                "There is no guided session '{name}'. Sessions: {}.",
                names.join(", ")
            )
        })
}

/// A session by name, or read from a file path (anything with a `.json` ending or a path
/// separator), as the CLI's `--session` takes it.
pub fn resolve(name_or_file: &str) -> Result<GuidedSession, String> {
    let looks_like_file = name_or_file.ends_with(".json") || name_or_file.contains(['/', '\\']);
    if looks_like_file {
        return read_file(Path::new(name_or_file));
    }
    let (list, _) = library(user_dir().as_deref());
    find(&list, name_or_file).map(|l| l.session.clone())
}

/// The session a project chose (`params.guided`), compiled against the project's setup and
/// the preset library, ready to run, with its stage names; `None` when none runs. Main
/// thread (reads the preset library, allocates). Errors: a sentence on what is wrong with it.
pub fn conductor_for(
    params: &crate::params::MelodiaSyncParams,
) -> Result<Option<(Conductor, Vec<String>)>, String> {
    let choice = params.guided.read().map(|c| c.clone()).unwrap_or_default();
    let Some(json) = choice.session.filter(|_| choice.running) else {
        return Ok(None);
    };
    let session = parse(json.to_string().as_bytes(), "in the project")?;
    let (library, _) = crate::preset::library(crate::preset::user_dir().as_deref());
    let plan = compile(&session, &params.setup.get(), &library)
        .map_err(|e| format!("Session '{}': {e}", session.name))?;
    let names = plan.stage_names.clone();
    Ok(Some((Conductor::new(plan), names)))
}

/// Writes `session` into the user folder `dir` as `SLUG.json` (atomically). A factory
/// session's name is refused; an existing user session of the same name is replaced only
/// with `replace`. Returns the path.
pub fn save_user(dir: &Path, session: &GuidedSession, replace: bool) -> Result<PathBuf, String> {
    file::validate(session).map_err(|e| format!("Session '{}': {e}", session.name))?;
    if library(None)
        .0
        .iter()
        .any(|l| l.session.name.eq_ignore_ascii_case(&session.name))
    {
        return Err(format!(
            "'{}' is a factory session's name; rename it (field 'name') and import it again.",
            session.name
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("Cannot create the session folder '{}': {e}.", dir.display()))?;
    let path = dir.join(format!("{}.json", crate::preset::slug(&session.name)));
    if path.exists() && !replace {
        // Names that differ only in punctuation or case share a file: say whose it is.
        let held = read_file(&path).map(|s| s.name).unwrap_or_default();
        return Err(if held == session.name {
            format!(
                "A user session '{}' already exists; pass --replace to overwrite it.",
                session.name
            )
        } else {
            format!(
                "'{}' would be saved as '{}', which holds the user session '{held}'; rename \
                 it (field 'name'), or pass --replace to overwrite '{held}'.",
                session.name,
                path.display()
            )
        });
    }
    let json = serde_json::to_string_pretty(session).expect("sessions always serialise");
    crate::files::write_atomically(&path, json.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::FeedbackSetup;

    #[test]
    fn factory_sessions_are_valid_compile_and_last_as_they_say() {
        let (presets, problems) = crate::preset::library(None);
        assert!(problems.is_empty());
        let (list, _) = library(None);
        assert_eq!(list.len(), 5);
        let want = [
            ("Burnout recovery", 20.0),
            ("Power nap", 20.0),
            ("Sleep onset", 30.0),
            ("Focus reset", 10.0),
            ("Evening wind-down", 15.0),
        ];
        for (l, (name, minutes)) in list.iter().zip(want) {
            let s = &l.session;
            assert_eq!(s.name, name);
            assert!(
                !s.description.is_empty() && s.description.len() < 200,
                "{name}"
            );
            let plan = compile(s, &FeedbackSetup::default(), &presets).unwrap();
            assert_eq!(plan.stages.len(), s.stages.len());
            // The longest path (every stage to its limit, in order) is about as long as the
            // description says: within a third.
            let longest = s.longest_s() / 60.0;
            assert!(
                (longest - minutes).abs() <= minutes / 3.0,
                "{name}: {longest:.1} min"
            );
            // No medical claims in what the user reads.
            for word in ["cure", "treat", "therapy for", "heal", "diagnos"] {
                assert!(
                    !s.description.to_lowercase().contains(word),
                    "{name}: {word}"
                );
            }
        }
        // Sleep onset has no return and fades; the others come back.
        let sleep = &list[2].session;
        assert!(sleep.stages.iter().all(|s| s.kind != StageKind::Return));
        assert!(list[0]
            .session
            .stages
            .iter()
            .any(|s| s.kind == StageKind::Return));
    }

    #[test]
    fn an_import_says_whose_file_it_would_overwrite() {
        let dir = std::env::temp_dir().join(format!("ms-guide-import-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (list, _) = library(None);
        let mut s = find(&list, "Focus reset").unwrap().session.clone();
        s.name = "No baseline SMR".into();
        save_user(&dir, &s, false).unwrap();
        let e = save_user(&dir, &s, false).unwrap_err();
        assert!(
            e.contains("already exists") && e.contains("--replace"),
            "{e}"
        );
        s.name = "No baseline SMR!".into();
        let e = save_user(&dir, &s, false).unwrap_err();
        assert!(
            e.contains("which holds the user session 'No baseline SMR'"),
            "{e}"
        );
        assert_eq!(
            read_file(&dir.join("no-baseline-smr.json")).unwrap().name,
            "No baseline SMR"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
