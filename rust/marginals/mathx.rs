//! `exp` over slices, vectorised: the kernel of belief propagation in log space.
//!
//! [`exp_sum`] computes `exp(x − shift)` for `x ≤ shift` with [`crate::fastexp`]'s exponential
//! (relative error below 4·10⁻¹⁶; below `e^−708` flushes to 0). The loop compiles for AVX2+FMA,
//! written out in intrinsics, when the CPU has it (detected once at run time) and for baseline
//! x86-64 otherwise.

use crate::fastexp::{exp_le0, FLUSH, LN2_HI, LN2_LO, LOG2E, TAYLOR};
use rayon::prelude::*;
use std::sync::OnceLock;

/// `out[i] = exp(x[i] − shift)`; returns `Σ out`.
#[inline(always)]
fn exp_sum_generic(x: &[f64], shift: f64, out: &mut [f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut xs = x.chunks_exact(4);
    let mut os = out.chunks_exact_mut(4);
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for l in 0..4 {
            let e = exp_le0(xc[l] - shift);
            oc[l] = e;
            acc[l] += e;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (xv, ov) in xs.remainder().iter().zip(os.into_remainder()) {
        let e = exp_le0(*xv - shift);
        *ov = e;
        s += e;
    }
    s
}

/// The same computation as [`exp_le0`], four lanes at a time with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn exp_sum_avx2(x: &[f64], shift: f64, out: &mut [f64]) -> f64 {
    use std::arch::x86_64::*;
    let n = x.len().min(out.len());
    let (xp, op) = (x.as_ptr(), out.as_mut_ptr());
    let vshift = _mm256_set1_pd(shift);
    let vflush = _mm256_set1_pd(FLUSH);
    let vlog2e = _mm256_set1_pd(LOG2E);
    let vhi = _mm256_set1_pd(LN2_HI);
    let vlo = _mm256_set1_pd(LN2_LO);
    let bias = _mm_set1_epi32(1023);
    let mut acc0 = _mm256_setzero_pd();
    let mut acc1 = _mm256_setzero_pd();
    let mut i = 0;
    // SAFETY: every load and store below stays inside `0..n`.
    unsafe {
        let lane = |v: __m256d| -> __m256d {
            let d = _mm256_sub_pd(v, vshift);
            let xc = _mm256_max_pd(d, vflush);
            let kf = _mm256_round_pd(_mm256_mul_pd(xc, vlog2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            let r = _mm256_fnmadd_pd(kf, vlo, _mm256_fnmadd_pd(kf, vhi, xc));
            let mut p = _mm256_set1_pd(TAYLOR[0]);
            for &c in &TAYLOR[1..] {
                p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
            }
            let k = _mm_add_epi32(_mm256_cvtpd_epi32(kf), bias);
            let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_cvtepi32_epi64(k)));
            let e = _mm256_mul_pd(p, scale);
            _mm256_andnot_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(d, vflush), e)
        };
        while i + 8 <= n {
            let e0 = lane(_mm256_loadu_pd(xp.add(i)));
            let e1 = lane(_mm256_loadu_pd(xp.add(i + 4)));
            _mm256_storeu_pd(op.add(i), e0);
            _mm256_storeu_pd(op.add(i + 4), e1);
            acc0 = _mm256_add_pd(acc0, e0);
            acc1 = _mm256_add_pd(acc1, e1);
            i += 8;
        }
        let mut lanes = [0.0f64; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_add_pd(acc0, acc1));
        let mut s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        while i < n {
            let e = exp_le0(*xp.add(i) - shift);
            *op.add(i) = e;
            s += e;
            i += 1;
        }
        s
    }
}

fn has_avx2() -> bool {
    static LEVEL: OnceLock<bool> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let capped = std::env::var("SYNTHRISK_SIMD").map(|v| v == "scalar").unwrap_or(false);
            !capped && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

fn exp_sum_serial(x: &[f64], shift: f64, out: &mut [f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        return unsafe { exp_sum_avx2(x, shift, out) };
    }
    exp_sum_generic(x, shift, out)
}

/// `out[i] = exp(x[i] − shift)` for every cell (the caller makes `shift ≥ max x`, so nothing
/// overflows); returns the sum. Splits large slices over threads in fixed chunks, so the sum is
/// the same whatever the number of threads.
pub fn exp_sum(x: &[f64], shift: f64, out: &mut [f64]) -> f64 {
    assert_eq!(x.len(), out.len());
    const CHUNK: usize = 1 << 15;
    if x.len() >= 4 * CHUNK && rayon::current_num_threads() > 1 {
        let parts: Vec<f64> = x
            .par_chunks(CHUNK)
            .zip(out.par_chunks_mut(CHUNK))
            .map(|(xc, oc)| exp_sum_serial(xc, shift, oc))
            .collect();
        parts.iter().sum()
    } else if x.len() >= 4 * CHUNK {
        x.chunks(CHUNK)
            .zip(out.chunks_mut(CHUNK))
            .map(|(xc, oc)| exp_sum_serial(xc, shift, oc))
            .sum()
    } else {
        exp_sum_serial(x, shift, out)
    }
}

/// `exp(x − shift)` of one value (same approximation as [`exp_sum`]).
#[inline]
pub fn exp_one(x: f64, shift: f64) -> f64 {
    exp_le0(x - shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_and_sums() {
        let x: Vec<f64> = (0..300_000).map(|i| -((i % 977) as f64) * 0.37).collect();
        let mut out = vec![0.0; x.len()];
        let s = exp_sum(&x, 0.5, &mut out);
        let mut want = 0.0;
        for (a, b) in x.iter().zip(&out) {
            let e = (a - 0.5).exp();
            assert!((b - e).abs() <= 4e-16 * e);
            want += e;
        }
        assert!((s - want).abs() < 1e-9 * want);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut out2 = vec![0.0; x.len()];
        let s2 = pool.install(|| exp_sum(&x, 0.5, &mut out2));
        assert_eq!(s, s2, "the sum must not depend on the number of threads");
    }
}
