//! Presets: the factory set loads and sounds distinct, user presets round-trip through real
//! files, every kind of bad file gets one sentence (never a panic), and a bounded fuzz run
//! over random bytes and random JSON mutations.

use std::path::PathBuf;
use std::sync::Arc;

use melodiasync::params::MelodiaSyncParams;
use melodiasync::preset::{self, Origin, Preset, PresetValue, FACTORY};
use melodiasync::render::{render_to_vec, RenderJob};
use melodiasync::synth::rng::Rng;

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("melodiasync-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn factory(name: &str) -> Preset {
    let (entries, _) = preset::library(None);
    preset::find(&entries, name).unwrap().preset.clone()
}

/// Energy in 24 log-spaced bands from 50 Hz to 16 kHz, in dB: a coarse spectral fingerprint.
fn band_levels(x: &[f32], sr: f32) -> Vec<f32> {
    use realfft::RealFftPlanner;
    let n = 1 << 15;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let mut power = vec![0.0f32; n / 2 + 1];
    let mut frames = 0;
    for chunk in x.chunks_exact(n) {
        let mut buf: Vec<f32> = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| v * (0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos()))
            .collect();
        let mut out = fft.make_output_vec();
        fft.process(&mut buf, &mut out).unwrap();
        for (p, c) in power.iter_mut().zip(&out) {
            *p += c.norm_sqr();
        }
        frames += 1;
    }
    assert!(frames > 0);
    let edges: Vec<f32> = (0..=24)
        .map(|i| 50.0 * (16_000.0f32 / 50.0).powf(i as f32 / 24.0))
        .collect();
    edges
        .windows(2)
        .map(|w| {
            let (a, b) = (
                (w[0] * n as f32 / sr) as usize,
                (w[1] * n as f32 / sr) as usize,
            );
            let e: f32 = power[a..b.max(a + 1)].iter().sum();
            10.0 * (e + 1e-12).log10()
        })
        .collect()
}

#[test]
fn every_factory_preset_loads_and_sounds_different() {
    let (entries, problems) = preset::library(None);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(entries.len(), FACTORY.len());
    let mut prints = Vec::new();
    for e in &entries {
        assert_eq!(e.origin, Origin::Factory);
        preset::validate(&e.preset).unwrap();
        // The embedded copy is the file in presets/.
        let file = FACTORY
            .iter()
            .find(|(_, text)| preset::parse(text.as_bytes(), "x").unwrap().0 == e.preset)
            .unwrap()
            .0;
        let on_disk = std::fs::read(PathBuf::from("presets").join(file)).unwrap();
        assert_eq!(preset::parse(&on_disk, file).unwrap().0, e.preset);

        let params = Arc::new(MelodiaSyncParams::default());
        e.preset.apply_to(&params).unwrap();
        assert_eq!(params.program.value(), e.preset.slot);
        let (l, _, report) = render_to_vec(&RenderJob::new(params.controls(), 6.0)).unwrap();
        assert!(
            report.all_finite && report.peak_dbfs < -1.0,
            "{}",
            e.preset.name
        );
        prints.push((e.preset.name.clone(), band_levels(&l[48_000..], 48_000.0)));
    }
    // Every pair differs audibly: at least 1.5 dB RMS across the bands.
    for (i, (na, a)) in prints.iter().enumerate() {
        for (nb, b) in &prints[i + 1..] {
            let d = (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / a.len() as f32)
                .sqrt();
            assert!(d > 1.5, "'{na}' and '{nb}' sound alike ({d:.2} dB)");
        }
    }
}

