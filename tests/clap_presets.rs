//! CLAP preset discovery and preset-load through the built `.clap` in a clack-host host: the
//! host indexes the factory presets and the user folder as a CLAP host's preset browser does,
//! and loads presets into an instance (also while its audio thread runs). The right answers
//! come from the preset files themselves (`presets/*.json` and the files this test writes).

mod support;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

use clack_extensions::params::PluginParams;
use clack_extensions::preset_discovery::indexer::IndexerImpl;
use clack_extensions::preset_discovery::metadata_receiver::MetadataReceiverImpl;
use clack_extensions::preset_discovery::prelude::*;
use clack_extensions::preset_discovery::provider::Provider;
use clack_extensions::preset_discovery::PluginPresetLoad;
use clack_host::prelude::*;
use support::clap_harness::*;

const PROVIDER_ID: &CStr = c"com.melodiasync.presets";

/// What the provider declared.
#[derive(Default)]
struct Indexer {
    filetypes: Vec<(String, Option<String>)>,
    locations: Vec<(String, Flags, Option<PathBuf>)>,
}

impl IndexerImpl for Indexer {
    fn declare_filetype(&mut self, file_type: FileType) -> Result<(), HostError> {
        self.filetypes.push((
            file_type.name.to_string_lossy().into_owned(),
            file_type
                .file_extension
                .map(|e| e.to_string_lossy().into_owned()),
        ));
        Ok(())
    }

    fn declare_location(&mut self, location: LocationInfo) -> Result<(), HostError> {
        let path = location
            .location
            .file_path()
            .map(|p| PathBuf::from(p.to_str().unwrap()));
        self.locations.push((
            location.name.to_string_lossy().into_owned(),
            location.flags,
            path,
        ));
        Ok(())
    }

    fn declare_soundpack(&mut self, _soundpack: Soundpack) -> Result<(), HostError> {
        Ok(())
    }
}

/// One preset's metadata as the host received it.
#[derive(Clone, Debug, Default)]
struct Meta {
    name: String,
    load_key: Option<String>,
    plugin_ids: Vec<String>,
    flags: Option<Flags>,
    creators: Vec<String>,
    description: String,
    extra: Vec<(String, String)>,
}

/// Collects metadata and errors.
#[derive(Default)]
struct Receiver {
    presets: Vec<Meta>,
    errors: Vec<String>,
}

fn text(s: &CStr) -> String {
    s.to_string_lossy().into_owned()
}

impl Receiver {
    fn current(&mut self) -> &mut Meta {
        self.presets.last_mut().expect("begin_preset first")
    }
}

impl MetadataReceiverImpl for Receiver {
    fn on_error(&mut self, _error_code: i32, error_message: Option<&CStr>) {
        self.errors
            .push(error_message.map(text).unwrap_or_default());
    }
    fn begin_preset(
        &mut self,
        name: Option<&CStr>,
        load_key: Option<&CStr>,
    ) -> Result<(), HostError> {
        self.presets.push(Meta {
            name: name.map(text).unwrap_or_default(),
            load_key: load_key.map(text),
            ..Meta::default()
        });
        Ok(())
    }
    fn add_plugin_id(&mut self, plugin_id: UniversalPluginId) {
        assert_eq!(plugin_id.abi.to_bytes(), b"clap");
        let id = text(plugin_id.id);
        self.current().plugin_ids.push(id);
    }
    fn set_soundpack_id(&mut self, _soundpack_id: &CStr) {}
    fn set_flags(&mut self, flags: Flags) {
        self.current().flags = Some(flags);
    }
    fn add_creator(&mut self, creator: &CStr) {
        let c = text(creator);
        self.current().creators.push(c);
    }
    fn set_description(&mut self, description: &CStr) {
        let d = text(description);
        self.current().description = d;
    }
    fn set_timestamps(&mut self, _c: Option<Timestamp>, _m: Option<Timestamp>) {}
    fn add_feature(&mut self, _feature: &CStr) {}
    fn add_extra_info(&mut self, key: &CStr, value: &CStr) {
        let kv = (text(key), text(value));
        self.current().extra.push(kv);
    }
}

fn host_info() -> HostInfo {
    HostInfo::new(
        "MelodiaSync preset test",
        "MelodiaSync",
        "https://example.invalid",
        "1.0",
    )
    .unwrap()
}

