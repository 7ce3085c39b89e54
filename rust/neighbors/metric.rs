//! The per-column arithmetic of each metric, written once and shared by every search path.
//!
//! Every path (SIMD tiles, k-d tree, scalar) accumulates a distance in the same canonical order,
//! numeric columns first and then categorical columns, each step being one correctly rounded
//! operation (`mul_add` is a fused multiply-add). Lanes of a SIMD register hold different pairs,
//! never different columns of one pair, so every path gives bit-identical distances, and an exact
//! copy of a row is at distance exactly 0.
//!
//! Partial sums only grow (every term is ≥ 0 and rounding is monotone), so a partial sum that
//! already exceeds the k-th best distance can be abandoned, and a per-column lower bound computed
//! with the same operations never exceeds the distance itself.

/// A missing numeric value, once encoded (NaN in the caller's block). For every finite value `x`
/// with `|x| ≤ MAX_ABS_MIXED`, `min(|SENTINEL − x|, 1) = 1` and `|SENTINEL − SENTINEL| = 0`: the
/// missing-value rule of the mixed distance falls out of the ordinary arithmetic.
pub const SENTINEL: f32 = 3.0e38;

/// The largest magnitude a scaled numeric value may have under the mixed metric.
pub const MAX_ABS_MIXED: f32 = 1.0e30;

/// The largest magnitude a value may have under L1/L2 with `p` columns, so that no distance,
/// squared norm or dot product overflows `f32` (with a factor 4 to spare).
pub fn max_abs_l(metric_is_l2: bool, p: usize) -> f32 {
    let p = p.max(1) as f64;
    let limit = if metric_is_l2 { (f32::MAX as f64 / (4.0 * p)).sqrt() } else { f32::MAX as f64 / (4.0 * p) };
    limit.min(1.0e18) as f32
}

/// [`Kernel::OP`] of [`MixedK`], [`L1K`] and [`L2K`], for the hand-written SIMD steps.
pub const OP_MIXED: u8 = 0;
pub const OP_L1: u8 = 1;
pub const OP_L2: u8 = 2;

/// The numeric and categorical step of one metric.
pub trait Kernel: Copy + Send + Sync + 'static {
    /// Which metric this is (`OP_*`).
    const OP: u8;
    /// `acc` after numeric column with query value `q`, reference value `r` and weight `w`.
    fn num(acc: f32, q: f32, r: f32, w: f32) -> f32;
    /// The same step with `gap ≥ 0`, a lower bound of `|q − r|` (for box bounds).
    fn num_gap(acc: f32, gap: f32, w: f32) -> f32;
    /// `acc` after a categorical column (codes `q`, `r`, weight `w`).
    #[inline(always)]
    fn cat(acc: f32, q: u32, r: u32, w: f32) -> f32 {
        if q != r {
            acc + w
        } else {
            acc
        }
    }
}

/// Mixed-type: `Σ w_j · min(|Δ_j|, 1)` plus `Σ w_j · 1[a_j ≠ b_j]` (weights sum to 1). Also
/// Hamming, with no numeric columns and unit weights.
#[derive(Clone, Copy, Debug)]
pub struct MixedK;

/// L1 on numeric columns: `Σ |Δ_j|`.
#[derive(Clone, Copy, Debug)]
pub struct L1K;

/// Squared L2 on numeric columns: `Σ Δ_j²` (the search ranks by it; callers report its root).
#[derive(Clone, Copy, Debug)]
pub struct L2K;

impl Kernel for MixedK {
    const OP: u8 = OP_MIXED;
    #[inline(always)]
    fn num(acc: f32, q: f32, r: f32, w: f32) -> f32 {
        let t = (r - q).abs();
        let t = if t < 1.0 { t } else { 1.0 };
        w.mul_add(t, acc)
    }
    #[inline(always)]
    fn num_gap(acc: f32, gap: f32, w: f32) -> f32 {
        let t = if gap < 1.0 { gap } else { 1.0 };
        w.mul_add(t, acc)
    }
}

impl Kernel for L1K {
    const OP: u8 = OP_L1;
    #[inline(always)]
    fn num(acc: f32, q: f32, r: f32, _w: f32) -> f32 {
        acc + (r - q).abs()
    }
    #[inline(always)]
    fn num_gap(acc: f32, gap: f32, _w: f32) -> f32 {
        acc + gap
    }
}

impl Kernel for L2K {
    const OP: u8 = OP_L2;
    #[inline(always)]
    fn num(acc: f32, q: f32, r: f32, _w: f32) -> f32 {
        let d = r - q;
        d.mul_add(d, acc)
    }
    #[inline(always)]
    fn num_gap(acc: f32, gap: f32, _w: f32) -> f32 {
        gap.mul_add(gap, acc)
    }
}

/// The canonical distance of two encoded rows, abandoned (returning a value `> bound`) as soon
/// as a partial sum exceeds `bound`.
#[inline(always)]
pub fn distance_bounded<K: Kernel>(
    qn: &[f32],
    qc: &[u32],
    rn: &[f32],
    rc: &[u32],
    wn: &[f32],
    wc: &[f32],
    bound: f32,
) -> f32 {
    let mut acc = 0.0f32;
    // Check the bound every four columns: cheap, and most of the saving of checking every column.
    for ((q4, r4), w4) in qn.chunks(4).zip(rn.chunks(4)).zip(wn.chunks(4)) {
        for ((q, r), w) in q4.iter().zip(r4).zip(w4) {
            acc = K::num(acc, *q, *r, *w);
        }
        if acc > bound {
            return acc;
        }
    }
    for ((q4, r4), w4) in qc.chunks(4).zip(rc.chunks(4)).zip(wc.chunks(4)) {
        for ((q, r), w) in q4.iter().zip(r4).zip(w4) {
            acc = K::cat(acc, *q, *r, *w);
        }
        if acc > bound {
            return acc;
        }
    }
    acc
}

/// The canonical distance of two encoded rows (the oracle of the unit tests).
#[cfg(test)]
#[inline(always)]
pub fn distance<K: Kernel>(qn: &[f32], qc: &[u32], rn: &[f32], rc: &[u32], wn: &[f32], wc: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for ((q, r), w) in qn.iter().zip(rn).zip(wn) {
        acc = K::num(acc, *q, *r, *w);
    }
    for ((q, r), w) in qc.iter().zip(rc).zip(wc) {
        acc = K::cat(acc, *q, *r, *w);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_gives_the_missing_value_rule() {
        let w = [1.0f32];
        for x in [0.0f32, 0.5, -3.0, MAX_ABS_MIXED, -MAX_ABS_MIXED] {
            assert_eq!(distance::<MixedK>(&[SENTINEL], &[], &[x], &[], &w, &[]), 1.0);
            assert_eq!(distance::<MixedK>(&[x], &[], &[SENTINEL], &[], &w, &[]), 1.0);
        }
        assert_eq!(distance::<MixedK>(&[SENTINEL], &[], &[SENTINEL], &[], &w, &[]), 0.0);
    }

    #[test]
    fn bounded_distance_abandons_only_above_the_bound() {
        let q = [0.0f32; 9];
        let r = [1.0f32; 9];
        let w = [1.0f32; 9];
        assert_eq!(distance_bounded::<L1K>(&q, &[], &r, &[], &w, &[], 100.0), 9.0);
        assert!(distance_bounded::<L1K>(&q, &[], &r, &[], &w, &[], 2.0) > 2.0);
        assert_eq!(distance_bounded::<L2K>(&q, &[], &r, &[], &w, &[], 9.0), 9.0);
    }
}