#[test]
fn user_presets_round_trip_through_files() {
    let dir = temp_dir("presets-rt");
    let params = Arc::new(MelodiaSyncParams::default());
    factory("Night sky").apply_to(&params).unwrap();
    melodiasync::params::set_from_text(&params, "beat", "5.5").unwrap();
    let mut program = factory("Night sky").program;
    program.rewards[0].target = 0.31;
    let saved = Preset::capture("Late night", &params, program);
    let path = preset::save_user(&dir, &saved, false).unwrap();
    assert_eq!(path, dir.join("late-night.json"));
    let (loaded, warnings) = preset::read_file(&path).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(loaded, saved);
    // Applying the loaded preset gives the same parameter values (to float rounding of the
    // plain <-> normalised conversions).
    let again = Arc::new(MelodiaSyncParams::default());
    loaded.apply_to(&again).unwrap();
    use nice_plug::prelude::Params;
    for ((id, a, _), (_, b, _)) in params.param_map().iter().zip(again.param_map().iter()) {
        // SAFETY: both parameter objects are alive for the comparison.
        let (x, y) = unsafe {
            (
                a.unmodulated_normalized_value(),
                b.unmodulated_normalized_value(),
            )
        };
        assert!((x - y).abs() < 1e-5, "{id}: {x} vs {y}");
    }
    // No temporary file is left; a second save needs permission to replace.
    assert!(!dir.join("late-night.partial").exists());
    assert!(preset::save_user(&dir, &saved, false)
        .unwrap_err()
        .contains("already exists"));
    assert!(preset::save_user(&dir, &saved, true).is_ok());
    // Factory names are reserved.
    let mut clash = saved.clone();
    clash.name = "calm".into();
    assert!(preset::save_user(&dir, &clash, false)
        .unwrap_err()
        .contains("factory"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_files_get_one_sentence_and_the_others_still_load() {
    let dir = temp_dir("presets-bad");
    let good = factory("Temple").to_json();
    let mut wrong_type: serde_json::Value = serde_json::from_str(&good).unwrap();
    wrong_type["program"]["rewards"][0]["weight"] = serde_json::json!("heavy");
    let mut huge: serde_json::Value = serde_json::from_str(&good).unwrap();
    huge["program"]["rewards"][0]["target"] = serde_json::json!(1e30);
    let mut range: serde_json::Value = serde_json::from_str(&good).unwrap();
    range["params"]["beat"] = serde_json::json!(400.0);
    let mut future: serde_json::Value = serde_json::from_str(&good).unwrap();
    future["format"] = serde_json::json!(7);
    let mut band: serde_json::Value = serde_json::from_str(&good).unwrap();
    band["program"]["rewards"][0]["feature"] = serde_json::json!("gama_rel");
    let mut channel: serde_json::Value = serde_json::from_str(&good).unwrap();
    channel["program"]["channels"] = serde_json::json!(["O1", "Q7"]);
    let mut missing: serde_json::Value = serde_json::from_str(&good).unwrap();
    missing["program"]
        .as_object_mut()
        .unwrap()
        .remove("mapping");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.json",
            good.as_bytes()[..good.len() / 2].to_vec(),
            "truncated",
        ),
        ("empty.json", Vec::new(), "empty"),
        ("garbage.json", vec![0xff, 0xfe, 0x00, 0x9c, 0x42], "UTF-8"),
        (
            "wrong-type.json",
            wrong_type.to_string().into_bytes(),
            "program.rewards[0].weight",
        ),
        (
            "huge.json",
            huge.to_string().into_bytes(),
            "not finite or is out of range",
        ),
        ("range.json", range.to_string().into_bytes(), "params.beat"),
        (
            "future.json",
            future.to_string().into_bytes(),
            "newer MelodiaSync",
        ),
        (
            "band.json",
            band.to_string().into_bytes(),
            "unknown feature 'gama_rel'",
        ),
        ("channel.json", channel.to_string().into_bytes(), "'Q7'"),
        ("missing.json", missing.to_string().into_bytes(), "mapping"),
        (
            "nan.json",
            good.replace("1.0", "NaN").into_bytes(),
            "not valid JSON",
        ),
    ];
    for (file, bytes, needle) in &cases {
        let path = dir.join(file);
        std::fs::write(&path, bytes).unwrap();
        let err = preset::read_file(&path).unwrap_err();
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(needle), "{file}: {err}");
        assert!(!err.contains('\n'), "{file}: more than a sentence: {err}");
    }
    // 50 MB: refused by size, before reading.
    let big = dir.join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 << 20).unwrap();
    assert!(preset::read_file(&big)
        .unwrap_err()
        .contains("far more than a preset"));
    // Unknown extra fields: a warning, and the preset loads.
    let mut extra: serde_json::Value = serde_json::from_str(&good).unwrap();
    extra["mood"] = serde_json::json!("serene");
    extra["name"] = serde_json::json!("Extra");
    std::fs::write(dir.join("extra.json"), extra.to_string()).unwrap();
    let (p, warnings) = preset::read_file(&dir.join("extra.json")).unwrap();
    assert_eq!(p.name, "Extra");
    assert!(
        warnings.iter().any(|w| w.contains("'mood'")),
        "{warnings:?}"
    );
    // The library skips the broken files, reports each, and loads the rest.
    let (entries, problems) = preset::library(Some(&dir));
    assert_eq!(problems.len(), cases.len() + 2, "{problems:#?}");
    assert!(entries.iter().any(|e| e.preset.name == "Extra"));
    assert_eq!(entries.len(), FACTORY.len() + 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fuzzed_bytes_and_json_mutations_never_panic() {
    let good = factory("Deep rest").to_json();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    let mut rng = Rng::new(0xF022);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    let mut runs = 0u32;
    let mut accepted = 0u32;
    while std::time::Instant::now() < deadline {
        runs += 1;
        let bytes: Vec<u8> = if runs.is_multiple_of(2) {
            // Random bytes, sometimes spliced into a valid file.
            let mut b = good.clone().into_bytes();
            for _ in 0..1 + (rng.unit() * 8.0) as usize {
                let i = (rng.unit() * b.len() as f32) as usize % b.len();
                b[i] = (rng.next_u64() & 0xff) as u8;
            }
            b
        } else {
            let mut v = value.clone();
            mutate(&mut v, &mut rng);
            v.to_string().into_bytes()
        };
        match preset::parse(&bytes, "fuzz.json") {
            Ok((p, _)) => {
                accepted += 1;
                // Whatever is accepted is valid and survives a round trip.
                preset::validate(&p).unwrap();
                let back = preset::parse(p.to_json().as_bytes(), "again").unwrap().0;
                assert_eq!(back, p);
            }
            Err(e) => assert!(e.starts_with("Preset 'fuzz.json': "), "{e}"),
        }
    }
    assert!(runs > 1000, "only {runs} fuzz cases in 4 s");
    assert!(accepted > 0 && accepted < runs);
}

/// Replaces a random node of `v` with a random value.
fn mutate(v: &mut serde_json::Value, rng: &mut Rng) {
    use serde_json::Value;
    let pick = |rng: &mut Rng, n: usize| (rng.unit() * n as f32) as usize % n.max(1);
    match v {
        Value::Object(map) if !map.is_empty() && rng.unit() < 0.8 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let k = &keys[pick(rng, keys.len())];
            if rng.unit() < 0.1 {
                map.remove(k);
            } else {
                mutate(map.get_mut(k).unwrap(), rng);
            }
        }
        Value::Array(items) if !items.is_empty() && rng.unit() < 0.8 => {
            let i = pick(rng, items.len());
            mutate(&mut items[i], rng);
        }
        _ => {
            *v = match pick(rng, 7) {
                0 => Value::Null,
                1 => Value::Bool(rng.unit() < 0.5),
                2 => serde_json::json!(rng.bipolar() as f64 * 10f64.powi(pick(rng, 40) as i32)),
                3 => serde_json::json!(pick(rng, 20)),
                4 => Value::String(["calm", "alpha_rel", "up", "", "z"][pick(rng, 5)].into()),
                5 => serde_json::json!([]),
                _ => serde_json::json!({}),
            }
        }
    }
}

