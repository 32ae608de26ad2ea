//! Text as recorders write it: a UTF-8 byte-order mark (Notepad, PowerShell, Excel), Latin-1
//! header bytes (EDF), NUL padding.

/// `bytes` as text without a leading UTF-8 byte-order mark. Invalid UTF-8 is read as Latin-1
/// (every byte one character), so a file from an older tool still opens.
pub fn decode(bytes: &[u8]) -> String {
    // UTF-16 with its byte-order mark ("Unicode text" from Excel and Notepad).
    for (bom, little) in [(b"\xFF\xFE", true), (b"\xFE\xFF", false)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| {
                    if little {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                })
                .collect();
            return String::from_utf16_lossy(&units);
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => latin1(bytes),
    }
}

/// `text` without a leading byte-order mark (for text already decoded).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Latin-1 (ISO 8859-1) bytes as text: byte `b` is the character U+00`b` (0xB5 is "µ").
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// An EDF header field as text: Latin-1, without surrounding spaces or NUL padding.
pub fn field(bytes: &[u8]) -> String {
    latin1(bytes)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_latin1_and_padding() {
        assert_eq!(decode(b"\xEF\xBB\xBFtime,O1"), "time,O1");
        assert_eq!(decode(b"\xB5V"), "\u{b5}V");
        assert_eq!(strip_bom("\u{feff}{}"), "{}");
        assert_eq!(field(b"  EEG Fp1\0\0  "), "EEG Fp1");
        assert_eq!(decode(b"\xFF\xFEt\0,\0O\x001\0"), "t,O1");
    }
}
