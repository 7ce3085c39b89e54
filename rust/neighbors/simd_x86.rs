//! Hand-written AVX2+FMA and AVX-512 tiles of the brute-force path (x86-64 only, chosen at run
//! time). Each register lane holds one (query, reference) pair and applies exactly the steps of
//! `metric.rs` in the same column order, so results are bit-identical to the portable code.

use super::brute::{l2_margin, push_group, BruteArgs, LANES};
use super::metric::L2K;

/// L2 tiles compute dot products and filter (re-checking exactly) rather than differences.
const L2_DOT: bool = true;
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
fn offer(a: &BruteArgs, top: &mut TopK, row: &[f32], first: usize) -> f32 {
    for (l, &d) in row.iter().enumerate() {
        if d <= top.bound() {
            push_group(top, d, a.groups, first + l);
        }
    }
    top.bound()
}

/// Distances of one tile, `QB` queries × up to `2 × LANES` reference rows.
type TileOut<const QB: usize> = [[f32; 2 * LANES]; QB];

macro_rules! chunk_driver {
    ($name:ident, $features:literal, $qb:expr, $np:expr, $tile:ident) => {
        /// Top-k of query rows `q0..q0 + tops.len()` with this instruction set's tiles of
        /// `QB` queries × `NP` panels.
        ///
        /// # Safety
        /// The CPU must support the enabled features.
        #[target_feature(enable = $features)]
        pub unsafe fn $name<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
            const QB: usize = $qb;
            const NP: usize = $np;
            let (p, c) = (a.panels.p, a.panels.c);
            let nq = tops.len();
            let n_blocks = nq.div_ceil(QB);
            let (qn, qc) = pack_queries(a, q0, nq, QB);
            let l2 = K::OP == OP_L2 && L2_DOT;
            let margin = l2_margin(p) as f64;
            let q2: Vec<f64> = (0..nq)
                .map(|i| a.query.num_row(q0 + i).iter().map(|x| (*x as f64) * (*x as f64)).sum())
                .collect();
            // The value a lane's tile output is compared with: the k-th best distance, or for
            // L2 the filter threshold derived from it (`l2_margin`).
            let threshold = |q: usize, bound: f32| -> f32 {
                if !l2 || bound == f32::INFINITY {
                    return bound;
                }
                let b = bound as f64;
                (b - q2[q] + margin * (q2[q] + b)) as f32 * (1.0 + 1e-6) + f32::MIN_POSITIVE
            };
            let mut bounds: Vec<f32> = tops.iter().enumerate().map(|(q, t)| threshold(q, t.bound())).collect();
            let step = a.panels.panels_per_chunk().next_multiple_of(NP);
            let mut pc0 = 0;
            while pc0 < a.panels.n_panels {
                let pc1 = (pc0 + step).min(a.panels.n_panels);
                for b in 0..n_blocks {
                    let bqn = &qn[b * p * QB..(b + 1) * p * QB];
                    let bqc = &qc[b * c * QB..(b + 1) * c * QB];
                    let live = QB.min(nq - b * QB);
                    let mut pi = pc0;
                    while pi < pc1 {
                        let np = if pi + NP <= pc1 { NP } else { 1 };
                        let pn = &a.panels.num[pi * p * LANES..(pi + np) * p * LANES];
                        let pcat = &a.panels.cat[pi * c * LANES..(pi + np) * c * LANES];
                        let sq = &a.panels.sq[pi * LANES..(pi + np) * LANES];
                        let bq = &bounds[b * QB..b * QB + live];
                        let in_order = a.in_order && !l2;
                        let hits = if np == NP {
                            $tile::<QB, NP, K>(bqn, bqc, pn, pcat, sq, a.wn, a.wc, bq, in_order)
                        } else {
                            $tile::<QB, 1, K>(bqn, bqc, pn, pcat, sq, a.wn, a.wc, bq, in_order)
                        };
                        if let Some(rows) = hits {
                            let valid = (np * LANES).min(a.panels.n_rows - pi * LANES);
                            for qi in 0..live {
                                let q = b * QB + qi;
                                let row = &rows[qi][..valid];
                                let top = &mut tops[q];
                                if l2 {
                                    // Re-check every lane the filter let through, exactly.
                                    for (l, v) in row.iter().enumerate() {
                                        if *v <= bounds[q] {
                                            let (u, lane) = (l / LANES, l % LANES);
                                            let mut d = 0.0f32;
                                            for j in 0..p {
                                                let r = *pn.get_unchecked((u * p + j) * LANES + lane);
                                                d = L2K::num(d, *bqn.get_unchecked(j * QB + qi), r, 1.0);
                                            }
                                            if d <= top.bound() {
                                                push_group(top, d, a.groups, pi * LANES + l);
                                                bounds[q] = threshold(q, top.bound());
                                            }
                                        }
                                    }
                                } else {
                                    bounds[q] = offer(a, top, row, pi * LANES);
                                }
                            }
                        }
                        pi += np;
                    }
                }
                pc0 = pc1;
            }
        }
    };
}

