//! A minimal CLAP host on `clack-host`: loads the built `.clap`, reads the descriptor and
//! parameters, activates, renders with notes and parameter changes, and saves/loads state.
//! Everything goes through the real CLAP ABI of the bundle under test.

#![allow(dead_code)]

use std::ffi::CString;
use std::path::PathBuf;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::note_ports::{NotePortInfoBuffer, PluginNotePorts};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{
    MidiEvent, NoteOffEvent, NoteOnEvent, ParamValueEvent, TransportEvent, TransportFlags,
};
use clack_host::events::{EventHeader, Match};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};

/// Host callbacks: this host needs none of them, so they are no-ops.
pub struct Shared;
impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The GUI host extension: the editor may ask to resize or show/hide; this host embeds it in a
/// fixed window and agrees to everything (nice-plug requires the extension to open an editor).
impl clack_extensions::gui::HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: clack_extensions::gui::GuiSize) -> Result<(), HostError> {
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {}
}

/// What the plugin told the host's preset-load extension: `Ok(load key or path)` for a
/// loaded preset, `Err(message)` for a failed load.
pub type PresetLoadReport = Result<String, String>;

/// The host's main-thread side: it records the plugin's preset-load reports.
#[derive(Default)]
pub struct MainThread {
    /// Reports in order.
    pub preset_loads: std::cell::RefCell<Vec<PresetLoadReport>>,
}

impl MainThreadHandler<'_> for MainThread {}

impl clack_extensions::preset_discovery::HostPresetLoadImpl for MainThread {
    fn on_error(
        &self,
        _location: clack_extensions::preset_discovery::prelude::Location,
        _load_key: Option<&std::ffi::CStr>,
        _os_error: i32,
        message: Option<&std::ffi::CStr>,
    ) {
        let text = message.map(|m| m.to_string_lossy().into_owned());
        self.preset_loads
            .borrow_mut()
            .push(Err(text.unwrap_or_default()));
    }

    fn loaded(
        &self,
        location: clack_extensions::preset_discovery::prelude::Location,
        load_key: Option<&std::ffi::CStr>,
    ) {
        let what = load_key
            .or(location.file_path())
            .map(|k| k.to_string_lossy().into_owned());
        self.preset_loads
            .borrow_mut()
            .push(Ok(what.unwrap_or_default()));
    }
}

/// The host type.
pub struct Host;
impl HostHandlers for Host {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<clack_extensions::gui::HostGui>();
        builder.register::<clack_extensions::preset_discovery::HostPresetLoad>();
    }
}

/// Where the bundle under test is: `MELODIASYNC_CLAP`, else the test bundle that
/// `scripts/test.sh` builds.
pub fn bundle_path() -> PathBuf {
    if let Ok(p) = std::env::var("MELODIASYNC_CLAP") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-bundles/MelodiaSync.clap");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which builds the test bundle before the tests",
        p.display()
    );
    p
}

/// Loads the plugin entry.
pub fn load_entry() -> PluginEntry {
    let path = bundle_path();
    // SAFETY: loading a CLAP library runs its initialiser; the bundle is our own build.
    unsafe { PluginEntry::load(&path) }
        .unwrap_or_else(|e| panic!("cannot load {}: {e:?}", path.display()))
}

/// The plugin id under test.
pub const PLUGIN_ID: &str = "com.melodiasync.melodiasync";

/// A new instance.
pub fn instantiate(entry: &PluginEntry) -> PluginInstance<Host> {
    let info = HostInfo::new(
        "MelodiaSync test host",
        "MelodiaSync",
        "https://example.invalid",
        "1.0",
    )
    .unwrap();
    let id = CString::new(PLUGIN_ID).unwrap();
    PluginInstance::<Host>::new(|_| Shared, |_| MainThread::default(), entry, &id, &info)
        .expect("instantiation")
}

/// One parameter as the host sees it.
#[derive(Clone, Debug)]
pub struct ParamDesc {
    /// CLAP parameter id.
    pub id: ClapId,
    /// Display name.
    pub name: String,
    /// Range and default in CLAP (plain) values.
    pub min: f64,
    /// See `min`.
    pub max: f64,
    /// See `min`.
    pub default: f64,
}

