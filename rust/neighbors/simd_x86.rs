//! Hand-written AVX2+FMA and AVX-512 tiles of the brute-force path (x86-64 only, chosen at run
//! time). Each register lane holds one (query, reference) pair and applies exactly the steps of
//! `metric.rs` in the same column order, so results are bit-identical to the portable code.

use super::brute::{push_group, BruteArgs, LANES};
use super::metric::Kernel;
use super::topk::TopK;
use std::arch::x86_64::*;

use super::metric::{OP_L1, OP_L2};

/// Packs the queries of one task into blocks of `qb` (column-major in a block, the last block
/// padded with its last query).
fn pack_queries(a: &BruteArgs, q0: usize, nq: usize, qb: usize) -> (Vec<f32>, Vec<u32>) {
    let (p, c) = (a.panels.p, a.panels.c);
    let n_blocks = nq.div_ceil(qb);
    let mut qn = vec![0.0f32; n_blocks * p * qb];
    let mut qc = vec![0u32; n_blocks * c * qb];
    for b in 0..n_blocks {
        for qi in 0..qb {
            let row = q0 + (b * qb + qi).min(nq - 1);
            for (j, x) in a.query.num_row(row).iter().enumerate() {
                qn[(b * p + j) * qb + qi] = *x;
            }
            for (j, x) in a.query.cat_row(row).iter().enumerate() {
                qc[(b * c + j) * qb + qi] = *x;
            }
        }
    }
    (qn, qc)
}

/// Offers the lanes of one query's tile row to its top-k list.
#[inline(always)]
fn offer(a: &BruteArgs, top: &mut TopK, row: &[f32; LANES], first: usize, valid: usize) -> f32 {
    for (l, &d) in row.iter().enumerate().take(valid) {
        if d <= top.bound() {
            push_group(top, d, a.groups, first + l);
        }
    }
    top.bound()
}

macro_rules! chunk_driver {
    ($name:ident, $features:literal, $qb:expr, $tile:ident) => {
        /// Top-k of query rows `q0..q0 + tops.len()` with this instruction set's tiles.
        ///
        /// # Safety
        /// The CPU must support the enabled features.
        #[target_feature(enable = $features)]
        pub unsafe fn $name<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
            const QB: usize = $qb;
            let (p, c) = (a.panels.p, a.panels.c);
            let nq = tops.len();
            let n_blocks = nq.div_ceil(QB);
            let (qn, qc) = pack_queries(a, q0, nq, QB);
            let mut bounds: Vec<f32> = tops.iter().map(TopK::bound).collect();
            let step = a.panels.panels_per_chunk();
            let mut pc0 = 0;
            while pc0 < a.panels.n_panels {
                let pc1 = (pc0 + step).min(a.panels.n_panels);
                for b in 0..n_blocks {
                    let bqn = &qn[b * p * QB..(b + 1) * p * QB];
                    let bqc = &qc[b * c * QB..(b + 1) * c * QB];
                    let live = QB.min(nq - b * QB);
                    for pi in pc0..pc1 {
                        let pn = &a.panels.num[pi * p * LANES..(pi + 1) * p * LANES];
                        let pcat = &a.panels.cat[pi * c * LANES..(pi + 1) * c * LANES];
                        let bq = &bounds[b * QB..b * QB + live];
                        let hits = $tile::<QB, K>(bqn, bqc, pn, pcat, a.wn, a.wc, bq, a.in_order);
                        if let Some(rows) = hits {
                            let valid = LANES.min(a.panels.n_rows - pi * LANES);
                            for qi in 0..live {
                                let q = b * QB + qi;
                                bounds[q] = offer(a, &mut tops[q], &rows[qi], pi * LANES, valid);
                            }
                        }
                    }
                }
                pc0 = pc1;
            }
        }
    };
}

chunk_driver!(search_chunk_avx2, "avx2,fma", 4, tile_avx2);

