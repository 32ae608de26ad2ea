//! Which signals of a file are EEG, and which are used.
//!
//! A signal is EEG when its label says so: an "EEG" prefix (EDF's convention, e.g. "EEG
//! C3-A2") or a 10-10 site name, alone or with a reference ("Fp1-REF", "C3-M2"). Signals
//! that name another kind (EOG, EMG, ECG, respiration, pulse, motion, temperature, events,
//! annotations, auxiliary inputs), declare another channel type (XDF), or have a unit that is
//! not a voltage are left out, with the reason. When no label names EEG (generic "Ch1"
//! labels), every signal not left out is used. Of the signals kept, those at the most common
//! rate are analysed; EEG at another rate is left out and said so, never mixed.
//!
//! Sources: the EDF+ signal-label convention (Kemp & Olivan 2003, "Standard texts and
//! polarity"), the 10-10 system (Chatrian et al. 1985, with the old T3/T4/T5/T6 names), and
//! MNE's channel-type guessing, which keys on the same prefixes.

/// What a reader knows about one signal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignalInfo {
    /// The label as written.
    pub label: String,
    /// Physical unit as written ("uV", "µV", "mV", "%", …); empty when unknown.
    pub unit: String,
    /// A declared type (an XDF channel's `type`); empty when none.
    pub declared_type: String,
    /// Samples per second.
    pub rate: f64,
}

/// What a signal is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// EEG by its label.
    Eeg,
    /// Nothing says what it is (used only when no signal is named as EEG).
    Unknown,
    /// Not EEG, with the reason in a few words.
    Other(String),
}

/// Standard 10-10 electrode labels (plus the older T3/T4/T5/T6 and the reference sites), the
/// names a program may select channels by. Compared case-insensitively.
pub const ELECTRODES: [&str; 94] = [
    "Fp1", "Fpz", "Fp2", "AF9", "AF7", "AF5", "AF3", "AF1", "AFz", "AF2", "AF4", "AF6", "AF8",
    "AF10", "F9", "F7", "F5", "F3", "F1", "Fz", "F2", "F4", "F6", "F8", "F10", "FT9", "FT7", "FC5",
    "FC3", "FC1", "FCz", "FC2", "FC4", "FC6", "FT8", "FT10", "T9", "T7", "C5", "C3", "C1", "Cz",
    "C2", "C4", "C6", "T8", "T10", "TP9", "TP7", "CP5", "CP3", "CP1", "CPz", "CP2", "CP4", "CP6",
    "TP8", "TP10", "P9", "P7", "P5", "P3", "P1", "Pz", "P2", "P4", "P6", "P8", "P10", "PO9", "PO7",
    "PO5", "PO3", "PO1", "POz", "PO2", "PO4", "PO6", "PO8", "PO10", "O1", "Oz", "O2", "O9", "O10",
    "Iz", "T3", "T4", "T5", "T6", "A1", "A2", "M1", "M2",
];

/// Reference sites (ear lobes, mastoids): in [`ELECTRODES`] for montages, never taken as EEG
/// sites by a label.
const REFERENCES: [&str; 4] = ["A1", "A2", "M1", "M2"];

/// Words that name another kind of signal, and what that kind is.
const OTHER_KINDS: [(&str, &str); 38] = [
    ("EXG", "external electrode"),
    ("COUNTER", "sample counter"),
    ("INTERPOLATED", "device flag"),
    ("RAWCQ", "contact quality"),
    ("CQ", "contact quality"),
    ("EOG", "eye movement"),
    ("EMG", "muscle"),
    ("ECG", "heart"),
    ("EKG", "heart"),
    ("RESP", "breathing"),
    ("THOR", "breathing"),
    ("ABD", "breathing"),
    ("FLOW", "breathing"),
    ("AIRFLOW", "breathing"),
    ("NASAL", "breathing"),
    ("SNORE", "sound"),
    ("PLETH", "pulse"),
    ("PPG", "pulse"),
    ("PULSE", "pulse"),
    ("SPO2", "oxygen saturation"),
    ("SAO2", "oxygen saturation"),
    ("TEMP", "temperature"),
    ("ACC", "motion"),
    ("GYRO", "motion"),
    ("POSITION", "body position"),
    ("LIGHT", "light"),
    ("EVENT", "events"),
    ("STATUS", "events"),
    ("TRIG", "events"),
    ("MARKER", "events"),
    ("ANNOTATION", "annotations"),
    ("AUX", "auxiliary input"),
    ("ANALOG", "analog input"),
    ("BATT", "battery"),
    ("EDA", "skin conductance"),
    ("GSR", "skin conductance"),
    ("OTHER", "other data"),
    ("INDEX", "sample counter"),
];