/// Every parameter the plugin exposes.
pub fn params(instance: &mut PluginInstance<Host>) -> Vec<ParamDesc> {
    let handle = instance.plugin_handle();
    let ext: PluginParams = handle.get_extension().expect("params extension");
    let mut out = Vec::new();
    for i in 0..ext.count(&handle) {
        let mut buf = ParamInfoBuffer::new();
        let info = ext.get_info(&handle, i, &mut buf).expect("param info");
        out.push(ParamDesc {
            id: info.id,
            name: String::from_utf8_lossy(info.name).into_owned(),
            min: info.min_value,
            max: info.max_value,
            default: info.default_value,
        });
    }
    out
}

/// Tells the plugin to render offline (a bounce) or in real time (CLAP render extension);
/// call before activating.
pub fn set_offline(instance: &mut PluginInstance<Host>, offline: bool) {
    use clack_extensions::render::{PluginRender, RenderMode};
    let handle = instance.plugin_handle();
    let ext: PluginRender = handle.get_extension().expect("render extension");
    let mode = if offline {
        RenderMode::Offline
    } else {
        RenderMode::Realtime
    };
    ext.set(&handle, mode).expect("render mode");
}

/// The current value of a parameter.
pub fn param_value(instance: &mut PluginInstance<Host>, id: ClapId) -> f64 {
    let handle = instance.plugin_handle();
    let ext: PluginParams = handle.get_extension().expect("params extension");
    ext.get_value(&handle, id).expect("param value")
}

/// Audio port and note port counts: (audio in, audio out, channels of out 0, note in).
pub fn ports(instance: &mut PluginInstance<Host>) -> (u32, u32, u32, u32) {
    let handle = instance.plugin_handle();
    let audio: PluginAudioPorts = handle.get_extension().expect("audio-ports extension");
    let notes: PluginNotePorts = handle.get_extension().expect("note-ports extension");
    let mut buf = AudioPortInfoBuffer::new();
    let out0 = audio
        .get(&handle, 0, false, &mut buf)
        .expect("output port 0");
    let channels = out0.channel_count;
    let mut nbuf = NotePortInfoBuffer::new();
    let _ = notes
        .get(&handle, 0, true, &mut nbuf)
        .expect("note input port 0");
    (
        audio.count(&handle, true),
        audio.count(&handle, false),
        channels,
        notes.count(&handle, true),
    )
}

/// Saves the plugin state.
pub fn save_state(instance: &mut PluginInstance<Host>) -> Vec<u8> {
    let handle = instance.plugin_handle();
    let ext: PluginState = handle.get_extension().expect("state extension");
    let mut out = Vec::new();
    ext.save(&handle, &mut out).expect("state save");
    out
}

/// Loads a plugin state.
pub fn load_state(instance: &mut PluginInstance<Host>, bytes: &[u8]) {
    let handle = instance.plugin_handle();
    let ext: PluginState = handle.get_extension().expect("state extension");
    ext.load(&handle, &mut &bytes[..]).expect("state load");
}

/// Something the host sends at a frame position.
#[derive(Clone, Copy, Debug)]
pub enum HostEvent {
    /// MIDI-style note on (key, velocity 0..1).
    NoteOn(u8, f64),
    /// Note off.
    NoteOff(u8),
    /// Parameter change to a CLAP (plain) value.
    Param(ClapId, f64),
}

/// Renders `frames` stereo frames at `sample_rate`, calling `block_size(i)` for the size of
/// block `i` (1..=4096), delivering `events` (frame, event) sample-accurately inside blocks.
/// Activates before and deactivates after.
pub fn render(
    instance: &mut PluginInstance<Host>,
    sample_rate: f64,
    frames: usize,
    block_size: impl FnMut(usize) -> usize,
    events: &[(usize, HostEvent)],
) -> (Vec<f32>, Vec<f32>) {
    let out = render_with(instance, sample_rate, frames, block_size, events, false);
    (out.left, out.right)
}

