//! Transcendental functions that give the same bits on every platform.
//!
//! `f32::exp`, `sin`, `powf` and their kin call the platform's C maths library, whose last
//! bits differ between glibc (Linux), the msvcrt that mingw links (Windows) and Apple's libm:
//! a Windows render drifted from the Linux one by up to 3e-7 (-131 dBFS) within a second. The
//! DSP that shapes the sound and the features (`synth/`, `features/`, `feedback/`, the
//! simulator) calls these instead: the `libm` crate, a pure-Rust port of musl's maths
//! library, the same code everywhere. So a bounce is bit-identical on Linux and Windows
//! (`tests/python/test_windows.py`). `sqrt` and `powi` are exact or compiler-provided, the
//! same everywhere, and stay as they are. Tests may use the standard functions freely.

/// The platform-independent functions, as methods on `f32` and `f64` (`x.libm_exp()`).
pub trait Portable: Sized {
    /// e^x.
    fn libm_exp(self) -> Self;
    /// 2^x.
    fn libm_exp2(self) -> Self;
    /// Natural logarithm.
    fn libm_ln(self) -> Self;
    /// Base-2 logarithm.
    fn libm_log2(self) -> Self;
    /// Base-10 logarithm.
    fn libm_log10(self) -> Self;
    /// x^y.
    fn libm_powf(self, y: Self) -> Self;
    /// Sine (radians).
    fn libm_sin(self) -> Self;
    /// Cosine (radians).
    fn libm_cos(self) -> Self;
    /// Tangent (radians).
    fn libm_tan(self) -> Self;
    /// Hyperbolic tangent.
    fn libm_tanh(self) -> Self;
    /// √(x² + y²) without overflow.
    fn libm_hypot(self, y: Self) -> Self;
    /// Four-quadrant arctangent of self/x.
    fn libm_atan2(self, x: Self) -> Self;
}

/// Implements [`Portable`] for one float type with `libm`'s functions of that width.
macro_rules! portable {
    ($t:ty, $exp:ident, $exp2:ident, $ln:ident, $log2:ident, $log10:ident, $pow:ident,
     $sin:ident, $cos:ident, $tan:ident, $tanh:ident, $hypot:ident, $atan2:ident) => {
        impl Portable for $t {
            #[inline]
            fn libm_exp(self) -> Self {
                libm::$exp(self)
            }
            #[inline]
            fn libm_exp2(self) -> Self {
                libm::$exp2(self)
            }
            #[inline]
            fn libm_ln(self) -> Self {
                libm::$ln(self)
            }
            #[inline]
            fn libm_log2(self) -> Self {
                libm::$log2(self)
            }
            #[inline]
            fn libm_log10(self) -> Self {
                libm::$log10(self)
            }
            #[inline]
            fn libm_powf(self, y: Self) -> Self {
                libm::$pow(self, y)
            }
            #[inline]
            fn libm_sin(self) -> Self {
                libm::$sin(self)
            }
            #[inline]
            fn libm_cos(self) -> Self {
                libm::$cos(self)
            }
            #[inline]
            fn libm_tan(self) -> Self {
                libm::$tan(self)
            }
            #[inline]
            fn libm_tanh(self) -> Self {
                libm::$tanh(self)
            }
            #[inline]
            fn libm_hypot(self, y: Self) -> Self {
                libm::$hypot(self, y)
            }
            #[inline]
            fn libm_atan2(self, x: Self) -> Self {
                libm::$atan2(self, x)
            }
        }
    };
}

portable!(f32, expf, exp2f, logf, log2f, log10f, powf, sinf, cosf, tanf, tanhf, hypotf, atan2f);
portable!(f64, exp, exp2, log, log2, log10, pow, sin, cos, tan, tanh, hypot, atan2);

#[cfg(test)]
mod tests {
    use super::Portable;

    #[test]
    fn agree_with_the_platform_within_an_ulp_or_two() {
        // The point is the bits, not new maths: within 2 ulp of the platform's results.
        for i in -400..400 {
            let x = i as f32 * 0.037;
            let close = |a: f32, b: f32| {
                a == b || (a - b).abs() <= 2.0 * f32::EPSILON * a.abs().max(b.abs()).max(1e-30)
            };
            assert!(close(x.libm_exp(), x.exp()), "exp {x}");
            assert!(close(x.libm_exp2(), x.exp2()), "exp2 {x}");
            assert!(
                close(x.libm_sin(), x.sin()) || (x.sin()).abs() < 1e-6,
                "sin {x}"
            );
            assert!(
                close(x.libm_cos(), x.cos()) || (x.cos()).abs() < 1e-6,
                "cos {x}"
            );
            assert!(close(x.libm_tanh(), x.tanh()), "tanh {x}");
            assert!(close(x.libm_hypot(0.5), x.hypot(0.5)), "hypot {x}");
            assert!(close(x.libm_atan2(0.3), x.atan2(0.3)), "atan2 {x}");
            if x > 0.0 {
                assert!(close(x.libm_ln(), x.ln()) || x.ln().abs() < 1e-6, "ln {x}");
                assert!(
                    close(x.libm_log2(), x.log2()) || x.log2().abs() < 1e-6,
                    "log2 {x}"
                );
                assert!(
                    close(x.libm_log10(), x.log10()) || x.log10().abs() < 1e-6,
                    "log10 {x}"
                );
                assert!(close(x.libm_powf(0.3), x.powf(0.3)), "powf {x}");
            }
            let y = x as f64;
            assert!(
                (y.libm_exp() - y.exp()).abs() <= 4.0 * f64::EPSILON * y.exp(),
                "exp {y}"
            );
            assert!(
                (y.libm_sin() - y.sin()).abs() <= 4.0 * f64::EPSILON,
                "sin {y}"
            );
        }
        let t = 0.3f32;
        assert!((t.libm_tan() - t.tan()).abs() <= 2.0 * f32::EPSILON);
    }
}
