//! The command line's numbers: every numeric option is parsed by [`within`], so an absurd value
//! (0 where it means nothing, a negative, 1e9, NaN, infinity) is refused with a sentence that
//! names the range before anything runs, never clamped in silence or left to crash later.

use std::fmt::Display;
use std::str::FromStr;

/// A clap value parser for a number from `lo` to `hi` (inclusive; NaN and infinities are
/// outside every range) with its `unit` (" s", " Hz", "" ...). The error is a sentence; clap
/// puts the option's name before it.
pub(crate) fn within<T>(
    lo: T,
    hi: T,
    unit: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Copy + Display + Send + Sync + 'static,
{
    move |text: &str| {
        let range = || format!("use {lo} to {hi}{unit}");
        let value: T = text
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a number; {}.", range()))?;
        // NaN compares false both ways, so it is out of every range.
        if value >= lo && value <= hi {
            Ok(value)
        } else {
            Err(format!("{text} is out of range; {}.", range()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_numbers_get_a_sentence_and_good_ones_pass() {
        let seconds = within(0.05f32, 60.0, " s");
        assert_eq!(seconds("1.5"), Ok(1.5));
        assert_eq!(seconds(" 60 "), Ok(60.0));
        for bad in ["0", "-1", "1e9", "NaN", "nan", "inf", "-inf"] {
            let err = seconds(bad).unwrap_err();
            assert!(err.contains("use 0.05 to 60 s"), "{bad}: {err}");
        }
        assert!(seconds("ten").unwrap_err().contains("is not a number"));
        let count = within(1usize, 64, "");
        assert_eq!(count("64"), Ok(64));
        assert!(count("-3").unwrap_err().contains("use 1 to 64"));
        assert!(count("0").unwrap_err().contains("out of range"));
    }
}