/// Whether `unit` is a voltage (empty: unknown, taken as one).
pub fn is_voltage(unit: &str) -> bool {
    let u = unit.trim().to_ascii_lowercase();
    u.is_empty() || microvolts_per_unit(unit).is_some()
}

/// Microvolts per unit of a voltage unit ("uV", "µV" in UTF-8 or Latin-1, "mV", "V", "nV",
/// or the words), `None` for anything else.
pub fn microvolts_per_unit(unit: &str) -> Option<f64> {
    let u = unit
        .trim()
        .replace(['\u{b5}', '\u{3bc}'], "u")
        .to_ascii_lowercase();
    Some(match u.as_str() {
        "uv" | "microvolt" | "microvolts" => 1.0,
        "mv" | "millivolt" | "millivolts" => 1e3,
        "v" | "volt" | "volts" => 1e6,
        "nv" | "nanovolt" | "nanovolts" => 1e-3,
        _ => return None,
    })
}

/// The 10-10 site a label names, if any: "EEG Fp1-REF" → "Fp1".
pub fn site(label: &str) -> Option<&'static str> {
    let upper = label.trim().to_ascii_uppercase();
    let rest = upper
        .strip_prefix("EEG")
        .map(|r| r.trim_start_matches([' ', '-', ':', '_']))
        .unwrap_or(&upper);
    let head = rest.split(['-', ' ', ':', '/']).next().unwrap_or("");
    ELECTRODES
        .iter()
        .copied()
        .filter(|e| !REFERENCES.contains(e))
        .find(|e| e.eq_ignore_ascii_case(head))
}

/// What `signal` is.
pub fn kind(signal: &SignalInfo) -> Kind {
    let label = signal.label.trim();
    let declared = signal.declared_type.trim();
    let upper = label.to_ascii_uppercase();
    // A type the device declares (XDF channel types, OpenBCI's EXG columns) decides, except
    // that a label naming another kind wins over a blanket "EEG" (muse-lsl types its "Right
    // AUX" input EEG like the electrodes); external electrodes (EXG) declared EEG are EEG.
    if declared.eq_ignore_ascii_case("EEG") {
        return match label_kind(&upper) {
            Some(other) if !upper.starts_with("EXG") => Kind::Other(other),
            _ => Kind::Eeg,
        };
    }
    if !declared.is_empty() {
        return Kind::Other(format!("type {declared}"));
    }
    if let Some(other) = label_kind(&upper) {
        return Kind::Other(other);
    }
    if !is_voltage(&signal.unit) {
        return Kind::Other(format!("unit '{}' is not a voltage", signal.unit.trim()));
    }
    if upper.starts_with("EEG") || site(label).is_some() {
        Kind::Eeg
    } else {
        Kind::Unknown
    }
}

/// The other kind of signal an upper-case label names ("ECG II" → heart), if any.
fn label_kind(upper: &str) -> Option<String> {
    // An "EEG" prefix names EEG unless the rest names something else (Emotiv writes
    // "EEG.Counter", "EEG.RawCq" beside "EEG.AF3").
    let rest = upper.strip_prefix("EEG").unwrap_or(upper);
    let words = rest.split(|c: char| !c.is_ascii_alphanumeric());
    for w in words.filter(|w| !w.is_empty()) {
        if let Some((_, what)) = OTHER_KINDS.iter().find(|(k, _)| w.starts_with(k)) {
            return Some((*what).to_string());
        }
        match w {
            "HR" => return Some("heart rate".into()),
            "POS" => return Some("body position".into()),
            _ => {}
        }
    }
    None
}

/// The signals to analyse and what was said about the choice.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// Indices into the signal list, in file order.
    pub used: Vec<usize>,
    /// Their common rate.
    pub rate: f64,
    /// One sentence: which signals, and which were left out and why.
    pub summary: String,
}