/// A MIDI message the plugin sent: frame position and the three bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MidiOut {
    /// Frame position from the render's start.
    pub frame: usize,
    /// Status, data 1, data 2.
    pub bytes: [u8; 3],
}

/// What a render produced.
pub struct Rendered {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
    /// MIDI the plugin sent.
    pub midi: Vec<MidiOut>,
}

/// [`render`], also collecting the plugin's MIDI output; with `realtime` each block waits
/// until its wall-clock time, as a live host would (so the plugin's EEG worker, which runs in
/// real time, delivers frames during the render).
pub fn render_with(
    instance: &mut PluginInstance<Host>,
    sample_rate: f64,
    frames: usize,
    block_size: impl FnMut(usize) -> usize,
    events: &[(usize, HostEvent)],
    realtime: bool,
) -> Rendered {
    let config = PluginAudioConfiguration {
        sample_rate,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let processor = instance.activate(|_, _| (), config).expect("activate");
    let (out, stopped) = play(processor, sample_rate, frames, block_size, events, realtime);
    instance.deactivate(stopped);
    out
}

/// Runs an activated processor for `frames` (on whatever thread calls it: the editor test
/// runs it on its own audio thread while the main thread opens and closes the GUI), and
/// hands it back stopped.
pub fn play(
    processor: StoppedPluginAudioProcessor<Host>,
    sample_rate: f64,
    frames: usize,
    block_size: impl FnMut(usize) -> usize,
    events: &[(usize, HostEvent)],
    realtime: bool,
) -> (Rendered, StoppedPluginAudioProcessor<Host>) {
    play_with_transport(
        processor,
        sample_rate,
        frames,
        block_size,
        events,
        realtime,
        |_| None,
    )
}

/// The transport a host reports for a block: playing or not, and the song position in
/// seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transport {
    /// Whether the transport plays.
    pub playing: bool,
    /// Song position at the block's start, s.
    pub seconds: f64,
}

/// The CLAP transport event for `t` (a seconds timeline, 120 BPM in 4/4, beats to match).
pub fn transport_event(t: Transport) -> TransportEvent {
    let mut flags = TransportFlags::HAS_SECONDS_TIMELINE
        | TransportFlags::HAS_BEATS_TIMELINE
        | TransportFlags::HAS_TEMPO
        | TransportFlags::HAS_TIME_SIGNATURE;
    if t.playing {
        flags |= TransportFlags::IS_PLAYING;
    }
    let beats = t.seconds * 2.0;
    TransportEvent {
        header: EventHeader::default(),
        flags,
        song_pos_beats: BeatTime::from_float(beats),
        song_pos_seconds: SecondsTime::from_float(t.seconds),
        tempo: 120.0,
        tempo_inc: 0.0,
        loop_start_beats: BeatTime::from_int(0),
        loop_end_beats: BeatTime::from_int(0),
        loop_start_seconds: SecondsTime::from_int(0),
        loop_end_seconds: SecondsTime::from_int(0),
        bar_start: BeatTime::from_float((beats / 4.0).floor() * 4.0),
        bar_number: (beats / 4.0).floor() as i32,
        time_signature_numerator: 4,
        time_signature_denominator: 4,
    }
}