/// The factory presets as files: (key, JSON).
fn factory_files() -> Vec<(String, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let key = p.file_stem().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (key, json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A folder of user presets: a good one (a factory preset renamed), a truncated one, and a
/// text file the host should not ask about.
fn user_folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "melodiasync-clap-presets-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (_, mut temple) = factory_files()
        .into_iter()
        .find(|(k, _)| k == "temple")
        .unwrap();
    temple["name"] = "My evening".into();
    temple["category"] = "User".into();
    temple["params"]["beat"] = 5.5.into();
    std::fs::write(dir.join("my-evening.json"), temple.to_string()).unwrap();
    let full = temple.to_string();
    std::fs::write(dir.join("broken.json"), &full[..full.len() / 2]).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a preset").unwrap();
    dir
}

#[test]
fn a_host_indexes_every_factory_preset_and_the_user_folder() {
    let dir = user_folder("index");
    // The plugin reads the user folder from the same variable as the CLI.
    std::env::set_var("MELODIASYNC_PRESET_DIR", &dir);
    let entry = load_entry();
    let mut provider = Provider::instantiate(Indexer::default(), &entry, PROVIDER_ID, &host_info())
        .expect("the preset provider");
    assert_eq!(
        text(provider.descriptor().name().unwrap()),
        "MelodiaSync presets"
    );

    let indexer = provider.indexer();
    assert_eq!(
        indexer.filetypes,
        vec![("MelodiaSync preset".to_string(), Some("json".to_string()))]
    );
    assert_eq!(indexer.locations.len(), 2, "{:?}", indexer.locations);
    let (_, factory_flags, factory_path) = &indexer.locations[0];
    assert_eq!(
        (*factory_flags, factory_path),
        (Flags::IS_FACTORY_CONTENT, &None)
    );
    let (_, user_flags, user_path) = &indexer.locations[1];
    assert_eq!(
        (*user_flags, user_path),
        (Flags::IS_USER_CONTENT, &Some(dir.clone()))
    );

    // The factory presets, inside the plugin: one per file in presets/, with its key.
    let mut receiver = Receiver::default();
    provider.get_metadata(Location::Plugin, &mut receiver);
    assert!(receiver.errors.is_empty(), "{:?}", receiver.errors);
    let files = factory_files();
    assert_eq!(receiver.presets.len(), files.len());
    for (key, json) in &files {
        let meta = receiver
            .presets
            .iter()
            .find(|m| m.load_key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("no preset with key {key}"));
        assert_eq!(meta.name, json["name"].as_str().unwrap(), "{key}");
        assert_eq!(
            meta.description,
            json["description"].as_str().unwrap(),
            "{key}"
        );
        assert_eq!(meta.plugin_ids, vec![PLUGIN_ID.to_string()], "{key}");
        assert_eq!(meta.flags, Some(Flags::IS_FACTORY_CONTENT), "{key}");
        assert_eq!(meta.creators, vec!["MelodiaSync".to_string()], "{key}");
        let category = (
            "category".to_string(),
            json["category"].as_str().unwrap().to_string(),
        );
        assert!(meta.extra.contains(&category), "{key}: {:?}", meta.extra);
    }

    // The user folder, file by file as a host walks it (only .json files are declared).
    let mut good = Receiver::default();
    let path = CString::new(dir.join("my-evening.json").to_str().unwrap()).unwrap();
    provider.get_metadata(Location::File { path: &path }, &mut good);
    assert!(good.errors.is_empty(), "{:?}", good.errors);
    assert_eq!(good.presets.len(), 1);
    let meta = &good.presets[0];
    assert_eq!((meta.name.as_str(), &meta.load_key), ("My evening", &None));
    assert_eq!(meta.flags, Some(Flags::IS_USER_CONTENT));

    // A broken file: its sentence, no preset; the next file still indexes.
    let mut broken = Receiver::default();
    let path = CString::new(dir.join("broken.json").to_str().unwrap()).unwrap();
    provider.get_metadata(Location::File { path: &path }, &mut broken);
    assert!(broken.presets.is_empty());
    assert_eq!(broken.errors.len(), 1);
    let e = &broken.errors[0];
    assert!(e.contains("broken.json") && e.contains("truncated"), "{e}");
    let mut again = Receiver::default();
    let path = CString::new(dir.join("my-evening.json").to_str().unwrap()).unwrap();
    provider.get_metadata(Location::File { path: &path }, &mut again);
    assert_eq!(again.presets.len(), 1);
    drop(provider);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The displayed text of parameter `name` (the host's own view of it).
fn shown(inst: &mut PluginInstance<Host>, name: &str) -> String {
    let all = params(inst);
    let id = find(&all, name).id;
    let value = param_value(inst, id);
    let handle = inst.plugin_handle();
    let ext: PluginParams = handle.get_extension().unwrap();
    let mut buf = [0u8; 128];
    let bytes = ext.value_to_text(&handle, id, value, &mut buf).unwrap();
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks that `state` holds every value of the preset file `json` and its program.
fn assert_holds_preset(state: &[u8], json: &serde_json::Value, what: &str) {
    let saved = state_json(state);
    for (id, want) in json["params"].as_object().unwrap() {
        let got = &saved["params"][id];
        match want {
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap();
                let g = got
                    .get("f32")
                    .or(got.get("i32"))
                    .and_then(|v| v.as_f64())
                    .unwrap_or_else(|| panic!("{what}: {id} saved as {got}"));
                assert!(
                    (g - x).abs() <= 1e-4 * (1.0 + x.abs()),
                    "{what}: {id} {g} != {x}"
                );
            }
            serde_json::Value::Bool(b) => assert_eq!(got["bool"], *b, "{what}: {id}"),
            // Enum names: checked through the host's text below.
            _ => {}
        }
    }
    let slot = json["slot"].as_str().unwrap();
    let setup = field(state, "feedback-setup");
    // The file may leave out fields that have defaults ("estimator").
    for (key, want) in json["program"].as_object().unwrap() {
        assert_eq!(&setup["programs"][slot][key], want, "{what}: program.{key}");
    }
}

#[test]
fn a_host_loads_factory_and_user_presets_into_an_instance() {
    let dir = user_folder("load");
    let entry = load_entry();
    let mut inst = instantiate(&entry);
    let ext: PluginPresetLoad = inst.plugin_handle().get_extension().expect("preset-load");
    let files = factory_files();
    for (key, json) in &files {
        let k = CString::new(key.as_str()).unwrap();
        ext.load_from_location(&inst.plugin_handle(), Location::Plugin, Some(&k))
            .unwrap_or_else(|_| panic!("load {key}"));
        assert_holds_preset(&save_state(&mut inst), json, key);
        if let Some(chord) = json["params"]["chord"].as_str() {
            assert_eq!(shown(&mut inst, "Chord"), chord, "{key}");
        }
        // The slot's id ("cool-down") and the program's display name ("Cool-down").
        let words = |s: &str| s.to_lowercase().replace('-', " ");
        let program = shown(&mut inst, "Program");
        assert_eq!(
            words(&program),
            words(json["slot"].as_str().unwrap()),
            "{key}"
        );
    }
    let reports = inst.access_handler(|h| h.preset_loads.borrow().clone());
    let keys: Vec<PresetLoadReport> = files.iter().map(|(k, _)| Ok(k.clone())).collect();
    assert_eq!(reports, keys);

    // A user file, by path.
    let user = dir.join("my-evening.json");
    let path = CString::new(user.to_str().unwrap()).unwrap();
    ext.load_from_location(&inst.plugin_handle(), Location::File { path: &path }, None)
        .expect("load the user preset");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&user).unwrap()).unwrap();
    assert_holds_preset(&save_state(&mut inst), &json, "my-evening");
    assert!(shown(&mut inst, "Beat rate").starts_with("5.5"));

    // Failures: a sentence to the host, false, and nothing changed.
    let before = save_state(&mut inst);
    let broken = CString::new(dir.join("broken.json").to_str().unwrap()).unwrap();
    let missing = CString::new(dir.join("gone.json").to_str().unwrap()).unwrap();
    let fails = [
        (Location::File { path: &broken }, None, "truncated"),
        (Location::File { path: &missing }, None, "gone.json"),
        (
            Location::Plugin,
            Some(c"no-such-preset"),
            "no factory preset 'no-such-preset'",
        ),
    ];
    for (location, key, says) in fails {
        assert!(ext
            .load_from_location(&inst.plugin_handle(), location, key)
            .is_err());
        let last = inst.access_handler(|h| h.preset_loads.borrow().last().cloned());
        let message = last.unwrap().expect_err("an error report");
        assert!(message.contains(says), "{message}");
        assert_eq!(
            state_json(&save_state(&mut inst)),
            state_json(&before),
            "{says}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_preset_loaded_while_the_audio_thread_runs_takes_effect_and_the_sound_goes_on() {
    let entry = load_entry();
    let mut inst = instantiate(&entry);
    let ext: PluginPresetLoad = inst.plugin_handle().get_extension().expect("preset-load");
    let config = PluginAudioConfiguration {
        sample_rate: 48_000.0,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let processor = inst.activate(|_, _| (), config).expect("activate");
    let frames = 3 * 48_000;
    let audio = std::thread::spawn(move || play(processor, 48_000.0, frames, |_| 256, &[], true));
    let files = factory_files();
    let mut loaded = Vec::new();
    for (key, json) in files
        .iter()
        .filter(|(k, _)| k == "night-sky" || k == "temple")
    {
        std::thread::sleep(std::time::Duration::from_millis(600));
        let k = CString::new(key.as_str()).unwrap();
        ext.load_from_location(&inst.plugin_handle(), Location::Plugin, Some(&k))
            .unwrap_or_else(|_| panic!("load {key} while processing"));
        assert_holds_preset(&save_state(&mut inst), json, key);
        loaded.push(key.clone());
    }
    let (out, stopped) = audio.join().expect("audio thread");
    inst.deactivate(stopped);
    assert_eq!(loaded, ["night-sky", "temple"]);
    assert!(out.left.iter().chain(&out.right).all(|x| x.is_finite()));
    // The sound went on: no block of silence (10 ms) anywhere after the first 100 ms.
    let quiet = out.left[4800..]
        .chunks(480)
        .filter(|c| c.iter().all(|x| x.abs() < 1e-6))
        .count();
    assert_eq!(quiet, 0);
}