#[test]
fn preset_values_are_checked_against_parameter_ranges() {
    let mut p = factory("Calm");
    p.params
        .insert("chord".into(), PresetValue::Text("Lydian".into()));
    p.params.insert("adapt".into(), PresetValue::Bool(false));
    p.params.insert("root".into(), PresetValue::Number(60.0));
    preset::validate(&p).unwrap();
    p.params
        .insert("chord".into(), PresetValue::Text("Jazz".into()));
    assert!(preset::validate(&p).unwrap_err().contains("params.chord"));
    p.params
        .insert("chord".into(), PresetValue::Text("Lydian".into()));
    p.params.insert("adapt".into(), PresetValue::Number(1.0));
    assert!(preset::validate(&p).unwrap_err().contains("true or false"));
    p.params.insert("adapt".into(), PresetValue::Bool(true));
    p.params.insert("nosuch".into(), PresetValue::Number(1.0));
    assert!(preset::validate(&p).unwrap_err().contains("no parameter"));
}

/// The six program presets are generated from `Program::factory`, the programs' one
/// definition: each file holds exactly that program, and is exactly the text the preset
/// writer produces for it. `MELODIASYNC_WRITE_PRESETS=1 cargo test --test presets` rewrites
/// the files from Rust after a change to a factory program (keeping their other fields).
#[test]
fn program_presets_are_generated_from_the_factory_programs() {
    use melodiasync::feedback::program::{Program, ProgramKind};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets");
    let write = std::env::var_os("MELODIASYNC_WRITE_PRESETS").is_some();
    let mut stale = Vec::new();
    for kind in ProgramKind::ALL {
        let path = dir.join(format!("{}.json", kind.id()));
        let text = std::fs::read_to_string(&path).unwrap();
        let (mut p, warnings) = preset::parse(text.as_bytes(), kind.id()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p.slot, kind, "{}", path.display());
        p.program = Program::factory(kind);
        let generated = p.to_json() + "\n";
        if text != generated {
            if write {
                std::fs::write(&path, &generated).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
        // The embedded copy is the file.
        let embedded = FACTORY
            .iter()
            .find(|(name, _)| *name == format!("{}.json", kind.id()))
            .unwrap()
            .1;
        assert_eq!(embedded, text, "{}", path.display());
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from Program::factory; rerun with MELODIASYNC_WRITE_PRESETS=1 to \
         regenerate them, and review the diff"
    );
}
