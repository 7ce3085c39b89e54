//! `exp(x)` for `x ≤ 0`, branch-free so that loops over it vectorise: the one exponential of the
//! log-space kernels (KDE log-sum-exp in `density`, belief propagation in `marginals`).
//!
//! Cody–Waite range reduction `x = k ln 2 + r`, `|r| ≤ ln2/2`, a degree-12 Taylor polynomial for
//! `e^r` (relative error below 4·10⁻¹⁶, tested against `f64::exp`) and `2^k` built in the exponent
//! bits. Arguments below −708 (e^−708 ≈ 3·10⁻³⁰⁸, the smallest normal result kept) and −∞ give 0.

pub const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split in two: `LN2_HI` has trailing zero bits, so `k · LN2_HI` is exact for |k| < 2¹¹.
pub const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
pub const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
/// 1.5 · 2⁵²: adding it rounds a double to the nearest integer, which lands in the low bits.
pub const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// Arguments below this flush to 0.
pub const FLUSH: f64 = -708.0;
/// Taylor coefficients of `e^r`, highest power first (1/12!, …, 1/2, 1, 1), for Horner's rule.
pub const TAYLOR: [f64; 13] = [
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// `exp(x)` for `x ≤ 0` (see the module docs).
#[inline(always)]
pub fn exp_le0(x: f64) -> f64 {
    exp_le0_with::<false>(x)
}

/// [`exp_le0`] with fused multiply-adds (`FMA`), for code compiled where the CPU has them.
#[inline(always)]
pub fn exp_le0_with<const FMA: bool>(x: f64) -> f64 {
    #[inline(always)]
    fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
        if FMA {
            a.mul_add(b, c)
        } else {
            a * b + c
        }
    }
    let xc = x.max(FLUSH);
    let shifted = madd::<FMA>(xc, LOG2E, SHIFTER);
    let kf = shifted - SHIFTER;
    let r = madd::<FMA>(-kf, LN2_LO, madd::<FMA>(-kf, LN2_HI, xc));
    // Horner written out (a loop here can stay a loop inside the callers' lanes).
    let t = &TAYLOR;
    let mut p = madd::<FMA>(t[0], r, t[1]);
    p = madd::<FMA>(p, r, t[2]);
    p = madd::<FMA>(p, r, t[3]);
    p = madd::<FMA>(p, r, t[4]);
    p = madd::<FMA>(p, r, t[5]);
    p = madd::<FMA>(p, r, t[6]);
    p = madd::<FMA>(p, r, t[7]);
    p = madd::<FMA>(p, r, t[8]);
    p = madd::<FMA>(p, r, t[9]);
    p = madd::<FMA>(p, r, t[10]);
    p = madd::<FMA>(p, r, t[11]);
    p = madd::<FMA>(p, r, t[12]);
    // 2^k added straight into the exponent bits (k ≥ −1021 here, so the result stays normal).
    let k = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let e = f64::from_bits(p.to_bits().wrapping_add(k << 52));
    if x < FLUSH {
        0.0
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worst_relative_error(f: fn(f64) -> f64) -> f64 {
        let mut worst = 0.0f64;
        let mut x = -707.9;
        while x <= 0.0 {
            let (got, want) = (f(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.000_713;
        }
        worst
    }

    #[test]
    fn matches_std_exp_with_and_without_fma() {
        for f in [exp_le0 as fn(f64) -> f64, exp_le0_with::<true>] {
            let worst = worst_relative_error(f);
            assert!(worst < 4e-16, "relative error {worst:e}");
            assert_eq!(f(0.0), 1.0);
            assert_eq!(f(-709.0), 0.0);
            assert_eq!(f(-800.0), 0.0);
            assert_eq!(f(f64::NEG_INFINITY), 0.0);
        }
    }
}
