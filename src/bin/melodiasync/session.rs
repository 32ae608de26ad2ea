//! `melodiasync session`: list, show, validate and import guided sessions.

use std::path::PathBuf;

use clap::Subcommand;
use melodiasync::feedback::FeedbackSetup;
use melodiasync::guide::{self, GuidedSession};
use melodiasync::preset;

/// The session subcommands.
#[derive(Subcommand)]
pub(crate) enum SessionCmd {
    /// Every guided session: name, length, stages, origin (factory or the user file).
    List,
    /// A session's stages: kind, program, when it advances, where it leads, its sound.
    Show {
        /// Session name, or a session file's path.
        name: String,
        /// The session as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Check a session file (its stages, rules, programs, presets and parameters).
    Validate {
        /// The file.
        file: PathBuf,
    },
    /// Validate a session file and copy it into the user session folder.
    Import {
        /// The file.
        file: PathBuf,
        /// Overwrite a user session of the same name.
        #[arg(long)]
        replace: bool,
    },
}

/// Runs a session subcommand.
pub(crate) fn run(cmd: SessionCmd) -> Result<(), String> {
    match cmd {
        SessionCmd::List => {
            let (list, problems) = guide::library(guide::user_dir().as_deref());
            for l in &list {
                let s = &l.session;
                let origin = l
                    .file
                    .as_ref()
                    .map_or("factory".to_string(), |f| f.display().to_string());
                println!(
                    "{:<20} {:>7}, {} stage{}  {}  ({origin})",
                    s.name,
                    GuidedSession::describe_length(s.longest_s()),
                    s.stages.len(),
                    if s.stages.len() == 1 { "" } else { "s" },
                    s.description
                );
            }
            for p in problems {
                eprintln!("warning: {p}");
            }
            if let Some(d) = guide::user_dir() {
                println!("user sessions: {}", d.display());
            }
        }
        SessionCmd::Show { name, json } => {
            let session = guide::resolve(&name)?;
            compiled(&session)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&session).expect("sessions serialise")
                );
            } else {
                print_stages(&session);
            }
        }
        SessionCmd::Validate { file } => {
            let session = guide::read_file(&file)?;
            compiled(&session)?;
            println!(
                "{}: a valid session, '{}', {} stage{}, {} with every stage to its limit{}.",
                file.display(),
                session.name,
                session.stages.len(),
                if session.stages.len() == 1 { "" } else { "s" },
                GuidedSession::describe_length(session.longest_s()),
                if session.bound_s() > session.longest_s() {
                    format!(
                        " (up to {} when its next and fallback stages repeat)",
                        GuidedSession::describe_length(session.bound_s())
                    )
                } else {
                    String::new()
                }
            );
        }
        SessionCmd::Import { file, replace } => {
            let session = guide::read_file(&file)?;
            compiled(&session)?;
            let dir = guide::user_dir()
                .ok_or_else(|| melodiasync::paths::NO_PRESET_FOLDER.to_string())?;
            let path = guide::save_user(&dir, &session, replace)?;
            println!("imported '{}' to {}", session.name, path.display());
        }
    }
    Ok(())
}

/// Compiles `session` against the presets (a preset it names must exist).
fn compiled(session: &GuidedSession) -> Result<guide::Plan, String> {
    let (library, _) = preset::library(preset::user_dir().as_deref());
    guide::compile(session, &FeedbackSetup::default(), &library)
        .map_err(|e| format!("Session '{}': {e}", session.name))
}

/// The stages as a table a practitioner reads.
fn print_stages(session: &GuidedSession) {
    println!("{} — {}", session.name, session.description);
    for (i, st) in session.stages.iter().enumerate() {
        let what = match (st.program, st.condition) {
            (Some(p), _) => format!("{} {}", st.kind.id(), p.id()),
            (_, Some(c)) => format!("{} {c:?}", st.kind.id()).to_lowercase(),
            _ => st.kind.id().to_string(),
        };
        let a = &st.advance;
        let rule = match (a.after_s, a.in_target_s, a.mean_reward) {
            (Some(t), _, _) => format!("after {t:.0} s"),
            (_, Some(x), _) => format!(
                "after {x:.0} s in target (at most {:.0} s)",
                a.max_s.unwrap_or(0.0)
            ),
            (_, _, Some(y)) => format!(
                "when the mean reward over {:.0} s reaches {y:.2} (at most {:.0} s)",
                a.over_s.unwrap_or(0.0),
                a.max_s.unwrap_or(0.0)
            ),
            _ => String::new(),
        };
        let mut leads = Vec::new();
        if let Some(n) = &st.next {
            leads.push(format!("then '{n}'"));
        }
        if let Some(f) = &st.fallback {
            leads.push(format!("without success '{f}'"));
        }
        let sound = match (&st.sound.preset, st.sound.params.is_empty()) {
            (Some(p), true) => format!("sound: {p}"),
            (Some(p), false) => format!(
                "sound: {p} with {:?}",
                st.sound.params.keys().collect::<Vec<_>>()
            ),
            (None, false) => format!("sound: {:?}", st.sound.params.keys().collect::<Vec<_>>()),
            (None, true) => "sound: as set".into(),
        };
        println!(
            "{:>2}. {:<14} {:<22} {rule}{}; glide {:.0} s; {sound}",
            i + 1,
            st.name,
            what,
            if leads.is_empty() {
                String::new()
            } else {
                format!(", {}", leads.join(", "))
            },
            st.glide_s
        );
    }
}