chunk_driver!(search_chunk_avx2_4, "avx2,fma", 4, 1, tile_avx2);
chunk_driver!(search_chunk_avx2_6, "avx2,fma", 6, 1, tile_avx2);

/// AVX2 tiles: 6 queries × 16 rows for L2 (12 accumulators, one FMA per step), 4 × 16 for the
/// metrics whose steps need more temporary registers.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
pub unsafe fn search_chunk_avx2<K: Kernel>(a: &BruteArgs, q0: usize, tops: &mut [TopK]) {
    if K::OP == OP_L2 && L2_DOT {
        search_chunk_avx2_6::<K>(a, q0, tops)
    } else {
        search_chunk_avx2_4::<K>(a, q0, tops)
    }
}

/// One tile of `QB` queries × `NP` panels with AVX2: returns the distances if some lane may
/// enter some query's top-k, `None` otherwise (the common case).
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_avx2<const QB: usize, const NP: usize, K: Kernel>(
    qn: &[f32],
    qc: &[u32],
    pn: &[f32],
    pc: &[u32],
    sq: &[f32],
    wn: &[f32],
    wc: &[f32],
    bounds: &[f32],
    in_order: bool,
) -> Option<TileOut<QB>> {
    let mut acc = [[[_mm256_setzero_ps(); 2]; NP]; QB];
    let sign = _mm256_set1_ps(-0.0);
    let one = _mm256_set1_ps(1.0);
    let (p, c) = (wn.len(), wc.len());
    for j in 0..p {
        let mut r = [[_mm256_setzero_ps(); 2]; NP];
        for (u, ru) in r.iter_mut().enumerate() {
            ru[0] = _mm256_loadu_ps(pn.as_ptr().add((u * p + j) * LANES));
            ru[1] = _mm256_loadu_ps(pn.as_ptr().add((u * p + j) * LANES + 8));
        }
        let w = _mm256_set1_ps(*wn.get_unchecked(j));
        for (qi, aq) in acc.iter_mut().enumerate() {
            let b = _mm256_set1_ps(*qn.get_unchecked(j * QB + qi));
            for (au, ru) in aq.iter_mut().zip(&r) {
                for h in 0..2 {
                    au[h] = match K::OP {
                        // L2: the dot product only; the driver filters and re-checks exactly.
                        OP_L2 if L2_DOT => _mm256_fmadd_ps(b, ru[h], au[h]),
                        OP_L2 => {
                            let d = _mm256_sub_ps(ru[h], b);
                            _mm256_fmadd_ps(d, d, au[h])
                        }
                        OP_L1 => _mm256_add_ps(au[h], _mm256_andnot_ps(sign, _mm256_sub_ps(ru[h], b))),
                        _ => {
                            let d = _mm256_andnot_ps(sign, _mm256_sub_ps(ru[h], b));
                            _mm256_fmadd_ps(w, _mm256_min_ps(d, one), au[h])
                        }
                    };
                }
            }
        }
    }
    for j in 0..c {
        let mut r = [[_mm256_setzero_si256(); 2]; NP];
        for (u, ru) in r.iter_mut().enumerate() {
            ru[0] = _mm256_loadu_si256(pc.as_ptr().add((u * c + j) * LANES) as *const __m256i);
            ru[1] = _mm256_loadu_si256(pc.as_ptr().add((u * c + j) * LANES + 8) as *const __m256i);
        }
        let w = _mm256_set1_ps(*wc.get_unchecked(j));
        for (qi, aq) in acc.iter_mut().enumerate() {
            let b = _mm256_set1_epi32(*qc.get_unchecked(j * QB + qi) as i32);
            for (au, ru) in aq.iter_mut().zip(&r) {
                for h in 0..2 {
                    let e = _mm256_castsi256_ps(_mm256_cmpeq_epi32(ru[h], b));
                    au[h] = _mm256_add_ps(au[h], _mm256_andnot_ps(e, w));
                }
            }
        }
    }
    if K::OP == OP_L2 && L2_DOT {
        // ‖r‖²(1 − margin) − 2 q·r, compared with the threshold the driver derived.
        let m2 = _mm256_set1_ps(-2.0);
        for aq in acc.iter_mut() {
            for (u, au) in aq.iter_mut().enumerate() {
                au[0] = _mm256_fmadd_ps(au[0], m2, _mm256_loadu_ps(sq.as_ptr().add(u * LANES)));
                au[1] = _mm256_fmadd_ps(au[1], m2, _mm256_loadu_ps(sq.as_ptr().add(u * LANES + 8)));
            }
        }
    }
    let mut any = 0;
    for (aq, bound) in acc.iter().zip(bounds) {
        let bv = _mm256_set1_ps(*bound);
        for au in aq {
            let m = _mm256_min_ps(au[0], au[1]);
            let hit = if in_order { _mm256_cmp_ps::<_CMP_LT_OQ>(m, bv) } else { _mm256_cmp_ps::<_CMP_LE_OQ>(m, bv) };
            any |= _mm256_movemask_ps(hit);
        }
    }
    if any == 0 {
        return None;
    }
    let mut out = [[0.0f32; 2 * LANES]; QB];
    for (o, aq) in out.iter_mut().zip(&acc) {
        for (u, au) in aq.iter().enumerate() {
            _mm256_storeu_ps(o.as_mut_ptr().add(u * LANES), au[0]);
            _mm256_storeu_ps(o.as_mut_ptr().add(u * LANES + 8), au[1]);
        }
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

    chunk_driver!(search_chunk_avx512, "avx512f,avx512vl,avx2,fma", 8, 2, tile_avx512);

    /// One tile of `QB` queries × `NP` panels with AVX-512 (see [`tile_avx2`]).
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile_avx512<const QB: usize, const NP: usize, K: Kernel>(
        qn: &[f32],
        qc: &[u32],
        pn: &[f32],
        pc: &[u32],
        sq: &[f32],
        wn: &[f32],
        wc: &[f32],
        bounds: &[f32],
        in_order: bool,
    ) -> Option<TileOut<QB>> {
        let mut acc = [[_mm512_setzero_ps(); NP]; QB];
        let one = _mm512_set1_ps(1.0);
        let (p, c) = (wn.len(), wc.len());
        for j in 0..p {
            let mut r = [_mm512_setzero_ps(); NP];
            for (u, ru) in r.iter_mut().enumerate() {
                *ru = _mm512_loadu_ps(pn.as_ptr().add((u * p + j) * LANES));
            }
            let w = _mm512_set1_ps(*wn.get_unchecked(j));
            for (qi, aq) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_ps(*qn.get_unchecked(j * QB + qi));
                for (a, ru) in aq.iter_mut().zip(&r) {
                    *a = match K::OP {
                        OP_L2 if L2_DOT => _mm512_fmadd_ps(b, *ru, *a),
                        OP_L2 => {
                            let d = _mm512_sub_ps(*ru, b);
                            _mm512_fmadd_ps(d, d, *a)
                        }
                        OP_L1 => _mm512_add_ps(*a, _mm512_abs_ps(_mm512_sub_ps(*ru, b))),
                        _ => _mm512_fmadd_ps(w, _mm512_min_ps(_mm512_abs_ps(_mm512_sub_ps(*ru, b)), one), *a),
                    };
                }
            }
        }
        for j in 0..c {
            let mut r = [_mm512_setzero_si512(); NP];
            for (u, ru) in r.iter_mut().enumerate() {
                *ru = _mm512_loadu_si512(pc.as_ptr().add((u * c + j) * LANES) as *const __m512i);
            }
            let w = _mm512_set1_ps(*wc.get_unchecked(j));
            for (qi, aq) in acc.iter_mut().enumerate() {
                let b = _mm512_set1_epi32(*qc.get_unchecked(j * QB + qi) as i32);
                for (a, ru) in aq.iter_mut().zip(&r) {
                    let ne = _mm512_cmpneq_epi32_mask(*ru, b);
                    *a = _mm512_mask_add_ps(*a, ne, *a, w);
                }
            }
        }
        if K::OP == OP_L2 && L2_DOT {
            let m2 = _mm512_set1_ps(-2.0);
            for aq in acc.iter_mut() {
                for (u, a) in aq.iter_mut().enumerate() {
                    *a = _mm512_fmadd_ps(*a, m2, _mm512_loadu_ps(sq.as_ptr().add(u * LANES)));
                }
            }
        }
        let mut any = 0u16;
        for (aq, bound) in acc.iter().zip(bounds) {
            let bv = _mm512_set1_ps(*bound);
            for a in aq {
                any |= if in_order {
                    _mm512_cmp_ps_mask::<_CMP_LT_OQ>(*a, bv)
                } else {
                    _mm512_cmp_ps_mask::<_CMP_LE_OQ>(*a, bv)
                };
            }
        }
        if any == 0 {
            return None;
        }
        let mut out = [[0.0f32; 2 * LANES]; QB];
        for (o, aq) in out.iter_mut().zip(&acc) {
            for (u, a) in aq.iter().enumerate() {
                _mm512_storeu_ps(o.as_mut_ptr().add(u * LANES), *a);
            }
        }
        Some(out)
    }
}
