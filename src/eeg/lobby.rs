//! One LSL stream search per process, shared by every source that is waiting for a stream.
//!
//! Why: a DAW project holds many instances, and each one waiting for its headset used to run
//! its own resolve four times a second. Every resolve is a multicast query that every LSL
//! outlet on the network answers, so idle instances cost about 1 % of a core each and
//! network traffic that grows with the square of their number. Here one thread per process
//! listens in *waves* (liblsl's one-shot resolve, [`WAVE_S`] each) and publishes what it
//! heard; waiting sources only look at the list ([`Lobby::wait_for_news`]).
//!
//! Pacing: waves follow each other quickly while someone is in a hurry (a source joined, or
//! lost its stream, within [`HURRY_S`]); after that the pause between waves doubles up to
//! [`MAX_PAUSE_S`], so a stream started later is found within about three seconds.
//!
//! Lifetime: the thread runs while at least one [`Ticket`] is held. The last ticket's owner
//! (an EEG worker thread, never the host's thread) joins it, which waits for at most the
//! wave in flight. Nothing of the lobby outlives the last source, so a plugin library can be
//! unloaded once its instances are gone.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::discovery::{visible_streams, StreamRow};

/// Seconds one wave listens for answers.
pub const WAVE_S: f64 = 0.25;
/// Seconds of quick waves after a source joins or loses its stream.
pub const HURRY_S: f64 = 20.0;
/// The longest pause between waves, s.
pub const MAX_PAUSE_S: f64 = 3.0;
/// The pause between waves in a hurry, s (a lost stream is found again within about half
/// a second of its return).
const HURRY_PAUSE_S: f64 = 0.05;

/// What the wave thread and the sources share.
#[derive(Default)]
struct State {
    /// The streams the last wave heard.
    rows: Vec<StreamRow>,
    /// Waves finished so far.
    waves: u64,
    /// Tickets held.
    tickets: usize,
    /// Quick waves until then.
    hurry_until: Option<Instant>,
    /// The wave thread, while it runs.
    thread: Option<JoinHandle<()>>,
    /// Asks the wave thread to end (the last ticket was returned).
    stopping: bool,
    /// Which wave thread is current: one that finds another number ends (a source joined
    /// while the last thread was ending, and a new one took over).
    epoch: u64,
}

/// The process's stream search.
pub struct Lobby {
    state: Mutex<State>,
    /// Signalled after every wave and when the thread should end.
    news: Condvar,
}

/// The one lobby of this process.
pub fn lobby() -> &'static Arc<Lobby> {
    static LOBBY: OnceLock<Arc<Lobby>> = OnceLock::new();
    LOBBY.get_or_init(|| {
        Arc::new(Lobby {
            state: Mutex::new(State::default()),
            news: Condvar::new(),
        })
    })
}

/// A source's place in the lobby: while any ticket is held, waves run. Dropping the last one
/// ends the wave thread and joins it (on the dropping thread).
pub struct Ticket {
    lobby: Arc<Lobby>,
}

impl Lobby {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking wave thread leaves plain data behind: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the lobby: waves start (quickly at first). Errors: the sentence to show when the
    /// wave thread could not start.
    pub fn join(self: &Arc<Self>) -> Result<Ticket, String> {
        let mut s = self.lock();
        s.hurry_until = Some(Instant::now() + Duration::from_secs_f64(HURRY_S));
        if s.thread.is_none() {
            s.stopping = false;
            s.epoch += 1;
            let (me, epoch) = (self.clone(), s.epoch);
            let handle = std::thread::Builder::new()
                .name("melodiasync-lsl-lobby".into())
                .spawn(move || me.run(epoch))
                .map_err(|e| format!("The LSL stream search could not start ({e})."))?;
            s.thread = Some(handle);
        }
        s.tickets += 1;
        Ok(Ticket {
            lobby: self.clone(),
        })
    }

    /// Waits up to `timeout` for a wave newer than `seen`; returns its rows and count, or
    /// `None` when none finished in time.
    pub fn wait_for_news(&self, seen: u64, timeout: Duration) -> Option<(Vec<StreamRow>, u64)> {
        let s = self.lock();
        let (s, _) = self
            .news
            .wait_timeout_while(s, timeout, |s| s.waves <= seen)
            .unwrap_or_else(|e| e.into_inner());
        (s.waves > seen).then(|| (s.rows.clone(), s.waves))
    }

    /// The wave thread: a wave, then a pause that grows while nobody is in a hurry.
    fn run(&self, epoch: u64) {
        let mut pause = HURRY_PAUSE_S;
        loop {
            let rows = visible_streams(WAVE_S);
            let mut s = self.lock();
            s.rows = rows;
            s.waves += 1;
            self.news.notify_all();
            let hurried = s.hurry_until.is_some_and(|t| Instant::now() < t);
            pause = if hurried {
                HURRY_PAUSE_S
            } else {
                (pause * 2.0).clamp(0.5, MAX_PAUSE_S)
            };
            // Sleeps through the pause unless told to stop or to hurry.
            let until = Instant::now() + Duration::from_secs_f64(pause);
            loop {
                if s.stopping || s.epoch != epoch {
                    return;
                }
                let now = Instant::now();
                if now >= until || (!hurried && s.hurry_until.is_some_and(|t| now < t)) {
                    break;
                }
                s = self
                    .news
                    .wait_timeout(s, until - now)
                    .map(|(s, _)| s)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let handle = {
            let mut s = self.lobby.lock();
            s.tickets -= 1;
            if s.tickets > 0 {
                return;
            }
            s.stopping = true;
            s.thread.take()
        };
        self.lobby.news.notify_all();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// Whether `row` is the stream a source asked for: `prop` (a liblsl property name: "type",
/// "name", "source_id", "hostname") equal to `value`.
pub fn matches(row: &StreamRow, prop: &str, value: &str) -> bool {
    match prop {
        "type" => row.stream_type == value,
        "name" => row.name == value,
        "source_id" => row.source_id == value,
        "hostname" => row.host == value,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, kind: &str, id: &str, host: &str) -> StreamRow {
        StreamRow {
            name: name.into(),
            stream_type: kind.into(),
            channels: 8,
            rate: 256.0,
            host: host.into(),
            source_id: id.into(),
        }
    }

    #[test]
    fn a_row_matches_by_each_property_and_nothing_else() {
        let r = row("Muse", "EEG", "muse-1", "lab-pc");
        assert!(matches(&r, "type", "EEG"));
        assert!(matches(&r, "name", "Muse"));
        assert!(matches(&r, "source_id", "muse-1"));
        assert!(matches(&r, "hostname", "lab-pc"));
        assert!(!matches(&r, "type", "eeg"), "liblsl compares exactly");
        assert!(!matches(&r, "name", "EEG"));
        assert!(!matches(&r, "channel_count", "8"));
    }
}