/// Chooses the signals to analyse: `wanted` by label (case-insensitive) or 1-based number
/// when given, else by [`kind`]. Errors are one sentence listing what the file has.
pub fn choose(signals: &[SignalInfo], wanted: &[String]) -> Result<Choice, String> {
    let listing = || {
        signals
            .iter()
            .map(|s| format!("{} ({} Hz)", s.label, s.rate))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !wanted.is_empty() {
        let mut used = Vec::new();
        for w in wanted {
            let w = w.trim();
            // The label as written, else a 10-10 site one label names ("C3" for "EEG
            // C3-A2"), else a number from 1.
            let by_site = || {
                let want = site(w)?;
                let mut hits = signals
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| site(&s.label) == Some(want));
                let (i, _) = hits.next()?;
                hits.next().is_none().then_some(i)
            };
            let i = signals
                .iter()
                .position(|s| s.label.trim().eq_ignore_ascii_case(w))
                .or_else(by_site)
                .or_else(|| {
                    w.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=signals.len()).contains(n))
                        .map(|n| n - 1)
                })
                .ok_or_else(|| {
                    format!(
                        "there is no signal '{w}' (signals are named by label, or numbered \
                         from 1); the file has {}.",
                        listing()
                    )
                })?;
            if !used.contains(&i) {
                used.push(i);
            }
        }
        let rate = signals[used[0]].rate;
        if used.iter().any(|&i| signals[i].rate != rate) {
            let rates: Vec<String> = used
                .iter()
                .map(|&i| format!("{}: {} Hz", signals[i].label, signals[i].rate))
                .collect();
            return Err(format!(
                "the chosen signals have different rates ({}); choose signals that share one \
                 rate.",
                rates.join(", ")
            ));
        }
        let names: Vec<&str> = used.iter().map(|&i| signals[i].label.as_str()).collect();
        return Ok(Choice {
            summary: format!(
                "signals used (as chosen): {} at {rate} Hz",
                names.join(", ")
            ),
            used,
            rate,
        });
    }
    let kinds: Vec<Kind> = signals.iter().map(kind).collect();
    let any_eeg = kinds.contains(&Kind::Eeg);
    let candidate = |k: &Kind| *k == Kind::Eeg || (!any_eeg && *k == Kind::Unknown);
    let Some(rate) = most_common_rate(signals, &kinds, candidate) else {
        let reasons: Vec<String> = signals
            .iter()
            .zip(&kinds)
            .map(|(s, k)| match k {
                Kind::Other(why) => format!("{} ({why})", s.label),
                _ => s.label.clone(),
            })
            .collect();
        return Err(format!(
            "no EEG signal found among {}; choose signals by label with --channels.",
            if reasons.is_empty() {
                "no signals".to_string()
            } else {
                reasons.join(", ")
            }
        ));
    };
    let used: Vec<usize> = (0..signals.len())
        .filter(|&i| candidate(&kinds[i]) && signals[i].rate == rate)
        .collect();
    let mut left = Vec::new();
    for (i, s) in signals.iter().enumerate() {
        match &kinds[i] {
            Kind::Other(why) => left.push(format!("{} ({why})", s.label)),
            k if candidate(k) && s.rate != rate => left.push(format!(
                "{} ({} Hz, not the {rate} Hz of the signals used)",
                s.label, s.rate
            )),
            Kind::Unknown if any_eeg => left.push(format!("{} (not named as EEG)", s.label)),
            _ => {}
        }
    }
    // "Other (other data) ×7" rather than seven times the same words.
    let mut grouped: Vec<(String, usize)> = Vec::new();
    for l in left {
        match grouped.iter_mut().find(|(g, _)| *g == l) {
            Some((_, n)) => *n += 1,
            None => grouped.push((l, 1)),
        }
    }
    let left: Vec<String> = grouped
        .into_iter()
        .map(|(l, n)| if n > 1 { format!("{l} ×{n}") } else { l })
        .collect();
    let names: Vec<&str> = used.iter().map(|&i| signals[i].label.as_str()).collect();
    let what = if any_eeg { "EEG signals" } else { "signals" };
    let mut summary = format!("{what} used: {} at {rate} Hz", names.join(", "));
    if !left.is_empty() {
        summary += &format!("; left out: {}", left.join(", "));
    }
    Ok(Choice {
        used,
        rate,
        summary,
    })
}

