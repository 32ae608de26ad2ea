//! Colours: the Okabe–Ito palette, distinguishable with every common colour-vision deficiency,
//! on a dark background. Good/bad never rely on colour alone (lights carry a symbol too).

use egui::Color32;

/// Background.
pub const BG: Color32 = Color32::from_rgb(0x16, 0x1a, 0x22);
/// Panel background.
pub const PANEL: Color32 = Color32::from_rgb(0x20, 0x26, 0x30);
/// Text.
pub const TEXT: Color32 = Color32::from_rgb(0xe6, 0xe6, 0xe6);
/// Dim text and grid.
pub const DIM: Color32 = Color32::from_rgb(0x80, 0x88, 0x94);
/// Orange.
pub const ORANGE: Color32 = Color32::from_rgb(0xe6, 0x9f, 0x00);
/// Sky blue.
pub const SKY: Color32 = Color32::from_rgb(0x56, 0xb4, 0xe9);
/// Bluish green.
pub const GREEN: Color32 = Color32::from_rgb(0x00, 0x9e, 0x73);
/// Yellow.
pub const YELLOW: Color32 = Color32::from_rgb(0xf0, 0xe4, 0x42);
/// Blue.
pub const BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xb2);
/// Vermillion.
pub const VERMILLION: Color32 = Color32::from_rgb(0xd5, 0x5e, 0x00);
/// Reddish purple.
pub const PURPLE: Color32 = Color32::from_rgb(0xcc, 0x79, 0xa7);

/// One colour per standard band (delta..high beta).
pub const BANDS: [Color32; 7] = [PURPLE, BLUE, GREEN, ORANGE, VERMILLION, SKY, YELLOW];

/// The listener's range on a meter: a faint veil of the text colour over the bar.
pub const RANGE: Color32 = Color32::from_rgba_premultiplied(0x26, 0x26, 0x26, 0x28);