/// [`play`] with a host transport: `transport(frame)` gives it for the block starting at
/// `frame` of the render (`None`: the host reports none).
pub fn play_with_transport(
    processor: StoppedPluginAudioProcessor<Host>,
    sample_rate: f64,
    frames: usize,
    mut block_size: impl FnMut(usize) -> usize,
    events: &[(usize, HostEvent)],
    realtime: bool,
    mut transport: impl FnMut(usize) -> Option<Transport>,
) -> (Rendered, StoppedPluginAudioProcessor<Host>) {
    let started = std::time::Instant::now();
    let mut midi = Vec::new();
    let mut processor = processor.start_processing().expect("start processing");
    let mut left = Vec::with_capacity(frames);
    let mut right = Vec::with_capacity(frames);
    let mut out_l = vec![0.0f32; 4096];
    let mut out_r = vec![0.0f32; 4096];
    let mut in_ports = AudioPorts::with_capacity(0, 0);
    let mut out_ports = AudioPorts::with_capacity(2, 1);
    let mut in_events = EventBuffer::with_capacity(64);
    let mut out_events = EventBuffer::with_capacity(64);
    let mut steady = 0u64;
    let mut pos = 0usize;
    let mut block_index = 0usize;
    while pos < frames {
        let n = block_size(block_index).clamp(1, 4096).min(frames - pos);
        block_index += 1;
        in_events.clear();
        out_events.clear();
        for &(at, ev) in events.iter().filter(|(at, _)| *at >= pos && *at < pos + n) {
            let t = (at - pos) as u32;
            match ev {
                HostEvent::NoteOn(k, v) => in_events.push(&NoteOnEvent::new(
                    t,
                    Pckn::new(0u16, 0u16, k as u16, Match::All),
                    v,
                )),
                HostEvent::NoteOff(k) => in_events.push(&NoteOffEvent::new(
                    t,
                    Pckn::new(0u16, 0u16, k as u16, Match::All),
                    0.0,
                )),
                HostEvent::Param(id, value) => {
                    in_events.push(&ParamValueEvent::new(t, id, Pckn::match_all(), value))
                }
            }
        }
        let input = in_ports.with_input_buffers(std::iter::empty::<
            AudioPortBuffer<
                std::iter::Empty<InputChannel<f32>>,
                std::iter::Empty<InputChannel<f64>>,
            >,
        >());
        let mut output = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                [&mut out_l[..n], &mut out_r[..n]].into_iter(),
            ),
        }]);
        let now = transport(pos).map(transport_event);
        processor
            .process(
                &input,
                &mut output,
                &in_events.as_input(),
                &mut out_events.as_output(),
                Some(steady),
                now.as_ref(),
            )
            .expect("process");
        for ev in out_events.iter() {
            if let Some(m) = ev.as_event::<MidiEvent>() {
                midi.push(MidiOut {
                    frame: pos + m.header().time() as usize,
                    bytes: m.data(),
                });
            }
        }
        steady += n as u64;
        if realtime {
            let due = std::time::Duration::from_secs_f64((pos + n) as f64 / sample_rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        left.extend_from_slice(&out_l[..n]);
        right.extend_from_slice(&out_r[..n]);
        pos += n;
    }
    (Rendered { left, right, midi }, processor.stop_processing())
}

/// The JSON of a saved CLAP state: nice-plug writes a little-endian u64 length, then the
/// JSON (parameters as `{"f32": ..}` / `{"bool": ..}` / `{"string": id}`, each persisted field
/// as a JSON string).
pub fn state_json(state: &[u8]) -> serde_json::Value {
    let len = u64::from_le_bytes(state[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&state[8..8 + len]).expect("state is JSON")
}

/// A CLAP state holding `json`.
pub fn state_bytes(json: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).unwrap();
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

/// `state` with persisted field `key` replaced by `value`: how a test picks the simulator
/// source or sets a baseline without an editor.
pub fn with_field(state: &[u8], key: &str, value: &serde_json::Value) -> Vec<u8> {
    let mut json = state_json(state);
    json["fields"][key] = serde_json::Value::String(value.to_string());
    state_bytes(&json)
}

/// `state` with parameter `id` stored as `value` (e.g. `{"bool": true}`).
pub fn with_param(state: &[u8], id: &str, value: serde_json::Value) -> Vec<u8> {
    let mut json = state_json(state);
    json["params"][id] = value;
    state_bytes(&json)
}

/// A persisted field of a saved state, parsed.
pub fn field(state: &[u8], key: &str) -> serde_json::Value {
    let json = state_json(state);
    let text = json["fields"][key].as_str().expect("field present");
    serde_json::from_str(text).unwrap()
}

/// The parameter named `name`.
pub fn find<'a>(params: &'a [ParamDesc], name: &str) -> &'a ParamDesc {
    params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter named {name}"))
}