/// One tile of `QB` queries × 16 reference rows with AVX2: returns the distances if some lane
/// may enter some query's top-k, `None` otherwise (the common case).
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_avx2<const QB: usize, K: Kernel>(
    qn: &[f32],
    qc: &[u32],
    pn: &[f32],
    pc: &[u32],
    wn: &[f32],
    wc: &[f32],
    bounds: &[f32],
    in_order: bool,
) -> Option<[[f32; LANES]; QB]> {
    let mut acc = [[_mm256_setzero_ps(); 2]; QB];
    let sign = _mm256_set1_ps(-0.0);
    let one = _mm256_set1_ps(1.0);
    let p = wn.len();
    for j in 0..p {
        let r0 = _mm256_loadu_ps(pn.as_ptr().add(j * LANES));
        let r1 = _mm256_loadu_ps(pn.as_ptr().add(j * LANES + 8));
        let w = _mm256_set1_ps(*wn.get_unchecked(j));
        for (qi, a) in acc.iter_mut().enumerate() {
            let b = _mm256_set1_ps(*qn.get_unchecked(j * QB + qi));
            let d0 = _mm256_sub_ps(r0, b);
            let d1 = _mm256_sub_ps(r1, b);
            match K::OP {
                OP_L2 => {
                    a[0] = _mm256_fmadd_ps(d0, d0, a[0]);
                    a[1] = _mm256_fmadd_ps(d1, d1, a[1]);
                }
                OP_L1 => {
                    a[0] = _mm256_add_ps(a[0], _mm256_andnot_ps(sign, d0));
                    a[1] = _mm256_add_ps(a[1], _mm256_andnot_ps(sign, d1));
                }
                _ => {
                    let t0 = _mm256_min_ps(_mm256_andnot_ps(sign, d0), one);
                    let t1 = _mm256_min_ps(_mm256_andnot_ps(sign, d1), one);
                    a[0] = _mm256_fmadd_ps(w, t0, a[0]);
                    a[1] = _mm256_fmadd_ps(w, t1, a[1]);
                }
            }
        }
    }
    for j in 0..wc.len() {
        let r0 = _mm256_loadu_si256(pc.as_ptr().add(j * LANES) as *const __m256i);
        let r1 = _mm256_loadu_si256(pc.as_ptr().add(j * LANES + 8) as *const __m256i);
        let w = _mm256_set1_ps(*wc.get_unchecked(j));
        for (qi, a) in acc.iter_mut().enumerate() {
            let b = _mm256_set1_epi32(*qc.get_unchecked(j * QB + qi) as i32);
            let e0 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(r0, b));
            let e1 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(r1, b));
            a[0] = _mm256_add_ps(a[0], _mm256_andnot_ps(e0, w));
            a[1] = _mm256_add_ps(a[1], _mm256_andnot_ps(e1, w));
        }
    }
    let mut any = 0;
    for (qi, bound) in bounds.iter().enumerate() {
        let m = _mm256_min_ps(acc[qi][0], acc[qi][1]);
        let bv = _mm256_set1_ps(*bound);
        let hit = if in_order { _mm256_cmp_ps::<_CMP_LT_OQ>(m, bv) } else { _mm256_cmp_ps::<_CMP_LE_OQ>(m, bv) };
        any |= _mm256_movemask_ps(hit);
    }
    if any == 0 {
        return None;
    }
    let mut out = [[0.0f32; LANES]; QB];
    for (o, a) in out.iter_mut().zip(&acc) {
        _mm256_storeu_ps(o.as_mut_ptr(), a[0]);
        _mm256_storeu_ps(o.as_mut_ptr().add(8), a[1]);
    }
    Some(out)
}

/// Whether this build has the AVX-512 kernels (they need Rust ≥ 1.89).
#[rustversion::since(1.89)]
pub const HAVE_AVX512: bool = true;
/// Whether this build has the AVX-512 kernels (they need Rust ≥ 1.89).
#[rustversion::before(1.89)]
pub const HAVE_AVX512: bool = false;

/// AVX-512 is used where the CPU has it and the compiler has its intrinsics; elsewhere AVX2.
///
/// # Safety
/// The CPU must support AVX-512F/VL (or AVX2+FMA where the build lacks AVX-512).
pub unsafe fn search_chunk_avx512<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
    #[rustversion::since(1.89)]
    fn run<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
        // SAFETY: the caller checked the CPU.
        unsafe { avx512::search_chunk_avx512::<K>(a, q0, tops) }
    }
    #[rustversion::before(1.89)]
    fn run<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
        // SAFETY: the caller checked the CPU.
        unsafe { search_chunk_avx2::<K>(a, q0, tops) }
    }
    run::<K>(a, q0, tops)
}

#[rustversion::since(1.89)]
mod avx512 {
    use super::*;

    chunk_driver!(search_chunk_avx512, "avx512f,avx512vl,avx2,fma", 8, tile_avx512);

    /// One tile of `QB` queries × 16 reference rows with AVX-512 (see [`tile_avx2`]).
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_avx512<const QB: usize, K: Kernel>(
        qn: &[f32],
        qc: &[u32],
        pn: &[f32],
        pc: &[u32],
        wn: &[f32],
        wc: &[f32],
        bounds: &[f32],
        in_order: bool,
    ) -> Option<[[f32; LANES]; QB]> {
        let mut acc = [_mm512_setzero_ps(); QB];
        let one = _mm512_set1_ps(1.0);
        let p = wn.len();
        for j in 0..p {
            let r = _mm512_loadu_ps(pn.as_ptr().add(j * LANES));
            let w = _mm512_set1_ps(*wn.get_unchecked(j));
            for (qi, a) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*qn.get_unchecked(j * QB + qi));
                let d = _mm512_sub_ps(r, b);
                *a = match K::OP {
                    OP_L2 => _mm512_fmadd_ps(d, d, *a),
                    OP_L1 => _mm512_add_ps(*a, _mm512_abs_ps(d)),
                    _ => _mm512_fmadd_ps(w, _mm512_min_ps(_mm512_abs_ps(d), one), *a),
                };
            }
        }
        for j in 0..wc.len() {
            let r = _mm512_loadu_si512(pc.as_ptr().add(j * LANES) as *const __m512i);
            let w = _mm512_set1_ps(*wc.get_unchecked(j));
            for (qi, a) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_epi32(*qc.get_unchecked(j * QB + qi) as i32);
                let ne = _mm512_cmpneq_epi32_mask(r, b);
                *a = _mm512_mask_add_ps(*a, ne, *a, w);
            }
        }
        let mut any = 0u16;
        for (qi, bound) in bounds.iter().enumerate() {
            let bv = _mm512_set1_ps(*bound);
            any |= if in_order {
                _mm512_cmp_ps_mask::<_CMP_LT_OQ>(acc[qi], bv)
            } else {
                _mm512_cmp_ps_mask::<_CMP_LE_OQ>(acc[qi], bv)
            };
        }
        if any == 0 {
            return None;
        }
        let mut out = [[0.0f32; LANES]; QB];
        for (o, a) in out.iter_mut().zip(&acc) {
            _mm512_storeu_ps(o.as_mut_ptr(), *a);
        }
        Some(out)
    }
}