/// The rate most candidates share (the lowest of equally common ones), `None` without
/// candidates.
fn most_common_rate(
    signals: &[SignalInfo],
    kinds: &[Kind],
    candidate: impl Fn(&Kind) -> bool,
) -> Option<f64> {
    let mut rates: Vec<f64> = (0..signals.len())
        .filter(|&i| candidate(&kinds[i]))
        .map(|i| signals[i].rate)
        .collect();
    rates.sort_by(f64::total_cmp);
    let mut best: Option<(f64, usize)> = None;
    for run in rates.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, n)| run.len() > n) {
            best = Some((run[0], run.len()));
        }
    }
    best.map(|(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(label: &str, unit: &str, rate: f64) -> SignalInfo {
        SignalInfo {
            label: label.into(),
            unit: unit.into(),
            declared_type: String::new(),
            rate,
        }
    }

    #[test]
    fn labels_name_eeg_sites_and_other_kinds() {
        for eeg in [
            "EEG C3-A2",
            "Fp1-REF",
            "O2",
            "EEG Fpz-Cz",
            "t3",
            "C3-M2",
            "EEG 1",
        ] {
            assert_eq!(kind(&sig(eeg, "uV", 256.0)), Kind::Eeg, "{eeg}");
        }
        for other in [
            "EMG chin",
            "Resp thorax",
            "Pleth",
            "EOG LOC-A2",
            "ECG II",
            "Accel Channel 0",
            "Right AUX",
            "Status",
            "Temp rectal",
            "SpO2",
            "Sample Index",
            "EEG.Counter",
            "EEG.RawCq",
            "EXG1",
        ] {
            assert!(
                matches!(kind(&sig(other, "uV", 256.0)), Kind::Other(_)),
                "{other}"
            );
        }
        assert!(matches!(kind(&sig("Cz", "%", 1.0)), Kind::Other(_)));
        assert_eq!(kind(&sig("Ch1", "uV", 1.0)), Kind::Unknown);
        assert_eq!(kind(&sig("Cz", "\u{b5}V", 1.0)), Kind::Eeg);
    }

    #[test]
    fn a_label_naming_another_kind_wins_over_a_blanket_eeg_type() {
        let typed = |label: &str| SignalInfo {
            declared_type: "EEG".into(),
            ..sig(label, "microvolts", 256.0)
        };
        // muse-lsl types all five channels EEG; its AUX input is not.
        let s = [
            typed("TP9"),
            typed("AF7"),
            typed("Right AUX"),
            typed("EXG Channel 0"),
        ];
        assert_eq!(kind(&s[0]), Kind::Eeg);
        assert_eq!(kind(&s[2]), Kind::Other("auxiliary input".into()));
        assert_eq!(kind(&s[3]), Kind::Eeg, "external electrodes declared EEG");
        let c = choose(&s, &[]).unwrap();
        assert_eq!(c.used, [0, 1, 3]);
        assert!(
            c.summary.contains("Right AUX (auxiliary input)"),
            "{}",
            c.summary
        );
    }

    #[test]
    fn eeg_at_its_rate_wins_over_auxiliary_signals() {
        let s = [
            sig("EEG C3-A2", "uV", 256.0),
            sig("EEG C4-A1", "uV", 256.0),
            sig("Pleth", "", 128.0),
            sig("Resp thorax", "", 128.0),
            sig("EMG chin", "uV", 128.0),
        ];
        let c = choose(&s, &[]).unwrap();
        assert_eq!((c.used.clone(), c.rate), (vec![0, 1], 256.0));
        assert!(c.summary.contains("Pleth (pulse)"), "{}", c.summary);
        // Chosen by label, any kind; mixed rates are refused with the rates.
        let c = choose(&s, &["emg chin".into()]).unwrap();
        assert_eq!(c.used, [4]);
        // A site names its one signal; a signal named twice counts once.
        let c = choose(&s, &["C3".into(), "EEG C3-A2".into()]).unwrap();
        assert_eq!(c.used, [0]);
        let e = choose(&s, &["EEG C3-A2".into(), "Pleth".into()]).unwrap_err();
        assert!(e.contains("different rates"), "{e}");
        let e = choose(&s, &["Fz".into()]).unwrap_err();
        assert!(
            e.contains("no signal 'Fz'") && e.contains("EEG C3-A2"),
            "{e}"
        );
        // Generic labels: everything at the common rate.
        let g = [
            sig("A", "uV", 200.0),
            sig("B", "uV", 200.0),
            sig("C", "uV", 100.0),
        ];
        assert_eq!(choose(&g, &[]).unwrap().used, [0, 1]);
        let e = choose(&[sig("ECG", "mV", 500.0)], &[]).unwrap_err();
        assert!(
            e.contains("no EEG signal") && e.contains("--channels"),
            "{e}"
        );
    }
}
